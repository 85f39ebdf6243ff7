"""MLPClassifier and MLPRegressor on Dask data: partial_fit over the
blocks, one after the other, each on the worker that holds the block (the
convention of Dask-ML's Incremental). The estimator travels from block to
block; the rows stay where they are."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import dask
import dask.array as da
import numpy as np

from pymlp.dask import _inputs, _tasks
from pymlp.training import History

Callback = Callable[[int, dict], Any]


def fit_incrementally(est: Any, X: Any, y: Any, sample_weight: Any,
                      epochs: int, shuffle: bool, seed: int, client: Any,
                      classes: Any, callbacks: Sequence[Callback]
                      ) -> History:
    """est.partial_fit over the blocks, `epochs` passes, each block's on
    the worker that holds it; est takes the result in place."""
    n_columns = getattr(est, "n_features_in_", None)
    X, y, sample_weight = _inputs.check_training_data(X, y, sample_weight,
                                                      n_columns)
    takes_classes = "classes" in inspect.signature(est.partial_fit).parameters
    if takes_classes and classes is None and not hasattr(est, "classes_"):
        classes = (np.arange(y.shape[1]) if y.ndim == 2
                   else client.compute(da.unique(y)).result())
    blocks = zip(X.to_delayed().ravel(), y.to_delayed().ravel(),
                 [None] * X.numblocks[0] if sample_weight is None
                 else sample_weight.to_delayed().ravel())
    sizes = np.asarray(X.chunks[0], dtype=np.int64)
    block = dask.delayed(_tasks.block, pure=True)
    parts = client.compute([block(*b) for b, size in zip(blocks, sizes)
                            if size > 0])
    sizes = sizes[sizes > 0]
    rng = np.random.default_rng(seed)
    history = History()
    fitted: Any = est
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(parts)) if shuffle else range(len(parts))
        losses = []
        for i in order:
            fitted = client.submit(_tasks.partial_fit_block, fitted,
                                   parts[i], classes if takes_classes
                                   else None, pure=False)
            losses.append(client.submit(_tasks.loss_of, fitted, pure=False))
        values = np.asarray(client.gather(losses))
        history.loss.append(float(values @ sizes[list(order)] / sizes.sum()))
        if any([cb(epoch, {"loss": history.loss[-1]}) is True
                for cb in callbacks]):
            history.stopped_by_callback = True
            break
    est.__setstate__(client.gather(fitted).__getstate__())
    return history
