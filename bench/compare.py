"""Side-by-side benchmark of pymlp against PyTorch, JAX, plain NumPy and
scikit-learn (and ONNX Runtime for prediction): float32, Adam, ReLU hidden
layers, the same data and thread count for every library, in one run.

    python bench/compare.py [--threads 2] [--repeats N] [--quick]
                            [--markdown bench/RESULTS.md]

Every measurement runs in a fresh process (``compare.py --worker LIB SHAPE
--task TASK`` prints one JSON line), so that two OpenMP runtimes never spin
against each other and each library starts cold the same way; the libraries
alternate A B C D A B C D over the repeats, and the tables give medians over
repeats and ratios other / pymlp (above 1: pymlp is faster). PyTorch, JAX
(with optax), scikit-learn and ONNX Runtime (with onnx) are optional: a
library that does not import is left out, with a note.
See bench/README.md for what exactly is timed.
"""
import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (layer sizes, loss, batch size, steps per timed fit call, quick)
SHAPES = {
    "seed": ([1, 8, 8, 1], "mse", 100, 500, 200),
    "digits": ([64, 128, 128, 10], "cross_entropy", 64, 300, 100),
    "mnist": ([784, 256, 256, 10], "cross_entropy", 128, 60, 20),
    "wide": ([784, 1024, 1024, 10], "cross_entropy", 256, 12, 4),
    "large": ([2048, 2048, 2048, 10], "cross_entropy", 256, 4, 2),
}
QUICK_SHAPES = ("seed", "digits", "mnist")
LIBRARIES = ("pymlp", "torch", "jax", "numpy", "sklearn", "onnxruntime")
MODULES = {"pymlp": ("pymlp",), "torch": ("torch",),
           "jax": ("jax", "optax"), "numpy": ("numpy",),
           "sklearn": ("sklearn",), "onnxruntime": ("onnxruntime", "onnx")}
# libraries that only predict (they have no training step to compare)
PREDICT_ONLY = ("onnxruntime",)
# the lecture's loop: full-batch epochs of the seed network on 100 rows
LECTURE_ROWS = 100
LECTURE_EPOCHS, LECTURE_EPOCHS_QUICK = 2000, 500
THROUGHPUT_ROWS = 10_000
MEMORY_ROWS = 10_000
GEMM_N = 2048


# -- workers: one measurement each, in a fresh process -------------------

def make_data(sizes, loss, rows, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, sizes[0])).astype(np.float32)
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], rows).astype(np.int64)
    else:  # the lecture's y = x^2 + noise
        X *= 5
        y = (X[:, :1] ** 2
             + rng.standard_normal((rows, 1))).astype(np.float32)
    return X, y


