/* test_kernels_isa.c — kern_test_config: the per-ISA kernel tests' way to a config, which
 * makes a test for a missing ISA a visible skip, or a failure when DLF_EXPECT_ISA expects it. */
#include "test_kernels_isa.h"
#include "kernels/kernels_isa.h"

#include <stdlib.h>
#include <string.h>

#include "test.h"

/* Whether the space-separated list has the word w (exact, whole word). */
static bool list_has(const char *list, const char *w) {
  const size_t n = strlen(w);
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == ',') p++;
    const char *e = p;
    while (*e && *e != ' ' && *e != ',') e++;
    if ((size_t)(e - p) == n && !strncmp(p, w, n)) return true;
    p = e;
  }
  return false;
}

/* The first word of the list that names no ISA, copied to out (NULL: none). */
static const char *unknown_word(const char *list, char *out, size_t out_size) {
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == ',') p++;
    const char *e = p;
    while (*e && *e != ' ' && *e != ',') e++;
    if (e > p) {
      bool known = false;
      for (int i = 0; i < KERN_ISA_COUNT; i++) {
        const char *name = kern_isa_name((kern_isa)i);
        if ((size_t)(e - p) == strlen(name) && !strncmp(p, name, (size_t)(e - p))) known = true;
      }
      if (!known) {
        size_t n = (size_t)(e - p) < out_size - 1 ? (size_t)(e - p) : out_size - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        return out;
      }
    }
    p = e;
  }
  return NULL;
}

bool kern_test_isa_expected(kern_isa isa) {
  const char *list = getenv("DLF_EXPECT_ISA");
  return list && list_has(list, kern_isa_name(isa));
}

/* The config of isa; NULL (after test_fail when the list is bad or expects isa) otherwise. */
static const kern_config *config_checked(kern_isa isa, bool *missing) {
  *missing = false;
  const char *list = getenv("DLF_EXPECT_ISA");
  char bad[32];
  if (list && unknown_word(list, bad, sizeof bad)) {
    test_fail(__FILE__, __LINE__, "DLF_EXPECT_ISA=\"%s\": '%s' is not one of generic|avx2|avx512",
              list, bad);
    return NULL;
  }
  const kern_config *cfg = kern_config_for_isa(isa);
  if (cfg) return cfg;
  if (kern_test_isa_expected(isa))
    test_fail(__FILE__, __LINE__,
              "DLF_EXPECT_ISA=\"%s\" expects the %s kernels, but this CPU cannot run them", list,
              kern_isa_name(isa));
  else
    *missing = true;
  return NULL;
}

const kern_config *kern_test_config(kern_isa isa) {
  bool missing;
  const kern_config *cfg = config_checked(isa, &missing);
  if (missing) test_skip("this CPU cannot run the %s kernels", kern_isa_name(isa));
  return cfg;
}

const kern_config *kern_test_config_of_loop(kern_isa isa) {
  bool missing;
  return config_checked(isa, &missing);
}

/* The list is words split by spaces or commas, matched whole. */
TEST(test_kernels_expect_isa_list_matches_whole_words) {
  const char *old = getenv("DLF_EXPECT_ISA");
  char *saved = old ? strdup(old) : NULL;
  setenv("DLF_EXPECT_ISA", "avx2,avx512 ", 1);
  CHECK(!kern_test_isa_expected(KERN_ISA_GENERIC));
  CHECK(kern_test_isa_expected(KERN_ISA_AVX2));
  CHECK(kern_test_isa_expected(KERN_ISA_AVX512));
  setenv("DLF_EXPECT_ISA", "avx", 1);
  CHECK(!kern_test_isa_expected(KERN_ISA_AVX2));
  unsetenv("DLF_EXPECT_ISA");
  CHECK(!kern_test_isa_expected(KERN_ISA_AVX2));
  if (saved) setenv("DLF_EXPECT_ISA", saved, 1);
  free(saved);
}

/* Every kernel family of kernels.def has a symbol per ISA, each ISA its own (a copy-paste slip
 * in a selector would hand one ISA another's kernel), and the dispatch tables hold them. */
TEST(test_kernels_every_family_has_a_symbol_per_isa) {
  int families = 0;
#define KERN_FAMILY(stem, type)                                                                    \
  {                                                                                                \
    families++;                                                                                    \
    for (int i = 0; i < KERN_ISA_COUNT; i++) {                                                     \
      CHECK(kern_##stem##_of((kern_isa)i) != NULL);                                                \
      for (int j = 0; j < i; j++)                                                                  \
        CHECK(kern_##stem##_of((kern_isa)i) != kern_##stem##_of((kern_isa)j));                     \
    }                                                                                              \
    CHECK(kern_##stem##_of(KERN_ISA_COUNT) == NULL);                                               \
  }
#include "kernels/kernels.def"
  CHECK_INT(13, families);
  for (int i = 0; i < KERN_ISA_COUNT; i++) {
    const kern_config *c = kern_config_for_isa((kern_isa)i);
    if (!c) continue; /* this CPU cannot run it */
    CHECK(c->sgemm.ukernel == kern_sgemm_ukernel_of((kern_isa)i));
    CHECK(c->nhwc.dwconv2d == kern_dwconv2d_nhwc_of((kern_isa)i));
    CHECK(c->nhwc.maxpool2d == kern_maxpool2d_nhwc_of((kern_isa)i));
    CHECK(c->winograd.output == kern_winograd_f43_output_of((kern_isa)i));
    CHECK(c->eltwise.unary == kern_eltwise_unary_of((kern_isa)i));
    CHECK(c->conv_small_c.fn == kern_conv2d_small_c_of((kern_isa)i));
    CHECK(kern_chan_binary_for(c) == kern_chan_binary_of((kern_isa)i));
    CHECK(kern_chan_norm_for(c) == kern_chan_norm_of((kern_isa)i));
  }
}
