/* test_kernels_simd_avx512.c — the SIMD vocabulary test (test_kernels_simd_body.h) on
 * simd_avx512.h; compiled with the avx512 flags (Makefile), called only when the CPU
 * runs them. */
#include "kernels/simd_avx512.h"

void test_simd_vocabulary_avx512(void);

#include "test_kernels_simd_body.h"
