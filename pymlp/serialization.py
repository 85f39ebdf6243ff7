"""Model files: safetensors, the ML ecosystem's data-only weights format.

Layout (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length N, N bytes of JSON describing each tensor
(dtype, shape, byte range), then the raw little-endian tensor bytes. pymlp
stores W1, b1, ..., WL, bL (W[l] of shape (n[l-1], n[l])) and puts the
architecture, the activations, the dtype, a format version and a SHA-256 of
the tensor bytes in the header's __metadata__. A file may also hold a face
of the network (a scikit-learn estimator): its kind and its fields, as
JSON, in the metadata. Loading parses JSON and copies bytes: no code is
ever executed, it reads no more than the header describes, and every
field is checked before a network is built."""
import contextlib
import hashlib
import importlib
import json
import math
import os
import re
import reprlib
import struct
import tempfile

import numpy as np

from pymlp._validate import ACTIVATIONS, DTYPES
from pymlp.network import MLP

FORMAT = "pymlp"
FORMAT_VERSION = 1
ST_DTYPES = {"float32": "F32", "float64": "F64"}
MAX_HEADER = 1 << 24  # a pymlp header is a few kB; refuse absurd lengths
TEMP_SUFFIX = ".pymlp-tmp"
# The faces a file may hold: kind -> (module, class). The class rebuilds
# itself from the network and its fields with `_from_file(net, fields)`.
KINDS = {"MLPClassifier": ("pymlp.estimators", "MLPClassifier"),
         "MLPRegressor": ("pymlp.estimators", "MLPRegressor")}


def save(net, path, kind=None, fields=None):
    """Write a network to a safetensors file, atomically.

    The bytes go to a temporary file ``.{name}.{pid}.{random}.pymlp-tmp``
    in the same directory, which is flushed to disk and renamed over
    `path`, so a crash or Ctrl-C leaves either the old file or the new. A
    temporary file left by a writer that was killed is removed by the next
    `save` or `load` of the same path.

    Parameters
    ----------
    net : MLP
    path : str or os.PathLike
    kind : str or None
        The face the file holds (a key of KINDS), with its `fields`: a
        dict that JSON can write.
    """
    path = os.fsdecode(path)
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {sorted(KINDS)}")
    _remove_stale_temps(path)
    tensors = []
    for W, b in zip(net.weights, net.biases):
        tensors += [W, b]
    data = b"".join(np.ascontiguousarray(t, dtype=t.dtype.newbyteorder("<"))
                    .tobytes() for t in tensors)
    header = {"__metadata__": {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "layer_sizes": json.dumps(list(net.layer_sizes)),
        "activations": json.dumps(list(net.activations)),
        "dtype": net.dtype.name,
        "sha256": hashlib.sha256(data).hexdigest(),
    }}
    if kind is not None:
        header["__metadata__"]["kind"] = kind
        header["__metadata__"]["fields"] = json.dumps(fields or {})
    offset = 0
    for i, t in enumerate(tensors):
        name = f"{'Wb'[i % 2]}{i // 2 + 1}"
        header[name] = {"dtype": ST_DTYPES[net.dtype.name],
                        "shape": list(t.shape),
                        "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes
    directory, base = os.path.split(os.path.abspath(path))
    # the PID in the name tells a later save or load whether the writer died
    fd, tmp = tempfile.mkstemp(dir=directory,
                               prefix=f".{base}.{os.getpid()}.",
                               suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":  # the rename is durable once its directory is
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _remove_stale_temps(path):
    """Delete the temporary files of `path` whose writer (the PID in their
    name) is no longer running; another process's save in progress is left
    alone. Best effort: a directory that cannot be listed is skipped."""
    if os.name != "posix":  # on Windows os.kill(pid, 0) ends the process
        return
    directory, base = os.path.split(os.path.abspath(path))
    pattern = re.compile(re.escape(f".{base}.") + r"([0-9]+)\.[a-z0-9_]+"
                         + re.escape(TEMP_SUFFIX))
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))
        except (OSError, OverflowError):
            pass  # alive under another user, or not a PID at all


def _fail(path, reason):
    return ValueError(f"{path!s} is not a valid pymlp model file: {reason}")


def _show(value):
    """A repr of a value read from a file, cut short whatever its size."""
    return reprlib.repr(value)


def _read(f, n, path, what):
    data = f.read(n)
    if len(data) != n:  # the file shrank since its size was read
        raise _fail(path, f"it ends {len(data)} bytes into its {what} "
                    f"({n} bytes)")
    return data


def _parse_json(text, path, what):
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")  # not json's guess among UTFs
        return json.loads(text)
    except RecursionError:
        raise _fail(path, f"its {what} is JSON nested too deeply") from None
    except ValueError as e:  # also bad UTF-8 and over-long integers
        raise _fail(path, f"its {what} is not valid JSON ({e})") from None


def _text(meta, key, path):
    value = meta.get(key)
    if not isinstance(value, str):
        raise _fail(path, f"its metadata {key!r} is {_show(value)}, "
                    "not a string")
    return value


