"""pytest-benchmark benchmarks of pymlp alone (float32, ReLU, Adam), on the
shapes of bench/compare.py:

    pip install pytest-benchmark
    pytest bench/ --benchmark-only [--benchmark-save=NAME]
    pytest bench/ --benchmark-only --benchmark-compare   # against a save

- train_step: one fit call on exactly one batch (one Adam update), so it
  includes what every fit call costs on the Python side;
- train_epoch: one fit call over an epoch of k batches (shuffled), the
  training loop as it runs in practice; divide by k for a step;
- predict: 1,000 rows per call for each shape, plus the one-row latency
  and 10,000-row throughput on the digits and mnist networks.

The "large" shape (2048-2048-2048-10) runs only with PYMLP_BENCH_LARGE=1.
The whole file takes well under two minutes on two cores.
"""
import os

import numpy as np
import pytest

pymlp = pytest.importorskip("pymlp")
pytest.importorskip("pytest_benchmark")

from compare import SHAPES, make_data  # noqa: E402  (bench/ is on sys.path)

LARGE = os.environ.get("PYMLP_BENCH_LARGE") == "1"
SHAPE_PARAMS = [
    pytest.param(name, marks=pytest.mark.skipif(
        name == "large" and not LARGE,
        reason="set PYMLP_BENCH_LARGE=1 for the large shape"))
    for name in SHAPES
]
EPOCH_BATCHES = {"seed": 100, "digits": 30, "mnist": 20, "wide": 8,
                 "large": 3}


def network(shape):
    sizes, loss, batch, _, _ = SHAPES[shape]
    return pymlp.MLP(sizes, activation="relu", seed=0), sizes, loss, batch


def describe(benchmark, shape, **extra):
    sizes, loss, batch, _, _ = SHAPES[shape]
    benchmark.extra_info.update(layers="-".join(map(str, sizes)), loss=loss,
                                batch_size=batch,
                                threads=pymlp.get_num_threads(), **extra)


@pytest.mark.parametrize("shape", SHAPE_PARAMS)
def test_train_step(benchmark, shape):
    net, sizes, loss, batch = network(shape)
    X, y = make_data(sizes, loss, batch)
    opt = pymlp.Adam(lr=1e-3)

    def step():
        net.fit(X, y, loss=loss, optimizer=opt, epochs=1, batch_size=batch,
                shuffle=False)

    step()  # warm-up
    describe(benchmark, shape, steps_per_call=1)
    benchmark(step)
    assert opt.steps > 1


@pytest.mark.parametrize("shape", SHAPE_PARAMS)
def test_train_epoch(benchmark, shape):
    net, sizes, loss, batch = network(shape)
    k = EPOCH_BATCHES[shape]
    X, y = make_data(sizes, loss, k * batch)
    opt = pymlp.Adam(lr=1e-3)

    def epoch():
        return net.fit(X, y, loss=loss, optimizer=opt, epochs=1,
                       batch_size=batch, shuffle=True, seed=0)

    epoch()
    describe(benchmark, shape, steps_per_call=k, rows=k * batch)
    history = benchmark(epoch)
    assert np.isfinite(history.loss[-1])


@pytest.mark.parametrize("shape", SHAPE_PARAMS)
def test_predict(benchmark, shape):
    net, sizes, loss, _ = network(shape)
    X, _ = make_data(sizes, loss, 1000, seed=2)
    net.predict(X)
    describe(benchmark, shape, rows=1000)
    out = benchmark(net.predict, X)
    assert out.shape == (1000, sizes[-1])


def test_predict_latency_digits(benchmark):
    """One row, shape (1, 64), per call from Python."""
    net, sizes, loss, _ = network("digits")
    x, _ = make_data(sizes, loss, 1, seed=2)
    net.predict(x)
    describe(benchmark, "digits", rows=1)
    out = benchmark(net.predict, x)
    assert out.shape == (1, 10)


@pytest.mark.parametrize("shape", ["digits", "mnist"])
def test_predict_throughput(benchmark, shape):
    net, sizes, loss, _ = network(shape)
    X, _ = make_data(sizes, loss, 10_000, seed=2)
    net.predict(X)
    describe(benchmark, shape, rows=10_000)
    out = benchmark(net.predict, X)
    assert out.shape == (10_000, sizes[-1])
