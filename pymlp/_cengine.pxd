# Cython declarations of the C engine, mirroring csrc/pymlp.h (see there for
# buffer layouts, ownership and threading). Other Cython code can
# `from pymlp._cengine cimport ...` for its types and enums; calls into the
# engine from another extension go through pymlp.embed (pymlp_embed.h).
from libc.stdint cimport int64_t, uint64_t


cdef extern from "pymlp.h" nogil:
    enum pymlp_activation:
        PYMLP_IDENTITY, PYMLP_RELU, PYMLP_LEAKY_RELU, PYMLP_SIGMOID,
        PYMLP_TANH, PYMLP_SOFTPLUS, PYMLP_GELU, PYMLP_STEP,
        PYMLP_N_ACTIVATIONS

    enum pymlp_loss:
        PYMLP_MSE, PYMLP_MAE, PYMLP_HUBER, PYMLP_CROSS_ENTROPY,
        PYMLP_BINARY_CROSS_ENTROPY, PYMLP_HALF_SQUARED_ERROR,
        PYMLP_BINARY_LOG_LOSS, PYMLP_POISSON, PYMLP_N_LOSSES

    enum pymlp_optimizer_kind:
        PYMLP_SGD, PYMLP_ADAM, PYMLP_ADAMW, PYMLP_SGD_SKLEARN,
        PYMLP_ADAM_SKLEARN, PYMLP_N_OPTIMIZERS

    ctypedef struct pymlp_net:
        int n_layers
        const int64_t *sizes
        const int *activations

    ctypedef struct pymlp_optimizer:
        int kind
        double lr
        double momentum
        int nesterov
        double beta1, beta2, eps
        double weight_decay
        int64_t step

    ctypedef struct pymlp_fit_f32:
        pymlp_net net
        int loss
        const float *X
        const void *y
        const float *sample_weight
        double l2
        int64_t n_samples, batch_size
        int shuffle
        uint64_t rng[4]
        float *params
        float *grad
        float *snapshot
        float *opt_state
        float *opt_snapshot
        int64_t step_snapshot
        pymlp_optimizer *opt
        int64_t *order
        float *work
        int n_threads
        double loss_sum
        double penalty_sum
        double loss_limit
        int64_t next_batch
        volatile int stop
        int decision

    ctypedef struct pymlp_fit_f64:
        pymlp_net net
        int loss
        const double *X
        const void *y
        const double *sample_weight
        double l2
        int64_t n_samples, batch_size
        int shuffle
        uint64_t rng[4]
        double *params
        double *grad
        double *snapshot
        double *opt_state
        double *opt_snapshot
        int64_t step_snapshot
        pymlp_optimizer *opt
        int64_t *order
        double *work
        int n_threads
        double loss_sum
        double penalty_sum
        double loss_limit
        int64_t next_batch
        volatile int stop
        int decision

    int pymlp_optimizer_state_per_param(const pymlp_optimizer *opt) noexcept
    int64_t pymlp_n_params(const pymlp_net *net) noexcept
    int64_t pymlp_work_len_f32(const pymlp_net *net, int64_t batch,
                               int n_threads) noexcept
    int64_t pymlp_work_len_f64(const pymlp_net *net, int64_t batch,
                               int n_threads) noexcept

    int64_t pymlp_predict_work_len_f32(const pymlp_net *net, int64_t chunk,
                                       int n_threads) noexcept
    int64_t pymlp_predict_work_len_f64(const pymlp_net *net, int64_t chunk,
                                       int n_threads) noexcept
    void pymlp_predict_f32(const pymlp_net *net, const float *params,
                           const float *X, int64_t n, float *out,
                           int64_t chunk, float *work, int n_threads) noexcept
    void pymlp_predict_f64(const pymlp_net *net, const double *params,
                           const double *X, int64_t n, double *out,
                           int64_t chunk, double *work, int n_threads) noexcept

    double pymlp_loss_grad_f32(const pymlp_net *net, int loss,
                               const float *params, const float *X,
                               const void *y, const float *sample_weight,
                               int64_t B, double l2, float *grad,
                               float *work, int n_threads) noexcept
    double pymlp_loss_grad_f64(const pymlp_net *net, int loss,
                               const double *params, const double *X,
                               const void *y, const double *sample_weight,
                               int64_t B, double l2, double *grad,
                               double *work, int n_threads) noexcept

    void pymlp_optimizer_step_f32(pymlp_optimizer *opt, float *params,
                                  const float *grad, float *state, int64_t P,
                                  int n_threads) noexcept
    void pymlp_optimizer_step_f64(pymlp_optimizer *opt, double *params,
                                  const double *grad, double *state,
                                  int64_t P, int n_threads) noexcept

    void pymlp_fit_init_f32(pymlp_fit_f32 *fit, const pymlp_net *net,
                            int loss, const float *X, const void *y,
                            const float *sample_weight, double l2,
                            int64_t n_samples, int64_t batch_size,
                            int shuffle, uint64_t seed, float *params,
                            float *grad, float *snapshot, float *opt_state,
                            float *opt_snapshot, pymlp_optimizer *opt,
                            int64_t *order,
                            float *work, int n_threads) noexcept
    void pymlp_fit_init_f64(pymlp_fit_f64 *fit, const pymlp_net *net,
                            int loss, const double *X, const void *y,
                            const double *sample_weight, double l2,
                            int64_t n_samples, int64_t batch_size,
                            int shuffle, uint64_t seed, double *params,
                            double *grad, double *snapshot,
                            double *opt_state, double *opt_snapshot,
                            pymlp_optimizer *opt,
                            int64_t *order, double *work,
                            int n_threads) noexcept
    void pymlp_fit_epoch_begin_f32(pymlp_fit_f32 *fit) noexcept
    void pymlp_fit_epoch_begin_f64(pymlp_fit_f64 *fit) noexcept
    int64_t pymlp_fit_batches_f32(pymlp_fit_f32 *fit, int64_t first,
                                  int64_t last) noexcept
    int64_t pymlp_fit_batches_f64(pymlp_fit_f64 *fit, int64_t first,
                                  int64_t last) noexcept
    double pymlp_fit_epoch_end_f32(pymlp_fit_f32 *fit, int *finite) noexcept
    double pymlp_fit_epoch_end_f64(pymlp_fit_f64 *fit, int *finite) noexcept
    int64_t pymlp_fit_epochs_f32(pymlp_fit_f32 *fit, int64_t n_epochs,
                                 double *losses, double *penalties) noexcept
    int64_t pymlp_fit_epochs_f64(pymlp_fit_f64 *fit, int64_t n_epochs,
                                 double *losses, double *penalties) noexcept

    int pymlp_all_finite_f32(const float *x, int64_t n) noexcept
    int pymlp_all_finite_f64(const double *x, int64_t n) noexcept

    int64_t pymlp_gemm_work_len(int64_t M, int64_t N, int64_t K,
                                int n_threads, int elem_size) noexcept
    void pymlp_gemm_f32(int64_t M, int64_t N, int64_t K,
                        const float *A, int64_t rsa, int64_t csa,
                        const float *B, int64_t rsb, int64_t csb,
                        float *C, int64_t ldc, float *work,
                        int n_threads) noexcept
    void pymlp_gemm_f64(int64_t M, int64_t N, int64_t K,
                        const double *A, int64_t rsa, int64_t csa,
                        const double *B, int64_t rsb, int64_t csb,
                        double *C, int64_t ldc, double *work,
                        int n_threads) noexcept

    double pymlp_fma_peak_f32(int64_t iterations) noexcept
    double pymlp_fma_peak_f64(int64_t iterations) noexcept

    int pymlp_simd_detected() noexcept
    int pymlp_simd_level() noexcept
    int pymlp_set_simd(int level) noexcept
    int pymlp_has_openmp() noexcept
    int pymlp_max_threads() noexcept
    int pymlp_default_threads() noexcept
    int pymlp_catch_sigint(volatile int *flag) noexcept
    void pymlp_release_sigint() noexcept

    double PYMLP_DIVERGENCE_FACTOR
