"""The compiled engine against the NumPy reference: forward, loss and
gradients for every activation x loss, both dtypes, several shapes."""
import numpy as np
import pytest

import pymlp
from conftest import make_targets
import reference as ref

HIDDEN = ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus",
          "gelu"]
LOSSES = ["mse", "mae", "huber", "cross_entropy", "binary_cross_entropy",
          "half_squared_error", "binary_log_loss", "poisson"]
SHAPES = [[3, 5, 4], [1, 1, 1], [4, 1, 3, 2], [6, 7, 5, 3, 2]]
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def compare(net, X, y, loss, sample_weight=None, l2=0.0):
    tol = TOL[net.dtype.name]
    W64 = [W.astype(np.float64) for W in net.weights]
    b64 = [b.astype(np.float64) for b in net.biases]
    expect_out = ref.forward(W64, b64, net.activations, X)[-1][1]
    np.testing.assert_allclose(net.predict(X), expect_out, **tol)
    expect_loss, expect_grads = ref.loss_and_grad(
        W64, b64, net.activations, X, y, loss, sample_weight, l2)
    value, grads = net.loss_and_grad(X, y, loss=loss,
                                     sample_weight=sample_weight, l2=l2)
    assert value == pytest.approx(expect_loss, rel=tol["rtol"], abs=tol["atol"])
    assert net.loss(X, y, loss=loss, sample_weight=sample_weight,
                    l2=l2) == pytest.approx(value, rel=1e-12)
    for (dW, db), (eW, eb) in zip(grads, expect_grads):
        assert dW.shape == eW.shape and db.shape == eb.shape
        scale = max(1.0, np.abs(eW).max(), np.abs(eb).max())
        np.testing.assert_allclose(dW, eW, rtol=tol["rtol"], atol=tol["atol"] * scale)
        np.testing.assert_allclose(db, eb, rtol=tol["rtol"], atol=tol["atol"] * scale)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_matches_reference(rng, hidden, loss, dtype):
    for sizes in SHAPES:
        net = pymlp.MLP(sizes, activation=hidden, dtype=dtype, seed=7)
        for n in (1, 9):
            X = rng.standard_normal((n, sizes[0]))
            y = make_targets(rng, loss, n, sizes[-1])
            compare(net, X, y, loss)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", LOSSES)
def test_sample_weights_and_l2_match_reference(rng, loss, dtype):
    for sizes in SHAPES:
        net = pymlp.MLP(sizes, activation="tanh", dtype=dtype, seed=4)
        for n in (1, 9):
            X = rng.standard_normal((n, sizes[0]))
            y = make_targets(rng, loss, n, sizes[-1])
            weights = rng.uniform(0, 3, n)
            weights[0] = 0.5  # a positive sum even for one row
            compare(net, X, y, loss, sample_weight=weights, l2=0.3)
            compare(net, X, y, loss, l2=1e-4)


