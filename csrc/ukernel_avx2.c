/* ukernel_avx2.c: the AVX2 level (AVX2 with FMA): micro-kernels of 6 x 2
 * vectors (12 of the 16 ymm registers accumulate), and every loop of
 * isa.inc compiled for this instruction set. Called only when the CPU
 * reports it. */
#pragma GCC target("avx2,fma")
#include "internal.h"

#define UK_ISA avx2
#define UK_BYTES 32
#define UK_MR 6
#define UK_NV 2
#include "ukernels.inc"

/* Blocking, per type: KC rows of 1 kB, MC x KC blocks of A, KC x NC
 * panels of B of about 1 MB */
#define ISA_NAME avx2
#define ISA_MR_F32 6
#define ISA_NR_F32 16
#define ISA_BLOCKING_F32 .mc = 480, .kc = 256, .nc = 1024
#define ISA_UKERNEL_F32 ukernel_avx2_f32
#define ISA_PEAK_F32 fma_peak_avx2_f32
#define ISA_MR_F64 6
#define ISA_NR_F64 8
#define ISA_BLOCKING_F64 .mc = 480, .kc = 128, .nc = 1024
#define ISA_UKERNEL_F64 ukernel_avx2_f64
#define ISA_PEAK_F64 fma_peak_avx2_f64
#include "isa.inc"
