"""Junk arguments get the exception the convention names, never another.

The convention: an integer argument that is not an integer (a float, a
bool, a string, None) or is out of range is a ValueError; a real argument
that is not a real number is a TypeError, one that is NaN, infinite, out of
range or too large for a float is a ValueError; an unknown name is a
ValueError listing the supported ones; array contents that are not numbers
are a TypeError; a wrong array shape, NaN or infinity is a ValueError.
Anything else (OverflowError, KeyError, AttributeError, MemoryError...)
is a bug, as is a silent acceptance."""
import pickle
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pymlp
from pymlp import _engine
from pymlp._validate import ACTIVATIONS, LOSSES
from pymlp.network import INITS
from strategies import (as_layout, bad_reals, input_dtypes, integers_below,
                        layouts, non_integers, non_reals,
                        positive_reals_with_bad_ones, small_counts)

X8 = np.random.default_rng(0).standard_normal((8, 3))
Y8 = np.random.default_rng(1).standard_normal((8, 2))
not_none = non_integers.filter(lambda v: v is not None)


def small_net(**kwargs):
    return pymlp.MLP([3, 4, 2], seed=0, **kwargs)


@pytest.fixture
def restore_threads():
    yield
    pymlp.set_num_threads(None)


# -- integer arguments ---------------------------------------------------

@given(st.one_of(not_none, integers_below(1)))
def test_n_threads_must_be_a_positive_integer(value):
    # checked when the network is built or when it first runs: either way
    # before any work
    with pytest.raises(ValueError, match="n_threads"):
        small_net(n_threads=value).predict(X8)


@given(st.one_of(not_none, integers_below(1)))
def test_set_num_threads_takes_a_positive_integer(value):
    try:
        with pytest.raises(ValueError, match="threads"):
            pymlp.set_num_threads(value)
    finally:
        pymlp.set_num_threads(None)


@settings(deadline=None)
@given(st.one_of(non_integers, integers_below(1)))
def test_epochs_must_be_a_positive_integer(value):
    with pytest.raises(ValueError, match="epochs"):
        small_net().fit(X8, Y8, epochs=value)


@settings(deadline=None)
@given(st.one_of(not_none, integers_below(1)))
def test_batch_size_must_be_a_positive_integer_or_none(value):
    with pytest.raises(ValueError, match="batch_size"):
        small_net().fit(X8, Y8, epochs=1, batch_size=value)


@settings(deadline=None)
@given(st.one_of(not_none, integers_below(0)))
def test_seed_must_be_a_non_negative_integer_or_none(value):
    with pytest.raises(ValueError, match="seed"):
        small_net().fit(X8, Y8, epochs=1, seed=value)


@given(st.one_of(non_integers, integers_below(1)))
def test_layer_sizes_must_be_positive_integers(value):
    with pytest.raises(ValueError, match="layer_sizes"):
        pymlp.MLP([3, value, 2])


@pytest.mark.parametrize("sizes", [
    [2 ** 63, 2], [2 ** 64, 1], [2 ** 40, 2 ** 40], [2 ** 31, 2 ** 31, 1],
    [3, 2 ** 50], [1, 2 ** 24, 2 ** 24], [10 ** 400, 2]])
def test_networks_beyond_2_48_parameters_are_too_large(sizes):
    with pytest.raises(ValueError, match="too large"):
        pymlp.MLP(sizes)


# -- thread counts above the machine's ----------------------------------

@pytest.mark.parametrize("n", [2 ** 31, 10 ** 6, 2 ** 63, 2 ** 100])
def test_huge_n_threads_runs_on_the_machines_processors(n, restore_threads):
    expected = small_net(n_threads=1)
    expected.fit(X8, Y8, epochs=3, batch_size=4, seed=0)
    for net in (small_net(n_threads=n), small_net()):
        if net.n_threads is None:
            pymlp.set_num_threads(n)
        start = time.perf_counter()
        net.fit(X8, Y8, epochs=3, batch_size=4, seed=0)
        out = net.predict(X8)
        # scratch for 10**6 threads, or their start, would take far longer
        assert time.perf_counter() - start < 2.0
        np.testing.assert_array_equal(net.params, expected.params)
        np.testing.assert_array_equal(out, expected.predict(X8))
    assert pymlp.get_num_threads() <= _engine.max_threads()
    assert pymlp.build_info()["num_threads"] <= _engine.max_threads()


def test_set_num_threads_none_restores_the_default(restore_threads):
    default = pymlp.get_num_threads()
    pymlp.set_num_threads(1)
    assert pymlp.get_num_threads() == 1
    pymlp.set_num_threads(np.int64(1))  # any integer type
    assert pymlp.get_num_threads() == 1
    pymlp.set_num_threads(None)
    assert pymlp.get_num_threads() == default


