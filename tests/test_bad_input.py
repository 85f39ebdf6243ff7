"""Bad input raises a clear ValueError or TypeError, never a crash."""
import numpy as np
import pytest

import pymlp


@pytest.fixture
def net():
    return pymlp.MLP([3, 4, 2], seed=0)


@pytest.mark.parametrize("bad, match", [
    (np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
def test_non_finite_inputs(net, bad, match):
    X = np.ones((5, 3))
    X[2, 1] = bad
    with pytest.raises(ValueError, match=f"X contains {match}"):
        net.predict(X)
    with pytest.raises(ValueError, match=f"X contains {match}"):
        net.loss(X, np.zeros((5, 2)))
    y = np.zeros((5, 2))
    y[0, 0] = bad
    with pytest.raises(ValueError, match=f"y contains {match}"):
        net.loss_and_grad(np.ones((5, 3)), y)


def test_overflow_on_conversion_is_reported(net):
    with pytest.raises(ValueError, match="infinity"):
        with np.errstate(over="ignore"):
            net.predict(np.full((2, 3), 1e300))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 1), ()])
def test_wrong_dimensions(net, shape):
    with pytest.raises(ValueError, match="2-D"):
        net.predict(np.ones(shape))


def test_wrong_width_names_both(net):
    with pytest.raises(ValueError, match="X has 5 features, but the network expects 3"):
        net.predict(np.ones((2, 5)))


def test_empty(net):
    with pytest.raises(ValueError, match="empty"):
        net.predict(np.ones((0, 3)))


def test_target_shapes(net):
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        net.loss(X, np.ones((4, 3)))
    with pytest.raises(ValueError, match="4 samples but y has 5"):
        net.loss(X, np.ones((5, 2)))
    with pytest.raises(ValueError, match="shape"):
        net.loss(X, np.ones(4))  # 1-D only where the output width is 1
    one = pymlp.MLP([3, 1], seed=0)
    assert np.isfinite(one.loss(X, np.ones(4)))


def test_labels(net):
    X = np.ones((3, 3))
    with pytest.raises(ValueError, match="labels from -1 to 1"):
        net.loss(X, [0, 1, -1], loss="cross_entropy")
    with pytest.raises(ValueError, match="labels from 0 to 2.*2 outputs"):
        net.loss(X, [0, 1, 2], loss="cross_entropy")
    with pytest.raises(ValueError, match="integer"):
        net.loss(X, [0, 1.5, 1], loss="cross_entropy")
    with pytest.raises(ValueError, match="1-D"):
        net.loss(X, np.zeros((3, 2)), loss="cross_entropy")
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        net.loss(X, [0, 1], loss="cross_entropy")
    with pytest.raises(TypeError, match="integer"):
        net.loss(X, [True, False, True], loss="cross_entropy")
    # integral floats are labels too
    assert net.loss(X, [0.0, 1.0, 1.0], loss="cross_entropy") == \
        net.loss(X, [0, 1, 1], loss="cross_entropy")


def test_bce_targets_in_unit_interval(net):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        net.loss(np.ones((2, 3)), [[0, 2], [1, 0]], loss="binary_cross_entropy")


@pytest.mark.parametrize("kwargs, match", [
    (dict(activation="swish"), "activation 'swish' is not supported.*relu"),
    (dict(output_activation="softmax"), "activation 'softmax' is not supported"),
    (dict(activation=["relu", "tanh"]), "2 names, but the network has 1 hidden"),
    (dict(init="xavier"), "init 'xavier' is not supported.*he_normal"),
    (dict(dtype="int32"), "dtype 'int32' is not supported"),
    (dict(dtype="float16"), "dtype 'float16' is not supported"),
    (dict(dtype="banana"), "dtype 'banana' is not supported"),
])
def test_unknown_names(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pymlp.MLP([3, 4, 2], **kwargs)


def test_unknown_loss(net):
    with pytest.raises(ValueError, match="loss 'hinge' is not supported.*mse"):
        net.loss(np.ones((2, 3)), np.ones((2, 2)), loss="hinge")


@pytest.mark.parametrize("sizes", [[3, 0, 2], [3, -1, 2], [3, 2.5, 2],
                                   [3, True, 2], [], [3], "abc", [3, None]])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        pymlp.MLP(sizes)


def test_layer_sizes_not_a_sequence():
    with pytest.raises(TypeError, match="layer_sizes"):
        pymlp.MLP(5)


@pytest.mark.parametrize("X", [[["a", "b", "c"]], np.array([[1j, 2, 3]]),
                               np.array([[object(), 1, 2]], dtype=object)])
def test_non_numeric_inputs(net, X):
    with pytest.raises(TypeError, match="X"):
        net.predict(X)


def test_ragged_input(net):
    with pytest.raises(TypeError, match="X"):
        net.predict([[1, 2, 3], [1, 2]])


def test_conversions_give_the_same_answer(net, rng):
    X = rng.standard_normal((6, 3)).astype(np.float32)
    expect = net.predict(X)
    wide = np.zeros((6, 6), dtype=np.float32)
    wide[:, ::2] = X
    for variant in [X.tolist(), X.astype(np.float64), np.asfortranarray(X),
                    wide[:, ::2], X[::-1][::-1], X.astype(">f4")]:
        np.testing.assert_array_equal(net.predict(variant), expect)
    ints = rng.integers(-3, 3, (6, 3))
    np.testing.assert_array_equal(net.predict(ints),
                                  net.predict(ints.astype(np.float32)))


def test_threads_argument():
    with pytest.raises(ValueError, match="n_threads"):
        pymlp.MLP([2, 2], n_threads=0).predict([[1.0, 2.0]])
    with pytest.raises(ValueError, match="threads"):
        pymlp.set_num_threads(-2)
