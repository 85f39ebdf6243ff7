# cython: language_level=3, boundscheck=False, wraparound=False
"""A minimal extension that runs pymlp's prediction through its stable C
API (pymlp_embed.h), without the GIL: the pattern for any compiled code
that evaluates a pymlp network.

    net = pymlp.MLP([4, 16, 3], activation="tanh")
    sizes, codes = net.spec()
    out = embed_example.predict_nogil(net.params, sizes, codes, X)
"""
from cython cimport floating
from libc.stdint cimport int64_t, uintptr_t
from libc.stdlib cimport free, malloc

import numpy as np

from pymlp.embed cimport (PYMLP_N_ACTIVATIONS, pymlp_embed_api,
                          pymlp_import, pymlp_net)

# The engine's table, fetched once with the GIL when this module is
# imported (pymlp_import raises ImportError when pymlp is missing or too
# old); the calls through it need no GIL.
cdef const pymlp_embed_api *api = pymlp_import()

LIMIT = 2 ** 48  # the engine's bound on sizes and on buffers' elements


def predict_nogil(const floating[::1] params, const int64_t[::1] sizes,
                  const int[::1] codes, const floating[:, ::1] X,
                  int64_t chunk=1024, int n_threads=1):
    """The network's output for X, computed without the GIL.

    Parameters
    ----------
    params : contiguous float32 or float64 array of shape (n_params,)
        The flat parameters, pymlp.MLP.params.
    sizes, codes : int64 array of shape (L + 1,), int32 array of shape (L,)
        The spec, pymlp.MLP.spec().
    X : C-contiguous array of shape (n_samples, sizes[0]), params' dtype
    chunk : int, default 1024
        Rows per forward pass; 1024 (pymlp.MLP.predict's) gives its output
        bit for bit.
    n_threads : int, default 1
        The engine's threads for this call.

    Returns
    -------
    ndarray of shape (n_samples, sizes[-1]), params' dtype
    """
    # Check everything the engine assumes (pymlp_embed.h, Preconditions)
    # while holding the GIL, with Python's integers.
    cdef int L = codes.shape[0]
    if L < 1 or sizes.shape[0] != L + 1:
        raise ValueError(f"{sizes.shape[0]} sizes and {L} activation codes "
                         "do not make a network")
    widths = [int(s) for s in sizes]
    if not all(1 <= s <= LIMIT for s in widths):
        raise ValueError(f"sizes must lie in [1, 2**48], got {widths}")
    if not all(0 <= c < PYMLP_N_ACTIVATIONS for c in codes):
        raise ValueError(f"unknown activation codes in {list(codes)}")
    n_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    if params.shape[0] != n_params:
        raise ValueError(f"params has {params.shape[0]} values, but the "
                         f"network has {n_params}")
    cdef int64_t n = X.shape[0]
    if n < 1 or X.shape[1] != widths[0]:
        raise ValueError(f"X must have shape (n >= 1, {widths[0]}), got "
                         f"({X.shape[0]}, {X.shape[1]})")
    if chunk < 1 or not 1 <= n_threads <= 4096:
        raise ValueError("chunk must be >= 1 and n_threads in [1, 4096]")
    chunk = min(chunk, n)
    if chunk * max(widths) > LIMIT:
        raise ValueError(f"chunks of {chunk} rows are too large")

    cdef pymlp_net net
    net.n_layers = L
    net.sizes = &sizes[0]
    net.activations = &codes[0]
    dtype = np.float32 if floating is float else np.float64
    out = np.empty((n, widths[L]), dtype=dtype)
    cdef floating[:, ::1] o = out
    cdef int64_t work_len
    cdef void *raw
    cdef floating *work
    with nogil:
        if floating is float:
            work_len = api.predict_work_len_f32(&net, chunk, n_threads)
        else:
            work_len = api.predict_work_len_f64(&net, chunk, n_threads)
        # each call its own scratch, aligned to 64 bytes
        raw = malloc(<size_t>work_len * sizeof(floating) + 64)
        if raw != NULL:
            work = <floating *>((<uintptr_t>raw + 63) & ~(<uintptr_t>63))
            if floating is float:
                api.predict_f32(&net, &params[0], &X[0, 0], n, &o[0, 0],
                                chunk, work, n_threads)
            else:
                api.predict_f64(&net, &params[0], &X[0, 0], n, &o[0, 0],
                                chunk, work, n_threads)
            free(raw)
    if raw == NULL:
        raise MemoryError("no memory for the scratch of predict")
    return out
