/* test_profile.c — dlf_session_run_profiled (per-layer times for `dlfusion
 * bench --profile`), the session's engine name, and the summary's planned
 * activation peak through the public API. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "dlfusion.h"
#include "test.h"

#define FIX "tests/fixtures/small/"

/* resnet18 at 1x3x32x32: every op of a real CNN, fast enough for ASan. */
static dlf_status load_small_resnet(dlf_model **m) {
  dlf_tensor shape = {.name = "input", .dtype = DLF_FLOAT32, .ndim = 4, .dims = {1, 3, 32, 32}};
  dlf_load_options lo = {0};
  lo.bindings = &shape;
  lo.num_bindings = 1;
  return dlf_model_load("zoo:resnet18", &lo, m);
}

TEST(test_profile_run_profiled_times_every_layer_and_computes_the_same) {
  dlf_model *m;
  REQUIRE_OK(load_small_resnet(&m));
  dlf_session *s = NULL;
  int nl = dlf_model_num_layers(m);
  float *x = malloc(3 * 32 * 32 * sizeof *x), y1[1000], y2[1000];
  double *ms = malloc(((size_t)nl + 1) * sizeof *ms);
  if (!x || !ms || dlf_session_create(m, NULL, &s) != DLF_OK) {
    CHECK(x && ms && s);
    goto done;
  }
  dlf_rng r = dlf_rng_make(3);
  for (int i = 0; i < 3 * 32 * 32; i++)
    x[i] = dlf_rng_range(&r, -1.0f, 1.0f);
  const void *in[1] = {x};
  void *o1[1] = {y1}, *o2[1] = {y2};
  for (int i = 0; i <= nl; i++)
    ms[i] = -1;
  CHECK_OK(dlf_session_run(s, in, o1));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_OK(dlf_session_run_profiled(s, in, o2, ms));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  CHECK(memcmp(y1, y2, sizeof y1) == 0); /* the same executor, the same bits */
  double sum = 0;
  for (int i = 0; i < nl; i++) {
    if (!(ms[i] >= 0 && isfinite(ms[i])))
      test_fail(__FILE__, __LINE__, "layer %d: time %g ms", i, ms[i]);
    sum += ms[i];
  }
  CHECK(sum > 0);
  CHECK(sum <= wall);
  CHECK(ms[nl] == -1); /* exactly num_layers entries written */
done:
  dlf_session_free(s);
  dlf_model_free(m);
  free(x);
  free(ms);
}

TEST(test_profile_run_profiled_rejects_null_arguments) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  dlf_session *s;
  if (dlf_session_create(m, NULL, &s) != DLF_OK) {
    CHECK(0);
    dlf_model_free(m);
    return;
  }
  float x[8] = {0}, y[8];
  const void *in[1] = {x};
  void *out[1] = {y};
  double ms[2];
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_session_run_profiled(s, in, out, NULL));
  CHECK(strstr(dlf_last_error(), "layer_ms is NULL") != NULL);
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_session_run_profiled(s, in, NULL, ms));
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_session_run_profiled(NULL, in, out, ms));
  CHECK_OK(dlf_session_run_profiled(s, in, out, ms));
  dlf_session_free(s);
  dlf_model_free(m);
}

TEST(test_profile_session_names_its_engine) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  dlf_session *s;
  dlf_session_options o = {.engine = DLF_ENGINE_REFERENCE, .threads = 1};
  if (dlf_session_create(m, &o, &s) == DLF_OK) {
    CHECK(strcmp(dlf_session_engine_name(s), "reference") == 0);
    dlf_session_free(s);
  }
  CHECK(strcmp(dlf_session_engine_name(NULL), "") == 0);
  dlf_model_free(m);
}

/* relu_add: relu's output (8 floats) lives at steps 0-1, add's (the graph
 * output) at step 1: two 32-byte tensors, each aligned to 64 bytes. */
TEST(test_memplan_summary_reports_the_planned_arena) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  dlf_model_summary s;
  CHECK_OK(dlf_model_summarize(m, &s));
  CHECK_INT(128, s.act_peak_bytes);
  CHECK_INT(64, s.act_total_bytes);
  dlf_model_free(m);
}

/* resnet18: conv1's output (64x112x112 floats) and the max pool's
 * (64x56x56) live together; nothing later needs more. */
TEST(test_memplan_summary_resnet18_peak_is_conv1_plus_maxpool) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:resnet18", NULL, &m));
  dlf_model_summary s;
  CHECK_OK(dlf_model_summarize(m, &s));
  CHECK_INT((64 * 112 * 112 + 64 * 56 * 56) * 4, s.act_peak_bytes);
  CHECK(s.act_total_bytes > 2 * s.act_peak_bytes);
  dlf_model_free(m);
}