class Model:
    """One library's network: train_epoch(X, y) runs every mini-batch of
    (X, y) in order, predict(X) returns the output."""

    info = {}

    def __init__(self, lib, sizes, loss, batch, threads):
        self.lib, self.sizes, self.loss, self.batch = lib, sizes, loss, batch
        getattr(self, "_build_" + lib)(threads)

    def _build_pymlp(self, threads):
        import pymlp
        pymlp.set_num_threads(threads)
        self.net = pymlp.MLP(self.sizes, activation="relu", seed=0)
        self.opt = pymlp.Adam(lr=1e-3)
        self.info = {"version": pymlp.__version__,
                     "build": pymlp.build_info()}

    def _pymlp_epoch(self, X, y):
        self.net.fit(X, y, loss=self.loss, optimizer=self.opt, epochs=1,
                     batch_size=self.batch, shuffle=False)

    def _pymlp_predict(self, X):
        return self.net.predict(X)

    def _build_numpy(self, threads):
        import numpy as np
        sys.path.insert(0, HERE)
        from numpy_mlp import NumpyMLP
        self.net = NumpyMLP(self.sizes, self.loss, lr=1e-3)
        self.info = {"version": np.__version__}

    def _numpy_epoch(self, X, y):
        self.net.train_epoch(X, y, self.batch)

    def _numpy_predict(self, X):
        return self.net.predict(X)

    def _build_torch(self, threads):
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        layers = []
        for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(self.sizes) - 2:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.criterion = (torch.nn.CrossEntropyLoss()
                          if self.loss == "cross_entropy"
                          else torch.nn.MSELoss())
        self.torch = torch
        adam = "fused"
        try:
            self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3,
                                        fused=True)
            # a CPU without fused support may only complain on the first step
            self._torch_step(torch.zeros(2, self.sizes[0]),
                             self._torch_target(2))
        except (RuntimeError, TypeError, ValueError):
            adam = "default"
            self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.info = {"version": torch.__version__, "adam": adam,
                     "threads": torch.get_num_threads()}

    def _torch_target(self, n):
        if self.loss == "cross_entropy":
            return self.torch.zeros(n, dtype=self.torch.int64)
        return self.torch.zeros(n, self.sizes[-1])

    def _torch_step(self, xb, yb):
        self.opt.zero_grad()
        self.criterion(self.model(xb), yb).backward()
        self.opt.step()

    def _torch_epoch(self, X, y):
        # torch.from_numpy shares memory: no copy per epoch
        Xt, yt = self.torch.from_numpy(X), self.torch.from_numpy(y)
        for s in range(0, X.shape[0], self.batch):
            self._torch_step(Xt[s:s + self.batch], yt[s:s + self.batch])

    def _torch_predict(self, X):
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(X)).numpy()

    def _build_jax(self, threads):
        # XLA's CPU client takes its thread count from this flag, read when
        # jax first starts a backend (the driver also sets it)
        os.environ.setdefault(
            "XLA_FLAGS", "--xla_cpu_multi_thread_eigen="
            + ("false" if threads == 1 else "true")
            + f" intra_op_parallelism_threads={threads}")
        import jax
        import jax.numpy as jnp
        import optax
        self.jax, self.jnp = jax, jnp
        key = jax.random.PRNGKey(0)
        params = []
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            key, kw, kb = jax.random.split(key, 3)
            bound = 1.0 / a ** 0.5  # PyTorch's Linear initialisation
            params.append((jax.random.uniform(kw, (a, b), jnp.float32,
                                              -bound, bound),
                           jax.random.uniform(kb, (b,), jnp.float32,
                                              -bound, bound)))
        tx = optax.adam(1e-3)
        self.params, self.opt_state = params, tx.init(params)
        cross_entropy = self.loss == "cross_entropy"

        def forward(params, x):
            for W, b in params[:-1]:
                x = jax.nn.relu(x @ W + b)
            W, b = params[-1]
            return x @ W + b

        def loss_fn(params, x, y):
            out = forward(params, x)
            if cross_entropy:
                return optax.softmax_cross_entropy_with_integer_labels(
                    out, y).mean()
            return jnp.mean((out - y) ** 2)

        def step(params, opt_state, x, y):
            grads = jax.grad(loss_fn)(params, x, y)
            updates, opt_state = tx.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state

        batch = self.batch

        def epochs(params, opt_state, X, y, n_epochs):
            """n_epochs passes over X in order, batch rows per step, the
            whole loop compiled (lax.fori_loop over epochs and batches)."""
            n_batches = X.shape[0] // batch

            def one_batch(k, carry):
                p, s = carry
                xb = jax.lax.dynamic_slice_in_dim(X, k * batch, batch)
                yb = jax.lax.dynamic_slice_in_dim(y, k * batch, batch)
                return step(p, s, xb, yb)

            def one_epoch(e, carry):
                return jax.lax.fori_loop(0, n_batches, one_batch, carry)

            return jax.lax.fori_loop(0, n_epochs, one_epoch,
                                     (params, opt_state))

        self._jax_run = jax.jit(epochs, static_argnums=4)
        self._jax_forward = jax.jit(forward)
        self.info = {"version": jax.__version__,
                     "optax": optax.__version__}

    def _jax_train(self, X, y, n_epochs):
        if not hasattr(self, "_jax_data") or self._jax_data[0] is not X:
            # the data on the device once, as torch.from_numpy shares it
            self._jax_data = (X, self.jnp.asarray(X), self.jnp.asarray(y))
        _, Xd, yd = self._jax_data
        self.params, self.opt_state = self._jax_run(
            self.params, self.opt_state, Xd, yd, n_epochs)
        self.jax.block_until_ready(self.params)

    def _jax_epoch(self, X, y):
        self._jax_train(X, y, 1)

    def _jax_predict(self, X):
        import numpy as np
        return np.asarray(self._jax_forward(self.params, X))

    def _build_onnxruntime(self, threads):
        import tempfile

        import onnxruntime as ort
        import pymlp
        net = pymlp.MLP(self.sizes, activation="relu", seed=0)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "net.onnx")
            pymlp.to_onnx(net, path)
            self.session = ort.InferenceSession(
                path, options, providers=["CPUExecutionProvider"])
        self.info = {"version": ort.__version__}

    def _onnxruntime_predict(self, X):
        return self.session.run(None, {"X": X})[0]

    def _build_sklearn(self, threads):
        import numpy as np
        import sklearn
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        kind = MLPClassifier if self.loss == "cross_entropy" else MLPRegressor
        self.net = kind(hidden_layer_sizes=tuple(self.sizes[1:-1]),
                        activation="relu", solver="adam", alpha=0.0,
                        batch_size=self.batch, learning_rate_init=1e-3,
                        shuffle=False, random_state=0)
        self.classes = (np.arange(self.sizes[-1])
                        if kind is MLPClassifier else None)
        self.info = {"version": sklearn.__version__}

    def _sklearn_epoch(self, X, y):
        if self.classes is not None:
            self.net.partial_fit(X, y, classes=self.classes)
        else:
            self.net.partial_fit(X, y.ravel())

    def _sklearn_predict(self, X):
        if self.classes is None:
            return self.net.predict(X)
        return self.net.predict_proba(X)  # the softmax of the output layer

    def train_epoch(self, X, y):
        getattr(self, f"_{self.lib}_epoch")(X, y)

    def train_epochs(self, X, y, n_epochs):
        """n_epochs full-batch epochs on (X, y): the lecture's loop, as a
        user of each library writes it."""
        if self.lib == "pymlp":
            self.net.fit(X, y, loss=self.loss, optimizer=self.opt,
                         epochs=n_epochs)
        elif self.lib == "jax":
            self._jax_train(X, y, n_epochs)
        else:
            for _ in range(n_epochs):
                self.train_epoch(X, y)

    def predict(self, X):
        return self.predictor()(X)

    def predictor(self):
        """The function that predicts, looked up once: a latency timing
        should hold the library's call, not this class's dispatch."""
        if self.lib == "pymlp":
            return self.net.predict
        return getattr(self, f"_{self.lib}_predict")

    def ready_to_predict(self):
        """scikit-learn needs one fit before predicting."""
        if self.lib == "sklearn":
            X, y = make_data(self.sizes, self.loss, 2 * self.batch, seed=1)
            self.train_epoch(X, y)


