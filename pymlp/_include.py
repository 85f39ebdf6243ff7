"""Where pymlp's C headers are, for compiling extensions that call its
engine."""
import os


def get_include() -> str:
    """The directory of pymlp's C headers: pymlp_embed.h, the stable C API
    for other compiled extensions (prediction on a network's flat
    parameters and spec, without the GIL), and pymlp.h, whose types it
    uses. Add it to an extension's include_dirs, as numpy.get_include();
    Cython code cimports the API from pymlp.embed.

    Returns
    -------
    str
    """
    return os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "include")
