/* ukernel_avx2.c: micro-kernels for AVX2 with FMA (6 x 2 vectors: 12 of
 * the 16 ymm registers accumulate). Compiled for that target only; called
 * only when the CPU reports it. */
#pragma GCC target("avx2,fma")
#include "internal.h"

#define UK_VL (32 / sizeof(UK_REAL))

#define UK_REAL float
#define UK_VEC vec_avx2_f32
#define UK_MR 6
#define UK_NV 2
#define UK_NAME ukernel_avx2_f32
#define UK_PEAK_NAME fma_peak_avx2_f32
#define UK_TABLE pymlp_ukernel_avx2_f32
#define UK_TABLE_TYPE pymlp_ukernel_f32
#include "ukernel.inc"
#undef UK_REAL
#undef UK_VEC
#undef UK_MR
#undef UK_NV
#undef UK_NAME
#undef UK_PEAK_NAME
#undef UK_TABLE
#undef UK_TABLE_TYPE

#define UK_REAL double
#define UK_VEC vec_avx2_f64
#define UK_MR 6
#define UK_NV 2
#define UK_NAME ukernel_avx2_f64
#define UK_PEAK_NAME fma_peak_avx2_f64
#define UK_TABLE pymlp_ukernel_avx2_f64
#define UK_TABLE_TYPE pymlp_ukernel_f64
#include "ukernel.inc"
