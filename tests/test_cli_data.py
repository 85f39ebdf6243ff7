"""`pymlp train`, `predict`, `evaluate` and `info MODEL` on data files the
tests write. Most tests call the command's main function in the test's
process (its return value is the exit status); the properties of a real
process (no traceback, a terminal, Ctrl-C, a closed pipe, peak memory) are
tested on `python -m pymlp` run from a temporary directory."""
import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
pytest.importorskip("sklearn")

import pymlp  # noqa: E402
from pymlp.cli import main  # noqa: E402

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    pymlp.__file__)))


def run(cwd, *args, **options):
    """`python -m pymlp ARGS` in `cwd`: the CompletedProcess."""
    env = os.environ.copy()
    env["PYTHONPATH"] = PACKAGE_ROOT
    return subprocess.run([sys.executable, "-m", "pymlp", *args],
                          capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120, **options)


def cli(*args):
    """main(ARGS) in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return status, out.getvalue(), err.getvalue()


def frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": 10 + 5 * rng.normal(
        size=n), "c": rng.choice(["x", "y", "z"], n)})
    df["label"] = np.where(df.a + (df.c == "x") > 0.3, "yes", "no")
    df["y"] = 2 * df.a - 0.1 * df.b + (df.c == "x")
    return df


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A directory with cls.csv (classification) and reg.parquet
    (regression), and the models trained on them once, cls.safetensors and
    reg.safetensors; with the two runs' (status, stdout, stderr)."""
    tmp = tmp_path_factory.mktemp("data")
    df = frame()
    df.drop(columns="y").to_csv(tmp / "cls.csv", index=False)
    df.drop(columns="label").to_parquet(tmp / "reg.parquet")
    outputs = [
        cli("train", tmp / "cls.csv", "--target", "label", "--output",
            tmp / "cls.safetensors", "--epochs", "100", "--validation-split",
            "0.2", "--hidden", "16,16", "--lr", "0.01"),
        cli("train", tmp / "reg.parquet", "--target", "y", "--output",
            tmp / "reg.safetensors", "--epochs", "150", "--quiet")]
    return tmp, outputs


@pytest.fixture(scope="module")
def data(trained):
    return trained[0]


def assert_error(result, *words):
    """An exit status of 2 and one line on stderr holding `words`, from
    cli() or run()."""
    status, out, err = (result if isinstance(result, tuple) else
                        (result.returncode, result.stdout, result.stderr))
    assert status == 2, (out, err)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def test_classification_train_predict_evaluate(trained):
    data, outputs = trained
    status, out, err = outputs[0]
    assert status == 0, err
    assert "classification" in out and "validation accuracy" in out
    assert err == ""  # no progress bar: stderr is not a terminal
    status, out, err = cli("predict", data / "cls.safetensors",
                           data / "cls.csv")
    assert status == 0, err
    predicted = pd.read_csv(io.StringIO(out))
    assert list(predicted.columns) == ["prediction"]
    assert len(predicted) == 200
    assert set(predicted.prediction) <= {"yes", "no"}
    # the loaded model takes a DataFrame with the columns in any order
    model = pymlp.load(data / "cls.safetensors")
    df = pd.read_csv(data / "cls.csv")[["c", "label", "b", "a"]]
    assert list(model.predict(df)) == list(predicted.prediction)
    assert list(df.columns) == ["c", "label", "b", "a"]  # left as it was
    status, out, err = cli("predict", data / "cls.safetensors",
                           data / "cls.csv", "--proba", "--output",
                           data / "p.csv")
    assert (status, out, err) == (0, "", "")
    p = pd.read_csv(data / "p.csv")
    assert list(p.columns) == ["no", "yes"]
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(p.to_numpy(), model.predict_proba(df))
    status, out, err = cli("evaluate", data / "cls.safetensors",
                           data / "cls.csv", "--target", "label")
    assert status == 0, err
    accuracy = float(out.split("accuracy:")[1].split()[0])
    assert accuracy > 0.8
    assert "log-loss:" in out and "rows: 200" in out
    status, out, err = cli("info", data / "cls.safetensors")
    assert status == 0, err
    assert "classes: ['no', 'yes']" in out
    assert "feature c: categorical" in out


