"""The PyTorch bridge: a pymlp network as a torch.nn.Sequential, and back.

Layer l of a pymlp network computes ``a[l] = g[l](a[l-1] @ W[l] + b[l])``
with ``W[l]`` of shape ``(n[l-1], n[l])``; ``torch.nn.Linear`` computes
``x @ weight.T + bias`` with ``weight`` of shape ``(out, in)``. So
``weight = W[l].T`` and ``bias = b[l]``: the same numbers, transposed.
Both directions copy the parameters (neither object shares memory with
the other) without rounding, so that MLP -> to_torch -> from_torch gives
back parameters equal bit for bit.

Each activation is one torch.nn module:

    identity     no module: two Linear layers in a row
    relu         ReLU()
    leaky_relu   LeakyReLU(0.01)
    sigmoid      Sigmoid()
    tanh         Tanh()
    softplus     Softplus(): threshold 20 in float32, 34 in float64 (below)
    gelu         GELU(approximate="none"), the exact erf form
    step         none: to_torch refuses it

PyTorch is an optional dependency, imported when a function is called:
``pip install torch``.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, List, Union

import numpy as np

from pymlp.network import MLP

if TYPE_CHECKING:
    import torch

    from pymlp.estimators import MLPClassifier, MLPRegressor

INSTALL = "pip install torch"

# torch.nn.Softplus returns x itself where x > threshold (for beta = 1),
# and log1p(exp(x)) elsewhere. pymlp's softplus, max(f, 0) +
# log1p(exp(-|f|)), rounds to f itself once exp(-f) is below half an ulp
# of f: above 15 in float32 (exp(-15) = 3.1e-7 < 2**-21, half the ulp of
# [8, 16)) and above 34 in float64 (exp(-34) = 1.7e-15 < 2**-48, half the
# ulp of [32, 64)). A threshold at or above that cut-off changes no value,
# as long as exp(threshold) stays finite: up to 88 in float32 and 709 in
# float64 (the logs of the largest floats, 88.7 and 709.8, rounded down
# for a margin). The default threshold, 20, is exact in float32; in
# float64 it drops log1p(exp(-x)) <= exp(-20) = 2.1e-9 for x in (20, 34),
# a relative change up to 1e-10, so to_torch writes threshold=34 there.
SOFTPLUS_EXACT = {"float32": (15.0, 88.0), "float64": (34.0, 709.0)}
SOFTPLUS_THRESHOLD = {"float32": 20.0, "float64": 34.0}
TORCH_DEFAULT_SOFTPLUS_THRESHOLD = 20.0
LEAKY_SLOPE = 0.01  # pymlp's leaky_relu


def _import_torch(caller):
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"pymlp.{caller} needs PyTorch ({e}); install it "
                          f"with: {INSTALL}") from e
    return torch


def _kind(obj):
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


# -- pymlp -> PyTorch ---------------------------------------------------------


def _layers_of(model):
    """(pairs, activations, dtype) of an MLP or a fitted estimator: pairs
    are (W of shape (n[l-1], n[l]), b of shape (n[l],)) per layer."""
    if isinstance(model, MLP):
        return (list(zip(model.weights, model.biases)), model.activations,
                model.dtype)
    # an estimator exists only once pymlp.estimators (and scikit-learn) is
    # imported: without it, no need to import either
    estimators = sys.modules.get("pymlp.estimators")
    if estimators is None or not isinstance(
            model, (estimators.MLPClassifier, estimators.MLPRegressor)):
        raise TypeError("to_torch converts a pymlp.MLP or a fitted "
                        "pymlp.MLPClassifier or MLPRegressor, got "
                        f"{_kind(model)}")
    from sklearn.utils.validation import check_is_fitted
    check_is_fitted(model, "net_")
    net = model.net_
    # coefs_ and intercepts_ are what the estimator predicts with: entries
    # assigned by hand count, as they do in its predict
    coefs, intercepts = list(model.coefs_), list(model.intercepts_)
    if len(coefs) != len(net.weights) or len(intercepts) != len(net.biases):
        raise ValueError(
            f"coefs_ and intercepts_ must hold {len(net.weights)} arrays "
            f"each, got {len(coefs)} and {len(intercepts)}")
    pairs = []
    for l, (W, b, W_net, b_net) in enumerate(
            zip(coefs, intercepts, net.weights, net.biases)):
        W, b = np.asarray(W, net.dtype), np.asarray(b, net.dtype)
        if W.shape != W_net.shape or b.shape != b_net.shape:
            raise ValueError(
                f"coefs_[{l}] and intercepts_[{l}] have shapes {W.shape} and "
                f"{b.shape}, but the network needs {W_net.shape} and "
                f"{b_net.shape}")
        pairs.append((W, b))
    return pairs, net.activations, net.dtype


def _as_tensor(torch, array):
    """A tensor reading `array` (from_numpy warns about read-only arrays,
    which coefs_ assigned by hand may be: those are copied first)."""
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def _activation_module(nn, name, dtype):
    """The torch.nn module of pymlp's activation `name` (None: identity)."""
    if name == "identity":
        return None
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(LEAKY_SLOPE)
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "softplus":
        threshold = SOFTPLUS_THRESHOLD[dtype.name]
        if threshold == TORCH_DEFAULT_SOFTPLUS_THRESHOLD:
            return nn.Softplus()
        return nn.Softplus(beta=1.0, threshold=threshold)
    if name == "gelu":
        return nn.GELU(approximate="none")
    raise ValueError(f"no PyTorch module for the activation {name!r}")


