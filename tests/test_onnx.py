"""ONNX export: every activation in float32 and float64 through onnxruntime
against predict, the estimators' outputs against predict and
predict_proba, skl2onnx's conversion of the estimators, the file written,
and the errors."""
import importlib
import math
import os
import stat
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")
skl2onnx = pytest.importorskip("skl2onnx")
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import pymlp  # noqa: E402
from pymlp import MLPClassifier, MLPRegressor  # noqa: E402
from pymlp.export import onnx as export  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh",
               "softplus", "gelu", "step"]
DTYPES = ["float32", "float64"]
RTOL = {"float32": 1e-5, "float64": 1e-7}


def session(model):
    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])


def run(model, X):
    """{output name: value} of the model on X."""
    sess = session(model)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: X})))


def test_to_onnx_is_exported_lazily():
    assert pymlp.to_onnx is export.to_onnx


# -- networks -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_elementwise(activation, dtype):
    # W = I and b = 0 make f = X exactly, so Y = g(X) element by element:
    # relative accuracy everywhere, tails included (float32 to |f| = 12
    # and float64 to 35, where gelu, sigmoid and softplus are tiny)
    n = 4
    net = pymlp.MLP([n, n], output_activation=activation, dtype=dtype)
    net.weights[0][...] = np.eye(n)
    net.biases[0][...] = 0
    top = 12 if dtype == "float32" else 35
    f = np.concatenate([np.linspace(-top, top, 4001),
                        np.geomspace(1e-30, top, 400),
                        -np.geomspace(1e-30, top, 400), [0.0]])
    X = np.resize(f, (-(-f.size // n), n)).astype(dtype)
    Y = run(export.to_onnx(net), X)["Y"]
    expected = net.predict(X)
    assert Y.dtype == expected.dtype
    # the engine flushes results below the smallest normal number to zero
    tiny = np.finfo(dtype).tiny
    Y[(np.abs(Y) < tiny) & (expected == 0)] = 0
    assert_allclose(Y, expected, rtol=RTOL[dtype], atol=0)


def test_gelu_float64_against_erfc():
    # an independent check of the erfc approximation, beside the engine
    f = np.concatenate([np.linspace(-37, 8, 9001), [-1e-300, 0.0, 1e300]])
    net = pymlp.MLP([1, 1], output_activation="gelu", dtype="float64")
    net.weights[0][...] = 1
    net.biases[0][...] = 0
    Y = run(export.to_onnx(net), f.reshape(-1, 1))["Y"].ravel()
    expected = [x * 0.5 * math.erfc(-x * 0.70710678118654752440) for x in f]
    assert_allclose(Y, expected, rtol=1e-14, atol=0)


SHAPES = [[1, 1], [3, 1, 7, 2], [5, 9, 1], [7, 16, 16, 3]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_networks_match_predict(activation, dtype, rng):
    for sizes in SHAPES:
        for output in ("identity", activation):
            net = pymlp.MLP(sizes, activation=activation,
                            output_activation=output, dtype=dtype, seed=3)
            sess = session(export.to_onnx(net))
            for batch in (1, 2, 257):
                X = (2 * rng.standard_normal((batch, sizes[0]))).astype(dtype)
                Y, = sess.run(None, {"X": X})
                expected = net.predict(X)
                assert Y.shape == expected.shape and Y.dtype == net.dtype
                # relative to the outputs' scale: a product's rounding
                # differs between the engine and onnxruntime, which an
                # output near 0 cannot resolve
                scale = np.abs(expected).max()
                assert_allclose(Y, expected, rtol=RTOL[dtype],
                                atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixed_activations(dtype, rng):
    net = pymlp.MLP([4, 6, 5, 6, 5, 6, 5, 6, 3],
                    activation=ACTIVATIONS[1:], output_activation="softplus",
                    dtype=dtype, seed=1)
    X = rng.standard_normal((33, 4)).astype(dtype)
    expected = net.predict(X)
    scale = np.abs(expected).max()
    assert_allclose(run(export.to_onnx(net), X)["Y"], expected,
                    rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_graph_interface(dtype):
    net = pymlp.MLP([3, 5, 2], activation="gelu", dtype=dtype)
    model = export.to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    elem = {"float32": onnx.TensorProto.FLOAT,
            "float64": onnx.TensorProto.DOUBLE}[dtype]

    def signature(values):
        return [(v.name, v.type.tensor_type.elem_type,
                 [d.dim_param or d.dim_value
                  for d in v.type.tensor_type.shape.dim]) for v in values]

    assert signature(model.graph.input) == [("X", elem, ["N", 3])]
    assert signature(model.graph.output) == [("Y", elem, ["N", 2])]
    assert model.producer_name == "pymlp"
    assert [o.version for o in model.opset_import] == [export.DEFAULT_OPSET]
    ops = {node.op_type for node in model.graph.node}
    assert {"MatMul", "Add"} <= ops
    # no operator that onnxruntime runs in float32 only
    assert not ops & {"Erf", "Gelu", "Softplus", "LeakyRelu"}
    # the weights are initializers, as the network holds them
    init = {t.name: onnx.numpy_helper.to_array(t)
            for t in model.graph.initializer}
    W1 = [v for k, v in init.items() if k.startswith("W1")]
    assert len(W1) == 1 and np.array_equal(W1[0], net.weights[0])


def test_opsets(rng):
    net = pymlp.MLP([2, 3, 1], activation="softplus", dtype="float64")
    X = rng.standard_normal((5, 2))
    newest = min(21, onnx.defs.onnx_opset_version())  # onnxruntime runs 21
    for opset in (export.MIN_OPSET, export.DEFAULT_OPSET, newest):
        model = export.to_onnx(net, opset=opset)
        assert model.opset_import[0].version == opset
        assert_allclose(run(model, X)["Y"], net.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="opset must be between 13"):
        export.to_onnx(net, opset=12)
    with pytest.raises(ValueError, match="opset must be between"):
        export.to_onnx(net, opset=10 ** 6)
    for bad in ("17", 17.0, True):
        with pytest.raises(TypeError, match="opset must be an int"):
            export.to_onnx(net, opset=bad)


# -- files --------------------------------------------------------------------

def test_write_to_a_path(tmp_path, rng):
    net = pymlp.MLP([3, 4, 2], activation="tanh", seed=0)
    path = tmp_path / "net.onnx"
    model = export.to_onnx(net, path)
    assert path.read_bytes() == model.SerializeToString()
    assert os.listdir(tmp_path) == ["net.onnx"]
    X = rng.standard_normal((6, 3)).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert_allclose(sess.run(None, {"X": X})[0], net.predict(X), rtol=1e-5,
                    atol=1e-6)
    export.to_onnx(net, str(path))  # a str, over the existing file
    assert onnx.load(str(path)) == model


def test_write_is_atomic_and_durable(tmp_path, monkeypatch):
    path = tmp_path / "net.onnx"
    export.to_onnx(pymlp.MLP([2, 1], seed=0), path)
    before = path.read_bytes()
    renamed, synced = [], []
    replace, fsync = os.replace, os.fsync

    def crash(src, dst):
        renamed.append(src)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    monkeypatch.setattr(os, "fsync",
                        lambda fd: synced.append(os.fstat(fd)) or fsync(fd))
    with pytest.raises(KeyboardInterrupt):
        export.to_onnx(pymlp.MLP([2, 1], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.onnx"]
    # the temporary file sat beside the target, and was flushed to disk
    assert os.path.dirname(renamed[0]) == str(tmp_path)
    assert os.path.basename(renamed[0]).startswith(f".net.onnx.{os.getpid()}.")
    assert [stat.S_ISDIR(st.st_mode) for st in synced] == [False]
    monkeypatch.setattr(os, "replace", replace)
    synced.clear()
    export.to_onnx(pymlp.MLP([2, 1], seed=1), path)
    assert path.read_bytes() != before
    # the data, then the directory holding the new name
    assert [stat.S_ISDIR(st.st_mode) for st in synced] == [False, True]


# -- errors -------------------------------------------------------------------

def test_what_is_not_a_model():
    for bad in (None, "net.onnx", np.zeros((2, 2)), {"W1": 0}):
        with pytest.raises(TypeError, match="to_onnx takes a pymlp.MLP"):
            export.to_onnx(bad)
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    with pytest.raises(TypeError, match="skl2onnx"):
        export.to_onnx(SklearnMLP())


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_unfitted_estimators(cls):
    with pytest.raises(NotFittedError, match="not fitted"):
        export.to_onnx(cls())
    assert issubclass(NotFittedError, ValueError)
    with pytest.raises(NotFittedError, match="not fitted"):
        skl2onnx.to_onnx(cls(), np.zeros((1, 3), dtype=np.float32))


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx fails
    monkeypatch.delitem(sys.modules, "pymlp.export.onnx")
    with pytest.raises(ImportError, match=r'pip install "pymlp\[onnx\]"'):
        importlib.import_module("pymlp.export.onnx")


# -- estimators ---------------------------------------------------------------

def fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def targets(rng, X, kind):
    """Class labels of each kind scikit-learn takes."""
    bins = np.digitize(X[:, 0], [-0.5, 0.5])
    return {"binary": (X[:, 0] > 0).astype(int) * 5 - 2,
            "multiclass": bins * 10,
            "strings": np.array(["low", "mid", "high"])[bins],
            "booleans": X[:, 1] > 0,
            "floats": bins.astype(float),
            "multilabel": (X[:, :3] > 0).astype(int),
            "one class": np.full(len(X), 7)}[kind]


CLASS_KINDS = ["binary", "multiclass", "strings", "booleans", "floats",
               "multilabel", "one class"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", CLASS_KINDS)
def test_classifier(kind, dtype, rng):
    X = rng.standard_normal((120, 5)).astype(dtype)
    y = targets(rng, X, kind)
    est = fit_quietly(MLPClassifier((6, 3), activation="tanh", max_iter=40,
                                    random_state=0), X, y)
    model = export.to_onnx(est)
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    out = run(model, X)
    assert_array_equal(out["label"], est.predict(X))
    assert out["probabilities"].dtype == est.net_.dtype
    assert_allclose(out["probabilities"], est.predict_proba(X), rtol=0,
                    atol=1e-5)
    label_type = model.graph.output[0].type.tensor_type.elem_type
    assert label_type == (onnx.TensorProto.STRING if kind == "strings"
                          else onnx.TensorProto.INT64)


@pytest.mark.parametrize("activation", ["relu", "logistic", "gelu",
                                        "softplus", "leaky_relu",
                                        "identity"])
def test_classifier_hidden_activations(activation, rng):
    X = rng.standard_normal((64, 3))
    y = rng.integers(0, 4, 64)
    est = fit_quietly(MLPClassifier((5,), activation=activation,
                                    max_iter=30, random_state=0), X, y)
    for batch in (X[:1], X):
        out = run(export.to_onnx(est), batch)
        assert_array_equal(out["label"], est.predict(batch))
        assert_allclose(out["probabilities"], est.predict_proba(batch),
                        atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor(n_outputs, loss, dtype, rng):
    X = rng.standard_normal((90, 4)).astype(dtype)
    y = np.abs(X[:, :n_outputs] + 0.1 * rng.standard_normal((90, n_outputs)))
    est = fit_quietly(MLPRegressor(loss=loss, hidden_layer_sizes=(7,),
                                   activation="softplus", max_iter=40,
                                   random_state=0), X, y.squeeze())
    model = export.to_onnx(est)
    assert [o.name for o in model.graph.output] == ["variable"]
    variable = run(model, X)["variable"]
    expected = est.predict(X).reshape(len(X), n_outputs)
    assert variable.shape == (90, n_outputs) and variable.dtype == dtype
    assert_allclose(variable, expected, rtol=RTOL[dtype],
                    atol=RTOL[dtype] * np.abs(expected).max())


def test_coefficients_assigned_by_hand(rng):
    X = rng.standard_normal((40, 3))
    est = fit_quietly(MLPRegressor(hidden_layer_sizes=(4,), max_iter=5,
                                   random_state=0), X, X[:, 0])
    est.coefs_[0] = np.ones((3, 4))  # predict uses it from now on
    assert_allclose(run(export.to_onnx(est), X)["variable"].ravel(),
                    est.predict(X), rtol=1e-12)
    est.coefs_[0] = np.ones((4, 4))
    with pytest.raises(ValueError, match="do not fit its network"):
        export.to_onnx(est)


# -- skl2onnx -----------------------------------------------------------------

def multiclass(rng, dtype="float64", **params):
    X = rng.standard_normal((80, 4)).astype(dtype)
    y = np.array(["ant", "bee", "cat"])[rng.integers(0, 3, 80)]
    return X, fit_quietly(MLPClassifier((5,), max_iter=30, random_state=0,
                                        **params), X, y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_skl2onnx_without_zipmap_is_to_onnx(dtype, rng):
    X, est = multiclass(rng, dtype, activation="gelu")
    model = skl2onnx.to_onnx(est, X[:1], options={"zipmap": False})
    out = run(model, X)
    ours = run(export.to_onnx(est), X)
    assert list(out) == ["label", "probabilities"]
    assert_array_equal(out["label"], ours["label"])
    assert_array_equal(out["label"], est.predict(X))
    assert_allclose(out["probabilities"], ours["probabilities"], rtol=1e-6)
    assert out["probabilities"].dtype == dtype


def test_skl2onnx_zipmap(rng):
    X, est = multiclass(rng, "float32")
    out = run(skl2onnx.to_onnx(est, X[:1]), X)
    assert list(out) == ["output_label", "output_probability"]
    assert_array_equal(out["output_label"], est.predict(X))
    proba = est.predict_proba(X)
    assert [sorted(row) for row in out["output_probability"]] == \
        [["ant", "bee", "cat"]] * len(X)
    assert_allclose([[row[c] for c in est.classes_]
                     for row in out["output_probability"]], proba, atol=1e-6)
    out = run(skl2onnx.to_onnx(est, X[:1], options={"zipmap": "columns"}), X)
    assert list(out) == ["output_label", "sant", "sbee", "scat"]
    assert_allclose(out["sbee"], proba[:, 1], atol=1e-6)


def test_skl2onnx_nocl_gives_class_indices(rng):
    X, est = multiclass(rng)
    out = run(skl2onnx.to_onnx(est, X[:1], options={"zipmap": False,
                                                    "nocl": True}), X)
    assert_array_equal(est.classes_[out["label"]], est.predict(X))


def test_skl2onnx_in_a_pipeline_with_float32_input(rng):
    X, est = multiclass(rng)
    pipe = make_pipeline(StandardScaler(), est).fit(X, est.predict(X))
    X32 = X.astype(np.float32)
    out = run(skl2onnx.convert_sklearn(
        pipe, initial_types=[("X", skl2onnx.common.data_types
                              .FloatTensorType([None, 4]))],
        options={id(est): {"zipmap": False}}), X32)
    # computed in float32, as skl2onnx computes float32 input
    assert out["probabilities"].dtype == np.float32
    assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=1e-5)
    # the labels, wherever float32 rounding cannot swap the two likeliest
    top2 = np.sort(pipe.predict_proba(X), axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-4
    assert clear.sum() > 70
    assert_array_equal(out["label"][clear], pipe.predict(X)[clear])


def test_skl2onnx_regressor(rng):
    X = rng.standard_normal((50, 3))
    est = fit_quietly(MLPRegressor(hidden_layer_sizes=(4,), max_iter=30,
                                   random_state=0), X, X[:, :2])
    out = run(skl2onnx.to_onnx(est, X[:1]), X)
    assert list(out) == ["variable"]
    assert_allclose(out["variable"], est.predict(X), rtol=1e-12)


def test_skl2onnx_refusals(rng):
    X, est = multiclass(rng)
    with pytest.raises(ValueError, match="ZipMap takes float32"):
        skl2onnx.to_onnx(est, X[:1])
    with pytest.raises(ValueError, match="expects inputs of shape"):
        skl2onnx.to_onnx(est, X[:1, :3], options={"zipmap": False})
    with pytest.raises(ValueError, match="at opset 13 or later"):
        skl2onnx.to_onnx(est, X[:1], options={"zipmap": False},
                         target_opset=12)
    Xm = X.astype(np.float32)
    multilabel = fit_quietly(MLPClassifier((3,), max_iter=5,
                                           random_state=0),
                             Xm, (Xm[:, :2] > 0).astype(int))
    with pytest.raises(ValueError, match="multilabel"):
        skl2onnx.to_onnx(multilabel, Xm[:1])
    out = run(skl2onnx.to_onnx(multilabel, Xm[:1],
                               options={"zipmap": False}), Xm)
    assert_array_equal(out["label"], multilabel.predict(Xm))


def test_register_skl2onnx_again(rng):
    export.register_skl2onnx()
    X, est = multiclass(rng)
    out = run(skl2onnx.to_onnx(est, X[:1], options={"zipmap": False}), X)
    assert_array_equal(out["label"], est.predict(X))
