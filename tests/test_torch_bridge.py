"""The PyTorch bridge: to_torch gives a Sequential that computes predict,
from_torch a network that computes the module, the round trip is bit-exact
for every activation and dtype, and every module pymlp cannot represent is
refused by name."""
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import pymlp  # noqa: E402
from pymlp.export import torch as bridge  # noqa: E402

ACTIVATIONS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh",
               "softplus", "gelu"]
DTYPES = ["float32", "float64"]
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}
# relative to the size of the outputs: PyTorch sums the products of a
# layer in another order, and its GELU loses the far left tail that
# pymlp's keeps (both round to zero there)
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}
MODULE_OF = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
             "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softplus": nn.Softplus,
             "gelu": nn.GELU}


def run(module, X):
    with torch.no_grad():
        return module(torch.from_numpy(np.ascontiguousarray(X))).numpy()


def assert_close(actual, expected, dtype):
    assert actual.dtype == expected.dtype == np.dtype(dtype)
    tol = TOLERANCE[dtype]
    scale = max(float(np.abs(expected).max()), 1.0)
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


def inputs(rng, n, width, dtype, scale=3.0):
    return (scale * rng.standard_normal((n, width))).astype(dtype)


def torch_sequential(activation, dtype, seed=0):
    """A Sequential as one writes it in PyTorch: 4 -> 6 -> 5 -> 3, the
    activation after every Linear (none for identity), PyTorch's init."""
    torch.manual_seed(seed)
    modules = []
    for n_in, n_out in ((4, 6), (6, 5), (5, 3)):
        modules.append(nn.Linear(n_in, n_out, dtype=TORCH_DTYPES[dtype]))
        if activation == "leaky_relu":
            modules.append(nn.LeakyReLU(0.01))
        elif activation != "identity":
            modules.append(MODULE_OF[activation]())
    return nn.Sequential(*modules)


def test_lazy_exports():
    assert pymlp.to_torch is bridge.to_torch
    assert pymlp.from_torch is bridge.from_torch


