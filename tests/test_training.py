"""Optimizers against the reference update rules; fit's mini-batch
semantics, determinism, learning, divergence, callbacks, interruption."""
import math
import pickle
import re

import numpy as np
import pytest

import pymlp
import reference as ref


def square_data(seed=0):
    rng = np.random.default_rng(seed)
    x = 5 * rng.standard_normal((100, 1))
    return x, x ** 2 + rng.standard_normal((100, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "sgd_wd",
                                  "adam", "adam_wd", "adamw"])
def test_optimizer_steps_match_reference(simd, rng, kind, dtype):
    settings = {
        "sgd": (pymlp.SGD(lr=0.1), dict(lr=0.1)),
        "momentum": (pymlp.SGD(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9)),
        "nesterov": (pymlp.SGD(lr=0.05, momentum=0.8, nesterov=True),
                     dict(lr=0.05, momentum=0.8, nesterov=True)),
        "sgd_wd": (pymlp.SGD(lr=0.1, momentum=0.5, weight_decay=0.01),
                   dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
        "adam": (pymlp.Adam(lr=0.01), dict(lr=0.01)),
        "adam_wd": (pymlp.Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
                    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
        "adamw": (pymlp.AdamW(lr=0.01), dict(lr=0.01, weight_decay=0.01, decoupled=True)),
    }
    opt, args = settings[kind]
    # 67 parameters: every vector width's body and tail, at each SIMD level
    p = rng.standard_normal(67).astype(dtype)
    expect = p.astype(np.float64)
    buf = m = v = np.zeros(67)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for t in range(1, 11):
        g = rng.standard_normal(67).astype(dtype)
        opt.step(p, g)
        if kind.startswith(("sgd", "mom", "nes")):
            expect, buf = ref.sgd(expect, g.astype(np.float64), buf, first=t == 1, **args)
        else:
            expect, m, v = ref.adam(expect, g.astype(np.float64), m, v, t, **args)
        np.testing.assert_allclose(p, expect, rtol=tol, atol=tol)
    assert opt.steps == 10


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "adam"])
def test_sklearn_convention_steps_match_reference(simd, rng, kind, dtype):
    settings = {
        "sgd": (pymlp.SGD(lr=0.1, convention="sklearn"), dict(lr=0.1)),
        "momentum": (pymlp.SGD(lr=0.05, momentum=0.9, convention="sklearn"),
                     dict(lr=0.05, momentum=0.9)),
        "nesterov": (pymlp.SGD(lr=0.05, momentum=0.8, nesterov=True,
                               convention="sklearn"),
                     dict(lr=0.05, momentum=0.8, nesterov=True)),
        "adam": (pymlp.Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-3,
                            convention="sklearn"),
                 dict(lr=0.01, betas=(0.8, 0.99), eps=1e-3)),
    }
    opt, args = settings[kind]
    p = rng.standard_normal(67).astype(dtype)
    expect = p.astype(np.float64)
    velocity = m = v = np.zeros(67)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for t in range(1, 11):
        g = rng.standard_normal(67).astype(dtype)
        if t == 6 and kind != "adam":  # the rate changes: the rules differ
            opt.lr = args["lr"] = args["lr"] / 5
        opt.step(p, g)
        if kind == "adam":
            expect, m, v = ref.adam_sklearn(expect, g.astype(np.float64), m,
                                            v, t, **args)
        else:
            expect, velocity = ref.sgd_sklearn(
                expect, g.astype(np.float64), velocity, **args)
        np.testing.assert_allclose(p, expect, rtol=tol, atol=tol)
    assert opt.steps == 10


def test_sklearn_convention_differs_from_torch_where_it_should(rng):
    # Adam: eps enters before or after the bias correction of v
    g = rng.standard_normal(20)
    p_torch, p_sklearn = np.zeros(20), np.zeros(20)
    pymlp.Adam(lr=0.1, eps=1e-2).step(p_torch, g)
    pymlp.Adam(lr=0.1, eps=1e-2, convention="sklearn").step(p_sklearn, g)
    assert not np.allclose(p_torch, p_sklearn, rtol=1e-6)
    with pytest.raises(ValueError, match="convention"):
        pymlp.SGD(convention="keras")
    with pytest.raises(ValueError, match="convention"):
        pymlp.AdamW().convention = "sklearn"


def test_fit_step_matches_gradient_and_update(rng):
    net = pymlp.MLP([3, 5, 2], activation="tanh", dtype="float64", seed=0)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    _, grad = net.loss_and_flat_grad(X, y)
    expect, _, _ = ref.adam(net.params.copy(), grad, 0, 0, 1, lr=0.01)
    net.fit(X, y, optimizer=pymlp.Adam(lr=0.01), epochs=1)
    np.testing.assert_allclose(net.params, expect, rtol=1e-12, atol=1e-14)


