"""pymlp.dask on a real local cluster of two worker processes: full-batch
training equals MLP.fit, mini-batches and local steps reach its loss,
prediction equals predict, a killed worker changes nothing, bad input is
refused. The plan of mini-batches is checked on its own."""
import os
import signal
import threading

import numpy as np
import pytest

import pymlp

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import pymlp.dask  # noqa: E402
from pymlp.dask import _plan  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # generous timeouts: the sanitizer build runs these tests too
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None,
                                  death_timeout=120) as cluster, \
            distributed.Client(cluster, timeout=120) as client:
        yield client


def regression(n=600, n_in=5, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    y = np.tanh(X @ rng.standard_normal((n_in, n_out))) + 0.1 * rng.standard_normal((n, n_out))
    return X, y


def close(a, b, rel):
    return np.max(np.abs(a - b)) <= rel * np.max(np.abs(b))


@pytest.mark.parametrize("optimizer", [
    lambda: pymlp.SGD(lr=0.1, momentum=0.9), lambda: pymlp.Adam(lr=0.01)],
    ids=["sgd", "adam"])
def test_full_batch_equals_fit(client, optimizer):
    # uneven chunks, sample weights and L2: every update equals MLP.fit's
    X, y = regression()
    w = np.random.default_rng(1).uniform(0, 2, X.shape[0])
    chunks = (100, 250, 50, 200)
    net = pymlp.MLP([5, 8, 2], activation="tanh", dtype="float64", seed=0)
    local = net.copy()
    opt, local_opt = optimizer(), optimizer()
    history = pymlp.dask.fit(
        net, da.from_array(X, chunks=(chunks, 5)),
        da.from_array(y, chunks=(chunks, 2)), optimizer=opt, epochs=15,
        sample_weight=da.from_array(w, chunks=chunks), l2=0.1)
    expect = local.fit(X, y, optimizer=local_opt, epochs=15, sample_weight=w,
                       l2=0.1)
    assert close(net.params, local.params, 1e-9)
    np.testing.assert_allclose(history.loss, expect.loss, rtol=1e-9)
    np.testing.assert_allclose(history.penalty, expect.penalty, rtol=1e-9)
    assert opt.steps == local_opt.steps == 15
    np.testing.assert_allclose(opt.state, local_opt.state, rtol=1e-9,
                               atol=1e-12 * np.abs(local_opt.state).max())
    # the optimizer belongs to the network: a local fit continues the run
    net.fit(X, y, optimizer=opt, epochs=1)


def test_full_batch_classification_from_dataframes(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(2)
    X = rng.standard_normal((400, 4))
    labels = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["label"] = labels
    data = dd.from_pandas(frame, npartitions=3)
    net = pymlp.MLP([4, 6, 3], dtype="float64", seed=1)
    local = net.copy()
    pymlp.dask.fit(net, data[list("abcd")], data["label"],
                   loss="cross_entropy", optimizer=pymlp.SGD(lr=0.5),
                   epochs=10)
    local.fit(X, labels, loss="cross_entropy", optimizer=pymlp.SGD(lr=0.5),
              epochs=10)
    assert close(net.params, local.params, 1e-9)


def test_mini_batches_reach_the_loss_of_fit(client):
    # 4 epochs of 100-row batches: the full-data loss is within 10% of
    # MLP.fit's with the same settings (other batches, as much training),
    # and far below the start
    X, y = regression(n=1200)
    dX, dy = da.from_array(X, chunks=(300, 5)), da.from_array(y, chunks=(300, 2))
    net = pymlp.MLP([5, 16, 2], activation="tanh", dtype="float64", seed=0)
    start = net.loss(X, y)
    local = net.copy()
    twin = net.copy()
    opt = pymlp.Adam(lr=0.01)
    history = pymlp.dask.fit(net, dX, dy, optimizer=opt, epochs=4,
                             batch_size=100, seed=4)
    local.fit(X, y, optimizer=pymlp.Adam(lr=0.01), epochs=4, batch_size=100,
              seed=4)
    assert opt.steps == 4 * 12 and history.epochs == 4
    assert net.loss(X, y) < 0.2 * start
    assert net.loss(X, y) == pytest.approx(local.loss(X, y), rel=0.1)
    # the same seed gives the same run (up to the order of the sums, which
    # follows where the partitions are)
    pymlp.dask.fit(twin, dX, dy, optimizer=pymlp.Adam(lr=0.01), epochs=4,
                   batch_size=100, seed=4)
    assert close(twin.params, net.params, 1e-12)


def test_local_steps(client):
    X, y = regression(n=800)
    net = pymlp.MLP([5, 16, 2], activation="tanh", dtype="float64", seed=0)
    start = net.loss(X, y)
    # on one partition, k local steps are k mini-batch updates
    one_X, one_y = da.from_array(X, chunks=(800, 5)), da.from_array(y, chunks=(800, 2))
    a, b = net.copy(), net.copy()
    history_a = pymlp.dask.fit(a, one_X, one_y, optimizer=pymlp.SGD(lr=0.05),
                               epochs=1, batch_size=100, shuffle=False,
                               local_steps=4, l2=0.01)
    history_b = pymlp.dask.fit(b, one_X, one_y, optimizer=pymlp.SGD(lr=0.05),
                               epochs=1, batch_size=100, shuffle=False,
                               l2=0.01)
    assert close(a.params, b.params, 1e-12)
    np.testing.assert_allclose(history_a.loss, history_b.loss, rtol=1e-12)
    np.testing.assert_allclose(history_a.penalty, history_b.penalty,
                               rtol=1e-12)
    assert history_a.penalty[0] > 0
    # on four partitions of shuffled rows, averaging every 4 steps trains
    # about as well as updating every step
    dX, dy = da.from_array(X, chunks=(200, 5)), da.from_array(y, chunks=(200, 2))
    averaged, stepped = net.copy(), net.copy()
    opt = pymlp.Adam(lr=0.01)
    pymlp.dask.fit(averaged, dX, dy, optimizer=opt, epochs=4,
                   batch_size=50, seed=0, local_steps=4)
    stepped.fit(X, y, optimizer=pymlp.Adam(lr=0.01), epochs=4, batch_size=50,
                seed=0)
    assert opt.steps == 4 * 16
    assert averaged.loss(X, y) < 0.3 * start
    assert averaged.loss(X, y) == pytest.approx(stepped.loss(X, y), rel=0.25)


def test_predict_equals_predict(client):
    X, _ = regression(n=500)
    dX = da.from_array(X, chunks=(130, 5))
    net = pymlp.MLP([5, 7, 3], dtype="float32", seed=2)
    out = pymlp.dask.predict(net, dX)
    assert isinstance(out, da.Array) and out.chunks[0] == dX.chunks[0]
    np.testing.assert_array_equal(out.compute(), net.predict(X))
    np.testing.assert_array_equal(pymlp.dask.predict_proba(net, dX).compute(),
                                  net.predict_proba(X))


def test_estimators(client):
    # partial_fit over the blocks in order is what the estimator does on
    # the same blocks locally; prediction is the estimator's, block by block
    pytest.importorskip("sklearn")
    from pymlp import MLPClassifier
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 4))
    labels = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    dX = da.from_array(X, chunks=(100, 4))
    dy = da.from_array(labels, chunks=100)
    est = MLPClassifier(hidden_layer_sizes=(8,), random_state=0,
                        batch_size=50)
    local = MLPClassifier(hidden_layer_sizes=(8,), random_state=0,
                          batch_size=50)
    history = pymlp.dask.fit(est, dX, dy, epochs=2, shuffle=False)
    for _ in range(2):
        for rows in (slice(0, 100), slice(100, 200), slice(200, 300)):
            local.partial_fit(X[rows], labels[rows], classes=["a", "b", "c"])
    assert history.epochs == 2
    np.testing.assert_array_equal(est.classes_, local.classes_)
    np.testing.assert_allclose(est.net_.params, local.net_.params, rtol=1e-12)
    np.testing.assert_array_equal(pymlp.dask.predict(est, dX).compute(),
                                  est.predict(X))
    np.testing.assert_array_equal(
        pymlp.dask.predict_proba(est, dX).compute(), est.predict_proba(X))


