"""The arguments checked on the driver: the client, and the Dask inputs
from their metadata alone, a Dask array (or DataFrame, Series) chunked by
rows with the network's number of columns, and targets and weights chunked
as the inputs are. No value is read here; the values are checked where the
rows live (_tasks.prepare)."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import dask
import dask.array as da


def as_rows(data: Any, name: str) -> da.Array:
    """data as a Dask array whose row chunks have known sizes."""
    if dask.is_dask_collection(data) and hasattr(data, "to_dask_array"):
        data = data.to_dask_array(lengths=True)  # DataFrame or Series
    if not isinstance(data, da.Array):
        raise TypeError(
            f"{name} must be a Dask array or a Dask DataFrame chunked by "
            f"rows, got {type(data).__module__}.{type(data).__name__}; "
            f"dask.array.from_array({name}, chunks=rows) makes one of an "
            "array, and MLP.fit trains on data in memory")
    if data.ndim == 0 or data.ndim > 2:
        raise ValueError(f"{name} must have 1 or 2 dimensions, got shape "
                         f"{data.shape}")
    if any(math.isnan(c) for c in data.chunks[0]):
        data = data.compute_chunk_sizes()
    if data.ndim == 2 and len(data.chunks[1]) > 1:
        data = data.rechunk({1: -1})  # whole rows in each block
    return data


def check_inputs(X: Any, n_columns: Optional[int]) -> da.Array:
    """X as a Dask array of n_columns columns (None: any)."""
    X = as_rows(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must have 2 dimensions (rows, columns), got "
                         f"shape {X.shape}")
    if n_columns is not None and X.shape[1] != n_columns:
        raise ValueError(f"X has {X.shape[1]} columns, but the network "
                         f"expects {n_columns}")
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    return X


def check_aligned(X: da.Array, other: Any, name: str) -> da.Array:
    """other (targets or weights) as a Dask array with X's row chunks."""
    other = as_rows(other, name)
    if other.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but {name} has "
                         f"{other.shape[0]}")
    if other.chunks[0] != X.chunks[0]:
        raise ValueError(
            f"X and {name} must be chunked alike along the rows, so that "
            f"each block of rows has its targets beside it: X's row chunks "
            f"are {_short(X.chunks[0])}, {name}'s {_short(other.chunks[0])};"
            f" rechunk one, e.g. {name}.rechunk({{0: X.chunks[0]}})")
    return other


def check_training_data(X: Any, y: Any, sample_weight: Any,
                        n_columns: Optional[int]
                        ) -> Tuple[da.Array, da.Array, Optional[da.Array]]:
    X = check_inputs(X, n_columns)
    y = check_aligned(X, y, "y")
    if sample_weight is not None:
        sample_weight = check_aligned(X, sample_weight, "sample_weight")
        if sample_weight.ndim != 1:
            raise ValueError(f"sample_weight must have 1 dimension, got "
                             f"shape {sample_weight.shape}")
    return X, y, sample_weight


def _short(chunks: Tuple[float, ...]) -> str:
    text = str(chunks)
    return text if len(text) <= 60 else f"{text[:45]}...{text[-10:]}"


def get_client(client: Any = None) -> Any:
    """client, else the current distributed.Client."""
    if client is not None:
        return client
    from distributed import get_client as current
    try:
        return current()
    except ValueError:
        raise ValueError(
            "pymlp.dask needs a Dask distributed Client: create one "
            "(distributed.Client(...)) or pass client=") from None
