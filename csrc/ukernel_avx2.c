/* ukernel_avx2.c: the AVX2 level (AVX2 with FMA): the micro-kernels
 * written for it in inline assembly (ukernel_avx2.inc), the portable ones
 * compiled for it (ukernel.inc, kept as the reference the tests compare
 * with), its blocking, and every loop of isa.inc compiled for this
 * instruction set. Called only when the CPU reports it. */
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#include "internal.h"

#define UK_ISA avx2
#define UK_BYTES 32
#define UK_MR 6
#define UK_NV 2
#include "ukernels.inc"

/* Prefetch distances of the assembly kernel: B's rows (in steps of k),
 * A's elements. */
#ifndef AV_PF_B
#define AV_PF_B 16
#endif
#ifndef AV_PF_A_BYTES
#define AV_PF_A_BYTES "384"
#endif

#define AV_REAL float
#define AV_SFX f32
#define AV_VEC __m256
#define AV_LOADU _mm256_loadu_ps
#define AV_BCAST _mm256_broadcast_ss
#define AV_FMADD _mm256_fmadd_ps
#define AV_ADD _mm256_add_ps
#define AV_STOREU _mm256_storeu_ps
#define AV_ZERO _mm256_setzero_ps
#define AV_S "ss"
#define AV_P "ps"
#define AV_E "4"
#include "ukernel_avx2.inc"
#undef AV_REAL
#undef AV_SFX
#undef AV_VEC
#undef AV_LOADU
#undef AV_BCAST
#undef AV_FMADD
#undef AV_ADD
#undef AV_STOREU
#undef AV_ZERO
#undef AV_S
#undef AV_P
#undef AV_E

#define AV_REAL double
#define AV_SFX f64
#define AV_VEC __m256d
#define AV_LOADU _mm256_loadu_pd
#define AV_BCAST _mm256_broadcast_sd
#define AV_FMADD _mm256_fmadd_pd
#define AV_ADD _mm256_add_pd
#define AV_STOREU _mm256_storeu_pd
#define AV_ZERO _mm256_setzero_pd
#define AV_S "sd"
#define AV_P "pd"
#define AV_E "8"
#include "ukernel_avx2.inc"
#undef AV_REAL
#undef AV_SFX
#undef AV_VEC
#undef AV_LOADU
#undef AV_BCAST
#undef AV_FMADD
#undef AV_ADD
#undef AV_STOREU
#undef AV_ZERO
#undef AV_S
#undef AV_P
#undef AV_E

#ifdef PYMLP_TUNE  /* for a tuning harness outside the build */
const pymlp_ukernel_fn_f32 pymlp_tune_portable_avx2_f32 = ukernel_avx2_f32;
const pymlp_ukernel_fn_f64 pymlp_tune_portable_avx2_f64 = ukernel_avx2_f64;
const pymlp_ukernel_fn_f32 pymlp_tune_intrin_avx2_f32 = ukernel_avx2_asm_f32;
const pymlp_ukernel_fn_f64 pymlp_tune_intrin_avx2_f64 = ukernel_avx2_asm_f64;
#endif

/* Blocking, per type: KC rows of 1 kB, MC x KC blocks of A, KC x NC
 * panels of B of about 1 MB */
#define ISA_NAME avx2
#define ISA_MR_F32 6
#define ISA_NR_F32 16
#define ISA_BLOCKING_F32 .mc = 480, .kc = 256, .nc = 1024
#define ISA_UKERNEL_F32 ukernel_avx2_asm_f32
#define ISA_PORTABLE_F32 ukernel_avx2_f32
#define ISA_PEAK_F32 fma_peak_avx2_f32
#define ISA_MR_F64 6
#define ISA_NR_F64 8
#define ISA_BLOCKING_F64 .mc = 480, .kc = 128, .nc = 1024
#define ISA_UKERNEL_F64 ukernel_avx2_asm_f64
#define ISA_PORTABLE_F64 ukernel_avx2_f64
#define ISA_PEAK_F64 fma_peak_avx2_f64
#include "isa.inc"
