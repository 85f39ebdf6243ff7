"""Checks and conversions at the boundary of the public API.

Everything the compiled engine reads passes through here first: arrays
become C-contiguous in the network's dtype (one copy at most, none when the
input already fits), and every problem is a ValueError or TypeError that
names the argument and the values involved."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from pymlp import _engine

ACTIVATIONS = _engine.ACTIVATIONS  # name -> the engine's code
LOSSES = _engine.LOSSES
# the targets each loss admits (others take any finite value)
_TARGET_RANGES = {LOSSES["binary_cross_entropy"]: (0, 1),
                  LOSSES["binary_log_loss"]: (0, 1),
                  LOSSES["poisson"]: (0, np.inf)}
DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
# Beyond 2**48 parameters (1 PiB of float32) no machine holds the network,
# and products of its sizes would soon overflow the engine's int64 offsets.
MAX_PARAMS = 2 ** 48


def show(value):
    """repr(value) for an error message, shortened: an int's repr can run
    to thousands of digits, and past 4300 Python refuses to write it."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except ValueError:  # it holds an int of over 4300 digits
        return f"a {type(value).__name__} too long to print"
    return text if len(text) <= 80 else f"{text[:60]}...{text[-15:]}"


def check_choice(value, table, what):
    """The code of `value` in `table`, or a ValueError listing the
    supported names."""
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"The {what} {value!r} is not supported. "
                         f"Supported {what}s are {sorted(table)}.")
    return table[value]


def check_dtype(dtype):
    """The native float32 or float64 dtype that `dtype` names in either byte
    order (">f4" is float32): the engine computes in the machine's order.
    None is refused rather than read as NumPy's default, float64."""
    try:
        dt = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"dtype {show(dtype)} is not supported; "
                         f"use one of {sorted(DTYPES)}")
    return DTYPES[dt.name]


def check_layer_sizes(layer_sizes):
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError("layer_sizes must be a sequence of positive integers,"
                        f" got {layer_sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least an input and an output "
                         f"width, got {sizes!r}")
    for s in sizes:
        if (not isinstance(s, numbers.Integral) or isinstance(s, bool)
                or s < 1):
            raise ValueError("layer_sizes must be positive integers, got "
                             f"{show(sizes)}")
    sizes = tuple(int(s) for s in sizes)
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    if n_params > MAX_PARAMS:
        raise ValueError(f"layer_sizes {show(list(sizes))} give a network "
                         f"too large: over 2**{n_params.bit_length() - 1} "
                         "parameters, where the limit is 2**48")
    return sizes


def check_int(value, name, minimum=1):
    """value as an int >= minimum; anything else, a float, a bool or a
    string included, is a ValueError."""
    if type(value) is int and value >= minimum:  # the common case, fast
        return value
    if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
            or value < minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, "
                         f"got {show(value)}")
    return int(value)


def check_real(value, name, low=None, high=None, low_open=False,
               high_open=False):
    """value as a finite float within [low, high] (an open end excludes its
    bound). TypeError when it is not a real number (bools are not);
    ValueError when it is NaN, infinite, out of range, or too large to be a
    float (10**400)."""
    if type(value) is float:  # the common case: no ABC check
        number = value
    elif not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {show(value)}")
    else:
        try:
            number = float(value)
        except OverflowError:  # an int or a Fraction beyond float's range
            number = math.inf if value > 0 else -math.inf
    bad = not math.isfinite(number)
    if low is not None:
        bad |= number <= low if low_open else number < low
    if high is not None:
        bad |= number >= high if high_open else number > high
    if bad:
        lo = "(" if low_open or low is None else "["
        hi = ")" if high_open or high is None else "]"
        bounds = (f"{lo}{'-inf' if low is None else low}, "
                  f"{'inf' if high is None else high}{hi}")
        raise ValueError(f"{name} must be a finite number in {bounds}, "
                         f"got {show(value)}")
    return number


def _as_numeric_array(a, name):
    """a as an ndarray of booleans, integers or floats (booleans count as 0
    and 1, as in NumPy's arithmetic); TypeError for anything else."""
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{name} could not be read as a numeric array: "
                        f"{e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got an array of "
                        f"dtype {arr.dtype}")
    return arr


def check_finite(arr, name):
    """ValueError when the float array arr holds NaN or infinity (a value
    too large for arr's dtype became infinity in the conversion)."""
    if not _engine.all_finite(arr):
        what = "NaN" if np.isnan(arr).any() else "infinity"
        raise ValueError(f"{name} contains {what}; every value must be "
                         f"finite and within {arr.dtype}'s range")


