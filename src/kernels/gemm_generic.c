/* gemm_generic.c — the SGEMM micro-kernel (gemm_body.h) on the portable vocabulary (GCC vector
 * extensions of 4 floats, any CPU): a 4 x 8 tile of C. */
#include "kernels/kernels.h"
#include "kernels/simd_generic.h"

#define GEMM_MR KERN_SGEMM_GENERIC_MR
_Static_assert(KERN_SGEMM_GENERIC_NR == 2 * SIMD_VL, "the packed panel is two vectors wide");
#include "kernels/gemm_body.h"