def test_ordered_minibatches_match_a_manual_loop(rng):
    X, y = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    net = pymlp.MLP([2, 4, 1], activation="sigmoid", dtype="float64", seed=1)
    manual = net.copy()
    opt = pymlp.SGD(lr=0.1, momentum=0.9)
    hist = net.fit(X, y, optimizer=opt, epochs=2, batch_size=3, shuffle=False)
    assert opt.steps == 2 * math.ceil(10 / 3)
    buf, first, losses = None, True, []
    for epoch in range(2):
        total = 0.0
        for start in range(0, 10, 3):
            xb, yb = X[start:start + 3], y[start:start + 3]
            value, grad = manual.loss_and_flat_grad(xb, yb)
            total += value * len(xb)
            new, buf = ref.sgd(manual.params, grad, buf, lr=0.1, momentum=0.9,
                               first=first)
            manual.params = new
            first = False
        losses.append(total / 10)
    np.testing.assert_allclose(net.params, manual.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hist.loss, losses, rtol=1e-12)


def test_optimizer_state_carries_over_partial_fit(rng):
    X, y = rng.standard_normal((12, 2)), rng.standard_normal((12, 1))
    a = pymlp.MLP([2, 3, 1], seed=4)
    b = a.copy()
    opt_a, opt_b = pymlp.Adam(lr=0.05), pymlp.Adam(lr=0.05)
    a.fit(X, y, optimizer=opt_a, epochs=3, batch_size=5, shuffle=False)
    for _ in range(3):
        b.partial_fit(X, y, optimizer=opt_b, batch_size=5, shuffle=False)
    np.testing.assert_array_equal(a.params, b.params)
    assert opt_a.steps == opt_b.steps == 9


def test_same_seed_same_result_other_seed_differs(rng):
    X, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    runs = []
    for seed in (1, 1, 2):
        net = pymlp.MLP([4, 8, 3], seed=0)
        net.fit(X, y, loss="cross_entropy", optimizer=pymlp.SGD(lr=0.1),
                epochs=3, batch_size=7, seed=seed)
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_full_batch_runs_repeat_without_a_seed(rng):
    # one batch holds every row: nothing to shuffle, so no seed is needed
    # (a reordering would change the sums' rounding and, over a long
    # chaotic run, the result)
    X, y = rng.standard_normal((40, 2)), rng.standard_normal((40, 1))
    runs = []
    for _ in range(2):
        net = pymlp.MLP([2, 8, 1], seed=0)
        net.fit(X, y, optimizer=pymlp.Adam(0.05), epochs=50)
        runs.append(net.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_buffers_kept_between_fits_carry_nothing_over(rng):
    X, y = rng.standard_normal((64, 3)), rng.standard_normal((64, 2))
    used = pymlp.MLP([3, 16, 2], seed=0)
    used.fit(X, y, optimizer=pymlp.SGD(0.1), epochs=1, batch_size=8)
    fresh = pickle.loads(pickle.dumps(used))  # same parameters, no buffers
    for net in (used, fresh):  # a larger batch: the kept scratch grows
        net.fit(X, y, optimizer=pymlp.SGD(0.1), epochs=2, batch_size=32,
                seed=5)
    np.testing.assert_array_equal(used.params, fresh.params)


def test_training_bit_identical_for_one_and_two_threads(rng):
    X, y = rng.standard_normal((512, 64)), rng.integers(0, 10, 512)
    params = []
    for threads in (1, 2):
        net = pymlp.MLP([64, 256, 256, 10], seed=0, n_threads=threads)
        net.fit(X, y, loss="cross_entropy", optimizer=pymlp.Adam(1e-3),
                epochs=2, batch_size=128, seed=3)
        params.append(net.params)
    np.testing.assert_array_equal(params[0], params[1])


def test_lecture_square_run_reaches_noise_level():
    x, y = square_data()
    net = pymlp.MLP([1, 8, 8, 1], activation="relu", seed=0)
    hist = net.fit(x, y, loss="mse", optimizer=pymlp.Adam(lr=0.1), epochs=10000)
    assert len(hist.loss) == 10000
    assert hist.loss[-1] < 1.5
    assert net.loss(x, y) < 1.5


def test_xor_learns():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0], dtype=float)
    net = pymlp.MLP([2, 8, 1], activation="tanh", seed=0)
    net.fit(X, y, loss="binary_cross_entropy", optimizer=pymlp.Adam(0.05), epochs=500)
    np.testing.assert_array_equal((net.predict(X)[:, 0] > 0).astype(float), y)


