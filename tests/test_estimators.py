"""pymlp.MLPClassifier and MLPRegressor as scikit-learn estimators: the
estimator checks, what each constructor parameter does, the errors of bad
values, the inputs scikit-learn accepts, and the ecosystem (pickle, clone,
Pipeline, GridSearchCV)."""
import copy
import os
import pickle
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
import joblib  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.special import erf, xlogy  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402
from sklearn import neural_network  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa

import pymlp  # noqa: E402
from pymlp import MLPClassifier, MLPRegressor  # noqa: E402

# Training that stops at max_iter warns; tests that care catch it.
pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_REG, Y_REG = make_regression(n_samples=120, n_features=5, n_targets=2,
                               noise=1.0, random_state=0)
X_REG = StandardScaler().fit_transform(X_REG)
Y_REG = Y_REG / Y_REG.std(axis=0)
SMALL = dict(hidden_layer_sizes=(8,), random_state=0)


def params_of(est):
    return [np.array(a) for a in est.coefs_ + est.intercepts_]


def assert_same_params(a, b, rtol=0.0):
    for u, v in zip(params_of(a), params_of(b)):
        assert_allclose(u, v, rtol=rtol, atol=0)


def assert_different_params(a, b):
    assert any(not np.array_equal(u, v)
               for u, v in zip(params_of(a), params_of(b)))


# -- scikit-learn's estimator checks ------------------------------------------

@parametrize_with_checks([MLPClassifier(max_iter=100),
                          MLPRegressor(max_iter=100)])
def test_sklearn_estimator_checks(estimator, check):
    # max_iter=100 as scikit-learn's own suite runs its MLPs, for time; and
    # as it runs these checks, its warnings are not failures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        check(estimator)


# -- the package without scikit-learn -----------------------------------------

def test_import_pymlp_without_sklearn():
    code = (
        "import sys\n"
        "sys.modules['sklearn'] = None  # as if it were not installed\n"
        "import pymlp\n"
        "assert 'MLPClassifier' in dir(pymlp)\n"
        "try:\n"
        "    pymlp.MLPClassifier\n"
        "except ImportError as e:\n"
        "    print(e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    # from a neutral directory: the source tree's uncompiled package would
    # shadow the one under test
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, env=env, check=True,
                         cwd=tempfile.gettempdir()).stdout
    assert 'pip install "pymlp[sklearn]"' in out


def test_lazy_exports():
    assert pymlp.MLPClassifier is MLPClassifier
    with pytest.raises(AttributeError, match="no attribute 'MLPNothing'"):
        pymlp.MLPNothing


# -- the constructor parameters, one by one -----------------------------------

def test_defaults_are_sklearns():
    for ours, theirs in ((MLPClassifier(), neural_network.MLPClassifier()),
                         (MLPRegressor(), neural_network.MLPRegressor())):
        expected = dict(theirs.get_params(), n_threads=None)
        assert ours.get_params() == expected


@pytest.mark.parametrize("sizes, widths", [((5,), [4, 5, 3]), (6, [4, 6, 3]),
                                           ((5, 7), [4, 5, 7, 3]),
                                           ((), [4, 3])])
def test_hidden_layer_sizes(sizes, widths):
    clf = MLPClassifier(hidden_layer_sizes=sizes, max_iter=2,
                        random_state=0).fit(X_IRIS, Y_IRIS)
    assert [c.shape for c in clf.coefs_] == list(zip(widths[:-1],
                                                    widths[1:]))
    assert [b.shape for b in clf.intercepts_] == [(w,) for w in widths[1:]]
    assert clf.n_layers_ == len(widths)
    assert list(clf.net_.layer_sizes) == widths


@pytest.mark.parametrize("activation, name, g", [
    ("identity", "identity", lambda z: z),
    ("logistic", "sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("tanh", "tanh", np.tanh), ("relu", "relu", lambda z: np.maximum(z, 0)),
    ("leaky_relu", "leaky_relu", lambda z: np.where(z > 0, z, 0.01 * z)),
    ("softplus", "softplus", lambda z: np.log1p(np.exp(z))),
    ("gelu", "gelu", lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))))])
def test_activation(activation, name, g):
    reg = MLPRegressor(hidden_layer_sizes=(5,), activation=activation,
                       max_iter=1, random_state=0).fit(X_IRIS, X_IRIS[:, 0])
    assert reg.net_.activations == (name, "identity")
    # read the hidden layer's first unit out through the output layer
    reg.coefs_[1] = np.eye(5)[:, :1]
    reg.intercepts_[1] = np.zeros(1)
    z = X_IRIS @ reg.coefs_[0] + reg.intercepts_[0]
    assert_allclose(reg.predict(X_IRIS), g(z)[:, 0], rtol=1e-12, atol=1e-14)


