/* ukernel_avx512.c: micro-kernels for AVX-512F (12 x 2 vectors: 24 of
 * the 32 zmm registers accumulate). Compiled for that target only; called
 * only when the CPU reports it. */
#pragma GCC target("avx512f,avx512vl,avx2,fma")
#include "internal.h"

#define UK_ISA avx512
#define UK_BYTES 64
#define UK_MR 12
#define UK_NV 2
#include "ukernels.inc"
