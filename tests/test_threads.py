"""Networks and optimizers shared between Python threads.

Predictions on one network may run at once and each equals the serial
result. Fits of one network take turns (the network holds a lock for the
length of a fit), so two of them end as the two run one after the other in
some order; fits of different networks run at the same time. An optimizer
counts every update made through it, from any thread."""
import os
import tempfile
import threading
import time

import numpy as np
import pytest

import pymlp


def run_in_threads(n, work):
    """work(i) in n threads started together; the exceptions they raised."""
    start = threading.Barrier(n)
    errors = []

    def run(i):
        try:
            start.wait()
            work(i)
        except BaseException as e:  # reported to the test's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread never finished"
    return errors


def test_concurrent_predictions_equal_the_serial_ones(rng):
    net = pymlp.MLP([64, 128, 128, 10], seed=0)
    inputs = [rng.standard_normal((1, 64)).astype(np.float32),
              rng.standard_normal((500, 64)).astype(np.float32)]
    expected = [net.predict(X) for X in inputs]
    wrong = []

    def predict_often(i):
        for k in range(50):
            which = (i + k) % 2  # the threads mix single rows and batches
            out = net.predict(inputs[which])
            if not np.array_equal(out, expected[which]):
                wrong.append((i, k))

    assert run_in_threads(8, predict_often) == []
    assert wrong == []


def two_fits(rng):
    """Two different fits (data, seeds, batch sizes) of ~50 ms or more."""
    X1, X2 = rng.standard_normal((2, 1024, 16))
    y1 = np.sin(X1[:, :2])
    y2 = np.cos(X2[:, :2])
    return [dict(X=X1, y=y1, epochs=12, batch_size=32, seed=1),
            dict(X=X2, y=y2, epochs=8, batch_size=64, seed=2)]


def fit_serially(net, fits, make_optimizer):
    net, opt = net.copy(), make_optimizer()
    for f in fits:
        net.fit(f["X"], f["y"], optimizer=opt, epochs=f["epochs"],
                batch_size=f["batch_size"], seed=f["seed"])
    return net, opt


@pytest.mark.parametrize("make_optimizer", [
    lambda: pymlp.Adam(1e-3), lambda: pymlp.SGD(1e-2, momentum=0.9)],
    ids=["adam", "sgd-momentum"])
def test_two_fits_of_one_network_take_turns(rng, make_optimizer):
    net = pymlp.MLP([16, 128, 128, 2], seed=0)
    fits = two_fits(rng)
    orders = [fit_serially(net, fits, make_optimizer),
              fit_serially(net, fits[::-1], make_optimizer)]
    assert not np.array_equal(orders[0][0].params, orders[1][0].params)
    opt = make_optimizer()

    def fit(i):
        f = fits[i]
        net.fit(f["X"], f["y"], optimizer=opt, epochs=f["epochs"],
                batch_size=f["batch_size"], seed=f["seed"])

    assert run_in_threads(2, fit) == []
    # every update of both fits is counted...
    updates = sum(f["epochs"] * -(-f["X"].shape[0] // f["batch_size"])
                  for f in fits)
    assert opt.steps == updates
    # ...and the result is that of one fit after the other
    same = [np.array_equal(net.params, ordered.params)
            and np.array_equal(opt.state, ordered_opt.state)
            for ordered, ordered_opt in orders]
    assert any(same), "the parameters match neither serial order"


def test_fits_of_two_networks_run_at_the_same_time(rng):
    nets = [pymlp.MLP([16, 128, 128, 2], seed=s) for s in (0, 1)]
    fits = two_fits(rng)
    for f in fits:
        f["epochs"] = 30  # a long overlap of the two runs
    expected = [fit_serially(net, [f], lambda: pymlp.Adam(1e-3))[0]
                for net, f in zip(nets, fits)]
    epoch_ends = [[], []]

    def fit(i):
        f = fits[i]
        nets[i].fit(f["X"], f["y"], optimizer=pymlp.Adam(1e-3),
                    epochs=f["epochs"], batch_size=f["batch_size"],
                    seed=f["seed"], callbacks=[
                        lambda epoch, logs: epoch_ends[i].append(
                            time.perf_counter())])

    assert run_in_threads(2, fit) == []
    for net, serial in zip(nets, expected):
        np.testing.assert_array_equal(net.params, serial.params)
    # neither waited for the other: each ended an epoch while the other
    # was still running
    a, b = epoch_ends
    assert max(a[0], b[0]) < min(a[-1], b[-1])


def test_an_optimizer_of_another_network_is_refused(rng):
    X, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    a, b = pymlp.MLP([3, 4, 1], seed=0), pymlp.MLP([3, 4, 1], seed=0)
    opt = pymlp.Adam()
    a.fit(X, y, optimizer=opt, epochs=2)
    before = b.params.copy()
    with pytest.raises(ValueError, match="another network"):
        b.fit(X, y, optimizer=opt, epochs=2)
    np.testing.assert_array_equal(b.params, before)
    assert opt.steps == 2


def test_one_optimizer_from_two_threads_with_two_networks(rng):
    """Binding is atomic: one of two fits racing to bind the same fresh
    optimizer to two different networks is refused, the other runs."""
    X, y = rng.standard_normal((64, 3)), rng.standard_normal((64, 1))
    nets = [pymlp.MLP([3, 4, 1], seed=0), pymlp.MLP([3, 4, 1], seed=1)]
    opt = pymlp.Adam()
    errors = run_in_threads(
        2, lambda i: nets[i].fit(X, y, optimizer=opt, epochs=20))
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
    assert opt.steps == 20


def test_optimizer_steps_from_many_threads_are_all_counted():
    # lr 0.5 and a gradient of ones: each update subtracts exactly 0.5
    params = np.zeros(200_000)
    grad = np.ones_like(params)
    opt = pymlp.SGD(lr=0.5)

    def step_often(i):
        for _ in range(100):
            opt.step(params, grad, n_threads=1)

    assert run_in_threads(8, step_often) == []
    assert opt.steps == 800
    np.testing.assert_array_equal(params, np.full_like(params, -400.0))


def test_threadpoolctl_limits_govern_the_default_count():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if pymlp.build_info()["max_threads"] < 2:
        pytest.skip("one processor: every limit gives one thread")
    assert pymlp.get_num_threads() >= 2
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert pymlp.get_num_threads() == 1
        # an explicit count still wins over the limit
        pymlp.set_num_threads(2)
        try:
            assert pymlp.get_num_threads() == 2
        finally:
            pymlp.set_num_threads(None)
        assert pymlp.get_num_threads() == 1
    assert pymlp.get_num_threads() >= 2


def test_omp_num_threads_sets_the_default_count():
    import subprocess
    import sys
    code = "import pymlp; print(pymlp.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir())
    assert out.stdout.strip() == "1"
