"""Side-by-side benchmark of pymlp against PyTorch, plain NumPy and
scikit-learn: float32, Adam, ReLU hidden layers, the same data and thread
count for every library, in one run.

    python bench/compare.py [--threads 2] [--repeats N] [--quick]
                            [--markdown bench/RESULTS.md]

Every measurement runs in a fresh process (``compare.py --worker LIB SHAPE
--task TASK`` prints one JSON line), so that two OpenMP runtimes never spin
against each other and each library starts cold the same way; the libraries
alternate A B C D A B C D over the repeats, and the tables give medians over
repeats and ratios other / pymlp (above 1: pymlp is faster). PyTorch and
scikit-learn are optional: a library that does not import is left out.
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
LIBRARIES = ("pymlp", "torch", "numpy", "sklearn")
MODULES = {"pymlp": "pymlp", "torch": "torch", "numpy": "numpy",
           "sklearn": "sklearn"}
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
    in order, divided by k; the median over a few such epochs."""
    sizes, loss, batch, steps, quick_steps = SHAPES[shape]
    k = quick_steps if quick else steps
    X, y = make_data(sizes, loss, k * batch)
    model = Model(lib, sizes, loss, batch, threads)
    model.train_epoch(X, y)  # warm-up: allocation, first-touch, lazy init
    times = []
    for _ in range(2 if quick else 3):
        start = time.perf_counter()
        model.train_epoch(X, y)
        times.append((time.perf_counter() - start) / k)
    return dict(model.info, seconds=statistics.median(times), steps=k,
                samples=times)


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
    if lib == "pymlp":
        def run():
            _engine.gemm(A, False, B, False, C, 1)
        version = pymlp.__version__
    else:
        def run():
            np.matmul(A, B, out=C)
        version = np.__version__
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
    return {"version": version, "seconds": min(times),
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


TASKS = {"train": task_train, "latency": task_latency,
         "throughput": task_throughput, "gemm": task_gemm,
         "memory": task_memory}


def worker(args):
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


def measure(args, libs, log):
    """Every worker, alternating libraries; returns rows of
    (label, {lib: [samples]}, flops per call or None) and the extras."""
    shapes = [s for s in (QUICK_SHAPES if args.quick else SHAPES)
              if not args.shapes or s in args.shapes]
    rows, infos = [], {}

    def series(label, task, shape, flops, libs_here):
        samples = {lib: [] for lib in libs}
        for r in range(args.repeats):
            for lib in libs_here:
                result = run_worker(lib, shape, task, args)
                if result is not None:
                    samples[lib].append(result["seconds"])
                    infos.setdefault(lib, result)
            log(f"  {label}: repeat {r + 1}/{args.repeats} done")
        rows.append((label, samples, flops))

    for shape in shapes:
        sizes, loss, batch, _, _ = SHAPES[shape]
        series(f"train {shape} {'-'.join(map(str, sizes))} batch {batch}",
               "train", shape, step_flops(sizes, batch), libs)
    series("predict digits, 1 row per call (latency)", "latency", "digits",
           None, libs)
    for shape in ("digits", "mnist"):
        if shape in shapes or not args.shapes:
            series(f"predict {shape}, {THROUGHPUT_ROWS:,} rows per call",
                   "throughput", shape, None, libs)

    gemm = {}
    for dtype in ("float32", "float64"):
        for r in range(1 if args.quick else args.repeats):
            for lib in ("pymlp", "numpy"):
                result = run_worker(lib, dtype, "gemm", args)
                if result is not None:
                    gemm.setdefault((lib, dtype), []).append(result)
        log(f"  gemm {dtype} done")

    memory = {}
    for lib in libs:
        if lib == "sklearn":
            continue
        result = run_worker(lib, "mnist", "memory", args)
        if result is not None:
            memory[lib] = result
    log("  memory done")
    return rows, infos, gemm, memory


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


def build_tables(rows, libs, infos, gemm, memory):
    """Tables as (title, header, body rows, notes)."""
    tables = []
    others = [lib for lib in libs if lib != "pymlp"]
    header = (["benchmark"] + [f"{lib}" for lib in libs]
              + [f"{lib} / pymlp" for lib in others]
              + ["pymlp GFLOP/s", "pymlp spread"])
    body = []
    for label, samples, flops in rows:
        med = {lib: statistics.median(s) if s else None
               for lib, s in samples.items()}
        base = med.get("pymlp")
        ratios = [f"{med[lib] / base:.2f}x" if med.get(lib) and base else "-"
                  for lib in others]
        gflops = f"{flops / base / 1e9:.1f}" if flops and base else "-"
        s = samples.get("pymlp") or []
        spread = (f"{(max(s) - min(s)) / base:.0%}" if len(s) > 1 and base
                  else "-")
        body.append([label] + [fmt_time(med.get(lib)) for lib in libs]
                    + ratios + [gflops, spread])
    tables.append(("Medians per training step or per predict call", header,
                   body, [
        "ratios are other / pymlp: above 1x pymlp is faster",
        "pymlp GFLOP/s: the step's matrix-product FLOPs (2 per multiply-add"
        ", forward + weight gradient + delta, none for the input's delta) "
        "/ pymlp's median time",
        "pymlp spread: (max - min) / median of pymlp's repeats",
    ]))

    gbody = []
    for dtype in ("float32", "float64"):
        cells = [dtype]
        for lib in ("pymlp", "numpy"):
            results = gemm.get((lib, dtype))
            if not results:
                cells += ["-", "-", "-"]
                continue
            g = statistics.median(r["gflops"] for r in results)
            p = statistics.median(r["peak"] for r in results)
            frac = statistics.median(r["gflops"] / r["peak"]
                                     for r in results)
            cells += [f"{g:.1f}", f"{p:.1f}", f"{frac:.0%}"]
        gbody.append(cells)
    simd = next((r[0]["simd"] for r in gemm.values() if r), "?")
    tables.append((f"GEMM {GEMM_N} x {GEMM_N} x {GEMM_N}, one thread",
                   ["dtype", "pymlp GFLOP/s", "peak", "pymlp / peak",
                    "NumPy GFLOP/s", "peak", "NumPy / peak"], gbody, [
        "pymlp: pymlp._engine.gemm; NumPy: numpy.matmul with "
        "OPENBLAS_NUM_THREADS=1; best of three products per process, "
        "median over processes",
        f"peak: independent vector FMAs (pymlp._engine.fma_peak at SIMD "
        f"level {simd}, ~0.3 s) timed in the same process, GFLOP/s",
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
    return tables


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
        "pymlp.set_num_threads); GEMM on 1",
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

    def log(message):
        print(f"[{time.perf_counter() - start:5.0f} s]{message}",
              file=sys.stderr, flush=True)

    wanted = set(args.libs or LIBRARIES) | {"pymlp"}
    libs = [lib for lib in LIBRARIES if lib in wanted and (
        lib == "pymlp" or importlib.util.find_spec(MODULES[lib]))]
    log(f" libraries: {', '.join(libs)}")
    rows, infos, gemm, memory = measure(args, libs, log)
    elapsed = time.perf_counter() - start
    tables = build_tables(rows, libs, infos, gemm, memory)
    head = header_lines(args, libs, infos, elapsed)
    print(render_text(tables, head))
    if args.markdown:
        command = "python bench/compare.py " + " ".join(
            argv if argv is not None else sys.argv[1:])
        with open(args.markdown, "w") as f:
            f.write(render_markdown(tables, head, command.strip()))
        log(f" wrote {args.markdown}")


if __name__ == "__main__":
    main()
