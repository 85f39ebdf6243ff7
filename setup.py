"""Build of pymlp's compiled engine: the C kernels in csrc/ and the Cython
layer in pymlp/, linked into one extension module, pymlp._engine.

The default build runs on any x86-64 CPU: only the micro-kernel files
select AVX2 or AVX-512 (by pragmas inside them), and the engine calls them
only when the CPU reports those features. OpenMP is used when the compiler
accepts -fopenmp. Set PYMLP_DEBUG=1 to build with Cython's bounds and
initialisation checks on, for a debugging test run. Set PYMLP_SANITIZE=1 to
build with AddressSanitizer and UndefinedBehaviorSanitizer (the module then
needs gcc's libasan in LD_PRELOAD, as the interpreter is not instrumented).
Either switch defines PYMLP_DEBUG for the C code, which then checks its
preconditions.

The public C headers (PUBLIC_HEADERS: the stable embedding API and the
engine's types it uses) are copied from csrc/ into the package's include/
directory at each build, in place or into the wheel, so that
pymlp.get_include() finds them; csrc/ stays their one source.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

C_SOURCES = [
    "csrc/engine.c",
    "csrc/runtime.c",
    "csrc/ukernel_generic.c",
    "csrc/ukernel_avx2.c",
    "csrc/ukernel_avx512.c",
]

# What other extensions compile against (csrc/internal.h is not public)
PUBLIC_HEADERS = ["csrc/pymlp.h", "csrc/pymlp_embed.h"]

DEBUG = os.environ.get("PYMLP_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("PYMLP_SANITIZE", "") not in ("", "0")
# Compiled and linked alike; -O1 keeps the reports' stacks close to the
# source. -fno-wrapv undoes Python's -fwrapv, under which a signed overflow
# is defined and so goes unreported.
SANITIZER_FLAGS = ["-fsanitize=address,undefined",
                   "-fno-sanitize-recover=undefined", "-fno-wrapv",
                   "-fno-omit-frame-pointer", "-g", "-O1"] if SANITIZE else []

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "embedsignature": True,
}


def accepted(flags, source="int main(void) { return 0; }\n"):
    """`flags` when the C compiler builds and links `source` with them, else
    no flags: optional speed-ups never break the build."""
    cc = os.environ.get("CC", "cc")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        try:
            result = subprocess.run(
                [cc, "-Werror"] + flags + [src, "-o", os.path.join(tmp, "p")],
                capture_output=True)
        except OSError:
            return []
    return flags if result.returncode == 0 else []


def openmp_flags():
    """-fopenmp when the C compiler and linker accept it, else nothing."""
    if os.environ.get("PYMLP_NO_OPENMP"):
        return []
    return accepted(["-fopenmp"], "#include <omp.h>\nint main(void)"
                    "{ return omp_get_max_threads() < 1; }\n")


OPENMP = openmp_flags() if sys.platform != "win32" else []
# GCC keeps a micro-kernel's accumulator array in registers only when its
# scalar-replacement limit admits the array (24 zmm registers = 1536 bytes)
KERNEL_FLAGS = accepted(["--param=sra-max-scalarization-size-Ospeed=4096"])

extension = Extension(
    "pymlp._engine",
    sources=["pymlp/_engine.pyx"] + C_SOURCES,
    depends=glob.glob("csrc/*.h") + glob.glob("csrc/*.inc"),
    include_dirs=["csrc", numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    + ([("PYMLP_DEBUG", "1")] if DEBUG or SANITIZE else []),
    extra_compile_args=["-O3", "-ffp-contract=fast", "-fno-math-errno", "-std=gnu11"] + OPENMP + KERNEL_FLAGS
    + (["-O0", "-g"] if DEBUG else []) + SANITIZER_FLAGS,
    extra_link_args=OPENMP + SANITIZER_FLAGS,
)


class BuildExt(build_ext):
    """build_ext that also puts PUBLIC_HEADERS in pymlp/include/, beside
    the extension module it builds."""

    def run(self):
        super().run()
        package = os.path.dirname(self.get_ext_fullpath("pymlp._engine"))
        include = os.path.join(package, "include")
        os.makedirs(include, exist_ok=True)
        for header in PUBLIC_HEADERS:
            shutil.copyfile(header, os.path.join(
                include, os.path.basename(header)))


setup(
    ext_modules=cythonize([extension],
                          compiler_directives=COMPILER_DIRECTIVES),
    cmdclass={"build_ext": BuildExt},
    # each kind of build keeps its objects apart, so that none is reused
    # by a build of another kind of the same sources
    options={"build": {"build_base": "build/sanitize" if SANITIZE
                       else "build/debug" if DEBUG else "build"}},
)
