"""Data files as tables, and a fitted estimator that takes tables.

`read_table` reads CSV, TSV, Parquet, .npy and .npz files (chosen by
extension) with pandas and pyarrow; `iter_table` reads them in chunks of
rows. `TableModel` is an MLPClassifier or MLPRegressor with the
preprocessing of its input columns: numeric columns standardised with the
training means and scales, string columns one-hot encoded with the training
categories (a category not seen in training encodes as all zeros, or is
an error with unseen="error"). Its
model file is the estimator's file with kind "TableModel" and the
preprocessing in its fields; pymlp.load returns a TableModel.

Errors in the data raise TableError with a one-line message naming the
column and, for values, the first row (counted from 1, the header not
counted)."""
import contextlib
import math
import os
import zipfile
from typing import Any, Dict, Iterator, List, Optional, Tuple

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


def check_output(path: Any) -> None:
    """TableError unless `path` can be written as a file: its directory
    exists and it is not itself a directory. Checked before the work, so
    that a long run does not end on a typo."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise TableError(f"{path}: no such directory {directory}")
    if os.path.isdir(path):
        raise TableError(f"{path} is a directory")


class _Array:
    """One array of a .npy file, or of a member of an .npz file, read from
    an open binary stream in chunks of rows: only its header is read until
    chunks are asked for."""

    def __init__(self, stream, where):
        fmt = np.lib.format
        self.stream, self.where = stream, where
        try:
            version = fmt.read_magic(stream)
            read = (fmt.read_array_header_1_0 if version == (1, 0)
                    else fmt.read_array_header_2_0)
            self.shape, self.fortran, self.dtype = read(stream)
        except ValueError as e:
            raise TableError(f"{where}: not a readable NumPy array "
                             f"({e})") from None
        if self.dtype.hasobject:
            raise TableError(f"{where}: an array of Python objects; a table "
                             "needs numbers, strings or records")
        if len(self.shape) not in (1, 2) or (
                self.dtype.names is not None and len(self.shape) != 1):
            raise TableError(f"{where}: an array of shape {self.shape}, not "
                             "a table")
        if self.dtype.names is not None and any(
                self.dtype[name].shape for name in self.dtype.names):
            raise TableError(f"{where}: a record array with array fields, "
                             "not a table")
        self.rows = self.shape[0]

    def columns(self, name=None):
        """The column names: a record array's field names; a 2-D array's
        column numbers "0", "1", ...; a 1-D array's `name`, or "0"."""
        if self.dtype.names is not None:
            return list(self.dtype.names)
        if len(self.shape) == 1:
            return [name if name is not None else "0"]
        return [str(j) for j in range(self.shape[1])]

    def chunks(self, chunk_rows):
        """The rows as arrays of at most chunk_rows rows (a single empty
        array if there are none)."""
        row_items = self.shape[1] if len(self.shape) == 2 else 1
        whole = None
        if self.fortran and row_items > 1:
            # column-major: rows are not contiguous, read it whole
            whole = self._read(self.rows * row_items).reshape(
                self.shape, order="F")
        for start in range(0, max(self.rows, 1), chunk_rows):
            m = min(chunk_rows, self.rows - start)
            yield (whole[start:start + m] if whole is not None else
                   self._read(m * row_items).reshape((m,) + self.shape[1:]))

    def _read(self, items):
        size = items * self.dtype.itemsize
        data = self.stream.read(size)
        if len(data) < size:
            raise TableError(f"{self.where}: the file is truncated (it ends "
                             f"before the {self.shape} array's last value)")
        array = np.frombuffer(data, dtype=self.dtype, count=items)
        if not array.dtype.isnative:  # pandas takes native byte order
            array = array.astype(array.dtype.newbyteorder("="))
        return array


def _array_frame(pd, array, columns):
    if array.dtype.names is not None:
        return pd.DataFrame(array)
    return pd.DataFrame(array.reshape(len(array), len(columns)),
                        columns=columns)


