"""The training loop's Python side: validate, choose how much work each
call into the engine does, report progress, run callbacks.

The engine runs whole epochs, or runs of mini-batches, without the GIL: it
gathers each batch's rows, runs forward, loss, backward and the optimizer
step, and reuses buffers allocated once per fit. Python only regains
control between calls, which are sized to take about CALL_SECONDS. In the
main thread, under Python's default SIGINT handler, Ctrl-C also stops a
call from inside: the engine gives up the running batch within about one
block of a matrix product and KeyboardInterrupt is raised, with the
parameters and the optimizer as the last complete update left them.

A network trains one fit at a time: fit holds the network's lock (and the
optimizer's) for its whole run, so fits of one network from several
threads run one after the other."""
import os
import signal
import sys
import threading
import time

import numpy as np

from pymlp import _engine
from pymlp._validate import check_int
from pymlp.optim import as_optimizer
from pymlp.threads import resolve_threads

CALL_SECONDS = 0.1
# A pessimistic rate for sizing calls (the engine is usually faster; a
# slower guess only makes calls shorter).
ASSUMED_FLOPS = 5e9


class History:
    """What fit saw: the mean training loss of each epoch (over the epoch's
    mini-batches, each weighted by its rows) and, with validation_data, the
    loss on that data after each epoch."""

    def __init__(self):
        self.loss = []
        self.val_loss = []
        self.stopped_by_callback = False

    @property
    def epochs(self):
        return len(self.loss)

    def __repr__(self):
        last = f", last loss {self.loss[-1]:.6g}" if self.loss else ""
        return f"<History: {self.epochs} epochs{last}>"


class _Progress:
    """A progress bar over epochs: tqdm where it is installed, else one
    plain line rewritten in place."""

    def __init__(self, total):
        self.total = total
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.bar = None
            self.last = 0.0
        else:
            self.bar = tqdm(total=total, unit="epoch")

    def update(self, done, n, loss):
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
            return
        now = time.monotonic()
        if now - self.last > 0.25 or done == self.total:
            self.last = now
            sys.stderr.write(f"\repoch {done}/{self.total}  "
                             f"loss {loss:.6g}   ")
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stderr.write("\n")


def _diverged(epoch, optimizer, trainer):
    return FloatingPointError(
        f"training diverged in epoch {epoch}: the loss or a parameter became"
        f" NaN or infinite, or the loss exceeded {_engine.DIVERGENCE_FACTOR:g}"
        f" times its first value. The parameters and the optimizer's state "
        f"were restored to the last state a loss had checked, after "
        f"{trainer.step} updates in all. Try a smaller learning rate (lr is "
        f"{optimizer.lr:g}).")


def _sigint_stops_calls():
    """Whether Ctrl-C may stop an engine call from inside: only in the main
    thread, and only under Python's default handler, which turns it into
    KeyboardInterrupt (a handler of the user's own keeps its meaning)."""
    return (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler)


def fit(net, X, y, loss="mse", optimizer="adam", epochs=100,
        batch_size=None, shuffle=True, seed=None, validation_data=None,
        verbose=False, callbacks=None):
    """Train net on (X, y).

    Parameters
    ----------
    X : array-like of shape (n_samples, n[0])
    y : array-like of shape (n_samples, n[L]), (n_samples,) when n[L] == 1,
        or (n_samples,) integer labels for cross_entropy
    loss : str
        mse, mae, huber, cross_entropy or binary_cross_entropy.
    optimizer : Optimizer or {"sgd", "adam", "adamw"}
        Reuse one Optimizer object to continue a run with its state.
    epochs : int
    batch_size : int or None
        Rows per update; None is the full batch. Each epoch walks a
        permutation of the rows (the rows in order when shuffle is False)
        in chunks of batch_size, the last one smaller. A full batch is
        never shuffled: its update is the same, and without a reordering
        of the rows its sums are too, so full-batch runs repeat exactly.
    seed : int or None
        Seed of the shuffling; the same seed (and initial network) gives
        bit-identical parameters.
    validation_data : (X_val, y_val) or None
        Evaluated after each epoch into History.val_loss.
    verbose : bool
        Show a progress bar with the current loss.
    callbacks : list of callables or None
        Each is called as ``callback(epoch, logs)`` after every epoch, with
        the epoch number (from 1) and a dict with "loss" (and "val_loss");
        returning True stops training.

    Returns
    -------
    History

    Raises
    ------
    FloatingPointError
        When training diverges: an epoch's loss is NaN, infinite or above
        1e10 times max(1, the loss of the fit's first mini-batch), or a
        parameter is not finite. The parameters and the optimizer's state
        (moments, step count) are first restored to the last state a loss
        has checked: the start of the diverging epoch, or of the epoch
        before when the diverging epoch's first loss already exceeded the
        bound (an epoch's last update is checked only by the next epoch's
        first loss).
    KeyboardInterrupt
        On Ctrl-C, within a fraction of a second; the parameters and the
        optimizer are those of the last complete update.
    """
    optimizer = as_optimizer(optimizer)
    with net._lock, optimizer._lock:
        return _fit(net, X, y, loss, optimizer, epochs, batch_size, shuffle,
                    seed, validation_data, verbose, callbacks)


