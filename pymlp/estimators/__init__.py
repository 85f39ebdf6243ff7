"""scikit-learn's MLPClassifier and MLPRegressor, trained by pymlp's engine.

The two estimators take the constructor parameters of
sklearn.neural_network's, with their names, defaults and meanings, and
fit the same model: the same initial weights for a random_state, the same
batch order, loss, L2 penalty and update rules, so that a run gives
scikit-learn's coefficients up to rounding. Every forward and backward pass
runs in pymlp's compiled engine, through the public pymlp.MLP API.

scikit-learn (and SciPy, which it requires) is an optional dependency:
``pip install "pymlp[sklearn]"``.
"""
try:
    import sklearn  # noqa: F401
    import scipy  # noqa: F401
except ImportError as e:
    raise ImportError(
        "pymlp's MLPClassifier and MLPRegressor need scikit-learn and SciPy "
        f"({e}); install them with: pip install \"pymlp[sklearn]\""
    ) from e

from pymlp.estimators._classifier import MLPClassifier
from pymlp.estimators._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
