/* winograd_avx512.c — the Winograd F(4x4, 3x3) tile transforms (winograd_xform.h) built with
 * AVX-512: 16 channels per vector. */
#define WINO_VW 16
#define WINO_NAME(x) x##_avx512
#include "kernels/winograd_xform.h"
