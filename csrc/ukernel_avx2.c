/* ukernel_avx2.c: the AVX2 level (AVX2 with FMA): the micro-kernels
 * written for it in inline assembly (ukernel_avx2.inc), the portable ones
 * compiled for it (ukernel.inc, kept as the reference the tests compare
 * with), its blocking, and every loop of isa.inc compiled for this
 * instruction set. Called only when the CPU reports it. */
#pragma GCC target("avx2,fma")
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "internal.h"

#define UK_ISA avx2
#define UK_BYTES 32
#define UK_MR 6
#define UK_NV 2
#include "ukernels.inc"

/* The level's blocking table, per type: the micro-kernel's tile, the
 * prefetch distance of B's rows in the assembly kernel (in steps of k),
 * MC x KC blocks of A, KC x NC panels of B. Measured on a Zen 3
 * EPYC (L1d 32 kB, L2 512 kB a core) on 2048^3 products, alternating
 * configurations in one process, medians of thread CPU time on a shared
 * machine: NC 2048 rather than 1024 packs A once instead of twice when N
 * is 2048, 3.5% faster in float (three runs of 7 to 21 rounds: 85.2 / 82.3,
 * 81.1 / 78.3, 87.0 / 84.0 GFLOP/s), in double faster in two runs of three
 * (41.1 / 37.8, 38.9 / 37.8, 35.9 / 39.6). KC 128 to 512, MC 72 to 480, B's
 * prefetch 8 to 32 rows ahead, and BLIS's loop order (B's sliver in L1,
 * A's block in L2, MC 72 to 240) all came within the noise (a few per
 * cent) of the sizes below. */
#define AV_PF_B 16
#define ISA_NAME avx2
#define ISA_MR_F32 6
#define ISA_NR_F32 16
#define ISA_BLOCKING_F32 .mc = 480, .kc = 256, .nc = 2048
#define ISA_MR_F64 6
#define ISA_NR_F64 8
#define ISA_BLOCKING_F64 .mc = 480, .kc = 128, .nc = 2048

/* The assembly kernels need x86-64 and GCC's (or Clang's) inline asm;
 * elsewhere the level runs the portable ones. */
#if defined(__x86_64__) && defined(__GNUC__)
#define AV_REAL float
#define AV_SFX f32
#define AV_VEC __m256
#define AV_LOADU _mm256_loadu_ps
#define AV_ADD _mm256_add_ps
#define AV_STOREU _mm256_storeu_ps
#define AV_ZERO _mm256_setzero_ps
#define AV_MASK __m256i
#define AV_LANE_MASK(lanes)                                                  \
    _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes),                             \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define AV_MASKLOAD _mm256_maskload_ps
#define AV_MASKSTORE _mm256_maskstore_ps
#define AV_S "ss"
#define AV_P "ps"
#define AV_E "4"
#include "ukernel_avx2.inc"

#define AV_REAL double
#define AV_SFX f64
#define AV_VEC __m256d
#define AV_LOADU _mm256_loadu_pd
#define AV_ADD _mm256_add_pd
#define AV_STOREU _mm256_storeu_pd
#define AV_ZERO _mm256_setzero_pd
#define AV_MASK __m256i
#define AV_LANE_MASK(lanes)                                                  \
    _mm256_cmpgt_epi64(_mm256_set1_epi64x(lanes),                            \
                       _mm256_setr_epi64x(0, 1, 2, 3))
#define AV_MASKLOAD _mm256_maskload_pd
#define AV_MASKSTORE _mm256_maskstore_pd
#define AV_S "sd"
#define AV_P "pd"
#define AV_E "8"
#include "ukernel_avx2.inc"

#define ISA_UKERNEL_F32 ukernel_avx2_asm_f32
#define ISA_UKERNEL_F64 ukernel_avx2_asm_f64
#else
#define ISA_UKERNEL_F32 ukernel_avx2_f32
#define ISA_UKERNEL_F64 ukernel_avx2_f64
#endif

#define ISA_PORTABLE_F32 ukernel_avx2_f32
#define ISA_PEAK_F32 fma_peak_avx2_f32
#define ISA_PORTABLE_F64 ukernel_avx2_f64
#define ISA_PEAK_F64 fma_peak_avx2_f64
#include "isa.inc"
