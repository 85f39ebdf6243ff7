"""`pymlp evaluate MODEL DATA --target COLUMN`: accuracy and log-loss
(classification) or R^2, MSE and MAE (regression) on a data file."""
import argparse
from typing import Any

import numpy as np

from pymlp.cli.predict import UNSEEN_HELP


def evaluate(args: argparse.Namespace) -> None:
    import pymlp
    from sklearn import metrics
    from pymlp.io.tables import TableError, TableModel, _numbers, read_table
    model = pymlp.load(args.model)
    if not isinstance(model, TableModel):
        raise TableError(f"{args.model} holds a {type(model).__name__}, not "
                         "a model trained by pymlp train")
    frame = read_table(args.data)
    frame.columns = [str(c) for c in frame.columns]
    if args.target not in frame.columns:
        raise TableError(f"{args.data} has no target column {args.target!r}")
    X = model.encode(frame, unseen=args.unseen)
    target = frame[args.target]
    if model.is_classifier:
        classes = model.classes_
        y = target.to_numpy()
        if classes.dtype.kind in "US":
            y = y.astype(str)
        unseen = ~np.isin(y, classes)
        if unseen.any():
            raise TableError(f"the target column {args.target!r} has a class "
                             f"{str(y[np.argmax(unseen)])!r} (row "
                             f"{int(np.argmax(unseen)) + 1}) the model does "
                             "not know")
        proba = model.estimator.predict_proba(X)
        predicted = classes[np.argmax(proba, axis=1)]
        print(f"accuracy: {metrics.accuracy_score(y, predicted):.6f}")
        print(f"log-loss: {metrics.log_loss(y, proba, labels=classes):.6f}")
    else:
        y = _numbers(target, args.target, 1)
        predicted = model.predict_encoded(X)
        print(f"R^2: {metrics.r2_score(y, predicted):.6f}")
        print(f"MSE: {metrics.mean_squared_error(y, predicted):.6g}")
        print(f"MAE: {metrics.mean_absolute_error(y, predicted):.6g}")
    print(f"rows: {len(frame)}")


def add_parser(commands: Any) -> None:
    run = commands.add_parser("evaluate", help="score a model on a data file")
    run.add_argument("model", metavar="MODEL")
    run.add_argument("data", metavar="DATA")
    run.add_argument("--target", required=True, metavar="COLUMN")
    run.add_argument("--unseen", choices=["zeros", "error"], default="zeros",
                     help=UNSEEN_HELP)
    run.set_defaults(handler=evaluate)