def _ready(arr, dtype):
    """Whether the engine reads arr as it is: dtype, C-contiguous, and
    aligned to its items (an array made from a buffer at an odd offset,
    as deserialised data can be, is not; C may not load from it)."""
    return (arr.dtype == dtype and arr.flags.c_contiguous
            and arr.flags.aligned)


def _converted(arr, dtype):
    """arr as a C-contiguous, aligned array of dtype. Values beyond dtype's
    range become infinity, which check_finite then reports as a ValueError,
    so NumPy's overflow warning would only repeat it."""
    if _ready(arr, dtype):
        return arr  # already right: no copy, nothing to overflow
    with np.errstate(over="ignore"):
        return np.require(arr, dtype=dtype, requirements=["C", "A"])


def as_vector(a: ArrayLike, length: int, dtype: DTypeLike,
              name: str) -> NDArray[Any]:
    """a as a C-contiguous 1-D array of `length` values of dtype."""
    arr = _as_numeric_array(a, name)
    if arr.shape != (length,):
        raise ValueError(f"{name} must have shape ({length},), got shape "
                         f"{arr.shape}")
    return _converted(arr, dtype)


def as_inputs(X, width, dtype, name="X"):
    """X as a C-contiguous (n_samples, width) array of dtype, no copy when
    it already is one."""
    if not (type(X) is np.ndarray and _ready(X, dtype)):
        X = _as_numeric_array(X, name)
    if X.ndim != 2:
        hint = " (use X.reshape(-1, 1) for a single feature)" \
            if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got "
                         f"shape {X.shape}{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples")
    if X.shape[1] != width:
        raise ValueError(f"{name} has {X.shape[1]} features, but the network"
                         f" expects {width}")
    X = _converted(X, dtype)
    check_finite(X, name)
    return X


def as_targets(y, n_samples, width, loss_code, dtype, name="y"):
    """y as the engine reads it for this loss: int64 labels (n_samples,)
    for cross-entropy, else a C-contiguous (n_samples, width) array."""
    y = _as_numeric_array(y, name)
    if loss_code == LOSSES["cross_entropy"]:
        return _as_labels(y, n_samples, width, name)
    if y.ndim == 1 and width == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != width:
        raise ValueError(f"{name} must have shape ({n_samples}, {width}) to "
                         f"match the network's output, got {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but {name} has "
                         f"{y.shape[0]}")
    y = _converted(y, dtype)
    check_finite(y, name)
    if loss_code in _TARGET_RANGES:
        low, high = _TARGET_RANGES[loss_code]
        if y.min() < low or y.max() > high:
            loss = next(k for k, v in LOSSES.items() if v == loss_code)
            raise ValueError(f"{name} must lie in [{low}, {high}] for "
                             f"{loss}, got values from {y.min()} to "
                             f"{y.max()}")
    return y


def as_sample_weight(sample_weight, n_samples, dtype,
                     name="sample_weight", zero_sum=False):
    """The rows' weights as a C-contiguous (n_samples,) array of dtype:
    finite, non-negative, with a positive sum (or a zero one: zero_sum)."""
    w = _as_numeric_array(sample_weight, name)
    if w.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},), got "
                         f"{w.shape}")
    w = _converted(w, dtype)
    check_finite(w, name)
    if w.min() < 0 or not (w.sum() > 0 or zero_sum):
        raise ValueError(f"{name} must be non-negative with a positive sum,"
                         f" got values from {w.min()} to {w.max()}")
    return w


def _as_labels(y, n_samples, n_classes, name):
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels of shape "
                         f"({n_samples},) for cross_entropy, got shape "
                         f"{y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but {name} has "
                         f"{y.shape[0]}")
    if y.dtype.kind == "f":
        check_finite(np.ascontiguousarray(y, dtype=np.float64), name)
        if not np.array_equal(y, np.round(y)):
            raise ValueError(f"{name} must hold integer class labels for "
                             "cross_entropy; it has non-integer values")
    if y.dtype.kind == "b":
        raise TypeError(f"{name} must hold integer class labels, got "
                        "booleans")
    low, high = y.min(), y.max()
    if low < 0 or high >= n_classes:
        raise ValueError(f"{name} has class labels from {low} to {high}, but"
                         f" the network has {n_classes} outputs (labels "
                         f"0..{n_classes - 1})")
    return _converted(y, np.dtype(np.int64))
