/* internal.h: declarations shared by the engine's C files, not part of the
 * public interface (pymlp.h).
 *
 * The matrix product takes an epilogue that is applied to each output tile
 * while it is still in cache, right after its last partial sum:
 *   BIAS_ACT: C = g(C + bias), optionally saving f = C + bias (for gelu);
 *   DERIV:    C = C * g'(saved), the Hadamard form of the diagonal Jacobian
 *             of an elementwise activation, from the saved forward values.
 * Micro-kernels compute one MR x NR tile from packed panels; there is one
 * per SIMD level, each in its own file compiled for its instruction set.
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

/* Loops outside the packed product (small products, activations, losses,
 * optimizer) are compiled for several instruction sets and picked at load
 * time from the CPU (GCC's function multi-versioning, on Linux x86-64); the
 * default build still runs on any x86-64. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
    && defined(__linux__) && !defined(PYMLP_NO_CLONES)
#define PYMLP_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PYMLP_CLONES
#endif

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
    /* c (MR, NR), row stride ldc OUT = (accumulate ? c : 0) + sum over p  \
     * of a[p * MR + i] * b[p * ldb + j]; a is packed and aligned. */       \
    typedef void (*pymlp_ukernel_fn_##SFX)(int64_t k, const REAL *a,         \
                                          const REAL *b, int64_t ldb,        \
                                          REAL *c, int64_t ldc,              \
                                          int accumulate);                   \
    typedef struct {                                                         \
        int mr, nr;                                                          \
        pymlp_ukernel_fn_##SFX fn;                                           \
        double (*fma_peak)(int64_t iterations, REAL *sink);                  \
    } pymlp_ukernel_##SFX;                                                   \
                                                                             \
    extern const pymlp_ukernel_##SFX pymlp_ukernel_generic_##SFX;            \
    extern const pymlp_ukernel_##SFX pymlp_ukernel_avx2_##SFX;               \
    extern const pymlp_ukernel_##SFX pymlp_ukernel_avx512_##SFX;             \
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

/* Blocking of the packed product: KC x NC panels of B (KC and NC per type
 * in gemm.inc: rows of KC_BYTES, panels of about 1 MB, in L2), MC x KC
 * blocks of A; the loop over MR-row slivers of A is outside the loop over
 * NR-column slivers of B, so one A sliver stays in L1 while B's stream by.
 * MC and NC are multiples of every kernel's MR and NR. */
#ifndef PYMLP_KC_BYTES
#define PYMLP_KC_BYTES 1024
#endif
#define PYMLP_MC 480
#define PYMLP_MR_MAX 16
/* The packed product reads panels of B of up to this many bytes in place,
 * unpacked, when B's rows are contiguous (see prepare_b in gemm.inc). */
#ifndef PYMLP_IN_PLACE_BYTES
#define PYMLP_IN_PLACE_BYTES 65536
#endif
/* The direct (unpacked) path copies at most this many elements of B^T. */
#define PYMLP_SMALL_COPY_MAX 65536
#define PYMLP_NR_MAX 32

/* Threads worth using for `flops` of work with at most n_threads: one per
 * `per_thread` FLOPs, at least one. */
int pymlp_threads_for(double flops, double per_thread, int n_threads);

int64_t pymlp_round_up(int64_t x, int64_t m);

/* Fisher-Yates shuffle of order (n) with the xoshiro256** state rng. */
void pymlp_shuffle(int64_t *order, int64_t n, uint64_t rng[4]);

#endif /* PYMLP_INTERNAL_H */
