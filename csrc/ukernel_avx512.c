/* ukernel_avx512.c: the AVX-512 level (AVX-512F and VL): micro-kernels of
 * 12 x 2 vectors (24 of the 32 zmm registers accumulate), and every loop
 * of isa.inc compiled for this instruction set. Called only when the CPU
 * reports it. */
#pragma GCC target("avx512f,avx512vl,avx2,fma")
#include "internal.h"

#define UK_ISA avx512
#define UK_BYTES 64
#define UK_MR 12
#define UK_NV 2
#include "ukernels.inc"

/* Blocking, per type: KC rows of 1 kB, MC x KC blocks of A, KC x NC
 * panels of B of about 1 MB */
#define ISA_NAME avx512
#define ISA_MR_F32 12
#define ISA_NR_F32 32
#define ISA_BLOCKING_F32 .mc = 480, .kc = 256, .nc = 1024
#define ISA_UKERNEL_F32 ukernel_avx512_f32
#define ISA_PORTABLE_F32 ukernel_avx512_f32
#define ISA_PEAK_F32 fma_peak_avx512_f32
#define ISA_MR_F64 12
#define ISA_NR_F64 16
#define ISA_BLOCKING_F64 .mc = 480, .kc = 128, .nc = 1024
#define ISA_UKERNEL_F64 ukernel_avx512_f64
#define ISA_PORTABLE_F64 ukernel_avx512_f64
#define ISA_PEAK_F64 fma_peak_avx512_f64
#include "isa.inc"