def test_activation_sets_the_initial_bound():
    # Glorot's uniform bound sqrt(factor / (fan_in + fan_out)) with factor
    # 2 for the logistic function, 6 otherwise: one tiny sgd step away
    for activation, factor in (("logistic", 2.0), ("tanh", 6.0)):
        clf = MLPClassifier(hidden_layer_sizes=(50,), activation=activation,
                            solver="sgd", learning_rate_init=1e-12,
                            max_iter=1, random_state=0).fit(X_IRIS, Y_IRIS)
        bound = np.sqrt(factor / (4 + 50))
        W = clf.coefs_[0]
        assert 0.9 * bound < np.abs(W).max() <= bound * (1 + 1e-9)


def test_solver():
    fits = {s: MLPClassifier(solver=s, max_iter=5, **SMALL).fit(X_IRIS,
                                                                  Y_IRIS)
            for s in ("lbfgs", "sgd", "adam")}
    assert not hasattr(fits["lbfgs"], "loss_curve_")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    for s in ("sgd", "adam"):
        assert len(fits[s].loss_curve_) == 5
        assert hasattr(fits[s], "partial_fit")
    assert_different_params(fits["sgd"], fits["adam"])
    assert_different_params(fits["sgd"], fits["lbfgs"])
    # lbfgs minimises the loss over the whole data far faster here
    assert fits["lbfgs"].loss_ < fits["adam"].loss_


def test_alpha_penalises_the_weights():
    norms = []
    for alpha in (0.0, 1.0, 10.0):
        clf = MLPClassifier(solver="lbfgs", alpha=alpha, max_iter=200,
                            **SMALL).fit(X_IRIS, Y_IRIS)
        norms.append(sum((W ** 2).sum() for W in clf.coefs_))
    assert norms[0] > norms[1] > norms[2]


def test_alpha_enters_the_loss_divided_by_the_samples():
    # the reported loss is the data's mean log-loss plus
    # 0.5 * alpha * sum(W**2) / n_samples
    clf = MLPClassifier(solver="lbfgs", alpha=3.0, max_iter=20,
                        **SMALL).fit(X_IRIS, Y_IRIS)
    p = clf.predict_proba(X_IRIS)
    data = -np.mean(np.log(p[np.arange(150), Y_IRIS]))
    penalty = 0.5 * 3.0 * sum((W ** 2).sum() for W in clf.coefs_) / 150
    assert_allclose(clf.loss_, data + penalty, rtol=1e-9)


def test_batch_size():
    fit = lambda **kw: MLPRegressor(solver="sgd", shuffle=False, max_iter=3,
                                    **SMALL, **kw).fit(X_REG, Y_REG)
    # "auto" is min(200, n_samples): here the full batch
    assert_same_params(fit(batch_size="auto"), fit(batch_size=120))
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        clipped = fit(batch_size=1000)
    assert_same_params(clipped, fit(batch_size=120))
    assert_different_params(fit(batch_size=10), fit(batch_size=120))
    # a mini-batch run is batch after batch of full-batch steps
    one = MLPRegressor(solver="sgd", shuffle=False, max_iter=1, momentum=0,
                       **SMALL).fit(X_REG[:10], Y_REG[:10])
    two = MLPRegressor(solver="sgd", shuffle=False, max_iter=1, momentum=0,
                       batch_size=10, **SMALL).fit(X_REG[:20], Y_REG[:20])
    one.set_params(warm_start=True).fit(X_REG[10:20], Y_REG[10:20])
    assert_same_params(two, one, rtol=1e-12)


def one_sgd_epoch(**kw):
    return MLPRegressor(solver="sgd", shuffle=False, max_iter=1, momentum=0,
                        **SMALL, **kw).fit(X_REG, Y_REG)


def first_step(est):
    """The change of the first weights by est's fit on (X_REG, Y_REG)."""
    start = clone(est).set_params(solver="sgd", momentum=0,
                                  learning_rate_init=1e-300)
    start.fit(X_REG, Y_REG)  # a step too small to change any weight
    return est.coefs_[0] - start.coefs_[0]


def test_learning_rate_init_scales_the_first_step():
    small = first_step(one_sgd_epoch(learning_rate_init=1e-3))
    large = first_step(one_sgd_epoch(learning_rate_init=4e-3))
    assert_allclose(large, 4 * small, rtol=1e-9, atol=1e-13)


def sgd_run(epochs, **kw):
    """Epochs of full-batch sgd without momentum, and the loss curve."""
    return MLPRegressor(solver="sgd", shuffle=False, momentum=0,
                        max_iter=epochs, n_iter_no_change=np.inf,
                        learning_rate_init=0.01, **SMALL, **kw).fit(
        X_REG, Y_REG)


