"""The MLP: architecture, parameters, prediction, loss, gradients and
training."""
from __future__ import annotations

import collections
import functools
import math
import os
import threading
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List,
                    Optional, Sequence, Tuple, Union)

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from pymlp import _engine, training
from pymlp._validate import (ACTIVATIONS, LOSSES, as_inputs,
                             as_sample_weight, as_targets, check_choice,
                             check_dtype, check_int, check_layer_sizes,
                             check_real)
from pymlp.optim import as_optimizer
from pymlp.threads import resolve_threads

if TYPE_CHECKING:
    from pymlp.optim import Optimizer
    from pymlp.training import History

# A callback of fit: callback(epoch, logs) -> True to stop.
Callback = Callable[[int, Dict[str, float]], Any]

INITS = ("default", "glorot_uniform", "he_normal")

# What the engine's loss reads: inputs, targets, the loss code, the rows'
# weights (or None) and the L2 coefficient.
_Objective = collections.namedtuple(
    "_Objective", "X y code sample_weight l2")
# _Objective from a 5-tuple, without the Python-level __new__
_objective = functools.partial(tuple.__new__, _Objective)

# Rows forwarded per call of the engine in predict: large enough for
# efficient matrix products, small enough that the scratch stays in cache.
PREDICT_CHUNK = 1024


