"""ONNX export of pymlp's networks and of its scikit-learn estimators.

``to_onnx(model)`` builds an ``onnx.ModelProto`` with the ``onnx`` package's
helpers and checks it with ``onnx.checker``:

- an ``MLP`` becomes a graph with one input ``X`` of shape (N, n[0]) and one
  output ``Y`` of shape (N, n[L]), both in the network's dtype, ``Y`` equal
  to ``net.predict(X)``;
- a fitted ``MLPClassifier`` gives the outputs skl2onnx gives for
  scikit-learn's (with ``zipmap`` off): ``label`` (N,) holding values of
  ``classes_`` (int64, or strings), and ``probabilities`` (N, n_classes)
  equal to ``predict_proba``; a multilabel classifier gives ``label`` as
  the (N, n_labels) int64 indicator matrix that ``predict`` returns;
- a fitted ``MLPRegressor`` gives ``variable`` (N, n_outputs), equal to
  ``predict`` (the exponential of the network's output for loss="poisson").

Every layer is a MatMul and an Add, with W[l] and b[l] as initializers,
then the activation. onnxruntime (1.32, CPU) has no float64 kernel for
Erf, Softplus, LeakyRelu or Gelu (whose body uses Erf), and its Sigmoid
loses the relative accuracy of small values (float32: 1.5e-7 at
f = -16.7, 2.6 times the true value; float64: 0 from f = -36.7 on, where
the value is 1e-16). So each activation is written with operators that it
runs in both dtypes, after the formula of pymlp's own kernel
(csrc/activations.inc), one graph for float32 and float64; the normal CDF
of gelu is evaluated in float64 from an erfc approximation built of
elementary operators (see ``_normal_cdf``).

When skl2onnx is installed, importing this module registers converters for
pymlp's estimators with it (``register_skl2onnx``), so that
``skl2onnx.to_onnx(est, X)`` and ``convert_sklearn`` convert them, alone or
inside a Pipeline, with skl2onnx's options ``zipmap`` and ``nocl``.

``onnx`` is an optional dependency: ``pip install "pymlp[onnx]"``.
"""
from __future__ import annotations

import importlib.util
import numbers
import os
from typing import TYPE_CHECKING, Optional, Tuple, Union

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    raise ImportError(
        f"pymlp's ONNX export needs the onnx package ({e}); install it with:"
        " pip install \"pymlp[onnx]\"") from e

import pymlp
from pymlp.network import MLP
from pymlp.serialization import write_atomically

if TYPE_CHECKING:
    from pymlp.estimators import MLPClassifier, MLPRegressor

# Opset 17 loads in onnxruntime 1.13 and later; every operator used here
# has had its present meaning since opset 13.
DEFAULT_OPSET = 17
MIN_OPSET = 13
# A ModelProto is one protobuf message, which cannot exceed 2 GiB.
MAX_PARAM_BYTES = 2 ** 31 - 2 ** 24

ELEM_TYPES = {np.dtype(np.float32): TensorProto.FLOAT,
              np.dtype(np.float64): TensorProto.DOUBLE}
BATCH = "N"  # the symbolic batch dimension of inputs and outputs


# -- building a graph ---------------------------------------------------------