def repeat_timed(fn, target_seconds, samples):
    """Median seconds per call of fn, over `samples` blocks of calls sized
    to take about target_seconds / samples each (after a warm-up call and
    a timed one that sizes the blocks)."""
    fn()
    start = time.perf_counter()
    fn()
    one = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(target_seconds / samples / one))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times), calls


def task_train(lib, shape, threads, quick):
    """Seconds per training step: one fit call (one epoch) over k batches,
    in order, divided by k; the median over a few such epochs. JAX's first
    call compiles: its time, less a step's, is reported apart."""
    sizes, loss, batch, steps, quick_steps = SHAPES[shape]
    k = quick_steps if quick else steps
    X, y = make_data(sizes, loss, k * batch)
    model = Model(lib, sizes, loss, batch, threads)
    start = time.perf_counter()
    model.train_epoch(X, y)  # warm-up: allocation, first-touch, lazy init
    first = time.perf_counter() - start
    times = []
    for _ in range(2 if quick else 3):
        start = time.perf_counter()
        model.train_epoch(X, y)
        times.append((time.perf_counter() - start) / k)
    seconds = statistics.median(times)
    return dict(model.info, seconds=seconds, steps=k, samples=times,
                first_call=first, compile=first - seconds * k)


def task_lecture(lib, shape, threads, quick):
    """Seconds per epoch of the lecture's loop: full-batch epochs of the
    seed network (1-8-8-1, MSE) on LECTURE_ROWS rows, E epochs per timed
    call (one fit call for pymlp, one compiled loop for JAX, a Python loop
    of steps for the others)."""
    sizes, loss, _, _, _ = SHAPES["seed"]
    E = LECTURE_EPOCHS_QUICK if quick else LECTURE_EPOCHS
    if lib == "sklearn":
        E = max(1, E // 10)  # ~100 us per partial_fit: keep the call short
    X, y = make_data(sizes, loss, LECTURE_ROWS)
    model = Model(lib, sizes, loss, LECTURE_ROWS, threads)
    start = time.perf_counter()
    model.train_epochs(X, y, E)  # warm-up (JAX: compiles)
    first = time.perf_counter() - start
    times = []
    for _ in range(2 if quick else 3):
        start = time.perf_counter()
        model.train_epochs(X, y, E)
        times.append((time.perf_counter() - start) / E)
    seconds = statistics.median(times)
    return dict(model.info, seconds=seconds, epochs=E, samples=times,
                compile=first - seconds * E)


def task_fitcall(lib, shape, threads, quick):
    """pymlp only: seconds per net.fit(X, y, epochs=1) call on the seed
    shape (100 rows, full batch, one Adam object reused), and the same
    process's time per epoch inside one long fit; their difference is the
    per-call cost of fit."""
    import pymlp
    sizes, loss, _, _, _ = SHAPES["seed"]
    X, y = make_data(sizes, loss, LECTURE_ROWS)
    pymlp.set_num_threads(threads)
    net = pymlp.MLP(sizes, activation="relu", seed=0)
    opt = pymlp.Adam(lr=1e-3)
    call, calls = repeat_timed(
        lambda: net.fit(X, y, loss=loss, optimizer=opt, epochs=1),
        0.25 if quick else 0.5, 5)
    E = 20_000
    epoch, _ = repeat_timed(
        lambda: net.fit(X, y, loss=loss, optimizer=opt, epochs=E),
        0.5 if quick else 1.0, 3)
    return {"version": pymlp.__version__, "seconds": call, "calls": calls,
            "epoch": epoch / E, "overhead": call - epoch / E}


def task_latency(lib, shape, threads, quick):
    """Seconds per predict call of one row, shape (1, n[0]), from Python."""
    sizes, loss, batch, _, _ = SHAPES[shape]
    model = Model(lib, sizes, loss, batch, threads)
    model.ready_to_predict()
    X, _ = make_data(sizes, loss, 1, seed=2)
    predict = model.predictor()
    seconds, calls = repeat_timed(lambda: predict(X),
                                  0.25 if quick else 0.5, 5)
    return dict(model.info, seconds=seconds, calls=calls)


def task_throughput(lib, shape, threads, quick):
    """Seconds per predict call of THROUGHPUT_ROWS rows."""
    sizes, loss, batch, _, _ = SHAPES[shape]
    model = Model(lib, sizes, loss, batch, threads)
    model.ready_to_predict()
    X, _ = make_data(sizes, loss, THROUGHPUT_ROWS, seed=2)
    seconds, calls = repeat_timed(lambda: model.predict(X),
                                  0.25 if quick else 0.5, 5)
    return dict(model.info, seconds=seconds, calls=calls)


def fma_peak_flops(dtype, target=0.3):
    """The core's FMA peak in FLOP/s at pymlp's current SIMD level: a
    short calibration, then a call sized to take about `target` seconds;
    the best of two."""
    from pymlp import _engine
    start = time.perf_counter()
    _engine.fma_peak(10_000_000, dtype)
    per_iteration = (time.perf_counter() - start) / 10_000_000
    iterations = max(1_000_000, int(target / per_iteration))
    best = 0.0
    for _ in range(2):
        start = time.perf_counter()
        flops = _engine.fma_peak(iterations, dtype)
        best = max(best, flops / (time.perf_counter() - start))
    return best, iterations


def task_gemm(lib, dtype_name, threads, quick):
    """GFLOP/s of a 2048^3 product on one thread (best of three), and the
    FMA peak measured in the same process."""
    import numpy as np
    import pymlp
    from pymlp import _engine
    n = GEMM_N
    dtype = np.dtype(dtype_name)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(dtype)
    B = rng.standard_normal((n, n)).astype(dtype)
    C = np.empty((n, n), dtype)
    blas = None
    if lib == "pymlp":
        def run():
            _engine.gemm(A, False, B, False, C, 1)
        version = pymlp.__version__
    elif lib == "torch":
        import torch
        torch.set_num_threads(1)
        At, Bt, Ct = (torch.from_numpy(M) for M in (A, B, C))

        def run():
            torch.matmul(At, Bt, out=Ct)
        version = torch.__version__
        blas = "MKL" if torch.backends.mkl.is_available() else "other"
    else:
        def run():
            np.matmul(A, B, out=C)
        version = np.__version__
        try:
            config = np.show_config(mode="dicts")
            blas = config["Build Dependencies"]["blas"]["name"]
        except Exception:  # an older NumPy: no dict form
            blas = None
    run()
    times = []
    for _ in range(2 if quick else 3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    if not np.allclose(C[:64, :64], A[:64] @ B[:, :64], rtol=1e-3,
                       atol=1e-2 * np.sqrt(n)):
        raise RuntimeError("wrong product")
    peak, iterations = fma_peak_flops(dtype)
    return {"version": version, "blas": blas, "seconds": min(times),
            "gflops": 2 * n ** 3 / min(times) / 1e9, "peak": peak / 1e9,
            "peak_iterations": iterations, "simd": _engine.simd_level()}


def _status_bytes(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def task_memory(lib, shape, threads, quick):
    """Peak resident set of one training epoch (MEMORY_ROWS rows) above the
    process once the data exists, and what the run must hold."""
    sizes, loss, batch, _, _ = SHAPES[shape]
    if lib == "pymlp":
        import pymlp  # noqa: F401  (import before the baseline)
    elif lib == "torch":
        import torch  # noqa: F401
    elif lib == "sklearn":
        import sklearn.neural_network  # noqa: F401
    X, y = make_data(sizes, loss, MEMORY_ROWS)
    reset = True
    try:  # forget make_data's float64 temporaries: reset the high-water
        # mark to the current resident set, which holds the data once
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        reset = False
    base = _status_bytes("VmRSS")
    model = Model(lib, sizes, loss, batch, threads)
    model.train_epoch(X, y)
    peak = _status_bytes("VmHWM")
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    item = 4
    return dict(model.info, peak_above_base=peak - base, base=base, hwm_reset=reset,
                data=X.nbytes + y.nbytes,
                params=n_params * item, grad=n_params * item,
                adam_state=2 * n_params * item,
                # forward outputs and deltas of one batch
                activations=2 * batch * sum(sizes[1:]) * item)


TASKS = {"train": task_train, "lecture": task_lecture,
         "fitcall": task_fitcall, "latency": task_latency,
         "throughput": task_throughput, "gemm": task_gemm,
         "memory": task_memory}


def worker(args):
    # Pinned to as many CPUs as threads asked for: thread settings are
    # requests that not every library honours (XLA, asked for one thread,
    # spent 1.4 s of CPU time per second of a wide run on two cores). The
    # last CPUs: the first takes more of the kernel's housekeeping (a
    # 1-8-8-1 epoch measured 7.3-8.5 us on CPU 0, 4.7-7.2 us on CPU 1).
    # run_worker has given the GEMM task one thread already.
    threads = args.threads
    if hasattr(os, "sched_setaffinity") and threads < (os.cpu_count() or 1):
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(allowed[-threads:]))
    result = TASKS[args.task](args.worker[0], args.worker[1], args.threads,
                              args.quick)
    print(json.dumps(result))


# -- the driver ----------------------------------------------------------

def run_worker(lib, shape, task, args):
    threads = 1 if task == "gemm" else args.threads
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        env[var] = str(threads)
    env["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen="
                        + ("false" if threads == 1 else "true")
                        + f" intra_op_parallelism_threads={threads}")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, shape,
           "--task", task, "--threads", str(threads)]
    if args.quick:
        cmd.append("--quick")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env,
                             timeout=600)
    except subprocess.TimeoutExpired:
        print(f"  ! {lib} {task} {shape}: timed out", file=sys.stderr)
        return None
    if out.returncode != 0 or not out.stdout.strip():
        tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"  ! {lib} {task} {shape} failed: {tail}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def step_flops(sizes, batch):
    """Multiply-adds x 2 of one training step: the forward product, the
    weight gradient, and the delta product (not needed for layer 1)."""
    total = 0
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        total += 2 * batch * a * b * (2 if l == 0 else 3)
    return total


