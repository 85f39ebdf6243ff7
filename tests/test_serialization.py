"""Model files: round trip, a valid safetensors layout, refusal of broken
or foreign files, atomic writes; pickling."""
import copy
import hashlib
import json
import os
import pickle
import re
import signal
import stat
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import pymlp
from pymlp import serialization


@pytest.fixture
def net():
    return pymlp.MLP([3, 5, 4, 2], activation=["gelu", "tanh"],
                     output_activation="sigmoid", seed=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_bit_identical(tmp_path, rng, dtype):
    net = pymlp.MLP([3, 5, 4, 2], activation=["softplus", "leaky_relu"],
                    dtype=dtype, seed=1)
    path = tmp_path / "model.safetensors"
    net.save(path)
    other = pymlp.load(path)
    assert other.layer_sizes == net.layer_sizes
    assert other.activations == net.activations
    assert other.dtype == net.dtype
    np.testing.assert_array_equal(other.params, net.params)
    X = rng.standard_normal((9, 3))
    np.testing.assert_array_equal(other.predict(X), net.predict(X))


def test_file_is_safetensors(tmp_path, net):
    path = tmp_path / "m.safetensors"
    net.save(path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"]["format"] == "pymlp"
    W2 = header["W2"]
    assert W2["dtype"] == "F32" and W2["shape"] == [5, 4]
    begin, end = W2["data_offsets"]
    data = np.frombuffer(raw[8 + n + begin:8 + n + end], "<f4").reshape(5, 4)
    np.testing.assert_array_equal(data, net.weights[1])
    st = pytest.importorskip("safetensors.numpy")
    tensors = st.load_file(str(path))
    np.testing.assert_array_equal(tensors["b3"], net.biases[2])
    torch_files = pytest.importorskip("safetensors.torch")
    tensors = torch_files.load_file(str(path))
    np.testing.assert_array_equal(tensors["W2"].numpy(), net.weights[1])


def previous_writer_bytes(net):
    """A model file as pymlp 0.1 wrote it, with its own writer: tensors in
    layer order, the checksum over the data region."""
    tensors = []
    for W, b in zip(net.weights, net.biases):
        tensors += [W, b]
    data = b"".join(t.astype(t.dtype.newbyteorder("<")).tobytes()
                    for t in tensors)
    header = {"__metadata__": {
        "format": "pymlp", "format_version": "1",
        "layer_sizes": json.dumps(list(net.layer_sizes)),
        "activations": json.dumps(list(net.activations)),
        "dtype": net.dtype.name,
        "sha256": hashlib.sha256(data).hexdigest()}}
    offset = 0
    for i, t in enumerate(tensors):
        header[f"{'Wb'[i % 2]}{i // 2 + 1}"] = {
            "dtype": {"float32": "F32", "float64": "F64"}[net.dtype.name],
            "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_files_of_the_previous_writer_still_load(tmp_path, dtype):
    net = pymlp.MLP([3, 5, 4, 2], activation=["gelu", "tanh"], dtype=dtype,
                    seed=2)
    path = tmp_path / "old.safetensors"
    path.write_bytes(previous_writer_bytes(net))
    other = pymlp.load(path)
    assert other.activations == net.activations and other.dtype == net.dtype
    np.testing.assert_array_equal(other.params, net.params)


def broken_files(raw):
    (n,) = struct.unpack("<Q", raw[:8])
    yield "empty", b""
    yield "seven bytes", raw[:7]
    yield "header cut", raw[:8 + n // 2]
    yield "data cut", raw[:-3]
    yield "random", os.urandom(len(raw))
    flipped = bytearray(raw)
    flipped[-5] ^= 0x10
    yield "data bit flip", bytes(flipped)
    flipped = bytearray(raw)
    flipped[8 + n // 2] ^= 0x01
    yield "header bit flip", bytes(flipped)
    yield "extra byte", raw + b"\0"


def test_broken_files_raise_value_error(tmp_path, net):
    path = tmp_path / "m.safetensors"
    net.save(path)
    raw = path.read_bytes()
    for name, content in broken_files(raw):
        bad = tmp_path / "bad.safetensors"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match="not a valid pymlp model"):
            pymlp.load(bad)


def rewrite_header(raw, edit):
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    edit(header)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + raw[8 + n:]


@pytest.mark.parametrize("edit", [
    lambda h: h.pop("__metadata__"),
    lambda h: h["__metadata__"].update(format="other"),
    lambda h: h["__metadata__"].update(format_version="99"),
    lambda h: h["__metadata__"].update(activations='["relu", "wobble", "x"]'),
    lambda h: h["__metadata__"].update(layer_sizes="[3, 5, 4]"),
    lambda h: h["__metadata__"].update(dtype="int8"),
    lambda h: h["W1"].update(shape=[5, 3]),
    lambda h: h.update(extra={"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}),
    lambda h: h.pop("b2"),
])
def test_foreign_or_inconsistent_headers(tmp_path, net, edit):
    path = tmp_path / "m.safetensors"
    net.save(path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(rewrite_header(path.read_bytes(), edit))
    with pytest.raises(ValueError, match="not a valid pymlp model"):
        pymlp.load(bad)


def with_metadata(raw, **changes):
    return rewrite_header(raw, lambda h: h["__metadata__"].update(changes))


def layer_order_digest(header, data):
    """The checksum as the format defines it: SHA-256 of the tensors' bytes
    in layer order (W1, b1, W2, ...), wherever the file puts them."""
    names = sorted((k for k in header if k != "__metadata__"),
                   key=lambda k: (int(k[1:]), k[0] != "W"))
    sha = hashlib.sha256()
    for name in names:
        begin, end = header[name]["data_offsets"]
        sha.update(data[begin:end])
    return sha.hexdigest()


def with_data(raw, data):
    """`raw` with its tensor bytes replaced and the checksum recomputed."""
    (n,) = struct.unpack("<Q", raw[:8])
    digest = layer_order_digest(json.loads(raw[8:8 + n]), data)
    return with_metadata(raw[:8 + n] + data, sha256=digest)


def load_bytes(tmp_path, content):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(content)
    return pymlp.load(bad)


@pytest.fixture
def raw(tmp_path, net):
    path = tmp_path / "m.safetensors"
    net.save(path)
    return path.read_bytes()


def test_deeply_nested_header(tmp_path):
    text = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ValueError, match="not valid safetensors"):
        load_bytes(tmp_path, struct.pack("<Q", len(text)) + text)


@pytest.mark.parametrize("key", ["format_version", "layer_sizes",
                                 "activations", "dtype", "sha256"])
@pytest.mark.parametrize("value", [["3", "5"], 3, None, {"a": [1]}, 2**70])
def test_metadata_values_that_are_not_strings(tmp_path, raw, key, value):
    # the format's metadata maps strings to strings: the library refuses
    with pytest.raises(ValueError, match="not valid safetensors"):
        load_bytes(tmp_path, with_metadata(raw, **{key: value}))


@pytest.mark.parametrize("key, text, match", [
    ("layer_sizes", "[" * 50_000, "'layer_sizes' is JSON nested too deeply"),
    ("layer_sizes", "[3, 5", "'layer_sizes' is not valid JSON"),
    ("layer_sizes", "9" * 5000, "'layer_sizes' is not valid JSON"),
    ("layer_sizes", "3", "not a list of at least two positive integers"),
    ("layer_sizes", '"3542"', "not a list of at least two positive integers"),
    ("layer_sizes", '{"3": 5}', "not a list of at least two positive"),
    ("layer_sizes", "[3, 5, 4, true]", "not a list of at least two positive"),
    ("layer_sizes", "[3, 5.0, 4, 2]", "not a list of at least two positive"),
    ("layer_sizes", '[3, "5", 4, 2]', "not a list of at least two positive"),
    ("layer_sizes", "[3, [5], 4, 2]", "not a list of at least two positive"),
    ("layer_sizes", "[3, 0, 4, 2]", "not a list of at least two positive"),
    ("layer_sizes", "[3]", "not a list of at least two positive integers"),
    ("activations", '"gelu"', "do not match the 3 layers or are unknown"),
    ("activations", "[1, 2, 3]", "do not match the 3 layers"),
    ("activations", '[["gelu"], "tanh", "sigmoid"]', "do not match"),
    ("activations", '[{"a": 1}, "tanh", "sigmoid"]', "do not match"),
    ("activations", "null", "do not match the 3 layers"),
], ids=lambda v: v if len(v) < 24 else v[:20] + "...")
def test_architecture_json_of_the_wrong_types(tmp_path, raw, key, text, match):
    with pytest.raises(ValueError, match=match):
        load_bytes(tmp_path, with_metadata(raw, **{key: text}))


@pytest.mark.parametrize("sizes, match", [
    ([2**40, 2**40], r"holds tensors .*, expected \['W1', 'b1'\]"),
    ([2**63, 2], "holds tensors"),
    ([2, 2**64 + 1], "holds tensors"),
    ([10**4000, 1], "holds tensors"),
    ([3, 100, 4, 2], r"tensor W1 is F32 of shape \[3, 5\], expected F32 of "
                     r"shape \[3, 100\]"),
    ([3, 5, 4, 2**40], r"tensor W3 is F32 of shape \[4, 2\], expected"),
])
def test_huge_shapes_are_refused_before_any_allocation(
        tmp_path, raw, monkeypatch, sizes, match):
    def build(*args, **kwargs):
        raise AssertionError("a network was built")

    monkeypatch.setattr(serialization, "MLP", build)
    edited = with_metadata(raw, layer_sizes=json.dumps(sizes),
                           activations=json.dumps(["relu"] * (len(sizes) - 1)))
    with pytest.raises(ValueError, match=match):
        load_bytes(tmp_path, edited)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_with_a_valid_checksum(tmp_path, dtype, bad):
    net = pymlp.MLP([3, 5, 4, 2], dtype=dtype, seed=0)
    net.weights[1][2, 3] = bad
    net.biases[2][0] = bad
    path = tmp_path / "m.safetensors"
    net.save(path)
    with pytest.raises(ValueError, match="tensor W2 holds 1 NaN or infinite"):
        pymlp.load(path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    data = bytearray(raw[8 + n:])
    data[:net.dtype.itemsize] = np.array([bad], net.dtype).tobytes()
    with pytest.raises(ValueError, match="tensor W1 holds 1 NaN or infinite"):
        load_bytes(tmp_path, with_data(raw, bytes(data)))


def test_trailing_bytes(tmp_path, raw):
    with pytest.raises(ValueError, match="not valid safetensors .*not fully "
                       "covered"):
        load_bytes(tmp_path, raw + bytes(8))


@pytest.mark.parametrize("length", [lambda size: size - 7,
                                    lambda size: 2**64 - 1,
                                    lambda size: (1 << 24) + 1])
def test_header_length_above_the_file_size(tmp_path, raw, length):
    n = length(len(raw))
    with pytest.raises(ValueError, match="not valid safetensors"):
        load_bytes(tmp_path, struct.pack("<Q", n) + raw[8:])


def test_header_length_above_the_limit(tmp_path):
    n = 100_000_008  # the library refuses headers above 100 MB
    bad = tmp_path / "bad.safetensors"
    with open(bad, "wb") as f:
        f.write(struct.pack("<Q", n))
        f.truncate(8 + n + 64)  # sparse: large enough for the header
    with pytest.raises(ValueError, match="not valid safetensors"):
        pymlp.load(bad)


@pytest.mark.parametrize("field, value", [
    ("shape", [5.0, 4]), ("shape", [5, 4.0]),
    ("data_offsets", [80.0, 160]), ("data_offsets", [80, 161]),
    ("dtype", ["F32"]),
])
def test_tensor_entries_must_match_exactly(tmp_path, raw, field, value):
    edited = rewrite_header(raw, lambda h: h["W2"].update({field: value}))
    with pytest.raises(ValueError, match="not valid safetensors"):
        load_bytes(tmp_path, edited)


def test_io_problems_raise_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        pymlp.load(tmp_path / "missing.safetensors")
    with pytest.raises(OSError):
        pymlp.load(tmp_path)


def test_interrupted_save_keeps_the_old_file(tmp_path, net, monkeypatch):
    path = tmp_path / "m.safetensors"
    net.save(path)
    before = path.read_bytes()

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "replace", crash)
    changed = net.copy()
    changed.params[...] = 0
    with pytest.raises(KeyboardInterrupt):
        changed.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]
    np.testing.assert_array_equal(pymlp.load(path).params, net.params)


def test_temp_file_name_and_durable_rename(tmp_path, net, monkeypatch):
    path = tmp_path / "m.safetensors"
    renamed, synced = [], []
    replace, fsync = os.replace, os.fsync
    monkeypatch.setattr(serialization.os, "replace", lambda src, dst:
                        renamed.append(src) or replace(src, dst))
    monkeypatch.setattr(serialization.os, "fsync",
                        lambda fd: synced.append(os.fstat(fd)) or fsync(fd))
    net.save(path)
    name = os.path.basename(renamed[0])
    assert re.fullmatch(rf"\.m\.safetensors\.{os.getpid()}\.[a-z0-9_]+"
                        r"\.pymlp-tmp", name), name
    # the data, then the directory holding the new name
    assert [stat.S_ISDIR(st.st_mode) for st in synced] == [False, True]
    assert synced[1].st_ino == os.stat(tmp_path).st_ino


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


THEN = {"load": pymlp.load, "save": lambda path: pymlp.MLP([2, 1]).save(path)}


@pytest.mark.parametrize("then", THEN)
def test_stale_temp_files_only_are_removed(tmp_path, net, then):
    path = tmp_path / "m.safetensors"
    net.save(path)
    dead = dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "input()"],
                            stdin=subprocess.PIPE)
    try:
        stale = f".m.safetensors.{dead}.abcd_123.pymlp-tmp"
        kept = [
            f".m.safetensors.{live.pid}.abcd_123.pymlp-tmp",  # a live writer
            f".m.safetensors.{os.getpid()}.abcd_123.pymlp-tmp",  # this one
            f".other.safetensors.{dead}.abcd_123.pymlp-tmp",  # another path
            f".m.safetensors.{dead}.abcd_123.tmp",  # other names...
            f".m.safetensors.{dead}.pymlp-tmp",
            f".m.safetensors.{dead}.ab.cd.pymlp-tmp",
            f".m.safetensors.x{dead}.abcd_123.pymlp-tmp",
            f"m.safetensors.{dead}.abcd_123.pymlp-tmp",
            f".m.{dead}.abcd_123.pymlp-tmp",
        ]
        for name in kept + [stale]:
            (tmp_path / name).write_bytes(b"partial")
        THEN[then](path)
        assert sorted(os.listdir(tmp_path)) == sorted(kept + [path.name])
    finally:
        live.communicate(b"\n", timeout=60)


# A writer that saves a network of 2.4 million parameters (9.6 MB) in a loop
WRITER = """
import sys, pymlp
net = pymlp.MLP([1000, 1200, 1000, 1], seed=0)
while True:
    net.save(sys.argv[1])
"""


def size_or_zero(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def stop_while_writing(child, directory, timeout=120):
    """Poll `directory` until `child` has written into a temp file there,
    and stop the child (SIGSTOP) while that file still exists; return its
    path. A stopped child cannot finish the save in progress."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert child.poll() is None, "the writer exited"
        for temp in directory.iterdir():
            if temp.name.endswith(".pymlp-tmp") and size_or_zero(temp) > 0:
                os.kill(child.pid, signal.SIGSTOP)
                os.waitpid(child.pid, os.WUNTRACED)  # until it has stopped
                if size_or_zero(temp) > 0:
                    return temp
                os.kill(child.pid, signal.SIGCONT)  # it renamed: try again
        time.sleep(0.001)
    pytest.fail(f"the writer wrote no temp file in {timeout} s")


@pytest.mark.parametrize("then", THEN)
def test_writer_killed_mid_save(tmp_path, net, then):
    directory = tmp_path / "models"
    directory.mkdir()
    path = directory / "m.safetensors"
    net.save(path)
    old = path.read_bytes()
    root = os.path.dirname(os.path.dirname(os.path.abspath(pymlp.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")])))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                              env=env, cwd=directory)
    try:
        temp = stop_while_writing(writer, directory)
    finally:
        writer.kill()
        writer.wait()
    assert temp.exists()
    # the file is the old one or one of the writer's complete saves
    other = tmp_path / "copy.safetensors"
    other.write_bytes(path.read_bytes())
    loaded = pymlp.load(other)
    if loaded.layer_sizes == net.layer_sizes:
        assert other.read_bytes() == old
    else:
        assert loaded.layer_sizes == (1000, 1200, 1000, 1)
    THEN[then](path)
    assert os.listdir(directory) == ["m.safetensors"]


def test_pickle_and_deepcopy(net, rng):
    X = rng.standard_normal((4, 3))
    for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        np.testing.assert_array_equal(other.predict(X), net.predict(X))
        other.params[0] += 1
        assert other.params[0] != net.params[0]


def test_a_face_and_its_fields_round_trip(tmp_path, net):
    path = tmp_path / "face.safetensors"
    fields = {"classes": ["a", "b"], "n_iter": 3, "params": {"alpha": 1e-4}}
    serialization.save(net, path, kind="MLPClassifier", fields=fields)
    other, kind, read_fields = serialization.read(path)
    assert kind == "MLPClassifier" and read_fields == fields
    np.testing.assert_array_equal(other.params, net.params)
    # a bare network has no face
    net.save(path)
    assert serialization.read(path)[1:] == (None, {})


def test_unknown_faces_are_refused(tmp_path, net):
    with pytest.raises(ValueError, match="unknown kind"):
        serialization.save(net, tmp_path / "x", kind="Pipeline")
    path = tmp_path / "face.safetensors"
    serialization.save(net, path, kind="MLPRegressor", fields={})
    raw = path.read_bytes().replace(b'"kind":"MLPRegressor"',
                                    b'"kind":"MLPRegressoX"')
    (tmp_path / "odd.safetensors").write_bytes(raw)
    with pytest.raises(ValueError, match="does not know"):
        pymlp.load(tmp_path / "odd.safetensors")
