/* engine.c: instantiates the type-generic engine (activations, matrix
 * product, losses, optimizers, network passes) for float and double from
 * one source; see pymlp.h for the interface. */
#include <math.h>
#include <string.h>

#include "internal.h"

int64_t pymlp_n_params(const pymlp_net *net)
{
    int64_t P = 0;
    for (int l = 1; l <= net->n_layers; l++) {
        P += (net->sizes[l - 1] + 1) * net->sizes[l];
    }
    return P;
}

int pymlp_net_valid(const pymlp_net *net)
{
    if (net == NULL || net->n_layers < 1 || net->sizes == NULL
        || net->activations == NULL) {
        return 0;
    }
    for (int l = 0; l <= net->n_layers; l++) {
        if (net->sizes[l] < 1) {
            return 0;
        }
    }
    for (int l = 0; l < net->n_layers; l++) {
        if (net->activations[l] < 0
            || net->activations[l] >= PYMLP_N_ACTIVATIONS) {
            return 0;
        }
    }
    return 1;
}

/* The stop flag of the fit whose batches this thread is running (NULL
 * outside one): a long matrix product gives up between blocks when it is
 * set, and the batch loop then skips the update (network.inc). */
static _Thread_local const volatile int *thread_stop;

static inline int stop_requested(void)
{
    return thread_stop != NULL && *thread_stop;
}

int pymlp_optimizer_state_per_param(const pymlp_optimizer *opt)
{
    if (opt->kind == PYMLP_SGD || opt->kind == PYMLP_SGD_SKLEARN) {
        return opt->momentum != 0.0 ? 1 : 0;
    }
    return 2;
}

#define PYMLP_REAL 32
#include "real.h"
#include "dispatch.inc"
#include "gemm.inc"
#include "optim.inc"
#include "network.inc"
#undef PYMLP_REAL
#include "real.h"

#define PYMLP_REAL 64
#include "real.h"
#include "dispatch.inc"
#include "gemm.inc"
#include "optim.inc"
#include "network.inc"
#undef PYMLP_REAL
#include "real.h"

int64_t pymlp_gemm_work_len(int64_t M, int64_t N, int64_t K, int n_threads,
                            int elem_size)
{
    const int64_t one = elem_size == 4 ? pack_len_f32(M, N, K, 1)
                                       : pack_len_f64(M, N, K, 1);
    return one * (n_threads > 1 ? n_threads : 1) + PYMLP_ALIGN / elem_size;
}
