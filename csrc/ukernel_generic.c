/* ukernel_generic.c: micro-kernels for any x86-64 (SSE2) or other CPU
 * (4 x 2 vectors of 16 bytes). */
#include "internal.h"

#define UK_ISA generic
#define UK_BYTES 16
#define UK_MR 4
#define UK_NV 2
#include "ukernels.inc"
