"""pymlp's MLPClassifier and MLPRegressor against scikit-learn's, on the
same data from the same starting weights, in float64: the same
coefficients (to 1e-10, relative to each array's largest entry), reported
losses and stopping decisions.

Both draw the same initial weights for a random_state and walk the rows in
the same order, so a run of each from one random_state is one computation
done twice; the tests that set the starting weights by hand check the
updates alone."""
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from numpy.testing import assert_allclose  # noqa: E402
from sklearn import neural_network as sk  # noqa: E402
from sklearn.datasets import (load_iris, make_classification,  # noqa: E402
                              make_multilabel_classification,
                              make_regression)
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from pymlp import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

RTOL = 1e-10
OURS = {sk.MLPClassifier: MLPClassifier, sk.MLPRegressor: MLPRegressor}


def scaled(X):
    return StandardScaler().fit_transform(X)


def problems():
    """name -> (scikit-learn's estimator class, X, y, extra parameters)."""
    X_iris, y_iris = load_iris(return_X_y=True)
    X_bin, y_bin = make_classification(n_samples=80, n_features=6,
                                       random_state=0)
    X_ml, Y_ml = make_multilabel_classification(n_samples=80, n_features=6,
                                                n_classes=3, random_state=0)
    X_reg, y_reg = make_regression(n_samples=90, n_features=5, n_targets=3,
                                   noise=1.0, random_state=0)
    y_reg = y_reg / y_reg.std(axis=0)
    rng = np.random.default_rng(0)
    X_poisson = rng.standard_normal((90, 4))
    y_poisson = rng.poisson(np.exp(0.5 * X_poisson[:, 0]))
    return {
        "multiclass": (sk.MLPClassifier, scaled(X_iris), y_iris, {}),
        "binary": (sk.MLPClassifier, scaled(X_bin), y_bin, {}),
        "multilabel": (sk.MLPClassifier, scaled(X_ml), Y_ml, {}),
        "regression": (sk.MLPRegressor, scaled(X_reg), y_reg[:, 0], {}),
        "multioutput": (sk.MLPRegressor, scaled(X_reg), y_reg, {}),
        "poisson": (sk.MLPRegressor, X_poisson, y_poisson,
                    {"loss": "poisson"}),
    }


PROBLEMS = problems()

ONE_EPOCH = {
    "sgd_nesterov": dict(solver="sgd", learning_rate_init=0.05),
    "sgd_plain": dict(solver="sgd", learning_rate_init=0.05,
                      nesterovs_momentum=False),
    "adam": dict(solver="adam", learning_rate_init=0.01),
    "lbfgs_1": dict(solver="lbfgs", max_iter=1),
    "lbfgs_5": dict(solver="lbfgs", max_iter=5),
}


def assert_same_fit(ours, theirs, rtol=RTOL):
    """The same coefficients, intercepts, losses and counters."""
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        assert mine.dtype == reference.dtype
        assert_allclose(mine, reference, rtol=rtol,
                        atol=rtol * np.abs(reference).max())
    assert_allclose(ours.loss_, theirs.loss_, rtol=rtol)
    for name in ("n_iter_", "t_", "n_layers_", "n_outputs_",
                 "out_activation_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    if hasattr(theirs, "loss_curve_"):
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
        assert_allclose(ours.best_loss_ or 0, theirs.best_loss_ or 0,
                        rtol=rtol)
        if theirs.validation_scores_ is not None:
            assert_allclose(ours.validation_scores_,
                            theirs.validation_scores_, rtol=rtol, atol=rtol)
    if hasattr(theirs, "classes_"):
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)


