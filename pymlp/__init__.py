"""pymlp: fast multilayer perceptrons, a C and Cython engine under a small
Python API."""
from pymlp.network import MLP, gradcheck
from pymlp.optim import SGD, Adam, AdamW, Optimizer
from pymlp.serialization import load
from pymlp.threads import build_info, get_num_threads, set_num_threads
from pymlp.training import History

__version__ = "0.1.0"

__all__ = ["MLP", "gradcheck", "SGD", "Adam", "AdamW", "Optimizer", "load",
           "History", "build_info", "get_num_threads", "set_num_threads"]

# scikit-learn's estimators need scikit-learn, an optional extra: they are
# imported on first access, so that `import pymlp` works without it.
ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def __getattr__(name):
    if name in ESTIMATORS:
        from pymlp import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module 'pymlp' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(ESTIMATORS))
