/* ukernel_generic.c: the generic level, for any x86-64 (SSE2) or other
 * CPU: micro-kernels of 4 x 2 vectors of 16 bytes, and every loop of
 * isa.inc compiled for the baseline instruction set. */
#include "internal.h"

#define UK_ISA generic
#define UK_BYTES 16
#define UK_MR 4
#define UK_NV 2
#include "ukernels.inc"

/* Blocking, per type: KC rows of 1 kB, MC x KC blocks of A, KC x NC
 * panels of B of about 1 MB */
#define ISA_NAME generic
#define ISA_MR_F32 4
#define ISA_NR_F32 8
#define ISA_BLOCKING_F32 .mc = 480, .kc = 256, .nc = 1024
#define ISA_UKERNEL_F32 ukernel_generic_f32
#define ISA_PORTABLE_F32 ukernel_generic_f32
#define ISA_PEAK_F32 fma_peak_generic_f32
#define ISA_MR_F64 4
#define ISA_NR_F64 4
#define ISA_BLOCKING_F64 .mc = 480, .kc = 128, .nc = 1024
#define ISA_UKERNEL_F64 ukernel_generic_f64
#define ISA_PORTABLE_F64 ukernel_generic_f64
#define ISA_PEAK_F64 fma_peak_generic_f64
#include "isa.inc"
