"""The `pymlp` command, one module per subcommand: `demo` reproduces the
lecture's experiments, `info` tells how the engine was built (or what a
model file holds), `train`, `predict` and `evaluate` work on data files.

Bad input (a missing file, a missing column, a value that is not a number,
a corrupted model file, a bad option) prints one line on stderr and exits
with status 2. Ctrl-C prints one line and exits with status 130 (128 +
SIGINT), having written no model or output file. A reader that closes
the output early (`pymlp predict ... | head`) ends the command quietly
with status 141 (128 + SIGPIPE), as a program killed by SIGPIPE reports."""
import argparse
import os
import sys
from typing import List, Optional

from pymlp.cli import demo, evaluate, info, predict, train


class _Parser(argparse.ArgumentParser):
    """Bad options: one line on stderr (the usage is in --help), status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Optional[List[str]] = None) -> int:
    parser = _Parser(
        prog="pymlp", description="Fast multilayer perceptrons.")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (demo, info, train, predict, evaluate):
        module.add_parser(commands)
    args = parser.parse_args(argv)
    if getattr(args, "epochs", 1) < 1:
        parser.error("--epochs must be at least 1")
    try:
        args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        _silence_stdout()
        return 141  # 128 + SIGPIPE
    except KeyboardInterrupt:
        print(f"pymlp {args.command}: interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT
    except ImportError as e:
        # pandas and pyarrow say so themselves (TableError); scikit-learn,
        # needed by the estimators and evaluate's metrics, shows here
        extra = "plot" if args.command == "demo" else "cli"
        missing = e.name or getattr(e.__cause__ or e.__context__, "name",
                                    None)
        what = f"{missing} is not installed" if missing else _first_line(e)
        print(f"pymlp {args.command}: error: {what}; this command needs the "
              f'{extra} extra: pip install "pymlp[{extra}]"', file=sys.stderr)
        return 2
    except (ValueError, OSError) as e:
        # TableError, a model file that does not load, bad option values
        print(f"pymlp {args.command}: error: {_first_line(e)}",
              file=sys.stderr)
        return 2
    return 0


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _silence_stdout() -> None:
    """Point stdout at os.devnull, so that the interpreter's last flush of
    what is left for a closed pipe does not fail at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file (a test's capture): nothing to flush
