"""Hypothesis strategies shared by the tests: values that an argument of a
given kind must refuse, and the many forms one input array can take."""
import warnings
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

# When a test fails, Hypothesis's pytest plugin imports this module to write
# a patch with the failing example; its import of libcst raises a
# DeprecationWarning (from mypy_extensions) that the suite's warnings-as-
# errors would turn into an internal error of the whole pytest run, hiding
# the failure. Imported here first, with that warning silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst is not installed: the plugin skips it too
        pass

# Values with no integer meaning: every integer argument refuses them
# with a ValueError (a bool is not a count, nor is 2.0).
non_integers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from([np.float64(2.0), np.bool_(True), 2 + 0j, b"2"]),
)


def integers_below(minimum):
    """Integers an argument with this minimum refuses (a ValueError)."""
    return st.integers(max_value=minimum - 1)


# Values that are not real numbers: a real-valued argument refuses them
# with a TypeError.
non_reals = st.one_of(
    st.text(max_size=3),
    st.none(),
    st.lists(st.floats(allow_nan=False), max_size=2),
    st.complex_numbers(),
    st.sampled_from([b"1", object(), np.array([1.0, 2.0])]),
)

# Real numbers that no real-valued argument accepts (a ValueError): NaN,
# the infinities, and numbers beyond float's range, which float() itself
# cannot convert (it raises OverflowError).
bad_reals = st.one_of(
    st.sampled_from([float("nan"), float("inf"), -float("inf"), np.nan,
                     np.float32("inf"), -np.float64("inf")]),
    st.integers(min_value=2 ** 1024).flatmap(
        lambda n: st.sampled_from([n, -n, Fraction(3 * n, 2)])),
)


def positive_reals_with_bad_ones():
    """Real numbers refused by an argument that must be > 0 (ValueError):
    bad_reals, zero and the negative numbers."""
    return st.one_of(bad_reals, st.just(0), st.just(0.0),
                     st.floats(max_value=-1e-300, allow_infinity=False),
                     st.integers(max_value=-1))


# Dtypes of an input array that the library reads as numbers: both byte
# orders of both float types, integers of every width and sign, float16,
# and booleans (read as 0 and 1, as NumPy's arithmetic reads them).
input_dtypes = st.sampled_from([
    ">f4", "<f4", ">f8", "<f8", "=f2", "int8", ">i2", "<i4", "int64",
    "uint8", ">u8", "uint64", "bool"])

# How an input reaches the library besides a C-contiguous native array.
layouts = st.sampled_from([
    "c", "fortran", "strided", "reversed", "read-only", "list", "tuple"])


def as_layout(X, layout):
    """X (2-D) in the given layout, with the same values."""
    if layout == "c":
        return np.ascontiguousarray(X)
    if layout == "fortran":
        return np.asfortranarray(X)
    if layout == "strided":  # every other column of a wider array
        wide = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
        wide[:, ::2] = X
        return wide[:, ::2]
    if layout == "reversed":  # negative strides
        return np.ascontiguousarray(X[::-1, ::-1])[::-1, ::-1]
    if layout == "read-only":
        X = np.array(X)
        X.flags.writeable = False
        return X
    if layout == "list":
        return X.tolist()
    if layout == "tuple":
        return tuple(tuple(row) for row in X.tolist())
    raise ValueError(f"unknown layout {layout!r}")


def small_counts(shape):
    """Arrays of small non-negative integers (0..100), exactly
    representable in every input dtype; cast them to one to get the same
    numbers in another form."""
    return st.lists(st.integers(0, 100), min_size=int(np.prod(shape)),
                    max_size=int(np.prod(shape))).map(
        lambda v: np.array(v, dtype=np.int64).reshape(shape))
