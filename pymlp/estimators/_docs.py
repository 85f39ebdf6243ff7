"""The estimators' documentation: the parameters and attributes the two
share are described once here and composed into each class's docstring."""
import textwrap


def indented(text):
    """text indented as the body of a class docstring."""
    return textwrap.indent(text, "    ")


PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_hidden,) or int, default=(100,)
    The width of each hidden layer, first to last; an int is one layer.
activation : {"identity", "logistic", "tanh", "relu", "leaky_relu", \
"softplus", "gelu"}, default="relu"
    The hidden layers' activation: f(x) = x, 1 / (1 + exp(-x)), tanh(x),
    max(0, x), as in scikit-learn; pymlp adds leaky_relu (slope 0.01 below
    zero), softplus log(1 + exp(x)) and the exact, erf-based gelu.
solver : {"lbfgs", "sgd", "adam"}, default="adam"
    How the weights are optimised: SciPy's L-BFGS-B quasi-Newton method on
    the whole data set, mini-batch stochastic gradient descent with
    momentum, or Adam (Kingma and Ba). Adam suits large data sets (thousands
    of samples and more); L-BFGS often converges faster and better on small
    ones.
alpha : float, default=0.0001
    Strength of the L2 penalty on the weights (not the intercepts): each
    batch's loss gains 0.5 * alpha * (sum of the squared weights), divided
    by the batch's number of samples (or sum of sample weights).
batch_size : int or "auto", default="auto"
    Samples per update of the stochastic solvers; "auto" is
    min(200, n_samples), and larger values are clipped to n_samples (with a
    warning). L-BFGS always uses all samples.
learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    How sgd's step size evolves: "constant" keeps learning_rate_init;
    "invscaling" sets it to learning_rate_init / (t + 1) ** power_t after
    each epoch, t being the number of samples seen so far (``t_``);
    "adaptive" keeps it until n_iter_no_change consecutive epochs fail to
    improve the training loss (or, with early stopping, the validation
    score) by tol, and then divides it by 5, stopping once it is at or
    below 1e-6. Used by sgd only.
learning_rate_init : float, default=0.001
    The initial step size of sgd and adam.
power_t : float, default=0.5
    The exponent of the "invscaling" schedule. Used by sgd only.
max_iter : int, default=200
    The most iterations: epochs (passes over the training samples) for
    sgd and adam, quasi-Newton iterations for lbfgs. Each fit of a
    stochastic solver runs at most max_iter epochs, also with warm_start.
shuffle : bool, default=True
    Whether sgd and adam visit the samples in a new random order every
    epoch.
random_state : int, RandomState instance or None, default=None
    The source of the initial weights and intercepts, of the early
    stopping split and of the epochs' orders. The same int gives the same
    fit, and the same initial weights and batch orders as scikit-learn's
    estimator given that int.
tol : float, default=1e-4
    Improvement threshold. sgd and adam count the epochs whose training
    loss does not fall by tol (or whose validation score does not rise by
    tol, with early stopping); past n_iter_no_change of them training stops
    (or, with the "adaptive" schedule, the learning rate drops). For lbfgs,
    the gradient tolerance of L-BFGS-B.
verbose : bool or int, default=False
    Print each epoch's loss (and validation score) and why training
    stopped, as scikit-learn does.
warm_start : bool, default=False
    Whether fit continues from the weights of the previous fit (or from
    ``coefs_`` and ``intercepts_`` assigned since), with a fresh optimizer
    state, instead of drawing new ones.
momentum : float, default=0.9
    Momentum of sgd, in [0, 1].
nesterovs_momentum : bool, default=True
    Whether sgd uses Nesterov's momentum (when momentum > 0).
early_stopping : bool, default=False
    Whether sgd and adam set validation_fraction of the training data aside
    (a split stratified by class for single-label classification) and
    stop when its score has not improved by tol for n_iter_no_change
    consecutive epochs, keeping the weights of the best score. Without
    it, the training loss decides when to stop.
validation_fraction : float, default=0.1
    The share of the training data held out for early stopping, in [0, 1).
beta_1 : float, default=0.9
    Adam's decay rate of the first moment estimates, in [0, 1).
beta_2 : float, default=0.999
    Adam's decay rate of the second moment estimates, in [0, 1).
epsilon : float, default=1e-8
    Added to the square root of Adam's second moment estimate, for
    numerical stability.
n_iter_no_change : int or np.inf, default=10
    How many consecutive epochs without an improvement of tol sgd and adam
    accept; np.inf never stops early.
max_fun : int, default=15000
    The most loss evaluations of lbfgs (they may exceed the iterations,
    as each line search evaluates the loss at least once).
n_threads : int or None, default=None
    Threads of the compiled engine for this estimator; None follows
    pymlp.set_num_threads, then the OpenMP setting (threadpoolctl's limits
    included), then the cores available. Results are the same for any
    count. A pymlp addition."""

ATTRIBUTES = """\
loss_ : float
    The loss after the last epoch (sgd, adam: the mean of the epoch's batch
    losses, each taken before its update) or at the L-BFGS solution,
    penalty included, as scikit-learn computes it.
best_loss_ : float or None
    The lowest ``loss_`` of an epoch; None with early stopping. sgd and adam
    only.
loss_curve_ : list of float
    ``loss_`` of every epoch. sgd and adam only.
validation_scores_ : list of float or None
    The score on the held-out data after every epoch with early stopping,
    else None. sgd and adam only.
best_validation_score_ : float or None
    The best of ``validation_scores_``, else None. sgd and adam only.
t_ : int
    The number of training samples the stochastic solvers have seen, over
    all fits of this network.
coefs_ : list of ndarray
    ``coefs_[i]``, of shape (n[i], n[i + 1]), is layer i + 1's weight matrix
    (a view of ``net_``'s parameters; arrays assigned here are copied into
    ``net_`` before its next use).
intercepts_ : list of ndarray
    ``intercepts_[i]``, of shape (n[i + 1],), is layer i + 1's bias vector.
n_features_in_ : int
    The number of features seen by fit.
feature_names_in_ : ndarray of shape (``n_features_in_``,)
    The feature names seen by fit, when X had string column names.
n_iter_ : int
    Iterations run by the last fit: epochs (sgd, adam) or L-BFGS
    iterations.
n_layers_ : int
    The number of layers, input and output included.
n_outputs_ : int
    The number of outputs.
out_activation_ : str
    The output activation."""

NET_ATTRIBUTE = """\
net_ : pymlp.MLP
    The fitted network. Its last layer is linear; the output activation is
    applied by the estimator."""
