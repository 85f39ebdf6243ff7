"""pymlp.dask.fit: training on the rows of a Dask collection, where they
live.

The driver holds the network and the optimizer; the workers hold the rows,
validated and converted once (one task per block of rows, kept in their
memory for the whole fit). Each update:

1. the parameters are scattered to one worker, and the first task on
   each other worker fetches a copy for it, so each worker receives them
   once (a broadcast scatter can wait forever for a worker that dies);
2. one task per partition that takes part in the update computes the loss
   and gradient sums of its rows (MLP.loss_and_grad_sums, in the engine,
   without the GIL);
3. the sums are added in a tree of tasks, first those of the partitions
   on each worker, there, then across workers, FAN_IN at a time, in an
   order fixed by the partitions' placement at the epoch's start (not by
   timing);
4. the driver gathers the one sum, adds the L2 penalty, divides by the
   weight sum and takes the optimizer step, with the same compiled update
   MLP.fit uses.

Nothing changes on the driver until an update's sum has arrived, and Dask
reruns the tasks of a worker that dies (recomputing its rows from their
graph): an update is then late, never lost or applied twice.

With local_steps=k, each partition instead takes k steps of its own on its
share of k successive mini-batches (copies of the network and optimizer),
and the driver averages the resulting parameters and optimizer states,
weighted by the rows read: one round trip per k updates.
"""
from __future__ import annotations

import time
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Union)

import dask
import numpy as np
from numpy.typing import NDArray

from pymlp._engine import DIVERGENCE_FACTOR
from pymlp._validate import LOSSES, check_choice, check_int, check_real
from pymlp.dask import _inputs, _plan, _tasks
from pymlp.dask._incremental import Callback, fit_incrementally
from pymlp.network import MLP
from pymlp.optim import Optimizer, as_optimizer
from pymlp.training import History

# partial sums added by one task of the tree
FAN_IN = 8
# times a round is tried when its scattered parameters are lost, and the
# seconds before the second try (doubled for each further one), which let
# the scheduler learn of a dead worker
ROUND_ATTEMPTS = 5
ROUND_PAUSE = 0.25


def fit(model: Any, X: Any, y: Any, *, loss: str = "mse",
        optimizer: Union[Optimizer, str] = "adam", epochs: int = 1,
        batch_size: Optional[int] = None, shuffle: bool = True,
        seed: Optional[int] = None, client: Any = None,
        sample_weight: Any = None, l2: float = 0.0, local_steps: int = 1,
        callbacks: Optional[Iterable[Callback]] = None,
        classes: Any = None) -> History:
    """Train `model` on Dask data, the rows staying on the workers.

    Parameters
    ----------
    model : pymlp.MLP, or MLPClassifier / MLPRegressor
        A network is trained in place as MLP.fit trains it (see below). An
        estimator trains by its partial_fit over the blocks, one after the
        other on the worker holding each (Dask-ML's Incremental
        convention), `epochs` passes in a shuffled block order, with its
        own solver settings; loss, optimizer, batch_size, l2 and
        local_steps do not apply to it, and it must have partial_fit
        (solver "sgd" or "adam").
    X : dask.array.Array or dask.dataframe.DataFrame of shape
        (n_samples, n[0]), chunked by rows
    y : Dask array, DataFrame or Series chunked as X along the rows
        The targets, as MLP.fit takes them.
    loss, optimizer, epochs, shuffle, seed, sample_weight, l2, callbacks
        As in MLP.fit (sample_weight a Dask array chunked as X).
    batch_size : int or None
        None: each update reads every row, and training equals MLP.fit on
        the concatenated rows up to the order of the sums. B: each update
        reads B rows drawn across the partitions in proportion to their
        sizes, every row once per epoch (the last update smaller); with
        shuffle, which rows in each partition and how many of each come in
        each update are redrawn every epoch, as a global shuffle would.
    client : distributed.Client or None
        None: the current client.
    local_steps : int, default 1
        k > 1: each partition takes k optimizer steps on its own share of
        k successive mini-batches, then the parameters and optimizer
        states are averaged (weighted by the rows read), one round trip per
        k updates instead of one per update. With plain SGD (or momentum)
        and k = 1 this is the mini-batch update itself. It converges like
        mini-batch training while the partitions hold alike-distributed
        rows (shuffled data) and lr * k is small; it drifts, and may
        settle away from the minimum of the whole data, when partitions
        differ (rows sorted by target or class) or k is large, as each
        partition's steps then head for its own minimum.
    classes : array-like or None
        An MLPClassifier's classes for its first partial_fit; None reads
        them from y.

    Returns
    -------
    History
        Each epoch's mean training loss (over its updates, weighted by
        their rows), as MLP.fit reports it.

    Raises
    ------
    FloatingPointError
        When an epoch's loss is NaN, infinite or above 1e10 max(1, the
        first update's loss), or a parameter is not finite; the network and
        the optimizer are first restored to the start of that epoch.
    """
    client = _inputs.get_client(client)
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {cb!r}")
    epochs = check_int(epochs, "epochs")
    # the seed of every draw of the run: fresh entropy for None
    entropy: int = (
        check_int(seed, "seed", minimum=0) if seed is not None
        else np.random.SeedSequence().entropy)  # type: ignore[assignment]
    if not isinstance(model, MLP):
        if not hasattr(model, "partial_fit"):
            raise TypeError(f"model must be a pymlp.MLP or an estimator "
                            f"with partial_fit, got {type(model).__name__}")
        return fit_incrementally(model, X, y, sample_weight, epochs,
                                 shuffle, entropy, client, classes,
                                 callbacks)
    check_choice(loss, LOSSES, "loss")
    optimizer = as_optimizer(optimizer)
    l2 = check_real(l2, "l2", low=0)
    local_steps = check_int(local_steps, "local_steps", minimum=1)
    X, y, sample_weight = _inputs.check_training_data(
        X, y, sample_weight, model.layer_sizes[0])
    n = X.shape[0]
    batch_size = n if batch_size is None else min(
        check_int(batch_size, "batch_size"), n)
    return _Run(client, model, optimizer, loss, l2, X, y, sample_weight,
                batch_size, bool(shuffle) and batch_size < n, entropy,
                local_steps).run(epochs, callbacks)


