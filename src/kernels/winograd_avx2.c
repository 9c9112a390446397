/* winograd_avx2.c — the Winograd F(4x4, 3x3) tile transforms (winograd_xform.h) on the SIMD vocabulary of
 * AVX2 + FMA: 8 channels per vector. */
#include "kernels/simd_avx2.h"
#include "kernels/winograd_xform.h"