def to_torch(
        model: Union[MLP, MLPClassifier, MLPRegressor]) -> torch.nn.Sequential:
    """The network as a ``torch.nn.Sequential`` of ``Linear`` layers and
    activation modules, in the network's dtype, giving its outputs.

    Parameters
    ----------
    model : pymlp.MLP, or a fitted pymlp.MLPClassifier or MLPRegressor
        For an estimator, the module is its network (``net_``, with the
        values of ``coefs_`` and ``intercepts_``) and gives the network's
        raw output: logits for a classifier (apply softmax, or sigmoid for
        one column, to get ``predict_proba``), log-rates for a Poisson
        regressor.

    Returns
    -------
    torch.nn.Sequential
        On the CPU, its parameters copies of the network's (``weight`` =
        ``W.T``, ``bias`` = ``b``) with ``requires_grad`` set: ready to
        train. An identity activation has no module: two ``Linear`` layers
        follow each other, and an identity output activation ends the
        module with the last ``Linear``. Softplus is ``Softplus()`` in
        float32, ``Softplus(threshold=34.0)`` in float64, where the default
        threshold (20) would change values by up to 2e-9; see the module's
        notes. ``module(X)`` equals ``predict(X)`` up to rounding, except
        that PyTorch's GELU computes ``0.5 * (1 + erf(x / sqrt(2)))``,
        which loses the far left tail (below about -5 in float32) that
        pymlp keeps: both are within rounding of zero there.

    Raises
    ------
    TypeError
        model is not a network or an estimator.
    ValueError
        A layer uses ``step``, which PyTorch has no module for.
    ImportError
        PyTorch is not installed.
    """
    pairs, activations, dtype = _layers_of(model)
    for l, name in enumerate(activations, start=1):
        if name == "step":
            raise ValueError(
                f"layer {l} uses the 'step' activation (+1 where f > 0, "
                "else -1), which PyTorch has no module for (torch.sign "
                "gives 0 at 0); the network cannot be converted")
    torch = _import_torch("to_torch")
    nn = torch.nn
    torch_dtype = torch.float32 if dtype.name == "float32" else torch.float64
    modules = []
    for (W, b), name in zip(pairs, activations):
        n_in, n_out = W.shape
        linear = nn.utils.skip_init(nn.Linear, n_in, n_out, bias=True,
                                    dtype=torch_dtype)
        with torch.no_grad():  # copy_ copies: no memory shared with W
            linear.weight.copy_(_as_tensor(torch, W.T))
            linear.bias.copy_(_as_tensor(torch, b))
        modules.append(linear)
        activation = _activation_module(nn, name, dtype)
        if activation is not None:
            modules.append(activation)
    return nn.Sequential(*modules)


# -- PyTorch -> pymlp ---------------------------------------------------------


def _short_repr(module):
    """repr(module), shortened to its first line and 100 characters."""
    lines = repr(module).splitlines() or [""]
    text = lines[0] + (" ..." if len(lines) > 1 else "")
    return text if len(text) <= 100 else f"{text[:85]}...{text[-12:]}"


