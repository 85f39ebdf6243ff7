"""`pymlp predict MODEL DATA`: predictions for a data file, read in chunks
of rows so that memory stays bounded whatever the file's size. Columns
are matched by name; a category not seen in training encodes as all
zeros (or is an error with --unseen error).

With --output FILE the predictions go to a temporary file beside FILE,
renamed over it once every row is written: an error in a later chunk, or
Ctrl-C, leaves no partial file (and an older FILE as it was)."""
import argparse
import contextlib
import os
import sys
from typing import Any, Iterator, Optional, TextIO

import numpy as np

from pymlp.io.tables import check_output

CHUNK_ROWS = 50_000

UNSEEN_HELP = ("what a category the model did not see in training gives: "
               "'zeros' (default) encodes it as all zeros, as if the column "
               "had none of the known values; 'error' stops with an error "
               "naming the column, the value and its row")


@contextlib.contextmanager
def _output(path: Optional[str]) -> Iterator[TextIO]:
    """Standard output (path None), or a temporary file beside `path`
    renamed over it when the block ends without an exception (removed
    otherwise). A path that exists and is not a regular file (/dev/stdout,
    a FIFO) is written directly."""
    if path is None:
        yield sys.stdout
        return
    if os.path.exists(path) and not os.path.isfile(path) \
            and not os.path.isdir(path):
        with open(path, "w", newline="") as f:
            yield f
        return
    check_output(path)
    directory, base = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{base}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", newline="") as f:
            yield f
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def predict(args: argparse.Namespace) -> None:
    import pandas as pd
    import pymlp
    from pymlp.io.tables import TableError, TableModel, iter_table
    model = pymlp.load(args.model)
    if not isinstance(model, TableModel):
        raise TableError(f"{args.model} holds a {type(model).__name__}, not "
                         "a model trained by pymlp train")
    if args.proba and not model.is_classifier:
        raise TableError("--proba needs a classification model")
    columns = ([str(c) for c in model.classes_] if args.proba
               else ["prediction"])
    with _output(args.output) as out:
        first_row, header = 1, True
        for chunk in iter_table(args.data, CHUNK_ROWS):
            X = model.encode(chunk, first_row, unseen=args.unseen)
            if len(X) == 0:
                continue
            if args.proba:
                table = pd.DataFrame(model.estimator.predict_proba(X),
                                     columns=columns)
            else:
                table = pd.DataFrame(
                    {"prediction": np.asarray(model.predict_encoded(X))})
            table.to_csv(out, header=header, index=False)
            header, first_row = False, first_row + len(chunk)
        if header:  # no rows: the header alone
            pd.DataFrame(columns=columns).to_csv(out, index=False)


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "predict", help="predict for a data file",
        description="Write a CSV of predictions for the rows of DATA: one "
        "column 'prediction', or with --proba one column of probabilities "
        "per class. DATA's columns are matched to the model's by name (any "
        "order, other columns ignored); a missing column is an error. DATA "
        "is read in chunks of rows, so files larger than memory can be "
        "scored.")
    run.add_argument("model", metavar="MODEL")
    run.add_argument("data", metavar="DATA",
                     help=".csv, .tsv, .parquet, .npy or .npz (see pymlp "
                     "train --help for the column names of arrays)")
    run.add_argument("--output", metavar="FILE",
                     help="CSV to write (default: standard output); written "
                     "in full or not at all")
    run.add_argument("--proba", action="store_true",
                     help="one column of probabilities per class")
    run.add_argument("--unseen", choices=["zeros", "error"], default="zeros",
                     help=UNSEEN_HELP)
    run.set_defaults(handler=predict)
