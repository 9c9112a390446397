/* test_api.c — the public API end to end on tiny fixtures: load, inputs and
 * outputs, bindings, sessions on the reference engine, and argument errors. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlfusion.h"
#include "test.h"

#define FIX "tests/fixtures/small/"

/* relu_add.onnx: y = max(x, 0) + b, b = [10, 20] per channel, x 1x2x2x2 */
static const float relu_add_x[8] = {-2, -1, 0, 1.5f, 2, -3, 0.25f, -0.5f};

static void relu_add_expected(float *y) {
  const float b[2] = {10, 20};
  for (int i = 0; i < 8; i++)
    y[i] = (relu_add_x[i] > 0 ? relu_add_x[i] : 0) + b[i / 4];
}

TEST(test_api_load_reports_inputs_and_outputs) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  CHECK_INT(1, dlf_model_num_inputs(m));
  CHECK_INT(1, dlf_model_num_outputs(m));
  dlf_tensor t;
  CHECK_OK(dlf_model_input(m, 0, &t));
  CHECK(strcmp(t.name, "x") == 0);
  CHECK_INT(DLF_FLOAT32, t.dtype);
  CHECK_INT(4, t.ndim);
  CHECK_INT(2, t.dims[1]);
  CHECK(t.data == NULL);
  CHECK_OK(dlf_model_output(m, 0, &t));
  CHECK(strcmp(t.name, "y") == 0);
  CHECK_INT(8, t.dims[0] * t.dims[1] * t.dims[2] * t.dims[3]);
  CHECK(dlf_model_input(m, 1, &t) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_model_output(m, -1, &t) == DLF_ERR_INVALID_ARG);
  dlf_model_free(m);
}

static void run_relu_add(dlf_engine engine, int no_optimize) {
  dlf_load_options lo = {0};
  lo.no_optimize = no_optimize;
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", &lo, &m));
  dlf_session_options so = {.engine = engine, .threads = 1};
  dlf_session *s;
  dlf_status st = dlf_session_create(m, &so, &s);
  if (st != DLF_OK) {
    CHECK_OK(st);
    dlf_model_free(m);
    return;
  }
  float y[8] = {0}, want[8];
  const void *in[1] = {relu_add_x};
  void *out[1] = {y};
  CHECK_OK(dlf_session_run(s, in, out));
  relu_add_expected(want);
  CHECK_FLOATS(want, y, 8, 0, 0);
  /* run many: a second run gives the same */
  memset(y, 0, sizeof y);
  CHECK_OK(dlf_session_run(s, in, out));
  CHECK_FLOATS(want, y, 8, 0, 0);
  dlf_session_free(s);
  dlf_model_free(m);
}

TEST(test_api_session_reference_engine_computes_relu_add) { run_relu_add(DLF_ENGINE_REFERENCE, 1); }

TEST(test_api_session_default_engine_after_passes_computes_relu_add) {
  run_relu_add(DLF_ENGINE_DEFAULT, 0);
}

TEST(test_api_layer_table_has_one_layer_per_node) {
  dlf_load_options lo = {0};
  lo.no_optimize = 1;
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", &lo, &m));
  CHECK_INT(2, dlf_model_num_layers(m));
  dlf_layer_info l;
  CHECK_OK(dlf_model_layer(m, 1, &l));
  CHECK_INT(1, l.index);
  CHECK(strcmp(l.op, "Add") == 0);
  CHECK(dlf_model_layer(m, 2, &l) == DLF_ERR_INVALID_ARG);
  dlf_model_summary s;
  CHECK_OK(dlf_model_summarize(m, &s));
  CHECK_INT(2, s.layers);
  CHECK_INT(2, s.params); /* b, read by Add */
  CHECK_INT(0, s.macs);
  dlf_model_free(m);
}

TEST(test_api_int64_binding_makes_a_shape_input_constant) {
  const int64_t shape[2] = {3, 2};
  dlf_tensor b = {NULL, DLF_INT64, 1, {2}, (void *)shape}; /* positional: 2nd input */
  dlf_tensor bs[2] = {{NULL, DLF_FLOAT32, 2, {2, 3}, NULL}, b};
  dlf_load_options lo = {0};
  lo.bindings = bs;
  lo.num_bindings = 2;
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "reshape_input.onnx", &lo, &m));
  CHECK_INT(1, dlf_model_num_inputs(m)); /* "shape" is now a constant */
  dlf_tensor t;
  CHECK_OK(dlf_model_output(m, 0, &t));
  CHECK_INT(2, t.ndim);
  CHECK_INT(3, t.dims[0]);
  CHECK_INT(2, t.dims[1]);
  dlf_model_free(m);
}

