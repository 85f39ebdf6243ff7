"""The `pymlp` command, one module per subcommand: `demo` reproduces the
lecture's experiments, `info` tells how the engine was built (or what a
model file holds), `train`, `predict` and `evaluate` work on data files.

Bad input (a missing file, a missing column, a value that is not a number,
a corrupted model file, a bad option) prints one line on stderr and exits
with status 2."""
import argparse
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
    except (ValueError, OSError) as e:
        # TableError, a model file that does not load, bad option values
        message = str(e).strip().splitlines()[0] if str(e).strip() else \
            type(e).__name__
        print(f"pymlp {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0
