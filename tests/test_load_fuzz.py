"""Fuzzing of pymlp.load over mutated real model files: every file either
loads as a valid network or is refused with a ValueError naming the path;
no other exception escapes. PYMLP_FUZZ_EXAMPLES sets the number of
examples (default 10000); the run is derandomized, so it repeats exactly."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from safetensors.numpy import load as safetensors_bytes

import pymlp
from strategies import model_files


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A file to load and an open descriptor to write it through."""
    path = tmp_path_factory.mktemp("fuzz") / "m.safetensors"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    yield path, fd
    os.close(fd)


@settings(max_examples=int(os.environ.get("PYMLP_FUZZ_EXAMPLES", 10000)),
          deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=model_files())
def test_load_gives_a_network_or_a_value_error(scratch, case):
    (path, fd), (base, content) = scratch, case
    # overwrite, then cut: reopening with truncation costs a flush per
    # example on some file systems (ext4 flushes a file truncated to zero)
    os.pwrite(fd, content, 0)
    os.ftruncate(fd, len(content))
    try:
        net = pymlp.load(path)
    except ValueError as e:
        assert type(e) is ValueError
        assert str(e).startswith(f"{path} is not a valid pymlp model file")
        return
    # what loaded is the file's tensors, in layer order, all finite
    assert np.isfinite(net.params).all()
    tensors = safetensors_bytes(content)
    expect = np.concatenate([tensors[f"{kind}{l}"].reshape(-1)
                             for l in range(1, len(net.layer_sizes))
                             for kind in "Wb"])
    np.testing.assert_array_equal(net.params, expect)
    if content == base.raw:
        np.testing.assert_array_equal(net.params, base.net.params)
