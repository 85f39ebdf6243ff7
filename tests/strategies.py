"""Hypothesis strategies shared by the tests: values that an argument of a
given kind must refuse, the many forms one input array can take, and model
files (model_files): the bytes small real networks of both dtypes save,
mutated in the ways a loader meets (flipped, cut, inserted and appended
bytes, a wrong header length, header JSON values replaced by lists,
numbers, nested or deeply nested structures and huge integers, changed
architectures, shapes and offsets, weights changed, finite or not, under a
recomputed, valid checksum)."""
import hashlib
import json
import math
import os
import random
import struct
import tempfile
import warnings
from collections import namedtuple
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

import pymlp

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


# -- model files ----------------------------------------------------------


class Base(namedtuple("Base", "net raw")):
    """A network and the bytes it saves."""

    def __repr__(self):  # a failing example shows the network, not bytes
        return f"<file saved by {self.net!r}>"


def _saved(layer_sizes, **kwargs):
    net = pymlp.MLP(layer_sizes, seed=0, **kwargs)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.safetensors")
        net.save(path)
        with open(path, "rb") as f:
            return Base(net, f.read())


BASES = [
    _saved([3, 5, 4, 2], activation=["gelu", "tanh"],
           output_activation="sigmoid"),
    _saved([2, 3, 1], dtype="float64"),
    _saved([1, 1]),
    _saved([4, 6, 3], activation="step", output_activation="softplus",
           dtype="float64"),
]
ACTIVATIONS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh",
               "softplus", "gelu", "step"]
ITEMSIZE = {"float32": 4, "float64": 8}
ST_DTYPE = {4: "F32", 8: "F64"}  # by item size
LE_DTYPE = {4: "<f4", 8: "<f8"}

# JSON texts that json.dumps does not produce from Python values: drawn
# values hold the key, which dumps() replaces by the text
RAW_JSON = {
    "@deep": "[" * 5000 + "]" * 5000,  # deeper than Python's recursion limit
    "@deep_object": '{"a":' * 3000 + "1" + "}" * 3000,
    "@nested": "[" * 50 + "]" * 50,
    "@long_int": "9" * 5000,  # longer than int() accepts from text
    "@unclosed": "[1, 2",
    "@nan": "NaN",
}


def dumps(value):
    text = json.dumps(value)
    for key, raw in RAW_JSON.items():
        text = text.replace(json.dumps(key), raw)
    return text


def split(raw):
    """The header (parsed) and the bytes after it."""
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def join(header, data):
    text = dumps(header).encode("utf-8")
    return struct.pack("<Q", len(text)) + text + data


def with_checksum(header, data):
    """The file with its checksum recomputed as the format defines it:
    over the tensors' bytes in layer order (W1, b1, W2, ...), wherever the
    header places them (tensors it describes badly count as empty)."""
    def layer_order(name):
        return (int(name[1:]) if name[1:].isdigit() else 0, name[:1] != "W")
    sha = hashlib.sha256()
    for name in sorted((k for k in header if k != "__metadata__"),
                       key=layer_order):
        try:
            begin, end = header[name]["data_offsets"]
            sha.update(data[begin:end])
        except (TypeError, ValueError, KeyError):
            pass
    header["__metadata__"]["sha256"] = sha.hexdigest()
    return join(header, data)


BIG = [2**31, 2**32, 2**40, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64,
       2**64 + 1, 10**40]
SIZES = list(range(-2, 10)) + BIG
SHIFTS = list(range(-16, 17)) + BIG
NASTY = [
    None, True, False, 0, -1, 1, 7, 0.5, -0.0, 1e308, float("nan"),
    float("inf"), "", "x", "\u00e9\u2603", "F32", "F64", "float32",
    "float64", "pymlp", "1", "relu", "[3, 5]", '["relu"]', "[1, 1]", [],
    [1], [3, 5], [3, 5, 4, 2], [1.0, 1], [True, 1], [-1, 2], ["relu"],
    ["relu", "relu", "identity"], [[]], [[[[1]]]], [None, "a"], [2**63, 2],
    [2**40, 2**40], {}, {"": []}, {"a": {"b": [1, {"c": None}]}},
    {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
] + BIG + list(RAW_JSON)
FLOATS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5, 1e-45, 5e-324,
          3.4e38, 1e308]


def tensor_names(header):
    return sorted(k for k in header if k != "__metadata__")


# Each edit takes a random.Random and a file's bytes, and returns the
# edited bytes.

def unchanged(rng, raw):
    return raw


