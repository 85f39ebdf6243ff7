"""Data files as tables, and a fitted estimator that takes tables.

`read_table` reads CSV, TSV, Parquet, .npy and .npz files (chosen by
extension) with pandas and pyarrow; `iter_table` reads them in chunks of
rows. `TableModel` is an MLPClassifier or MLPRegressor with the
preprocessing of its input columns: numeric columns standardised with the
training means and scales, string columns one-hot encoded with the training
categories (a category not seen in training encodes as all zeros). Its
model file is the estimator's file with kind "TableModel" and the
preprocessing in its fields; pymlp.load returns a TableModel.

Errors in the data raise TableError with a one-line message naming the
column and, for values, the first row (counted from 1, the header not
counted)."""
import math
import os
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

FIELDS_VERSION = 1
CSV_EXTENSIONS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
PARQUET_EXTENSIONS = (".parquet", ".pq")
NUMPY_EXTENSIONS = (".npy", ".npz")


class TableError(ValueError):
    """Bad data: a missing or unreadable file, a missing column, a value
    that cannot be used."""


def _pandas():
    try:
        import pandas
        import pyarrow  # noqa: F401  (Parquet)
    except ImportError:
        raise TableError('data files need pandas and pyarrow: pip install '
                         '"pymlp[cli]"') from None
    return pandas


def _extension(path: Any) -> str:
    ext = os.path.splitext(str(path))[1].lower()
    if ext not in CSV_EXTENSIONS and ext not in PARQUET_EXTENSIONS \
            and ext not in NUMPY_EXTENSIONS:
        raise TableError(f"{path}: unknown data file extension {ext!r}; "
                         "use .csv, .tsv, .parquet, .npy or .npz")
    if not os.path.isfile(path):
        raise TableError(f"{path}: no such file")
    if os.path.getsize(path) == 0:
        raise TableError(f"{path}: the file is empty")
    return ext


def _numpy_frame(pd, array, path):
    array = np.asarray(array)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise TableError(f"{path}: an array of shape {array.shape}, not a "
                         "table")
    return pd.DataFrame(array, columns=[str(i) for i in
                                        range(array.shape[1])])


def _read_numpy(pd, path, ext):
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise TableError(f"{path}: not a readable NumPy file ({e})") from None
    if ext == ".npy":
        return _numpy_frame(pd, data, path)
    with data:
        arrays = {name: data[name] for name in data.files}
    if len(arrays) == 1:
        return _numpy_frame(pd, next(iter(arrays.values())), path)
    # several arrays: each 1-D array is a column named after it
    lengths = {a.shape[0] if a.ndim else -1 for a in arrays.values()}
    if any(a.ndim != 1 for a in arrays.values()) or len(lengths) != 1:
        raise TableError(f"{path}: an .npz file of several arrays needs "
                         "1-D arrays of one length (one per column)")
    return pd.DataFrame(arrays)


def iter_table(path: Any, chunk_rows: Optional[int] = None) -> Iterator[Any]:
    """The table in `path` as pandas DataFrames of at most `chunk_rows` rows
    each (one DataFrame if None)."""
    pd = _pandas()
    ext = _extension(path)
    try:
        if ext in CSV_EXTENSIONS:
            reader = pd.read_csv(path, sep=CSV_EXTENSIONS[ext],
                                 chunksize=chunk_rows)
            if chunk_rows is None:
                yield reader
            else:
                with reader:
                    yield from reader
        elif ext in PARQUET_EXTENSIONS:
            import pyarrow.parquet as pq
            parquet = pq.ParquetFile(path)
            if chunk_rows is None:
                yield parquet.read().to_pandas()
            else:
                for batch in parquet.iter_batches(batch_size=chunk_rows):
                    yield batch.to_pandas()
        else:
            frame = _read_numpy(pd, path, ext)
            step = chunk_rows or max(len(frame), 1)
            for start in range(0, max(len(frame), 1), step):
                yield frame.iloc[start:start + step]
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: the file has no columns") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise TableError(f"{path}: not a readable table "
                         f"({str(e).strip().splitlines()[0]})") from None
    except Exception as e:
        if type(e).__module__.startswith("pyarrow"):
            raise TableError(f"{path}: not a readable Parquet file "
                             f"({e})") from None
        raise


def read_table(path: Any) -> Any:
    """The whole table in `path` as a pandas DataFrame."""
    frame = next(iter_table(path))
    if len(frame) == 0:
        raise TableError(f"{path}: the table has no rows")
    return frame


def _is_numeric(series: Any) -> bool:
    kind = series.dtype.kind
    return kind in "iuf"


def _numbers(series: Any, name: str, first_row: int) -> np.ndarray:
    """A column's values as float64, or TableError naming the first value
    that is not a number or is missing."""
    pd = _pandas()
    if series.dtype.kind == "b":
        series = series.astype(np.float64)
    values = pd.to_numeric(series, errors="coerce").to_numpy(np.float64)
    bad = np.isnan(values)
    if bad.any():
        i = int(np.argmax(bad))
        original = series.iloc[i]
        if original is None or (isinstance(original, float)
                                and math.isnan(original)):
            raise TableError(f"column {name!r} has a missing value (NaN) in "
                             f"row {first_row + i}")
        raise TableError(f"column {name!r} has a non-numeric value "
                         f"{original!r} in row {first_row + i}")
    return values


def _strings(series: Any, name: str, first_row: int) -> np.ndarray:
    missing = series.isna().to_numpy()
    if missing.any():
        raise TableError(f"column {name!r} has a missing value in row "
                         f"{first_row + int(np.argmax(missing))}")
    return series.astype(str).to_numpy()


