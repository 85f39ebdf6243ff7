/* pymlp.h: the C engine of pymlp, a dense multilayer perceptron.
 *
 * Buffers. Every matrix is row-major and contiguous: a batch of activations
 * a[l] has shape (B, n[l]) with row stride n[l]. All parameters live in one
 * flat buffer `params`; layer l (1-based) holds W[l], shape (n[l-1], n[l]),
 * followed by b[l], shape (n[l]). Gradients and optimizer state use the same
 * layout, so the optimizer is one loop over P = pymlp_n_params() numbers.
 *
 * Ownership. The caller allocates everything, including one scratch buffer
 * `work` of pymlp_work_len_*() elements (aligned to 64 bytes), and keeps it
 * alive across calls; no function here allocates. Arguments written by a
 * function are marked OUT.
 *
 * Types. Every numeric function exists for float (_f32) and double (_f64);
 * both are generated from one source (engine.c includes each *.inc body
 * twice). Losses and reductions are accumulated in double.
 *
 * Threads. Functions take n_threads; with OpenMP compiled in, large matrix
 * products and elementwise loops split their outputs over that many
 * threads. No sum's order depends on the split, so results are
 * bit-identical for any thread count. Nothing here touches Python, and every
 * function is safe to call without the GIL.
 *
 * Denormals. Every entry point runs its loops with flush-to-zero and
 * denormals-are-zero set (x86's MXCSR, on each thread it uses) and gives
 * the caller's mode back on return: values below the smallest normal
 * number (1e-38 in float, 1e-308 in double) count as zero, which keeps
 * them from slowing the arithmetic down by tens of times.
 *
 * Preconditions (sizes >= 1, known codes, non-NULL buffers) are the
 * caller's to meet; a build with PYMLP_DEBUG defined checks them at each
 * entry point and aborts with a message when one fails.
 *
 * Embedding. The functions here link inside the extension module
 * pymlp._engine only, and may change from one release to the next. Other
 * extensions reach the engine through pymlp_embed.h, pymlp's stable C API:
 * a table of functions (prediction, its scratch length, the parameter
 * count) exported as the capsule pymlp._engine._C_API, which takes from
 * this header pymlp_net and enum pymlp_activation, both stable (codes are
 * only ever appended). An installed (or built) pymlp holds both headers
 * in pymlp.get_include().
 */
#ifndef PYMLP_H
#define PYMLP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Activation codes: stable (pymlp_embed.h), new ones only appended. */
enum pymlp_activation {
    PYMLP_IDENTITY = 0,
    PYMLP_RELU,
    PYMLP_LEAKY_RELU,  /* slope 0.01 below zero */
    PYMLP_SIGMOID,
    PYMLP_TANH,
    PYMLP_SOFTPLUS,
    PYMLP_GELU,        /* exact: f * Phi(f) */
    PYMLP_STEP,        /* +1 if f > 0 else -1; forward only */
    PYMLP_N_ACTIVATIONS
};

enum pymlp_loss {
    PYMLP_MSE = 0,
    PYMLP_MAE,
    PYMLP_HUBER,                 /* delta = 1 */
    PYMLP_CROSS_ENTROPY,         /* softmax + NLL on logits, int64 labels */
    PYMLP_BINARY_CROSS_ENTROPY,  /* sigmoid + BCE on logits */
    PYMLP_HALF_SQUARED_ERROR,    /* 0.5 sum over outputs (scikit-learn) */
    PYMLP_BINARY_LOG_LOSS,       /* BCE on logits summed over outputs */
    PYMLP_POISSON,               /* on log rates, summed over outputs */
    PYMLP_N_LOSSES
};

/* PyTorch's update rules, and scikit-learn's (see optim.inc). */
enum pymlp_optimizer_kind {
    PYMLP_SGD = 0,
    PYMLP_ADAM,
    PYMLP_ADAMW,
    PYMLP_SGD_SKLEARN,
    PYMLP_ADAM_SKLEARN,
    PYMLP_N_OPTIMIZERS
};

/* SIMD levels. Each has its own micro-kernels, blocking and elementwise
 * loops, all chosen together with the level (csrc/isa.inc). */