class _Run:
    """The state of one fit of a network: the partitions on the workers
    and the driver's running sums."""

    def __init__(self, client: Any, net: MLP, optimizer: Optimizer,
                 loss: str, l2: float, X: Any, y: Any, sample_weight: Any,
                 batch_size: int, shuffle: bool, seed: int,
                 local_steps: int) -> None:
        self.client, self.net, self.optimizer = client, net, optimizer
        self.loss, self.l2, self.batch_size = loss, l2, batch_size
        self.shuffle, self.seed, self.local_steps = shuffle, seed, local_steps
        blocks = zip(X.to_delayed().ravel(), y.to_delayed().ravel(),
                     [None] * X.numblocks[0] if sample_weight is None
                     else sample_weight.to_delayed().ravel())
        sizes = np.asarray(X.chunks[0], dtype=np.int64)
        prepare = dask.delayed(_tasks.prepare, pure=True)
        # the rows, checked and converted once where they live (empty
        # blocks left out)
        self.parts = client.compute([
            prepare(xb, yb, wb, net.layer_sizes[0], net.layer_sizes[-1],
                    net.dtype, loss)
            for (xb, yb, wb), size in zip(blocks, sizes) if size > 0])
        self.sizes = sizes[sizes > 0]
        # waits for the checks: bad values raise here, before any update
        client.gather(client.map(_tasks.weight_sum, self.parts))
        optimizer.bind(net.params, net)
        assert optimizer.state is not None  # made by bind
        # the optimizer's state buffer, updated in place from here on
        self.state: NDArray[Any] = optimizer.state
        self.first_loss: Optional[float] = None
        # the worker holding each partition, as the epoch began
        self.holders: List[str] = []

    def run(self, epochs: int, callbacks: Sequence[Callback]) -> History:
        history = History()
        for epoch in range(1, epochs + 1):
            snapshot = (self.net.params.copy(), self.state.copy(),
                        self.optimizer.steps)
            value, penalty = self.epoch(epoch)
            if not (value <= self.limit()
                    and np.isfinite(self.net.params).all()):
                self.net.params, state, self.optimizer.steps = snapshot
                self.state[...] = state
                raise FloatingPointError(
                    f"training diverged in epoch {epoch}: the loss or a "
                    f"parameter became NaN or infinite, or the loss "
                    f"exceeded {DIVERGENCE_FACTOR:g} times its first value. "
                    f"The parameters and the optimizer's state were restored"
                    f" to the start of the epoch. Try a smaller learning "
                    f"rate (lr is {self.optimizer.lr:g}).")
            history.loss.append(value)
            history.penalty.append(penalty)
            logs = {"loss": value}
            if any([cb(epoch, logs) is True for cb in callbacks]):
                history.stopped_by_callback = True
                break
        return history

    def limit(self) -> float:
        first = self.first_loss if self.first_loss is not None else 0.0
        return DIVERGENCE_FACTOR * max(1.0, abs(first))

    def epoch(self, epoch: int) -> tuple[float, float]:
        """Runs one epoch; (its mean loss, the penalty's part)."""
        client = self.client
        n = int(self.sizes.sum())
        # the worker of each partition, for this epoch's trees (a worker
        # that dies meanwhile only costs some transfers)
        who_has = client.who_has(self.parts)
        self.holders = [min(who_has.get(part.key, ()), default="")
                        for part in self.parts]
        if self.batch_size == n:  # every row, in place
            counts = self.sizes[None, :]
        else:
            counts = _plan.epoch_counts(self.sizes, self.batch_size,
                                        self.shuffle,
                                        _plan.counts_rng(self.seed, epoch))
        orders: List[Any] = [None] * len(self.parts)
        if self.shuffle:
            orders = [client.submit(_tasks.permutation, part, self.seed,
                                    epoch, index, pure=False)
                      for index, part in enumerate(self.parts)]
        starts = np.zeros(len(self.parts), dtype=np.int64)
        loss_sum = penalty_sum = 0.0
        for k in range(0, counts.shape[0], self.local_steps):
            rows = counts[k:k + self.local_steps]
            if self.local_steps == 1:
                value, penalty = self.update(orders, starts, rows[0])
                loss_sum += value * int(rows.sum())
                penalty_sum += penalty * int(rows.sum())
            else:
                value, penalty = self.local_round(orders, starts, rows)
                loss_sum += value
                penalty_sum += penalty
            starts += rows.sum(axis=0)
        return loss_sum / n, penalty_sum / n

    def tree_sum(self, sums: Dict[int, Any]) -> Any:
        """The gathered total of the partitions' sums (partition index ->
        future of a tuple): first those on each worker, there, then across
        workers, FAN_IN at a time, so that a worker sends one sum up."""
        on_worker: Dict[str, List[Any]] = {}
        for index, future in sorted(sums.items()):
            on_worker.setdefault(self.holders[index], []).append(future)
        per_worker = [self.reduce(on_worker[w]) for w in sorted(on_worker)]
        return self.client.gather(self.reduce(per_worker))

    def gathered(self, submit: Callable[..., Dict[int, Any]],
                 *objects: Any) -> Any:
        """Scatters the objects (each worker gets one copy), then gathers the total of
        the partitions' sums that submit(*their futures) submits. A round
        whose scattered objects were lost (every worker holding them died,
        as a worker killed during the scatter can leave it) runs again:
        nothing has changed on the driver yet."""
        from distributed.client import FutureCancelledError
        for attempt in range(ROUND_ATTEMPTS):
            # to one worker, from which the others' first tasks fetch a
            # copy each: a broadcast scatter waits forever for a worker
            # that dies while it runs, a fetch is retried by Dask
            try:
                scattered = [self.client.scatter(o, hash=False)
                             for o in objects]
                return self.tree_sum(submit(*scattered))
            except (FutureCancelledError, OSError):
                # OSError: distributed's CommClosedError, a scatter to a
                # worker that died before the scheduler knew
                if attempt == ROUND_ATTEMPTS - 1:
                    raise
                time.sleep(ROUND_PAUSE * 2 ** attempt)

    def reduce(self, futures: List[Any]) -> Any:
        """A future of the sum of the futures' tuples, by a tree of add
        tasks, each placed by Dask where most of its inputs are."""
        while len(futures) > 1:
            futures = [
                self.client.submit(_tasks.add, *futures[i:i + FAN_IN],
                                   pure=False)
                if len(futures[i:i + FAN_IN]) > 1 else futures[i]
                for i in range(0, len(futures), FAN_IN)]
        return futures[0]

    def update(self, orders: List[Any], starts: NDArray[np.int64],
               counts: NDArray[np.int64]) -> tuple[float, float]:
        """One optimizer step on the rows counts[p] of each partition p,
        from starts[p] in its order; (the loss before it, its penalty)."""
        client, net, l2 = self.client, self.net, self.l2
        loss_sum, grad, weight_sum = self.gathered(lambda net_future: {
            p: client.submit(_tasks.part_sums, net_future, part, order,
                             int(start), int(count), self.loss, pure=False)
            for p, (part, order, start, count)
            in enumerate(zip(self.parts, orders, starts, counts))
            if count > 0}, net)
        value = penalty = 0.0
        if weight_sum > 0:  # rows of weight 0 only: a zero gradient
            grad = grad / weight_sum  # what arrives may be read-only
            if l2 > 0:  # as the engine: 0.5 l2 sum ||W||^2 / sum w
                penalty = 0.5 * l2 * sum(float(np.sum(W * W, dtype=np.float64))
                                         for W in net.weights) / weight_sum
                for (dW, _), W in zip(net.unflatten(grad), net.weights):
                    dW += net.dtype.type(l2 / weight_sum) * W
            value = loss_sum / weight_sum + penalty
        else:
            grad[...] = 0
        if self.first_loss is None:
            self.first_loss = value
        self.optimizer.step(net.params, grad, net.n_threads, owner=net)
        return value, penalty

    def local_round(self, orders: List[Any], starts: NDArray[np.int64],
                    counts: NDArray[np.int64]) -> tuple[float, float]:
        """counts.shape[0] local steps of each partition, then the average;
        returns the sums of the steps' losses and L2 penalties times their
        rows."""
        client, net, optimizer = self.client, self.net, self.optimizer
        params, state, read, loss_sum, penalty_sum = self.gathered(
            lambda net_future, optimizer_future: {
                p: client.submit(_tasks.local_steps, net_future,
                                 optimizer_future, part, order, int(start),
                                 [int(c) for c in counts[:, p]], self.loss,
                                 self.l2, pure=False)
                for p, (part, order, start)
                in enumerate(zip(self.parts, orders, starts))
                if counts[:, p].sum() > 0}, net, optimizer)
        if read > 0:
            net.params = params / read
            if state.shape[0] > 0:
                self.state[...] = state / read
        optimizer.steps += counts.shape[0]
        if self.first_loss is None:
            self.first_loss = loss_sum / max(1, int(counts.sum()))
        return float(loss_sum), float(penalty_sum)