def test_numpy_integers_are_integers():
    expected = small_net(n_threads=1)
    expected.fit(X8, Y8, epochs=2, batch_size=4, seed=3)
    net = small_net(n_threads=np.int32(1))
    net.fit(X8, Y8, epochs=np.int64(2), batch_size=np.uint8(4),
            seed=np.uint64(3))
    np.testing.assert_array_equal(net.params, expected.params)


# -- real arguments ------------------------------------------------------

OPTIMIZER_REALS = [
    (pymlp.SGD, "lr"), (pymlp.SGD, "momentum"), (pymlp.SGD, "weight_decay"),
    (pymlp.Adam, "lr"), (pymlp.Adam, "eps"), (pymlp.Adam, "weight_decay"),
    (pymlp.AdamW, "lr"), (pymlp.AdamW, "weight_decay")]


@settings(max_examples=150)
@given(st.sampled_from(OPTIMIZER_REALS), non_reals)
def test_optimizer_reals_refuse_non_numbers(which, value):
    make, name = which
    with pytest.raises(TypeError, match=name):
        make(**{name: value})


@settings(max_examples=150)
@given(st.sampled_from(OPTIMIZER_REALS), bad_reals)
def test_optimizer_reals_refuse_nan_infinity_and_overflow(which, value):
    make, name = which
    with pytest.raises(ValueError, match=name):
        make(**{name: value})


@given(st.sampled_from([pymlp.SGD, pymlp.Adam, pymlp.AdamW]),
       positive_reals_with_bad_ones())
def test_learning_rate_must_be_positive(make, value):
    with pytest.raises(ValueError, match="lr"):
        make(lr=value)


@pytest.mark.parametrize("make, error", [
    (lambda: pymlp.SGD(lr=10 ** 400), ValueError),
    (lambda: pymlp.SGD(momentum=10 ** 400), ValueError),
    (lambda: pymlp.Adam(lr=float("nan")), ValueError),
    (lambda: pymlp.Adam(eps=-1), ValueError),
    (lambda: pymlp.Adam(betas=(1.0, 0.9)), ValueError),
    (lambda: pymlp.Adam(betas=(0.9, 1.0)), ValueError),
    (lambda: pymlp.Adam(betas=(-0.1, 0.9)), ValueError),
    (lambda: pymlp.Adam(betas=(0.9,)), ValueError),
    (lambda: pymlp.Adam(betas=(0.9, 0.9, 0.9)), ValueError),
    (lambda: pymlp.Adam(betas=5), ValueError),
    (lambda: pymlp.Adam(betas=None), ValueError),
    (lambda: pymlp.Adam(betas=(0.9, 10 ** 400)), ValueError),
    (lambda: pymlp.Adam(betas=(0.9, "a")), TypeError),
    (lambda: pymlp.SGD(lr="a"), TypeError),
    (lambda: pymlp.SGD(lr=None), TypeError),
    (lambda: pymlp.SGD(lr=True), TypeError),
    (lambda: pymlp.Adam(lr=[1]), TypeError)])
def test_optimizer_examples(make, error):
    with pytest.raises(error):
        make()


@pytest.mark.parametrize("name, value, error", [
    ("lr", float("nan"), ValueError), ("lr", 0, ValueError),
    ("lr", 10 ** 400, ValueError), ("lr", "a", TypeError),
    ("eps", -1.0, ValueError), ("betas", (0.9,), ValueError),
    ("weight_decay", None, TypeError)])
def test_hyper_parameters_assigned_later_are_checked(name, value, error):
    opt = pymlp.Adam(lr=0.01)
    before = getattr(opt, name)
    with pytest.raises(error, match=name):
        setattr(opt, name, value)
    assert getattr(opt, name) == before
    opt.lr = 10 ** 3  # a valid assignment is stored as a float
    assert opt.lr == 1000.0 and type(opt.lr) is float


def test_optimizers_pickle_with_a_lock_of_their_own():
    opt = pymlp.Adam(lr=0.5, betas=[0.8, 0.9])
    twin = pickle.loads(pickle.dumps(opt))
    assert repr(twin) == repr(opt) == ("Adam(lr=0.5, betas=(0.8, 0.9), "
                                       "eps=1e-08, weight_decay=0.0)")
    twin.step(np.zeros(3), np.ones(3))
    assert twin.steps == 1 and opt.steps == 0


