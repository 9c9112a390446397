/* test_determinism.c — the same model and input give bit-identical outputs across runs,
 * sessions and thread counts (1 and 2) on each ISA path of the fast engine (issue 8). */
#include <stdlib.h>
#include <string.h>

#include "api/session_internal.h"
#include "dlfusion.h"
#include "op_harness.h"
#include "test.h"

#define FIX "tests/fixtures/small/"

static int64_t numel_of(const dlf_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++)
    n *= t->dims[d];
  return n;
}

/* Bits, not values: a run that flips the sign of a zero or changes a NaN payload
 * is not deterministic either. */
static void check_same_bits(const float *want, const float *got, int64_t n, const char *what) {
  if (memcmp(want, got, (size_t)n * sizeof *want) == 0) return;
  int64_t first = -1, count = 0;
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    if (memcmp(&want[i], &got[i], sizeof *want) == 0) continue;
    if (first < 0) first = i;
    count++;
    double d = fabs((double)want[i] - got[i]);
    if (!(d <= worst)) worst = d;
  }
  test_fail(__FILE__, __LINE__, "%s: %lld of %lld values differ in bits (first at %lld: %.9g vs %.9g, "
            "max |diff| %g)", what, (long long)count, (long long)n, (long long)first,
            want[first], got[first], worst);
}

/* Runs `model` on one input in a fast session of each ISA: twice on 1 thread, then in a
 * second session on 2 threads, twice; every output must have the bits of the first. */
static void fast_engine_is_deterministic(const char *spec, const float *x_given) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(spec, NULL, &m));
  REQUIRE(dlf_model_num_inputs(m) == 1 && dlf_model_num_outputs(m) == 1);
  dlf_tensor ti, to;
  REQUIRE_OK(dlf_model_input(m, 0, &ti));
  REQUIRE_OK(dlf_model_output(m, 0, &to));
  int64_t ni = numel_of(&ti), no = numel_of(&to);
  float *x = x_given ? NULL : th_random(11, ni, -1, 1);
  float *first = malloc((size_t)no * sizeof *first), *got = malloc((size_t)no * sizeof *got);
  REQUIRE((x || x_given) && first && got);
  const void *in[1] = {x_given ? x_given : x};
  void *out[1];
  int isas = 0;
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_config_for_isa((kern_isa)isa);
    if (!cfg) continue;
    isas++;
    for (int threads = 1; threads <= 2; threads++) {
      dlf_session_options o = {.engine = DLF_ENGINE_DEFAULT, .threads = threads};
      dlf_session *s;
      REQUIRE_OK(dlf_session_create_with_config(m, &o, cfg, &s));
      for (int rep = 0; rep < 2; rep++) {
        bool is_first = threads == 1 && rep == 0;
        out[0] = is_first ? first : got;
        /* A NaN pattern: an output value the engine forgets to write shows as a difference. */
        memset(out[0], 0xff, (size_t)no * sizeof *got);
        CHECK_OK(dlf_session_run(s, in, out));
        if (is_first) continue;
        char what[160];
        snprintf(what, sizeof what, "%s %s: threads %d run %d vs threads 1 run 0", spec,
                 kern_isa_name((kern_isa)isa), threads, rep);
        check_same_bits(first, got, no, what);
      }
      dlf_session_free(s);
    }
  }
  CHECK(isas >= 1); /* the generic path exists on every CPU */
  /* Same bits every run proves nothing if the bits are wrong (or never written): the last
   * ISA's first output against the reference executor, 1e-4 of the output's range. */
  float *ref = malloc((size_t)no * sizeof *ref);
  REQUIRE(ref);
  dlf_session_options ro = {.engine = DLF_ENGINE_REFERENCE, .threads = 1};
  dlf_session *rs;
  REQUIRE_OK(dlf_session_create(m, &ro, &rs));
  out[0] = ref;
  CHECK_OK(dlf_session_run(rs, in, out));
  dlf_session_free(rs);
  float lo = ref[0], hi = ref[0];
  for (int64_t i = 1; i < no; i++) {
    lo = ref[i] < lo ? ref[i] : lo;
    hi = ref[i] > hi ? ref[i] : hi;
  }
  for (int64_t i = 0; i < no; i++)
    if (!(fabs((double)first[i] - ref[i]) <= 1e-4 * ((double)hi - lo) + 1e-6)) {
      test_fail(__FILE__, __LINE__, "%s: output [%lld] = %g, the reference gives %g", spec,
                (long long)i, (double)first[i], (double)ref[i]);
      break;
    }
  free(ref);
  free(x);
  free(first);
  free(got);
  dlf_model_free(m);
}

TEST(test_determinism_resnet18_same_bits_across_runs_and_threads) {
  fast_engine_is_deterministic("zoo:resnet18", NULL);
}

TEST(test_determinism_mobilenet_v2_same_bits_across_runs_and_threads) {
  fast_engine_is_deterministic("zoo:mobilenet_v2", NULL);
}

TEST(test_determinism_squeezenet1_0_same_bits_across_runs_and_threads) {
  fast_engine_is_deterministic("zoo:squeezenet1_0", NULL);
}

TEST(test_determinism_fixture_relu_add_same_bits_across_runs_and_threads) {
  dlf_tensor x;
  REQUIRE_OK(dlf_npy_load(FIX "relu_add_x.npy", &x));
  fast_engine_is_deterministic(FIX "relu_add.onnx", x.data);
  dlf_tensor_release(&x);
}

/* The reference executor is the ground truth the others are compared with: its output
 * must not depend on the run either. */
TEST(test_determinism_reference_engine_same_bits_across_runs) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  dlf_tensor ti, to;
  REQUIRE_OK(dlf_model_input(m, 0, &ti));
  REQUIRE_OK(dlf_model_output(m, 0, &to));
  int64_t ni = numel_of(&ti), no = numel_of(&to);
  float *x = th_random(12, ni, -1, 1);
  float *a = malloc((size_t)no * sizeof *a), *b = malloc((size_t)no * sizeof *b);
  REQUIRE(x && a && b);
  const void *in[1] = {x};
  void *out[1] = {a};
  dlf_session_options o = {.engine = DLF_ENGINE_REFERENCE, .threads = 1};
  dlf_session *s;
  REQUIRE_OK(dlf_session_create(m, &o, &s));
  CHECK_OK(dlf_session_run(s, in, out));
  dlf_session_free(s);
  o.threads = 2;
  REQUIRE_OK(dlf_session_create(m, &o, &s));
  out[0] = b;
  CHECK_OK(dlf_session_run(s, in, out));
  dlf_session_free(s);
  check_same_bits(a, b, no, "squeezenet1_0 reference: threads 2 vs threads 1");
  free(x);
  free(a);
  free(b);
  dlf_model_free(m);
}
