"""`pymlp train DATA --target COLUMN --output MODEL`: fit an MLPClassifier
or MLPRegressor on a data file, with its columns standardised (numbers) or
one-hot encoded (strings), and save it with that preprocessing.

On a terminal, training shows a tqdm progress bar over the epochs with the
loss: the estimator runs with verbose=True, and the lines it prints
("Iteration 3, loss = 0.41", as scikit-learn prints them) move the bar
instead of reaching the terminal."""
import argparse
import contextlib
import re
import sys
import time
import warnings
from typing import Any, Optional

import numpy as np

# targets with at most this many distinct integers are class labels
MAX_INTEGER_CLASSES = 20

ARRAY_COLUMNS = (
    "Columns of NumPy files: a 2-D array's columns are named 0, 1, 2, ... "
    "(--target 4 is the fifth column); a record array's fields by their "
    "names. An .npz file of one array reads as that array; of several "
    "arrays with the same number of rows, a 1-D array is a column named "
    "after it, so np.savez(path, X=X, y=y) holds the columns 0, 1, ... of "
    "X and y (--target y). A 2-D array may appear once in an .npz file.")


def _hidden(text):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of layer sizes such as 100,100") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"layer sizes {text!r} must be >= 1")
    return sizes


class _LossBar:
    """A file-like object for the estimator's verbose output: each
    "Iteration N, loss = L" line advances a tqdm bar on stderr to epoch N
    and shows L; "Validation score: S" lines (early stopping) show S; other
    lines (why training stopped) are dropped, the summary says it."""

    ITERATION = re.compile(r"Iteration (\d+), loss = (\S+)")
    VALIDATION = re.compile(r"Validation score: (\S+)")

    def __init__(self, total: int) -> None:
        from tqdm import tqdm
        self.bar = tqdm(total=total, unit="epoch", file=sys.stderr,
                        leave=False, dynamic_ncols=True)
        self.pending = ""
        self.postfix: dict = {}

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            match = self.VALIDATION.match(line)
            if match:  # printed after its epoch's line: shown at the next
                self.postfix["validation"] = match.group(1)
            match = self.ITERATION.match(line)
            if match:
                self.postfix["loss"] = match.group(2)
                self.bar.set_postfix(self.postfix, refresh=False)
                self.bar.update(int(match.group(1)) - self.bar.n)
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        # the last epoch drawn even when it came within tqdm's mininterval
        self.bar.set_postfix(self.postfix, refresh=False)
        self.bar.refresh()
        self.bar.close()


def _progress_bar(args: argparse.Namespace) -> Optional[_LossBar]:
    """A bar for a stochastic solver's epochs when stderr is a terminal
    and --quiet is not given (and tqdm is installed); else None."""
    if args.quiet or args.solver == "lbfgs" or not sys.stderr.isatty():
        return None
    try:
        return _LossBar(args.epochs)
    except ImportError:
        return None


def infer_task(target: Any) -> str:
    """classification for string or bool targets, and for targets of at
    most MAX_INTEGER_CLASSES distinct whole numbers (integers, or floats
    such as a .npy file's column of labels); else regression."""
    kind = target.dtype.kind
    if kind in "iuf":
        whole = kind in "iu" or bool(np.all(np.mod(target.to_numpy(), 1)
                                            == 0))
        return ("classification" if whole and target.nunique()
                <= MAX_INTEGER_CLASSES else "regression")
    return "classification"