def test_regression_parquet_and_unseen_category(trained):
    data, outputs = trained
    assert outputs[1] == (0, "", "")  # --quiet
    status, out, err = cli("evaluate", data / "reg.safetensors",
                           data / "reg.parquet", "--target", "y")
    assert status == 0, err
    assert float(out.split("R^2:")[1].split()[0]) > 0.9
    assert "MSE:" in out and "MAE:" in out
    # unseen category: all-zero one-hot by default, an error on request
    df = frame(5, seed=1).drop(columns=["label", "y"])
    df.loc[3, "c"] = "never seen"
    df[["b", "c", "a"]].to_csv(data / "new.csv", index=False)
    status, out, err = cli("predict", data / "reg.safetensors",
                           data / "new.csv")
    assert status == 0, err
    predicted = pd.read_csv(io.StringIO(out)).prediction.to_numpy()
    model = pymlp.load(data / "reg.safetensors")
    X = model.encode(df)
    np.testing.assert_array_equal(X[3, 2:], 0)
    np.testing.assert_allclose(predicted, model.predict_encoded(X))
    assert_error(cli("predict", data / "reg.safetensors", data / "new.csv",
                     "--unseen", "error"), "'c'", "'never seen'", "row 4")
    with pytest.raises(ValueError, match="never seen"):
        model.predict(df, unseen="error")


def test_regression_target_in_any_units(data):
    # prices in the hundreds of thousands train with the default learning
    # rate as well as a target near 1 does: the target is standardised and
    # predictions come back in its units
    df = frame(400, seed=2).drop(columns="label")
    df["y"] = 1e5 * df.y + 5e5
    df.to_csv(data / "big.csv", index=False)
    status, out, err = cli("train", data / "big.csv", "--target", "y",
                           "--output", data / "big.safetensors",
                           "--epochs", "150")
    assert status == 0, err
    assert "(standardised target)" in out
    model = pymlp.load(data / "big.safetensors")
    mean, scale = model.target_scaling
    assert mean == pytest.approx(df.y.mean())
    assert scale == pytest.approx(df.y.std(ddof=0))
    status, out, err = cli("evaluate", data / "big.safetensors",
                           data / "big.csv", "--target", "y")
    assert status == 0, err
    assert float(out.split("R^2:")[1].split()[0]) > 0.9
    status, out, err = cli("predict", data / "big.safetensors",
                           data / "big.csv")
    predicted = pd.read_csv(io.StringIO(out)).prediction.to_numpy()
    np.testing.assert_allclose(predicted, model.predict(df), rtol=1e-12)
    raw = model.estimator.predict(model.encode(df))
    np.testing.assert_allclose(predicted, raw * scale + mean, rtol=1e-12)
    status, out, err = cli("info", data / "big.safetensors")
    assert "target standardised: mean" in out