def test_learning_rate_invscaling_and_power_t():
    # invscaling: after epoch k the rate is lr / (t + 1) ** power_t, with
    # t = k * n_samples; power_t = 0 keeps it constant
    assert_same_params(sgd_run(3, learning_rate="invscaling", power_t=0),
                       sgd_run(3))
    decayed = sgd_run(2, learning_rate="invscaling", power_t=0.5)
    first = sgd_run(1, learning_rate="invscaling", power_t=0.5)
    # replay the second epoch by hand at the decayed rate
    replay = MLPRegressor(solver="sgd", shuffle=False, momentum=0,
                          max_iter=1, warm_start=True,
                          learning_rate_init=0.01 / 121 ** 0.5,
                          **SMALL).fit(X_REG, Y_REG)
    replay.coefs_ = [c.copy() for c in first.coefs_]
    replay.intercepts_ = [b.copy() for b in first.intercepts_]
    replay.fit(X_REG, Y_REG)
    assert_same_params(decayed, replay, rtol=1e-10)
    assert_different_params(
        decayed, sgd_run(2, learning_rate="invscaling", power_t=0.25))


def test_learning_rate_adaptive(capsys):
    # each time n_iter_no_change epochs fail to improve the loss by tol,
    # the rate is divided by 5 instead of stopping, down to 1e-6
    adaptive = MLPRegressor(solver="sgd", learning_rate="adaptive",
                            tol=10.0, n_iter_no_change=2, max_iter=50,
                            verbose=True, **SMALL).fit(X_REG, Y_REG)
    out = capsys.readouterr().out
    rates = [float(line.rsplit(" ", 1)[1]) for line in out.splitlines()
             if "Setting learning rate to" in line]
    assert_allclose(rates, [0.001 / 5 ** k for k in range(1, len(rates) + 1)],
                    atol=1e-6)
    assert "Learning rate too small. Stopping." in out
    # the first epoch sets best_loss_; then every 3rd fails n_iter_no_change
    assert adaptive.n_iter_ == 1 + 3 * (len(rates) + 1)
    constant = MLPRegressor(solver="sgd", tol=10.0, n_iter_no_change=2,
                            max_iter=50, **SMALL).fit(X_REG, Y_REG)
    assert constant.n_iter_ == 4


def test_max_iter():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(7\)"):
        reg = MLPRegressor(max_iter=7, **SMALL).fit(X_REG, Y_REG)
    assert reg.n_iter_ == 7 and len(reg.loss_curve_) == 7
    assert reg.t_ == 7 * 120
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        reg = MLPRegressor(solver="lbfgs", max_iter=4, **SMALL).fit(
            X_REG, Y_REG)
    assert reg.n_iter_ == 4


def test_shuffle():
    fit = lambda **kw: MLPClassifier(solver="sgd", batch_size=20, max_iter=2,
                                     **SMALL, **kw).fit(X_IRIS, Y_IRIS)
    assert_different_params(fit(shuffle=True), fit(shuffle=False))
    # without shuffling, the batches follow the rows' order
    order = np.random.default_rng(0).permutation(150)
    moved = MLPClassifier(solver="sgd", batch_size=20, max_iter=2,
                          shuffle=False, **SMALL).fit(X_IRIS[order],
                                                      Y_IRIS[order])
    assert_different_params(moved, fit(shuffle=False))


def test_random_state():
    fit = lambda rs: MLPClassifier(hidden_layer_sizes=(8,), max_iter=3,
                                   random_state=rs).fit(X_IRIS, Y_IRIS)
    assert_same_params(fit(1), fit(1))
    assert_same_params(fit(np.random.RandomState(1)), fit(1))
    assert_different_params(fit(1), fit(2))


def test_tol_and_n_iter_no_change():
    # a tol no epoch can meet: the first epoch sets best_loss_, and
    # training stops when n_iter_no_change more epochs have failed it
    for n in (1, 4):
        clf = MLPClassifier(tol=1e6, n_iter_no_change=n, max_iter=100,
                            **SMALL).fit(X_IRIS, Y_IRIS)
        assert clf.n_iter_ == n + 2
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(tol=1e6, n_iter_no_change=np.inf, max_iter=12,
                            **SMALL).fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 12
    # tol=0 keeps going while the loss falls
    clf = MLPClassifier(tol=0, max_iter=30, **SMALL).fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 30
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_verbose(capsys):
    MLPClassifier(max_iter=3, **SMALL).fit(X_IRIS, Y_IRIS)
    assert capsys.readouterr().out == ""
    clf = MLPClassifier(max_iter=3, verbose=True, early_stopping=True,
                        tol=1e6, n_iter_no_change=1, **SMALL).fit(X_IRIS,
                                                                  Y_IRIS)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Iteration 1, loss = {clf.loss_curve_[0]:.8f}"
    assert lines[1] == f"Validation score: {clf.validation_scores_[0]:f}"
    assert lines[-1] == ("Validation score did not improve more than "
                         "tol=1000000.000000 for 1 consecutive epochs. "
                         "Stopping.")


