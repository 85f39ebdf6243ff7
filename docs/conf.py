"""Sphinx configuration of pymlp's documentation.

Build with the package installed (``pip install ".[docs]"``), or from a
source tree built in place with PYTHONPATH pointing at it:

    sphinx-build -W -b html docs docs/_build/html

The figures are drawn from pymlp itself while the docs build (see
``_ext/pymlp_figures.py`` and ``figures/``), so they show what the installed
engine computes. No path is added to sys.path for pymlp: the docs describe
the package that imports, never a source tree without its compiled engine.
"""
import os
import sys

import pymlp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "_ext"))

project = "pymlp"
copyright = "the pymlp developers"
release = pymlp.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "pymlp_figures",
]

exclude_patterns = ["_build"]
templates_path = []

# -- autodoc and numpydoc ----------------------------------------------------
autodoc_typehints = "none"          # the numpydoc sections give the types
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False  # members are listed by autodoc
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# numpydoc's style checks (GL01, SS05, ...) stay off: the docstrings keep
# the project's shorter form. A section numpydoc cannot parse is still a
# warning, which -W turns into an error.
numpydoc_validation_checks = set()

# -- doctest -------------------------------------------------------------------
# The examples of the guides run in `sphinx-build -b doctest`; numbers that
# depend on the machine (rounding, SIMD level) are shown with "..." or
# checked by comparison.
doctest_global_setup = """
import numpy as np
import pymlp
"""
import doctest  # noqa: E402
doctest_default_flags = (doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
                         | doctest.DONT_ACCEPT_TRUE_FOR_1)

# -- math ------------------------------------------------------------------------
# MathJax, which the reader's browser loads from its CDN (Sphinx's default).
# To read the pages offline, build with a local copy, such as Debian's
# libjs-mathjax (MathJax 2):
#   -D "mathjax_path=file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML"

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"pymlp {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = ["_static"]
html_css_files = ["pymlp.css"]
# The left sidebar lists a section's pages: only the user guide has several
html_sidebars = {page: [] for page in (
    "index", "getting_started", "sklearn", "cli", "saving", "dask", "performance",
    "api")}
html_show_sourcelink = False