def test_bad_input(client):
    X, y = regression(n=100)
    net = pymlp.MLP([5, 3, 2], seed=0)
    dX, dy = da.from_array(X, chunks=(50, 5)), da.from_array(y, chunks=(50, 2))
    with pytest.raises(ValueError, match="chunked alike"):
        pymlp.dask.fit(net, dX, da.from_array(y, chunks=(40, 2)))
    with pytest.raises(ValueError, match="X has 4 columns, but the network expects 5"):
        pymlp.dask.fit(net, dX[:, :4], dy)
    with pytest.raises(ValueError, match="X has 4 columns, but the network expects 5"):
        pymlp.dask.predict(net, dX[:, :4])
    with pytest.raises(TypeError, match="Dask array"):
        pymlp.dask.fit(net, X, dy)
    with pytest.raises(TypeError, match="Dask array"):
        pymlp.dask.fit(net, dX, y)
    with pytest.raises(TypeError, match="Dask array"):
        pymlp.dask.predict(net, X)
    with pytest.raises(ValueError, match="rows"):
        pymlp.dask.fit(net, dX, dy[:60])
    with pytest.raises(ValueError, match="loss"):
        pymlp.dask.fit(net, dX, dy, loss="hinge")
    # values are checked where they live, before any update
    bad = X.copy()
    bad[70, 2] = np.nan
    before = net.params.copy()
    with pytest.raises(ValueError, match="NaN"):
        pymlp.dask.fit(net, da.from_array(bad, chunks=(50, 5)), dy)
    np.testing.assert_array_equal(net.params, before)


