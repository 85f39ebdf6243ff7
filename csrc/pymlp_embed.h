/* pymlp_embed.h: the stable C-level API through which other compiled
 * extensions (C, C++, Cython) run pymlp's prediction on a network's flat
 * parameters and spec, without the GIL. pymlp.get_include() is the
 * directory of this header (and of pymlp.h, which it includes for
 * pymlp_net and the activation codes); pymlp/embed.pxd declares it for
 * Cython.
 *
 * Linking. The engine's functions live inside the extension module
 * pymlp._engine, which other extensions cannot portably link against.
 * pymlp._engine exports instead a table of function pointers, a
 * pymlp_embed_api, as the PyCapsule pymlp._engine._C_API (NumPy exports
 * its C API the same way). An extension calls pymlp_import() once, with
 * the GIL held (in its module initialisation, say), and keeps the returned
 * pointer: the table is static data of pymlp._engine, valid for the life
 * of the process, and calling through it needs no GIL. Call only the
 * functions of the table; the functions declared in pymlp.h are not
 * reachable from another extension (its types, enums and constants are
 * compile-time only, and may be used).
 *
 * The network. A pymlp_net holds n_layers = L >= 1, sizes n[0..L] (L + 1
 * int64, each in [1, 2**48]) and one activation code per layer (L int,
 * enum pymlp_activation; the last is the output's). Its parameters are one
 * flat contiguous buffer of n_params(net) numbers: for l = 1..L, W[l]
 * (n[l-1], n[l]) row-major, then b[l] (n[l]); layer l computes
 * a[l] = g[l](a[l-1] W[l] + b[l]). From Python, a pymlp.MLP `model` gives
 * them as model.params (a contiguous 1-D float32 or float64 array) and
 * model.spec() (sizes as an int64 array, codes as an int32 array).
 *
 * Buffers. X (n, n[0]) and out (n, n[L]) OUT are row-major and contiguous
 * in the parameters' type (float for _f32, double for _f64). The caller
 * allocates everything: `work` holds predict_work_len(net, chunk,
 * n_threads) elements, aligned to 64 bytes, for the same chunk and
 * n_threads as the call. Nothing here allocates or touches Python.
 *
 * Preconditions, the caller's to check (none is checked here): a network
 * as above with n_params(net) <= 2**48; params of n_params(net) values;
 * n >= 1; chunk >= 1 with chunk * max(n[l]) <= 2**48; n_threads in
 * [1, 4096]; non-NULL buffers, `out` and `work` overlapping nothing else.
 *
 * Results. predict_*(net, params, X, n, out, chunk, work, n_threads)
 * forwards `chunk` rows at a time; the results are bit-identical for any
 * n_threads, while the chunk may change the last bits (it selects the
 * matrix kernels). pymlp.MLP.predict forwards 1024 rows at a time
 * (pymlp.network.PREDICT_CHUNK, capped at n): the same chunk gives its
 * output bit for bit.
 *
 * Threads. Every function of the table is safe to call without the GIL,
 * and from any number of threads at once on one network and one
 * parameter buffer (read only), each call with its own `work` and `out`.
 * n_threads is the OpenMP team of one call (1 runs on the calling thread
 * only); callers that already run calls in parallel should pass 1 to each.
 * Loops run with flush-to-zero and denormals-are-zero set on the threads
 * they use, and the caller's mode is given back on return.
 *
 * Stability. This table, pymlp_net and the activation codes are pymlp's
 * stable C API: entries are only ever appended to the table, each
 * addition raising PYMLP_EMBED_API_VERSION, and existing entries, codes
 * and the struct layout do not change. pymlp_import() refuses an engine
 * whose table is older than the header the extension was compiled with.
 *
 * From C:
 *
 *     #include "pymlp_embed.h"
 *     static const pymlp_embed_api *pymlp;
 *
 *     PyMODINIT_FUNC PyInit_mymodule(void) {
 *         pymlp = pymlp_import();      // with the GIL; NULL: ImportError
 *         if (pymlp == NULL) return NULL;
 *         ...
 *     }
 *
 *     Py_BEGIN_ALLOW_THREADS
 *     pymlp->predict_f32(&net, params, X, n, out, chunk, work, 1);
 *     Py_END_ALLOW_THREADS
 */
#ifndef PYMLP_EMBED_H
#define PYMLP_EMBED_H

#include <Python.h>

#include "pymlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The table's version: raised by one with each entry appended. */
#define PYMLP_EMBED_API_VERSION 1
/* The capsule's name: the dotted path PyCapsule_Import reads. */
#define PYMLP_EMBED_CAPSULE "pymlp._engine._C_API"

typedef struct {
    /* PYMLP_EMBED_API_VERSION of the engine that filled the table */
    int version;
    /* number of parameters of a network: sum of (n[l-1] + 1) n[l] */
    int64_t (*n_params)(const pymlp_net *net);
    /* elements of `work` for prediction `chunk` rows at a time */
    int64_t (*predict_work_len_f32)(const pymlp_net *net, int64_t chunk,
                                    int n_threads);
    int64_t (*predict_work_len_f64)(const pymlp_net *net, int64_t chunk,
                                    int n_threads);
    /* out (n, n[L]) OUT = network(X (n, n[0])) */
    void (*predict_f32)(const pymlp_net *net, const float *params,
                        const float *X, int64_t n, float *out,
                        int64_t chunk, float *work, int n_threads);
    void (*predict_f64)(const pymlp_net *net, const double *params,
                        const double *X, int64_t n, double *out,
                        int64_t chunk, double *work, int n_threads);
} pymlp_embed_api;

/* The engine's table, importing pymlp._engine when needed; NULL with an
 * ImportError set when pymlp is missing or older than this header. Call
 * with the GIL held. */
static inline const pymlp_embed_api *pymlp_import(void)
{
    const pymlp_embed_api *api =
        (const pymlp_embed_api *)PyCapsule_Import(PYMLP_EMBED_CAPSULE, 0);
    if (api == NULL) {
        return NULL;
    }
    if (api->version < PYMLP_EMBED_API_VERSION) {
        PyErr_Format(PyExc_ImportError,
                     "this extension needs pymlp's C API version %d, but the "
                     "installed pymlp provides version %d: upgrade pymlp",
                     PYMLP_EMBED_API_VERSION, api->version);
        return NULL;
    }
    return api;
}

#ifdef __cplusplus
}
#endif

#endif /* PYMLP_EMBED_H */
