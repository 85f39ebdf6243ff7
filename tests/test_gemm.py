"""The engine's matrix product against NumPy: every SIMD level this CPU
has, both dtypes, every transpose, odd sizes; bit-identical across thread
counts."""
import itertools

import numpy as np
import pytest

import pymlp
from pymlp import _engine

SIZES = [1, 7, 17, 63, 65, 257]
CASES = [(m, n, k) for m, n, k in itertools.product(SIZES, SIZES, SIZES)
         if (m * 7 + n * 3 + k) % 5 == 0] + [(300, 600, 700), (513, 40, 900)]
# the direct path: every register block (4 and 1 rows; whole, half and
# quarter vectors and single columns, whose widths depend on the level and
# the dtype: every N up to 33 meets each tail), B^T copied row-major when
# it is small (K deep or N wide), and the dot products of a B^T too large
# to copy (1 x 300 x 500)
CASES += [(m, n, 9) for m in (1, 5) for n in range(1, 34)]
CASES += [(5, 16 * 8 + 16 + 8 + 4 + 3, 9), (1, 300, 500), (2, 5, 1000),
          (3, 2100, 3), (1, 10, 40), (3, 12, 50), (2, 6, 33)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_product_matches_numpy(simd, dtype, rng):
    eps = np.finfo(dtype).eps
    for (M, N, K), (ta, tb) in itertools.product(
            CASES, itertools.product([False, True], repeat=2)):
        A = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
        B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
        C = np.full((M, N), np.nan, dtype)
        _engine.gemm(A, ta, B, tb, C, 1)
        A64, B64 = A.astype(np.float64), B.astype(np.float64)
        expect = (A64.T if ta else A64) @ (B64.T if tb else B64)
        bound = 4 * K * eps * (np.abs(A64).max() * np.abs(B64).max())
        assert np.abs(C - expect).max() <= bound, (simd, M, N, K, ta, tb)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_product_is_bit_identical_for_any_thread_count(simd, dtype, rng):
    for M, N, K in [(300, 600, 700), (600, 40, 500), (40, 900, 300)]:
        A = rng.standard_normal((M, K)).astype(dtype)
        B = rng.standard_normal((N, K)).astype(dtype)
        one, two = np.empty((M, N), dtype), np.empty((M, N), dtype)
        _engine.gemm(A, False, B, True, one, 1)
        _engine.gemm(A, False, B, True, two, 2)
        np.testing.assert_array_equal(one, two)


def test_gradients_bit_identical_for_one_and_two_threads(rng):
    X = rng.standard_normal((256, 64))
    y = rng.integers(0, 10, 256)
    results = []
    for threads in (1, 2):
        net = pymlp.MLP([64, 256, 256, 10], seed=0, n_threads=threads)
        results.append(net.loss_and_flat_grad(X, y, loss="cross_entropy"))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_prediction_bit_identical_for_one_and_two_threads(rng):
    X = rng.standard_normal((3000, 64)).astype(np.float32)
    outputs = []
    for threads in (1, 2):
        net = pymlp.MLP([64, 256, 256, 10], seed=0, n_threads=threads)
        outputs.append(net.predict(X))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_simd_levels_are_reported():
    info = pymlp.build_info()
    assert info["simd"] in ("generic", "avx2", "avx512")
    assert isinstance(info["openmp"], bool)
    assert _engine.set_simd("generic") == "generic"
    _engine.set_simd(info["simd_detected"])
    assert _engine.simd_level() == info["simd_detected"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_level_kernel_matches_the_portable_kernel(simd, dtype, rng):
    # Each level's own micro-kernel (hand-written for AVX2) against the
    # portable one of ukernel.inc compiled for the same level: the same
    # multiply-adds in the same order, the same bits where the compiler
    # fuses the portable kernel's multiply-adds (the optimised build), a
    # rounding apart where it does not (the sanitizer build). Odd sizes give
    # edge tiles, several K blocks, B read in place and packed, and A read
    # in place by rows and by columns (N of one sliver, 7) and packed.
    eps = np.finfo(dtype).eps
    for (M, N, K), (ta, tb) in itertools.product(
            [(67, 45, 300), (301, 203, 517), (13, 1000, 97), (6, 16, 1025),
             (67, 7, 300)],
            itertools.product([False, True], repeat=2)):
        A = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
        B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
        own, portable = np.empty((M, N), dtype), np.empty((M, N), dtype)
        _engine.gemm(A, ta, B, tb, own, 1)
        before = _engine.set_portable_kernels(True)
        try:
            _engine.gemm(A, ta, B, tb, portable, 1)
        finally:
            _engine.set_portable_kernels(before)
        bound = 2 * K * eps * np.abs(A).max() * np.abs(B).max()
        assert np.abs(own - portable).max() <= bound, (simd, M, N, K, ta, tb)