def forward_flops(sizes, rows):
    """Multiply-adds x 2 of the forward pass of `rows` rows."""
    return sum(2 * rows * a * b for a, b in zip(sizes[:-1], sizes[1:]))


def measure(args, libs, log):
    """Every worker, alternating libraries; returns rows of
    (label, {lib: [results]}, flops per call or None) and the extras."""
    shapes = [s for s in (QUICK_SHAPES if args.quick else SHAPES)
              if not args.shapes or s in args.shapes]
    trainers = [lib for lib in libs if lib not in PREDICT_ONLY]
    rows, infos = [], {}

    def series(label, task, shape, flops, libs_here):
        results = {lib: [] for lib in libs}
        for r in range(args.repeats):
            for lib in libs_here:
                result = run_worker(lib, shape, task, args)
                if result is not None:
                    results[lib].append(result)
                    infos.setdefault(lib, result)
            log(f"  {label}: repeat {r + 1}/{args.repeats} done")
        rows.append((label, results, flops, (task, shape)))
        return results

    for shape in shapes:
        sizes, loss, batch, _, _ = SHAPES[shape]
        series(f"train {shape} {'-'.join(map(str, sizes))} batch {batch}",
               "train", shape, step_flops(sizes, batch), trainers)
    if "seed" in shapes:
        sizes = SHAPES["seed"][0]
        series(f"lecture loop {'-'.join(map(str, sizes))}, full batch of "
               f"{LECTURE_ROWS}, per epoch", "lecture", "seed",
               step_flops(sizes, LECTURE_ROWS), trainers)
        fitcall = series("pymlp fit(epochs=1) call, seed shape", "fitcall",
                         "seed", None, ["pymlp"])["pymlp"]
        rows.pop()  # a table of its own
    else:
        fitcall = []
    for shape in ("digits", "mnist"):
        if shape in shapes or not args.shapes:
            series(f"predict {shape}, 1 row per call (latency)", "latency",
                   shape, None, libs)
    for shape in ("digits", "mnist"):
        if shape in shapes or not args.shapes:
            series(f"predict {shape}, {THROUGHPUT_ROWS:,} rows per call",
                   "throughput", shape,
                   forward_flops(SHAPES[shape][0], THROUGHPUT_ROWS), libs)

    gemm = {}
    gemm_libs = [lib for lib in ("pymlp", "numpy", "torch") if lib in libs]
    for dtype in ("float32", "float64"):
        for r in range(1 if args.quick else args.repeats):
            for lib in gemm_libs:
                result = run_worker(lib, dtype, "gemm", args)
                if result is not None:
                    gemm.setdefault((lib, dtype), []).append(result)
        log(f"  gemm {dtype} done")

    memory = {}
    for lib in libs:
        if lib in ("sklearn", "jax") or lib in PREDICT_ONLY:
            continue
        result = run_worker(lib, "mnist", "memory", args)
        if result is not None:
            memory[lib] = result
    log("  memory done")
    return rows, infos, gemm, memory, fitcall


