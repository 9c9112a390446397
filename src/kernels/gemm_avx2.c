/* gemm_avx2.c — the SGEMM micro-kernel (gemm_body.h) on AVX2 + FMA: a 6 x 16 tile of C in 12
 * ymm accumulators (compiled with -mavx2 -mfma; only reached through a config that checked). */
#include "kernels/kernels.h"
#include "kernels/simd_avx2.h"

#define GEMM_MR KERN_SGEMM_AVX2_MR
_Static_assert(KERN_SGEMM_AVX2_NR == 2 * SIMD_VL, "the packed panel is two vectors wide");
#include "kernels/gemm_body.h"
