"""Model files: safetensors, the ML ecosystem's data-only weights format.

Layout (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length N, N bytes of JSON describing each tensor
(dtype, shape, byte range), then the raw little-endian tensor bytes. pymlp
stores W1, b1, ..., WL, bL (W[l] of shape (n[l-1], n[l])) and puts the
architecture, the activations, the dtype, a format version and a SHA-256 of
the tensor bytes in the header's __metadata__. Loading parses JSON and
copies bytes: no code is ever executed, and every field is checked before a
network is built."""
import hashlib
import json
import os
import struct
import tempfile

import numpy as np

from pymlp._validate import ACTIVATIONS, DTYPES, check_layer_sizes
from pymlp.network import MLP

FORMAT = "pymlp"
FORMAT_VERSION = 1
ST_DTYPES = {"float32": "F32", "float64": "F64"}
MAX_HEADER = 1 << 24  # a pymlp header is a few kB; refuse absurd lengths


def save(net, path):
    """Write net to `path` atomically: the bytes go to a temporary file in
    the same directory, which is flushed to disk and then renamed over
    `path`, so a crash or Ctrl-C leaves either the old file or the new."""
    path = os.fspath(path)
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
    offset = 0
    for i, t in enumerate(tensors):
        name = f"{'Wb'[i % 2]}{i // 2 + 1}"
        header[name] = {"dtype": ST_DTYPES[net.dtype.name],
                        "shape": list(t.shape),
                        "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory,
                               prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fail(path, reason):
    return ValueError(f"{path!s} is not a valid pymlp model file: {reason}")


def load(path):
    """Read a network written by MLP.save. Raises ValueError naming the
    problem for a truncated, corrupted or foreign file; nothing is built
    unless every check passes."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise _fail(path, f"it has {len(raw)} bytes, fewer than a header")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise _fail(path, f"its header length ({n} bytes) does not fit the "
                    f"file ({len(raw)} bytes): truncated or not safetensors")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _fail(path, f"its header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _fail(path, "its header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(path, "it has no pymlp metadata (a safetensors file "
                    "from another tool?)")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise _fail(path, f"format version {meta.get('format_version')!r} "
                    f"is not supported (this pymlp reads {FORMAT_VERSION})")
    try:
        sizes = check_layer_sizes(json.loads(meta["layer_sizes"]))
        activations = json.loads(meta["activations"])
        dtype_name = meta["dtype"]
        digest = meta["sha256"]
    except (KeyError, TypeError, ValueError) as e:
        raise _fail(path, f"its metadata is incomplete or malformed ({e})"
                    ) from None
    if (not isinstance(activations, list)
            or len(activations) != len(sizes) - 1
            or any(a not in ACTIVATIONS for a in activations)):
        raise _fail(path, f"activations {activations!r} do not match the "
                    f"{len(sizes) - 1} layers or are unknown")
    if dtype_name not in DTYPES:
        raise _fail(path, f"dtype {dtype_name!r} is not supported")
    data = raw[8 + n:]
    if hashlib.sha256(data).hexdigest() != digest:
        raise _fail(path, "the tensor bytes do not match their checksum "
                    "(the file is corrupted or truncated)")

    dtype = DTYPES[dtype_name]
    shapes = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes[f"W{l}"] = [n_in, n_out]
        shapes[f"b{l}"] = [n_out]
    if sorted(header) != sorted(shapes):
        raise _fail(path, f"it holds tensors {sorted(header)}, expected "
                    f"{list(shapes)}")
    arrays, offset = [], 0
    for name, shape in shapes.items():  # in file order: W1, b1, W2, ...
        end = offset + int(np.prod(shape)) * dtype.itemsize
        expected = {"dtype": ST_DTYPES[dtype_name], "shape": shape,
                    "data_offsets": [offset, end]}
        if header[name] != expected:
            raise _fail(path, f"tensor {name} is described as "
                        f"{header[name]}, expected {expected}")
        arrays.append(np.frombuffer(data[offset:end],
                                    dtype=dtype.newbyteorder("<")))
        offset = end
    if offset != len(data):
        raise _fail(path, f"its tensor bytes ({len(data)}) do not match "
                    f"the tensors ({offset} bytes)")

    net = MLP(sizes, activation=list(activations[:-1]),
              output_activation=activations[-1], dtype=dtype, seed=0)
    net.params = np.concatenate(arrays)
    return net