def _fit(net, X, y, loss, optimizer, epochs, batch_size, shuffle, seed,
         validation_data, verbose, callbacks):
    net._check_trainable()
    epochs = check_int(epochs, "epochs")
    X, y, loss_code = net._prepare(X, y, loss)
    n = X.shape[0]
    batch_size = n if batch_size is None else check_int(batch_size,
                                                        "batch_size")
    batch_size = min(batch_size, n)
    if validation_data is not None:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)"
                             ) from None
        X_val, y_val, _ = net._prepare(X_val, y_val, loss)
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {cb!r}")
    optimizer.bind(net.params, net)

    threads = resolve_threads(net.n_threads)
    # the engine expands the seed with splitmix64, so any 64-bit value will do
    seed64 = (int.from_bytes(os.urandom(8), "little") if seed is None
              else check_int(seed, "seed", minimum=0) & (2 ** 64 - 1))
    shuffle = bool(shuffle) and batch_size < n
    grad, snapshot, opt_snapshot, work = net._fit_buffers(
        batch_size, threads, optimizer.state.shape[0])
    trainer = _engine.Trainer(net._spec, loss_code, X, y, batch_size,
                              shuffle, seed64, net.params, grad, snapshot,
                              work, optimizer.state, opt_snapshot,
                              optimizer.hyper(), optimizer.steps, threads)
    interruptible = _sigint_stops_calls()
    history = History()
    per_epoch = bool(callbacks) or validation_data is not None

    # size each call into the engine to about CALL_SECONDS
    sizes = net.layer_sizes
    flops_per_row = 6.0 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    batch_seconds = (flops_per_row * batch_size + 2e4) / ASSUMED_FLOPS
    batches_per_call = max(1, int(CALL_SECONDS / batch_seconds))
    n_batches = trainer.n_batches
    epochs_per_call = 1 if per_epoch else max(
        1, batches_per_call // n_batches)

    progress = _Progress(epochs) if verbose else None
    losses = np.empty(epochs_per_call, dtype=np.float64)
    try:
        while history.epochs < epochs:
            done = history.epochs
            if n_batches <= batches_per_call:
                count = min(epochs_per_call, epochs - done)
                finite_epochs = trainer.run_epochs(losses[:count],
                                                   interruptible)
                history.loss.extend(losses[:finite_epochs].tolist())
                if finite_epochs < count:
                    raise _diverged(done + finite_epochs + 1, optimizer,
                                    trainer)
            else:
                trainer.epoch_begin()
                for first in range(0, n_batches, batches_per_call):
                    trainer.run_batches(
                        first, min(n_batches, first + batches_per_call),
                        interruptible)
                value, finite = trainer.epoch_end()
                if not finite:
                    raise _diverged(done + 1, optimizer, trainer)
                history.loss.append(value)
                count = 1
            optimizer.steps = trainer.step
            if validation_data is not None:
                history.val_loss.append(net._loss_grad(X_val, y_val,
                                                       loss_code, None))
            if progress is not None:
                progress.update(history.epochs, count, history.loss[-1])
            if callbacks:
                logs = {"loss": history.loss[-1]}
                if validation_data is not None:
                    logs["val_loss"] = history.val_loss[-1]
                stop = [cb(history.epochs, logs) is True for cb in callbacks]
                if any(stop):
                    history.stopped_by_callback = True
                    break
    finally:
        # also on Ctrl-C or divergence: the optimizer's count matches the
        # updates that were applied
        optimizer.steps = trainer.step
        if progress is not None:
            progress.close()
    return history
