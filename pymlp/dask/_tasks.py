"""What runs on the workers: plain functions of NumPy arrays and pymlp
objects, submitted by the driver (pymlp.dask.fit, predict) as Dask tasks.

A partition is a tuple (X, y, sample_weight or None) validated and
converted once, where its rows live, into what the engine reads as it is
(C-contiguous, the network's dtype; int64 labels for cross_entropy). The
engine runs each task's arithmetic without the GIL. A task never changes an
object it is given: the network and optimizer a worker holds are shared by
its tasks, so those that train work on copies."""
from __future__ import annotations

import copy
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
from numpy.typing import NDArray

from pymlp._validate import LOSSES, as_inputs, as_sample_weight, as_targets
from pymlp.dask._plan import permutation_seed
from pymlp.network import MLP
from pymlp.optim import Optimizer

Part = Tuple[NDArray[Any], NDArray[Any], Optional[NDArray[Any]]]
# (loss sum, gradient sum, weight sum), as MLP.loss_and_grad_sums
Sums = Tuple[float, NDArray[Any], float]


def prepare(X: Any, y: Any, sample_weight: Any, n_inputs: int,
            n_outputs: int, dtype: np.dtype[Any], loss: str) -> Part:
    """A block of rows as the engine reads it for a network of n_inputs
    inputs, n_outputs outputs and dtype, every value checked."""
    X = as_inputs(X, n_inputs, dtype)
    y = as_targets(y, X.shape[0], n_outputs, LOSSES[loss], dtype)
    if sample_weight is not None:
        sample_weight = as_sample_weight(sample_weight, X.shape[0], dtype,
                                         zero_sum=True)
    return X, y, sample_weight


def block(X: Any, y: Any, sample_weight: Any) -> Tuple[Any, Any, Any]:
    """A block of rows for an estimator, which checks them itself."""
    return X, y, sample_weight


def weight_sum(part: Part) -> float:
    X, _, w = part
    return float(X.shape[0] if w is None else np.sum(w, dtype=np.float64))


def permutation(part: Part, seed: Any, epoch: int, index: int
                ) -> NDArray[np.int64]:
    """The order of the partition's rows in `epoch` (a task of its own,
    placed beside the partition it depends on, kept for the epoch)."""
    rng = np.random.default_rng(permutation_seed(seed, epoch, index))
    return rng.permutation(part[0].shape[0])


def _rows(part: Part, order: Optional[NDArray[np.int64]], start: int,
          count: int) -> Part:
    """Rows [start, start + count) of the partition in `order` (None: in
    order, a view)."""
    X, y, w = part
    if order is None:
        rows: Any = slice(start, start + count)
    else:
        rows = order[start:start + count]
    return X[rows], y[rows], None if w is None else w[rows]


def part_sums(net: MLP, part: Part, order: Optional[NDArray[np.int64]],
              start: int, count: int, loss: str) -> Sums:
    """MLP.loss_and_grad_sums of `count` rows of the partition."""
    X, y, w = _rows(part, order, start, count)
    return net.loss_and_grad_sums(X, y, loss, w)


def add(*terms: Sequence[Any]) -> Tuple[Any, ...]:
    """The elementwise sum of tuples of numbers and arrays: one node of the
    tree that combines the partitions' sums."""
    total = list(terms[0])  # + makes new arrays: no term is changed
    for term in terms[1:]:
        for i, value in enumerate(term):
            total[i] = total[i] + value
    return tuple(total)


def local_steps(net: MLP, optimizer: Optimizer, part: Part,
                order: Optional[NDArray[np.int64]], start: int,
                counts: List[int], loss: str, l2: float
                ) -> Tuple[NDArray[Any], NDArray[Any], float, float, float]:
    """Steps of `optimizer` on copies of net, one per count, each on the
    next `count` rows of the partition (a step with no rows, or only rows
    of weight 0, is skipped). Returns (params * W, optimizer state * W, W,
    sum of each step's loss times its rows, the same of its L2 penalty)
    with W the weight of the rows read: what the driver averages."""
    net = net.copy()
    optimizer = copy.deepcopy(optimizer)
    read = 0.0
    loss_sum = penalty_sum = 0.0
    for count in counts:
        X, y, w = _rows(part, order, start, count)
        start += count
        rows = float(count if w is None else np.sum(w, dtype=np.float64))
        if rows == 0:
            continue
        history = net.fit(X, y, loss, optimizer, epochs=1, sample_weight=w,
                          l2=l2)
        read += rows
        loss_sum += history.loss[0] * count
        penalty_sum += history.penalty[0] * count
    state = optimizer.state
    if state is None:  # no step taken: the state is the driver's
        state = np.zeros(0, dtype=net.dtype)
    return (net.params * read, state * read, read, loss_sum,
            penalty_sum)


def predict_block(X: NDArray[Any], model: Any, method: str) -> Any:
    """model.predict (or predict_proba, ...) of one block."""
    return getattr(model, method)(X)


def loss_of(estimator: Any) -> float:
    return float(estimator.loss_)


def partial_fit_block(estimator: Any, part: Tuple[Any, Any, Any],
                      classes: Any) -> Any:
    """A copy of a scikit-learn style estimator after its partial_fit on
    one block (the chain of these tasks walks the blocks)."""
    estimator = copy.deepcopy(estimator)
    X, y, w = part
    kwargs = {} if w is None else {"sample_weight": w}
    if classes is not None:
        kwargs["classes"] = classes
    return estimator.partial_fit(X, y, **kwargs)
