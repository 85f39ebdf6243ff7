"""The thread count of pymlp's compiled loops.

The default is OpenMP's setting at the time of the call: OMP_NUM_THREADS
when it is set, else every core the process may use, and what
omp_set_num_threads last set for the calling thread, so that
threadpoolctl's limits (which scikit-learn and joblib use against
oversubscription) govern pymlp too. set_num_threads overrides it for the
whole process; a network's own n_threads overrides both. Whichever
applies, the count used is at most the number of processors OpenMP
reports: more threads would only take turns on them, each with scratch of
its own. Results do not depend on the count: the engine splits work so
that no sum's order changes."""
from typing import Any, Dict, Optional

from pymlp import _engine
from pymlp._validate import check_int

_num_threads: Optional[int] = None
# the processors OpenMP sees; 1 when the engine was built without OpenMP
_MAX_THREADS = _engine.max_threads()


def set_num_threads(n: Optional[int]) -> None:
    """Use n threads in every network without its own n_threads (None
    restores the default). Counts above the processors are accepted and
    capped when used."""
    global _num_threads
    if n is not None:
        n = check_int(n, "the number of threads")
    _num_threads = n


def get_num_threads() -> int:
    """The thread count of networks without their own n_threads."""
    n = _engine.default_threads() if _num_threads is None else _num_threads
    return min(n, _MAX_THREADS)


def resolve_threads(n_threads: Optional[int]) -> int:
    """The thread count to pass to the engine for a network's n_threads."""
    if n_threads is None:
        return get_num_threads()
    return min(check_int(n_threads, "n_threads"), _MAX_THREADS)


def build_info() -> Dict[str, Any]:
    """What the compiled engine was built with and will use.

    Returns
    -------
    dict
        ``simd``: the SIMD level of the matrix products in use ("avx512",
        "avx2" or "generic"); ``simd_detected``: the highest the CPU
        supports; ``openmp``: whether OpenMP was compiled in;
        ``num_threads``: get_num_threads(); ``max_threads``: the
        processors OpenMP sees (1 without OpenMP).
    """
    return {
        "simd": _engine.simd_level(),
        "simd_detected": _engine.simd_detected(),
        "openmp": _engine.has_openmp(),
        "num_threads": get_num_threads(),
        "max_threads": _engine.max_threads(),
    }