def test_warm_start():
    cold = MLPClassifier(max_iter=3, **SMALL).fit(X_IRIS, Y_IRIS)
    warm = MLPClassifier(max_iter=3, warm_start=True, **SMALL)
    warm.fit(X_IRIS, Y_IRIS)
    first = [p.copy() for p in params_of(warm)]
    warm.fit(X_IRIS, Y_IRIS)
    assert warm.n_iter_ == 3 and warm.t_ == 6 * 150
    assert len(warm.loss_curve_) == 6
    # it went on from the first fit's weights: a cold refit starts over
    cold.fit(X_IRIS, Y_IRIS)
    assert_same_params(cold, MLPClassifier(max_iter=3, **SMALL).fit(
        X_IRIS, Y_IRIS))
    assert any(not np.array_equal(a, b)
               for a, b in zip(first, params_of(warm)))
    # weights assigned by hand are where it goes on from
    other = MLPClassifier(max_iter=3, warm_start=True, **SMALL)
    other.fit(X_IRIS, Y_IRIS)
    other.coefs_ = [c.copy() for c in cold.coefs_]
    other.intercepts_ = [b.copy() for b in cold.intercepts_]
    assert_array_equal(other.predict_proba(X_IRIS),
                       cold.predict_proba(X_IRIS))
    with pytest.raises(ValueError, match="warm_start can only be used"):
        warm.fit(X_IRIS[Y_IRIS < 2], Y_IRIS[Y_IRIS < 2])


def test_momentum_and_nesterov():
    fit = lambda **kw: MLPRegressor(solver="sgd", max_iter=3, **SMALL,
                                    **kw).fit(X_REG, Y_REG)
    assert_different_params(fit(momentum=0.5), fit(momentum=0.9))
    assert_different_params(fit(nesterovs_momentum=True),
                            fit(nesterovs_momentum=False))
    # without momentum Nesterov's step is the plain one
    assert_same_params(fit(momentum=0, nesterovs_momentum=True),
                       fit(momentum=0, nesterovs_momentum=False))
    # sgd's settings leave adam alone, adam's leave sgd alone
    adam = lambda **kw: MLPRegressor(max_iter=2, **SMALL, **kw).fit(X_REG,
                                                                   Y_REG)
    assert_same_params(adam(momentum=0.1, nesterovs_momentum=False,
                            learning_rate="invscaling"), adam())
    assert_same_params(fit(beta_1=0.5, beta_2=0.5, epsilon=1.0), fit())


def test_adam_settings():
    # (tanh: no unit is dead, every weight has a gradient)
    fit = lambda **kw: MLPRegressor(max_iter=1, shuffle=False,
                                    activation="tanh", **SMALL, **kw).fit(
        X_REG, Y_REG)
    # Adam's first step moves every weight by about learning_rate_init
    step = first_step(fit(learning_rate_init=1e-3))
    assert_allclose(np.abs(step), 1e-3, rtol=1e-3)
    for setting in (dict(beta_1=0.5), dict(beta_2=0.5), dict(epsilon=1e-1)):
        assert_different_params(
            MLPRegressor(max_iter=3, **SMALL, **setting).fit(X_REG, Y_REG),
            MLPRegressor(max_iter=3, **SMALL).fit(X_REG, Y_REG))
    # a large epsilon damps the step
    assert np.abs(first_step(fit(epsilon=10.0))).max() < 1e-4


def test_early_stopping_and_validation_fraction():
    clf = MLPClassifier(early_stopping=True, max_iter=200, **SMALL).fit(
        X_IRIS, Y_IRIS)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # stopped n_iter_no_change epochs after the last improvement by tol
    best = clf.validation_scores_.index(clf.best_validation_score_)
    assert clf.n_iter_ - 1 - best >= clf.n_iter_no_change
    # it trains on the rest of the data: 150 - 15 rows per epoch
    assert clf.t_ == clf.n_iter_ * 135
    clf.set_params(validation_fraction=0.4).fit(X_IRIS, Y_IRIS)
    assert clf.t_ == clf.n_iter_ * 90
    # the split is stratified (a class of one sample cannot be split),
    # except for multilabel targets
    y = Y_IRIS.copy()
    y[0] = 3
    with pytest.raises(ValueError, match="least populated class"):
        MLPClassifier(early_stopping=True, **SMALL).fit(X_IRIS, y)
    Y = np.stack([y == 3, y == 1], axis=1).astype(int)
    MLPClassifier(early_stopping=True, max_iter=2, **SMALL).fit(X_IRIS, Y)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True, **SMALL).fit(X_REG[:5], Y_REG[:5])
    no_stop = MLPClassifier(max_iter=3, **SMALL).fit(X_IRIS, Y_IRIS)
    assert no_stop.validation_scores_ is None
    assert no_stop.best_validation_score_ is None


def test_early_stopping_keeps_the_best_weights():
    fit = lambda epochs: MLPRegressor(
        early_stopping=True, max_iter=epochs, tol=0, n_iter_no_change=100,
        solver="sgd", learning_rate_init=0.1, **SMALL).fit(X_REG, Y_REG)
    reg = fit(30)
    scores = reg.validation_scores_
    best = int(np.argmax(scores))
    assert best < 29  # the scores went down at the end, for the test
    # a run that ends at the best epoch holds the weights kept
    assert_same_params(reg, fit(best + 1))
    assert scores[:best + 1] == fit(best + 1).validation_scores_