def byte_edits(rng, raw):
    """1 to 3 of: a byte flip, a cut, an insertion, a deletion, appended
    bytes, a new header length."""
    raw = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["flip", "cut", "insert", "delete", "append",
                           "length"])
        at = rng.randrange(len(raw) or 1)
        if kind == "flip" and raw:
            raw[at] ^= rng.randint(1, 255)
        elif kind == "cut":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = rng.randbytes(rng.randint(1, 16))
        elif kind == "delete":
            del raw[at:at + rng.randint(1, 16)]
        elif kind == "append":
            raw += rng.randbytes(rng.randint(1, 16))
        elif kind == "length":
            n = (rng.randrange(2**64) if rng.random() < 0.5
                 else max(len(raw) - 8 + rng.choice(SHIFTS), 0) % 2**64)
            raw[:8] = struct.pack("<Q", n)
    return bytes(raw)


def value_edits(rng, raw):
    """A value of the header, or the header itself, replaced by a list,
    number, string, (deeply) nested structure...; the JSON texts inside
    the metadata replaced the same way; keys removed."""
    header, data = split(raw)
    meta = header["__metadata__"]
    where = rng.choice(["header", "entry", "field", "metadata",
                        "meta_value", "meta_text", "remove"])
    value = rng.choice(NASTY)
    if where == "header":
        header = value
    elif where == "entry":
        header[rng.choice(tensor_names(header))] = value
    elif where == "field":
        field = rng.choice(["dtype", "shape", "data_offsets"])
        header[rng.choice(tensor_names(header))][field] = value
    elif where == "metadata":
        header["__metadata__"] = value
    elif where == "meta_value":
        meta[rng.choice(sorted(meta))] = value
    elif where == "meta_text":  # the JSON inside layer_sizes, activations
        meta[rng.choice(sorted(meta))] = dumps(value)
    else:
        del header[rng.choice(sorted(header))]
    return join(header, data)


def tensor_edits(rng, raw):
    """A tensor's shape changed to small, negative or huge integers, or one
    of its offsets shifted."""
    header, data = split(raw)
    entry = header[rng.choice(tensor_names(header))]
    if rng.random() < 0.5:
        entry["shape"] = rng.choices(SIZES, k=rng.randint(0, 3))
    else:
        entry["data_offsets"][rng.randint(0, 1)] += rng.choice(SHIFTS)
    return join(header, data)


def architecture_edits(rng, raw):
    """New layer_sizes (small, zero, negative or huge), with activations of
    the right count and tensor entries consistent with them, and, when the
    tensors are small, random tensor bytes under a valid checksum: some of
    these files load."""
    header, data = split(raw)
    meta = header["__metadata__"]
    widths = rng.choices(SIZES, k=rng.randint(1, 5))
    meta["layer_sizes"] = json.dumps(widths)
    meta["activations"] = json.dumps(rng.choices(ACTIVATIONS,
                                                 k=len(widths) - 1))
    itemsize = ITEMSIZE[meta["dtype"]]
    header = {"__metadata__": meta}
    offset = 0
    for l, (n_in, n_out) in enumerate(zip(widths, widths[1:]), start=1):
        for name, shape in [(f"W{l}", [n_in, n_out]), (f"b{l}", [n_out])]:
            end = offset + itemsize * math.prod(shape)
            header[name] = {"dtype": ST_DTYPE[itemsize],
                            "shape": shape, "data_offsets": [offset, end]}
            offset = end
    if 0 <= offset <= 4096 and rng.random() < 0.5:
        data = rng.randbytes(offset)
        if rng.random() < 0.5:  # finite values, so that the file loads
            values = np.frombuffer(data, LE_DTYPE[itemsize])
            data = np.nan_to_num(values).tobytes()
    return with_checksum(header, data)


def weight_edits(rng, raw):
    """A weight set to NaN, an infinity, a finite value or any bit pattern,
    under a recomputed, valid checksum."""
    header, data = split(raw)
    itemsize = ITEMSIZE[header["__metadata__"]["dtype"]]
    i = rng.randrange(len(data) // itemsize) * itemsize
    if rng.random() < 0.5:
        with np.errstate(over="ignore"):  # 1e308 is inf in float32
            new = (np.array([rng.choice(FLOATS)]).astype(LE_DTYPE[itemsize])
                   .tobytes())
    else:
        new = rng.randbytes(itemsize)
    return with_checksum(header, data[:i] + new + data[i + itemsize:])


EDITS = [unchanged, byte_edits, value_edits, tensor_edits,
         architecture_edits, weight_edits]
_bases, _edits = st.sampled_from(BASES), st.sampled_from(EDITS)
_seeds = st.integers(0, 2**32 - 1)


@st.composite
def model_files(draw):
    """(base, content): a file saved by a small real network (base.net,
    base.raw) and a mutation of its bytes, one time in five followed by
    byte edits.

    Hypothesis draws the network, the kind of edit and a seed for the
    edit's details: three draws an example. Drawing each detail costs
    Hypothesis several times what the loader spends on a file, and the
    fuzz test runs 10,000 examples."""
    base = draw(_bases)
    edit = draw(_edits)
    rng = random.Random(draw(_seeds))
    content = edit(rng, base.raw)
    if rng.random() < 0.2:
        content = byte_edits(rng, content)
    return base, content
