"""`pymlp predict MODEL DATA`: predictions for a data file, read in chunks
of rows so that memory stays bounded whatever the file's size. Columns
are matched by name; a category not seen in training encodes as all
zeros."""
import argparse
import sys
from typing import Any

import numpy as np

CHUNK_ROWS = 50_000


def predict(args: argparse.Namespace) -> None:
    import pymlp
    from pymlp.io.tables import TableError, TableModel, iter_table
    model = pymlp.load(args.model)
    if not isinstance(model, TableModel):
        raise TableError(f"{args.model} holds a {type(model).__name__}, not "
                         "a model trained by pymlp train")
    if args.proba and not model.is_classifier:
        raise TableError("--proba needs a classification model")
    out = open(args.output, "w", newline="") if args.output else sys.stdout
    try:
        first_row, header = 1, True
        for chunk in iter_table(args.data, CHUNK_ROWS):
            import pandas as pd
            X = model.encode(chunk, first_row)
            if args.proba:
                table = pd.DataFrame(model.estimator.predict_proba(X),
                                     columns=[str(c) for c in
                                              model.classes_])
            else:
                table = pd.DataFrame(
                    {"prediction": np.asarray(model.estimator.predict(X))})
            table.to_csv(out, header=header, index=False)
            header, first_row = False, first_row + len(chunk)
    finally:
        if out is not sys.stdout:
            out.close()


def add_parser(commands: Any) -> None:
    run = commands.add_parser("predict", help="predict for a data file")
    run.add_argument("model", metavar="MODEL")
    run.add_argument("data", metavar="DATA")
    run.add_argument("--output", metavar="FILE",
                     help="CSV to write (default: standard output)")
    run.add_argument("--proba", action="store_true",
                     help="one column of probabilities per class")
    run.set_defaults(handler=predict)