def test_softmax_classifier_on_blobs(rng):
    centers = np.array([[0, 4], [4, -2], [-4, -2]])
    labels = rng.integers(0, 3, 300)
    X = centers[labels] + rng.standard_normal((300, 2))
    net = pymlp.MLP([2, 16, 3], seed=0)
    hist = net.fit(X[:200], labels[:200], loss="cross_entropy",
                   optimizer=pymlp.Adam(0.01), epochs=30, batch_size=32, seed=0,
                   validation_data=(X[200:], labels[200:]))
    assert len(hist.val_loss) == 30
    assert hist.val_loss[-1] == pytest.approx(
        net.loss(X[200:], labels[200:], loss="cross_entropy"), rel=1e-6)
    accuracy = (net.predict(X[200:]).argmax(1) == labels[200:]).mean()
    assert accuracy > 0.95
    proba = net.predict_proba(X[200:])
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)


def test_callbacks_see_every_epoch_and_can_stop(rng):
    X, y = rng.standard_normal((20, 2)), rng.standard_normal((20, 1))
    seen = []

    def record(epoch, logs):
        seen.append((epoch, logs["loss"]))
        return epoch == 4

    net = pymlp.MLP([2, 3, 1], seed=0)
    hist = net.fit(X, y, epochs=10, callbacks=[record])
    assert [e for e, _ in seen] == [1, 2, 3, 4]
    assert [l for _, l in seen] == hist.loss
    assert hist.stopped_by_callback and hist.epochs == 4


def test_verbose_progress(rng, capsys):
    X, y = rng.standard_normal((20, 2)), rng.standard_normal((20, 1))
    pymlp.MLP([2, 3, 1], seed=0).fit(X, y, epochs=5, verbose=True)
    err = capsys.readouterr().err
    assert "5/5" in err


def test_divergence_raises_and_restores_the_last_checked_state():
    x, y = square_data()
    net = pymlp.MLP([1, 8, 8, 1], seed=0)
    opt = pymlp.SGD(lr=1e3, momentum=0.9)
    with pytest.raises(FloatingPointError, match="epoch .*learning rate") as info:
        net.fit(x, y, optimizer=opt, epochs=200, seed=0)
    assert np.isfinite(net.params).all()
    epoch = int(re.search(r"diverged in epoch (\d+)", str(info.value)).group(1))
    assert epoch >= 2
    # full batch: one update per epoch. The state kept is that of the last
    # epoch start whose loss was within the bound: the diverging epoch's,
    # or the one before when the diverging epoch's first loss exploded
    assert opt.steps in (epoch - 1, epoch - 2)
    assert f"after {opt.steps} updates" in str(info.value)
    twin = pymlp.MLP([1, 8, 8, 1], seed=0)
    twin_opt = pymlp.SGD(lr=1e3, momentum=0.9)
    if opt.steps:
        twin.fit(x, y, optimizer=twin_opt, epochs=opt.steps, seed=0)
    np.testing.assert_array_equal(net.params, twin.params)
    np.testing.assert_array_equal(opt.state, twin_opt.state if opt.steps
                                  else np.zeros_like(opt.state))
    # and that state is sound: the loss there is within the bound
    assert net.loss(x, y) < 1e10 * max(1.0, twin.loss(x, y))


def test_divergence_then_training_goes_on_with_a_smaller_rate():
    x, y = square_data()
    net = pymlp.MLP([1, 8, 8, 1], seed=0)
    opt = pymlp.Adam(lr=1e6)
    with pytest.raises(FloatingPointError):
        net.fit(x, y, optimizer=opt, epochs=50)
    opt.lr = 1e-2
    history = net.fit(x, y, optimizer=opt, epochs=300)
    assert np.isfinite(history.loss).all()
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_interrupt_stops_between_updates(rng):
    X, y = rng.standard_normal((30, 2)), rng.standard_normal((30, 1))

    def interrupt(epoch, logs):
        if epoch == 3:
            raise KeyboardInterrupt

    net = pymlp.MLP([2, 4, 1], seed=0)
    opt = pymlp.Adam(0.01)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, optimizer=opt, epochs=10, batch_size=8, seed=5,
                callbacks=[interrupt])
    assert opt.steps == 3 * 4
    twin = pymlp.MLP([2, 4, 1], seed=0)
    twin.fit(X, y, optimizer=pymlp.Adam(0.01), epochs=3, batch_size=8, seed=5)
    np.testing.assert_array_equal(net.params, twin.params)


def test_step_activation_is_not_trainable():
    net = pymlp.MLP([2, 3, 1], activation="step", seed=0)
    with pytest.raises(ValueError, match="step.*gradient"):
        net.fit([[0.0, 1.0]], [1.0], epochs=1)


@pytest.mark.parametrize("kwargs, error", [
    (dict(epochs=0), ValueError), (dict(epochs=2.5), ValueError),
    (dict(batch_size=0), ValueError), (dict(optimizer="rmsprop"), ValueError),
    (dict(validation_data=(np.ones((3, 5)), np.ones(3))), ValueError),
    (dict(validation_data=np.ones(3)), ValueError),
    (dict(callbacks=[3]), TypeError)])
