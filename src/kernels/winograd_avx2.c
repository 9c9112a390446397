/* winograd_avx2.c — the Winograd F(4x4, 3x3) tile transforms (winograd_xform.h) built with
 * AVX2 + FMA: 8 channels per vector. */
#define WINO_VW 8
#define WINO_NAME(x) x##_avx2
#include "kernels/winograd_xform.h"
