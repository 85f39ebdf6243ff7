"""Faults during training: divergence, Ctrl-C, and memory over many runs.

A fit that diverges raises FloatingPointError and leaves the network and
its optimizer as they were at the end of the last finite epoch; Ctrl-C
stops a fit promptly, even inside one long batch, and leaves the
parameters of the last complete update; a thousand short lives of a
network leak nothing."""
import gc
import os
import signal
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest

import pymlp


def regression(rng, n=64):
    X = rng.standard_normal((n, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1
    return X, y


def warmed_up(X, y, make_optimizer, batch_size):
    """A network and its optimizer after three sane epochs, its learning
    rate then raised to one that explodes. The same every call."""
    net = pymlp.MLP([3, 16, 16, 1], seed=0)
    opt = make_optimizer(lr=1e-2)
    net.fit(X, y, optimizer=opt, epochs=3, batch_size=batch_size, seed=1)
    opt.lr = 1e6 if isinstance(opt, pymlp.Adam) else 1e30
    return net, opt


@pytest.mark.parametrize("batch_size", [None, 16], ids=["full", "mini"])
@pytest.mark.parametrize("make_optimizer", [
    pymlp.Adam, lambda lr: pymlp.SGD(lr, momentum=0.9)],
    ids=["adam", "sgd-momentum"])
def test_divergence_restores_parameters_and_optimizer(rng, batch_size,
                                                      make_optimizer):
    X, y = regression(rng)
    per_epoch = 1 if batch_size is None else -(-X.shape[0] // batch_size)
    net, opt = warmed_up(X, y, make_optimizer, batch_size)
    steps_before = opt.steps

    def run(net, opt, epochs):
        return net.fit(X, y, optimizer=opt, epochs=epochs,
                       batch_size=batch_size, seed=2)

    # Adam at lr 1e6 moves every parameter by ~1e6 in one step: the loss
    # jumps by ~30 orders of magnitude, finite in float64 sums but no
    # longer training; SGD at 1e30 overflows float32
    with pytest.raises(FloatingPointError, match="diverged"):
        run(net, opt, 50)
    finite_epochs, partial = divmod(opt.steps - steps_before, per_epoch)
    assert partial == 0, "updates of the diverging epoch are still counted"
    assert np.isfinite(net.params).all()

    # the same run stopped after those epochs reaches the same state...
    twin, twin_opt = warmed_up(X, y, make_optimizer, batch_size)
    try:
        if finite_epochs:
            run(twin, twin_opt, finite_epochs)
    except FloatingPointError:
        pytest.fail(f"opt.steps counts {finite_epochs} finite epochs, but "
                    "the run diverges within them: the updates of the "
                    "diverging epoch are still counted")
    assert twin_opt.steps == opt.steps
    np.testing.assert_array_equal(net.params, twin.params)
    np.testing.assert_array_equal(opt.state, twin_opt.state)
    # ...and two epochs more diverge: nothing older than the epoch before
    # the diverging one was restored. (That one may be: its last update is
    # checked only by the next epoch's first loss, so when that loss is
    # already out of bounds the fit goes back to the start of that epoch.
    # With full batches, where each epoch is one update, it always is.)
    with pytest.raises(FloatingPointError):
        run(*warmed_up(X, y, make_optimizer, batch_size), finite_epochs + 2)


@pytest.mark.parametrize("batch_size", [None, 16], ids=["full", "mini"])
@pytest.mark.parametrize("make_optimizer", [
    pymlp.Adam, lambda lr: pymlp.SGD(lr, momentum=0.9)],
    ids=["adam", "sgd-momentum"])
def test_training_resumes_after_divergence(rng, batch_size, make_optimizer):
    # the exploding update is undone with the rest, even the one a full
    # batch makes at the end of an epoch whose own loss was still sane
    X, y = regression(rng)
    net, opt = warmed_up(X, y, make_optimizer, batch_size)
    with pytest.raises(FloatingPointError):
        net.fit(X, y, optimizer=opt, epochs=50, batch_size=batch_size,
                seed=2)
    opt.lr = 1e-3
    history = net.fit(X, y, optimizer=opt, epochs=20, batch_size=batch_size,
                      seed=3)
    assert np.isfinite(history.loss).all()
    assert history.loss[-1] < history.loss[0]


def test_large_losses_alone_are_not_divergence(rng):
    # targets of size ~1e6: losses near 1e12 from the start, far above any
    # fixed threshold, but training is fine
    X, y = regression(rng)
    net = pymlp.MLP([3, 16, 16, 1], seed=0)
    history = net.fit(X, 1e6 * y, optimizer=pymlp.Adam(1e-2), epochs=20,
                      batch_size=16, seed=0)
    assert history.loss[0] > 1e11
    assert history.loss[-1] < history.loss[0]


# -- Ctrl-C ----------------------------------------------------------------

# One full batch of this network costs ~150 GFLOP (6 flops per weight per
# row): 1.2 to 2.5 s on two AVX2 cores. A Ctrl-C 0.3 s in lands inside the
# first batch, so only a fit that stops mid-batch answers it within 1 s.
CTRL_C_SIZES = [1024, 2048, 2048, 1]
CTRL_C_ROWS = 6000
CTRL_C_AFTER = 0.3


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_inside_a_long_batch_stops_the_fit_quickly(rng):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is handled elsewhere in this process")
    X = rng.standard_normal((CTRL_C_ROWS, CTRL_C_SIZES[0]), dtype=np.float32)
    y = rng.standard_normal((CTRL_C_ROWS, 1), dtype=np.float32)
    net = pymlp.MLP(CTRL_C_SIZES, seed=0)
    opt = pymlp.SGD(1e-4)
    sent = []

    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(CTRL_C_AFTER, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            net.fit(X, y, optimizer=opt, epochs=5)
        stopped = time.perf_counter()
    finally:
        timer.cancel()
    latency = stopped - sent[0]
    print(f"Ctrl-C answered in {latency:.3f} s after {opt.steps} updates")

    # the parameters are those of the last complete update (full batches:
    # one per epoch), and the count of updates matches them
    assert np.isfinite(net.params).all()
    twin = pymlp.MLP(CTRL_C_SIZES, seed=0)
    if opt.steps:
        twin.fit(X, y, optimizer=pymlp.SGD(1e-4), epochs=opt.steps)
    np.testing.assert_array_equal(net.params, twin.params)

    # the network and the optimizer carry on
    steps = opt.steps
    history = net.fit(X[:256], y[:256], optimizer=opt, epochs=2)
    assert np.isfinite(history.loss).all() and opt.steps == steps + 2

    # loose: a shared machine stalls now and then, and a sanitizer build
    # (libasan preloaded) runs everything a few times slower
    bound = 2.0 if "libasan" in os.environ.get("LD_PRELOAD", "") else 1.0
    assert latency < bound, f"Ctrl-C took {latency:.2f} s to stop the fit"


# -- memory --------------------------------------------------------------

def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                    reason="reads the resident size from /proc")
def test_a_thousand_lives_of_a_network_leak_nothing(rng, tmp_path):
    # on tmpfs where there is one: the save's fsync would dominate the time
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else tmp_path
    path = os.path.join(folder, f"pymlp-leak-{os.getpid()}.safetensors")
    X, y = regression(rng, n=32)
    X = np.hstack([X, X[:, :1]])

    def life(i):
        net = pymlp.MLP([4, 8, 1], seed=i)
        net.fit(X, y, optimizer=pymlp.Adam(1e-2), epochs=3, batch_size=8,
                seed=i)
        net.predict(X)
        net.save(path)
        return pymlp.load(path).predict(X[:2])

    try:
        for i in range(100):  # caches and pools reach their size
            life(i)
        gc.collect()
        tracemalloc.start()
        traced, rss = tracemalloc.get_traced_memory()[0], resident_bytes()
        for i in range(100, 1000):
            life(i)
        gc.collect()
        traced_growth = tracemalloc.get_traced_memory()[0] - traced
        rss_growth = resident_bytes() - rss
    finally:
        tracemalloc.stop()
        if os.path.exists(path):
            os.unlink(path)
    print(f"900 lives: traced +{traced_growth} B, resident +{rss_growth} B")
    assert traced_growth < 1 << 20
    assert rss_growth < 20 << 20
