"""MLPClassifier: scikit-learn's multi-layer perceptron classifier on
pymlp's engine.

Labels are binarized as scikit-learn does (LabelBinarizer): several
classes give a softmax output trained with the log-loss, two classes or a
multilabel indicator matrix give logistic outputs trained with the binary
log-loss, one per output."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, TypeVar, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import validate_data

from pymlp.estimators import _docs
from pymlp.estimators._base import BaseMLP, fit_context

if TYPE_CHECKING:
    from pymlp.estimators._base import MatrixLike

_Classifier = TypeVar("_Classifier", bound="MLPClassifier")


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = f"""Multi-layer perceptron classifier: scikit-learn's
    MLPClassifier, trained by pymlp's compiled engine.

    The parameters, fitted attributes and methods are those of
    sklearn.neural_network.MLPClassifier, with the same meanings; the same
    random_state gives the same initial weights and batch order, and the
    fit follows the same updates up to rounding.

    Parameters
    ----------
{_docs.indented(_docs.PARAMETERS)}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel y, the output indices).
{_docs.indented(_docs.ATTRIBUTES)}
{_docs.indented(_docs.NET_ATTRIBUTE)}

    See Also
    --------
    MLPRegressor : The regressor.
    sklearn.neural_network.MLPClassifier : The model followed.

    Examples
    --------
    >>> from pymlp import MLPClassifier
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.predict(X[:2])
    array([0, 0])
    """

    def __init__(self,
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

    _file_kind = "MLPClassifier"  # its kind in model files

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _validate_input(self, X, y, incremental, reset):
        """Checked X, and y binarized (bool, one column per output); sets
        or checks the classes."""
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start
                                             and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}")
            elif np.setdiff1d(classes, self.classes_,
                              assume_unique=True).size:
                raise ValueError(
                    "`y` has classes not in `self.classes_`. `self.classes_`"
                    f" has {self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"  # binary and multilabel

    def _engine_targets(self, y):
        """Class indices for the softmax's cross-entropy, else the 0/1
        matrix in the network's dtype."""
        if self.out_activation_ == "softmax":
            return np.ascontiguousarray(y.argmax(axis=1), dtype=np.int64)
        return np.ascontiguousarray(y, dtype=self.net_.dtype)

    def _stratify_by(self, y):
        """Early stopping's split keeps the classes' proportions, except
        for multilabel targets, as scikit-learn documents it (its code
        stratifies two-class targets only)."""
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        return y

    def _score_targets(self, y):
        return self._label_binarizer.inverse_transform(y)

    def _score(self, X, y, sample_weight=None):
        return self._score_validated(X, y, sample_weight, accuracy_score)

    def _predict_validated(self, X):
        y_prob = self._output(X)
        if self.n_outputs_ == 1:
            y_prob = y_prob.ravel()
        return self._label_binarizer.inverse_transform(y_prob)

    def predict(self, X: MatrixLike) -> NDArray[Any]:
        """The predicted classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Labels, or a 0/1 indicator matrix for multilabel y.
        """
        return self._predict_validated(self._check_X(X))

    def predict_proba(self, X: MatrixLike) -> NDArray[Any]:
        """Probability of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            In the order of ``classes_``. For multilabel y, each label's
            probability of being present.
        """
        y_prob = self._forward(X)
        if self.n_outputs_ == 1:
            p = y_prob.ravel()
            return np.vstack([1 - p, p]).T
        return y_prob

    def predict_log_proba(self, X: MatrixLike) -> NDArray[Any]:
        """log(predict_proba(X)).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    @available_if(lambda est: est._check_solver())
    @fit_context
    def partial_fit(self: _Classifier, X: MatrixLike, y: ArrayLike,
                    sample_weight: Optional[ArrayLike] = None,
                    classes: Optional[ArrayLike] = None) -> _Classifier:
        """One epoch of the stochastic solver on (X, y), continuing the
        previous ones (sgd and adam only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array of shape (n_classes,), default=None
            Every class of the whole training set; needed by the first
            call only (y may hold some of them).

        Returns
        -------
        self : object
        """
        if self._first_partial_fit(classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def _first_partial_fit(self, classes):
        """Whether this is the first partial_fit (which then sets classes_);
        checks classes against earlier calls."""
        known = getattr(self, "classes_", None)
        if known is None and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit.")
        if classes is None:
            return False
        if known is not None:
            if not np.array_equal(known, unique_labels(classes)):
                raise ValueError(
                    f"`classes={classes!r}` is not the same as on last call "
                    f"to partial_fit, was: {known!r}")
            return False
        self.classes_ = unique_labels(classes)
        return True
