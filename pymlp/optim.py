"""Optimizers: PyTorch's SGD, Adam and AdamW update rules and defaults,
and scikit-learn's SGD and Adam rules (convention="sklearn").

An optimizer keeps its state (momentum buffer or moments, step count) in
flat buffers with the layout of the network's params, created on first use
and kept while the same object is reused, so that successive fit or
partial_fit calls continue one run, as a reused torch.optim optimizer does.
The update itself is one compiled loop (csrc/optim.inc).

Hyper-parameters are checked whenever they are assigned, so `opt.lr = 1e-4`
between two fits is held to the constructor's rules. One optimizer may be
used from several threads: its updates, and the fits that use it, take
turns under its lock."""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pymlp import _engine
from pymlp._validate import as_vector, check_real, show
from pymlp.threads import resolve_threads

CONVENTIONS = ("torch", "sklearn")


def _positive(value, name):
    return check_real(value, name, low=0, low_open=True)


def _non_negative(value, name):
    return check_real(value, name, low=0)


def _convention(value, name):
    if value not in CONVENTIONS:
        raise ValueError(f"{name} must be one of {list(CONVENTIONS)}, got "
                         f"{show(value)}")
    return value


def _torch_only(value, name):
    if value != "torch":
        raise ValueError(f"{name} must be 'torch' (decoupled weight decay "
                         f"has no scikit-learn rule), got {show(value)}")
    return value


def _betas(value, name):
    try:
        beta1, beta2 = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers, got "
                         f"{show(value)}") from None
    return (check_real(beta1, f"{name}[0]", low=0, high=1, high_open=True),
            check_real(beta2, f"{name}[1]", low=0, high=1, high_open=True))