def _iter_numpy(pd, path, ext, chunk_rows):
    """The frames of a .npy or .npz file, chunk_rows rows each (all rows at
    once if None). A .npy array, or an .npz holding one array: a record
    array's fields are the columns, named after them; a 2-D array's columns
    are named "0", "1", ...; a 1-D array is one column "0". An .npz of
    several arrays of one length: each array gives its columns as above,
    except that a 1-D array's column is named after the array (as given to
    np.savez), so that np.savez(f, X=X, y=y) holds the columns "0", "1",
    ... and "y"."""
    with contextlib.ExitStack() as stack:
        if ext == ".npy":
            stream = stack.enter_context(open(path, "rb"))
            arrays = {None: _Array(stream, path)}
        else:
            try:
                archive = stack.enter_context(zipfile.ZipFile(path))
                names = archive.namelist()
            except (zipfile.BadZipFile, OSError) as e:
                raise TableError(f"{path}: not a readable .npz file "
                                 f"({e})") from None
            if not names or not all(n.endswith(".npy") for n in names):
                raise TableError(f"{path}: not an .npz file of arrays "
                                 f"(it holds {', '.join(names) or 'nothing'})")
            arrays = {}
            for member in names:
                stream = stack.enter_context(archive.open(member))
                arrays[member[:-4] if len(names) > 1 else None] = \
                    _Array(stream, f"{path}: {member}")
        columns = {key: a.columns(key) for key, a in arrays.items()}
        flat = [c for names in columns.values() for c in names]
        repeated = sorted({c for c in flat if flat.count(c) > 1})
        if repeated:
            raise TableError(f"{path}: the arrays give several columns named "
                             f"{', '.join(map(repr, repeated))}")
        lengths = {a.rows for a in arrays.values()}
        if len(lengths) > 1:
            raise TableError(f"{path}: the arrays have different numbers of "
                             f"rows ({', '.join(map(str, sorted(lengths)))})")
        step = chunk_rows or max(lengths.pop(), 1)
        parts = zip(*(a.chunks(step) for a in arrays.values()))
        for chunk in parts:
            frames = [_array_frame(pd, array, columns[key])
                      for key, array in zip(arrays, chunk)]
            yield (frames[0] if len(frames) == 1
                   else pd.concat(frames, axis=1))


def _parquet_chunks(parquet: Any, chunk_rows: int) -> Iterator[Any]:
    """The frames of a Parquet file, chunk_rows rows each, reading one row
    group at a time: memory is bounded by the larger of a row group and a
    chunk. (ParquetFile.iter_batches holds more as the file grows: with
    pyarrow 26, batches of 50,000 rows and row groups of 25,000, Arrow's
    allocations peaked at 9 MiB for 60,000 rows and 17 MiB for 960,000.)"""
    import pyarrow as pa
    schema = parquet.schema_arrow

    def pa_table(batches):
        return pa.Table.from_batches(batches, schema=schema)
    pending: List[Any] = []
    for i in range(parquet.num_row_groups):
        group = parquet.read_row_group(i, use_threads=False)
        pending.extend(group.to_batches())
        del group
        while sum(len(b) for b in pending) >= chunk_rows:
            table = pa_table(pending)
            yield table.slice(0, chunk_rows).to_pandas()
            pending = table.slice(chunk_rows).to_batches()
    rest = pa_table(pending)
    if len(rest) or parquet.metadata.num_rows == 0:
        yield rest.to_pandas()


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
                yield from _parquet_chunks(parquet, chunk_rows)
        else:
            yield from _iter_numpy(pd, path, ext, chunk_rows)
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


