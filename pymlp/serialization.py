"""Model files: safetensors, the ML ecosystem's data-only weights format,
read and written with its reference implementation (the `safetensors`
package: memory-mapped, fuzzed upstream).

A file holds W1, b1, ..., WL, bL (W[l] of shape (n[l-1], n[l])) and, in the
header's __metadata__, the architecture, the activations, the dtype, a
format version and a SHA-256 of the tensors' little-endian bytes in that
layer order. It may also hold a face of the network (a scikit-learn
estimator): its kind and its fields, as JSON. Loading parses data only:
no code is ever executed, and every field is checked on top of the
library's own checks before a network is built. Files written by pymlp
0.1's own writer (the same format, tensors in layer order) still load."""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import re
import reprlib
import tempfile
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Union

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save as safetensors_bytes

from pymlp._validate import ACTIVATIONS, DTYPES
from pymlp.network import MLP

if TYPE_CHECKING:
    from pymlp.estimators import MLPClassifier, MLPRegressor

# a file system path, as open() takes it
StrPath = Union[str, os.PathLike[str]]

FORMAT = "pymlp"
FORMAT_VERSION = 1
ST_DTYPES = {"float32": "F32", "float64": "F64"}
TEMP_SUFFIX = ".pymlp-tmp"
# The faces a file may hold: kind -> (module, class). The class rebuilds
# itself from the network and its fields with `_from_file(net, fields)`.
KINDS = {"MLPClassifier": ("pymlp.estimators", "MLPClassifier"),
         "MLPRegressor": ("pymlp.estimators", "MLPRegressor"),
         "TableModel": ("pymlp.io.tables", "TableModel")}


def save(net: MLP, path: StrPath, kind: Optional[str] = None,
         fields: Optional[Dict[str, Any]] = None) -> None:
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
    tensors = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases), start=1):
        tensors[f"W{l}"], tensors[f"b{l}"] = W, b
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "layer_sizes": json.dumps(list(net.layer_sizes)),
        "activations": json.dumps(list(net.activations)),
        "dtype": net.dtype.name,
        "sha256": _digest(tensors.values()),
    }
    if kind is not None:
        metadata["kind"] = kind
        metadata["fields"] = json.dumps(fields or {})
    data = safetensors_bytes(
        {name: np.ascontiguousarray(t) for name, t in tensors.items()},
        metadata=metadata)
    write_atomically(data, path)


def write_atomically(data: bytes, path: StrPath) -> None:
    """Write bytes to `path` through a temporary file beside it,
    ``.{name}.{pid}.{random}.pymlp-tmp``, flushed to disk and renamed over
    `path` (and the rename made durable): a crash or Ctrl-C leaves the old
    file or the new one. Temporary files of `path` left by writers that
    died are removed first."""
    path = os.fsdecode(os.fspath(path))
    _remove_stale_temps(path)
    directory, base = os.path.split(os.path.abspath(path))
    # the PID in the name tells a later save or load whether the writer died
    fd, tmp = tempfile.mkstemp(dir=directory,
                               prefix=f".{base}.{os.getpid()}.",
                               suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
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


def _digest(tensors):
    """SHA-256 of the tensors' little-endian bytes, one after the other."""
    sha = hashlib.sha256()
    for t in tensors:
        sha.update(np.ascontiguousarray(t, t.dtype.newbyteorder("<")).data)
    return sha.hexdigest()


def _architecture(meta, path):
    """layer_sizes, activations, dtype and SHA-256 from the metadata, each
    checked for type and value."""
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


def load(path: StrPath) -> Union[MLP, MLPClassifier, MLPRegressor]:
    """Read a model written by `save` (MLP.save, or an estimator's save):
    the network, or the face of it that the file holds (a fitted
    MLPClassifier or MLPRegressor).

    Nothing in the file is executed: the safetensors header and tensors
    are parsed, then every metadata field, each tensor's name, dtype and
    shape, the SHA-256 of the tensor bytes and that every weight is finite
    are checked before anything is built.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    MLP, MLPClassifier, MLPRegressor or pymlp.io.tables.TableModel
        The network, or the fitted estimator it was saved from (a
        TableModel for a file written by ``pymlp train``).

    Raises
    ------
    ValueError
        For anything wrong with the content.
    OSError
        For I/O.
    """
    net, kind, fields = read(path)
    if kind is None:
        return net
    module, name = KINDS[kind]
    return getattr(importlib.import_module(module), name)._from_file(
        net, fields)


def read(path: StrPath) -> Tuple[MLP, Optional[str], Dict[str, Any]]:
    """Read a network written by `save`, with the kind and fields of the
    face it holds (None and {} for a bare network).

    The safetensors library checks the header, the tensors' offsets and
    that they cover the file exactly; then every metadata field, each
    tensor's name, dtype and shape, the SHA-256 of the tensor bytes and
    that every weight is finite are checked before a network is built.

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
    try:
        with safe_open(path, framework="numpy") as f:
            meta = f.metadata()
            sizes, activations, dtype, digest = _architecture(meta, path)
            kind, fields = _face(meta, path)
            shapes = {}
            for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]),
                                              start=1):
                shapes[f"W{l}"], shapes[f"b{l}"] = [n_in, n_out], [n_out]
            if sorted(f.keys()) != sorted(shapes):
                raise _fail(path, f"it holds tensors {_show(list(f.keys()))}"
                            f", expected {_show(list(shapes))}")
            for name, shape in shapes.items():
                found = f.get_slice(name)
                if (found.get_shape() != shape
                        or found.get_dtype() != ST_DTYPES[dtype.name]):
                    raise _fail(path, f"tensor {name} is {found.get_dtype()} "
                                f"of shape {_show(found.get_shape())}, "
                                f"expected {ST_DTYPES[dtype.name]} of shape "
                                f"{shape}")
            arrays = [f.get_tensor(name) for name in shapes]
    except SafetensorError as e:
        raise _fail(path, f"it is not valid safetensors ({e})") from None
    if _digest(arrays) != digest:
        raise _fail(path, "the tensor bytes do not match their checksum "
                    "(the file is corrupted)")
    for name, values in zip(shapes, arrays):
        if not np.isfinite(values).all():
            raise _fail(path, f"tensor {name} holds "
                        f"{np.count_nonzero(~np.isfinite(values))} NaN or "
                        "infinite values")
    net = MLP(sizes, activation=list(activations[:-1]),
              output_activation=activations[-1], dtype=dtype, seed=0)
    net.params = np.concatenate([a.reshape(-1) for a in arrays])
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