def test_max_fun():
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = MLPClassifier(solver="lbfgs", max_fun=5, **SMALL).fit(
            X_IRIS, Y_IRIS)
    assert clf.n_iter_ <= 5


def test_n_threads():
    fits = [MLPClassifier(n_threads=n, max_iter=3, **SMALL).fit(X_IRIS,
                                                                Y_IRIS)
            for n in (None, 1, 2)]
    assert [f.net_.n_threads for f in fits] == [None, 1, 2]
    assert_same_params(fits[0], fits[1])
    assert_same_params(fits[0], fits[2])


def test_regression_losses():
    y = np.random.default_rng(0).poisson(np.exp(X_REG[:, :2] / 2))
    poisson = MLPRegressor(loss="poisson", solver="lbfgs", **SMALL).fit(
        X_REG, y)
    assert poisson.out_activation_ == "exp"
    assert (poisson.predict(X_REG) > 0).all()
    # half the Poisson deviance, as scikit-learn reports it
    mu = poisson.predict(X_REG)
    half_deviance = np.sum(np.mean(mu - y + xlogy(y, y / mu), axis=0))
    penalty = 0.5e-4 * sum((W ** 2).sum() for W in poisson.coefs_) / 120
    assert_allclose(poisson.loss_, half_deviance + penalty, rtol=1e-8)
    with pytest.raises(ValueError, match="negative which is not allowed"):
        poisson.fit(X_REG, -y)
    squared = MLPRegressor(solver="lbfgs", **SMALL).fit(X_REG, Y_REG)
    assert squared.out_activation_ == "identity"
    # half the squared error, a mean over samples and outputs
    residual = squared.predict(X_REG) - Y_REG
    penalty = 0.5e-4 * sum((W ** 2).sum() for W in squared.coefs_) / 120
    assert_allclose(squared.loss_, 0.5 * np.mean(residual ** 2) + penalty,
                    rtol=1e-8)


# -- bad values: scikit-learn's errors ----------------------------------------

BAD_VALUES = [
    ("hidden_layer_sizes", 0), ("hidden_layer_sizes", "wide"),
    ("hidden_layer_sizes", [4, 0]), ("activation", "softmax"),
    ("solver", "newton"), ("alpha", -1.0), ("batch_size", 0),
    ("batch_size", "big"), ("learning_rate", "cyclic"),
    ("learning_rate_init", 0.0), ("power_t", -0.5), ("max_iter", 0),
    ("max_iter", 2.5), ("shuffle", "yes"), ("random_state", "seed"),
    ("tol", -1e-4), ("verbose", "loud"), ("warm_start", 2),
    ("momentum", 1.5), ("nesterovs_momentum", None),
    ("early_stopping", "no"), ("validation_fraction", 1.0),
    ("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", 0.0),
    ("n_iter_no_change", 0), ("n_iter_no_change", 2.5), ("max_fun", 0)]


def normalized(message):
    """message with the items of each {...} set sorted: a set's order
    varies from process to process."""
    return re.sub(r"\{[^{}]*\}", lambda m: str(sorted(
        m.group(0)[1:-1].split(", "))), message)


def error_of(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001: the error is what we compare
        return e
    return None


@pytest.mark.parametrize("ours, theirs", [
    (MLPClassifier, neural_network.MLPClassifier),
    (MLPRegressor, neural_network.MLPRegressor)])
@pytest.mark.parametrize("name, value", BAD_VALUES)
def test_bad_values_raise_sklearns_errors(ours, theirs, name, value):
    X, y = X_IRIS[:20], Y_IRIS[:20]
    expected = error_of(lambda: theirs(**{name: value}).fit(X, y))
    got = error_of(lambda: ours(**{name: value}).fit(X, y))
    assert type(got) is type(expected)
    if name == "activation":  # pymlp has more activations to list
        prefix = str(expected).split(" among ")[0]
        assert str(got).startswith(prefix) and "gelu" in str(got)
    else:
        assert normalized(str(got)) == normalized(str(expected))


def test_bad_pymlp_and_regressor_values():
    with pytest.raises(ValueError, match="The 'n_threads' parameter"):
        MLPClassifier(n_threads=0).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="The 'loss' parameter of "
                                         "MLPRegressor must be"):
        MLPRegressor(loss="huber").fit(X_REG, Y_REG)


