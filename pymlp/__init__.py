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
