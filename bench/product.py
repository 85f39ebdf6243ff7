"""The 2048^3 product on one core: pymlp against NumPy (OpenBLAS) and
PyTorch (MKL or its own BLAS), alternating, in one process.

    python bench/product.py [--n 2048] [--rounds 7] [--dtype float32 ...]
    python bench/product.py --pymlp-path OTHER_CHECKOUT   (adds "pymlp@other")

Threads are set to one before the libraries load (OMP, OpenBLAS and MKL
environment variables, torch.set_num_threads, pymlp.set_num_threads).
Each round times every contender once, in turn, so that the machine's
load affects all alike; the medians and ratios to the faster peer are
printed, with the load average before and after: of the wall time,
and of the calling thread's CPU time (all run on the calling thread with
one thread), which time slices given to other processes do not inflate.""" 
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def load_pymlp_engine(path, name):
    """The compiled engine of the checkout at `path`, under `name`."""
    import glob
    so = glob.glob(os.path.join(path, "pymlp", "_engine.*.so"))[0]
    spec = importlib.util.spec_from_file_location(name, so)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--pymlp-path", default=None)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()

    import pymlp
    from pymlp import _engine
    pymlp.set_num_threads(1)
    engines = {"pymlp": _engine}
    if args.pymlp_path:
        # pymlp._engine must not be imported twice under one name
        engines["pymlp@other"] = load_pymlp_engine(args.pymlp_path,
                                                   "pymlp._engine")
    torch = None
    if not args.no_torch:
        import torch
        torch.set_num_threads(1)
    print(f"load average before: {os.getloadavg()}, simd "
          f"{_engine.simd_level()}, torch {torch and torch.__version__}")
    n = args.n
    flops = 2.0 * n ** 3
    rng = np.random.default_rng(0)
    for dtype in args.dtype:
        A = rng.standard_normal((n, n)).astype(dtype)
        B = rng.standard_normal((n, n)).astype(dtype)
        C = np.empty((n, n), dtype)
        runs = {}
        for name, eng in engines.items():
            runs[name] = (lambda e=eng: e.gemm(A, False, B, False, C, 1))
        runs["numpy"] = lambda: np.matmul(A, B, out=C)
        if torch is not None:
            tA, tB = torch.from_numpy(A), torch.from_numpy(B)
            tC = torch.from_numpy(C)
            runs["torch"] = lambda: torch.matmul(tA, tB, out=tC)
        times = {name: [] for name in runs}
        cpu = {name: [] for name in runs}
        for name, run in runs.items():  # warm up
            run()
        for _ in range(args.rounds):
            for name, run in runs.items():
                t0, c0 = time.perf_counter(), time.thread_time()
                run()
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.thread_time() - c0)
        print(f"{dtype} {n}^3, {args.rounds} rounds, medians of wall time "
              f"and of the thread's CPU time:")
        for label, table in (("wall", times), ("cpu", cpu)):
            med = {name: statistics.median(t) for name, t in table.items()}
            best = min(med[p] for p in ("numpy", "torch") if p in med)
            for name, t in med.items():
                print(f"  {label:4s} {name:12s} {t * 1e3:8.1f} ms "
                      f"{flops / t / 1e9:7.1f} GFLOP/s  {best / t:5.3f}x the "
                      f"faster peer  (min {min(table[name]) * 1e3:.1f} ms)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
