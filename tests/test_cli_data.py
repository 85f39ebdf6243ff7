"""`pymlp train`, `predict`, `evaluate` and `info MODEL` on data files the
tests write, run as subprocesses from a temporary directory."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import pymlp  # noqa: E402

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    pymlp.__file__)))


def run(cwd, *args):
    env = os.environ.copy()
    env["PYTHONPATH"] = PACKAGE_ROOT
    return subprocess.run([sys.executable, "-m", "pymlp", *args],
                          capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": 10 + 5 * rng.normal(
        size=n), "c": rng.choice(["x", "y", "z"], n)})
    df["label"] = np.where(df.a + (df.c == "x") > 0.3, "yes", "no")
    df["y"] = 2 * df.a - 0.1 * df.b + (df.c == "x")
    return df


@pytest.fixture
def tmp(tmp_path):
    df = frame()
    df.drop(columns="y").to_csv(tmp_path / "cls.csv", index=False)
    df.drop(columns="label").to_parquet(tmp_path / "reg.parquet")
    return tmp_path


def assert_error(result, *words):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_classification_train_predict_evaluate(tmp):
    result = run(tmp, "train", "cls.csv", "--target", "label", "--output",
                 "m.safetensors", "--epochs", "100", "--validation-split",
                 "0.2", "--hidden", "16,16", "--lr", "0.01")
    assert result.returncode == 0, result.stderr
    assert "classification" in result.stdout
    assert "validation accuracy" in result.stdout
    out = run(tmp, "predict", "m.safetensors", "cls.csv")
    assert out.returncode == 0, out.stderr
    predicted = pd.read_csv(io.StringIO(out.stdout))
    assert list(predicted.columns) == ["prediction"]
    assert len(predicted) == 200
    assert set(predicted.prediction) <= {"yes", "no"}
    # the loaded model takes a DataFrame with the columns in any order
    model = pymlp.load(tmp / "m.safetensors")
    df = pd.read_csv(tmp / "cls.csv")[["c", "label", "b", "a"]]
    assert list(model.predict(df)) == list(predicted.prediction)
    proba = run(tmp, "predict", "m.safetensors", "cls.csv", "--proba",
                "--output", "p.csv")
    assert proba.returncode == 0, proba.stderr
    p = pd.read_csv(tmp / "p.csv")
    assert list(p.columns) == ["no", "yes"]
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)
    ev = run(tmp, "evaluate", "m.safetensors", "cls.csv", "--target",
             "label")
    assert ev.returncode == 0, ev.stderr
    accuracy = float(ev.stdout.split("accuracy:")[1].split()[0])
    assert accuracy > 0.8
    assert "log-loss:" in ev.stdout
    info = run(tmp, "info", "m.safetensors")
    assert info.returncode == 0, info.stderr
    assert "classes: ['no', 'yes']" in info.stdout
    assert "feature c: categorical" in info.stdout


def test_regression_parquet_and_unseen_category(tmp):
    result = run(tmp, "train", "reg.parquet", "--target", "y", "--output",
                 "r.safetensors", "--epochs", "150", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    ev = run(tmp, "evaluate", "r.safetensors", "reg.parquet", "--target",
             "y")
    assert ev.returncode == 0, ev.stderr
    assert float(ev.stdout.split("R^2:")[1].split()[0]) > 0.9
    assert "MSE:" in ev.stdout and "MAE:" in ev.stdout
    # unseen category: all-zero one-hot, no error
    df = frame(5, seed=1).drop(columns=["label", "y"])
    df.loc[0, "c"] = "never seen"
    df[["b", "c", "a"]].to_csv(tmp / "new.csv", index=False)
    out = run(tmp, "predict", "r.safetensors", "new.csv")
    assert out.returncode == 0, out.stderr
    assert len(pd.read_csv(io.StringIO(out.stdout))) == 5


def test_predict_streams_in_chunks(tmp, monkeypatch):
    from pymlp.cli import predict
    from pymlp.io import tables
    assert run(tmp, "train", "cls.csv", "--target", "label", "--output",
               "m.safetensors", "--epochs", "5").returncode == 0
    big = frame(2500, seed=2).drop(columns="y")
    big.to_csv(tmp / "big.csv", index=False)
    seen = []
    original = tables.TableModel.encode

    def encode(self, chunk, first_row=1, **options):
        seen.append(len(chunk))
        return original(self, chunk, first_row, **options)
    monkeypatch.setattr(tables.TableModel, "encode", encode)
    monkeypatch.setattr(predict, "CHUNK_ROWS", 1000)
    from pymlp.cli import main
    assert main(["predict", str(tmp / "m.safetensors"), str(tmp / "big.csv"),
                 "--output", str(tmp / "out.csv")]) == 0
    assert seen == [1000, 1000, 500]
    assert len(pd.read_csv(tmp / "out.csv")) == 2500


def test_bad_input(tmp):
    df = frame(20).drop(columns="y")
    df.loc[7, "a"] = np.nan
    df.to_csv(tmp / "nan.csv", index=False)
    with_text = frame(20).drop(columns="y").astype({"b": object})
    with_text.loc[3, "b"] = "oops"
    with_text.to_csv(tmp / "text.csv", index=False)
    (tmp / "empty.csv").write_text("")
    (tmp / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00junk")
    train = ["train", "--output", "m.safetensors", "--epochs", "5"]
    assert_error(run(tmp, *train, "nope.csv", "--target", "label"),
                 "no such file")
    assert_error(run(tmp, *train, "empty.csv", "--target", "label"), "empty")
    assert_error(run(tmp, *train, "cls.csv", "--target", "zzz"), "zzz")
    assert_error(run(tmp, *train, "nan.csv", "--target", "label"),
                 "'a'", "row 8")
    assert_error(run(tmp, *train, "cls.csv", "--target", "label",
                     "--task", "regression"), "label", "non-numeric")
    assert_error(run(tmp, *train, "cls.csv", "--target", "label",
                     "--hidden", "10,x"), "--hidden")
    assert_error(run(tmp, *train, "cls.csv", "--target", "label",
                     "--lr", "-1"), "--lr")
    assert not (tmp / "m.safetensors").exists()
    assert_error(run(tmp, "predict", "bad.safetensors", "cls.csv"),
                 "bad.safetensors")
    assert_error(run(tmp, "info", "bad.safetensors"), "bad.safetensors")
    assert run(tmp, *train, "cls.csv", "--target", "label").returncode == 0
    assert_error(run(tmp, "predict", "m.safetensors", "text.csv"),
                 "'b'", "'oops'", "row 4")
    frame(5).drop(columns=["a", "y"]).to_csv(tmp / "noa.csv", index=False)
    assert_error(run(tmp, "predict", "m.safetensors", "noa.csv"), "'a'")
    assert_error(run(tmp, "evaluate", "m.safetensors", "cls.csv",
                     "--target", "nope"), "nope")