@pytest.mark.parametrize("net", [None, "net", 5, np.zeros(3)])
def test_gradcheck_needs_a_network(net):
    with pytest.raises(TypeError, match="net must be a pymlp.MLP"):
        pymlp.gradcheck(net, X8, Y8)


@pytest.mark.parametrize("eps, error", [
    (0, ValueError), (0.0, ValueError), (-1e-6, ValueError),
    (float("nan"), ValueError), (float("inf"), ValueError),
    (10 ** 400, ValueError), ("a", TypeError), (None, TypeError)],
    ids=lambda v: "10**400" if v == 10 ** 400 else None)
def test_gradcheck_eps(eps, error):
    with pytest.raises(error, match="eps"):
        pymlp.gradcheck(small_net(), X8, Y8, eps=eps)


# -- names ---------------------------------------------------------------

KNOWN = set(ACTIVATIONS) | set(LOSSES) | set(INITS)
unknown = st.one_of(st.text(max_size=12), st.integers(), st.none()).filter(
    lambda v: v not in KNOWN)


@given(unknown)
def test_unknown_names_list_the_supported_ones(name):
    with pytest.raises(ValueError, match="relu"):
        pymlp.MLP([3, 4, 2], output_activation=name)
    with pytest.raises(ValueError, match="mse"):
        small_net().loss(X8, Y8, loss=name)
    with pytest.raises(ValueError, match="glorot_uniform"):
        pymlp.MLP([3, 4, 2], init=name)


@pytest.mark.parametrize("optimizer", ["rmsprop", 5, None, pymlp.Adam])
def test_unknown_optimizers_list_the_supported_ones(optimizer):
    with pytest.raises(ValueError, match="adam"):
        small_net().fit(X8, Y8, epochs=1, optimizer=optimizer)


@pytest.mark.parametrize("dtype", [None, "int32", "float16", "f4,f4",
                                   ("f4", (2,)), "complex64", 5])
def test_unsupported_dtypes(dtype):
    with pytest.raises(ValueError, match="dtype"):
        pymlp.MLP([3, 2], dtype=dtype)


@pytest.mark.parametrize("dtype", [">f4", "<f4", "=f4", np.dtype(">f4"),
                                   np.float32, ">f8", np.dtype(">f8"), "<f8",
                                   float])
def test_either_byte_order_names_the_native_dtype(dtype):
    net = pymlp.MLP([3, 2], dtype=dtype)
    assert net.dtype == np.dtype(dtype).newbyteorder("=")
    assert net.dtype.isnative and net.params.dtype.isnative
    assert net.dtype.name in ("float32", "float64")


def test_big_endian_network_trains_as_the_native_one(rng):
    X = rng.standard_normal((200, 64))
    labels = rng.integers(0, 10, 200)
    results = []
    for dtype in (">f4", "float32"):
        net = pymlp.MLP([64, 128, 128, 10], dtype=dtype, seed=0)
        history = net.fit(X, labels, loss="cross_entropy", epochs=3,
                          batch_size=32, seed=1)
        results.append((net.params, net.predict(X), history.loss))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]


# -- arrays --------------------------------------------------------------

NOT_NUMBERS = [[["a", "b", "c"]], np.array([[1j, 2, 3]]),
               np.array([[object(), 1, 2]], dtype=object),
               np.array([[b"1", b"2", b"3"]]), [[None, 1.0, 2.0]],
               np.array([["2020-01-01"] * 3], dtype="datetime64[D]"),
               [[10 ** 400, 1, 2]]]


@pytest.mark.parametrize("X", NOT_NUMBERS)
def test_arrays_of_non_numbers(X):
    net = small_net()
    with pytest.raises(TypeError, match="X"):
        net.predict(X)
    with pytest.raises(TypeError, match="X"):
        net.loss(X, Y8[:1])
    with pytest.raises(TypeError, match="X"):
        net.fit(X, Y8[:1], epochs=1)
    with pytest.raises(TypeError, match="y"):
        pymlp.MLP([3, 3], seed=0).fit(X8[:1], X, epochs=1)
    with pytest.raises(TypeError):
        net.fit(X8, Y8, epochs=1, validation_data=(X, Y8[:1]))


@pytest.mark.parametrize("shape", [(), (3,), (0,), (2, 3, 1), (0, 3),
                                   (4, 2), (4, 0), (1, 1, 1, 3)])
