/* test_kernels_simd_generic.c — the SIMD vocabulary test (test_kernels_simd_body.h) on
 * simd_generic.h. */
#include "kernels/simd_generic.h"

void test_simd_vocabulary_generic(void);

#include "test_kernels_simd_body.h"