enum pymlp_simd { PYMLP_SIMD_GENERIC = 0, PYMLP_SIMD_AVX2, PYMLP_SIMD_AVX512 };

/* The architecture: L layers, n[0..L] widths, one activation per layer.
 * Part of the stable C API (pymlp_embed.h): its layout does not change. */
typedef struct {
    int n_layers;
    const int64_t *sizes;     /* length n_layers + 1 */
    const int *activations;   /* length n_layers, enum pymlp_activation */
} pymlp_net;

/* Optimizer hyper-parameters and step count, PyTorch's update rules.
 * `step` counts completed updates and is advanced by pymlp_optimizer_step. */
typedef struct {
    int kind;                 /* enum pymlp_optimizer_kind */
    double lr;
    double momentum;          /* SGD */
    int nesterov;             /* SGD */
    double beta1, beta2, eps; /* Adam, AdamW */
    double weight_decay;      /* L2 for SGD and Adam, decoupled for AdamW */
    int64_t step;
} pymlp_optimizer;

/* Number of state values per parameter the optimizer keeps. */
int pymlp_optimizer_state_per_param(const pymlp_optimizer *opt);

int64_t pymlp_n_params(const pymlp_net *net);

/* Scratch lengths (in elements) for pymlp_loss_grad_* and the fit
 * functions with at most `batch` rows per call; pymlp_predict_work_len_*
 * for prediction `chunk` rows at a time (a forward pass needs less). */
int64_t pymlp_work_len_f32(const pymlp_net *net, int64_t batch, int n_threads);
int64_t pymlp_work_len_f64(const pymlp_net *net, int64_t batch, int n_threads);
int64_t pymlp_predict_work_len_f32(const pymlp_net *net, int64_t chunk,
                                   int n_threads);
int64_t pymlp_predict_work_len_f64(const pymlp_net *net, int64_t chunk,
                                   int n_threads);

/* out (n, n[L]) OUT = network(X (n, n[0])); processes `chunk` rows at a
 * time with `work` of pymlp_predict_work_len(net, chunk) elements. */
void pymlp_predict_f32(const pymlp_net *net, const float *params,
                       const float *X, int64_t n, float *out,
                       int64_t chunk, float *work, int n_threads);
void pymlp_predict_f64(const pymlp_net *net, const double *params,
                       const double *X, int64_t n, double *out,
                       int64_t chunk, double *work, int n_threads);

/* Loss over the batch X (B, n[0]), targets y (float (B, n[L]) or int64
 * labels (B,) for cross-entropy), rows weighted by sample_weight (B) or
 * all 1 when it is NULL: sum_i w_i l_i / sum_i w_i (losses.inc defines
 * l_i), plus the L2 penalty 0.5 l2 sum_l ||W[l]||^2 / sum_i w_i on the
 * weights (scikit-learn's alpha). grad (P) OUT receives its gradient,
 * unless grad is NULL (loss only). `work` is sized for batch = B. */
double pymlp_loss_grad_f32(const pymlp_net *net, int loss,
                           const float *params, const float *X,
                           const void *y, const float *sample_weight,
                           int64_t B, double l2, float *grad, float *work,
                           int n_threads);
double pymlp_loss_grad_f64(const pymlp_net *net, int loss,
                           const double *params, const double *X,
                           const void *y, const double *sample_weight,
                           int64_t B, double l2, double *grad, double *work,
                           int n_threads);

/* One update of params (P) from grad (P); state (P * per_param) holds the
 * optimizer's moments; advances opt->step. */
void pymlp_optimizer_step_f32(pymlp_optimizer *opt, float *params,
                              const float *grad, float *state, int64_t P,
                              int n_threads);
void pymlp_optimizer_step_f64(pymlp_optimizer *opt, double *params,
                              const double *grad, double *state, int64_t P,
                              int n_threads);

/* Training: one struct holds the pointers of a fit so that an epoch, or a
 * run of its mini-batches, is one call. Batches follow a permutation of the
 * rows (`order`, reshuffled at each epoch start when shuffle is set) cut in
 * chunks of batch_size, the last one smaller, as PyTorch's DataLoader does. */