def _describe(index, module):
    """How an error names a child of the Sequential: `module[2] Tanh()`."""
    return f"module[{index}] {_short_repr(module)}"


def _check_hooks(where, module):
    if module._forward_hooks or module._forward_pre_hooks:
        raise ValueError(
            f"{where} has forward hooks, which may change its output; "
            "from_torch reads the parameters only: remove the hooks (or "
            "the parametrization that set them) first")


def _activation_name(nn, where, module, dtype):
    """pymlp's name for an activation module, None if it is not one."""
    kind = type(module)
    if kind is nn.ReLU:
        return "relu"
    if kind is nn.Sigmoid:
        return "sigmoid"
    if kind is nn.Tanh:
        return "tanh"
    if kind is nn.LeakyReLU:
        if module.negative_slope != LEAKY_SLOPE:
            raise ValueError(
                f"{where}: pymlp's leaky_relu has the negative slope "
                f"{LEAKY_SLOPE}, not {module.negative_slope}")
        return "leaky_relu"
    if kind is nn.GELU:
        if getattr(module, "approximate", "none") != "none":
            raise ValueError(
                f"{where}: pymlp's gelu is the exact erf form, "
                "GELU(approximate='none'), not the tanh approximation")
        return "gelu"
    if kind is nn.Softplus:
        if module.beta != 1:
            raise ValueError(f"{where}: pymlp's softplus is log(1 + e^x), "
                             f"with beta 1, not {module.beta}")
        threshold = module.threshold
        low, high = SOFTPLUS_EXACT[dtype.name]
        if (threshold != TORCH_DEFAULT_SOFTPLUS_THRESHOLD
                and not low <= threshold <= high):
            raise ValueError(
                f"{where}: a threshold of {threshold} changes the values of "
                f"softplus in {dtype.name}; pymlp's softplus agrees with "
                f"thresholds from {low:g} to {high:g} (and the default, "
                f"{TORCH_DEFAULT_SOFTPLUS_THRESHOLD:g})")
        return "softplus"
    return None


SUPPORTED = ("Linear (with bias), Identity, ReLU, LeakyReLU(0.01), Sigmoid, "
             "Tanh, Softplus(), GELU(approximate='none')")


def _torch_dtype_name(torch, tensor):
    return {torch.float32: "float32", torch.float64: "float64"}.get(
        tensor.dtype)


def _linear_values(torch, where, linear, dtype_name, first):
    """(weight, bias) of a Linear layer as NumPy copies, checked."""
    weight, bias = linear.weight, linear.bias
    if bias is None:
        raise ValueError(f"{where} has no bias; every pymlp layer has one "
                         "(build the layer with bias=True)")
    for tensor in (weight, bias):
        if tensor.is_meta:
            raise ValueError(f"{where} has no values yet (its parameters "
                             "are on the meta device)")
        if tensor.layout != torch.strided:
            raise ValueError(f"{where} holds {tensor.layout} parameters; "
                             "from_torch reads dense ones")
        name = _torch_dtype_name(torch, tensor)
        if name is None:
            raise ValueError(
                f"{where} holds {tensor.dtype} parameters; pymlp computes "
                "in float32 or float64: convert the module with .float() "
                "or .double() first")
        if name != dtype_name:
            raise ValueError(
                f"{where} holds {tensor.dtype} parameters, but {first} holds "
                f"torch.{dtype_name}; a pymlp network has one dtype")
    if weight.dim() != 2 or bias.shape != (weight.shape[0],):
        raise ValueError(f"{where} has a weight of shape "
                         f"{tuple(weight.shape)} and a bias of shape "
                         f"{tuple(bias.shape)}; a Linear layer needs "
                         "(out, in) and (out,)")
    W, b = weight.numpy(force=True), bias.numpy(force=True)
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise ValueError(f"{where} holds non-finite parameters (NaN or inf)")
    return W, b