def test_wrong_shapes(shape):
    net, X = small_net(), np.ones(shape)
    for call in (lambda: net.predict(X), lambda: net.loss(X, Y8),
                 lambda: net.fit(X, Y8, epochs=1),
                 lambda: net.fit(X8, Y8, epochs=1, validation_data=(X, Y8))):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_in_training_data(bad):
    X, y = X8.copy(), Y8.copy()
    X[3, 1] = bad
    net = small_net()
    before = net.params.copy()
    with pytest.raises(ValueError, match="X contains"):
        net.fit(X, Y8, epochs=1)
    y[0, 1] = bad
    with pytest.raises(ValueError, match="y contains"):
        net.fit(X8, y, epochs=1)
    with pytest.raises(ValueError, match="contains"):
        net.fit(X8, Y8, epochs=1, validation_data=(X, Y8))
    np.testing.assert_array_equal(net.params, before)


def test_values_beyond_float32_are_reported_without_a_warning():
    # pytest turns warnings into errors here: only the ValueError may come
    with pytest.raises(ValueError, match="infinity"):
        small_net().predict(np.full((2, 3), 1e300))
    with pytest.raises(ValueError, match="infinity"):
        small_net().loss(X8, np.full((8, 2), -1e300))


def _results(X, y, loss, make_net):
    """(predict, loss, parameters after a short fit) of a fresh network."""
    net = make_net()
    out, value = net.predict(X), net.loss(X, y, loss=loss)
    net.fit(X, y, loss=loss, epochs=2, batch_size=3, seed=4)
    return out, value, net.params


def _assert_same(results, expected):
    np.testing.assert_array_equal(results[0], expected[0])
    assert results[1] == expected[1]
    np.testing.assert_array_equal(results[2], expected[2])


@settings(max_examples=60, deadline=None)
@given(counts=small_counts((7, 3)), dtype=input_dtypes, layout=layouts,
       net_dtype=st.sampled_from(["float32", "float64"]))
def test_every_input_form_gives_the_same_numbers(counts, dtype, layout,
                                                 net_dtype):
    # booleans are read as 0 and 1, as NumPy's arithmetic reads them
    X = counts.astype(dtype)
    y = np.arange(14.0).reshape(7, 2) / 7

    def make_net():
        return pymlp.MLP([3, 5, 2], dtype=net_dtype, seed=2)

    expected = _results(np.ascontiguousarray(X, dtype=net_dtype), y, "mse",
                        make_net)
    _assert_same(_results(as_layout(X, layout), y, "mse", make_net),
                 expected)


@settings(max_examples=30, deadline=None)
@given(counts=small_counts((7,)), read_only=st.booleans(),
       dtype=st.sampled_from(["int8", ">i8", "uint64", ">f8", "<f4"]))
def test_every_label_form_gives_the_same_numbers(counts, read_only, dtype):
    labels = (counts % 3).astype(dtype)
    labels.flags.writeable = not read_only
    X = np.arange(21.0).reshape(7, 3) / 21

    def make_net():
        return pymlp.MLP([3, 4, 3], seed=0)

    expected = _results(X, np.ascontiguousarray(labels, dtype=np.int64),
                        "cross_entropy", make_net)
    _assert_same(_results(X, labels, "cross_entropy", make_net), expected)


def test_read_only_memmap_inputs(tmp_path, rng):
    def make_net():
        return pymlp.MLP([3, 4, 2], seed=0)

    for dtype in ("float32", ">f8"):
        mapped = []
        for name, shape in (("X", (9, 3)), ("y", (9, 2))):
            path = tmp_path / f"{name}.bin"
            rng.standard_normal(shape).astype(dtype).tofile(path)
            mapped.append(np.memmap(path, dtype=dtype, mode="r",
                                    shape=shape))
        X, y = mapped
        assert not X.flags.writeable
        for X_form in (X, X[:, ::-1]):
            expected = _results(np.ascontiguousarray(X_form, np.float32),
                                np.ascontiguousarray(y, np.float32), "mse",
                                make_net)
            _assert_same(_results(X_form, y, "mse", make_net), expected)


# -- fit's other arguments -----------------------------------------------

@pytest.mark.parametrize("kwargs, error", [
    (dict(epochs=0), ValueError), (dict(epochs=-1), ValueError),
    (dict(epochs=1.5), ValueError), (dict(epochs=None), ValueError),
    (dict(batch_size=0), ValueError), (dict(seed=-1), ValueError),
    (dict(seed="a"), ValueError), (dict(optimizer="rmsprop"), ValueError),
    (dict(optimizer=5), ValueError), (dict(callbacks=[5]), TypeError),
    (dict(validation_data=5), ValueError),
    (dict(validation_data=(X8,)), ValueError),
    (dict(validation_data=(X8, Y8, Y8)), ValueError)])
def test_bad_fit_arguments(kwargs, error):
    net = small_net()
    before = net.params.copy()
    with pytest.raises(error):
        net.fit(X8, Y8, **dict(dict(epochs=1), **kwargs))
    np.testing.assert_array_equal(net.params, before)


