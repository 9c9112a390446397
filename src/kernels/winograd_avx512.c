/* winograd_avx512.c — the Winograd F(4x4, 3x3) tile transforms (winograd_xform.h) on the SIMD vocabulary of
 * AVX-512: 16 channels per vector. */
#include "kernels/simd_avx512.h"
#include "kernels/winograd_xform.h"
