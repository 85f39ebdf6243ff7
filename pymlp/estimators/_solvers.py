"""The solvers: scikit-learn's stochastic epochs (sgd, adam) and
L-BFGS-B, with the engine doing every forward and backward pass.

Stochastic: each epoch walks the rows in scikit-learn's order (its shuffle
of the sample indices, drawn from the estimator's RandomState) in batches
of batch_size; one net.fit call (epochs=1, shuffle=False) runs the whole
epoch, or a few calls when the rows must first be gathered or densified
and would not fit in CHUNK_BYTES at once. The optimizer object carries its
state from one call to the next, so the updates are those of one run.
Between epochs, in Python as scikit-learn does it: the learning-rate
schedule, the stopping rules, early stopping's validation score.

L-BFGS-B: SciPy's minimize over net.params, with the loss and the flat
gradient from net.loss_and_flat_grad, and scikit-learn's options.
"""
import warnings

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from pymlp.optim import SGD

# scikit-learn's schedule stops dividing the learning rate below this
MIN_ADAPTIVE_LR = 1e-6
# Dense rows handed to the engine per call when they must be gathered or
# densified (shuffled epochs, sparse input, prediction of sparse input).
CHUNK_BYTES = 32 * 2 ** 20


def densify(X, rows, dtype):
    """X[rows] as a dense C-contiguous array in dtype; X dense or CSR."""
    part = X[rows]
    if sp.issparse(part):
        part = part.toarray()
    return np.ascontiguousarray(part, dtype=dtype)


class Epochs:
    """Runs epochs of the network on (X, y, sample_weight) in a given row
    order, through net.fit.

    Parameters
    ----------
    net : pymlp.MLP
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y : ndarray, the engine's targets for `loss`
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
    loss : str
        The engine's loss name.
    l2 : float
        The L2 penalty (scikit-learn's alpha).
    """

    def __init__(self, net, X, y, sample_weight, batch_size, loss, l2):
        self.net, self.X, self.y, self.sample_weight = net, X, y, sample_weight
        self.batch_size, self.loss, self.l2 = batch_size, loss, l2
        row_bytes = max(1, X.shape[1]) * net.dtype.itemsize
        # whole batches per call, so that batches are those of one epoch
        batches = max(1, CHUNK_BYTES // (batch_size * row_bytes))
        self.rows_per_call = batch_size * batches
        self.in_place = not sp.issparse(X) and X.dtype == net.dtype
        self.buffer = None

    def run(self, optimizer, order=None):
        """One epoch over the rows in `order` (None: as they are); returns
        (mean loss, mean L2 penalty part) over the epoch's batches, each
        weighted by its rows, as net.fit reports them."""
        n = self.X.shape[0]
        if order is None and self.in_place:
            return self._call(optimizer, self.X, slice(0, n))
        loss = penalty = 0.0
        for start in range(0, n, self.rows_per_call):
            stop = min(n, start + self.rows_per_call)
            rows = (slice(start, stop) if order is None
                    else order[start:stop])
            part_loss, part_penalty = self._call(
                optimizer, self._rows(rows, stop - start), rows)
            loss += part_loss * (stop - start)
            penalty += part_penalty * (stop - start)
        return loss / n, penalty / n

    def _rows(self, rows, m):
        """X[rows] dense, C-contiguous, in the network's dtype."""
        if self.in_place and not isinstance(rows, slice):
            if self.buffer is None:
                self.buffer = np.empty((self.rows_per_call, self.X.shape[1]),
                                       dtype=self.X.dtype)
            return np.take(self.X, rows, axis=0, out=self.buffer[:m])
        return densify(self.X, rows, self.net.dtype)

    def _call(self, optimizer, X, rows):
        weights = None if self.sample_weight is None else \
            self.sample_weight[rows]
        history = self.net.fit(
            X, self.y[rows], loss=self.loss, optimizer=optimizer, epochs=1,
            batch_size=self.batch_size, shuffle=False, sample_weight=weights,
            l2=self.l2)
        return history.loss[0], history.penalty[0]


def batch_size_for(est, n_samples):
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample "
                      "size. It is going to be clipped")
    return int(np.clip(est.batch_size, 1, n_samples))


def validation_split(est, X, y, sample_weight, rng):
    """scikit-learn's held-out split for early stopping, from the same
    RandomState: (X, y, sample_weight) to train on, and (X_val, y_val,
    sample_weight_val) with y_val as the estimator's score takes it."""
    stratify = est._stratify_by(y)
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    parts = train_test_split(*arrays, random_state=rng,
                             test_size=est.validation_fraction,
                             stratify=stratify)
    X, X_val, y, y_val = parts[:4]
    sample_weight, sample_weight_val = parts[4:] or (None, None)
    if X_val.shape[0] < 2:
        raise ValueError("The validation set is too small. Increase "
                         "'validation_fraction' or the size of your dataset.")
    return (X, y, sample_weight), (X_val, est._score_targets(y_val),
                                   sample_weight_val)


