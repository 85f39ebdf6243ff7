/* ukernel_generic.c: micro-kernels for any x86-64 (SSE2) or other CPU. */
#include "internal.h"

#define UK_VL (16 / sizeof(UK_REAL))

#define UK_REAL float
#define UK_VEC vec_generic_f32
#define UK_MR 4
#define UK_NV 2
#define UK_NAME ukernel_generic_f32
#define UK_PEAK_NAME fma_peak_generic_f32
#define UK_TABLE pymlp_ukernel_generic_f32
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
#define UK_VEC vec_generic_f64
#define UK_MR 4
#define UK_NV 2
#define UK_NAME ukernel_generic_f64
#define UK_PEAK_NAME fma_peak_generic_f64
#define UK_TABLE pymlp_ukernel_generic_f64
#define UK_TABLE_TYPE pymlp_ukernel_f64
#include "ukernel.inc"