# -- pymlp -> PyTorch ---------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_gives_predict(rng, activation, dtype):
    net = pymlp.MLP([4, 6, 5, 3], activation=activation,
                    output_activation=activation, dtype=dtype, seed=2)
    module = pymlp.to_torch(net)
    assert isinstance(module, nn.Sequential)
    linears = [m for m in module if isinstance(m, nn.Linear)]
    assert len(linears) == 3
    # identity has no module: Linear layers follow each other
    per_layer = 1 if activation == "identity" else 2
    assert len(module) == 3 * per_layer
    for l, (linear, W, b) in enumerate(zip(linears, net.weights,
                                           net.biases)):
        assert linear.weight.dtype == TORCH_DTYPES[dtype]
        assert linear.weight.requires_grad and linear.bias.requires_grad
        np.testing.assert_array_equal(linear.weight.detach().numpy(), W.T)
        np.testing.assert_array_equal(linear.bias.detach().numpy(), b)
        if activation != "identity":
            assert type(module[per_layer * l + 1]) is MODULE_OF[activation]
    X = inputs(rng, 33, 4, dtype)
    assert_close(run(module, X), net.predict(X), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_to_torch_module_settings(dtype):
    net = pymlp.MLP([2, 3, 3, 3, 2],
                    activation=["leaky_relu", "gelu", "softplus"],
                    output_activation="sigmoid", dtype=dtype, seed=0)
    leaky, gelu, softplus, sigmoid = (m for m in pymlp.to_torch(net)
                                      if not isinstance(m, nn.Linear))
    assert leaky.negative_slope == 0.01
    assert gelu.approximate == "none"
    assert softplus.beta == 1
    # the default threshold, 20, is exact in float32 only
    assert softplus.threshold == {"float32": 20.0, "float64": 34.0}[dtype]
    assert type(sigmoid) is nn.Sigmoid


def test_to_torch_mixed_activations(rng):
    net = pymlp.MLP([3, 7, 4, 4, 2], activation=["gelu", "identity", "tanh"],
                    output_activation="softplus", dtype="float64", seed=5)
    module = pymlp.to_torch(net)
    assert [type(m) for m in module] == [
        nn.Linear, nn.GELU, nn.Linear, nn.Linear, nn.Tanh, nn.Linear,
        nn.Softplus]
    X = inputs(rng, 10, 3, "float64")
    assert_close(run(module, X), net.predict(X), "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes", [[1, 1], [1, 1, 1], [5, 1, 3], [1, 4, 1],
                                   [2, 9]])
def test_odd_shapes(rng, sizes, dtype):
    net = pymlp.MLP(sizes, activation="tanh", output_activation="softplus",
                    dtype=dtype, seed=3)
    module = pymlp.to_torch(net)
    for n in (1, 2):
        X = inputs(rng, n, sizes[0], dtype)
        assert_close(run(module, X), net.predict(X), dtype)
    back = pymlp.from_torch(module)
    assert back.layer_sizes == net.layer_sizes
    np.testing.assert_array_equal(back.params, net.params)


@pytest.mark.parametrize("sizes", [[3, 1], [1, 3], [1, 1]])
def test_to_torch_copies(sizes):
    # a width of 1 makes W.T contiguous: the copy must not be a view
    net = pymlp.MLP(sizes, dtype="float64", seed=0)
    before = net.params.copy()
    module = pymlp.to_torch(net)
    with torch.no_grad():
        module[0].weight.add_(1.0)
        module[0].bias.add_(1.0)
    np.testing.assert_array_equal(net.params, before)
    net.params[...] = 0
    assert (module[0].weight.detach().numpy() != 0).all()


def test_to_torch_leaves_torch_rng_alone():
    state = torch.get_rng_state()
    pymlp.to_torch(pymlp.MLP([20, 30, 5], seed=0))
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("dtype", DTYPES)
def test_step_is_refused(dtype):
    net = pymlp.MLP([2, 3, 1], activation=["step"], dtype=dtype, seed=0)
    with pytest.raises(ValueError,
                       match="layer 1 uses the 'step' activation.*PyTorch "
                             "has no module"):
        pymlp.to_torch(net)
    net = pymlp.MLP([2, 3, 1], output_activation="step", seed=0)
    with pytest.raises(ValueError, match="layer 2 uses the 'step'"):
        pymlp.to_torch(net)


@pytest.mark.parametrize("model", [None, "net", np.zeros((3, 2)),
                                   nn.Sequential(nn.Linear(2, 2))],
                         ids=["None", "str", "ndarray", "torch"])
def test_to_torch_type_errors(model):
    with pytest.raises(TypeError, match="to_torch converts a pymlp.MLP .*"
                                        f"got {type(model).__module__}"):
        pymlp.to_torch(model)


# -- PyTorch -> pymlp ---------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_from_torch_gives_module(rng, activation, dtype):
    module = torch_sequential(activation, dtype)
    net = pymlp.from_torch(module)
    assert net.layer_sizes == (4, 6, 5, 3)
    assert net.activations == (activation,) * 3
    assert net.dtype == np.dtype(dtype)
    linears = [m for m in module if isinstance(m, nn.Linear)]
    for linear, W, b in zip(linears, net.weights, net.biases):
        np.testing.assert_array_equal(W, linear.weight.detach().numpy().T)
        np.testing.assert_array_equal(b, linear.bias.detach().numpy())
    X = inputs(rng, 33, 4, dtype)
    assert_close(net.predict(X), run(module, X), dtype)
    # and back: the same module, bit for bit
    again = pymlp.to_torch(net)
    assert [type(m) for m in again] == [type(m) for m in module]
    for key, value in module.state_dict().items():
        assert torch.equal(again.state_dict()[key], value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_round_trip_is_bit_exact(rng, activation, dtype):
    net = pymlp.MLP([3, 8, 2], activation=activation,
                    output_activation=activation, dtype=dtype, seed=7)
    back = pymlp.from_torch(pymlp.to_torch(net))
    assert back.layer_sizes == net.layer_sizes
    assert back.activations == net.activations
    assert back.dtype == net.dtype
    np.testing.assert_array_equal(back.params, net.params)
    X = inputs(rng, 5, 3, dtype)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_identity_modules_and_consecutive_linears(rng):
    torch.manual_seed(1)
    a, b, c = (nn.Linear(3, 4, dtype=torch.float64),
               nn.Linear(4, 4, dtype=torch.float64),
               nn.Linear(4, 2, dtype=torch.float64))
    plain = pymlp.from_torch(nn.Sequential(a, b, nn.ReLU(), c))
    assert plain.activations == ("identity", "relu", "identity")
    padded = pymlp.from_torch(nn.Sequential(
        nn.Identity(), a, nn.Identity(), b, nn.Identity(), nn.ReLU(),
        nn.Identity(), c, nn.Identity()))
    assert padded.activations == plain.activations
    np.testing.assert_array_equal(padded.params, plain.params)
    X = inputs(rng, 4, 3, "float64")
    assert_close(padded.predict(X), run(nn.Sequential(a, b, nn.ReLU(), c), X),
                 "float64")


def test_output_activation(rng):
    torch.manual_seed(2)
    module = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2),
                           nn.Sigmoid())
    net = pymlp.from_torch(module)
    assert net.activations == ("tanh", "sigmoid")
    X = inputs(rng, 6, 3, "float32")
    assert_close(net.predict(X), run(module, X), "float32")


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_thresholds(rng, dtype):
    # pymlp's softplus is f itself above the cut-off, as Softplus returns
    # x itself above its threshold
    cut = {"float32": 15.0, "float64": 34.0}[dtype]
    f = np.linspace(cut, 700.0, 4001).astype(dtype)[1:, None]
    net = pymlp.MLP([1, 1], output_activation="softplus", dtype=dtype)
    net.weights[0][...] = 1
    net.biases[0][...] = 0
    np.testing.assert_array_equal(net.predict(f), f)
    # over inputs from -30 to 80, the module to_torch writes computes it
    X = np.linspace(-30.0, 80.0, 20001).astype(dtype)[:, None]
    assert_close(run(pymlp.to_torch(net), X), net.predict(X), dtype)
    # thresholds that change no value are accepted; the default always
    t = TORCH_DTYPES[dtype]
    for threshold in (20.0, cut, 50.0, 88.0):
        module = nn.Sequential(nn.Linear(1, 1, dtype=t),
                               nn.Softplus(threshold=threshold))
        assert pymlp.from_torch(module).activations == ("softplus",)
    for threshold in (0.0, 5.0, cut - 1, 1000.0, float("inf")):
        module = nn.Sequential(nn.Linear(1, 1, dtype=t),
                               nn.Softplus(threshold=threshold))
        with pytest.raises(ValueError, match=r"module\[1\] Softplus\(beta="
                                             r"1.0, threshold=.*changes the "
                                             f"values of softplus in {dtype}"):
            pymlp.from_torch(module)


