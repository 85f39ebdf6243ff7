"""The training loop's Python side: choose how much work each call into
the engine does, report progress, run callbacks, turn divergence into an
error. MLP.fit validates the data and sets up the engine's Trainer.

The engine runs whole epochs, or runs of mini-batches, without the GIL: it
gathers each batch's rows, runs forward, loss, backward and the optimizer
step, and reuses buffers allocated once per fit. Python only regains
control between calls, which are sized to take about CALL_SECONDS. In the
main thread, under Python's default SIGINT handler, Ctrl-C also stops a
call from inside: the engine gives up the running batch within about one
block of a matrix product and KeyboardInterrupt is raised, with the
parameters and the optimizer as the last complete update left them.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence


from pymlp import _engine

if TYPE_CHECKING:
    from pymlp.optim import Optimizer

CALL_SECONDS = 0.1
# calls estimated shorter than this are not stopped from inside by Ctrl-C
INTERRUPTIBLE_SECONDS = 0.01
# A pessimistic rate for sizing calls (the engine is usually faster; a
# slower guess only makes calls shorter).
ASSUMED_FLOPS = 5e9


class History:
    """What fit saw: the mean training loss of each epoch (over the epoch's
    mini-batches, each weighted by its rows), the L2 penalty's part of it,
    and, with validation_data, the loss on that data after each epoch."""

    def __init__(self) -> None:
        self.loss: List[float] = []
        self.penalty: List[float] = []
        self.val_loss: List[float] = []
        self.stopped_by_callback = False

    @property
    def epochs(self) -> int:
        """The number of epochs run: len(loss)."""
        return len(self.loss)

    def __repr__(self) -> str:
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


def run(trainer: _engine.Trainer, optimizer: Optimizer, epochs: int,
        flops_per_row: float, evaluate: Optional[Callable[[], float]] = None,
        verbose: bool = False,
        callbacks: Sequence[Callable[[int, dict[str, float]], Any]] = ()
        ) -> History:
    """Run `epochs` epochs of `trainer` (an _engine.Trainer holding the
    data, the network's buffers and the optimizer's state) and return the
    History. The network's fit has validated everything and holds the
    locks.

    flops_per_row sizes the calls into the engine; `evaluate()`, when
    given, returns the validation loss after each epoch; each callback is
    called as callback(epoch, logs) and stops the run by returning True.
    optimizer.steps follows the updates done, also when an exception ends
    the run.
    """
    history = History()
    per_epoch = bool(callbacks) or evaluate is not None

    # size each call into the engine to about CALL_SECONDS
    batch_seconds = (flops_per_row * trainer.batch_size + 2e4) / ASSUMED_FLOPS
    batches_per_call = max(1, int(CALL_SECONDS / batch_seconds))
    n_batches = trainer.n_batches
    epochs_per_call = 1 if per_epoch else max(
        1, batches_per_call // n_batches)
    # a call too short to notice is not worth the hook's cost (a few us)
    longest = batch_seconds * min(n_batches * epochs, batches_per_call)
    interruptible = longest > INTERRUPTIBLE_SECONDS and _sigint_stops_calls()

    progress = _Progress(epochs) if verbose else None
    done = 0  # epochs finished
    try:
        while done < epochs:
            if n_batches <= batches_per_call:
                count = min(epochs_per_call, epochs - done)
                finite_epochs = trainer.run_epochs(
                    count, history.loss, history.penalty, interruptible)
                if finite_epochs < count:
                    raise _diverged(done + finite_epochs + 1, optimizer,
                                    trainer)
            else:
                trainer.epoch_begin()
                for first in range(0, n_batches, batches_per_call):
                    trainer.run_batches(
                        first, min(n_batches, first + batches_per_call),
                        interruptible)
                value, penalty, finite = trainer.epoch_end()
                if not finite:
                    raise _diverged(done + 1, optimizer, trainer)
                history.loss.append(value)
                history.penalty.append(penalty)
                count = 1
            done += count
            if not per_epoch and progress is None:
                continue  # nothing reads the count before the end
            optimizer.steps = trainer.step
            if evaluate is not None:
                history.val_loss.append(evaluate())
            if progress is not None:
                progress.update(done, count, history.loss[-1])
            if callbacks:
                logs = {"loss": history.loss[-1]}
                if evaluate is not None:
                    logs["val_loss"] = history.val_loss[-1]
                stop = [cb(done, logs) is True for cb in callbacks]
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