def test_other_sklearn_errors():
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier(solver="sgd").partial_fit(X_IRIS, Y_IRIS)
    clf = MLPClassifier(solver="sgd", **SMALL)
    clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="is not the same as on last call"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="`y` has classes not in"):
        clf.partial_fit(X_IRIS, Y_IRIS + 1)
    with pytest.raises(ValueError, match="partial_fit does not support "
                                         "early_stopping=True"):
        MLPRegressor(early_stopping=True, **SMALL).fit(
            X_REG, Y_REG).partial_fit(X_REG, Y_REG)
    with pytest.raises(AttributeError, match="has no attribute "
                                             "'partial_fit'"):
        MLPClassifier(solver="lbfgs").partial_fit
    huge = np.finfo(np.float64).max * np.random.default_rng(0).uniform(
        size=(10, 2))
    with pytest.raises(ValueError, match="Solver produced non-finite "
                                         "parameter weights"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            MLPRegressor().fit(huge, np.arange(10.0))
    with pytest.raises(ValueError, match="negative"):
        MLPClassifier().fit(X_IRIS, Y_IRIS, sample_weight=-np.ones(150))


def test_divergence_with_early_stopping_keeps_the_best_weights():
    X, y = load_iris(return_X_y=True)
    reg = MLPRegressor(hidden_layer_sizes=100, activation="identity",
                       solver="sgd", learning_rate_init=1, max_iter=20,
                       early_stopping=True, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1])
    assert np.isfinite(reg.predict(X)).all()


# -- inputs as scikit-learn takes them ----------------------------------------

def test_input_containers_and_layouts(tmp_path):
    base = MLPClassifier(max_iter=3, **SMALL).fit(X_IRIS, Y_IRIS)
    as_list = MLPClassifier(max_iter=3, **SMALL).fit(X_IRIS.tolist(),
                                                     Y_IRIS.tolist())
    assert_same_params(base, as_list)
    fortran = MLPClassifier(max_iter=3, **SMALL).fit(
        np.asfortranarray(X_IRIS), Y_IRIS)
    assert_same_params(base, fortran)
    path = tmp_path / "X.npy"
    np.save(path, X_IRIS)
    mapped = np.load(path, mmap_mode="r")
    from_map = MLPClassifier(max_iter=3, **SMALL).fit(mapped, Y_IRIS)
    assert_same_params(base, from_map)
    assert_array_equal(from_map.predict_proba(mapped),
                       base.predict_proba(X_IRIS))


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix,
                                       sp.csr_array, sp.coo_matrix])
def test_sparse_input(solver, container):
    X = X_IRIS * (np.abs(X_IRIS) > 0.5)  # mostly zeros
    dense = MLPClassifier(solver=solver, max_iter=4, batch_size=32,
                          **SMALL).fit(X, Y_IRIS)
    sparse = MLPClassifier(solver=solver, max_iter=4, batch_size=32,
                           **SMALL).fit(container(X), Y_IRIS)
    assert_same_params(dense, sparse, rtol=1e-12)
    assert_allclose(sparse.predict_proba(container(X)),
                    dense.predict_proba(X), rtol=1e-12)