def test_numpy_files(data):
    """A 2-D array's columns are "0", "1", ...; in an .npz of several
    arrays a 1-D array is a column named after it."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] - X[:, 2] > 0, 1, 0)
    np.save(data / "xy.npy", np.column_stack([X, y]))
    np.savez(data / "xy.npz", X=X, y=y)
    np.save(data / "x.npy", X)
    for name, target in [("xy.npy", "3"), ("xy.npz", "y")]:
        model = data / f"{name}.safetensors"
        status, out, err = cli("train", data / name, "--target", target,
                               "--output", model, "--epochs", "50",
                               "--hidden", "8", "--lr", "0.01")
        assert status == 0, err
        assert "classification on 300 rows, 3 inputs" in out
        status, out, err = cli("evaluate", model, data / name,
                               "--target", target)
        assert status == 0, err
        assert float(out.split("accuracy:")[1].split()[0]) > 0.9
        status, out, err = cli("predict", model, data / "x.npy")
        assert status == 0, err
        predicted = pd.read_csv(io.StringIO(out)).prediction.to_numpy()
        columns = pd.DataFrame(X[:, ::-1], columns=["2", "1", "0"])
        np.testing.assert_array_equal(predicted,
                                      pymlp.load(model).predict(columns))
        assert np.mean(predicted == y) > 0.9
    # string columns and a record array
    records = np.zeros(300, dtype=[("p", "f8"), ("q", "U5"), ("t", "f8")])
    records["p"], records["q"] = X[:, 0], np.where(y, "one", "other")
    records["t"] = X[:, 0] + X[:, 1]
    np.save(data / "rec.npy", records)
    status, out, err = cli("train", data / "rec.npy", "--target", "t",
                           "--output", data / "rec.safetensors",
                           "--epochs", "5")
    assert status == 0, err
    assert "regression on 300 rows, 3 inputs" in out
    np.savez(data / "clash.npz", X=X, Z=X)
    assert_error(cli("train", data / "clash.npz", "--target", "0",
                     "--output", data / "x.safetensors"), "'0'")
    np.save(data / "cube.npy", np.zeros((2, 2, 2)))
    assert_error(cli("predict", data / "xy.npz.safetensors",
                     data / "cube.npy"), "(2, 2, 2)")


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".npy", ".npz"])
def test_predict_streams_in_chunks(data, ext, monkeypatch):
    from pymlp.cli import predict
    from pymlp.io import tables
    big = frame(2500, seed=2).drop(columns=["y", "label"])
    path, model = data / f"big{ext}", data / "cls.safetensors"
    if ext == ".csv":
        big.to_csv(path, index=False)
    elif ext == ".parquet":
        big.to_parquet(path, row_group_size=700)
    else:  # arrays of numbers: a model of numeric columns "0", "1", "2"
        X = big[["a", "b"]].to_numpy()
        X = np.column_stack([X, X[:, 0] + X[:, 1]])
        if ext == ".npy":
            np.save(path, X)
        else:
            np.savez_compressed(path, X=X, extra=np.arange(2500))
        np.save(data / "c.npy", np.column_stack([X, X[:, 0] > 0]))
        model = data / "c.safetensors"
        assert cli("train", data / "c.npy", "--target", "3", "--output",
                   model, "--epochs", "2")[0] == 0
    seen = []
    original = tables.TableModel.encode

    def encode(self, chunk, first_row=1, **options):
        seen.append((first_row, len(chunk)))
        return original(self, chunk, first_row, **options)
    monkeypatch.setattr(tables.TableModel, "encode", encode)
    monkeypatch.setattr(predict, "CHUNK_ROWS", 1000)
    status, out, err = cli("predict", model, path, "--output",
                           data / "out.csv")
    assert status == 0, err
    assert seen == [(1, 1000), (1001, 1000), (2001, 500)]
    assert len(pd.read_csv(data / "out.csv")) == 2500


def test_bad_input(data):
    df = frame(20).drop(columns="y")
    df.loc[7, "a"] = np.nan
    df.to_csv(data / "nan.csv", index=False)
    with_text = frame(20).drop(columns="y").astype({"b": object})
    with_text.loc[3, "b"] = "oops"
    with_text.to_csv(data / "text.csv", index=False)
    (data / "empty.csv").write_text("")
    (data / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00junk")
    model = data / "m.safetensors"
    train = ["train", "--output", model, "--epochs", "5"]
    assert_error(cli(*train, data / "nope.csv", "--target", "label"),
                 "no such file")
    assert_error(cli(*train, data / "empty.csv", "--target", "label"),
                 "empty")
    assert_error(cli(*train, data / "cls.csv", "--target", "zzz"), "zzz")
    assert_error(cli(*train, data / "nan.csv", "--target", "label"),
                 "'a'", "row 8")
    assert_error(cli(*train, data / "cls.csv", "--target", "label",
                     "--task", "regression"), "label", "non-numeric")
    for option, value in [("--hidden", "10,x"), ("--lr", "-1"),
                          ("--epochs", "0"), ("--threads", "0"),
                          ("--activation", "cubic")]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e:
            main([str(a) for a in train + [data / "cls.csv", "--target",
                                           "label", option, value]])
        assert e.value.code == 2, option
        assert len(err.getvalue().strip().splitlines()) == 1, option
        assert option in err.getvalue(), option
    assert_error(cli(*train, data / "cls.csv", "--target", "label",
                     "--validation-split", "1.5"), "validation-split")
    assert_error(cli(*train, data / "cls.csv", "--target", "label",
                     "--validation-split", "0.9999"), "validation-split")
    assert_error(cli("train", data / "cls.csv", "--target", "label",
                     "--output", data / "no" / "m.safetensors"),
                 "no such directory")
    assert_error(cli("train", data / "cls.csv", "--target", "label",
                     "--output", data), "is a directory")
    assert not model.exists()
    assert_error(cli("predict", data / "bad.safetensors", data / "cls.csv"),
                 "bad.safetensors")
    assert_error(cli("info", data / "bad.safetensors"), "bad.safetensors")
    assert_error(cli("predict", data / "cls.safetensors", data / "text.csv"),
                 "'b'", "'oops'", "row 4")
    frame(5).drop(columns=["a", "y"]).to_csv(data / "noa.csv", index=False)
    assert_error(cli("predict", data / "cls.safetensors", data / "noa.csv"),
                 "'a'")
    assert_error(cli("evaluate", data / "cls.safetensors", data / "cls.csv",
                     "--target", "nope"), "nope")
    assert_error(cli("predict", data / "reg.safetensors", data / "cls.csv",
                     "--proba"), "--proba")
    assert_error(cli("predict", data / "cls.safetensors", data / "cls.csv",
                     "--output", data / "no" / "such" / "dir.csv"), "dir.csv")
    # the same from a real process: one line, no traceback
    assert_error(run(data, "predict", "bad.safetensors", "cls.csv"),
                 "bad.safetensors")
    assert_error(run(data, "train", "nan.csv", "--target", "label",
                     "--output", "m.safetensors"), "'a'", "row 8")
    assert not model.exists()


MISSING_EXTRA = """
import sys
from pymlp.cli import main
sys.modules["pandas"] = sys.modules["sklearn"] = None  # not installed
train = ["train", "cls.csv", "--target", "label", "--output", "x.safetensors"]
assert main(train) == 2
del sys.modules["pandas"]
assert main(train) == 2
assert main(["evaluate", "cls.safetensors", "cls.csv", "--target", "y"]) == 2
"""


def test_missing_extra_is_named(data):
    result = subprocess.run(
        [sys.executable, "-c", MISSING_EXTRA], cwd=data, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    assert all('pip install "pymlp[cli]"' in line for line in lines), lines
    assert "pandas" in lines[0] and "sklearn" in lines[1], lines
    assert not (data / "x.safetensors").exists()


def test_odd_but_valid_inputs(data):
    """A header without rows gives a header; Fortran-order and big-endian
    arrays read as any other."""
    (data / "header.csv").write_text("a,b,c\n")
    status, out, err = cli("predict", data / "cls.safetensors",
                           data / "header.csv")
    assert (status, out, err) == (0, "prediction\n", "")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(50, 3))
    np.save(data / "plain.npy", X)
    np.save(data / "fortran.npy", np.asfortranarray(X))
    np.save(data / "big-endian.npy", X.astype(">f8"))
    model = data / "arrays.safetensors"
    assert cli("train", data / "plain.npy", "--target", "2", "--output",
               model, "--epochs", "3")[0] == 0
    outputs = [cli("predict", model, data / name)
               for name in ["plain.npy", "fortran.npy", "big-endian.npy"]]
    assert outputs[0][0] == 0 and outputs[0][1].count("\n") == 51
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


def test_error_in_a_later_chunk(data):
    """NaN in row 150,000: with --output no file is left (an older one
    stays as it was); on stdout a one-line error after the rows before."""
    n = 160_000
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.normal(size=n).round(3),
                       "b": rng.normal(size=n).round(3),
                       "c": rng.choice(["x", "y", "z"], n)})
    df.loc[149_999, "b"] = np.nan
    df.to_csv(data / "late.csv", index=False)
    out = data / "late-out.csv"
    out.write_text("older\n")
    before = set(os.listdir(data))
    result = cli("predict", data / "cls.safetensors", data / "late.csv",
                 "--output", out)
    assert_error(result, "'b'", "row 150000")
    assert out.read_text() == "older\n"
    assert set(os.listdir(data)) == before  # no temporary left
    out.unlink()
    result = cli("predict", data / "cls.safetensors", data / "late.csv")
    assert_error(result, "'b'", "row 150000")
    assert result[1].count("\n") > 1000  # the chunks before were written
    assert not out.exists()


def test_closed_pipe_ends_quietly(data):
    """`pymlp predict ... | head -1`: no traceback, status 141."""
    pd.DataFrame({"a": np.zeros(60_000), "b": 1.0, "c": "x"}).to_csv(
        data / "pipe.csv", index=False)
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "pymlp", "predict", "cls.safetensors",
         "pipe.csv", "--proba"], cwd=data, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    assert process.stdout.readline() == b"no,yes\n"
    process.stdout.close()
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""
    process.stderr.close()


def test_progress_bar_shows_the_loss(data, monkeypatch):
    """On a terminal (here a stand-in that says it is one) the epochs and
    the loss show on stderr; --quiet and other solvers show nothing."""
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    train = ["train", data / "cls.csv", "--target", "label", "--output",
             data / "bar.safetensors", "--epochs", "30", "--hidden", "4"]
    for options, shown in [([], True), (["--early-stopping"], True),
                           (["--quiet"], False),
                           (["--solver", "lbfgs"], False)]:
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([str(a) for a in train] + options) == 0
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        shown_text = terminal.getvalue()
        assert ("loss=" in shown_text) == shown, (options, shown_text)
        assert ("epoch" in shown_text) == shown, (options, shown_text)
        if "--early-stopping" in options:
            assert "validation=" in shown_text
        # the estimator's verbose lines go to the bar, not to stdout
        assert "Iteration" not in out.getvalue()
        assert len(out.getvalue().splitlines()) == (0 if "--quiet" in options
                                                    else 1)
    est = pymlp.load(data / "bar.safetensors").estimator
    assert est.verbose is False


def test_terminal_and_ctrl_c(data):
    """A real terminal on stderr shows the bar; Ctrl-C then stops the run
    with one line, status 130 and no model file."""
    pty = pytest.importorskip("pty")
    import fcntl
    import select
    import signal
    import struct
    import termios
    import time
    rng = np.random.default_rng(6)
    n = 5000  # random labels: training goes on until interrupted
    pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                  "label": rng.choice(["p", "q"], n)}).to_csv(
        data / "noise.csv", index=False)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    before = set(os.listdir(data))
    process = subprocess.Popen(
        [sys.executable, "-m", "pymlp", "train", "noise.csv", "--target",
         "label", "--output", "noise.safetensors", "--epochs", "1000000"],
        cwd=data, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""

    def read(until):
        """What the terminal shows until `until` appears, the process
        closes it or 120 s pass; True if it was closed."""
        nonlocal shown
        deadline = time.monotonic() + 120
        while until not in shown and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                try:
                    more = os.read(master, 4096)
                except OSError:  # EIO: the process closed the terminal
                    return True
                if not more:
                    return True
                shown += more
        return False
    try:
        read(b"loss=")
        process.send_signal(signal.SIGINT)
        read(b"\0")  # to the end
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
        status = process.wait()
        process.stdout.close()
    text = shown.decode(errors="replace")
    assert "epoch" in text and "loss=" in text, text
    assert status == 130, text
    assert text.rstrip().endswith("pymlp train: interrupted"), text
    assert "Traceback" not in text
    assert set(os.listdir(data)) == before


# Runs `pymlp predict MODEL FILE --output FILE.out` on each pair of files
# (N rows, 8N rows) in one process and prints how much the peak memory of
# the 8N-row run exceeds that of the N-row run (in MiB): the peak (VmHWM)
# is reset to the current memory before each (Linux's /proc/self/clear_refs)
# and a first N-row run warms up. Chunks of 10,000 rows keep the allocators'
# noise (some MiB per chunk size) well below what whole-file reading adds.
PEAK_PROBE = """
import re, sys
from pymlp.cli import main, predict
predict.CHUNK_ROWS = 10_000