def check_columns(frame: Any, names: List[str], path: Any = "the data") -> None:
    """Raise TableError naming the columns of `names` that `frame` (a
    DataFrame read from `path`) lacks."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise TableError(f"{path} lacks the column(s) "
                         f"{', '.join(map(repr, missing))}")


class TableModel:
    """A fitted MLPClassifier or MLPRegressor with the preprocessing of its
    input columns.

    Parameters
    ----------
    estimator : fitted MLPClassifier or MLPRegressor
        Trained on `encode(frame)`.
    features : list of dict
        One per input column, in the order of the encoded features:
        ``{"name", "kind": "numeric", "mean", "scale"}`` or
        ``{"name", "kind": "categorical", "categories"}``.
    target : str
        The name of the column the estimator predicts.
    """

    def __init__(self, estimator: Any, features: List[Dict[str, Any]],
                 target: str) -> None:
        self.estimator = estimator
        self.features = features
        self.target = target

    @classmethod
    def from_frame(cls, frame: Any, target: str) -> "TableModel":
        """An unfitted model (estimator None) whose preprocessing is
        learned from `frame`'s columns other than `target`."""
        features = []
        for name in frame.columns:
            if name == target:
                continue
            series = frame[name]
            if _is_numeric(series) or series.dtype.kind == "b":
                values = _numbers(series, str(name), 1)
                scale = float(values.std())
                features.append({"name": str(name), "kind": "numeric",
                                 "mean": float(values.mean()),
                                 "scale": scale if scale > 0 else 1.0})
            else:
                values = _strings(series, str(name), 1)
                features.append({"name": str(name), "kind": "categorical",
                                 "categories": sorted(set(values.tolist()))})
        if not features:
            raise TableError(f"the data has no column beside the target "
                             f"{target!r}")
        return cls(None, features, target)

    @property
    def is_classifier(self) -> bool:
        """Whether the estimator is a classifier (has ``classes_``)."""
        return hasattr(self.estimator, "classes_")

    @property
    def feature_names(self) -> List[str]:
        """The input columns' names, in the order of the features."""
        return [f["name"] for f in self.features]

    def encode(self, frame: Any, first_row: int = 1) -> np.ndarray:
        """The network's input for `frame`: array of shape (n_rows,
        n_encoded_features), columns matched by name. `first_row` numbers
        the frame's first row in error messages."""
        frame.columns = [str(c) for c in frame.columns]
        check_columns(frame, self.feature_names)
        blocks = []
        for f in self.features:
            series = frame[f["name"]]
            if f["kind"] == "numeric":
                values = _numbers(series, f["name"], first_row)
                blocks.append(((values - f["mean"]) / f["scale"])[:, None])
            else:
                values = _strings(series, f["name"], first_row)
                categories = np.array(f["categories"], dtype=object)
                # unseen categories match no column: all zeros
                blocks.append((values[:, None] == categories[None, :])
                              .astype(np.float64))
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))

    def predict(self, frame: Any) -> np.ndarray:
        """Predictions for a DataFrame holding the feature columns (any
        order, other columns ignored): array of shape (n_rows,)."""
        return self.estimator.predict(self.encode(frame))

    def predict_proba(self, frame: Any) -> np.ndarray:
        """Class probabilities, array of shape (n_rows, n_classes)
        (classification only)."""
        if not self.is_classifier:
            raise TableError("--proba needs a classification model")
        return self.estimator.predict_proba(self.encode(frame))

    @property
    def classes_(self):
        """The estimator's classes (classification only)."""
        return self.estimator.classes_

    def save(self, path: Any) -> None:
        """Write the model to one safetensors file, atomically."""
        from pymlp import serialization
        from pymlp.estimators import _files
        serialization.save(self.estimator._network(), path,
                           kind="TableModel", fields={
                               "version": FIELDS_VERSION,
                               "estimator_kind": self.estimator._file_kind,
                               "estimator": _files.fields_of(self.estimator),
                               "features": self.features,
                               "target": self.target})

    @classmethod
    def _from_file(cls, net: Any, fields: Any) -> "TableModel":
        from pymlp import estimators

        def expect(condition, message):
            if not condition:
                raise ValueError(f"the file's table fields: {message}")
        expect(fields.get("version") == FIELDS_VERSION,
               f"version {fields.get('version')!r}, this pymlp reads "
               f"{FIELDS_VERSION}")
        kind = fields.get("estimator_kind")
        expect(kind in ("MLPClassifier", "MLPRegressor"),
               f"estimator kind {kind!r}")
        expect(isinstance(fields.get("estimator"), dict),
               "no estimator fields")
        estimator = getattr(estimators, kind)._from_file(
            net, fields["estimator"])
        features, target = fields.get("features"), fields.get("target")
        expect(isinstance(target, str), f"target {target!r}")
        expect(isinstance(features, list) and features, "no features")
        width = 0
        for f in features:
            expect(isinstance(f, dict) and isinstance(f.get("name"), str),
                   f"feature {f!r}")
            if f.get("kind") == "numeric":
                expect(all(isinstance(f.get(k), (int, float))
                           and not isinstance(f.get(k), bool)
                           and math.isfinite(f[k]) for k in ("mean", "scale"))
                       and f["scale"] > 0, f"numeric feature {f!r}")
                width += 1
            else:
                cats = f.get("categories")
                expect(f.get("kind") == "categorical"
                       and isinstance(cats, list)
                       and all(isinstance(c, str) for c in cats),
                       f"categorical feature {f!r}")
                width += len(cats)
        expect(width == estimator.n_features_in_,
               f"the features encode to {width} inputs, the network takes "
               f"{estimator.n_features_in_}")
        return cls(estimator, features, target)
