/* internal.h: declarations shared by the engine's C files, not part of the
 * public interface (pymlp.h).
 *
 * The matrix product takes an epilogue that is applied to each output tile
 * while it is still in cache, right after its last partial sum:
 *   BIAS_ACT: C = g(C + bias), optionally saving f = C + bias (for gelu);
 *   DERIV:    C = C * g'(saved), the Hadamard form of the diagonal Jacobian
 *             of an elementwise activation, from the saved forward values.
 * Micro-kernels compute one MR x NR tile from packed panels; there is one
 * per SIMD level, each in its own file compiled for its instruction set,
 * with the level's blocking and every other loop compiled per instruction
 * set, in one table per level and type (pymlp_isa_*, built by isa.inc).
 */
#ifndef PYMLP_INTERNAL_H
#define PYMLP_INTERNAL_H

#include "pymlp.h"

/* OpenMP is optional: without it every parallel region runs on one
 * thread and pymlp_has_openmp() says so. */
#ifdef _OPENMP
#include <omp.h>
static inline int pymlp_thread_num(void) { return omp_get_thread_num(); }
static inline int pymlp_team_size(void) { return omp_get_num_threads(); }
/* A barrier of the enclosing team; nothing to wait for when alone. */
#define PYMLP_BARRIER()                                                      \
    do {                                                                     \
        if (omp_get_num_threads() > 1) {                                     \
            _Pragma("omp barrier")                                           \
        }                                                                    \
    } while (0)
#else
static inline int pymlp_thread_num(void) { return 0; }
static inline int pymlp_team_size(void) { return 1; }
#define PYMLP_BARRIER() ((void)0)
#endif

/* Work (FLOPs) a thread should get before work is split: a fork and join
 * costs a few microseconds (PYMLP_FORK_FLOPS, tens of microseconds of
 * vector work); inside a team a split costs a barrier (PYMLP_TEAM_FLOPS);
 * a team for a whole pass is started from PYMLP_PASS_FLOPS per thread (see
 * team_for in network.inc). */
#define PYMLP_FORK_FLOPS 2e6
#define PYMLP_TEAM_FLOPS 2.5e5
#define PYMLP_PASS_FLOPS 8e6

#define PYMLP_ALIGN 64

/* Flush-to-zero and denormals-are-zero for the loops of one entry point
 * on the calling thread; pymlp_fpu_leave gives back the caller's mode. */
#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
static inline unsigned pymlp_fpu_enter(void)
{
    const unsigned mode = _mm_getcsr();
    _mm_setcsr(mode | 0x8040u);  /* FTZ (bit 15) | DAZ (bit 6) */
    return mode;
}
static inline void pymlp_fpu_leave(unsigned mode) { _mm_setcsr(mode); }
#else
static inline unsigned pymlp_fpu_enter(void) { return 0; }
static inline void pymlp_fpu_leave(unsigned mode) { (void)mode; }
#endif

/* Preconditions of the entry points, checked in debug builds only. */
#ifdef PYMLP_DEBUG
#include <stdio.h>
#include <stdlib.h>
#define PYMLP_REQUIRE(cond)                                                  \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "pymlp: precondition failed: %s (%s:%d)\n",     \
                    #cond, __FILE__, __LINE__);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)
#else
#define PYMLP_REQUIRE(cond) ((void)0)
#endif

/* 1 when net has at least one layer, every width is >= 1 and every
 * activation code is known. */
int pymlp_net_valid(const pymlp_net *net);

/* What a training team does after a batch's backward pass (network.inc). */
enum pymlp_batch_decision { PYMLP_STOP = 1, PYMLP_SNAPSHOT = 2 };

enum pymlp_epilogue_kind { PYMLP_EP_NONE = 0, PYMLP_EP_BIAS_ACT, PYMLP_EP_DERIV };

