/* test_session_memory.c — issue 15's memory bound: a session's activation memory (the planned
 * arena + every thread's scratch, dlf_session_memory_usage) stays within twice the largest
 * layer's input + output, on the zoo models cheap enough to build here, at 2 threads. */
#include <stdio.h>

#include "dlfusion.h"
#include "test.h"

/* Session bytes over the largest layer's input + output bytes (what `dlfusion bench` prints as
 * "memory: ... ratio="), or -1 on an error. */
static double session_memory_ratio(const char *spec, int threads) {
  dlf_model *m = NULL;
  if (dlf_model_load(spec, NULL, &m) != DLF_OK) return -1;
  int64_t io = 0;
  for (int i = 0; i < dlf_model_num_layers(m); i++) {
    dlf_layer_info l;
    if (dlf_model_layer(m, i, &l) == DLF_OK && l.act_in_bytes + l.act_out_bytes > io)
      io = l.act_in_bytes + l.act_out_bytes;
  }
  dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = threads};
  dlf_session *s = NULL;
  double ratio = -1;
  if (io > 0 && dlf_session_create(m, &so, &s) == DLF_OK) {
    dlf_session_memory mem;
    if (dlf_session_memory_usage(s, &mem) == DLF_OK)
      ratio = (double)(mem.arena_bytes + mem.scratch_bytes) / (double)io;
    dlf_session_free(s);
  }
  dlf_model_free(m);
  return ratio;
}

static void check_bound(const char *spec) {
  const double r = session_memory_ratio(spec, 2);
  CHECK(r > 0);
  if (r > 2.0)
    test_fail(__FILE__, __LINE__, "  %s: session memory %.3fx the largest layer I/O (bound 2x)",
              spec, r);
}

/* Before the bound, alexnet was 3.28x (Winograd chunks of 48+ tiles on its 13x13 layers) and
 * resnet18 2.05x. */
TEST(test_session_memory_alexnet_within_2x_largest_layer_io) { check_bound("zoo:alexnet"); }
TEST(test_session_memory_resnet18_within_2x_largest_layer_io) { check_bound("zoo:resnet18"); }
TEST(test_session_memory_resnet50_within_2x_largest_layer_io) { check_bound("zoo:resnet50"); }
TEST(test_session_memory_squeezenet_within_2x_largest_layer_io) {
  check_bound("zoo:squeezenet1_0");
}
TEST(test_session_memory_mobilenet_v2_within_2x_largest_layer_io) {
  check_bound("zoo:mobilenet_v2");
}
