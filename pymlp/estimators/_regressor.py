"""MLPRegressor: scikit-learn's multi-layer perceptron regressor on pymlp's
engine.

loss="squared_error" trains a linear output with half the squared error
(scikit-learn's gradient: summed over the outputs), and reports the loss
as scikit-learn does, averaged over the outputs; loss="poisson" trains the
output as a log-rate with half the Poisson deviance, and predicts its
exponential."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, TypeVar, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from pymlp.estimators import _docs
from pymlp.estimators._base import BaseMLP, fit_context

if TYPE_CHECKING:
    from pymlp.estimators._base import MatrixLike

_Regressor = TypeVar("_Regressor", bound="MLPRegressor")


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = f"""Multi-layer perceptron regressor: scikit-learn's
    MLPRegressor, trained by pymlp's compiled engine.

    The parameters, fitted attributes and methods are those of
    sklearn.neural_network.MLPRegressor, with the same meanings; the same
    random_state gives the same initial weights and batch order, and the
    fit follows the same updates up to rounding.

    Parameters
    ----------
    loss : {{"squared_error", "poisson"}}, default="squared_error"
        "squared_error" minimises half the squared error of a linear
        output; "poisson" minimises half the Poisson deviance of an
        exponential output (a log link), and needs y >= 0.
{_docs.indented(_docs.PARAMETERS)}

    Attributes
    ----------
{_docs.indented(_docs.ATTRIBUTES)}
{_docs.indented(_docs.NET_ATTRIBUTE)}

    See Also
    --------
    MLPClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : The model followed.
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: Union[int, Sequence[int]] = (100,),
                 activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001,
                 batch_size: Union[int, str] = "auto",
                 learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5,
                 max_iter: int = 200, shuffle: bool = True,
                 random_state: Union[int, np.random.RandomState, None] = None,
                 tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True,
                 early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: float = 10, max_fun: int = 15000,
                 n_threads: Optional[int] = None) -> None:
        self._set_params_from(locals())

    _file_kind = "MLPRegressor"  # its kind in model files

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("Some value(s) of y are negative which is not "
                             "allowed for Poisson regression.")
        return X, y

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _loss_divisor(self):
        return self.n_outputs_ if self.loss == "squared_error" else 1

    def _engine_targets(self, y):
        return np.ascontiguousarray(y, dtype=self.net_.dtype)

    def _stratify_by(self, y):
        return None

    def _score_targets(self, y):
        return y

    def _score(self, X, y, sample_weight=None):
        return self._score_validated(X, y, sample_weight, r2_score)

    def _predict_validated(self, X):
        y_pred = self._output(X)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def predict(self, X: MatrixLike) -> NDArray[Any]:
        """The predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._predict_validated(self._check_X(X))

    @available_if(lambda est: est._check_solver())
    @fit_context
    def partial_fit(self: _Regressor, X: MatrixLike, y: ArrayLike,
                    sample_weight: Optional[ArrayLike] = None) -> _Regressor:
        """One epoch of the stochastic solver on (X, y), continuing the
        previous ones (sgd and adam only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, incremental=True)
