"""pymlp.dask.predict and predict_proba: a model's outputs as a Dask
array, computed block by block where the rows live, the model sent once to
each worker (ParallelPostFit's convention in Dask-ML)."""
from __future__ import annotations

from typing import Any

import numpy as np

from pymlp.dask import _inputs, _tasks
from pymlp.network import MLP


def _n_inputs(model: Any) -> Any:
    if isinstance(model, MLP):
        return model.layer_sizes[0]
    if hasattr(model, "n_features_in_"):
        return model.n_features_in_
    raise TypeError(f"model must be a pymlp.MLP or a fitted estimator, got "
                    f"{type(model).__name__}")


def _apply(model: Any, X: Any, method: str, client: Any) -> Any:
    if not callable(getattr(model, method, None)):
        raise TypeError(f"{type(model).__name__} has no {method}")
    n_inputs = _n_inputs(model)
    X = _inputs.check_inputs(X, n_inputs)
    client = _inputs.get_client(client)
    # the output's dtype and columns, from one row of zeros
    sample = getattr(model, method)(np.zeros((1, n_inputs)))
    model_future = client.scatter(model, broadcast=True, hash=False)
    chunks = (X.chunks[0],) + tuple((n,) for n in sample.shape[1:])
    return X.map_blocks(_tasks.predict_block, model_future, method,
                        dtype=sample.dtype, chunks=chunks,
                        drop_axis=[] if sample.ndim == 2 else [1],
                        meta=sample[:0])


def predict(model: Any, X: Any, *, client: Any = None) -> Any:
    """model.predict of the Dask array (or DataFrame) X, chunked by rows,
    as a lazy Dask array chunked alike: each block is predicted on a
    worker, in the compiled engine, by the model scattered once to each
    worker. model is a pymlp.MLP or a fitted estimator."""
    return _apply(model, X, "predict", client)


def predict_proba(model: Any, X: Any, *, client: Any = None) -> Any:
    """model.predict_proba of X, as predict computes predict."""
    return _apply(model, X, "predict_proba", client)