def test_default_softplus_in_float64_is_within_2e_9():
    module = nn.Sequential(nn.Linear(1, 1, dtype=torch.float64),
                           nn.Softplus())
    with torch.no_grad():
        module[0].weight.fill_(1.0)
        module[0].bias.zero_()
    net = pymlp.from_torch(module)
    X = np.linspace(-40.0, 60.0, 10001)[:, None]
    gap = np.abs(net.predict(X) - run(module, X))
    assert gap.max() <= np.exp(-20.0)
    assert gap[X[:, 0] <= 20].max() <= 1e-13


def test_parametrized_linear_reads_its_weight(rng):
    torch.manual_seed(3)
    linear = nn.utils.parametrizations.weight_norm(
        nn.Linear(3, 4, dtype=torch.float64))
    module = nn.Sequential(linear, nn.ReLU(), nn.Linear(4, 1,
                                                        dtype=torch.float64))
    X = inputs(rng, 5, 3, "float64")
    assert_close(pymlp.from_torch(module).predict(X), run(module, X),
                 "float64")


def test_from_torch_any_device_copies():
    module = nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1))
    net = pymlp.from_torch(module)
    before = net.params.copy()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(1.0)
    np.testing.assert_array_equal(net.params, before)


class Twice(nn.Module):
    def forward(self, x):
        return 2 * x


class MySequential(nn.Sequential):
    def forward(self, x):
        return super().forward(x) + 1


