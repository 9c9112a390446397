/* gemm_avx512.c — the SGEMM micro-kernel (gemm_body.h) on AVX-512: a 12 x 32 tile of C in 24
 * zmm accumulators (compiled with -mavx512*; only reached through a config that checked). */
#include "kernels/kernels.h"
#include "kernels/simd_avx512.h"

#define GEMM_MR KERN_SGEMM_AVX512_MR
_Static_assert(KERN_SGEMM_AVX512_NR == 2 * SIMD_VL, "the packed panel is two vectors wide");
#include "kernels/gemm_body.h"
