/* test_session_isa.c — the kernel path is a session option (dlf_session_options.isa), not only
 * the DLF_ISA environment variable: each named path runs and matches the reference executor, a
 * request above the CPU runs the best it has, and an unknown name fails naming it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dlfusion.h"
#include "kernels/kernels.h"
#include "test.h"

TEST(test_session_isa_option_selects_the_kernel_path) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  dlf_tensor in, out;
  REQUIRE_OK(dlf_model_input(m, 0, &in));
  REQUIRE_OK(dlf_model_output(m, 0, &out));
  const size_t ni = 3 * 224 * 224, no = 1000;
  float *x = malloc(ni * sizeof *x), *want = malloc(no * sizeof *want),
        *got = malloc(no * sizeof *got);
  REQUIRE(x && want && got);
  for (size_t i = 0; i < ni; i++)
    x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  const void *ins[1] = {x};
  void *o_want[1] = {want}, *o_got[1] = {got};
  dlf_session_options ro = {.engine = DLF_ENGINE_REFERENCE};
  dlf_session *ref;
  REQUIRE_OK(dlf_session_create(m, &ro, &ref));
  REQUIRE_OK(dlf_session_run(ref, ins, o_want));
  dlf_session_free(ref);
  double range = 0;
  for (size_t i = 0; i < no; i++)
    range = fmax(range, fabs((double)want[i]));
  static const char *const isas[] = {"generic", "avx2", "avx512"};
  for (int k = 0; k < 3; k++) {
    dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = 1, .isa = isas[k]};
    dlf_session *s;
    REQUIRE_OK(dlf_session_create(m, &so, &s));
    /* the path asked for when this CPU runs it, else the best below it */
    int runs = kern_config_for_isa((kern_isa)k) != NULL;
    char name[32];
    snprintf(name, sizeof name, "fast (%s)", isas[k]);
    if (runs)
      CHECK(strcmp(dlf_session_engine_name(s), name) == 0);
    else
      CHECK(strcmp(dlf_session_engine_name(s), name) != 0);
    memset(got, 0xff, no * sizeof *got); /* NaN: an engine that writes nothing fails */
    REQUIRE_OK(dlf_session_run(s, ins, o_got));
    int off = 0; /* NaN compares false: counted */
    for (size_t i = 0; i < no; i++)
      off += !(fabs((double)want[i] - got[i]) <= 1e-3 * range);
    CHECK(range > 0);
    CHECK_INT(0, off);
    dlf_session_free(s);
  }
  dlf_session_options bad = {.isa = "sse9"};
  dlf_session *s = NULL;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_session_create(m, &bad, &s));
  CHECK(s == NULL);
  CHECK(strstr(dlf_last_error(), "isa 'sse9' is not one of generic, avx2, avx512") != NULL);
  free(x);
  free(want);
  free(got);
  dlf_model_free(m);
}
