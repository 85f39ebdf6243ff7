"""How pymlp behaves under faults, measured: Ctrl-C latency during long
full-batch fits, prediction speed with denormal weights and inputs, and
the cost of the per-epoch divergence snapshot.

    python bench/reliability.py            # ~1-2 min on 2 cores
    python bench/reliability.py --quick

Ctrl-C: a timer thread sends SIGINT to the process at a random moment of a
fit whose single full batch takes seconds; the latency is the time from
the signal to KeyboardInterrupt reaching the caller.

Denormals: the same network (relu, zero biases, so that denormal values
stay denormal through the layers) predicts once with its weights as drawn,
once with every weight scaled into the denormal range and once with
denormal inputs; the ratio of the median times shows what flushing them
to zero saves (values below 1.2e-38 in float32 would otherwise take a
microcode assist on every operation).
"""
import argparse
import os
import platform
import signal
import statistics
import threading
import time

import numpy as np

import pymlp

SHAPES = {  # name: (layer sizes, rows of the full batch)
    "digits": ([64, 128, 128, 10], 200_000),
    "mnist": ([784, 256, 256, 10], 40_000),
    "wide": ([784, 1024, 1024, 10], 12_000),
    "large": ([2048, 2048, 2048, 10], 6_000),
}


def interrupt_latency(sizes, rows, rng, trials):
    """Seconds from SIGINT to KeyboardInterrupt, one per trial, and the time
    of one full-batch step."""
    X = rng.standard_normal((rows, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], rows)
    net = pymlp.MLP(sizes, seed=0)
    start = time.perf_counter()
    net.fit(X, y, loss="cross_entropy", epochs=1)
    step = time.perf_counter() - start
    latencies = []
    for _ in range(trials):
        sent = []

        def send():
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(rng.uniform(0.2, 0.8) * step, send)
        timer.start()
        try:
            net.fit(X, y, loss="cross_entropy", epochs=100)
        except KeyboardInterrupt:
            latencies.append(time.perf_counter() - sent[0])
        timer.join()
    return step, latencies


def predict_times(net, X, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        net.predict(X)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def denormal_ratios(rng, repeats):
    # relu and zero biases: denormal values stay denormal through the
    # layers, as they do in a network whose weights decayed towards zero
    net = pymlp.MLP([64, 128, 128, 10], activation="relu",
                    init="glorot_uniform", seed=0)
    X = rng.standard_normal((2000, 64), dtype=np.float32)
    normal = predict_times(net, X, repeats)
    tiny = net.copy()
    tiny.params *= np.float32(1e-39)  # every weight denormal in float32
    denormal_weights = predict_times(tiny, X, repeats)
    denormal_inputs = predict_times(net, X * np.float32(1e-39), repeats)
    return normal, denormal_weights, denormal_inputs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; pymlp {pymlp.__version__}, "
          f"{pymlp.get_num_threads()} threads, {pymlp.build_info()['simd']}")
    trials = 3 if args.quick else 10
    print("\nCtrl-C during a full-batch fit (one batch = the whole data)")
    print(f"{'shape':8} {'rows':>8} {'one step':>9} {'latency median':>15}"
          f" {'max':>7}")
    for name, (sizes, rows) in SHAPES.items():
        if args.quick and name in ("wide", "large"):
            continue
        step, lat = interrupt_latency(sizes, rows, rng, trials)
        print(f"{name:8} {rows:8d} {step:8.2f}s {statistics.median(lat):14.3f}s"
              f" {max(lat):6.3f}s")
    print("\nPrediction with denormal numbers (digits network, relu, zero "
          "biases, 2000 rows, float32; median of repeats)")
    normal, weights, inputs = denormal_ratios(rng, 5 if args.quick else 21)
    print(f"normal weights and inputs {normal * 1e3:8.3f} ms")
    print(f"denormal weights          {weights * 1e3:8.3f} ms "
          f"({weights / normal:.2f}x)")
    print(f"denormal inputs           {inputs * 1e3:8.3f} ms "
          f"({inputs / normal:.2f}x)")


if __name__ == "__main__":
    main()
