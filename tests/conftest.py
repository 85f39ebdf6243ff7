import numpy as np
import pytest

import pymlp


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def make_targets(rng, loss, n, width):
    """Random targets of the kind `loss` takes."""
    if loss == "cross_entropy":
        return rng.integers(0, width, n)
    if loss in ("binary_cross_entropy", "binary_log_loss"):
        return rng.uniform(0, 1, (n, width))
    if loss == "poisson":
        return rng.poisson(1.5, (n, width)).astype(float)
    return rng.standard_normal((n, width))


@pytest.fixture(params=["generic", "avx2", "avx512"])
def simd(request):
    """Each SIMD level the machine supports, restored afterwards."""
    from pymlp import _engine
    before = _engine.simd_level()
    got = _engine.set_simd(request.param)
    if got != request.param:
        _engine.set_simd(before)
        pytest.skip(f"this CPU has no {request.param}")
    yield got
    _engine.set_simd(before)


__all__ = ["pymlp"]