def test_huge_batch_size_is_the_full_batch():
    full, huge = small_net(), small_net()
    full.fit(X8, Y8, epochs=3, batch_size=None)
    huge.fit(X8, Y8, epochs=3, batch_size=2 ** 63)
    np.testing.assert_array_equal(full.params, huge.params)


# -- pickled state -------------------------------------------------------

def _broken_states():
    good = small_net().__getstate__()  # layer_sizes (3, 4, 2): 26 params
    one_layer = ("identity",)
    edits = {
        "activations longer than the layers":
            ("activation", dict(activations=("relu",) * 10)),
        "activations shorter": ("activation", dict(activations=("relu",))),
        "unknown activation":
            ("activation", dict(activations=("relu", "swish"))),
        "activations not names": ("activation", dict(activations=5)),
        "huge layer_sizes": ("layer_sizes|too large",
                             dict(layer_sizes=(2 ** 63, 2),
                                  activations=one_layer)),
        "too many parameters": ("layer_sizes|too large",
                                dict(layer_sizes=(2 ** 40, 2 ** 40),
                                     activations=one_layer)),
        "layer_sizes of text": ("layer_sizes", dict(layer_sizes="abc")),
        "a zero layer": ("layer_sizes", dict(layer_sizes=(3, 0, 2))),
        "a negative layer": ("layer_sizes", dict(layer_sizes=(3, -4, 2))),
        "params too short": ("params", dict(params=np.zeros(3))),
        "params too long": ("params", dict(params=np.zeros(27))),
        "params of text": ("params", dict(params="abc")),
        "params 2-D": ("params", dict(params=np.zeros((2, 13)))),
        "unsupported dtype": ("dtype", dict(dtype="int8")),
        "n_threads of text": ("n_threads", dict(n_threads="x")),
        "n_threads 0": ("n_threads", dict(n_threads=0)),
    }
    for what, (names, edit) in edits.items():
        yield pytest.param(dict(good, **edit), names, id=what)
    for key in good:
        state = dict(good)
        del state[key]
        yield pytest.param(state, key, id=f"no {key}")
    for state in (None, [1, 2], "state"):
        yield pytest.param(state, "state", id=f"state {state!r}")


@pytest.mark.parametrize("state, names", list(_broken_states()))
def test_malformed_pickle_state(state, names):
    net = pymlp.MLP.__new__(pymlp.MLP)
    # checked when the state is set or, at the latest, at the first use
    with pytest.raises(ValueError, match=names):
        net.__setstate__(state)
        net.predict(X8)


def test_pickle_round_trip_still_works():
    net = small_net(n_threads=1)
    twin = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(twin.predict(X8), net.predict(X8))
    assert twin.n_threads == 1


# -- anything else: only ValueError or TypeError ---------------------------

junk = st.one_of(non_integers, non_reals, bad_reals, st.integers(-3, 3),
                 st.sampled_from([2 ** 63, -2 ** 63, 10 ** 400, "relu",
                                  "float64", "adam", "mse", (0.9, 0.99)]))


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(st.one_of(st.integers(1, 4), junk), max_size=4),
       kwargs=st.dictionaries(
           st.sampled_from(["activation", "output_activation", "dtype",
                            "init", "seed", "n_threads"]), junk))
def test_construction_raises_only_value_or_type_errors(sizes, kwargs):
    try:
        net = pymlp.MLP(sizes, **kwargs)
        net.predict(np.ones((2, net.layer_sizes[0])))
    except (ValueError, TypeError):
        pass


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from([pymlp.SGD, pymlp.Adam, pymlp.AdamW]),
       kwargs=st.dictionaries(
           st.sampled_from(["lr", "momentum", "nesterov", "weight_decay",
                            "betas", "eps"]), junk))
def test_optimizers_raise_only_value_or_type_errors(kind, kwargs):
    try:
        opt = kind(**kwargs)
    except (ValueError, TypeError):
        return
    p = np.zeros(4)
    opt.step(p, np.ones(4))
    assert opt.steps == 1


@settings(max_examples=100, deadline=None)
@given(kwargs=st.dictionaries(
    st.sampled_from(["loss", "optimizer", "epochs", "batch_size", "shuffle",
                     "seed", "validation_data", "callbacks"]),
    junk.filter(lambda v: not (isinstance(v, int) and v > 3))))
def test_fit_raises_only_value_or_type_errors(kwargs):
    net = small_net()
    try:
        net.fit(X8, Y8, **kwargs)
    except (ValueError, TypeError):
        pass