#define PYMLP_FIT_STRUCT(REAL, SFX)                                          \
    typedef struct {                                                         \
        pymlp_net net;                                                       \
        int loss;                                                            \
        const REAL *X;          /* (n_samples, n[0]) */                      \
        const void *y;          /* (n_samples, n[L]) REAL or (n,) int64 */   \
        const REAL *sample_weight; /* (n_samples) or NULL: all 1 */        \
        double l2;              /* L2 penalty on the weights (alpha) */      \
        int64_t n_samples, batch_size;                                       \
        int shuffle;                                                         \
        uint64_t rng[4];        /* xoshiro256** state, advanced by shuffles */ \
        REAL *params;           /* (P) updated in place */                   \
        REAL *grad;             /* (P) scratch */                            \
        REAL *snapshot;         /* (P) params at the start of the epoch */   \
        REAL *opt_state;        /* (P * state_per_param) */                  \
        REAL *opt_snapshot;     /* (P * state_per_param) at epoch start */   \
        int64_t step_snapshot;  /* opt->step at epoch start */               \
        pymlp_optimizer *opt;                                                \
        int64_t *order;         /* (n_samples) row order of this epoch */    \
        REAL *work;             /* pymlp_work_len(net, batch_size) */        \
        int n_threads;                                                       \
        double loss_sum;        /* sum over the epoch's rows, so far */      \
        double penalty_sum;     /* the L2 penalty's part of loss_sum */      \
        double loss_limit;      /* divergence bound, set by the 1st batch */ \
        int64_t next_batch;     /* batches done in the current epoch */      \
        volatile int stop;      /* set to stop before the next update */     \
        int decision;           /* shared by the team after each batch */    \
    } pymlp_fit_##SFX;
PYMLP_FIT_STRUCT(float, f32)
PYMLP_FIT_STRUCT(double, f64)
#undef PYMLP_FIT_STRUCT

/* Seeds the shuffling generator from one 64-bit number. */
void pymlp_rng_seed(uint64_t rng[4], uint64_t seed);

/* Fills *fit for a run over X (n_samples rows) and y; its order starts as
 * 0, 1, ..., n_samples - 1 and its generator is seeded from `seed`. The
 * buffers are the caller's and must outlive the run; opt_snapshot has the
 * length of opt_state (NULL when the optimizer keeps no state). */
#define PYMLP_FIT_INIT(REAL, SFX)                                            \
    void pymlp_fit_init_##SFX(pymlp_fit_##SFX *fit, const pymlp_net *net,   \
                              int loss, const REAL *X, const void *y,       \
                              const REAL *sample_weight, double l2,         \
                              int64_t n_samples, int64_t batch_size,        \
                              int shuffle, uint64_t seed, REAL *params,     \
                              REAL *grad, REAL *snapshot, REAL *opt_state,  \
                              REAL *opt_snapshot, pymlp_optimizer *opt,     \
                              int64_t *order,                               \
                              REAL *work, int n_threads);
PYMLP_FIT_INIT(float, f32)
PYMLP_FIT_INIT(double, f64)
#undef PYMLP_FIT_INIT

/* Divergence: an epoch diverges when its mean loss is NaN, infinite or
 * above PYMLP_DIVERGENCE_FACTOR * max(1, L0), where L0 is the loss of the
 * run's first mini-batch before its update, or when a parameter is not
 * finite. Training then goes back to the last state a loss has checked:
 * the start of the diverging epoch when its first mini-batch's loss was
 * within the bound, else the start of the epoch before (or of the run). */
#define PYMLP_DIVERGENCE_FACTOR 1e10

/* Stopping: setting fit->stop (from a signal handler or another thread)
 * makes the running call return before its next optimizer update, within
 * about one block of a matrix product; the parameters and the optimizer
 * are then those of the last complete update, and fit->next_batch tells
 * how many batches of the epoch were done. Clear fit->stop to go on. */

/* Starts an epoch: shuffles order (when set), resets loss_sum and
 * next_batch. The snapshots are taken at fit_init and again at each
 * epoch's first batch whose loss is within the divergence bound. */
void pymlp_fit_epoch_begin_f32(pymlp_fit_f32 *fit);
void pymlp_fit_epoch_begin_f64(pymlp_fit_f64 *fit);

