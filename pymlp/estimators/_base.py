"""What MLPClassifier and MLPRegressor share: the parameters and their
rules, input checks, the network with scikit-learn's initial weights,
the choice of solver, prediction, and pickling.

The estimator's coefs_ and intercepts_ are views into net_.params (the
engine's flat W1, b1, W2, b2, ... buffer), so the fitted attributes and the
network are one set of numbers. A coefs_ or intercepts_ entry assigned by
hand (as one does to start a warm_start fit from given weights) is copied
into the network before it is next used, and the attribute becomes a view
again.
"""
from __future__ import annotations

import functools
import os
from numbers import Integral, Number, Real
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

import numpy as np
from numpy.typing import ArrayLike
import scipy.sparse as sp
from scipy.special import expit
from sklearn import config_context, get_config
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, \
    validate_data

from pymlp import serialization
from pymlp.estimators import _files, _solvers
from pymlp.network import MLP
from pymlp.optim import SGD, Adam

if TYPE_CHECKING:
    # X of fit, predict and score: dense, or a SciPy sparse matrix
    MatrixLike = Union[ArrayLike, sp.spmatrix, sp.sparray]

_Method = TypeVar("_Method", bound=Callable[..., Any])
_Estimator = TypeVar("_Estimator", bound="BaseMLP")

# scikit-learn's name of each hidden activation -> pymlp's
HIDDEN_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid",
                      "tanh": "tanh", "relu": "relu",
                      "leaky_relu": "leaky_relu", "softplus": "softplus",
                      "gelu": "gelu"}

# The network's last layer is linear: the engine's losses take its output
# z as logits (softmax, logistic) or a log-rate (exp); predict applies the
# output activation.
ENGINE_LOSSES = {"softmax": "cross_entropy", "logistic": "binary_log_loss",
                 "identity": "half_squared_error", "exp": "poisson"}

STOCHASTIC_SOLVERS = ("sgd", "adam")


