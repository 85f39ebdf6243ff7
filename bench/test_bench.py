"""pytest-benchmark timings of pymlp alone: `pytest bench/ --benchmark-only`.
For side-by-side ratios against other libraries, run bench/compare.py."""
import numpy as np
import pytest

import pymlp

SHAPES = {
    "seed": ([1, 8, 8, 1], "mse", 100),
    "digits": ([64, 128, 128, 10], "cross_entropy", 64),
    "mnist": ([784, 256, 256, 10], "cross_entropy", 128),
    "wide": ([784, 1024, 1024, 10], "cross_entropy", 256),
}


def data(sizes, loss, rows):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, sizes[0])).astype(np.float32)
    if loss == "cross_entropy":
        return X, rng.integers(0, sizes[-1], rows)
    return X, (X ** 2).astype(np.float32)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_training_step(benchmark, shape):
    sizes, loss, batch = SHAPES[shape]
    X, y = data(sizes, loss, batch)
    net, opt = pymlp.MLP(sizes, seed=0), pymlp.Adam(1e-3)
    benchmark(net.fit, X, y, loss=loss, optimizer=opt, epochs=1)


@pytest.mark.parametrize("shape", ["seed", "digits", "mnist"])
def test_epoch(benchmark, shape):
    sizes, loss, batch = SHAPES[shape]
    X, y = data(sizes, loss, batch * 20)
    net, opt = pymlp.MLP(sizes, seed=0), pymlp.Adam(1e-3)
    benchmark(net.fit, X, y, loss=loss, optimizer=opt, epochs=1,
              batch_size=batch, seed=0)


@pytest.mark.parametrize("rows", [1, 10000])
def test_predict_digits(benchmark, rows):
    sizes, _, _ = SHAPES["digits"]
    X, _ = data(sizes, "cross_entropy", rows)
    net = pymlp.MLP(sizes, seed=0)
    benchmark(net.predict, X)