class Graph:
    """The nodes and initializers of a graph being built, with unique names.

    Values are named by strings. ``op`` adds a node and returns the name of
    its output; ``const`` makes a scalar initializer in the graph's dtype
    (one per value, shared by every node that uses it); ``tensor`` makes an
    initializer from an array. Subclasses send the same calls elsewhere
    (skl2onnx's container)."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.nodes = []
        self.initializers = []
        self._count = 0
        self._constants = {}

    def fresh(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def add_node(self, op_type, inputs, output, attrs):
        self.nodes.append(helper.make_node(op_type, list(inputs), [output],
                                           name=self.fresh(op_type), **attrs))

    def add_initializer(self, name, array):
        if array.dtype.kind == "U":  # onnx before 1.16 takes str objects
            array = array.astype(object)
        self.initializers.append(numpy_helper.from_array(array, name))

    def op(self, op_type, *inputs, out=None, **attrs):
        output = out if out is not None else self.fresh(op_type.lower())
        self.add_node(op_type, inputs, output, attrs)
        return output

    def tensor(self, array, hint):
        name = self.fresh(hint)
        self.add_initializer(name, np.asarray(array))
        return name

    def const(self, value, dtype=None):
        value = np.array(value, dtype=self.dtype if dtype is None else dtype)
        key = (value.dtype.str, value.tobytes())
        if key not in self._constants:
            self._constants[key] = self.tensor(value, "c")
        return self._constants[key]


# -- the activations ----------------------------------------------------------

def _identity(g, f, out):
    return f if out is None else g.op("Identity", f, out=out)


def _relu(g, f, out):
    return g.op("Relu", f, out=out)


def _leaky_relu(g, f, out):
    # max(f, 0.01 f) is f for f > 0 and 0.01 f otherwise, as the kernel's
    # f > 0 ? f : 0.01 f, with the same rounding of 0.01 f
    return g.op("Max", f, g.op("Mul", f, g.const(0.01)), out=out)


def _sigmoid(g, f, out):
    # the kernel's stable form: e = exp(-|f|) never overflows, and
    # 1 / (1 + e) for f >= 0, e / (1 + e) below, keep relative accuracy
    e = g.op("Exp", g.op("Neg", g.op("Abs", f)))
    d = g.op("Add", g.const(1), e)
    return g.op("Where", g.op("GreaterOrEqual", f, g.const(0)),
                g.op("Div", g.const(1), d), g.op("Div", e, d), out=out)


def _log1p(g, x):
    """log(1 + x) to a few ulps for x >= 0, without a Log1p operator:
    log(u) * x / (u - 1) with u = 1 + x rounded, and x where u rounds to 1
    (Goldberg, "What every computer scientist should know about
    floating-point arithmetic", 1991, Theorem 4). Where u is 1 the other
    branch holds a NaN (0 times inf), which Where discards."""
    u = g.op("Add", g.const(1), x)
    ratio = g.op("Div", x, g.op("Sub", u, g.const(1)))
    return g.op("Where", g.op("Equal", u, g.const(1)), x,
                g.op("Mul", g.op("Log", u), ratio))


def _softplus(g, f, out):
    # max(f, 0) + log1p(exp(-|f|)): no overflow, and exp(f) for f << 0
    # where log(1 + exp(f)) would round to 0
    e = g.op("Exp", g.op("Neg", g.op("Abs", f)))
    return g.op("Add", g.op("Relu", f), _log1p(g, e), out=out)


def _tanh(g, f, out):
    return g.op("Tanh", f, out=out)


def _gelu(g, f, out):
    # f * Phi(f). The kernel rounds |f| / sqrt(2) in the network's dtype
    # before its erfc; so does this graph, then Phi in float64.
    z = g.op("Mul", g.op("Abs", f), g.const(0.70710678118654752440))
    phi = _normal_cdf(g, f, z)
    if g.dtype != np.float64:
        phi = g.op("Cast", phi, to=ELEM_TYPES[g.dtype])
    return g.op("Mul", f, phi, out=out)


def _step(g, f, out):
    return g.op("Where", g.op("Greater", f, g.const(0)), g.const(1),
                g.const(-1), out=out)


ACTIVATION_GRAPHS = {"identity": _identity, "relu": _relu,
                     "leaky_relu": _leaky_relu, "sigmoid": _sigmoid,
                     "tanh": _tanh, "softplus": _softplus, "gelu": _gelu,
                     "step": _step}


# erfc(z) = t exp(-z^2 + P(s)) for z >= 0, with t = K / (K + z) and
# s = (K - z) / (K + z) in (-1, 1], P the Chebyshev series below (the
# change of variable of Schonfelder, Math. Comp. 32 (1978) 1232-1240, and
# of Numerical Recipes' erfccheb). P(s) = log(erfcx(z) / t) is smooth and
# bounded on the whole half-line: at s = -1 (z = inf) it tends to
# log(1 / (K sqrt(pi))). Its coefficients were computed for this module
# with mpmath at 60 digits: a discrete cosine transform of P at 80
# Chebyshev points, truncated where the remaining terms sum to 5e-17
# (K = 3 needs the fewest terms). Evaluated by Clenshaw's recurrence in
# float64, with the Gaussian factor split below, the result is within
# 6.1e-16 relative of erfc on [0, 26.5] (checked against mpmath at 20,000
# points; erfc is below 1e-300 from 26.2 on, and underflows past 27.3).
ERFC_K = 3.0
ERFC_CHEBYSHEV = (
    -0.9289605913797089, 0.8332788452260321, 0.09583256063951603,
    0.002680194165913263, -0.002394160955439755, -0.0004989450515503821,
    3.137729698484356e-05, 2.9828298661601428e-05, 2.4901331293353466e-06,
    -1.3490707792188857e-06, -3.137106094321004e-07, 4.2361409904632405e-08,
    2.3523063975949494e-08, -7.933780071054005e-12, -1.4108196436866416e-09,
    -1.3897094008031716e-10, 7.011941726216429e-11, 1.4635169453147402e-11,
    -2.6943404186866545e-12, -1.0733561880933424e-12, 5.040994179110759e-14,
    6.339407484455535e-14, 3.671470812490627e-15, -2.999257956521508e-15,
    -5.536542756817618e-16, 9.603871451823613e-17)
ERFC_ZMAX = 40.0  # erfc(40) = 1e-697: 0 in float64, as erfc of anything larger


def _normal_cdf(g, f, z):
    """Phi(f) in float64, from z = |f| / sqrt(2) in the graph's dtype:
    0.5 erfc(z) for f <= 0, 1 - 0.5 erfc(z) for f > 0, so that the left
    tail keeps its relative accuracy (1 + erf would cancel)."""
    def c(value):  # a float64 constant, whatever the graph's dtype
        return g.const(value, np.float64)

    if g.dtype != np.float64:
        z = g.op("Cast", z, to=TensorProto.DOUBLE)
    z = g.op("Min", z, c(ERFC_ZMAX))
    k_plus_z = g.op("Add", c(ERFC_K), z)
    s = g.op("Div", g.op("Sub", c(ERFC_K), z), k_plus_z)
    half_t = g.op("Div", c(ERFC_K / 2), k_plus_z)  # 0.5 t
    # Clenshaw: b_k = 2 s b_{k+1} - b_{k+2} + c_k, P = s b_1 - b_2 + c_0
    two_s = g.op("Add", s, s)
    coefs = ERFC_CHEBYSHEV
    b1 = g.op("Add", g.op("Mul", two_s, c(coefs[-1])), c(coefs[-2]))
    b2 = c(coefs[-1])
    for coef in coefs[-3:0:-1]:
        b1, b2 = g.op("Add", g.op("Sub", g.op("Mul", two_s, b1), b2),
                      c(coef)), b1
    p = g.op("Add", g.op("Sub", g.op("Mul", s, b1), b2), c(coefs[0]))
    # exp(-z^2 + P) = exp(-h^2) exp((h - z)(h + z) + P) with h = z rounded
    # to float32: h^2 is exact in float64, so the large exponent carries
    # no rounding error (z^2 rounded costs 1e-13 relative at z = 26).
    h = g.op("Cast", g.op("Cast", z, to=TensorProto.FLOAT),
             to=TensorProto.DOUBLE)
    gauss = g.op("Exp", g.op("Neg", g.op("Mul", h, h)))
    rest = g.op("Exp", g.op("Add", g.op("Mul", g.op("Sub", h, z),
                                        g.op("Add", h, z)), p))
    half_erfc = g.op("Mul", g.op("Mul", half_t, gauss), rest)
    return g.op("Where", g.op("Greater", f, g.const(0)),
                g.op("Sub", c(1), half_erfc), half_erfc)


def _forward(g, x, weights, biases, activations, out=None):
    """The network's layers on x; the last node's output is named out."""
    a = x
    last = len(weights) - 1
    for i, (W, b, name) in enumerate(zip(weights, biases, activations)):
        if name not in ACTIVATION_GRAPHS:
            raise ValueError(
                f"The activation {name!r} has no ONNX form. Supported "
                f"activations are {sorted(ACTIVATION_GRAPHS)}.")
        activation = ACTIVATION_GRAPHS[name]
        target = out if i == last else None
        W = g.tensor(np.asarray(W, dtype=g.dtype), f"W{i + 1}")
        b = g.tensor(np.asarray(b, dtype=g.dtype), f"b{i + 1}")
        # a linear layer's Add gives the output its name itself
        linear = activation is _identity
        f = g.op("Add", g.op("MatMul", a, W), b,
                 out=target if linear else None)
        a = f if linear else activation(g, f, target)
    return a


# -- the estimators' outputs --------------------------------------------------

def _label_tensor(classes):
    """classes_ as the values of the label output: int64 for integer,
    boolean and integral float labels (as skl2onnx), else strings."""
    classes = np.asarray(classes)
    if classes.dtype.kind == "O" and all(isinstance(c, str)
                                         for c in classes):
        return classes.astype(str)
    if classes.dtype.kind == "O" and all(
            isinstance(c, numbers.Integral) for c in classes):
        classes = np.array([int(c) for c in classes])
    if classes.dtype.kind == "U":
        return classes
    if classes.dtype.kind == "f" and np.all(classes == np.round(classes)):
        classes = classes.astype(np.int64)
    if classes.dtype.kind in "biu":
        if classes.size and not (-2 ** 63 <= int(classes.min())
                                 and int(classes.max()) < 2 ** 63):
            raise ValueError(f"the class labels {classes} do not fit in "
                             "int64, the type of ONNX labels")
        return classes.astype(np.int64)
    raise ValueError(f"the class labels {classes!r} are neither integers "
                     "nor strings, the types of ONNX labels")


def _classifier_outputs(g, z, est, label, probabilities, nocl=False):
    """Nodes from the network's output z to the label and probabilities
    outputs, as the estimator's predict and predict_proba compute them."""
    kind = est.out_activation_
    if kind == "logistic" and est.n_outputs_ > 1:  # multilabel
        p = _sigmoid(g, z, probabilities)
        g.op("Cast", g.op("Greater", p, g.const(0.5)), to=TensorProto.INT64,
             out=label)
        return
    if kind == "softmax":
        p = g.op("Softmax", z, axis=1, out=probabilities)
    elif kind == "logistic":  # two classes (or one): [1 - p, p]
        p1 = _sigmoid(g, z, None)
        p = g.op("Concat", g.op("Sub", g.const(1), p1), p1, axis=1,
                 out=probabilities)
    else:
        raise ValueError(f"unknown out_activation_ {kind!r} of a classifier")
    # argmax of [1 - p, p] is 1 exactly when p > 0.5, the binary rule of
    # predict; the first of equal maxima wins, as in numpy's argmax
    index = g.op("ArgMax", p, axis=1, keepdims=0, out=label if nocl else None)
    if not nocl:
        classes = _label_tensor(est.classes_)
        if len(classes) == 1:  # one class seen in fit: it is every label
            classes = np.repeat(classes, 2)
        g.op("Gather", g.tensor(classes, "classes"), index, axis=0,
             out=label)


def _regressor_outputs(g, z, est, variable):
    kind = est.out_activation_
    if kind == "identity":
        return g.op("Identity", z, out=variable)
    if kind == "exp":
        return g.op("Exp", z, out=variable)
    raise ValueError(f"unknown out_activation_ {kind!r} of a regressor")


# -- the models ---------------------------------------------------------------

def _estimator_classes() -> Tuple[type, ...]:
    try:
        from pymlp.estimators import MLPClassifier, MLPRegressor
    except ImportError:
        return ()
    return MLPClassifier, MLPRegressor


def _fitted_network(est):
    """(weights, biases, hidden activations, dtype) of a fitted estimator,
    read from its coefs_ and intercepts_ (which predict uses, also when
    assigned by hand) and from net_ for the activations and dtype."""
    from sklearn.utils.validation import check_is_fitted
    check_is_fitted(est, "net_")
    net = est.net_
    sizes = list(net.layer_sizes)
    weights = [np.asarray(W) for W in est.coefs_]
    biases = [np.asarray(b) for b in est.intercepts_]
    shapes = [(W.shape, b.shape) for W, b in zip(weights, biases)]
    if len(weights) != len(sizes) - 1 or len(biases) != len(weights) or \
            shapes != [((i, o), (o,)) for i, o in zip(sizes, sizes[1:])]:
        raise ValueError(
            f"the estimator's coefs_ and intercepts_ (shapes {shapes}) do "
            f"not fit its network, of layer sizes {sizes}")
    return weights, biases, net.activations, net.dtype


def _check_opset(opset):
    latest = onnx.defs.onnx_opset_version()
    if opset is None:
        return min(DEFAULT_OPSET, latest)
    if isinstance(opset, bool) or not isinstance(opset, numbers.Integral):
        raise TypeError(f"opset must be an int, got {type(opset).__name__}")
    if not MIN_OPSET <= opset <= latest:
        raise ValueError(f"opset must be between {MIN_OPSET} and {latest} "
                         f"(the newest this onnx knows), got {opset}")
    return int(opset)


def _value_info(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


def to_onnx(model: Union[MLP, MLPClassifier, MLPRegressor],
            path: Union[str, os.PathLike[str], None] = None, *,
            opset: Optional[int] = None) -> onnx.ModelProto:
    """The ONNX model of a network or a fitted estimator.

    Parameters
    ----------
    model : MLP, or fitted MLPClassifier or MLPRegressor
    path : str or os.PathLike, optional
        Where to write the model, atomically: a temporary file in the same
        directory, flushed to disk and renamed over `path`.
    opset : int, optional
        The ONNX opset of the model: 17 by default (onnxruntime 1.13 and
        later load it), at least 13.

    Returns
    -------
    onnx.ModelProto
        One input ``X`` of shape (N, n_features) in the network's dtype, N
        the batch size. An MLP has one output ``Y`` of shape
        (N, n_outputs), equal to ``predict(X)``. A classifier has ``label``
        (N,), the predicted ``classes_`` values (int64 for integer or
        boolean classes, else strings; for multilabel targets, the
        (N, n_labels) int64 indicator matrix), and ``probabilities``
        (N, n_classes), equal to ``predict_proba(X)``. A regressor has
        ``variable`` (N, n_outputs), equal to ``predict(X)`` as a column
        for a single output.

    Raises
    ------
    TypeError
        When `model` is not a network or one of pymlp's estimators.
    ValueError
        When the estimator is not fitted (sklearn's NotFittedError), or
        the parameters exceed the 2 GiB an ONNX model holds.
    """
    opset = _check_opset(opset)
    estimators = () if isinstance(model, MLP) else _estimator_classes()
    if isinstance(model, MLP):
        weights, biases = model.weights, model.biases
        activations, dtype = model.activations, model.dtype
    elif estimators and isinstance(model, estimators):
        weights, biases, activations, dtype = _fitted_network(model)
    else:
        hint = ""
        if type(model).__module__.startswith("sklearn."):
            hint = "; scikit-learn's own estimators convert with skl2onnx"
        raise TypeError(
            "to_onnx takes a pymlp.MLP or a fitted pymlp.MLPClassifier or "
            f"pymlp.MLPRegressor, got {type(model).__name__}{hint}")
    n_bytes = sum(W.size + b.size for W, b in zip(weights, biases)) \
        * dtype.itemsize
    if n_bytes > MAX_PARAM_BYTES:
        raise ValueError(
            f"the parameters take {n_bytes} bytes, more than an ONNX model "
            f"holds in one file ({MAX_PARAM_BYTES} bytes)")
    g = Graph(dtype)
    elem = ELEM_TYPES[dtype]
    n_in, n_out = weights[0].shape[0], weights[-1].shape[1]
    inputs = [_value_info("X", elem, [BATCH, n_in])]
    if isinstance(model, MLP):
        _forward(g, "X", weights, biases, activations, out="Y")
        outputs = [_value_info("Y", elem, [BATCH, n_out])]
        doc = repr(model)
    else:
        z = _forward(g, "X", weights, biases, activations)
        doc = (f"pymlp.{type(model).__name__} with layer sizes "
               f"{[W.shape[0] for W in weights] + [n_out]}")
        if isinstance(model, estimators[0]):
            _classifier_outputs(g, z, model, "label", "probabilities")
            if model.out_activation_ == "logistic" and model.n_outputs_ > 1:
                label = _value_info("label", TensorProto.INT64,
                                    [BATCH, n_out])
            else:
                classes = _label_tensor(model.classes_)
                label = _value_info(
                    "label", TensorProto.STRING if classes.dtype.kind == "U"
                    else TensorProto.INT64, [BATCH])
            width = max(2, n_out)  # binary: [1 - p, p]
            outputs = [label, _value_info("probabilities", elem,
                                          [BATCH, width])]
        else:
            _regressor_outputs(g, z, model, "variable")
            outputs = [_value_info("variable", elem, [BATCH, n_out])]
    graph = helper.make_graph(g.nodes, f"pymlp_{type(model).__name__}",
                              inputs, outputs, initializer=g.initializers,
                              doc_string=doc)
    opsets = [helper.make_opsetid("", opset)]
    onnx_model = helper.make_model(
        graph, opset_imports=opsets, producer_name="pymlp",
        producer_version=pymlp.__version__,
        ir_version=helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(onnx_model, full_check=True)
    if path is not None:
        write_atomically(onnx_model.SerializeToString(), path)
    return onnx_model


# -- skl2onnx -----------------------------------------------------------------

class _ContainerGraph(Graph):
    """A Graph whose nodes and initializers go to skl2onnx's container, with
    names from its scope."""

    def __init__(self, scope, container, dtype):
        super().__init__(dtype)
        self.scope, self.container = scope, container

    def fresh(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def add_node(self, op_type, inputs, output, attrs):
        self.container.add_node(
            op_type, list(inputs), [output],
            name=self.scope.get_unique_operator_name(op_type), **attrs)

    def add_initializer(self, name, array):
        if array.dtype.kind == "U":
            self.container.add_initializer(
                name, TensorProto.STRING, list(array.shape),
                [s.encode("utf-8") for s in array.ravel()])
        else:
            tensor = numpy_helper.from_array(array, name)
            self.container.add_initializer(name, tensor.data_type,
                                           list(array.shape), tensor)


def _skl2onnx_input(operator, est):
    """(the dtype to compute in, the input's name, the batch dimension)
    for the operator's input, checked: float64 for double input, float32
    for any other, as skl2onnx's own converters compute."""
    from skl2onnx.common.data_types import DoubleTensorType
    variable = operator.inputs[0]
    shape = variable.type.shape
    if len(shape) != 2 or (isinstance(shape[1], numbers.Integral)
                           and shape[1] != est.n_features_in_):
        raise ValueError(
            f"{type(est).__name__} expects inputs of shape (N, "
            f"{est.n_features_in_}), got {list(shape)}")
    double = isinstance(variable.type, DoubleTensorType)
    return (np.dtype(np.float64 if double else np.float32),
            variable.full_name, variable.get_first_dimension())


def _skl2onnx_options(operator, est):
    options = operator.scope_inst.get_options(est, {"zipmap": True,
                                                    "nocl": False})
    return options["zipmap"], options["nocl"]


def _classifier_shapes(operator):
    from skl2onnx.common.data_types import (
        DoubleTensorType, FloatTensorType, Int64TensorType,
        StringTensorType)
    from skl2onnx.common.utils import check_input_and_output_numbers
    check_input_and_output_numbers(operator, input_count_range=1,
                                   output_count_range=2)
    est = operator.raw_operator
    _fitted_network(est)
    dtype, _, n = _skl2onnx_input(operator, est)
    zipmap, nocl = _skl2onnx_options(operator, est)
    multilabel = est.out_activation_ == "logistic" and est.n_outputs_ > 1
    if multilabel and (zipmap is not False or nocl):
        raise ValueError(
            "a multilabel classifier converts with options={'zipmap': "
            "False} (its labels are an indicator matrix, not one class "
            "per row) and without nocl")
    if len(est.classes_) == 1 and zipmap is not False:
        raise ValueError(
            "a classifier fitted on one class has two probability columns "
            "for one class label, which ZipMap cannot pair: convert it with "
            "options={'zipmap': False}")
    if zipmap is True and dtype == np.float64:
        raise ValueError(
            "ZipMap takes float32 probabilities only: convert float64 input "
            "with options={'zipmap': False} (or 'columns'), or float32 "
            "input")
    label, probabilities = operator.outputs
    if multilabel:
        label.type = Int64TensorType([n, est.n_outputs_])
    elif not nocl and _label_tensor(est.classes_).dtype.kind == "U":
        label.type = StringTensorType([n])
    else:
        label.type = Int64TensorType([n])
    kind = DoubleTensorType if dtype == np.float64 else FloatTensorType
    probabilities.type = kind([n, max(2, est.n_outputs_)])


def _regressor_shapes(operator):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.utils import check_input_and_output_numbers
    check_input_and_output_numbers(operator, input_count_range=1,
                                   output_count_range=1)
    est = operator.raw_operator
    _fitted_network(est)
    dtype, _, n = _skl2onnx_input(operator, est)
    kind = DoubleTensorType if dtype == np.float64 else FloatTensorType
    operator.outputs[0].type = kind([n, est.n_outputs_])


def _skl2onnx_graph(scope, operator, container):
    """(graph, the network's output) for an estimator in skl2onnx."""
    if container.target_opset is not None and \
            container.target_opset < MIN_OPSET:
        raise ValueError(f"pymlp's estimators convert at opset {MIN_OPSET} "
                         f"or later, not {container.target_opset}")
    est = operator.raw_operator
    weights, biases, activations, _ = _fitted_network(est)
    dtype, x, _ = _skl2onnx_input(operator, est)
    g = _ContainerGraph(scope, container, dtype)
    if operator.inputs[0].type.to_onnx_type().tensor_type.elem_type != \
            ELEM_TYPES[dtype]:
        x = g.op("Cast", x, to=ELEM_TYPES[dtype])
    return g, _forward(g, x, weights, biases, activations)


def _convert_classifier(scope, operator, container):
    g, z = _skl2onnx_graph(scope, operator, container)
    _, nocl = _skl2onnx_options(operator, operator.raw_operator)
    _classifier_outputs(g, z, operator.raw_operator,
                        operator.outputs[0].full_name,
                        operator.outputs[1].full_name, nocl=nocl)


def _convert_regressor(scope, operator, container):
    g, z = _skl2onnx_graph(scope, operator, container)
    _regressor_outputs(g, z, operator.raw_operator,
                       operator.outputs[0].full_name)


def register_skl2onnx() -> None:
    """Register converters for pymlp's MLPClassifier and MLPRegressor with
    skl2onnx, so that ``skl2onnx.to_onnx(est, X)`` and ``convert_sklearn``
    convert them (also inside a Pipeline). Their outputs are those of
    scikit-learn's MLPs: ``label`` and ``probabilities`` (with the
    ``zipmap`` option's ``output_label`` and ``output_probability``, as for
    any skl2onnx classifier) and ``variable``; the computation follows the
    input's type (float64 for double input, float32 otherwise). Options:
    ``zipmap`` (True, False or "columns"; a multilabel classifier needs
    False) and ``nocl`` (class indices for labels).

    Importing this module calls it when skl2onnx is installed; calling it
    again is harmless."""
    from skl2onnx import update_registered_converter
    from pymlp.estimators import MLPClassifier, MLPRegressor
    try:  # the parser skl2onnx gives classifiers, which adds the ZipMap
        from skl2onnx._parse import _parse_sklearn_classifier
    except ImportError:
        parser = None  # update_registered_converter then picks it itself
    else:
        def parser(scope, model, inputs, custom_parsers=None):
            # it reads classes_ first: say plainly that the model is unfitted
            _fitted_network(model)
            return _parse_sklearn_classifier(scope, model, inputs,
                                             custom_parsers=custom_parsers)
    update_registered_converter(
        MLPClassifier, "PymlpMLPClassifier", _classifier_shapes,
        _convert_classifier, parser=parser,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]})
    update_registered_converter(MLPRegressor, "PymlpMLPRegressor",
                                _regressor_shapes, _convert_regressor)


if importlib.util.find_spec("skl2onnx") is not None:
    try:
        register_skl2onnx()
    except ImportError:  # skl2onnx without a scikit-learn it can import
        pass