# -- the report ----------------------------------------------------------

def fmt_time(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _seconds(results):
    return [r["seconds"] for r in results]


def _median(results, key="seconds"):
    values = [r[key] for r in results if r.get(key) is not None]
    return statistics.median(values) if values else None


def build_tables(rows, libs, infos, gemm, memory, fitcall, threads):
    """Tables as (title, header, body rows, notes)."""
    tables = []
    others = [lib for lib in libs if lib != "pymlp"]
    header = (["benchmark"] + [f"{lib}" for lib in libs]
              + [f"{lib} / pymlp" for lib in others]
              + ["pymlp GFLOP/s", "pymlp spread"])
    body = []
    compiles = []
    for label, results, flops, _ in rows:
        med = {lib: _median(r) for lib, r in results.items()}
        base = med.get("pymlp")
        ratios = [f"{med[lib] / base:.2f}x" if med.get(lib) and base else "-"
                  for lib in others]
        gflops = f"{flops / base / 1e9:.1f}" if flops and base else "-"
        s = _seconds(results.get("pymlp") or [])
        spread = (f"{(max(s) - min(s)) / base:.0%}" if len(s) > 1 and base
                  else "-")
        body.append([label] + [fmt_time(med.get(lib)) for lib in libs]
                    + ratios + [gflops, spread])
        compile_time = _median(results.get("jax") or [], "compile")
        if compile_time is not None:
            compiles.append(f"{label.split(',')[0]} {compile_time:.2f} s")
    notes = [
        "ratios are other / pymlp: above 1x pymlp is faster",
        "pymlp GFLOP/s: the matrix-product FLOPs of a call (2 per "
        "multiply-add; a training step: forward + weight gradient + delta, "
        "none for the input's delta; a prediction of many rows: forward) "
        "/ pymlp's median time",
        "pymlp spread: (max - min) / median of pymlp's repeats",
    ]
    if compiles:
        notes.append("JAX: the whole loop jitted (lax.fori_loop, optax.adam)"
                     "; its compile time is left out of the table: first "
                     "call less one timed call, median: "
                     + "; ".join(compiles))
    if "onnxruntime" in libs:
        notes.append("onnxruntime: the network exported by pymlp.to_onnx, "
                     "CPU provider, intra-op threads as the others, "
                     "sequential execution; prediction only")
    tables.append(("Medians per training step or per predict call", header,
                   body, notes))

    if fitcall:
        call, epoch = _median(fitcall), _median(fitcall, "epoch")
        over = _median(fitcall, "overhead")
        s = _seconds(fitcall)
        tables.append((
            "pymlp fit(epochs=1) per call, seed shape 1-8-8-1, 100 rows, "
            "Adam", ["fit(epochs=1) call", "one epoch inside a long fit",
                     "per-call cost (difference)", "spread of calls"],
            [[fmt_time(call), fmt_time(epoch), fmt_time(over),
              f"{(max(s) - min(s)) / call:.0%}" if len(s) > 1 else "-"]],
            ["net.fit(X, y, epochs=1) with one pymlp.Adam reused, arrays "
             "already float32 and C-contiguous; the epoch from "
             "net.fit(X, y, epochs=20000) in the same process; medians "
             "over processes"]))

    gbody = []
    gemm_libs = [lib for lib in ("pymlp", "numpy", "torch")
                 if any(key[0] == lib for key in gemm)]
    names = {"pymlp": "pymlp", "numpy": "NumPy", "torch": "PyTorch"}
    for dtype in ("float32", "float64"):
        cells = [dtype]
        for lib in gemm_libs:
            results = gemm.get((lib, dtype))
            if not results:
                cells += ["-", "-"]
                continue
            g = statistics.median(r["gflops"] for r in results)
            frac = statistics.median(r["gflops"] / r["peak"]
                                     for r in results)
            cells += [f"{g:.1f}", f"{frac:.0%}"]
        peaks = [r["peak"] for lib in gemm_libs
                 for r in gemm.get((lib, dtype), [])]
        cells.append(f"{statistics.median(peaks):.1f}" if peaks else "-")
        gbody.append(cells)
    simd = next((r[0]["simd"] for r in gemm.values() if r), "?")
    blas = {lib: next((r["blas"] for (who, _), rs in gemm.items()
                       if who == lib for r in rs if r.get("blas")), None)
            for lib in ("numpy", "torch")}
    gheader = ["dtype"]
    for lib in gemm_libs:
        name = names[lib] + (f" ({blas[lib]})" if blas.get(lib) else "")
        gheader += [f"{name} GFLOP/s", f"{names[lib]} / peak"]
    gheader.append("peak GFLOP/s")
    tables.append((f"GEMM {GEMM_N} x {GEMM_N} x {GEMM_N}, one thread",
                   gheader, gbody, [
        "pymlp: pymlp._engine.gemm; NumPy: numpy.matmul with "
        "OPENBLAS_NUM_THREADS=1; PyTorch: torch.matmul with "
        "torch.set_num_threads(1); best of three products per process, "
        "median over processes",
        f"peak: independent vector FMAs (pymlp._engine.fma_peak at SIMD "
        f"level {simd}, ~0.3 s) timed in each process, GFLOP/s",
    ]))

    mbody = []
    for lib, m in memory.items():
        state = m["params"] + m["grad"] + m["adam_state"]
        added = m["peak_above_base"]
        need = m["data"] + state + m["activations"]
        mbody.append([lib, f"{m['data'] / 2**20:.1f}",
                      f"{state / 2**20:.1f}",
                      f"{m['activations'] / 2**20:.2f}",
                      f"{added / 2**20:.1f}",
                      f"{(m['data'] + added) / need:.2f}x",
                      f"{added / (state + m['activations']):.2f}x"])
    sizes, _, batch, _, _ = SHAPES["mnist"]
    reset = all(m.get("hwm_reset") for m in memory.values())
    tables.append((f"Peak memory of one training epoch, mnist shape, "
                   f"{MEMORY_ROWS:,} rows, batch {batch} (MiB)",
                   ["library", "data", "params + grad + Adam m, v",
                    "activations + deltas", "added by training",
                    "(data + added) / (data + state + activations)",
                    "added / (state + activations)"], mbody, [
        "added by training: VmHWM after the epoch less the resident set "
        "once the data exists"
        + (" (the high-water mark is reset there through "
           "/proc/self/clear_refs)" if reset else
           " (the high-water mark could not be reset: earlier peaks may "
           "hide the run's)")
        + "; a copy of the data would add about the data column",
        "the first ratio sets everything the run holds against what it "
        "needs; the second leaves the data out of both sides and so "
        "magnifies any overhead",
        "pymlp also keeps a parameter snapshot per epoch (to restore on "
        "divergence) and scratch per thread; torch counts its lazy "
        "initialisation of kernels and thread pools",
    ]))
    tables.append(target_table(rows, gemm, fitcall, threads))
    return tables


# (task, shape): [(library, at least this ratio other / pymlp)]
TARGETS = [
    (("lecture", "seed"), "lecture loop 1-8-8-1, full batch, per epoch",
     [("torch", 80), ("jax", 2)]),
    (("train", "digits"), "train digits 64-128-128-10, batch 64",
     [("torch", 5), ("jax", 1.5)]),
    (("train", "mnist"), "train mnist 784-256-256-10, batch 128",
     [("torch", 2), ("jax", 1.5)]),
    (("train", "wide"), "train wide 784-1024-1024-10, batch 256",
     [("torch", 1.3), ("jax", 1.2)]),
    (("train", "large"), "train large 2048-2048-2048-10, batch 256",
     [("torch", 1.2)]),
    (("latency", "digits"), "predict one row, digits", [("torch", 20)]),
    (("latency", "mnist"), "predict one row, mnist", [("torch", 20)]),
    (("throughput", "digits"), "predict 10,000 rows, digits",
     [("onnxruntime", 1.2), ("torch", 1.2)]),
    (("throughput", "mnist"), "predict 10,000 rows, mnist",
     [("onnxruntime", 1.2), ("torch", 1.2)]),
]


def target_table(rows, gemm, fitcall, threads):
    """The issue's targets against this run's medians: met, missed, or
    not measured (a library or shape left out). Where the work per call is
    known, also the rate pymlp would need to meet the target (the goal
    times the other library's rate) against the FMA peak of the cores in
    use: a target whose need is above the peak cannot be met."""
    by_key = {key: (results, flops) for _, results, flops, key in rows}
    one_core = [r["peak"] for r in gemm.get(("pymlp", "float32"), [])]
    peak = statistics.median(one_core) * threads if one_core else None
    body = []
    for key, label, goals in TARGETS:
        results, flops = by_key.get(key, ({}, None))
        base = _median(results.get("pymlp") or [])
        for lib, goal in goals:
            other = _median(results.get(lib) or [])
            need = "-"
            if base and other:
                ratio = other / base
                status = "met" if ratio >= goal else "missed"
                if flops:
                    needed = goal * flops / other / 1e9
                    need = f"{flops / base / 1e9:.1f} / {needed:.1f}"
                    if status == "missed" and peak and needed > peak:
                        status = "missed (needs more than the peak)"
                body.append([label, f">= {goal:g}x {lib}", f"{ratio:.2f}x",
                             need, status])
            else:
                body.append([label, f">= {goal:g}x {lib}", "-", need,
                             "not measured"])
    for dtype in ("float32", "float64"):
        ours = gemm.get(("pymlp", dtype))
        best = [statistics.median(r["gflops"] for r in gemm[(lib, dtype)])
                for lib in ("numpy", "torch") if gemm.get((lib, dtype))]
        label = f"GEMM {GEMM_N}^3 {dtype}, one core"
        if ours and best:
            ratio = statistics.median(r["gflops"] for r in ours) / max(best)
            rate = statistics.median(r["gflops"] for r in ours)
            body.append([label, ">= 1.0x the faster of NumPy, PyTorch",
                         f"{ratio:.2f}x", f"{rate:.1f} / {max(best):.1f}",
                         "met" if ratio >= 1.0 else "missed"])
        else:
            body.append([label, ">= 1.0x the faster of NumPy, PyTorch", "-",
                         "-", "not measured"])
    over = _median(fitcall, "overhead") if fitcall else None
    body.append(["pymlp fit(epochs=1) per-call cost, seed shape", "<= 10 us",
                 fmt_time(over), "-",
                 "not measured" if over is None
                 else "met" if over <= 10e-6 else "missed"])
    peak_note = (f"{peak:.1f} GFLOP/s ({threads} x one core's float32 FMA "
                 "peak from the GEMM table)" if peak else "not measured")
    return ("Targets", ["benchmark", "target", "measured",
                                   "GFLOP/s: pymlp / needed", "status"],
            body,
            ["measured: ratio other / pymlp of this run's medians (above "
             "1x pymlp is faster); for GEMM pymlp's GFLOP/s over the faster"
             " library's",
             "GFLOP/s: pymlp's rate on the row's matrix products, and the "
             "rate the target needs (goal x the other library's rate); "
             f"the peak of the cores in use is {peak_note}"])


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def header_lines(args, libs, infos, elapsed):
    build = infos.get("pymlp", {}).get("build", {})
    versions = [f"{lib} {infos[lib]['version']}" for lib in libs
                if lib in infos]
    if "torch" in infos:
        versions.append(f"torch Adam: {infos['torch'].get('adam')}")
    return [
        f"date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs, "
        f"{platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}",
        f"pymlp SIMD level: {build.get('simd', '?')} (detected "
        f"{build.get('simd_detected', '?')}), OpenMP: "
        f"{build.get('openmp', '?')}",
        f"threads: {args.threads} for every library (OMP_NUM_THREADS, "
        "OPENBLAS_NUM_THREADS, torch.set_num_threads, "
        "pymlp.set_num_threads, XLA_FLAGS), each process pinned to that "
        "many CPUs when the machine has more; GEMM on 1",
        f"versions: {', '.join(versions)}",
        f"mode: {'quick' if args.quick else 'default'}, {args.repeats} "
        f"repeats, medians over processes; run took {elapsed:.0f} s",
    ]


def render_text(tables, head):
    out = ["pymlp benchmark", ""] + head
    for title, header, body, notes in tables:
        widths = [max(len(str(r[i])) for r in [header] + body)
                  for i in range(len(header))]
        out += ["", title, ""]
        for r in [header] + body:
            out.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))))
        out += [f"  ({n})" for n in notes]
    return "\n".join(out) + "\n"