def softmax(z):
    """Row-wise softmax of z, in place (z is returned)."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


OUTPUT_ACTIVATIONS = {"identity": lambda z: z, "exp": np.exp,
                      "logistic": expit, "softmax": softmax}


def fit_context(method: _Method) -> _Method:
    """Check the constructor parameters against _parameter_constraints
    before `method` (fit or partial_fit) runs, as scikit-learn's estimators
    do; a partial_fit of a fitted estimator skips the check, and functions
    called inside skip theirs. The global skip_parameter_validation setting
    is honoured."""
    @functools.wraps(method)
    def checked(estimator, *args, **kwargs):
        skip = get_config()["skip_parameter_validation"]
        again = method.__name__ == "partial_fit" and hasattr(estimator,
                                                             "net_")
        if not skip and not again:
            estimator._validate_params()
        with config_context(skip_parameter_validation=True):
            return method(estimator, *args, **kwargs)
    return checked  # type: ignore[return-value]  # wraps keeps its signature


def check_sample_weight(sample_weight, n_samples, dtype):
    """sample_weight as a C-contiguous array of n_samples values in dtype
    (a number stands for that weight on every sample), or None. The engine
    takes non-negative finite weights."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        sample_weight = check_array(
            sample_weight, accept_sparse=False, ensure_2d=False, dtype=dtype,
            order="C", input_name="sample_weight")
        if sample_weight.ndim != 1:
            raise ValueError(
                f"Sample weights must be 1D array or scalar, got "
                f"{sample_weight.ndim}D array. Expected either a scalar "
                f"value or a 1D array of length {n_samples}.")
        if sample_weight.shape != (n_samples,):
            raise ValueError(f"sample_weight.shape == {sample_weight.shape},"
                             f" expected {(n_samples,)}!")
    if not np.isfinite(sample_weight).all():
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if np.all(sample_weight == 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number.")
    if np.any(sample_weight < 0):
        raise ValueError(
            f"sample_weight has negative values (the smallest is "
            f"{sample_weight.min():g}); these estimators take non-negative "
            "weights")
    return sample_weight


class BaseMLP(BaseEstimator):
    """Shared machinery of MLPClassifier and MLPRegressor; not for direct
    use. Subclasses define _validate_input, _engine_targets, _score,
    _predict_validated and the loss they report."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like",
                               Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}),
                       Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling",
                                      "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
    }

    def _set_params_from(self, arguments):
        """Store the constructor's arguments, unchanged, as attributes."""
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- fitting -----------------------------------------------------------

    @fit_context
    def fit(self: _Estimator, X: MatrixLike, y: ArrayLike,
            sample_weight: Optional[ArrayLike] = None) -> _Estimator:
        """Fit the network to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs; float32 input trains a float32 network, anything
            else float64.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classification) or real targets (regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_solver(self):
        """partial_fit exists for the stochastic solvers only."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic.")
        return True

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return sizes

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "net_") or (
            not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if sp.issparse(X):
            X = X.tocsr()  # the solvers take rows
        else:
            X = np.ascontiguousarray(X)  # read in place by every epoch
        dtype = X.dtype if first_pass else self.net_.dtype
        sample_weight = check_sample_weight(sample_weight, X.shape[0], dtype)
        self.n_outputs_ = y.shape[1]
        layer_units = [X.shape[1], *hidden, self.n_outputs_]
        rng = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, dtype, rng)
        else:
            self._network(layer_units)
        if self.solver in STOCHASTIC_SOLVERS:
            _solvers.fit_stochastic(self, X, y, sample_weight, rng,
                                    incremental)
        else:
            _solvers.fit_lbfgs(self, X, y, sample_weight)
        if not np.isfinite(self.net_.params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input "
                "data may contain large values and need to be preprocessed.")
        return self

    def _initialize(self, y, layer_units, dtype, rng):
        """Build net_ for a first fit and draw scikit-learn's initial
        weights; reset the counters and the curves."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        net = MLP(layer_units, activation=self._hidden_activation(),
                  output_activation="identity", dtype=dtype, seed=0,
                  n_threads=self.n_threads)
        # Glorot and Bengio's uniform rule, with scikit-learn's factor (2
        # for the logistic function, 6 otherwise) and its order of draws:
        # each layer's weights, then its biases, in float64.
        factor = 2.0 if self.activation == "logistic" else 6.0
        for W, b in zip(net.weights, net.biases):
            fan_in, fan_out = W.shape
            bound = np.sqrt(factor / (fan_in + fan_out))
            W[...] = rng.uniform(-bound, bound, (fan_in, fan_out))
            b[...] = rng.uniform(-bound, bound, fan_out)
        self.net_ = net
        self.coefs_, self.intercepts_ = net.weights, net.biases
        self._best_params = net.params.copy()
        for name in ("_optimizer", "loss_curve_", "best_loss_",
                     "validation_scores_", "best_validation_score_"):
            self.__dict__.pop(name, None)
        if self.solver in STOCHASTIC_SOLVERS:
            self._start_curves()

    def _start_curves(self):
        """Start the stochastic solvers' records (the loss curve, the best
        loss or validation score) where they are missing: at a first fit,
        or at a warm start that turns to sgd or adam, or early stopping
        on."""
        if not hasattr(self, "loss_curve_"):
            self.loss_curve_ = []
            self._no_improvement_count = 0
        if self.early_stopping:
            if getattr(self, "validation_scores_", None) is None:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
        elif getattr(self, "best_loss_", None) is None:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _network(self, layer_units=None):
        """net_, holding the values of coefs_ and intercepts_: entries
        assigned by hand are copied into it and become its views again.
        With layer_units, check that the network has those sizes."""
        net = self.net_
        net.n_threads = self.n_threads  # as set now, also after the fit
        if layer_units is not None and list(net.layer_sizes) != layer_units:
            raise ValueError(
                f"warm_start and partial_fit continue the fitted network, "
                f"of layer sizes {list(net.layer_sizes)}, but this data and "
                f"hidden_layer_sizes need {layer_units}; set "
                "warm_start=False to fit a new network")
        weights, biases = net.weights, net.biases
        if (len(self.coefs_) != len(weights)
                or len(self.intercepts_) != len(biases)):
            raise ValueError(
                f"coefs_ and intercepts_ must hold {len(weights)} arrays "
                f"each, got {len(self.coefs_)} and {len(self.intercepts_)}")
        assigned = [
            (f"{name}[{l}]", value, view)
            for name, values, views in (("coefs_", self.coefs_, weights),
                                        ("intercepts_", self.intercepts_,
                                         biases))
            for l, (value, view) in enumerate(zip(values, views))
            if value is not view]
        for name, value, view in assigned:
            value = np.asarray(value)
            if value.shape != view.shape:
                raise ValueError(f"{name} has shape {value.shape}, but the "
                                 f"network needs {view.shape}")
            view[...] = value
        if assigned:
            self.coefs_, self.intercepts_ = weights, biases
        return net

    def _hidden_activation(self):
        """pymlp's name of the hidden layers' activation."""
        return HIDDEN_ACTIVATIONS[self.activation]

    def _engine_loss(self):
        return ENGINE_LOSSES[self.out_activation_]

    def _new_optimizer(self):
        """A pymlp optimizer with scikit-learn's update rule for solver."""
        if self.solver == "sgd":
            # Nesterov's step with zero momentum is the plain step
            return SGD(lr=self.learning_rate_init, momentum=self.momentum,
                       nesterov=self.nesterovs_momentum and self.momentum > 0,
                       convention="sklearn")
        return Adam(lr=self.learning_rate_init,
                    betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                    convention="sklearn")

    def _loss_divisor(self):
        """What scikit-learn divides the data part of the loss by when it
        reports it (its squared error is a mean over the outputs)."""
        return 1

    def _reported_loss(self, loss, penalty):
        """The loss as scikit-learn reports it, from the engine's (a mean
        over the samples of a sum over the outputs, plus the L2 penalty)
        and the penalty's part of it."""
        divisor = self._loss_divisor()
        if divisor == 1:
            return loss
        return (loss - penalty) / divisor + penalty

    # -- predicting ----------------------------------------------------------

    def _output(self, X):
        """The output activations for validated X (dense or CSR)."""
        net = self._network()
        if sp.issparse(X):
            X = X.tocsr()
            row_bytes = max(1, X.shape[1]) * net.dtype.itemsize
            rows = max(1, _solvers.CHUNK_BYTES // row_bytes)
            z = np.empty((X.shape[0], net.layer_sizes[-1]), dtype=net.dtype)
            for start in range(0, X.shape[0], rows):
                part = slice(start, start + rows)
                z[part] = net.predict(_solvers.densify(X, part, net.dtype))
        else:
            z = net.predict(X)
        return OUTPUT_ACTIVATIONS[self.out_activation_](z)

    def _check_X(self, X):
        """X checked against the fitted data, in the network's dtype."""
        check_is_fitted(self, "net_")
        return validate_data(self, X, accept_sparse=["csr", "csc"],
                             dtype=self.net_.dtype, reset=False)

    def _forward(self, X):
        """The output activations for X, checked."""
        return self._output(self._check_X(X))

    def _score_validated(self, X, y, sample_weight, score_function):
        """score_function of the predictions for validated X, or NaN when
        the network's outputs are not finite."""
        y_pred = self._predict_validated(X)
        if (np.issubdtype(y_pred.dtype, np.floating)
                and not np.isfinite(y_pred).all()):
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    if TYPE_CHECKING:  # inherited from scikit-learn's mixins
        def score(self, X: MatrixLike, y: ArrayLike,
                  sample_weight: Optional[ArrayLike] = None) -> float: ...

    # -- model files and pickling --------------------------------------------

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Write the fitted estimator to a pymlp model file (safetensors),
        atomically: the network's weights, with the parameters, classes
        and fitted records as metadata. pymlp.load(path) reads it back,
        without executing anything from the file: the safe alternative to
        pickle. The optimizer's state is not kept (a partial_fit after
        loading starts a new one), nor a RandomState instance given as
        random_state.

        Parameters
        ----------
        path : str or os.PathLike
        """
        check_is_fitted(self, "net_")
        serialization.save(self._network(), path, kind=self._file_kind,
                           fields=_files.fields_of(self))

    @classmethod
    def _from_file(cls, net, fields):
        """The fitted estimator a model file holds: its network and its
        fields, as pymlp.load reads them (ValueError if they are not
        those of a fitted estimator of this class)."""
        return _files.estimator_from(cls, net, fields)

    def __getstate__(self):
        # a copy: object.__getstate__ may hand back __dict__ itself
        state = dict(super().__getstate__())
        if "net_" in state:
            # coefs_ and intercepts_ are rebuilt as views of net_'s copy
            self._network()
            del state["coefs_"], state["intercepts_"]
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in state:
            self.coefs_, self.intercepts_ = (self.net_.weights,
                                             self.net_.biases)