#define PYMLP_TYPED_DECLS(REAL, SFX)                                         \
    typedef struct {                                                         \
        int kind;                                                            \
        int activation;                                                      \
        const REAL *bias;     /* BIAS_ACT: (N) */                            \
        REAL *f_out;          /* BIAS_ACT: (M, N) with ldc, or NULL */       \
        const REAL *saved_a;  /* DERIV: g(f), (M, N) with ldc */             \
        const REAL *saved_f;  /* DERIV: f, (M, N) with ldc (gelu only) */    \
    } pymlp_epilogue_##SFX;                                                  \
                                                                             \
    /* What a micro-kernel applies to a tile before storing it, in        \
     * place of the epilogue's pass over the stored tile (the same        \
     * operations in the same order): c + bias[j] when bias is not NULL,  \
     * then max(c, 0) when relu is set; c where mask[i * ldc + j] > 0,    \
     * else 0, when mask is not NULL (relu's derivative, mask the saved   \
     * a with C's row stride). */                                          \
    typedef struct {                                                         \
        const REAL *bias;                                                    \
        const REAL *mask;                                                    \
        int relu;                                                            \
    } pymlp_tile_epilogue_##SFX;                                             \
                                                                             \
    /* The tile of c's first m rows and n columns (up to MR, NR), row     \
     * stride ldc, OUT = (accumulate ? c : 0) + sum over p of              \
     * a[i * rsa + p * csa] * b[p * ldb + j], where rsa or csa is 1: a     \
     * packed sliver (rsa 1, csa MR) or A read in place; then the tile     \
     * epilogue te, unless it is NULL. All MR rows of a and NR columns of  \
     * b are read (an edge sliver is packed, zero-padded). */              \
    typedef void (*pymlp_ukernel_fn_##SFX)(                                  \
        int64_t k, const REAL *a, int64_t rsa, int64_t csa, const REAL *b,   \
        int64_t ldb, REAL *c, int64_t ldc, int m, int n, int accumulate,     \
        const pymlp_tile_epilogue_##SFX *te);                                \
                                                                             \
    /* One SIMD level's kernels and loops for one type (see isa.inc): the  \
     * engine calls every loop that is compiled per instruction set through \
     * the table of the selected level, so that a forced lower level runs  \
     * all of them. */                                                      \
    typedef struct {                                                         \
        /* the packed product: tile, blocking, micro-kernel, packing */      \
        int mr, nr;                                                          \
        int64_t mc, kc, nc;                                                  \
        pymlp_ukernel_fn_##SFX ukernel;                                      \
        /* the portable kernel of ukernel.inc at this level, the reference   \
         * the tests compare ukernel with (pymlp_set_portable_kernels) */    \
        pymlp_ukernel_fn_##SFX portable_ukernel;                             \
        double (*fma_peak)(int64_t iterations, REAL *sink);                  \
        void (*pack_a)(int64_t mc, int64_t kc, const REAL *A, int64_t rsa,   \
                       int64_t csa, REAL *out);                              \
        void (*pack_b)(int64_t kc, int64_t nc, const REAL *B, int64_t rsb,   \
                       int64_t csb, REAL *out);                              \
        /* the direct product of small.inc and the epilogue */               \
        void (*gemm_small)(int64_t M, int64_t N, int64_t K, const REAL *A,   \
                           int64_t rsa, int64_t csa, const REAL *B,          \
                           int64_t rsb, int64_t csb, REAL *C, int64_t ldc,   \
                           const pymlp_epilogue_##SFX *ep, REAL *work);      \
        void (*apply_epilogue)(const pymlp_epilogue_##SFX *ep, REAL *C,      \
                               int64_t ldc, int64_t i0, int64_t j0,          \
                               int64_t m, int64_t n);                        \
        /* elementwise loops: activations.inc, losses.inc, optim_loops.inc */\
        void (*activation_backward)(int act, REAL *delta, int64_t ld,        \
                                    int64_t m, int64_t n, const REAL *a,     \
                                    const REAL *f);                          \
        double (*loss_forward_backward)(int loss, const REAL *z,             \
                                        const void *y, const REAL *w,        \
                                        double w_sum, int64_t B, int64_t O,  \
                                        REAL *delta);                        \
        void (*column_sums)(const REAL *delta, int64_t B, int64_t O,         \
                            int64_t j0, int64_t j1, REAL *db);               \
        void (*sgd_range)(REAL *params, const REAL *grad, REAL *buf,         \
                          int64_t begin, int64_t end, REAL lr, REAL wd,      \
                          REAL mu, int nesterov);                            \
        void (*sgd_velocity_range)(REAL *params, const REAL *grad, REAL *v,  \
                                   int64_t begin, int64_t end, REAL lr,      \
                                   REAL wd, REAL mu, int nesterov);          \
        void (*adam_eps_hat_range)(REAL *params, const REAL *grad, REAL *m,  \
                                   REAL *v, int64_t begin, int64_t end,      \
                                   REAL wd, REAL b1, REAL one_minus_b1,      \
                                   REAL b2, REAL one_minus_b2,               \
                                   REAL step_size, REAL eps);                \
        void (*adam_range)(REAL *params, const REAL *grad, REAL *m, REAL *v, \
                           int64_t begin, int64_t end, REAL decay, REAL wd,  \
                           REAL one_minus_b1, REAL b2, REAL one_minus_b2,    \
                           REAL step_size, REAL inv_bc2_sqrt, REAL eps);     \
    } pymlp_isa_##SFX;                                                       \
                                                                             \
    extern const pymlp_isa_##SFX pymlp_isa_generic_##SFX;                    \
    extern const pymlp_isa_##SFX pymlp_isa_avx2_##SFX;                       \
    extern const pymlp_isa_##SFX pymlp_isa_avx512_##SFX;                     \
    /* The table of the selected level (runtime.c sets it with the level) */ \
    extern const pymlp_isa_##SFX *volatile pymlp_isa_selected_##SFX;        \
    static inline const pymlp_isa_##SFX *pymlp_current_isa_##SFX(void)       \
    {                                                                        \
        const pymlp_isa_##SFX *t = pymlp_isa_selected_##SFX;                 \
        if (t == NULL) {                                                     \
            pymlp_simd_level();  /* chooses the level, sets the tables */    \
            t = pymlp_isa_selected_##SFX;                                    \
        }                                                                    \
        return t;                                                            \
    }                                                                        \
                                                                             \
    void pymlp_gemm_ep_##SFX(int64_t M, int64_t N, int64_t K,                \
                             const REAL *A, int64_t rsa, int64_t csa,        \
                             const REAL *B, int64_t rsb, int64_t csb,        \
                             REAL *C, int64_t ldc,                           \
                             const pymlp_epilogue_##SFX *ep, REAL *work,     \
                             int n_threads);

PYMLP_TYPED_DECLS(float, f32)
PYMLP_TYPED_DECLS(double, f64)
#undef PYMLP_TYPED_DECLS

/* For the tests: on (1), the selected level's tables use the portable
 * micro-kernel (ukernel.inc) instead of the level's own, until turned off
 * (0); returns the previous setting. Re-selects the level's tables. */
int pymlp_set_portable_kernels(int on);

/* Blocking of the packed product: KC x NC panels of B, MC x KC blocks of
 * A, per SIMD level and type in the level's table (isa.inc); the loop over
 * MR-row slivers of A is outside the loop over NR-column slivers of B, so
 * one A sliver stays in L1 while B's stream by. MC and NC are multiples of
 * the level's MR and NR. Packing space is sized for the largest blocks of
 * any level (a buffer may be sized at one level and used at another). */
/* The packed product reads panels of B of up to this many bytes in place,
 * unpacked, when B's rows are contiguous (see prepare_b in gemm.inc). */
#ifndef PYMLP_IN_PLACE_BYTES
#define PYMLP_IN_PLACE_BYTES 65536
#endif
/* The direct (unpacked) path copies at most this many elements of B^T. */
#define PYMLP_SMALL_COPY_MAX 65536
/* Elements of B^T that the direct path copies row-major (0: it takes dot
 * products instead, for a B^T too large to copy cheaply). */
#define PYMLP_SMALL_COPY_LEN(N, K)                                           \
    ((N) > 1 && (K) * (N) <= PYMLP_SMALL_COPY_MAX ? (K) * (N) : 0)

/* Threads worth using for `flops` of work with at most n_threads: one per
 * `per_thread` FLOPs, at least one. */
int pymlp_threads_for(double flops, double per_thread, int n_threads);

int64_t pymlp_round_up(int64_t x, int64_t m);

/* Fisher-Yates shuffle of order (n) with the xoshiro256** state rng. */
void pymlp_shuffle(int64_t *order, int64_t n, uint64_t rng[4]);

#endif /* PYMLP_INTERNAL_H */