def test_bad_fit_arguments(kwargs, error):
    net = pymlp.MLP([2, 3, 1], seed=0)
    with pytest.raises(error):
        net.fit(np.ones((4, 2)), np.ones(4), **kwargs)


@pytest.mark.parametrize("make", [
    lambda: pymlp.SGD(lr=0), lambda: pymlp.SGD(lr=-1),
    lambda: pymlp.SGD(lr=float("nan")), lambda: pymlp.SGD(momentum=-0.1),
    lambda: pymlp.SGD(nesterov=True), lambda: pymlp.Adam(betas=(1.0, 0.9)),
    lambda: pymlp.Adam(betas=(0.9, -0.1)), lambda: pymlp.Adam(eps=-1),
    lambda: pymlp.Adam(betas=0.9), lambda: pymlp.AdamW(weight_decay=-1)])
def test_bad_hyper_parameters(make):
    with pytest.raises((ValueError, TypeError)):
        make()


def test_optimizer_belongs_to_one_network(rng):
    X, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    opt = pymlp.Adam()
    pymlp.MLP([2, 3, 1], seed=0).fit(X, y, optimizer=opt, epochs=1)
    with pytest.raises(ValueError, match="another network"):
        pymlp.MLP([2, 3, 1], seed=0).fit(X, y, optimizer=opt, epochs=1)


def test_against_torch_optim(rng):
    torch = pytest.importorskip("torch")
    p0 = rng.standard_normal(20)
    grads = rng.standard_normal((10, 20))
    for ours, theirs in [
            (pymlp.Adam(lr=0.01, weight_decay=0.1),
             lambda t: torch.optim.Adam([t], lr=0.01, weight_decay=0.1)),
            (pymlp.AdamW(lr=0.01), lambda t: torch.optim.AdamW([t], lr=0.01)),
            (pymlp.SGD(lr=0.1, momentum=0.9, nesterov=True),
             lambda t: torch.optim.SGD([t], lr=0.1, momentum=0.9, nesterov=True))]:
        p = p0.copy()
        t = torch.tensor(p0, requires_grad=True)
        opt = theirs(t)
        for g in grads:
            ours.step(p, g)
            t.grad = torch.tensor(g)
            opt.step()
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_fit_takes_the_weighted_penalised_step(rng):
    net = pymlp.MLP([3, 5, 2], activation="tanh", dtype="float64", seed=0)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    w = rng.uniform(0.5, 2, 8)
    value, grad = net.loss_and_flat_grad(X, y, "half_squared_error",
                                         sample_weight=w, l2=0.3)
    expect = net.params - 0.1 * grad
    history = net.fit(X, y, "half_squared_error", pymlp.SGD(lr=0.1),
                      epochs=1, sample_weight=w, l2=0.3)
    np.testing.assert_allclose(net.params, expect, rtol=1e-13, atol=1e-15)
    assert history.loss[0] == pytest.approx(value, rel=1e-13)
    W_norm2 = sum((W ** 2).sum() for W in pymlp.MLP(
        [3, 5, 2], activation="tanh", dtype="float64", seed=0).weights)
    assert history.penalty[0] == pytest.approx(0.5 * 0.3 * W_norm2 / w.sum(),
                                               rel=1e-12)


def test_sample_weights_follow_their_rows_through_shuffles(rng):
    # rows of weight 0 carry absurd targets: any misalignment shows at once
    X = rng.standard_normal((64, 3))
    y = X.sum(axis=1, keepdims=True)
    w = np.ones(64)
    w[::4] = 0
    y[::4] = 1e6
    net = pymlp.MLP([3, 8, 1], seed=0)
    history = net.fit(X, y, optimizer=pymlp.Adam(1e-2), epochs=20,
                      batch_size=7, seed=3, sample_weight=w)
    assert max(history.loss) < 50
    assert net.loss(X[w > 0], y[w > 0]) < history.loss[0]


def test_a_copied_optimizer_goes_on_where_it_was(rng):
    import pickle
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    net = pymlp.MLP([3, 4, 1], seed=0)
    opt = pymlp.Adam(lr=1e-2)
    net.fit(X, y, optimizer=opt, epochs=3)
    twin_net, twin_opt = pickle.loads(pickle.dumps((net, opt)))
    assert twin_opt.steps == 3
    net.fit(X, y, optimizer=opt, epochs=2)
    twin_net.fit(X, y, optimizer=twin_opt, epochs=2)
    np.testing.assert_array_equal(net.params, twin_net.params)
    # a copy whose state fits no longer starts over on another shape
    other = pymlp.MLP([3, 7, 1], seed=0)
    fresh = pickle.loads(pickle.dumps(opt))
    other.fit(X, y, optimizer=fresh, epochs=1)
    assert fresh.steps == 1
