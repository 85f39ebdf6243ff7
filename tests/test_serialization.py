"""Model files: round trip, a valid safetensors layout, refusal of broken
or foreign files, atomic writes; pickling."""
import copy
import json
import os
import pickle
import struct

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


def test_pickle_and_deepcopy(net, rng):
    X = rng.standard_normal((4, 3))
    for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        np.testing.assert_array_equal(other.predict(X), net.predict(X))
        other.params[0] += 1
        assert other.params[0] != net.params[0]