class MLP:
    """A dense multilayer perceptron.

    Layer l computes ``a[l] = g[l](a[l-1] @ W[l] + b[l])`` for a batch of
    rows ``a[l-1]``, with ``W[l]`` of shape ``(n[l-1], n[l])``.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths ``n[0], ..., n[L]``: the input, each hidden layer, the output.
    activation : str or sequence of str, default "relu"
        The hidden layers' activation, or one name per hidden layer. One of
        identity, relu, leaky_relu, sigmoid, tanh, softplus, gelu, step.
    output_activation : str, default "identity"
        The last layer's activation. The cross-entropy losses take the
        output as logits, so classifiers keep "identity" here.
    dtype : {"float32", "float64"}, default "float32"
    init : {"default", "glorot_uniform", "he_normal"}, default "default"
        "default" draws W[l] and b[l] from U(-1/sqrt(n[l-1]), 1/sqrt(n[l-1]))
        as PyTorch's Linear does; the others set b[l] = 0.
    seed : int or None
        Seed of the initialisation; the same seed gives bit-identical
        parameters. None draws fresh entropy.
    n_threads : int or None
        Threads for this network's compiled loops; None follows
        pymlp.set_num_threads (default: OMP_NUM_THREADS, else all cores).
    """

    def __init__(self, layer_sizes: Sequence[int],
                 activation: Union[str, Sequence[str]] = "relu",
                 output_activation: str = "identity",
                 dtype: DTypeLike = "float32", init: str = "default",
                 seed: Optional[int] = None,
                 n_threads: Optional[int] = None) -> None:
        sizes = check_layer_sizes(layer_sizes)
        n_hidden = len(sizes) - 2
        if isinstance(activation, str):
            hidden = (activation,) * n_hidden
        else:
            hidden = tuple(activation)
            if len(hidden) != n_hidden:
                raise ValueError(f"activation lists {len(hidden)} names, but"
                                 f" the network has {n_hidden} hidden layers")
        activations = hidden + (output_activation,)
        codes = [check_choice(a, ACTIVATIONS, "activation")
                 for a in activations]
        if init not in INITS:
            raise ValueError(f"The init {init!r} is not supported. "
                             f"Supported inits are {list(INITS)}.")
        self._build(sizes, activations, codes, dtype)
        self.n_threads = n_threads
        self._initialize(init, seed)

    def _build(self, sizes, activations, codes, dtype):
        self._sizes = sizes
        self._activations = tuple(activations)
        # the engine reads native numbers: ">f4" means float32 here
        self._dtype = np.dtype(check_dtype(dtype).name)
        self._spec = _engine.NetSpec(sizes, codes)
        self._params = np.zeros(self._spec.n_params(), dtype=self._dtype)
        self._fit_scratch = None
        # (key, optimizer state, Trainer) of the last fit; see _trainer
        self._kept_trainer = None
        # the first layer using 'step' (0: none), which fit refuses
        self._step_layer = next((l for l, name in enumerate(activations, 1)
                                 if name == "step"), 0)
        self._flops_per_row = 6.0 * sum(a * b for a, b in
                                        zip(sizes[:-1], sizes[1:]))
        self._lock = threading.Lock()  # held by fit: one at a time
        # W[l] and b[l] are views into the one flat buffer, in layer order
        self._weights, self._biases = [], []
        offset = 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            W = self._params[offset:offset + n_in * n_out]
            self._weights.append(W.reshape(n_in, n_out))
            offset += n_in * n_out
            self._biases.append(self._params[offset:offset + n_out])
            offset += n_out

    def _initialize(self, init, seed):
        rng = np.random.default_rng(seed)
        for W, b in zip(self._weights, self._biases):
            fan_in, fan_out = W.shape
            if init == "default":
                bound = 1.0 / np.sqrt(fan_in)
                W[...] = rng.uniform(-bound, bound, W.shape)
                b[...] = rng.uniform(-bound, bound, b.shape)
            elif init == "glorot_uniform":
                bound = np.sqrt(6.0 / (fan_in + fan_out))
                W[...] = rng.uniform(-bound, bound, W.shape)
                b[...] = 0
            else:
                W[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), W.shape)
                b[...] = 0

    # -- the architecture and the parameters ------------------------------

    @property
    def layer_sizes(self) -> Tuple[int, ...]:
        """(n[0], ..., n[L])"""
        return self._sizes

    @property
    def activations(self) -> Tuple[str, ...]:
        """One activation name per layer, the output's last."""
        return self._activations

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the parameters and outputs: float32 or float64."""
        return self._dtype

    @property
    def params(self) -> NDArray[Any]:
        """Every W[l] and b[l], flat and contiguous (writable: the network
        reads its parameters from this buffer)."""
        return self._params

    @params.setter
    def params(self, values: ArrayLike) -> None:
        values = np.asarray(values)
        if values.shape != self._params.shape:
            raise ValueError(f"params must have shape {self._params.shape}, "
                             f"got {values.shape}")
        self._params[...] = values

    @property
    def weights(self) -> List[NDArray[Any]]:
        """W[l] of shape (n[l-1], n[l]) for each layer; views of params."""
        return list(self._weights)

    @property
    def biases(self) -> List[NDArray[Any]]:
        """b[l] of shape (n[l],) for each layer; views of params."""
        return list(self._biases)

    @property
    def n_params(self) -> int:
        """The number of parameters, the length of params."""
        return self._params.shape[0]

    def spec(self) -> Tuple[NDArray[np.int64], NDArray[np.intc]]:
        """(sizes, codes): n[0..L] as an int64 array and each layer's
        activation code (pymlp.h's enum pymlp_activation) as an int32
        array, new copies: with params, what the C API of pymlp_embed.h
        (in pymlp.get_include()) reads as a pymlp_net."""
        return self._spec.sizes.copy(), self._spec.activations.copy()

    def __repr__(self) -> str:
        return (f"MLP({list(self._sizes)}, activations="
                f"{list(self._activations)}, dtype={self._dtype.name!r})")

    def astype(self, dtype: DTypeLike) -> MLP:
        """A copy of the network with parameters converted to dtype."""
        twin = MLP.__new__(MLP)
        codes = [ACTIVATIONS[a] for a in self._activations]
        twin._build(self._sizes, self._activations, codes, dtype)
        twin._params[...] = self._params
        twin.n_threads = self.n_threads
        return twin

    def copy(self) -> MLP:
        """A copy of the network, parameters included."""
        return self.astype(self._dtype)

    def __getstate__(self) -> Dict[str, Any]:
        return {"layer_sizes": self._sizes, "activations": self._activations,
                "dtype": self._dtype.name, "params": self._params.copy(),
                "n_threads": self.n_threads}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        """Rebuilds the network through the same checks as the constructor:
        a malformed state raises ValueError."""
        keys = ("layer_sizes", "activations", "dtype", "params", "n_threads")
        if not isinstance(state, dict) or not set(keys) <= state.keys():
            raise ValueError(f"a pymlp.MLP state is a dict with {keys}, got "
                             f"{type(state).__name__}")
        sizes = check_layer_sizes(state["layer_sizes"])
        activations, dtype, params, n_threads = (state[k] for k in keys[1:])
        if not isinstance(activations, (list, tuple)):
            raise ValueError(f"the state's activations must be a list of "
                             f"names, got {activations!r}")
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"the state lists {len(activations)} "
                             f"activations for {len(sizes) - 1} layers")
        codes = [check_choice(a, ACTIVATIONS, "activation")
                 for a in activations]
        self._build(sizes, activations, codes, dtype)
        self.params = params
        self.n_threads = n_threads
        resolve_threads(n_threads)  # checks it

    # -- computing ---------------------------------------------------------

    def _fit_buffers(self, batch_size, threads, state_len):
        """(grad, snapshot, optimizer state snapshot of state_len, work) for
        a fit: kept from one fit to the next, as a framework keeps its
        gradients, so that a run of short fits (an epoch per call) does not
        fault in fresh pages every time. The caller holds self._lock."""
        P = self._params.shape[0]
        work_len = self._spec.work_len(batch_size, threads, self._dtype)
        kept = self._fit_scratch
        if (kept is None or kept[3].shape[0] < work_len
                or kept[2].shape[0] < state_len):
            kept = (np.empty(P, dtype=self._dtype),
                    np.empty(P, dtype=self._dtype),
                    np.empty(state_len, dtype=self._dtype),
                    _engine._aligned_empty(work_len, self._dtype))
            self._fit_scratch = kept
        return kept[0], kept[1], kept[2][:state_len], kept[3][:work_len]

    def _threads(self):
        return resolve_threads(self.n_threads)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The network's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n[0])

        Returns
        -------
        ndarray of shape (n_samples, n[L])
            In the network's dtype. For the cross-entropy losses these are
            logits.
        """
        out = _engine.predict(self._spec, self._params, X, PREDICT_CHUNK,
                              self._threads())
        if out is None:  # convert X, or say what is wrong with it
            X = as_inputs(X, self._sizes[0], self._dtype)
            out = _engine.predict(self._spec, self._params, X,
                                  PREDICT_CHUNK, self._threads())
        # the engine reads as_inputs' array as it is: out is not None
        return out  # type: ignore[return-value]

    def predict_proba(self, X: ArrayLike) -> NDArray[Any]:
        """Class probabilities: softmax of the output (one column: sigmoid),
        matching the cross-entropy losses that treat the output as logits.
        """
        z = self.predict(X).astype(np.float64)
        if z.shape[1] == 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * z))  # stable sigmoid
        else:
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
        return p.astype(self._dtype)

    def _check_trainable(self):
        l = self._step_layer
        if l:
            raise ValueError(
                f"layer {l} uses the 'step' activation, which has no "
                "useful gradient (its derivative is 0 wherever it "
                "exists), so it cannot be trained by gradient descent; "
                "use it in predict only, or train with 'tanh' or "
                "'sigmoid' instead")

    def _prepare(self, X, y, loss, sample_weight=None, l2=0.0,
                 zero_sum=False):
        """The objective as the engine reads it, every part validated;
        zero_sum accepts weights that are all 0."""
        code = LOSSES.get(loss) if type(loss) is str else None
        if code is None:
            code = check_choice(loss, LOSSES, "loss")  # raises
        if _engine.fit_ready(self._spec, code, self._params, X, y,
                             sample_weight):
            # already as the checks below would leave them: no copies, and
            # one pass over the values in compiled code
            if not (type(l2) is float and 0.0 <= l2 < math.inf):
                l2 = check_real(l2, "l2", low=0)
            return _objective((X, y, code, sample_weight, l2))
        X = as_inputs(X, self._sizes[0], self._dtype)
        y = as_targets(y, X.shape[0], self._sizes[-1], code, self._dtype)
        if sample_weight is not None:
            sample_weight = as_sample_weight(sample_weight, X.shape[0],
                                             self._dtype, zero_sum=zero_sum)
        l2 = check_real(l2, "l2", low=0)
        return _Objective(X, y, code, sample_weight, l2)

    def _loss_grad(self, objective, grad):
        X, y, code, sample_weight, l2 = objective
        labels = y if code == LOSSES["cross_entropy"] else None
        values = None if labels is not None else y
        return _engine.loss_grad(self._spec, code, self._params, X, values,
                                 labels, sample_weight, l2, grad,
                                 self._threads())

    def loss(self, X: ArrayLike, y: ArrayLike, loss: str = "mse",
             sample_weight: Optional[ArrayLike] = None,
             l2: float = 0.0) -> float:
        """The loss of the network on (X, y): the mean of the rows' losses
        (weighted by sample_weight) plus the L2 penalty
        ``0.5 * l2 * sum of squared weights / sum(sample_weight)`` (biases
        excluded; scikit-learn's alpha). See the README, or the user guide
        of the documentation, for the losses."""
        return self._loss_grad(
            self._prepare(X, y, loss, sample_weight, l2), None)

    def loss_and_flat_grad(self, X: ArrayLike, y: ArrayLike,
                           loss: str = "mse",
                           sample_weight: Optional[ArrayLike] = None,
                           l2: float = 0.0) -> Tuple[float, NDArray[Any]]:
        """(loss, gradient) with the gradient flat, in the layout of
        params."""
        self._check_trainable()
        objective = self._prepare(X, y, loss, sample_weight, l2)
        grad = np.empty_like(self._params)
        return self._loss_grad(objective, grad), grad

    def loss_and_grad_sums(
            self, X: ArrayLike, y: ArrayLike, loss: str = "mse",
            sample_weight: Optional[ArrayLike] = None
    ) -> Tuple[float, NDArray[Any], float]:
        """(loss sum, gradient sum, weight sum) over the rows of (X, y):
        ``sum_i w_i l_i``, its gradient (flat, in the layout of params) and
        ``sum_i w_i`` (the row count without sample_weight), with l_i the
        row's loss as `loss` defines it and no L2 penalty. These are what
        adds up over any split of the rows into parts: on all the rows,
        loss_and_flat_grad(X, y, loss, sample_weight, l2) is, up to the
        order of the sums,
        ``((S_loss + 0.5 l2 sum ||W||^2) / S_w, (S_grad + l2 W) / S_w)``
        with S the sums of the parts' values and W every weight matrix
        (zeros at the biases' places in the gradient)."""
        self._check_trainable()
        # a part may hold only rows of weight 0
        objective = self._prepare(X, y, loss, sample_weight, zero_sum=True)
        if objective.sample_weight is None:
            weight_sum = float(objective.X.shape[0])
        else:  # in double, as the engine divides by it
            weight_sum = float(np.sum(objective.sample_weight,
                                      dtype=np.float64))
        grad = np.empty_like(self._params)
        # the engine's mean times its divisor (rows whose weights are all 0
        # give 0, as their mean is 0)
        mean = self._loss_grad(objective, grad)
        grad *= weight_sum
        return mean * weight_sum, grad, weight_sum

    def loss_and_grad(
            self, X: ArrayLike, y: ArrayLike, loss: str = "mse",
            sample_weight: Optional[ArrayLike] = None, l2: float = 0.0
    ) -> Tuple[float, List[Tuple[NDArray[Any], NDArray[Any]]]]:
        """(loss, [(dW1, db1), ..., (dWL, dbL)]): the loss on (X, y), as
        `loss` defines it, and its gradient for every layer, shaped as
        weights and biases."""
        value, grad = self.loss_and_flat_grad(X, y, loss, sample_weight, l2)
        return value, self.unflatten(grad)

    def unflatten(
            self, flat: NDArray[Any]
    ) -> List[Tuple[NDArray[Any], NDArray[Any]]]:
        """[(W1-shaped view, b1-shaped view), ...] of a params-shaped
        vector."""
        pairs, offset = [], 0
        for n_in, n_out in zip(self._sizes[:-1], self._sizes[1:]):
            dW = flat[offset:offset + n_in * n_out].reshape(n_in, n_out)
            offset += n_in * n_out
            pairs.append((dW, flat[offset:offset + n_out]))
            offset += n_out
        return pairs

    # -- training (pymlp.training runs the loop) ----------------------------

    def fit(self, X: ArrayLike, y: ArrayLike, loss: str = "mse",
            optimizer: Union[Optimizer, str] = "adam", epochs: int = 100,
            batch_size: Optional[int] = None, shuffle: bool = True,
            seed: Optional[int] = None,
            validation_data: Optional[Tuple[ArrayLike, ArrayLike]] = None,
            verbose: bool = False,
            callbacks: Optional[Iterable[Callback]] = None,
            sample_weight: Optional[ArrayLike] = None,
            l2: float = 0.0) -> History:
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n[0])
        y : array-like
            Targets of shape (n_samples, n[L]), or (n_samples,) when
            n[L] == 1; for cross_entropy, integer labels of shape
            (n_samples,).
        loss : str, default "mse"
            mse, mae, huber, cross_entropy, binary_cross_entropy,
            half_squared_error, binary_log_loss or poisson (see the README
            or the user guide of the documentation).
        optimizer : Optimizer or {"sgd", "adam", "adamw"}
            Reuse one Optimizer object to continue a run with its state.
        epochs : int
        batch_size : int or None
            Rows per update; None is the full batch. Each epoch walks a
            permutation of the rows (the rows in order when shuffle is
            False) in chunks of batch_size, the last one smaller. A full
            batch is never shuffled: its update is the same, and without a
            reordering of the rows its sums are too, so full-batch runs
            repeat exactly.
        seed : int or None
            Seed of the shuffling; the same seed (and initial network) gives
            bit-identical parameters.
        validation_data : (X_val, y_val) or None
            Evaluated after each epoch into History.val_loss.
        verbose : bool
            Show a progress bar with the current loss.
        callbacks : list of callables or None
            Each is called as ``callback(epoch, logs)`` after every epoch,
            with the epoch number (from 1) and a dict with "loss" (and
            "val_loss"); returning True stops training.
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative weights of the rows: each mini-batch's loss is
            sum_i w_i l_i / sum_i w_i over its rows.
        l2 : float, default 0
            Adds ``0.5 * l2 * sum of squared weights / sum of the batch's
            row weights`` to each mini-batch's loss (biases excluded):
            scikit-learn's alpha.

        Returns
        -------
        History
            The mean training loss of each epoch (and validation loss).

        Raises
        ------
        FloatingPointError
            When training diverges: an epoch's loss is NaN, infinite or
            above 1e10 times max(1, the loss of the fit's first
            mini-batch), or a parameter is not finite. The parameters and
            the optimizer's state (moments, step count) are first restored
            to the last state a loss has checked: the start of the
            diverging epoch, or of the epoch before when the diverging
            epoch's first loss already exceeded the bound (an epoch's last
            update is checked only by the next epoch's first loss).
        KeyboardInterrupt
            On Ctrl-C, within a fraction of a second; the parameters and
            the optimizer are those of the last complete update.

        Notes
        -----
        A fit holds the network's lock and the optimizer's for its whole
        run: fits of one network from several threads run one after the
        other.
        """
        optimizer = as_optimizer(optimizer)
        with self._lock, optimizer._lock:
            if self._step_layer:
                self._check_trainable()  # raises
            if not (type(epochs) is int and epochs >= 1):
                epochs = check_int(epochs, "epochs")
            objective = self._prepare(X, y, loss, sample_weight, l2)
            n = objective.X.shape[0]
            batch_size = n if batch_size is None else min(
                check_int(batch_size, "batch_size"), n)
            evaluate = (None if validation_data is None
                        else self._evaluator(validation_data, loss))
            callbacks = list(callbacks) if callbacks else []
            for cb in callbacks:
                if not callable(cb):
                    raise TypeError(f"callbacks must be callables, got "
                                    f"{cb!r}")
            shuffle = bool(shuffle) and batch_size < n
            # the engine expands the seed with splitmix64: any 64 bits do
            if seed is not None:
                seed64 = check_int(seed, "seed", minimum=0) % 2 ** 64
            elif shuffle:  # fresh entropy, only where rows are shuffled
                seed64 = int.from_bytes(os.urandom(8), "little")
            else:
                seed64 = 0
            hyper = optimizer.hyper()
            optimizer._bind(self._params, self, hyper)  # its lock is held
            trainer = self._trainer(objective, batch_size, shuffle, seed64,
                                    optimizer, hyper, self._threads())
            try:
                return training.run(trainer, optimizer, epochs,
                                    self._flops_per_row, evaluate, verbose,
                                    callbacks)
            finally:
                trainer.release()  # the network keeps no reference to X, y

    def _trainer(self, objective, batch_size, shuffle, seed64, optimizer,
                 hyper, threads):
        """The engine's Trainer for a fit. The last fit's is kept and
        restarted when the loss, the number of rows, whether rows are
        weighted, the batch size, the thread count and the optimizer's state
        buffer are the same (restarting is what a new Trainer would do,
        less its allocations and checks); else a new one takes its place.
        The caller holds self._lock and optimizer's, and has bound the
        optimizer."""
        X, y, code, sample_weight, l2 = objective
        state = optimizer.state
        key = (code, X.shape[0], sample_weight is None, batch_size, threads)
        kept = self._kept_trainer
        if kept is not None and kept[0] == key and kept[1] is state:
            kept[2].restart(X, y, sample_weight, l2, shuffle, seed64, hyper,
                            optimizer.steps)
            return kept[2]
        self._kept_trainer = None  # its buffers may be replaced below
        grad, snapshot, opt_snapshot, work = self._fit_buffers(
            batch_size, threads, state.shape[0])
        trainer = _engine.Trainer(
            self._spec, code, X, y, sample_weight, l2, batch_size, shuffle,
            seed64, self._params, grad, snapshot, work, state, opt_snapshot,
            hyper, optimizer.steps, threads)
        self._kept_trainer = (key, state, trainer)
        return trainer

    def _evaluator(self, validation_data, loss):
        """A function giving the loss on validation_data, validated once,
        or None."""
        if validation_data is None:
            return None
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)"
                             ) from None
        objective = self._prepare(X_val, y_val, loss)
        return lambda: self._loss_grad(objective, None)

    def partial_fit(self, X: ArrayLike, y: ArrayLike, loss: str = "mse",
                    optimizer: Union[Optimizer, str] = "adam",
                    batch_size: Optional[int] = None, shuffle: bool = True,
                    seed: Optional[int] = None) -> History:
        """One epoch of training. Pass the same optimizer object on every
        call so that its state (moments, step count) carries over."""
        return self.fit(X, y, loss=loss, optimizer=optimizer, epochs=1,
                        batch_size=batch_size, shuffle=shuffle, seed=seed)

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Write the network to a safetensors file, atomically; see
        pymlp.load."""
        from pymlp.serialization import save
        save(self, path)


