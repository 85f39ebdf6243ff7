"""What bounds a one-row prediction: the time to read the network's
parameters once, against pymlp's predict, NumPy's chain of matrix-vector
products (its BLAS's gemv) and PyTorch's eval-mode forward, on one thread,
in one process, alternating, medians.

A row's forward pass does one multiply-add per weight, so it cannot run
faster than the weights stream in from the cache level that holds them:
the digits network's 0.16 MB fit in a core's L2, the mnist network's
1.08 MB do not. The read is timed as NumPy's dot product of the parameter
buffer with itself (its BLAS's sdot: one pass of vector loads over the
same bytes).

    python bench/one_row.py [--rounds 9]
"""
import argparse
import os
import platform
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

import pymlp  # noqa: E402
from pymlp import _engine  # noqa: E402

SHAPES = {"digits": [64, 128, 128, 10], "mnist": [784, 256, 256, 10]}


def per_call(fn, seconds=0.2):
    """Median seconds per call over 5 blocks of calls."""
    fn()
    start = time.perf_counter()
    fn()
    calls = max(1, int(seconds / 5 / max(time.perf_counter() - start,
                                         1e-7)))
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def contenders(sizes):
    net = pymlp.MLP(sizes, activation="relu", seed=0, n_threads=1)
    x = np.random.default_rng(1).random((1, sizes[0]), dtype=np.float32)
    Ws, bs = net.weights, net.biases

    def numpy_forward():
        a = x
        for l, (W, b) in enumerate(zip(Ws, bs)):
            a = a @ W + b
            if l < len(Ws) - 1:
                np.maximum(a, 0, out=a)
        return a

    np.testing.assert_allclose(numpy_forward(), net.predict(x), rtol=1e-4,
                               atol=1e-5)
    params = net.params
    found = {"read params once": lambda: np.dot(params, params),
             "pymlp predict": lambda: net.predict(x),
             "numpy gemv chain": numpy_forward}
    try:
        import torch
    except ImportError:
        return net, found
    torch.set_num_threads(1)
    layers = []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        lin = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if l < len(Ws) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).eval()

    def torch_forward():
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()

    found["torch forward"] = torch_forward
    return net, found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    print(f"{platform.processor() or platform.machine()}, one thread, "
          f"pinned to one CPU; pymlp SIMD {_engine.simd_level()}; medians "
          f"of {args.rounds} alternating rounds")
    for name, sizes in SHAPES.items():
        net, found = contenders(sizes)
        times = {k: [] for k in found}
        for _ in range(args.rounds):
            for k, fn in found.items():
                times[k].append(per_call(fn))
        mb = net.params.nbytes / 1e6
        read = statistics.median(times["read params once"])
        print(f"\n{name} {'-'.join(map(str, sizes))}: parameters "
              f"{mb:.2f} MB")
        for k, ts in times.items():
            t = statistics.median(ts)
            print(f"  {k:18s} {t * 1e6:8.2f} us  {t / read:5.2f}x the read"
                  f"  ({mb * 1e6 / t / 1e9:6.1f} GB/s of parameters)")


if __name__ == "__main__":
    main()
