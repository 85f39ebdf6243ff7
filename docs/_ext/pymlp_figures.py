"""A Sphinx extension drawing the documentation's figures from pymlp.

When a build starts, every script in docs/figures/ is imported and its
``draw(plt, outdir)`` called, which computes with the pymlp that imports
(the installed package, or a source tree built in place on PYTHONPATH) and
writes PNGs into docs/_generated/figures/. The pages include them from
there, so the figures show what this build of the engine computes. The
same hook writes the command line's help texts into docs/_generated/cli/
and the tables of bench/RESULTS.md, the measured record of the benchmarks,
as CSV files into docs/_generated/bench/. A failing script fails the build.
"""
import contextlib
import importlib.util
import io
import os
import time

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

CLI_COMMANDS = ["demo", "info", "train", "predict", "evaluate"]

# The tables of bench/RESULTS.md, found by a word of the heading above
# each: file name -> heading word.
BENCH_TABLES = {"steps": "Medians", "gemm": "GEMM", "memory": "memory",
                "targets": "Targets", "estimators": "estimators",
                "reliability": "Reliability"}


def _draw_figures(srcdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scripts = os.path.join(srcdir, "figures")
    outdir = os.path.join(srcdir, "_generated", "figures")
    os.makedirs(outdir, exist_ok=True)
    total = time.perf_counter()
    for name in sorted(os.listdir(scripts)):
        if not name.endswith(".py"):
            continue
        start = time.perf_counter()
        spec = importlib.util.spec_from_file_location(
            f"pymlp_docs_figure_{name[:-3]}", os.path.join(scripts, name))
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            with matplotlib.rc_context({"font.size": 11}):
                module.draw(plt, outdir)
        except Exception as e:
            raise ExtensionError(f"figure script {name} failed: {e!r}") from e
        logger.info(f"[pymlp figures] {name}: "
                    f"{time.perf_counter() - start:.2f} s")
    logger.info(f"[pymlp figures] all: {time.perf_counter() - total:.2f} s")


def _cli_help(srcdir):
    """`pymlp --help` and `pymlp COMMAND --help`, as the installed command
    prints them, 79 columns wide."""
    from pymlp.cli import main

    outdir = os.path.join(srcdir, "_generated", "cli")
    os.makedirs(outdir, exist_ok=True)
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "79"
    try:
        for command in [None] + CLI_COMMANDS:
            argv = ["--help"] if command is None else [command, "--help"]
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                try:
                    main(argv)
                except SystemExit:
                    pass
            text = out.getvalue()
            if not text.strip():
                raise ExtensionError(f"pymlp {' '.join(argv)} printed nothing")
            path = os.path.join(outdir, f"{command or 'pymlp'}.txt")
            _write_if_changed(path, text)
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _bench_tables(srcdir):
    """Each table of bench/RESULTS.md as CSV (header row first), and the
    notes under each as reST text: _generated/bench/NAME.csv and
    NAME-notes.inc."""
    import csv

    results = os.path.join(srcdir, os.pardir, "bench", "RESULTS.md")
    outdir = os.path.join(srcdir, "_generated", "bench")
    os.makedirs(outdir, exist_ok=True)
    with open(results, encoding="utf-8") as f:
        lines = f.read().splitlines()
    tables, heading, i = {}, "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip().replace("`", "")
                         for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-:") for c in cells):
                    # a lone "-" (no value) would be a list item in reST
                    rows.append(["\u2013" if c == "-" else c
                                 for c in cells])
                i += 1
            tables[heading] = rows
            continue
        i += 1
    for name, word in BENCH_TABLES.items():
        found = [h for h in tables if word in h]
        if len(found) != 1:
            raise ExtensionError(f"bench/RESULTS.md: {len(found)} tables "
                                 f"under a heading with {word!r}")
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(tables[found[0]])
        _write_if_changed(os.path.join(outdir, f"{name}.csv"),
                          out.getvalue())
    meta = [line[2:] for line in lines[:20] if line.startswith("- ")]
    _write_if_changed(os.path.join(outdir, "meta.inc"),
                      "".join(f"- {m.replace('`', '')}\n" for m in meta))


def _write_if_changed(path, text):
    # an unchanged file keeps its time, so that incremental builds do not
    # reread the pages including it
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _generate(app):
    _cli_help(app.srcdir)
    _bench_tables(app.srcdir)
    _draw_figures(app.srcdir)


def setup(app):
    app.connect("builder-inited", _generate)
    return {"version": "1", "parallel_read_safe": True,
            "parallel_write_safe": True}
