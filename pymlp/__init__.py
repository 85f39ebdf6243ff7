"""pymlp: fast multilayer perceptrons, a C and Cython engine under a small
Python API."""
from typing import TYPE_CHECKING, Any, List

from pymlp._include import get_include
from pymlp.network import MLP, gradcheck
from pymlp.optim import SGD, Adam, AdamW, Optimizer
from pymlp.serialization import load
from pymlp.threads import build_info, get_num_threads, set_num_threads
from pymlp.training import History

if TYPE_CHECKING:  # the lazy names below, for type checkers
    from pymlp.estimators import MLPClassifier, MLPRegressor
    from pymlp.export.onnx import to_onnx
    from pymlp.export.torch import from_torch, to_torch

__version__ = "0.1.0"

__all__ = ["MLP", "gradcheck", "SGD", "Adam", "AdamW", "Optimizer", "load",
           "History", "build_info", "get_num_threads", "set_num_threads",
           "get_include"]

# Faces that need optional extras are imported on first access, so that
# `import pymlp` works without them: name -> the module that defines it.
LAZY = {"MLPClassifier": "pymlp.estimators",
        "MLPRegressor": "pymlp.estimators",
        "to_onnx": "pymlp.export.onnx",
        "to_torch": "pymlp.export.torch",
        "from_torch": "pymlp.export.torch"}


def __getattr__(name: str) -> Any:
    if name in LAZY:
        import importlib
        return getattr(importlib.import_module(LAZY[name]), name)
    raise AttributeError(f"module 'pymlp' has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(list(globals()) + list(LAZY))