def _architecture(header, path):
    """layer_sizes, activations, dtype and SHA-256 from the metadata, each
    checked for type and value."""
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(path, "it has no pymlp metadata (a safetensors file "
                    "from another tool?)")
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise _fail(path, f"format version {_show(version)} is not "
                    f"supported (this pymlp reads {FORMAT_VERSION})")
    sizes = _parse_json(_text(meta, "layer_sizes", path), path,
                        "metadata 'layer_sizes'")
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(type(n) is int and n >= 1 for n in sizes)):
        raise _fail(path, f"layer_sizes {_show(sizes)} is not a list of at "
                    "least two positive integers")
    activations = _parse_json(_text(meta, "activations", path), path,
                              "metadata 'activations'")
    if (not isinstance(activations, list)
            or len(activations) != len(sizes) - 1
            or not all(isinstance(a, str) and a in ACTIVATIONS
                       for a in activations)):
        raise _fail(path, f"activations {_show(activations)} do not match "
                    f"the {len(sizes) - 1} layers or are unknown")
    dtype_name = _text(meta, "dtype", path)
    if dtype_name not in DTYPES:
        raise _fail(path, f"dtype {_show(dtype_name)} is not supported")
    return sizes, activations, DTYPES[dtype_name], _text(meta, "sha256", path)


def _check_tensors(header, sizes, dtype, path):
    """(name, begin, end) of W1, b1, W2, ... in file order, after checking
    that the header describes exactly these tensors, contiguous."""
    shapes = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        shapes[f"W{l}"] = [n_in, n_out]
        shapes[f"b{l}"] = [n_out]
    names = sorted(k for k in header if k != "__metadata__")
    if names != sorted(shapes):
        raise _fail(path, f"it holds tensors {_show(names)}, expected "
                    f"{_show(list(shapes))}")
    specs, offset, st_dtype = [], 0, ST_DTYPES[dtype.name]
    for name, shape in shapes.items():
        end = offset + dtype.itemsize * math.prod(shape)
        expected = {"dtype": st_dtype, "shape": shape,
                    "data_offsets": [offset, end]}
        entry = header[name]
        # == alone would take 4.0 or true for 4 and 1
        if entry != expected or any(
                type(v) is not int
                for v in entry["shape"] + entry["data_offsets"]):
            raise _fail(path, f"tensor {name} is described as {_show(entry)}"
                        f", expected {expected}")
        specs.append((name, offset, end))
        offset = end
    return specs


def load(path):
    """Read a model written by `save`: the network, or the face of it that
    the file holds (a fitted MLPClassifier or MLPRegressor).

    Raises ValueError for anything wrong with the content, OSError for
    I/O; see `read`."""
    net, kind, fields = read(path)
    if kind is None:
        return net
    module, name = KINDS[kind]
    return getattr(importlib.import_module(module), name)._from_file(
        net, fields)


def read(path):
    """Read a network written by `save`, with the kind and fields of the
    face it holds (None and {} for a bare network).

    Reads the 8-byte header length, the header, then exactly the tensor
    bytes the header describes, and checks every field, the SHA-256 of the
    tensor bytes and that every weight is finite before a network is built.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    (MLP, str or None, dict)

    Raises
    ------
    ValueError
        The content is truncated, corrupted, inconsistent or foreign; the
        message names the path and the problem.
    OSError
        The file cannot be read (missing, a directory, no permission...).
    """
    path = os.fsdecode(path)
    _remove_stale_temps(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise _fail(path, f"it has {size} bytes, fewer than a header")
        (n,) = struct.unpack("<Q", _read(f, 8, path, "header length"))
        if n > MAX_HEADER or 8 + n > size:
            raise _fail(path, f"its header length ({n} bytes) does not fit "
                        f"the file ({size} bytes) or the limit "
                        f"({MAX_HEADER} bytes): truncated or not safetensors")
        header = _parse_json(_read(f, n, path, "header"), path, "header")
        if not isinstance(header, dict):
            raise _fail(path, "its header is not a JSON object")
        sizes, activations, dtype, digest = _architecture(header, path)
        kind, fields = _face(header["__metadata__"], path)

        # The sizes come from the file and may be absurd: the bytes they
        # describe are counted in Python ints and compared with what the
        # file holds before anything is allocated.
        n_data = size - 8 - n
        if max(sizes) > n_data:
            raise _fail(path, f"layer_sizes {_show(sizes)} need more tensor "
                        f"bytes than the file holds ({n_data})")
        n_described = dtype.itemsize * sum(
            n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
        if n_described != n_data:
            cause = "truncated" if n_data < n_described else "trailing bytes"
            raise _fail(path, f"its tensors take {n_described} bytes, but "
                        f"{n_data} bytes follow the header ({cause})")

        specs = _check_tensors(header, sizes, dtype, path)
        data = _read(f, n_described, path, "tensor bytes")
    if hashlib.sha256(data).hexdigest() != digest:
        raise _fail(path, "the tensor bytes do not match their checksum "
                    "(the file is corrupted or truncated)")
    arrays = []
    for name, begin, end in specs:
        values = np.frombuffer(data, dtype=dtype.newbyteorder("<"),
                               count=(end - begin) // dtype.itemsize,
                               offset=begin)
        if not np.isfinite(values).all():
            raise _fail(path, f"tensor {name} holds "
                        f"{np.count_nonzero(~np.isfinite(values))} NaN or "
                        "infinite values")
        arrays.append(values)

    net = MLP(sizes, activation=list(activations[:-1]),
              output_activation=activations[-1], dtype=dtype, seed=0)
    net.params = np.concatenate(arrays)
    return net, kind, fields


def _face(meta, path):
    """The kind and fields of the face a file holds, checked."""
    if "kind" not in meta:
        return None, {}
    kind = _text(meta, "kind", path)
    if kind not in KINDS:
        raise _fail(path, f"it holds a {_show(kind)}, which this pymlp does "
                    f"not know (it knows {sorted(KINDS)})")
    fields = _parse_json(_text(meta, "fields", path), path, "fields")
    if not isinstance(fields, dict):
        raise _fail(path, f"its fields are {_show(fields)}, not an object")
    return kind, fields