def standardisation(values: np.ndarray) -> Tuple[float, float]:
    """(mean, scale) that map values to mean 0 and standard deviation 1; a
    constant column keeps scale 1, so that it maps to 0."""
    scale = float(values.std())
    return float(values.mean()), scale if scale > 0 else 1.0


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
    target_scaling : tuple of float (mean, scale), optional
        Regression only: the estimator learned ``(y - mean) / scale``, and
        predictions are mapped back to the target's units. None (the
        default): the estimator predicts the target as it is.
    """

    def __init__(self, estimator: Any, features: List[Dict[str, Any]],
                 target: str,
                 target_scaling: Optional[Tuple[float, float]] = None
                 ) -> None:
        self.estimator = estimator
        self.features = features
        self.target = target
        self.target_scaling = target_scaling

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
                mean, scale = standardisation(_numbers(series, str(name), 1))
                features.append({"name": str(name), "kind": "numeric",
                                 "mean": mean, "scale": scale})
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

    def encode(self, frame: Any, first_row: int = 1,
               unseen: str = "zeros") -> np.ndarray:
        """The network's input for `frame`: array of shape (n_rows,
        n_encoded_features), columns matched by name (the frame is not
        changed). `first_row` numbers the frame's first row in error
        messages. A category not seen in training encodes as all zeros
        (`unseen="zeros"`) or raises TableError (`unseen="error"`)."""
        if unseen not in ("zeros", "error"):
            raise ValueError(f"unseen={unseen!r}; use 'zeros' or 'error'")
        by_name = {str(c): c for c in frame.columns}
        missing = [n for n in self.feature_names if n not in by_name]
        if missing:
            raise TableError(f"the data lacks the column(s) "
                             f"{', '.join(map(repr, missing))}")
        encoded = np.empty((len(frame), self.n_inputs))
        j = 0
        for f in self.features:
            series = frame[by_name[f["name"]]]
            if f["kind"] == "numeric":
                values = _numbers(series, f["name"], first_row)
                encoded[:, j] = (values - f["mean"]) / f["scale"]
                j += 1
                continue
            values = _strings(series, f["name"], first_row)
            categories = np.array(f["categories"], dtype=object)
            # unseen categories match no column: all zeros
            one_hot = values[:, None] == categories[None, :]
            if unseen == "error" and len(values):
                known = one_hot.any(axis=1)
                if not known.all():
                    i = int(np.argmin(known))
                    raise TableError(
                        f"column {f['name']!r} has a category "
                        f"{values[i]!r} in row {first_row + i} that the "
                        "model did not see in training")
            encoded[:, j:j + len(categories)] = one_hot
            j += len(categories)
        return encoded

    @property
    def n_inputs(self) -> int:
        """The width of the encoded input: one per numeric column, one per
        category of each categorical column."""
        return sum(1 if f["kind"] == "numeric" else len(f["categories"])
                   for f in self.features)

    def predict(self, frame: Any, unseen: str = "zeros") -> np.ndarray:
        """Predictions for a DataFrame holding the feature columns (any
        order, other columns ignored): array of shape (n_rows,). `unseen`
        as for `encode`."""
        return self.predict_encoded(self.encode(frame, unseen=unseen))

    def predict_encoded(self, X: np.ndarray) -> np.ndarray:
        """Predictions, in the target's units, for rows already encoded by
        `encode`."""
        predicted = self.estimator.predict(X)
        if self.target_scaling is None:
            return predicted
        mean, scale = self.target_scaling
        return predicted * scale + mean

    def scale_target(self, y: np.ndarray) -> np.ndarray:
        """The regression target as the estimator learns it: standardised
        when `target_scaling` is set."""
        if self.target_scaling is None:
            return y
        mean, scale = self.target_scaling
        return (y - mean) / scale

    def predict_proba(self, frame: Any, unseen: str = "zeros") -> np.ndarray:
        """Class probabilities, array of shape (n_rows, n_classes), in the
        order of `classes_` (classification only)."""
        if not self.is_classifier:
            raise TableError("predict_proba needs a classification model")
        return self.estimator.predict_proba(self.encode(frame,
                                                        unseen=unseen))

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
                               "target": self.target,
                               "target_scaling": self.target_scaling})

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
        scaling = fields.get("target_scaling")
        expect(scaling is None or (
            kind == "MLPRegressor" and isinstance(scaling, list)
            and len(scaling) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in scaling)
            and scaling[1] > 0), f"target scaling {scaling!r}")
        return cls(estimator, features, target,
                   None if scaling is None else (scaling[0], scaling[1]))