def _hooked():
    linear = nn.Linear(2, 2)
    linear.register_forward_hook(lambda m, i, o: o * 2)
    return nn.Sequential(linear)


def _half_nan():
    module = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        module[2].bias[0] = float("nan")
    return module


def _lin(n_in, n_out, **kw):
    return nn.Linear(n_in, n_out, **kw)


REFUSED = {
    "dropout": (lambda: nn.Sequential(_lin(2, 3), nn.Dropout(0.5),
                                      _lin(3, 1)),
                r"module\[1\] Dropout\(p=0.5, inplace=False\) has no "
                r"counterpart in pymlp"),
    "custom module": (lambda: nn.Sequential(_lin(2, 3), Twice()),
                      r"module\[1\] Twice\(\) has no counterpart"),
    "nested Sequential": (
        lambda: nn.Sequential(nn.Sequential(_lin(2, 3), nn.ReLU()),
                              _lin(3, 1)),
        r"module\[0\] Sequential\( \.\.\. has no counterpart"),
    "leaky slope": (lambda: nn.Sequential(_lin(2, 3), nn.LeakyReLU(0.2)),
                    r"module\[1\] LeakyReLU\(negative_slope=0.2\): .*slope "
                    r"0.01"),
    "gelu tanh": (lambda: nn.Sequential(_lin(2, 3),
                                        nn.GELU(approximate="tanh")),
                  r"module\[1\] GELU\(approximate='tanh'\): .*exact erf"),
    "softplus beta": (lambda: nn.Sequential(_lin(2, 3), nn.Softplus(beta=2)),
                      r"module\[1\] Softplus\(beta=2.*beta 1, not 2"),
    "no bias": (lambda: nn.Sequential(_lin(2, 3), nn.ReLU(),
                                      _lin(3, 1, bias=False)),
                r"module\[2\] Linear\(in_features=3, out_features=1, "
                r"bias=False\) has no bias"),
    "sizes": (lambda: nn.Sequential(_lin(2, 4), nn.ReLU(), _lin(5, 1)),
              r"mismatched sizes: module\[2\] Linear\(in_features=5.* takes "
              r"5 inputs, but module\[0\] Linear\(.* gives 4"),
    "float16": (lambda: nn.Sequential(_lin(2, 3, dtype=torch.float16)),
                r"module\[0\] Linear\(.*\) holds torch.float16 parameters"),
    "bfloat16": (lambda: nn.Sequential(_lin(2, 3), nn.ReLU(),
                                       _lin(3, 1, dtype=torch.bfloat16)),
                 r"module\[2\] Linear\(.*\) holds torch.bfloat16"),
    "mixed dtypes": (lambda: nn.Sequential(_lin(2, 3), nn.ReLU(),
                                           _lin(3, 1, dtype=torch.float64)),
                     r"module\[2\] .*holds torch.float64 parameters, but "
                     r"module\[0\] .*one dtype"),
    "two activations": (lambda: nn.Sequential(_lin(2, 3), nn.ReLU(),
                                              nn.Tanh()),
                        r"module\[2\] Tanh\(\) follows another activation "
                        r"of module\[0\]"),
    "activation first": (lambda: nn.Sequential(nn.ReLU(), _lin(2, 3)),
                         r"module\[0\] ReLU\(\) comes before the first "
                         r"Linear"),
    "empty": (lambda: nn.Sequential(), "holds no Linear layer"),
    "activations only": (lambda: nn.Sequential(nn.Tanh()),
                         "holds no Linear layer"),
    "non-finite": (_half_nan, r"module\[2\] .*non-finite parameters"),
    "hooks": (_hooked, r"module\[0\] Linear\(.*forward hooks"),
    "lazy": (lambda: nn.Sequential(nn.LazyLinear(3)),
             r"module\[0\] LazyLinear\(.*no values yet"),
    "meta": (lambda: nn.Sequential(_lin(2, 3, device="meta")),
             r"module\[0\] .*no values yet"),
    "Linear alone": (lambda: _lin(2, 3),
                     r"converts a torch.nn.Sequential .*got Linear\("
                     r"in_features=2"),
    "ModuleList": (lambda: nn.ModuleList([_lin(2, 3)]),
                   r"converts a torch.nn.Sequential .*got ModuleList\("),
    "Sequential subclass": (lambda: MySequential(_lin(2, 3)),
                            r"got MySequential\("),
}