def test_integer_sample_weights_repeat_rows(rng):
    # weighting a row by k is counting it k times
    net = pymlp.MLP([3, 4, 2], dtype="float64", seed=0)
    X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    counts = np.array([1, 3, 0, 2])
    value, grads = net.loss_and_grad(X, y, "half_squared_error",
                                     sample_weight=counts, l2=0.2)
    rep_value, rep_grads = net.loss_and_grad(
        np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0),
        "half_squared_error", l2=0.2)
    assert value == pytest.approx(rep_value, rel=1e-13)
    for (dW, db), (rW, rb) in zip(grads, rep_grads):
        np.testing.assert_allclose(dW, rW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db, rb, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu", "softplus", "gelu"])
def test_output_activations(rng, output):
    net = pymlp.MLP([3, 6, 2], activation="tanh", output_activation=output,
                    dtype="float64", seed=3)
    X = rng.standard_normal((11, 3))
    compare(net, X, rng.standard_normal((11, 2)), "mse")


def test_mixed_hidden_activations(rng):
    net = pymlp.MLP([4, 5, 6, 3], activation=["gelu", "sigmoid"],
                    dtype="float64", seed=2)
    assert net.activations == ("gelu", "sigmoid", "identity")
    compare(net, rng.standard_normal((8, 4)), rng.integers(0, 3, 8), "cross_entropy")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_loop_at_every_simd_level(simd, rng, hidden, dtype):
    # Odd widths at each SIMD level the CPU has: vector bodies and their
    # tails of the activations (in the products' epilogues and in the
    # backward pass), the losses and the column sums, with products on
    # both the direct path (1 and 5 rows, the last layer) and the packed
    # one (33 rows, the first two layers)
    sizes = [37, 67, 19, 11]
    net = pymlp.MLP(sizes, activation=hidden, dtype=dtype, seed=3)
    for loss in LOSSES:
        for n in (1, 5, 33):
            X = rng.standard_normal((n, sizes[0]))
            y = make_targets(rng, loss, n, sizes[-1])
            compare(net, X, y, loss, sample_weight=rng.uniform(0.5, 2, n))


def batch_and_rows(net, X):
    """net's prediction of X in one call, and row by row."""
    return net.predict(X), np.vstack([net.predict(row[None]) for row in X])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", ["relu", "identity", "tanh"])
def test_a_rows_output_does_not_depend_on_its_neighbours(simd, rng, hidden,
                                                          dtype):
    # Small layers take the direct product: four rows at a time, with bias
    # and ReLU (or bias alone) applied in the blocks' registers, and a
    # leftover row streamed with the epilogue applied after. Each output
    # is the same sum in the same order either way, so a batch's rows equal
    # the rows predicted one by one, bit for bit.
    net = pymlp.MLP([5, 12, 9, 3], activation=hidden, dtype=dtype, seed=3)
    X = rng.standard_normal((37, 5)).astype(dtype)
    batch, one_by_one = batch_and_rows(net, X)
    np.testing.assert_array_equal(batch, one_by_one)
    W64 = [W.astype(np.float64) for W in net.weights]
    b64 = [b.astype(np.float64) for b in net.biases]
    expect = ref.forward(W64, b64, net.activations, X)[-1][1]
    np.testing.assert_allclose(batch, expect, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", ["relu", "identity", "tanh"])
def test_blocked_rows_equal_rows_predicted_one_by_one(simd, rng, hidden,
                                                      dtype):
    # A batch this wide takes the packed product, whose micro-kernel adds
    # the bias and applies ReLU to its tiles (edge tiles too) before
    # storing them; a single row takes the direct path. Every output is the
    # same sum in the same order (K within one block), then the same bias
    # and activation: the two agree bit for bit where the compiler fuses
    # the direct path's multiply-adds as the kernel does (the optimised
    # build), a few roundings apart where it does not (the sanitizer
    # build); a misplaced bias or mask is off by far more.
    net = pymlp.MLP([40, 70, 50, 10], activation=hidden, dtype=dtype, seed=4)
    batch, one_by_one = batch_and_rows(
        net, rng.standard_normal((37, 40)).astype(dtype))
    bound = 4 * 70 * np.finfo(dtype).eps * np.abs(one_by_one).max()
    np.testing.assert_allclose(batch, one_by_one, rtol=0, atol=bound)


@pytest.mark.parametrize("hidden", ["gelu", "relu", "identity"])
def test_large_layers_use_the_blocked_product(rng, hidden):
    # widths past the small-product path exercise packing and threads, and
    # the epilogues the micro-kernel applies itself (bias with relu or
    # identity; relu's derivative) or leaves to the pass after it (gelu)
    net = pymlp.MLP([70, 130, 40, 10], activation=hidden, dtype="float64",
                    seed=0)
    X = rng.standard_normal((300, 70))
    compare(net, X, rng.integers(0, 10, 300), "cross_entropy")
    net32 = net.astype("float32")
    compare(net32, X, rng.integers(0, 10, 300), "cross_entropy")


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
def test_fused_loss_delta_is_probability_minus_target(rng, loss):
    # one identity layer: db is the column sum of the output delta, which
    # for the fused losses is (softmax(z) - onehot) / n, (sigmoid(z) - y) / (n m)
    n, width = 7, 4
    net = pymlp.MLP([3, width], output_activation="identity", dtype="float64", seed=1)
    X = rng.standard_normal((n, 3))
    y = make_targets(rng, loss, n, width)
    z = net.predict(X)
    if loss == "cross_entropy":
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        onehot = np.eye(width)[y]
        delta = (p - onehot) / n
    else:
        delta = (1 / (1 + np.exp(-z)) - y) / (n * width)
    _, grads = net.loss_and_grad(X, y, loss=loss)
    np.testing.assert_allclose(grads[0][1], delta.sum(0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads[0][0], X.T @ delta, rtol=1e-12, atol=1e-15)


def test_stable_for_extreme_logits():
    net = pymlp.MLP([1, 2], dtype="float64", seed=0)
    net.weights[0][...] = [[1000.0, -1000.0]]
    net.biases[0][...] = 0
    X = np.array([[1.0], [-1.0]])
    value = net.loss(X, np.array([0, 0]), loss="cross_entropy")
    assert value == pytest.approx(1000.0)  # (0 + 2000) / 2 without overflow
    value = net.loss(X, np.array([[1.0, 0.0], [1.0, 0.0]]), loss="binary_cross_entropy")
    assert value == pytest.approx(500.0)  # elements 0, 0, 1000, 1000
    sig = pymlp.MLP([1, 1], output_activation="sigmoid", dtype="float64", seed=0)
    sig.weights[0][...] = 1
    sig.biases[0][...] = 0
    out = sig.predict(np.array([[-800.0], [800.0]]))
    np.testing.assert_array_equal(out, [[0.0], [1.0]])


def test_step_predicts_signs_and_has_no_gradient():
    net = pymlp.MLP([1, 1], output_activation="step", dtype="float64", seed=0)
    net.weights[0][...] = 1
    net.biases[0][...] = 0
    np.testing.assert_array_equal(net.predict([[2.0], [0.0], [-3.0]]),
                                  [[1.0], [-1.0], [-1.0]])
    with pytest.raises(ValueError, match="gradient"):
        net.loss_and_grad([[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="gradient"):
        pymlp.gradcheck(net, [[1.0]], [[1.0]])


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradcheck_central_differences(rng, hidden, loss):
    net = pymlp.MLP([3, 4, 3], activation=hidden, dtype="float32", seed=5)
    X = rng.standard_normal((6, 3))
    y = make_targets(rng, loss, 6, 3)
    if loss == "mae":
        y = net.astype("float64").predict(X) + np.sign(rng.standard_normal((6, 3)))
    error = pymlp.gradcheck(net, X, y, loss=loss)
    assert error < 1e-6, error
    weights = rng.uniform(0.1, 2, 6)
    error = pymlp.gradcheck(net, X, y, loss=loss, sample_weight=weights,
                            l2=0.5)
    assert error < 1e-6, error


def test_finite_differences_detect_a_wrong_gradient(rng):
    # the comparison gradcheck makes can fail: a perturbed gradient is caught
    net = pymlp.MLP([2, 3, 1], activation="tanh", dtype="float64", seed=0)
    X, y = rng.standard_normal((5, 2)), rng.standard_normal((5, 1))
    _, grad = net.loss_and_flat_grad(X, y)
    p, eps = net.params, 1e-6
    numeric = np.empty_like(grad)
    for i in range(p.size):
        p[i] += eps
        up = net.loss(X, y)
        p[i] -= 2 * eps
        down = net.loss(X, y)
        p[i] += eps
        numeric[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    wrong = grad.copy()
    wrong[3] *= 1.01
    assert not np.allclose(wrong, numeric, rtol=1e-6, atol=1e-9)


def test_initialisation(rng):
    a = pymlp.MLP([30, 20, 5], seed=11)
    b = pymlp.MLP([30, 20, 5], seed=11)
    c = pymlp.MLP([30, 20, 5], seed=12)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    bound = 1 / np.sqrt(30)
    assert np.abs(a.weights[0]).max() <= bound and np.abs(a.biases[0]).max() <= bound
    assert np.abs(a.weights[0]).max() > 0.9 * bound
    g = pymlp.MLP([30, 20, 5], init="glorot_uniform", seed=0)
    assert np.abs(g.weights[0]).max() <= np.sqrt(6 / 50)
    assert not g.biases[0].any()
    h = pymlp.MLP([400, 300], init="he_normal", seed=0, dtype="float64")
    assert h.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_parameters_are_views_of_one_buffer():
    net = pymlp.MLP([2, 3, 1], seed=0)
    assert net.params.flags.c_contiguous and net.params.ndim == 1
    assert net.params.size == 2 * 3 + 3 + 3 * 1 + 1
    for W in net.weights:
        assert np.shares_memory(W, net.params)
    net.weights[1][...] = 0
    net.biases[1][...] = 2.5
    np.testing.assert_array_equal(net.predict(np.ones((4, 2))), 2.5)
    assert net.params[-1] == 2.5
    assert net.layer_sizes == (2, 3, 1)
    assert net.activations == ("relu", "identity")
    assert net.dtype == np.float32


@pytest.mark.parametrize("dtype, tiny", [("float32", 1e-39),
                                         ("float64", 1e-310)])
def test_denormals_count_as_zero_and_the_mode_is_given_back(dtype, tiny):
    # zero biases and identity layers: the output is X @ W1 @ W2, which
    # IEEE arithmetic keeps as (nonzero) denormals
    net = pymlp.MLP([4, 6, 3], activation="identity", dtype=dtype,
                    init="glorot_uniform", seed=0)
    denormal = np.full((5, 4), tiny, dtype=dtype)
    assert denormal[0, 0] != 0  # a denormal, not an underflow to zero
    assert (denormal @ net.weights[0] @ net.weights[1] != 0).any()
    np.testing.assert_array_equal(net.predict(denormal), 0)
    # the caller's floating-point mode is restored: NumPy still makes
    # denormals after the engine ran
    assert np.array([tiny * 10], dtype=dtype)[0] / 10 != 0


def _weight_matrices_only(net, flat):
    """flat with zeros at the biases' places."""
    out = np.zeros_like(flat)
    for (W_out, _), (W, _) in zip(net.unflatten(out), net.unflatten(flat)):
        W_out[...] = W
    return out


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_and_grad_sums_add_up_over_parts(rng, loss):
    # the sums of three parts, divided by the weight sum and with the L2
    # penalty added, are the loss and gradient of all the rows: against the
    # NumPy reference, and the sums themselves against central differences
    net = pymlp.MLP([3, 5, 2], activation="tanh", dtype="float64", seed=3)
    n, l2 = 11, 0.3
    X = rng.standard_normal((n, 3))
    y = make_targets(rng, loss, n, 2)
    w = rng.uniform(0.1, 2, n)
    parts = [slice(0, 4), slice(4, 5), slice(5, n)]
    sums = [net.loss_and_grad_sums(X[s], y[s], loss, w[s]) for s in parts]
    S_loss = sum(s[0] for s in sums)
    S_grad = sum(s[1] for s in sums)
    S_w = sum(s[2] for s in sums)
    assert S_w == pytest.approx(w.sum(), rel=1e-15)
    penalty = 0.5 * l2 * sum((W * W).sum() for W in net.weights)
    expect_loss, expect_grads = ref.loss_and_grad(
        net.weights, net.biases, net.activations, X, y, loss, w, l2)
    assert (S_loss + penalty) / S_w == pytest.approx(expect_loss, rel=1e-12)
    grad = (S_grad + l2 * _weight_matrices_only(net, net.params)) / S_w
    for (dW, db), (eW, eb) in zip(net.unflatten(grad), expect_grads):
        np.testing.assert_allclose(dW, eW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db, eb, rtol=1e-10, atol=1e-12)
    # the loss sum's own gradient is the gradient sum
    X1, y1, w1 = X[parts[2]], y[parts[2]], w[parts[2]]
    _, grad_sum, _ = net.loss_and_grad_sums(X1, y1, loss, w1)
    p, eps = net.params, 1e-6
    numeric = np.empty_like(grad_sum)
    for i in range(p.size):
        saved = p[i]
        p[i] = saved + eps
        up = net.loss_and_grad_sums(X1, y1, loss, w1)[0]
        p[i] = saved - eps
        down = net.loss_and_grad_sums(X1, y1, loss, w1)[0]
        p[i] = saved
        numeric[i] = (up - down) / (2 * eps)
    scale = np.abs(grad_sum).max()
    np.testing.assert_allclose(grad_sum, numeric, rtol=1e-5, atol=1e-6 * scale)


def test_loss_and_grad_sums_without_weights_count_rows(rng):
    net = pymlp.MLP([2, 3, 1], dtype="float32", seed=0)
    X, y = rng.standard_normal((6, 2)), rng.standard_normal((6, 1))
    value, grad, weight_sum = net.loss_and_grad_sums(X, y)
    assert weight_sum == 6.0 and grad.dtype == np.float32
    mean, mean_grad = net.loss_and_flat_grad(X, y)
    assert value == pytest.approx(6 * mean, rel=1e-6)
    np.testing.assert_allclose(grad, 6 * mean_grad, rtol=1e-5, atol=1e-7)
    # rows whose weights are all 0 add nothing
    value, grad, weight_sum = net.loss_and_grad_sums(X, y,
                                                     sample_weight=np.zeros(6))
    assert (value, weight_sum) == (0.0, 0.0) and not grad.any()


def unaligned(a):
    """A copy of a whose data starts half an item past an item boundary,
    as an array deserialised from a buffer at an odd offset can."""
    a = np.ascontiguousarray(a)
    half = a.itemsize // 2
    raw = np.zeros(a.nbytes + 2 * a.itemsize, dtype=np.uint8)
    start = (half - raw.ctypes.data) % a.itemsize
    out = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unaligned_arrays_are_read_as_aligned_copies(rng, dtype):
    # the engine never loads from a misaligned address (UBSan checks it)
    net = pymlp.MLP([3, 4, 3], dtype=dtype, seed=0)
    X = rng.standard_normal((9, 3)).astype(dtype)
    y = rng.standard_normal((9, 3)).astype(dtype)
    labels = rng.integers(0, 3, 9)
    w = rng.uniform(0.5, 1, 9).astype(dtype)
    np.testing.assert_array_equal(net.predict(unaligned(X)), net.predict(X))
    assert (net.loss(unaligned(X), unaligned(y), sample_weight=unaligned(w))
            == net.loss(X, y, sample_weight=w))
    assert (net.loss(unaligned(X), unaligned(labels), "cross_entropy")
            == net.loss(X, labels, "cross_entropy"))
    a, b = net.copy(), net.copy()
    a.fit(unaligned(X), unaligned(y), epochs=2, batch_size=4, seed=0,
          sample_weight=unaligned(w))
    b.fit(X, y, epochs=2, batch_size=4, seed=0, sample_weight=w)
    np.testing.assert_array_equal(a.params, b.params)