def from_torch(module: torch.nn.Module) -> MLP:
    """A pymlp.MLP computing what a ``torch.nn.Sequential`` of ``Linear``
    layers and activation modules computes.

    Parameters
    ----------
    module : torch.nn.Sequential
        ``Linear`` layers with biases, each followed by at most one
        activation module: ``ReLU``, ``LeakyReLU(0.01)``, ``Sigmoid``,
        ``Tanh``, ``Softplus()`` (beta 1; a threshold other than the
        default only where it changes no value: 15 to 88 in float32, 34
        to 709 in float64), ``GELU(approximate="none")``. ``Identity``
        modules are skipped; two ``Linear`` layers in a row have the
        identity between them, and an activation after the last ``Linear``
        is the output activation (else identity). All parameters are
        float32 or all float64, on any device.

    Returns
    -------
    pymlp.MLP
        Of that dtype, its parameters copies of the module's (``W`` =
        ``weight.T``, ``b`` = ``bias``). Its predictions equal the module's
        outputs up to rounding; with ``Softplus()`` in float64 they also
        differ by up to exp(-20) = 2.1e-9 where a pre-activation lies in
        (20, 34), which the module rounds to x and pymlp does not.

    Raises
    ------
    TypeError
        module is not a torch.nn.Module.
    ValueError
        Anything the network cannot represent, naming the module by its
        index and repr: another module, a second activation after a layer,
        an activation before the first layer, other activation settings, a
        Linear layer without bias, sizes that do not chain, float16 or
        bfloat16 parameters or mixed dtypes, non-finite parameters, forward
        hooks, a module other than a Sequential.
    ImportError
        PyTorch is not installed.
    """
    torch = _import_torch("from_torch")
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise TypeError("from_torch converts a torch.nn.Sequential, got "
                        f"{_kind(module)}")
    if (not isinstance(module, nn.Sequential)
            or type(module).forward is not nn.Sequential.forward):
        raise ValueError(
            f"from_torch converts a torch.nn.Sequential of {SUPPORTED}; "
            f"got {_short_repr(module)}")
    _check_hooks("the Sequential", module)
    children = list(module)
    linears = [(i, m) for i, m in enumerate(children)
               if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("the Sequential holds no Linear layer; from_torch "
                         f"converts a Sequential of {SUPPORTED}")
    first_index, first_linear = linears[0]
    first = _describe(first_index, first_linear)
    dtype_name = _torch_dtype_name(torch, first_linear.weight)
    if dtype_name is None:
        raise ValueError(
            f"{first} holds {first_linear.weight.dtype} parameters; pymlp "
            "computes in float32 or float64: convert the module with "
            ".float() or .double() first")
    dtype = np.dtype(dtype_name)

    # one entry per Linear: [W, b, activation name, where]
    layers: List[List[Any]] = []
    for index, child in enumerate(children):
        where = _describe(index, child)
        if not isinstance(child, nn.Module):
            raise ValueError(f"{where} is not a torch.nn.Module")
        if any(nn.parameter.is_lazy(p) for p in child.parameters()):
            raise ValueError(f"{where} has no values yet (a lazy module "
                             "not yet run)")
        _check_hooks(where, child)
        if type(child) is nn.Identity:
            continue
        if (isinstance(child, nn.Linear)
                and type(child).forward is nn.Linear.forward):
            W, b = _linear_values(torch, where, child, dtype_name, first)
            if layers and layers[-1][0].shape[0] != W.shape[1]:
                raise ValueError(
                    f"mismatched sizes: {where} takes {W.shape[1]} inputs, "
                    f"but {layers[-1][3]} gives {layers[-1][0].shape[0]}")
            layers.append([W, b, None, where])
            continue
        name = _activation_name(nn, where, child, dtype)
        if name is None:
            raise ValueError(f"{where} has no counterpart in pymlp; "
                             f"from_torch converts {SUPPORTED}")
        if not layers:
            raise ValueError(f"{where} comes before the first Linear layer; "
                             "a pymlp network starts with a layer")
        if layers[-1][2] is not None:
            raise ValueError(
                f"{where} follows another activation of {layers[-1][3]}; a "
                "pymlp layer has one activation")
        layers[-1][2] = name

    sizes = [layers[0][0].shape[1]] + [W.shape[0] for W, *_ in layers]
    activations = [name or "identity" for _, _, name, _ in layers]
    net = MLP(sizes, activation=activations[:-1],
              output_activation=activations[-1], dtype=dtype, seed=0)
    for (W, b, _, _), W_net, b_net in zip(layers, net.weights, net.biases):
        W_net[...] = W.T
        b_net[...] = b
    return net