@pytest.mark.parametrize("case", REFUSED)
def test_from_torch_refuses(case):
    build, message = REFUSED[case]
    with pytest.raises(ValueError, match=message):
        pymlp.from_torch(build())


@pytest.mark.parametrize("obj", [None, "Sequential",
                                 pymlp.MLP([2, 1], seed=0),
                                 [nn.Linear(2, 1)]],
                         ids=["None", "str", "MLP", "list"])
def test_from_torch_type_errors(obj):
    with pytest.raises(TypeError, match="from_torch converts a torch.nn."
                                        f"Sequential, got "
                                        f"{type(obj).__module__}"):
        pymlp.from_torch(obj)


def test_missing_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import fails
    net = pymlp.MLP([2, 1], seed=0)
    with pytest.raises(ImportError, match="pymlp.to_torch needs PyTorch.*"
                                          "pip install torch"):
        pymlp.to_torch(net)
    with pytest.raises(ImportError, match="pymlp.from_torch needs PyTorch.*"
                                          "pip install torch"):
        pymlp.from_torch(object())


# -- training in PyTorch, and back --------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_fine_tune_in_torch(rng, dtype):
    net = pymlp.MLP([4, 16, 8, 2], activation=["gelu", "softplus"],
                    output_activation="tanh", dtype=dtype, seed=4)
    module = pymlp.to_torch(net)
    X = inputs(rng, 32, 4, dtype, scale=1.0)
    y = torch.from_numpy(rng.standard_normal((32, 2)).astype(dtype))
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    loss = nn.functional.mse_loss(module(torch.from_numpy(X)), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    tuned = pymlp.from_torch(module)
    assert not np.array_equal(tuned.params, net.params)
    assert_close(tuned.predict(X), run(module, X), dtype)
    # pymlp's gradient of the same loss, at the starting point, gave the
    # same step
    _, grad = net.loss_and_flat_grad(X, y.numpy(), loss="mse")
    step = net.params - 0.5 * grad
    np.testing.assert_allclose(tuned.params, step,
                               rtol=100 * TOLERANCE[dtype],
                               atol=100 * TOLERANCE[dtype])


# -- estimators ---------------------------------------------------------------


@pytest.fixture
def sklearn_warnings():
    pytest.importorskip("sklearn")
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_gives_logits(rng, sklearn_warnings, n_classes):
    X = rng.standard_normal((60, 4))
    labels = rng.integers(0, n_classes, 60)
    clf = pymlp.MLPClassifier(hidden_layer_sizes=(7,), activation="tanh",
                              max_iter=5, random_state=0).fit(X, labels)
    module = pymlp.to_torch(clf)
    logits = run(module, X.astype(clf.net_.dtype))
    assert_close(logits, clf.net_.predict(X), clf.net_.dtype.name)
    if n_classes == 2:
        proba = torch.sigmoid(torch.from_numpy(logits)).numpy()[:, 0]
        expected = clf.predict_proba(X)[:, 1]
    else:
        proba = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
        expected = clf.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-10, atol=1e-12)


def test_regressor_and_assigned_coefs(rng, sklearn_warnings):
    X = rng.standard_normal((50, 3))
    y = rng.standard_normal((50, 2))
    reg = pymlp.MLPRegressor(hidden_layer_sizes=(5, 4), max_iter=5,
                             random_state=0).fit(X, y)
    assert_close(run(pymlp.to_torch(reg), X), reg.predict(X), "float64")
    # coefs_ assigned by hand are what the estimator predicts with, even
    # read-only ones
    doubled = reg.coefs_[1] * 2.0
    doubled.flags.writeable = False
    reg.coefs_[1] = doubled
    assert_close(run(pymlp.to_torch(reg), X), reg.predict(X), "float64")
    reg.coefs_[1] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"coefs_\[1\] .*\(3, 3\)"):
        pymlp.to_torch(reg)


def test_unfitted_estimator(sklearn_warnings):
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        pymlp.to_torch(pymlp.MLPClassifier())