def fit_both(problem, sample_weight=None, **params):
    Theirs, X, y, extra = PROBLEMS[problem]
    params = dict(extra, hidden_layer_sizes=(7, 5), random_state=0,
                  **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = Theirs(**params).fit(X, y, sample_weight=sample_weight)
        ours = OURS[Theirs](**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs


@pytest.mark.parametrize("variant", ["plain", "alpha", "sample_weight"])
@pytest.mark.parametrize("solver", ONE_EPOCH)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_one_full_batch_epoch(problem, solver, variant):
    n = PROBLEMS[problem][1].shape[0]
    params = dict(ONE_EPOCH[solver], batch_size=n, shuffle=False,
                  activation="tanh")
    params.setdefault("max_iter", 1)
    sample_weight = None
    if variant == "alpha":
        params["alpha"] = 0.5
    elif variant == "sample_weight":
        sample_weight = np.random.default_rng(1).uniform(0, 2, n)
    ours, theirs = fit_both(problem, sample_weight, **params)
    assert_same_fit(ours, theirs)
    X = PROBLEMS[problem][1]
    assert_allclose(ours.predict(X) if problem != "multiclass" else
                    ours.predict_proba(X),
                    theirs.predict(X) if problem != "multiclass" else
                    theirs.predict_proba(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Theirs", [sk.MLPClassifier, sk.MLPRegressor])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_from_the_same_given_weights(Theirs, solver):
    # starting weights set by hand in both, then one warm-started epoch
    problem = "multiclass" if Theirs is sk.MLPClassifier else "multioutput"
    _, X, y, _ = PROBLEMS[problem]
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=1,
                  shuffle=False, batch_size=X.shape[0], warm_start=True,
                  alpha=0.01, learning_rate_init=0.02, random_state=0)
    theirs = Theirs(**params).fit(X, y)
    ours = OURS[Theirs](**params).fit(X, y)
    rng = np.random.default_rng(5)
    start = [rng.uniform(-0.5, 0.5, c.shape) for c in theirs.coefs_]
    start_b = [rng.uniform(-0.5, 0.5, b.shape) for b in theirs.intercepts_]
    for est in (ours, theirs):
        est.coefs_ = [c.copy() for c in start]
        est.intercepts_ = [b.copy() for b in start_b]
    ours.fit(X, y)
    theirs.fit(X, y)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        assert_allclose(mine, reference, rtol=RTOL,
                        atol=RTOL * np.abs(reference).max())
    assert_allclose(ours.loss_, theirs.loss_, rtol=RTOL)


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
def test_learning_rate_schedules_over_epochs(schedule):
    # mini-batches in scikit-learn's shuffled order, 25 epochs; tol makes
    # the adaptive schedule divide its rate a few times
    ours, theirs = fit_both(
        "multiclass", solver="sgd", learning_rate=schedule,
        learning_rate_init=0.2, power_t=0.3, batch_size=32, max_iter=25,
        tol=0.02, n_iter_no_change=2)
    assert_same_fit(ours, theirs)
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("problem", ["regression", "multilabel", "poisson"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_shuffled_mini_batches_over_epochs(problem, solver):
    ours, theirs = fit_both(problem, solver=solver, batch_size=16,
                            max_iter=8, alpha=0.01, learning_rate_init=0.01)
    assert_same_fit(ours, theirs)


@pytest.mark.parametrize("problem", ["binary", "regression"])
def test_early_stopping_decisions(problem):
    ours, theirs = fit_both(problem, solver="adam", early_stopping=True,
                            learning_rate_init=0.01, batch_size=16,
                            n_iter_no_change=3, max_iter=300)
    assert theirs.n_iter_ < 300  # it stopped early
    assert_same_fit(ours, theirs)
    assert ours.best_validation_score_ == pytest.approx(
        theirs.best_validation_score_, rel=RTOL)


def test_tol_decisions():
    ours, theirs = fit_both("binary", solver="adam", learning_rate_init=0.01,
                            tol=1e-3, max_iter=500)
    assert theirs.n_iter_ < 500
    assert_same_fit(ours, theirs)


def test_sample_weight_with_early_stopping():
    n = PROBLEMS["regression"][1].shape[0]
    weights = np.random.default_rng(2).uniform(0.5, 1.5, n)
    ours, theirs = fit_both("regression", sample_weight=weights,
                            early_stopping=True, max_iter=30,
                            learning_rate_init=0.01)
    assert_same_fit(ours, theirs)


def test_partial_fit_sequences():
    _, X, y, _ = PROBLEMS["multiclass"]
    params = dict(hidden_layer_sizes=(5,), solver="sgd", random_state=0,
                  learning_rate="invscaling", learning_rate_init=0.1)
    ours, theirs = MLPClassifier(**params), sk.MLPClassifier(**params)
    for start in range(0, 150, 50):
        for est in (ours, theirs):
            est.partial_fit(X[start:start + 50], y[start:start + 50],
                            classes=[0, 1, 2])
    assert_same_fit(ours, theirs)


def test_verbose_lines(capsys):
    params = dict(solver="sgd", learning_rate="adaptive", tol=0.05,
                  n_iter_no_change=1, max_iter=12, early_stopping=True,
                  verbose=True)
    fit_both("binary", **params)
    out = capsys.readouterr().out.splitlines()
    half = len(out) // 2
    theirs, ours = out[:half], out[half:]
    assert len(theirs) == len(ours) > 12
    for mine, reference in zip(ours, theirs):
        assert mine == reference