TEST(test_api_binding_unknown_name_lists_inputs) {
  dlf_tensor b = {"nope", DLF_FLOAT32, 4, {1, 2, 2, 2}, NULL};
  dlf_load_options lo = {0};
  lo.bindings = &b;
  lo.num_bindings = 1;
  dlf_model *m = (dlf_model *)&b;
  CHECK(dlf_model_load(FIX "relu_add.onnx", &lo, &m) == DLF_ERR_INVALID_ARG);
  CHECK(m == NULL);
  CHECK(strstr(dlf_last_error(), "'nope'") != NULL);
  CHECK(strstr(dlf_last_error(), "inputs: 'x'") != NULL);
}

TEST(test_api_binding_of_another_rank_fails) {
  dlf_tensor b = {"x", DLF_FLOAT32, 2, {2, 4}, NULL};
  dlf_load_options lo = {0};
  lo.bindings = &b;
  lo.num_bindings = 1;
  dlf_model *m;
  CHECK(dlf_model_load(FIX "relu_add.onnx", &lo, &m) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "relu_add.onnx") != NULL);
  CHECK(strstr(dlf_last_error(), "model expects 1x2x2x2") != NULL);
}

TEST(test_api_binding_of_wrong_dtype_fails) {
  const int64_t v[8] = {0};
  dlf_tensor b = {"x", DLF_INT64, 4, {1, 2, 2, 2}, (void *)v};
  dlf_load_options lo = {0};
  lo.bindings = &b;
  lo.num_bindings = 1;
  dlf_model *m;
  CHECK(dlf_model_load(FIX "relu_add.onnx", &lo, &m) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "int64") != NULL);
}

TEST(test_api_binding_twice_fails) {
  dlf_tensor b[2] = {{"x", DLF_FLOAT32, 4, {1, 2, 2, 2}, NULL},
                     {NULL, DLF_FLOAT32, 4, {1, 2, 2, 2}, NULL}};
  dlf_load_options lo = {0};
  lo.bindings = b;
  lo.num_bindings = 2;
  dlf_model *m;
  /* the unnamed one finds no unclaimed input left */
  CHECK(dlf_model_load(FIX "relu_add.onnx", &lo, &m) == DLF_ERR_INVALID_ARG);
  b[1].name = "x";
  CHECK(dlf_model_load(FIX "relu_add.onnx", &lo, &m) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "bound twice") != NULL);
}

TEST(test_api_strict_binding_allows_only_batch_and_symbolic_dims) {
  dlf_tensor b = {"x", DLF_FLOAT32, 4, {3, 2, 2, 2}, NULL};
  dlf_load_options lo = {0};
  lo.bindings = &b;
  lo.num_bindings = 1;
  lo.strict_shapes = 1;
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", &lo, &m)); /* batch 3 */
  dlf_tensor t;
  CHECK_OK(dlf_model_output(m, 0, &t));
  CHECK_INT(3, t.dims[0]);
  dlf_model_free(m);
  b.dims[1] = 5; /* channels are fixed at 2 */
  CHECK(dlf_model_load(FIX "relu_add.onnx", &lo, &m) == DLF_ERR_SHAPE);
  CHECK(strstr(dlf_last_error(), "given shape 3x5x2x2, model expects 1x2x2x2") != NULL);
}

TEST(test_api_load_missing_file_names_it) {
  dlf_model *m;
  CHECK(dlf_model_load(FIX "does_not_exist.onnx", NULL, &m) != DLF_OK);
  CHECK(strstr(dlf_last_error(), "does_not_exist.onnx") != NULL);
}