def render_markdown(tables, head, command):
    out = ["# pymlp benchmark results", "",
           f"Produced by `{command}`; see bench/README.md for what is "
           "measured and the caveats. Compare ratios within one run, not "
           "absolute times across machines.", ""]
    out += [f"- {line}" for line in head]
    for title, header, body, notes in tables:
        out += ["", f"## {title}", "",
                "| " + " | ".join(header) + " |",
                "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
        out += ["| " + " | ".join(map(str, r)) + " |" for r in body]
        out += [""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=None,
                        help="processes per library and benchmark "
                             "(default 5, quick 2)")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes only, fewer steps (< 2 min)")
    parser.add_argument("--markdown", metavar="FILE",
                        help="also write the tables as Markdown")
    parser.add_argument("--libs", nargs="+", choices=LIBRARIES,
                        help="only these libraries (pymlp is always run)")
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES),
                        help="only these training shapes")
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "SHAPE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=list(TASKS), default="train",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5

    start = time.perf_counter()
    load_start = load_average()

    def log(message):
        print(f"[{time.perf_counter() - start:5.0f} s]{message}",
              file=sys.stderr, flush=True)

    wanted = set(args.libs or LIBRARIES) | {"pymlp"}
    libs = [lib for lib in LIBRARIES if lib in wanted and all(
        importlib.util.find_spec(m) for m in MODULES[lib])]
    missing = [lib for lib in LIBRARIES if lib in wanted and lib not in libs]
    log(f" libraries: {', '.join(libs)}")
    if missing:
        log(f" left out, not installed: {', '.join(missing)}")
    rows, infos, gemm, memory, fitcall = measure(args, libs, log)
    elapsed = time.perf_counter() - start
    tables = build_tables(rows, libs, infos, gemm, memory, fitcall,
                          args.threads)
    head = header_lines(args, libs, infos, elapsed)
    if missing:
        head.append(f"left out (not installed): {', '.join(missing)}")
    head.append(f"load average (1, 5, 15 min): {load_start} at the start,"
                f" {load_average()} at the end")
    print(render_text(tables, head))
    if args.markdown:
        command = "python bench/compare.py " + " ".join(
            argv if argv is not None else sys.argv[1:])
        with open(args.markdown, "w") as f:
            f.write(render_markdown(tables, head, command.strip()))
        log(f" wrote {args.markdown}")


if __name__ == "__main__":
    main()