def test_sparse_input_in_chunks(monkeypatch):
    # data larger than one chunk is densified a few batches at a time
    from pymlp.estimators import _solvers
    X = sp.random(300, 40, density=0.1, random_state=0, format="csr")
    y = np.asarray(X.sum(axis=1)).ravel()
    whole = MLPRegressor(max_iter=3, batch_size=16, **SMALL).fit(X, y)
    monkeypatch.setattr(_solvers, "CHUNK_BYTES", 40 * 8 * 50)
    chunked = MLPRegressor(max_iter=3, batch_size=16, **SMALL).fit(X, y)
    assert_same_params(whole, chunked, rtol=1e-12)
    assert_allclose(whole.loss_curve_, chunked.loss_curve_, rtol=1e-12)
    assert_allclose(whole.predict(X), chunked.predict(X), rtol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_float32_keeps_float32(solver, Estimator):
    y = Y_IRIS if Estimator is MLPClassifier else X_IRIS[:, 0]
    est = Estimator(solver=solver, max_iter=5, **SMALL).fit(
        X_IRIS.astype(np.float32), y)
    assert all(p.dtype == np.float32 for p in est.coefs_ + est.intercepts_)
    assert est.net_.dtype == np.float32
    out = (est.predict_proba if Estimator is MLPClassifier
           else est.predict)(X_IRIS.astype(np.float32))
    assert out.dtype == np.float32
    est64 = Estimator(solver=solver, max_iter=5, **SMALL).fit(X_IRIS, y)
    assert all(p.dtype == np.float64 for p in est64.coefs_)
    integers = Estimator(solver=solver, max_iter=5, **SMALL).fit(
        (X_IRIS * 10).astype(np.int32), y)
    assert integers.coefs_[0].dtype == np.float64


def test_string_and_object_labels():
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = MLPClassifier(max_iter=20, **SMALL).fit(X_IRIS, names[Y_IRIS])
    assert_array_equal(clf.classes_, names)
    numeric = MLPClassifier(max_iter=20, **SMALL).fit(X_IRIS, Y_IRIS)
    assert_array_equal(clf.predict(X_IRIS), names[numeric.predict(X_IRIS)])
    objects = names.astype(object)[Y_IRIS]
    clf = MLPClassifier(max_iter=20, early_stopping=True, **SMALL).fit(
        X_IRIS, objects)
    assert set(clf.predict(X_IRIS)) <= set(names)
    binary = MLPClassifier(max_iter=20, **SMALL).fit(
        X_IRIS, np.where(Y_IRIS == 0, "yes", "no"))
    assert binary.out_activation_ == "logistic"
    assert binary.predict_proba(X_IRIS).shape == (150, 2)
    assert_allclose(binary.predict_proba(X_IRIS).sum(axis=1), 1)


def test_multilabel():
    Y = np.stack([Y_IRIS == 0, Y_IRIS == 1, X_IRIS[:, 0] > 0], axis=1)
    Y = Y.astype(int)
    clf = MLPClassifier(solver="lbfgs", max_iter=300, **SMALL).fit(X_IRIS, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert clf.predict(X_IRIS).shape == (150, 3)
    assert clf.score(X_IRIS, Y) > 0.8
    p = clf.predict_proba(X_IRIS)
    assert p.shape == (150, 3) and ((p >= 0) & (p <= 1)).all()
    assert_array_equal(clf.predict(X_IRIS), (p > 0.5).astype(int))
    # early stopping on multilabel data splits without stratifying
    MLPClassifier(early_stopping=True, max_iter=3, **SMALL).fit(X_IRIS, Y)


def test_multioutput_regression():
    reg = MLPRegressor(solver="lbfgs", max_iter=500, **SMALL).fit(X_REG,
                                                                  Y_REG)
    assert reg.predict(X_REG).shape == (120, 2)
    assert reg.score(X_REG, Y_REG) > 0.95


def test_one_column_targets():
    with pytest.warns(Warning, match="column-vector y"):
        reg = MLPRegressor(max_iter=3, **SMALL).fit(X_REG, Y_REG[:, :1])
    assert reg.predict(X_REG).shape == (120,)


def test_sample_weight():
    # integer weights give the fit on repeated rows (full batch, lbfgs)
    w = np.random.default_rng(0).integers(0, 3, 150)
    weighted = MLPClassifier(solver="lbfgs", max_iter=30, **SMALL).fit(
        X_IRIS, Y_IRIS, sample_weight=w)
    repeated = MLPClassifier(solver="lbfgs", max_iter=30, **SMALL).fit(
        np.repeat(X_IRIS, w, axis=0), np.repeat(Y_IRIS, w))
    assert_allclose(weighted.predict_proba(X_IRIS),
                    repeated.predict_proba(X_IRIS), rtol=1e-6, atol=1e-9)
    # a number is that weight on every sample: without a penalty (which
    # is divided by the sum of the weights) the same fit
    assert_same_params(
        MLPRegressor(max_iter=3, alpha=0, **SMALL).fit(X_REG, Y_REG,
                                                       sample_weight=2),
        MLPRegressor(max_iter=3, alpha=0, **SMALL).fit(X_REG, Y_REG),
        rtol=1e-12)


def test_partial_fit():
    clf = MLPClassifier(solver="sgd", **SMALL)
    for _ in range(3):
        clf.partial_fit(X_IRIS[:100], Y_IRIS[:100], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.t_ == 300
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X_IRIS).shape == (150, 3)
    # partial_fit continues the optimizer: three calls are three epochs
    fit = MLPRegressor(max_iter=3, shuffle=False, **SMALL).fit(X_REG, Y_REG)
    steps = MLPRegressor(shuffle=False, **SMALL)
    for _ in range(3):
        steps.partial_fit(X_REG, Y_REG)
    assert_same_params(fit, steps, rtol=1e-12)


# -- pandas -------------------------------------------------------------------

def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_IRIS, columns=["a", "b", "c", "d"])
    clf = MLPClassifier(max_iter=3, early_stopping=True, **SMALL).fit(
        frame, pd.Series(Y_IRIS))
    assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert clf.n_features_in_ == 4
    assert_array_equal(clf.predict(frame), clf.predict(frame.copy()))
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame[["b", "a", "c", "d"]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        MLPClassifier(max_iter=3, **SMALL).fit(frame, Y_IRIS).predict(
            X_IRIS)
    reg = MLPRegressor(max_iter=3, **SMALL).fit(
        pd.DataFrame(X_REG), pd.DataFrame(Y_REG))
    assert not hasattr(reg, "feature_names_in_")
    assert reg.predict(pd.DataFrame(X_REG)).shape == (120, 2)


# -- pickle, clone, pipelines, searches ---------------------------------------

@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_pickle_and_deepcopy(solver):
    clf = MLPClassifier(solver=solver, max_iter=3, **SMALL).fit(X_IRIS,
                                                                 Y_IRIS)
    for twin in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        assert_array_equal(twin.predict_proba(X_IRIS),
                           clf.predict_proba(X_IRIS))
        assert twin.coefs_[0].base is not None  # views of the network again
        twin.coefs_[0][...] = 0  # ...of its own network
        assert not np.array_equal(twin.predict_proba(X_IRIS),
                                  clf.predict_proba(X_IRIS))
    if solver != "lbfgs":
        # the optimizer's state travels: partial_fit goes on identically
        twin = pickle.loads(pickle.dumps(clf))
        clf.partial_fit(X_IRIS, Y_IRIS)
        twin.partial_fit(X_IRIS, Y_IRIS)
        assert_same_params(clf, twin)


def test_clone():
    clf = MLPClassifier(hidden_layer_sizes=(3,), alpha=0.5, n_threads=1)
    clf.fit(X_IRIS, Y_IRIS)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "net_")


def test_pipeline_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(),
                         MLPClassifier(solver="lbfgs", max_iter=200,
                                       random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1.0],
                                 "mlpclassifier__hidden_layer_sizes":
                                     [(4,), (8,)]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.9
    assert search.predict(X).shape == (150,)
    # fits in parallel threads (joblib's processes cost seconds to start)
    clf = MLPClassifier(max_iter=5, **SMALL)
    with joblib.parallel_config(backend="threading"):
        parallel = cross_val_score(clf, X_IRIS, Y_IRIS, n_jobs=2)
    assert_array_equal(parallel, cross_val_score(clf, X_IRIS, Y_IRIS))


# -- model files ---------------------------------------------------------------

def fitted_attributes(est):
    return {k: v for k, v in vars(est).items()
            if k.endswith("_") and k not in ("coefs_", "intercepts_", "net_")}


@pytest.mark.parametrize("make", [
    lambda: (MLPClassifier(max_iter=4, early_stopping=True, **SMALL),
             np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]),
    lambda: (MLPClassifier(solver="lbfgs", max_iter=4, hidden_layer_sizes=6,
                           n_iter_no_change=np.inf), Y_IRIS == 1),
    lambda: (MLPClassifier(max_iter=4, **SMALL),
             np.stack([Y_IRIS == 0, X_IRIS[:, 0] > 0], axis=1).astype(int)),
    lambda: (MLPRegressor(loss="poisson", max_iter=4, **SMALL),
             np.exp(X_IRIS[:, :2])),
    lambda: (MLPRegressor(solver="sgd", max_iter=4, **SMALL), X_IRIS[:, 0]),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_model_file_round_trip(tmp_path, make, dtype):
    pd = pytest.importorskip("pandas")
    est, y = make()
    X = pd.DataFrame(X_IRIS.astype(dtype), columns=["a", "b", "c", "d"])
    est.fit(X, y)
    est.save(tmp_path / "model.safetensors")
    other = pymlp.load(tmp_path / "model.safetensors")
    assert type(other) is type(est)
    assert other.get_params() == est.get_params()
    assert repr(other) == repr(est)
    mine, theirs = fitted_attributes(other), fitted_attributes(est)
    assert sorted(mine) == sorted(theirs)
    for name, value in theirs.items():
        if name != "_label_binarizer":
            assert_array_equal(mine[name], value, err_msg=name)
    assert_same_params(other, est)
    assert other.coefs_[0].dtype == dtype
    assert_array_equal(other.predict(X), est.predict(X))
    if hasattr(est, "partial_fit") and not est.early_stopping:
        other.partial_fit(X, y)  # trains on, with a new optimizer


def test_model_files_refuse_wrong_fields(tmp_path):
    from pymlp import serialization
    est = MLPClassifier(max_iter=2, **SMALL).fit(X_IRIS, Y_IRIS)
    est.save(tmp_path / "good")
    net, kind, fields = serialization.read(tmp_path / "good")

    def refused(change, message):
        broken = copy.deepcopy(fields)
        change(broken)
        serialization.save(net, tmp_path / "bad", kind=kind, fields=broken)
        with pytest.raises(ValueError, match=message):
            pymlp.load(tmp_path / "bad")

    refused(lambda f: f.update(version=7), "of version 7")
    refused(lambda f: f["params"].pop("alpha"), "are not those of")
    refused(lambda f: f["params"].update(activation="softmax"),
            "'activation' parameter")
    refused(lambda f: f["params"].update(hidden_layer_sizes=[9]),
            r"hidden layers \[8\] do not match")
    refused(lambda f: f["params"].update(activation="tanh"),
            "activations .* do not match")
    refused(lambda f: f.update(classes=[0, 1]), "do not make 'multiclass'")
    refused(lambda f: f.update(classes=[0, 1, 2, 3]), "has 3 outputs")
    refused(lambda f: f.update(classes=[[0], 1, 2]), "not a list of labels")
    refused(lambda f: f.update(classes_dtype="<M8[s]"), "classes dtype")
    refused(lambda f: f["fitted"].update(n_iter_="3"), "not a count")
    refused(lambda f: f["fitted"].update(loss_curve_=[0.5, "x"]),
            "not a number")
    refused(lambda f: f["fitted"].update(feature_names_in_=["a"]),
            "feature names")
    refused(lambda f: f["fitted"].update(out_activation_="logistic"),
            "output activation")
    with pytest.raises(ValueError, match="unknown kind"):
        serialization.save(net, tmp_path / "bad", kind="Pipeline")
