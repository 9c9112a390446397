/* test_kernels_simd_avx2.c — the SIMD vocabulary test (test_kernels_simd_body.h) on
 * simd_avx2.h; compiled with the avx2 flags (Makefile), called only when the CPU
 * runs them. */
#include "kernels/simd_avx2.h"

void test_simd_vocabulary_avx2(void);

#include "test_kernels_simd_body.h"
