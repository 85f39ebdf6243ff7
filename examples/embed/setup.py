"""Build of the embedding example against an installed pymlp:

    python setup.py build_ext --inplace

pymlp.get_include() gives pymlp_embed.h and pymlp.h; Cython finds the
declarations, pymlp/embed.pxd, in the installed package. Nothing links to
pymlp: the engine is reached at run time through the table that
pymlp_import() fetches.
"""
import pymlp
from Cython.Build import cythonize
from setuptools import Extension, setup

extension = Extension(
    "embed_example",
    sources=["embed_example.pyx"],
    include_dirs=[pymlp.get_include()],
)

setup(
    name="embed_example",
    ext_modules=cythonize([extension]),
)
