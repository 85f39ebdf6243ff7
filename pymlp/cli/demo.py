"""`pymlp demo`: reproduces the lecture's experiments."""
import argparse
import sys
import time
from typing import Any

import numpy as np

import pymlp


def _square_task(seed, epochs):
    """y = x^2 + noise, MLP [1, 8, 8, 1] relu, Adam(lr=0.1), MSE, full
    batch: the lecture's first experiment."""
    rng = np.random.default_rng(seed)
    x = 5 * rng.standard_normal((100, 1))
    y = x ** 2 + rng.standard_normal((100, 1))
    net = pymlp.MLP([1, 8, 8, 1], activation="relu", seed=seed)
    print("1. y = x^2 + noise: 100 samples x = 5 randn, MLP [1, 8, 8, 1] "
          "relu, Adam(lr=0.1), MSE, full batch")
    every = max(1, epochs // 10)
    start = time.perf_counter()
    history = net.fit(x, y, loss="mse", optimizer=pymlp.Adam(lr=0.1),
                      epochs=epochs, shuffle=False)
    seconds = time.perf_counter() - start
    for epoch in range(0, epochs, every):
        print(f"   epoch {epoch:6d}  training loss {history.loss[epoch]:.6f}")
    print(f"   epoch {epochs:6d}  training loss {history.loss[-1]:.6f}")
    print(f"   trained {epochs} epochs in {seconds * 1e3:.1f} ms "
          f"({seconds / epochs * 1e6:.2f} us per epoch)")
    x_new = 5 * rng.standard_normal((5, 1))
    y_new = net.predict(x_new)
    print("   new points:      x      x^2   prediction")
    for xi, pi in zip(x_new[:, 0], y_new[:, 0]):
        print(f"              {xi:8.4f} {xi * xi:8.4f}   {pi:8.4f}")
    return x, y, net, history


def _abs_task(seed, epochs):
    """|x - 1| with [1, 2, 1] relu: exactly representable, with
    W1 = [[1, -1]], b1 = [-1, 1], W2 = [[1], [1]], b2 = [0]."""
    print("2. y = |x - 1|: MLP [1, 2, 1] relu, Adam(lr=0.01), MSE")
    exact = pymlp.MLP([1, 2, 1], activation="relu")
    exact.weights[0][...] = [[1, -1]]
    exact.biases[0][...] = [-1, 1]
    exact.weights[1][...] = [[1], [1]]
    exact.biases[1][...] = [0]
    x = np.linspace(-4, 6, 201).reshape(-1, 1)
    y = np.abs(x - 1)
    # some seeds start with a dead unit; take the best of a few starts
    best = None
    for attempt in range(5):
        net = pymlp.MLP([1, 2, 1], activation="relu", seed=seed + attempt)
        history = net.fit(x, y, optimizer=pymlp.Adam(lr=0.01),
                          epochs=epochs, shuffle=False)
        if best is None or history.loss[-1] < best[1].loss[-1]:
            best = (net, history)
    net, history = best
    grid = np.linspace(-4, 6, 1001).reshape(-1, 1)
    error = np.abs(net.predict(grid) - np.abs(grid - 1)).max()
    print(f"   final training loss {history.loss[-1]:.3g}, max |error| on "
          f"[-4, 6] {error:.3g}")
    print(f"   hand-set exact network's loss {exact.loss(x, y):.3g}")
    for name, learned, truth in [
            ("W1", net.weights[0], exact.weights[0]),
            ("b1", net.biases[0], exact.biases[0]),
            ("W2", net.weights[1], exact.weights[1]),
            ("b2", net.biases[1], exact.biases[1])]:
        shown = np.round(learned.astype(np.float64), 3).tolist()
        print(f"   {name}: learned {shown!s:28s} exact {truth.tolist()}")
    print("   (other weights can be exact too: units swapped or scaled, or, "
          "on a bounded\n   input range, a unit that never switches off "
          "standing in for a linear term)")


def _plot(path, x, y, net, history):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib: pip install 'pymlp[plot]'",
              file=sys.stderr)
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    grid = np.linspace(x.min(), x.max(), 400).reshape(-1, 1)
    left.scatter(x[:, 0], y[:, 0], s=8, label="data")
    left.plot(grid[:, 0], net.predict(grid)[:, 0], color="C1", label="MLP")
    left.set_xlabel("x")
    left.legend()
    right.semilogy(history.loss)
    right.set_xlabel("epoch")
    right.set_ylabel("training loss (MSE)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


def demo(args: argparse.Namespace) -> None:
    info = pymlp.build_info()
    print(f"pymlp {pymlp.__version__}: SIMD {info['simd']}, OpenMP "
          f"{'on' if info['openmp'] else 'off'}, {info['num_threads']} "
          f"thread(s), seed {args.seed}")
    x, y, net, history = _square_task(args.seed, args.epochs)
    _abs_task(args.seed, args.epochs)
    if args.plot:
        _plot(args.plot, x, y, net, history)


def add_parser(commands: Any) -> None:
    run = commands.add_parser("demo", help="train the lecture's networks")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--epochs", type=int, default=10000)
    run.add_argument("--plot", metavar="FILE.png",
                     help="draw the fit and the loss curve (matplotlib)")
    run.set_defaults(handler=demo)