TEST(test_api_null_arguments_fail_cleanly) {
  dlf_model *m;
  CHECK(dlf_model_load(NULL, NULL, &m) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_model_load(FIX "relu_add.onnx", NULL, NULL) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_last_error()[0] != '\0');
  dlf_tensor t;
  dlf_layer_info l;
  dlf_model_summary s;
  CHECK(dlf_model_input(NULL, 0, &t) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_model_output(NULL, 0, &t) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_model_layer(NULL, 0, &l) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_model_summarize(NULL, &s) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_model_save_onnx(NULL, "x.onnx") == DLF_ERR_INVALID_ARG);
  CHECK_INT(0, dlf_model_num_inputs(NULL));
  CHECK_INT(0, dlf_model_num_layers(NULL));
  dlf_session *s2;
  CHECK(dlf_session_create(NULL, NULL, &s2) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_session_run(NULL, NULL, NULL) == DLF_ERR_INVALID_ARG);
  dlf_model_free(NULL);
  dlf_session_free(NULL);
}

TEST(test_api_session_run_rejects_null_buffers) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  dlf_session *s;
  dlf_status st = dlf_session_create(m, NULL, &s);
  if (st != DLF_OK) {
    CHECK_OK(st);
    dlf_model_free(m);
    return;
  }
  float y[8];
  const void *in[1] = {NULL};
  void *out[1] = {y};
  CHECK(dlf_session_run(s, in, out) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "'x'") != NULL);
  in[0] = relu_add_x;
  CHECK(dlf_session_run(s, in, NULL) == DLF_ERR_INVALID_ARG);
  dlf_session_free(s);
  dlf_model_free(m);
}

TEST(test_api_save_onnx_is_for_zoo_models) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  CHECK(dlf_model_save_onnx(m, "/nonexistent/x.onnx") == DLF_ERR_UNSUPPORTED);
  dlf_model_free(m);
}

TEST(test_api_success_clears_the_last_error) {
  dlf_model *m;
  CHECK(dlf_model_load(NULL, NULL, &m) != DLF_OK);
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  CHECK_INT(0, (long long)strlen(dlf_last_error()));
  dlf_model_free(m);
}

TEST(test_api_save_onnx_of_optimized_zoo_model_exports_the_unoptimized_graph) {
  dlf_model *m, *back;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m)); /* optimized: no pre-pass copy */
  char path[] = "/tmp/dlf_test_api_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  CHECK_OK(dlf_model_save_onnx(m, path));
  dlf_load_options lo = {0};
  lo.no_optimize = 1;
  dlf_status st = dlf_model_load(path, &lo, &back);
  CHECK_OK(st);
  if (st == DLF_OK) {
    dlf_model_summary a, b;
    CHECK_OK(dlf_model_summarize(m, &a));
    CHECK_OK(dlf_model_summarize(back, &b));
    CHECK_INT(1248424, b.params); /* torchvision squeezenet1_0 */
    CHECK_INT(a.params, b.params);
    CHECK_INT(a.macs, b.macs);
    dlf_model_free(back);
  }
  unlink(path);
  dlf_model_free(m);
}

typedef struct session_job {
  const dlf_model *model;
  float scale; /* each thread feeds its own input */
  int mismatches;
  dlf_status status;
} session_job;

static void *run_session_job(void *arg) {
  session_job *j = arg;
  dlf_session *s;
  j->status = dlf_session_create(j->model, NULL, &s);
  if (j->status != DLF_OK) return NULL;
  float x[8], y[8];
  for (int i = 0; i < 8; i++)
    x[i] = relu_add_x[i] * j->scale;
  const void *in[1] = {x};
  void *out[1] = {y};
  for (int r = 0; r < 200 && j->status == DLF_OK; r++) {
    j->status = dlf_session_run(s, in, out);
    for (int i = 0; i < 8; i++)
      if (y[i] != (x[i] > 0 ? x[i] : 0) + (i < 4 ? 10.0f : 20.0f)) j->mismatches++;
  }
  dlf_session_free(s);
  return NULL;
}

TEST(test_api_sessions_on_one_model_run_concurrently) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(FIX "relu_add.onnx", NULL, &m));
  session_job jobs[4];
  pthread_t th[4];
  for (int t = 0; t < 4; t++) {
    jobs[t] = (session_job){m, (float)(t + 1), 0, DLF_OK};
    REQUIRE(pthread_create(&th[t], NULL, run_session_job, &jobs[t]) == 0);
  }
  for (int t = 0; t < 4; t++) {
    pthread_join(th[t], NULL);
    CHECK_INT(DLF_OK, jobs[t].status);
    CHECK_INT(0, jobs[t].mismatches);
  }
  dlf_model_free(m);
}