def train(args: argparse.Namespace) -> None:
    from pymlp.io.tables import (TableError, TableModel, _numbers,
                                 check_output, read_table, standardisation)
    check_output(args.output)
    frame = read_table(args.data)
    frame.columns = [str(c) for c in frame.columns]
    if args.target not in frame.columns:
        raise TableError(f"{args.data} has no target column {args.target!r}; "
                         f"its columns: {', '.join(frame.columns)}")
    target = frame[args.target]
    if target.isna().any():
        row = int(np.argmax(target.isna().to_numpy())) + 1
        raise TableError(f"the target column {args.target!r} has a missing "
                         f"value in row {row}")
    task = args.task or infer_task(target)
    model = TableModel.from_frame(frame, args.target)
    X = model.encode(frame)
    if task == "regression":
        # standardised as the features are, so that the default learning
        # rate and initial weights suit targets of any units
        y = _numbers(target, args.target, 1)
        model.target_scaling = standardisation(y)
        y = model.scale_target(y)
    else:
        y = target.to_numpy()
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        elif y.dtype.kind == "O":
            y = y.astype(str)
    if not 0 <= (args.validation_split or 0) < 1:
        raise ValueError(f"--validation-split {args.validation_split} is not "
                         "in [0, 1)")
    rng = np.random.default_rng(args.seed)
    X_val = y_val = None
    if args.validation_split and not args.early_stopping:
        order = rng.permutation(len(X))
        n_val = int(round(args.validation_split * len(X)))
        if n_val < 1 or n_val >= len(X):
            raise ValueError(f"--validation-split {args.validation_split} "
                             f"leaves no rows to train or to validate on "
                             f"({len(X)} rows)")
        X_val, y_val = X[order[:n_val]], y[order[:n_val]]
        X, y = X[order[n_val:]], y[order[n_val:]]
    from pymlp import MLPClassifier, MLPRegressor
    bar = _progress_bar(args)
    cls = MLPClassifier if task == "classification" else MLPRegressor
    est = cls(hidden_layer_sizes=args.hidden, activation=args.activation,
              solver=args.solver, max_iter=args.epochs,
              batch_size=args.batch_size if args.batch_size else "auto",
              learning_rate_init=args.lr, alpha=args.alpha,
              early_stopping=args.early_stopping,
              validation_fraction=args.validation_split or 0.1,
              random_state=args.seed, n_threads=args.threads,
              verbose=bar is not None)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(bar or sys.stdout):
        # not converged: the summary says; all other warnings are recorded
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as e:
            raise ValueError(f"cannot train: {e}") from None
        finally:
            if bar is not None:
                bar.close()
    seconds = time.perf_counter() - start
    if any("interrupted" in str(w.message) for w in caught):
        # the stochastic solvers stop at Ctrl-C and keep the weights, as
        # scikit-learn's do; the command writes no model then
        raise KeyboardInterrupt
    est.set_params(verbose=False)  # the saved model fits silently
    model.estimator = est
    model.save(args.output)
    if X_val is not None and y_val is not None:
        score = f"{est.score(X_val, y_val):.4f}"
    elif args.early_stopping:
        score = f"{est.best_validation_score_:.4f}"
    else:
        score = "n/a"
    name = "accuracy" if task == "classification" else "R^2"
    units = "" if model.target_scaling is None else " (standardised target)"
    if not args.quiet:
        print(f"trained {task} on {len(X)} rows, {X.shape[1]} inputs, "
              f"{est.n_iter_} epochs in {seconds:.2f} s; final loss "
              f"{est.loss_:.6g}{units}; validation {name} {score}; "
              f"saved {args.output}")


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be positive")
        return value
    return parse


def _non_negative(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "train", help="train on a data file",
        description="Train an MLPClassifier or MLPRegressor on the columns "
        "of DATA to predict the column --target, and save it with its "
        "preprocessing (numeric columns standardised, string columns one-hot "
        "encoded, class labels) to one model file. On a terminal a progress "
        "bar shows the epochs and the loss (sgd and adam); a line sums up "
        "at the end.",
        epilog=ARRAY_COLUMNS)
    run.add_argument("data", metavar="DATA",
                     help=".csv or .tsv with a header row, .parquet, .npy or "
                     ".npz (columns of arrays: see below)")
    run.add_argument("--target", required=True, metavar="COLUMN",
                     help="the column to predict")
    run.add_argument("--output", required=True, metavar="MODEL",
                     help="the model file to write (safetensors); written "
                     "in full or not at all")
    run.add_argument("--task", choices=["classification", "regression"],
                     help="default: classification for string, bool or "
                     f"at most {MAX_INTEGER_CLASSES} distinct whole-number "
                     "targets, else regression")
    run.add_argument("--hidden", type=_hidden, default=(100,),
                     help="hidden layer sizes, e.g. 100,100 (default 100)")
    run.add_argument("--activation", default="relu",
                     choices=["identity", "logistic", "tanh", "relu"])
    run.add_argument("--solver", default="adam",
                     choices=["lbfgs", "sgd", "adam"])
    run.add_argument("--epochs", type=int, default=200,
                     help="at most this many epochs (lbfgs: iterations); "
                     "default 200")
    run.add_argument("--batch-size", type=_positive(int), default=None,
                     help="rows per mini-batch (default min(200, rows))")
    run.add_argument("--lr", type=_positive(float), default=1e-3,
                     help="initial learning rate (default 0.001)")
    run.add_argument("--alpha", type=_non_negative, default=1e-4,
                     help="L2 penalty (default 0.0001)")
    run.add_argument("--validation-split", type=_non_negative, default=None,
                     help="fraction of rows held out to score the model")
    run.add_argument("--early-stopping", action="store_true",
                     help="stop when the score on a held-out part (the "
                     "--validation-split fraction, default 0.1) stops "
                     "improving; keep the best weights")
    run.add_argument("--seed", type=int, default=0,
                     help="initial weights, batch order and split (default 0)")
    run.add_argument("--threads", type=_positive(int), default=None,
                     help="threads of the engine (default: OpenMP's)")
    run.add_argument("--quiet", action="store_true",
                     help="print nothing: no progress bar, no summary")
    run.set_defaults(handler=train)
