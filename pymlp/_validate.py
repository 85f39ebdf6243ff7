"""Checks and conversions at the boundary of the public API.

Everything the compiled engine reads passes through here first: arrays
become C-contiguous in the network's dtype (one copy at most, none when the
input already fits), and every problem is a ValueError or TypeError that
names the argument and the values involved."""
import numbers

import numpy as np

from pymlp import _engine

ACTIVATIONS = {
    "identity": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4,
    "softplus": 5, "gelu": 6, "step": 7,
}
LOSSES = {
    "mse": 0, "mae": 1, "huber": 2, "cross_entropy": 3,
    "binary_cross_entropy": 4,
}
DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}


def check_choice(value, table, what):
    """The code of `value` in `table`, or a ValueError listing the
    supported names."""
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"The {what} {value!r} is not supported. "
                         f"Supported {what}s are {sorted(table)}.")
    return table[value]


def check_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not supported; "
                         f"use one of {sorted(DTYPES)}")
    return dt


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
                             f"{sizes!r}")
    return tuple(int(s) for s in sizes)


def check_int(value, name, minimum=1):
    if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
            or value < minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, "
                         f"got {value!r}")
    return int(value)


def check_real(value, name, low=None, high=None, low_open=False,
               high_open=False):
    """A finite real within [low, high] (an open end excludes its bound)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        bounds = (f"{lo}{'-inf' if low is None else low}, "
                  f"{'inf' if high is None else high}{hi}")
        raise ValueError(f"{name} must be a finite number in {bounds}, "
                         f"got {value!r}")
    return value


def _as_numeric_array(a, name):
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
    if not _engine.all_finite(arr):
        what = "NaN" if np.isnan(arr).any() else "infinity"
        raise ValueError(f"{name} contains {what}; every value must be "
                         "finite")


def as_inputs(X, width, dtype, name="X"):
    """X as a C-contiguous (n_samples, width) array of dtype, no copy when
    it already is one."""
    if not (type(X) is np.ndarray and X.dtype == dtype
            and X.flags.c_contiguous):
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
    if X.dtype != dtype or not X.flags.c_contiguous:
        X = np.ascontiguousarray(X, dtype=dtype)
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
    y = np.ascontiguousarray(y, dtype=dtype)
    check_finite(y, name)
    if loss_code == LOSSES["binary_cross_entropy"]:
        if y.min() < 0 or y.max() > 1:
            raise ValueError(f"{name} must lie in [0, 1] for "
                             f"binary_cross_entropy, got values from "
                             f"{y.min()} to {y.max()}")
    return y


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
    return np.ascontiguousarray(y, dtype=np.int64)