/* Runs mini-batches [first, last) of the current epoch: gather, forward,
 * loss, backward, optimizer step for each. Returns fit->next_batch: last,
 * or fewer when stopped. */
int64_t pymlp_fit_batches_f32(pymlp_fit_f32 *fit, int64_t first,
                              int64_t last);
int64_t pymlp_fit_batches_f64(pymlp_fit_f64 *fit, int64_t first,
                              int64_t last);

/* Ends an epoch: returns its mean training loss (penalty_sum / n_samples
 * is the L2 penalty's part of it). When the epoch diverged
 * (see PYMLP_DIVERGENCE_FACTOR), params, the optimizer state and its step
 * count are restored from the snapshots and *finite OUT is 0. */
double pymlp_fit_epoch_end_f32(pymlp_fit_f32 *fit, int *finite);
double pymlp_fit_epoch_end_f64(pymlp_fit_f64 *fit, int *finite);

/* Runs up to n_epochs whole epochs, writing each mean loss to losses OUT
 * and, unless penalties is NULL, the L2 penalty's part of it to penalties
 * OUT;
 * returns the number of epochs that ended without diverging, stopping
 * (with params and optimizer restored) at the first that diverged, or
 * mid-epoch when fit->stop is set. */
int64_t pymlp_fit_epochs_f32(pymlp_fit_f32 *fit, int64_t n_epochs,
                             double *losses, double *penalties);
int64_t pymlp_fit_epochs_f64(pymlp_fit_f64 *fit, int64_t n_epochs,
                             double *losses, double *penalties);

/* 1 when every value of x (n) is finite. */
int pymlp_all_finite_f32(const float *x, int64_t n);
int pymlp_all_finite_f64(const double *x, int64_t n);

/* C (M, N) OUT = op(A) op(B) for strided A (element (i, p) at
 * A[i * rsa + p * csa]) and B (element (p, j) at B[p * rsb + j * csb]); C is
 * row-major with row stride ldc. `work` needs pymlp_gemm_work_len elements. */
int64_t pymlp_gemm_work_len(int64_t M, int64_t N, int64_t K, int n_threads,
                            int elem_size);
void pymlp_gemm_f32(int64_t M, int64_t N, int64_t K,
                    const float *A, int64_t rsa, int64_t csa,
                    const float *B, int64_t rsb, int64_t csb,
                    float *C, int64_t ldc, float *work, int n_threads);
void pymlp_gemm_f64(int64_t M, int64_t N, int64_t K,
                    const double *A, int64_t rsa, int64_t csa,
                    const double *B, int64_t rsb, int64_t csb,
                    double *C, int64_t ldc, double *work, int n_threads);

/* Runs `iterations` rounds of independent vector FMAs with the selected
 * SIMD level and returns the floating-point operations done: timed by the
 * caller, the core's FMA peak, against which the product is measured. */
double pymlp_fma_peak_f32(int64_t iterations);
double pymlp_fma_peak_f64(int64_t iterations);

/* SIMD level: detected once from the CPU (capped by the environment
 * variable PYMLP_SIMD=generic|avx2|avx512), or forced by pymlp_set_simd,
 * which returns the level actually set (never above what the CPU has). */
int pymlp_simd_detected(void);
int pymlp_simd_level(void);
int pymlp_set_simd(int level);

/* 1 when compiled with OpenMP; the number of processors OpenMP sees. */
int pymlp_has_openmp(void);
int pymlp_max_threads(void);
/* OpenMP's thread count for the calling thread now (OMP_NUM_THREADS, or
 * what omp_set_num_threads, e.g. through threadpoolctl, last set); 1
 * without OpenMP. */
int pymlp_default_threads(void);

/* Ctrl-C for long calls: between pymlp_catch_sigint(flag) and
 * pymlp_release_sigint(), a SIGINT sets *flag = 1 (point it at a fit's
 * `stop`) and is then passed on to the handler that was installed before.
 * For one thread at a time (a process's main thread); returns 0 and
 * installs nothing when SIGINT was ignored or the handler cannot be set.
 * Does nothing on platforms without sigaction. */
int pymlp_catch_sigint(volatile int *flag);
void pymlp_release_sigint(void);

#ifdef __cplusplus
}
#endif

#endif /* PYMLP_H */
