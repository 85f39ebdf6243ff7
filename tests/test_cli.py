"""The pymlp command."""
import os
import subprocess
import sys
import tempfile


def run(*args):
    # from outside the source tree, so that the installed package runs
    with tempfile.TemporaryDirectory() as elsewhere:
        return subprocess.run([sys.executable, "-m", "pymlp", *args],
                              capture_output=True, text=True, cwd=elsewhere,
                              env=os.environ.copy(), timeout=120)


def test_demo_prints_the_lecture_sections():
    result = run("demo", "--epochs", "500")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for section in ["y = x^2", "epoch      0", "epoch    500", "new points",
                    "|x - 1|", "W1:", "exact", "us per epoch"]:
        assert section in out, section


def test_info():
    result = run("info")
    assert result.returncode == 0
    assert "simd:" in result.stdout and "openmp:" in result.stdout


def test_bad_epochs():
    result = run("demo", "--epochs", "0")
    assert result.returncode == 2
    assert "--epochs" in result.stderr
