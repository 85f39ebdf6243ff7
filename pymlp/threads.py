"""The thread count of pymlp's compiled loops.

The default follows OMP_NUM_THREADS when it is set, else every core the
process may use. set_num_threads overrides it for the whole process; a
network's own n_threads overrides both. Results do not depend on the count:
the engine splits work so that no sum's order changes."""
import os

from pymlp import _engine

_num_threads = None
_default = None


def _default_threads():
    """OMP_NUM_THREADS or the usable cores, read once (per process)."""
    global _default
    if _default is None:
        _default = _count_default_threads()
    return _default


def _count_default_threads():
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def set_num_threads(n):
    """Use n threads in every network without its own n_threads (None
    restores the default)."""
    global _num_threads
    if n is not None and (not isinstance(n, int) or isinstance(n, bool)
                          or n < 1):
        raise ValueError(f"the number of threads must be a positive integer"
                         f" or None, got {n!r}")
    _num_threads = n


def get_num_threads():
    return _num_threads if _num_threads is not None else _default_threads()


_HAS_OPENMP = _engine.has_openmp()


def resolve_threads(n_threads):
    """The thread count to pass to the engine."""
    if n_threads is None:
        n = get_num_threads()
    else:
        n = n_threads
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_threads must be a positive integer or None,"
                             f" got {n!r}")
    return n if _HAS_OPENMP else 1


def build_info():
    """What the compiled engine was built with and will use."""
    return {
        "simd": _engine.simd_level(),
        "simd_detected": _engine.simd_detected(),
        "openmp": _engine.has_openmp(),
        "num_threads": get_num_threads(),
        "max_threads": _engine.max_threads(),
    }