def gradcheck(net: MLP, X: ArrayLike, y: ArrayLike, loss: str = "mse",
              eps: float = 1e-6, sample_weight: Optional[ArrayLike] = None,
              l2: float = 0.0) -> float:
    """Worst relative error between the network's gradient and central
    differences ``(L(p + eps) - L(p - eps)) / (2 eps)``, over every
    parameter, computed on a float64 copy of the network.

    The relative error of one parameter is ``|g - d| / max(|g|, |d|, s)``
    with ``s = 1e-3 max(|g|)`` (at least 1e-8): components far smaller
    than the largest are measured against it, since the differences'
    rounding noise (``~1e-16 |L| / eps``) would dominate their own size.

    Parameters
    ----------
    net : MLP
        The network; it is not changed.
    X : array-like of shape (n_samples, n[0])
    y : array-like
        Targets, as `MLP.fit` takes them for `loss`.
    loss : str, default "mse"
    eps : float, default 1e-6
        The step of the central differences.
    sample_weight : array-like of shape (n_samples,) or None
    l2 : float, default 0

    Returns
    -------
    float
        The worst relative error over the parameters.
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a pymlp.MLP, got {type(net).__name__}")
    eps = check_real(eps, "eps", low=0, low_open=True)
    twin = net.astype(np.float64)
    twin._check_trainable()
    objective = twin._prepare(X, y, loss, sample_weight, l2)
    grad = np.empty_like(twin.params)
    twin._loss_grad(objective, grad)
    p = twin.params
    floor = max(1e-3 * float(np.abs(grad).max()), 1e-8)
    worst = 0.0
    for i in range(p.shape[0]):
        saved = p[i]
        p[i] = saved + eps
        up = twin._loss_grad(objective, None)
        p[i] = saved - eps
        down = twin._loss_grad(objective, None)
        p[i] = saved
        numeric = (up - down) / (2 * eps)
        scale = max(abs(grad[i]), abs(numeric), floor)
        worst = max(worst, abs(grad[i] - numeric) / scale)
    return worst