class Optimizer:
    """Base class: hyper-parameters, state buffers and the network they
    belong to."""

    # the engine's name of the update rule, set by each subclass
    name: str = None  # type: ignore[assignment]
    # each hyper-parameter's check, run on every assignment to it
    _checks = {"lr": _positive, "convention": _convention}
    convention = "torch"

    @property
    def kind(self) -> int:
        """The engine's code of the update rule."""
        suffix = "" if self.convention == "torch" else "_" + self.convention
        return _engine.OPTIMIZER_KINDS[self.name + suffix]

    # the state buffer (None until the optimizer is bound to a network)
    # and the updates counted so far
    state: Optional[NDArray[Any]]
    steps: int
    # each subclass: its hyper-parameters as the constructor takes them
    _args: Callable[[], Dict[str, Any]]

    def __init__(self, lr: float) -> None:
        self.lr = lr
        # one update or fit at a time: the state is read and written whole.
        # Re-entrant, as a fit holds it while it binds the optimizer.
        self._lock = threading.RLock()
        self.reset()

    def __setattr__(self, name: str, value: Any) -> None:
        check = self._checks.get(name)
        object.__setattr__(self, name, value if check is None
                           else check(value, name))

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]  # a lock cannot be copied; a copy gets its own
        # nor can the reference to the network: a copy's state (moments,
        # steps) is adopted by the first network of its shape it trains
        state["_owner"] = None
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.RLock())
        if isinstance(self.state, np.ndarray):
            # unpickled from a buffer, it may be unaligned, which C may not
            # read
            self.state = np.require(self.state, requirements=["C", "A", "W"])

    def reset(self) -> None:
        """Forget the state: the next update is a first step again."""
        with self._lock:
            self.state = None
            self.steps = 0
            self._owner = None

    def hyper(self) -> Dict[str, Any]:
        """The hyper-parameters as the engine reads them."""
        raise NotImplementedError

    def bind(self, params: NDArray[Any], owner: Optional[object] = None
             ) -> None:
        """Create the state for params, or check that it belongs to them.
        `owner` is the network (or params) the state was built for."""
        with self._lock:
            self._bind(params, params if owner is None else owner)

    def _bind(self, params, owner, hyper=None):
        """bind, under the lock; `hyper` is self.hyper() when the caller
        has it already."""
        if hyper is None:
            hyper = self.hyper()
        length = params.shape[0] * _engine.state_per_param(hyper)
        if self._owner is not None:
            if self._owner() is not owner:
                raise ValueError(
                    f"this {type(self).__name__} holds the state of another "
                    "network; create a new optimizer for this one, or call "
                    ".reset() first")
            if (self.state.dtype != params.dtype
                    or self.state.shape[0] != length):
                raise ValueError("the network's parameters changed shape or "
                                 "dtype since this optimizer last used them;"
                                 " call .reset() first")
            return
        adopted = (self.state is not None and self.state.dtype == params.dtype
                   and self.state.shape[0] == length)
        if not adopted:  # a first use (or a copy's state of another shape)
            self.state = np.zeros(length, dtype=params.dtype)
            self.steps = 0
        self._owner = weakref.ref(owner)

    def _per_param(self):
        return _engine.state_per_param(self.hyper())

    def step(self, params: NDArray[Any], grad: ArrayLike,
             n_threads: Optional[int] = None,
             owner: Optional[object] = None) -> None:
        """One update of a flat float array params (in place) from grad.
        Calls from several threads take turns, each counted in steps.
        `owner` is as in bind: pass the network whose params these are to
        continue, or be continued by, that network's fits."""
        if not (isinstance(params, np.ndarray) and params.ndim == 1
                and params.flags.c_contiguous and params.flags.writeable
                and params.flags.aligned
                and params.dtype in (np.float32, np.float64)):
            raise TypeError("params must be a writable, contiguous, aligned "
                            "1-D float32 or float64 array")
        grad = as_vector(grad, params.shape[0], params.dtype, "grad")
        threads = resolve_threads(n_threads)
        with self._lock:
            self._bind(params, params if owner is None else owner)
            self.steps = _engine.optimizer_step(
                self.hyper(), self.steps, params, grad,
                self.state, threads)  # type: ignore[arg-type]  # bound

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, torch.optim.SGD's rule:
    ``g = grad + weight_decay * p; buf = momentum * buf + g;
    p -= lr * (g + momentum * buf if nesterov else buf)``.

    With convention="sklearn", scikit-learn's rule, where the learning rate
    stays inside the velocity: ``v = momentum * v - lr * g; p += v`` (with
    nesterov ``p += momentum * v - lr * g``). The two agree while lr is
    constant and differ once it changes between steps.

    Parameters
    ----------
    lr : float, default 1e-3
        The learning rate, > 0.
    momentum : float, default 0
        The momentum factor, >= 0; 0 is plain gradient descent.
    nesterov : bool, default False
        Nesterov momentum (needs momentum > 0).
    weight_decay : float, default 0
        Adds ``weight_decay * p`` to the gradient (an L2 penalty).
    convention : {"torch", "sklearn"}, default "torch"
        Whose update rule to follow.
    """

    name = "sgd"
    _checks = dict(Optimizer._checks, momentum=_non_negative,
                  weight_decay=_non_negative)

    def __init__(self, lr: float = 1e-3, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0,
                 convention: str = "torch") -> None:
        self.convention = convention
        self.momentum = momentum
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov momentum needs momentum > 0")
        self.weight_decay = weight_decay
        super().__init__(lr)

    def _args(self):
        args = {"lr": self.lr, "momentum": self.momentum,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}
        if self.convention != "torch":
            args["convention"] = self.convention
        return args

    def hyper(self) -> Dict[str, Any]:
        return {"kind": self.kind, "lr": self.lr, "momentum": self.momentum,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam with bias correction, torch.optim.Adam's rule and defaults;
    weight_decay adds an L2 term to the gradient.

    With convention="sklearn", scikit-learn's rule (Kingma and Ba's with
    eps-hat): ``p -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m /
    (sqrt(v) + eps)``, where PyTorch adds eps to sqrt(v / (1 - beta2**t)).

    Parameters
    ----------
    lr : float, default 1e-3
        The learning rate, > 0.
    betas : (float, float), default (0.9, 0.999)
        The decay rates of the first and second moment estimates, in
        [0, 1).
    eps : float, default 1e-8
        Added to the denominator, for numerical stability.
    weight_decay : float, default 0
        Adds ``weight_decay * p`` to the gradient (an L2 penalty).
    convention : {"torch", "sklearn"}, default "torch"
        Whose update rule to follow.
    """

    name = "adam"
    _checks = dict(Optimizer._checks, betas=_betas, eps=_non_negative,
                  weight_decay=_non_negative)

    def __init__(self, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 convention: str = "torch") -> None:
        self.convention = convention
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        super().__init__(lr)

    def _args(self):
        args = {"lr": self.lr, "betas": self.betas, "eps": self.eps,
                "weight_decay": self.weight_decay}
        if self.convention != "torch":
            args["convention"] = self.convention
        return args

    def hyper(self) -> Dict[str, Any]:
        return {"kind": self.kind, "lr": self.lr, "beta1": self.betas[0],
                "beta2": self.betas[1], "eps": self.eps,
                "weight_decay": self.weight_decay}


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): each step first
    scales p by 1 - lr * weight_decay.

    Parameters
    ----------
    lr : float, default 1e-3
        The learning rate, > 0.
    betas : (float, float), default (0.9, 0.999)
        The decay rates of the first and second moment estimates, in
        [0, 1).
    eps : float, default 1e-8
        Added to the denominator, for numerical stability.
    weight_decay : float, default 1e-2
        The decoupled decay rate.
    """

    name = "adamw"
    _checks = dict(Adam._checks, convention=_torch_only)

    def __init__(self, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(lr, betas, eps, weight_decay)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def as_optimizer(optimizer: Union[Optimizer, str]) -> Optimizer:
    """An Optimizer from an instance or a name (with default settings)."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"The optimizer {optimizer!r} is not supported. "
                     f"Supported optimizers are {sorted(OPTIMIZERS)} or an "
                     "instance of pymlp.SGD, pymlp.Adam, pymlp.AdamW.")
