/* test_kernels_simd.c — registers the SIMD vocabulary test of every ISA (one row per ISA of
 * src/kernels/kernels.def); each runs where the CPU can (else a skip, see test_kernels_isa.h). */
#include "test.h"
#include "test_kernels_isa.h"

#define KERN_ISA(isa, ENUM)                                                                        \
  void test_simd_vocabulary_##isa(void);                                                           \
  TEST(test_kernels_simd_vocabulary_##isa) {                                                       \
    if (kern_test_config(KERN_ISA_##ENUM)) test_simd_vocabulary_##isa();                           \
  }
#include "kernels/kernels.def"