def fit_stochastic(est, X, y, sample_weight, rng, incremental):
    """Train est.net_ with est.solver for up to est.max_iter epochs (one
    with incremental), following scikit-learn's rules; y as the
    estimator's _validate_input gives it, 2-D."""
    net = est.net_
    optimizer = getattr(est, "_optimizer", None)
    # fit starts a new optimizer; partial_fit continues the last one
    if (not incremental or optimizer is None
            or isinstance(optimizer, SGD) != (est.solver == "sgd")):
        optimizer = est._optimizer = est._new_optimizer()
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    est._start_curves()
    early_stopping = est.early_stopping
    validation = None
    if early_stopping:
        (X, y, sample_weight), validation = validation_split(
            est, X, y, sample_weight, rng)

    n_samples = X.shape[0]
    epochs = Epochs(net, X, est._engine_targets(y), sample_weight,
                    batch_size_for(est, n_samples), est._engine_loss(),
                    est.alpha)
    order = np.arange(n_samples)
    diverged = None
    try:
        est.n_iter_ = 0
        for _ in range(est.max_iter):
            if est.shuffle:
                # scikit-learn reshuffles the previous epoch's order with
                # sklearn.utils.shuffle, which permutes an arange with the
                # RandomState: the same draws as this, at a tenth the cost
                order = order[rng.permutation(n_samples)]
            try:
                loss, penalty = epochs.run(optimizer,
                                           order if est.shuffle else None)
                est.loss_ = est._reported_loss(loss, penalty)
            except FloatingPointError as e:
                diverged = e
                est.loss_ = np.nan
            est.n_iter_ += 1
            est.t_ += n_samples
            est.loss_curve_.append(est.loss_)
            if est.verbose:
                print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
            if diverged is not None:
                if early_stopping:
                    est.validation_scores_.append(np.nan)
                break
            update_no_improvement_count(est, validation)
            if est.solver == "sgd" and est.learning_rate == "invscaling":
                optimizer.lr = (est.learning_rate_init
                                / (est.t_ + 1) ** est.power_t)
            if est._no_improvement_count > est.n_iter_no_change:
                if not reduce_learning_rate(est, optimizer, early_stopping):
                    break
            if incremental:
                break
            if est.n_iter_ == est.max_iter:
                warnings.warn(
                    "Stochastic Optimizer: Maximum iterations (%d) reached "
                    "and the optimization hasn't converged yet."
                    % est.max_iter, ConvergenceWarning)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")

    if early_stopping:
        net.params[...] = est._best_params
    if diverged is not None:
        if not early_stopping:
            raise ValueError(
                "Solver produced non-finite parameter weights. The input "
                "data may contain large values and need to be preprocessed."
                f" Training diverged in iteration {est.n_iter_}: {diverged}"
            ) from diverged
        warnings.warn(
            f"Training diverged in iteration {est.n_iter_} and stopped; the "
            "weights of the best validation score were kept. A smaller "
            f"learning_rate_init (now {est.learning_rate_init:g}) or scaled "
            "data may help.", ConvergenceWarning)


def update_no_improvement_count(est, validation):
    """Count the epochs without an improvement of at least est.tol: of the
    validation score with early stopping (keeping the best parameters),
    else of the training loss."""
    if validation is not None:
        score = est._score(*validation)
        est.validation_scores_.append(score)
        if est.verbose:
            print("Validation score: %f" % score)
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            np.copyto(est._best_params, est.net_.params)
    else:
        loss = est.loss_curve_[-1]
        if loss > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if loss < est.best_loss_:
            est.best_loss_ = loss


def reduce_learning_rate(est, optimizer, early_stopping):
    """After n_iter_no_change epochs without improvement: divide sgd's
    adaptive learning rate by 5 and go on (returns True), or stop."""
    if early_stopping:
        msg = ("Validation score did not improve more than tol=%f for %d "
               "consecutive epochs." % (est.tol, est.n_iter_no_change))
    else:
        msg = ("Training loss did not improve more than tol=%f for %d "
               "consecutive epochs." % (est.tol, est.n_iter_no_change))
    if est.solver != "sgd" or est.learning_rate != "adaptive":
        if est.verbose:
            print(msg + " Stopping.")
        return False
    if optimizer.lr <= MIN_ADAPTIVE_LR:
        if est.verbose:
            print(msg + " Learning rate too small. Stopping.")
        return False
    optimizer.lr /= 5.0
    if est.verbose:
        print(msg + " Setting learning rate to %f" % optimizer.lr)
    est._no_improvement_count = 0
    return True


def fit_lbfgs(est, X, y, sample_weight):
    """Minimise the loss over est.net_.params with SciPy's L-BFGS-B, with
    scikit-learn's options: at most max_iter iterations and max_fun
    evaluations, gradient tolerance tol."""
    net = est.net_
    if sp.issparse(X):
        X = X.toarray()
    X = np.ascontiguousarray(X, dtype=net.dtype)
    y = est._engine_targets(y)
    loss = est._engine_loss()
    n_weight = X.shape[0] if sample_weight is None else sample_weight.sum()

    def loss_and_grad(params):
        net.params[...] = params
        value, grad = net.loss_and_flat_grad(
            X, y, loss, sample_weight=sample_weight, l2=est.alpha)
        penalty = 0.0
        if est._loss_divisor() != 1:
            squares = sum(float(np.dot(W.ravel(), W.ravel()))
                          for W in net.weights)
            penalty = 0.5 * est.alpha * squares / n_weight
        return est._reported_loss(value, penalty), grad.astype(np.float64)

    result = scipy.optimize.minimize(
        loss_and_grad, net.params.astype(np.float64), method="L-BFGS-B",
        jac=True, options={"maxfun": est.max_fun, "maxiter": est.max_iter,
                           "gtol": est.tol})
    est.n_iter_ = min(result.nit, est.max_iter)
    if result.status != 0:
        advice = (f" Increase max_iter (now {est.max_iter}) to improve the "
                  "convergence." if est.n_iter_ == est.max_iter else "")
        warnings.warn(
            f"lbfgs failed to converge after {est.n_iter_} iteration(s) "
            f"(status={result.status}): {result.message}.{advice} Scaling "
            "the data may also help: https://scikit-learn.org/stable/"
            "modules/preprocessing.html", ConvergenceWarning)
    est.loss_ = float(result.fun)
    net.params[...] = result.x
