/* test_kernels_isa.h — how a kernel test gets the config of the ISA it tests: skipped (and
 * counted as skipped) when this CPU cannot run it, failed when DLF_EXPECT_ISA names it. */
#ifndef DLF_TEST_KERNELS_ISA_H
#define DLF_TEST_KERNELS_ISA_H

#include "kernels/kernels.h"

/* The config of isa, or NULL after test_skip() (the CPU lacks isa) or test_fail() (the CPU
 * lacks isa and DLF_EXPECT_ISA, a space-separated list of ISA names such as
 * "generic avx2 avx512", names it; or that list names an unknown ISA). CI sets the list, so
 * a machine that silently lost a path fails instead of passing on the paths it has. */
const kern_config *kern_test_config(kern_isa isa);

/* For a test that loops over every ISA: the config of isa, or NULL (no skip mark: the test
 * ran on the other ISAs) when the CPU lacks it, after test_fail() when DLF_EXPECT_ISA names it. */
const kern_config *kern_test_config_of_loop(kern_isa isa);

/* True when DLF_EXPECT_ISA lists isa's name. */
bool kern_test_isa_expected(kern_isa isa);

#endif
