"""The speed ratios of bench/RESULTS.md's first table (other library's
time / pymlp's), as bars. The numbers are parsed from that file, the
measured record; nothing is timed while the docs build."""
import os
import re

import numpy as np

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       os.pardir, os.pardir, "bench", "RESULTS.md")
COLUMNS = ["torch / pymlp", "jax / pymlp", "numpy / pymlp",
           "sklearn / pymlp"]


def parse(path=RESULTS):
    """(row labels, {column: [ratio per row]}, the run's date and machine)
    from the first table of RESULTS.md."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    meta = {}
    for line in lines:
        m = re.match(r"- (date|machine): (.*)", line)
        if m and m.group(1) not in meta:  # the run at the top of the file
            meta[m.group(1)] = m.group(2)
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("| benchmark |"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    labels, ratios = [], {c: [] for c in COLUMNS}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        labels.append(cells[0])
        for c in COLUMNS:
            ratios[c].append(float(cells[header.index(c)].rstrip("x")))
    return labels, ratios, meta


def draw(plt, outdir):
    labels, ratios, meta = parse()
    y = np.arange(len(labels))
    height = 0.8 / len(COLUMNS)
    fig, ax = plt.subplots(figsize=(10, 7.5))
    names = {"torch": "PyTorch", "jax": "JAX", "numpy": "NumPy",
             "sklearn": "scikit-learn"}
    for k, c in enumerate(COLUMNS):
        r = np.array(ratios[c])
        at = y + (k - (len(COLUMNS) - 1) / 2) * height
        # bars from 1x, where the two libraries take the same time
        ax.barh(at, r - 1, height, left=1, label=names[c.split(" /")[0]])
        for yi, ri in zip(at, r):
            ax.text(max(ri, 1) * 1.04, yi, f"{ri:.3g}x", va="center",
                    fontsize=8)
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    lowest = min(min(v) for v in ratios.values())
    ax.set_xlim(min(0.7, 0.8 * lowest),
                2.5 * max(max(v) for v in ratios.values()))
    ax.xaxis.set_major_formatter(
        plt.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel("time of the other library / time of pymlp "
                  "(above 1: pymlp is faster)")
    ax.set_title(f"bench/RESULTS.md, {meta.get('date', '')}", fontsize=10)
    ax.legend(fontsize=9, loc="lower right")
    ax.grid(True, axis="x", which="both", color="0.9")
    fig.tight_layout()
    fig.savefig(f"{outdir}/bench_ratios.png", dpi=90)
    plt.close(fig)
