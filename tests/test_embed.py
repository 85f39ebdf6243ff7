"""The C API for other extensions (pymlp_embed.h): the headers and
declarations pymlp installs, and the example of examples/embed/ built
against this pymlp, whose prediction without the GIL must equal
MLP.predict bit for bit, also from several threads at once."""
import importlib
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import pymlp
from pymlp.network import PREDICT_CHUNK

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "examples", "embed")
ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh",
               "softplus", "gelu", "step")


def test_get_include_holds_the_public_headers_only():
    include = pymlp.get_include()
    assert os.path.isabs(include)
    headers = sorted(os.listdir(include))
    assert headers == ["pymlp.h", "pymlp_embed.h"]  # not internal.h
    package = os.path.dirname(pymlp.__file__)
    for pxd in ("embed.pxd", "_cengine.pxd"):
        assert os.path.isfile(os.path.join(package, pxd))


def test_engine_exports_the_table_as_a_capsule():
    from pymlp import _engine
    assert type(_engine._C_API).__name__ == "PyCapsule"
    assert "pymlp._engine._C_API" in repr(_engine._C_API)


def test_spec_gives_sizes_and_codes_as_copies():
    net = pymlp.MLP([3, 5, 2], activation="tanh",
                    output_activation="sigmoid")
    sizes, codes = net.spec()
    assert sizes.dtype == np.int64 and codes.dtype == np.int32
    assert sizes.tolist() == [3, 5, 2]
    from pymlp._engine import ACTIVATIONS as CODES
    assert codes.tolist() == [CODES["tanh"], CODES["sigmoid"]]
    sizes[0], codes[0] = 99, 0  # the network's own spec is untouched
    assert net.spec()[0].tolist() == [3, 5, 2]
    assert net.predict(np.zeros((1, 3))).shape == (1, 2)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """examples/embed/ built once, in a temporary directory, by this
    interpreter against the pymlp imported here, and imported."""
    pytest.importorskip("Cython")
    pytest.importorskip("setuptools")
    where = tmp_path_factory.mktemp("embed")
    for name in ("setup.py", "embed_example.pyx"):
        shutil.copy(os.path.join(EXAMPLE, name), where)
    env = dict(os.environ)
    # the pymlp under test, for the example's setup.py and for Cython's
    # search of pymlp/embed.pxd
    site = os.path.dirname(os.path.dirname(os.path.abspath(pymlp.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(
        [site] + [p for p in [env.get("PYTHONPATH")] if p])
    # the example's code is a thin wrapper: compiling it unoptimised takes
    # a fifth of the time, and the engine it calls is optimised as built
    env["CFLAGS"] = (env.get("CFLAGS", "") + " -O0").strip()
    result = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"], cwd=where,
        env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        module = importlib.import_module("embed_example")
    finally:
        sys.path.remove(str(where))
    yield module
    sys.modules.pop("embed_example", None)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sizes, n", [([3, 8, 8, 2], 1), ([3, 8, 8, 2], 7),
                                      ([64, 128, 128, 10], 2500),
                                      ([20, 300, 5], 1500)])
def test_example_predicts_as_mlp_predict(example, dtype, sizes, n):
    rng = np.random.default_rng(n)
    for activation in ACTIVATIONS:
        net = pymlp.MLP(sizes, activation=activation,
                        output_activation=activation, dtype=dtype, seed=n)
        X = rng.standard_normal((n, sizes[0])).astype(dtype)
        expected = net.predict(X)
        for threads in (1, 2):
            got = example.predict_nogil(net.params, *net.spec(), X,
                                        chunk=PREDICT_CHUNK,
                                        n_threads=threads)
            assert got.dtype == net.dtype
            np.testing.assert_array_equal(got, expected)


def test_example_refuses_what_does_not_match(example):
    net = pymlp.MLP([3, 4, 2])
    sizes, codes = net.spec()
    with pytest.raises(ValueError, match="params has"):
        example.predict_nogil(net.params[:-1], sizes, codes,
                              np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="X must have shape"):
        example.predict_nogil(net.params, sizes, codes,
                              np.zeros((2, 4), np.float32))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_example_concurrent_calls_on_one_network(example, dtype):
    net = pymlp.MLP([64, 256, 256, 10], activation="gelu", dtype=dtype,
                    seed=3)
    sizes, codes = net.spec()
    inputs = [np.random.default_rng(i).standard_normal((600, 64))
              .astype(dtype) for i in range(8)]
    expected = [net.predict(X) for X in inputs]
    results = [[] for _ in inputs]
    start = threading.Barrier(len(inputs))

    def work(i):
        start.wait()
        for _ in range(5):
            results[i].append(example.predict_nogil(
                net.params, sizes, codes, inputs[i], chunk=PREDICT_CHUNK))

    threads = [threading.Thread(target=work, args=(i,))
               for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        assert len(got) == 5
        for out in got:
            np.testing.assert_array_equal(out, want)


def test_example_releases_the_gil(example):
    """While one thread predicts, another keeps running Python: its longest
    pause is far shorter than the call (the whole call, were the GIL
    held)."""
    net = pymlp.MLP([256, 1024, 1024, 10], dtype="float64", seed=0)
    sizes, codes = net.spec()
    X = np.random.default_rng(0).standard_normal((1000, 256))
    begin = time.perf_counter()
    example.predict_nogil(net.params, sizes, codes, X)
    duration = time.perf_counter() - begin
    while duration < 0.2:  # long enough to stand out from scheduling
        X = np.concatenate([X, X])
        begin = time.perf_counter()
        example.predict_nogil(net.params, sizes, codes, X)
        duration = time.perf_counter() - begin
    done = threading.Event()

    def work():
        example.predict_nogil(net.params, sizes, codes, X)
        done.set()

    worker = threading.Thread(target=work)
    last = time.perf_counter()
    longest = 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    assert longest < duration / 2, (longest, duration)
