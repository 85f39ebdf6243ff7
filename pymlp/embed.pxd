# Cython declarations of pymlp's stable C API for other extensions,
# mirroring csrc/pymlp_embed.h (installed in pymlp.get_include(); see there
# for the buffers, the preconditions, threading and stability). Compile
# with include_dirs=[pymlp.get_include()], then:
#
#     from pymlp.embed cimport pymlp_embed_api, pymlp_import, pymlp_net
#     cdef const pymlp_embed_api *api = pymlp_import()  # with the GIL
#     ...
#     with nogil:
#         api.predict_f32(&net, params, X, n, out, chunk, work, 1)
#
# Only the table's functions can be called from another extension: the
# functions declared in pymlp._cengine link only inside pymlp._engine (its
# types and enums, re-exported here, may be used anywhere).
from libc.stdint cimport int64_t

from pymlp._cengine cimport (
    PYMLP_GELU, PYMLP_IDENTITY, PYMLP_LEAKY_RELU, PYMLP_N_ACTIVATIONS,
    PYMLP_RELU, PYMLP_SIGMOID, PYMLP_SOFTPLUS, PYMLP_STEP, PYMLP_TANH,
    pymlp_activation, pymlp_net)


cdef extern from "pymlp_embed.h" nogil:
    enum: PYMLP_EMBED_API_VERSION
    const char *PYMLP_EMBED_CAPSULE

    ctypedef struct pymlp_embed_api:
        int version
        int64_t (*n_params)(const pymlp_net *net) noexcept nogil
        int64_t (*predict_work_len_f32)(const pymlp_net *net, int64_t chunk,
                                        int n_threads) noexcept nogil
        int64_t (*predict_work_len_f64)(const pymlp_net *net, int64_t chunk,
                                        int n_threads) noexcept nogil
        void (*predict_f32)(const pymlp_net *net, const float *params,
                            const float *X, int64_t n, float *out,
                            int64_t chunk, float *work,
                            int n_threads) noexcept nogil
        void (*predict_f64)(const pymlp_net *net, const double *params,
                            const double *X, int64_t n, double *out,
                            int64_t chunk, double *work,
                            int n_threads) noexcept nogil


cdef extern from "pymlp_embed.h":
    # with the GIL; NULL raises the ImportError it sets
    const pymlp_embed_api *pymlp_import() except NULL
