/* ukernel_avx2.c: micro-kernels for AVX2 with FMA (6 x 2 vectors: 12 of
 * the 16 ymm registers accumulate). Compiled for that target only; called
 * only when the CPU reports it. */
#pragma GCC target("avx2,fma")
#include "internal.h"

#define UK_ISA avx2
#define UK_BYTES 32
#define UK_MR 6
#define UK_NV 2
#include "ukernels.inc"