def test_divergence_restores_the_epoch(client):
    X, y = regression(n=200)
    dX, dy = da.from_array(X * 1e3, chunks=(100, 5)), da.from_array(y, chunks=(100, 2))
    net = pymlp.MLP([5, 8, 2], activation="relu", dtype="float64", seed=0)
    opt = pymlp.SGD(lr=10.0)
    with pytest.raises(FloatingPointError, match="diverged"):
        pymlp.dask.fit(net, dX, dy, optimizer=opt, epochs=20)
    assert np.isfinite(net.params).all()


def _prepared_parts(dask_worker):
    """How many of a fit's partitions the worker holds."""
    return sum(str(key).startswith("prepare") for key in dask_worker.data)


def test_killed_worker(client):
    # SIGKILL a worker process while the third epoch's updates run: Dask
    # reruns its tasks and recomputes its rows, and the run equals one
    # without the kill (same seed; the sums' order follows where the
    # partitions are), every update counted once
    X, y = regression(n=1000)
    dX, dy = da.from_array(X, chunks=(125, 5)), da.from_array(y, chunks=(125, 2))
    net = pymlp.MLP([5, 8, 2], activation="tanh", dtype="float64", seed=0)
    expect = net.copy()
    pymlp.dask.fit(expect, dX, dy, optimizer=pymlp.Adam(lr=0.01), epochs=5,
                   batch_size=100, seed=5)
    pids = client.run(os.getpid)
    killers, lost_parts = [], []

    def kill_during_next_epoch(epoch, logs):
        if epoch == 2:  # the worker holding the most of the fit's rows
            held = client.run(_prepared_parts)
            victim = max(held, key=held.get)
            lost_parts.append(held[victim])
            killers.append(threading.Timer(0.1, os.kill,
                                           (pids[victim], signal.SIGKILL)))
            killers[-1].start()

    opt = pymlp.Adam(lr=0.01)
    history = pymlp.dask.fit(net, dX, dy, optimizer=opt, epochs=5,
                             batch_size=100, seed=5,
                             callbacks=[kill_during_next_epoch])
    killers[0].join()
    assert lost_parts[0] > 0  # rows that Dask had to compute again
    assert history.epochs == 5 and opt.steps == 5 * 10
    assert close(net.params, expect.params, 1e-9)
    client.wait_for_workers(2, timeout=120)
    assert set(client.run(os.getpid).values()) != set(pids.values())


@pytest.mark.parametrize("shuffle", [False, True])
def test_plan_reads_each_row_once_in_proportion(shuffle):
    sizes = np.array([5, 170, 3, 300, 1, 41])
    rng = np.random.default_rng(0)
    counts = _plan.epoch_counts(sizes, 64, shuffle, rng)
    n = sizes.sum()
    assert counts.shape == (-(-n // 64), sizes.size)
    np.testing.assert_array_equal(counts.sum(axis=0), sizes)
    np.testing.assert_array_equal(counts.sum(axis=1)[:-1], 64)
    assert counts.min() >= 0
    if not shuffle:  # each partition's rows so far within rounding of
        # its share: 1/2 of its own, 1/2 of each partition's shared out
        share = np.cumsum(counts, axis=0)
        ideal = np.outer(np.minimum(np.arange(1, counts.shape[0] + 1) * 64, n),
                         sizes / n)
        bound = 0.5 + 0.5 * sizes.size * sizes / n
        assert (np.abs(share - ideal) <= bound).all()