def peak_and_reset():
    with open("/proc/self/status") as f:
        kib = int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return kib / 1024

def run(path):
    assert main(["predict", model, path, "--output", path + ".out"]) == 0

model, *files = sys.argv[1:]
for small, large in zip(files[::2], files[1::2]):
    run(small)
    peak_and_reset()
    run(small)
    before = peak_and_reset()
    run(large)
    print(large, peak_and_reset() - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                    reason="measures peak memory through Linux's /proc")
def test_predict_memory_does_not_grow_with_rows(data):
    """Predicting 8x the rows (480,000 x 10 numbers) takes no more peak
    memory than 1x, within 16 MiB, for CSV and Parquet; reading whole files
    takes some 110 MiB more (as measured with CHUNK_ROWS = None)."""
    rng = np.random.default_rng(7)
    columns = {f"f{j}": rng.normal(size=600).round(2) for j in range(10)}
    small = pd.DataFrame(columns)
    small.assign(t=(small.f0 + small.f1 > 0).astype(int)).to_csv(
        data / "mem-train.csv", index=False)
    assert cli("train", data / "mem-train.csv", "--target", "t", "--output",
               data / "mem.safetensors", "--epochs", "2", "--hidden",
               "8")[0] == 0
    rows = 60_000
    block = pd.concat([small] * (rows // 600), ignore_index=True)
    block.to_csv(data / "mem1.csv", index=False)
    body = (data / "mem1.csv").read_bytes().split(b"\n", 1)[1]
    with open(data / "mem8.csv", "wb") as f:
        f.write((data / "mem1.csv").read_bytes())
        for _ in range(7):
            f.write(body)
    block.to_parquet(data / "mem1.parquet", row_group_size=10_000)
    pd.concat([block] * 8, ignore_index=True).to_parquet(
        data / "mem8.parquet", row_group_size=10_000)
    result = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, "mem.safetensors", "mem1.csv",
         "mem8.csv", "mem1.parquet", "mem8.parquet"], cwd=data,
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    assert result.returncode == 0, result.stderr
    growth = {name: float(mib) for name, mib in
              (line.split() for line in result.stdout.splitlines())}
    assert set(growth) == {"mem8.csv", "mem8.parquet"}
    assert all(mib < 16 for mib in growth.values()), growth
    for name in ["mem8.csv", "mem8.parquet"]:
        out = pd.read_csv(data / (name + ".out"))
        assert out.shape == (8 * rows, 1)
