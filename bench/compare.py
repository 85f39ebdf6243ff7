"""Side-by-side benchmark of pymlp against PyTorch, plain NumPy and
scikit-learn, float32, same data and thread count, in one run.

Each measurement runs in its own process (two OpenMP runtimes in one
process spin against each other on a small machine), and the libraries
alternate A B A B over the repeats; the table gives medians and ratios
(other / pymlp). Usage:

    python bench/compare.py [--threads 2] [--repeats 5] [--quick]
                            [--markdown bench/RESULTS.md]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (layer sizes, loss, batch size, rows in the timed run)
SHAPES = {
    "seed": ([1, 8, 8, 1], "mse", 100, 100),
    "digits": ([64, 128, 128, 10], "cross_entropy", 64, 64 * 40),
    "mnist": ([784, 256, 256, 10], "cross_entropy", 128, 128 * 20),
    "wide": ([784, 1024, 1024, 10], "cross_entropy", 256, 256 * 6),
    "large": ([2048, 2048, 2048, 10], "cross_entropy", 256, 256 * 3),
}
LIBRARIES = ["pymlp", "torch", "numpy", "sklearn"]
# pymlp runs many steps per fit call (its per-call validation would
# otherwise dominate the tiny shapes, where the others loop in Python)
STEPS_PER_CALL = {"seed": 2000, "digits": 400, "mnist": 100, "wide": 12,
                  "large": 6}


def make_data(sizes, loss, rows, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, sizes[0])).astype(np.float32)
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], rows)
    else:
        X *= 5
        y = (X ** 2 + rng.standard_normal((rows, 1))).astype(np.float32)
    return X, y


def time_steps(run_epoch, n_batches, epochs):
    """Median seconds per training step over `epochs` timed epochs."""
    run_epoch()  # warm up
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        run_epoch()
        times.append((time.perf_counter() - start) / n_batches)
    return statistics.median(times)


def worker_train(lib, shape, threads, epochs):
    sizes, loss, batch, rows = SHAPES[shape]
    X, y = make_data(sizes, loss, rows)
    n_batches = -(-rows // batch)
    if lib == "pymlp":
        import pymlp
        pymlp.set_num_threads(threads)
        net = pymlp.MLP(sizes, seed=0)
        opt = pymlp.Adam(1e-3)
        # many steps per call, as the other libraries loop in one process
        per_call = max(1, STEPS_PER_CALL[shape] // n_batches)
        return time_steps(lambda: net.fit(X, y, loss=loss, optimizer=opt,
                                          epochs=per_call, batch_size=batch,
                                          shuffle=False),
                          n_batches * per_call, epochs)
    if lib == "numpy":
        sys.path.insert(0, HERE)
        from numpy_mlp import NumpyMLP
        net = NumpyMLP(sizes, loss)

        def epoch():
            for s in range(0, rows, batch):
                net.step(X[s:s + batch], y[s:s + batch])
        return time_steps(epoch, n_batches, epochs)
    if lib == "torch":
        import torch
        torch.set_num_threads(threads)
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        try:
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        except (RuntimeError, TypeError):
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = (torch.nn.CrossEntropyLoss() if loss == "cross_entropy"
                     else torch.nn.MSELoss())
        Xt = torch.from_numpy(X)
        yt = torch.from_numpy(y)

        def epoch():
            for s in range(0, rows, batch):
                opt.zero_grad()
                out = criterion(model(Xt[s:s + batch]), yt[s:s + batch])
                out.backward()
                opt.step()
        return time_steps(epoch, n_batches, epochs)
    if lib == "sklearn":
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        kind = MLPClassifier if loss == "cross_entropy" else MLPRegressor
        net = kind(hidden_layer_sizes=sizes[1:-1], solver="adam", batch_size=batch,
                   learning_rate_init=1e-3, shuffle=False, random_state=0)
        target = y if loss == "cross_entropy" else y.ravel()
        classes = list(range(sizes[-1]))
        if kind is MLPClassifier:
            return time_steps(lambda: net.partial_fit(X, target, classes=classes),
                              n_batches, epochs)
        return time_steps(lambda: net.partial_fit(X, target), n_batches, epochs)
    raise ValueError(lib)


def worker_predict(lib, rows, threads):
    """Seconds per predict call of `rows` rows on the digits network."""
    import numpy as np
    sizes = SHAPES["digits"][0]
    X = np.random.default_rng(0).standard_normal((rows, sizes[0])).astype(np.float32)
    calls = max(10, 20000 // rows)
    if lib == "pymlp":
        import pymlp
        pymlp.set_num_threads(threads)
        net = pymlp.MLP(sizes, seed=0)
        run = net.predict
    elif lib == "torch":
        import torch
        torch.set_num_threads(threads)
        model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 10)).eval()

        def run(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()
    elif lib == "numpy":
        sys.path.insert(0, HERE)
        from numpy_mlp import NumpyMLP
        run = NumpyMLP(sizes, "cross_entropy").predict
    else:
        from sklearn.neural_network import MLPClassifier
        net = MLPClassifier(hidden_layer_sizes=sizes[1:-1], max_iter=1)
        net.partial_fit(X[:10] if rows >= 10 else np.repeat(X, 10, 0),
                        np.arange(10), classes=list(range(10)))
        run = net.predict_proba
    run(X)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            run(X)
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def worker_gemm(lib, dtype_name):
    """GFLOP/s of a 2048^3 product on one thread and the FMA peak."""
    import numpy as np
    import pymlp
    from pymlp import _engine
    n = 2048
    dtype = np.dtype(dtype_name)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(dtype)
    B = rng.standard_normal((n, n)).astype(dtype)
    C = np.empty((n, n), dtype)
    if lib == "pymlp":
        def run():
            _engine.gemm(A, False, B, False, C, 1)
    else:
        def run():
            np.matmul(A, B, out=C)
    run()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    flops = _engine.fma_peak(int(4e7 if dtype == np.float32 else 4e7), dtype)
    peak = flops / (time.perf_counter() - start)
    return {"gflops": 2 * n ** 3 / min(times) / 1e9, "peak": peak / 1e9,
            "simd": pymlp.build_info()["simd"]}


def worker_memory(threads):
    """Peak resident memory of a pymlp training run (mnist shape, 10,000
    rows) above the process after import and data, against what the run
    needs: parameters, gradient, epoch snapshot, Adam's two moments and
    activations (the data is excluded on both sides)."""
    import numpy as np
    import pymlp
    pymlp.set_num_threads(threads)
    sizes, loss, batch, _ = SHAPES["mnist"]
    X, y = make_data(sizes, loss, 10000)
    net = pymlp.MLP(sizes, seed=0)

    def status(key):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    try:  # reset the peak so that the data's construction is not counted
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    base = status("VmRSS")
    net.fit(X, y, loss=loss, optimizer=pymlp.Adam(), epochs=1, batch_size=batch)
    peak = status("VmHWM")
    P = net.n_params
    needed = 4 * (5 * P + 2 * batch * sum(sizes) + 8 * 10000 // 4)
    return {"peak_above_base": peak - base, "needed": needed}


def run_worker(args):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    if args[0] == "gemm":
        env["OPENBLAS_NUM_THREADS"] = "1"
    cmd = [sys.executable, __file__, "--worker"] + [str(a) for a in args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if out.returncode != 0:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def available(lib):
    module = {"pymlp": "pymlp", "torch": "torch", "numpy": "numpy",
              "sklearn": "sklearn"}[lib]
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--markdown")
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "train":
            result = worker_train(rest[0], rest[1], int(rest[2]), int(rest[3]))
        elif kind == "predict":
            result = worker_predict(rest[0], int(rest[1]), int(rest[2]))
        elif kind == "gemm":
            result = worker_gemm(rest[0], rest[1])
        else:
            result = worker_memory(int(rest[0]))
        print(json.dumps(result))
        return

    class Args(list):
        threads = args.threads

    libs = [lib for lib in LIBRARIES if available(lib)]
    shapes = ["seed", "digits", "mnist"] if args.quick else list(SHAPES)
    rows = []
    for shape in shapes:
        epochs = 5 if shape in ("seed", "digits", "mnist") else 3
        samples = {lib: [] for lib in libs}
        for _ in range(args.repeats):
            for lib in libs:  # A B A B: alternate libraries in each repeat
                if lib == "sklearn" and shape in ("wide", "large"):
                    continue
                r = run_worker(Args(["train", lib, shape, args.threads, epochs]))
                if r is not None:
                    samples[lib].append(r)
        rows.append((f"train {shape} (per step)", samples))
    for n in (1, 10000):
        samples = {lib: [] for lib in libs}
        for _ in range(args.repeats):
            for lib in libs:
                r = run_worker(Args(["predict", lib, n, args.threads]))
                if r is not None:
                    samples[lib].append(r)
        rows.append((f"predict digits, {n} row(s) per call", samples))
    gemm = {}
    for dtype in ("float32", "float64"):
        for lib in ("pymlp", "numpy"):
            gemm[(lib, dtype)] = run_worker(Args(["gemm", lib, dtype]))
    memory = run_worker(Args(["memory", args.threads]))
    report(rows, libs, gemm, memory, args)


def fmt(seconds):
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e3:.2f} ms"


def report(rows, libs, gemm, memory, args):
    import numpy
    import pymlp
    info = pymlp.build_info()
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"pymlp {pymlp.__version__}", f"numpy {numpy.__version__}"]
    for lib in ("torch", "sklearn"):
        if lib in libs:
            mod = __import__(lib)
            versions.append(f"{lib} {mod.__version__}")
    lines = [f"# pymlp benchmark, {time.strftime('%Y-%m-%d')}", "",
             f"Machine: {cpu}, {os.cpu_count()} cores; pymlp SIMD level "
             f"{info['simd']}, OpenMP {info['openmp']}; {args.threads} threads "
             f"for every library; float32; medians of {args.repeats} runs, "
             "each library in its own process, alternating.",
             f"Versions: {', '.join(versions)}.", "",
             "| benchmark | " + " | ".join(libs) + " | "
             + " | ".join(f"{lib} / pymlp" for lib in libs if lib != "pymlp") + " |",
             "|---" * (2 * len(libs)) + "|"]
    for name, samples in rows:
        med = {lib: statistics.median(s) if s else None for lib, s in samples.items()}
        ratios = [f"{med[lib] / med['pymlp']:.2f}x" if med[lib] and med["pymlp"] else "-"
                  for lib in libs if lib != "pymlp"]
        lines.append(f"| {name} | " + " | ".join(fmt(med[lib]) for lib in libs)
                     + " | " + " | ".join(ratios) + " |")
    lines += ["", "GEMM 2048 x 2048 x 2048, one thread, as a fraction of the FMA "
              "peak measured in the same process (independent vector FMAs at "
              "pymlp's SIMD level):", "",
              "| dtype | pymlp GFLOP/s | pymlp / peak | NumPy GFLOP/s | NumPy / peak |",
              "|---|---|---|---|---|"]
    for dtype in ("float32", "float64"):
        p, n = gemm[("pymlp", dtype)], gemm[("numpy", dtype)]
        if p and n:
            lines.append(f"| {dtype} | {p['gflops']:.1f} | {p['gflops'] / p['peak']:.0%} "
                         f"| {n['gflops']:.1f} | {n['gflops'] / n['peak']:.0%} |")
    if memory:
        lines += ["", f"Training memory (mnist shape, 10,000 rows, batch 128): peak "
                  f"resident set {memory['peak_above_base'] / 2**20:.1f} MiB above the "
                  f"process after import and data, for "
                  f"{memory['needed'] / 2**20:.1f} MiB of parameters, gradient, "
                  "epoch snapshot, Adam moments, activations and the shuffling "
                  f"order ({memory['peak_above_base'] / memory['needed']:.2f}x)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
