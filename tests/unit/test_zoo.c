/* test_zoo.c — the model zoo against torchvision 0.14: layer counts, MACs,
 * parameter counts, state_dict names, output shape, determinism, and that
 * the random weights give input-dependent outputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "frontend/frontend.h"
#include "ir/ref_exec.h"
#include "test.h"

/* Totals measured with forward hooks on torchvision 0.14 models at batch 1,
 * 224x224 (tests/scripts/zoo_check.py recomputes them): conv+linear layers,
 * MACs = sum N*Cout*Hout*Wout*Cin/groups*kh*kw + in*out, parameters =
 * sum(p.numel() for p in model.parameters()), state_dict entries without
 * num_batches_tracked. */
typedef struct zoo_ref {
  const char *name;
  int layers;
  int64_t macs, params;
  int state_dict_keys;
} zoo_ref;

static const zoo_ref g_refs[] = {
    {"alexnet", 8, 714188480, 61100840, 16},
    {"vgg16", 16, 15470264320, 138357544, 32},
    {"resnet18", 21, 1814073344, 11689512, 102},
    {"resnet50", 54, 4089184256, 25557032, 267},
    {"mobilenet_v2", 53, 300774272, 3504872, 262},
    {"squeezenet1_0", 26, 818924576, 1248424, 52},
};
#define N_REFS ((int)(sizeof g_refs / sizeof g_refs[0]))

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Build, sort, validate and infer shapes. */
static dlf_status build_inferred(const char *name, uint64_t seed, int batch, ir_graph **g) {
  DLF_TRY(fe_zoo_build(name, seed, batch, 0, g));
  dlf_status st = ir_graph_toposort(*g);
  if (st == DLF_OK) st = ir_graph_validate(*g);
  if (st == DLF_OK) st = ir_graph_infer_shapes(*g);
  if (st != DLF_OK) {
    ir_graph_free(*g);
    *g = NULL;
  }
  return st;
}

TEST(test_zoo_names_lists_the_six_models) {
  const char *const *names = fe_zoo_names();
  int n = 0;
  for (; names[n]; n++) CHECK(strcmp(names[n], g_refs[n < N_REFS ? n : 0].name) == 0);
  CHECK_INT(N_REFS, n);
}

TEST(test_zoo_unknown_model_names_the_available_ones) {
  ir_graph *g = (ir_graph *)1;
  CHECK_INT(DLF_ERR_INVALID_ARG, fe_zoo_build("resnet19", 0, 1, 0, &g));
  CHECK(g == NULL);
  CHECK(strstr(dlf_last_error(), "zoo:resnet19: unknown model (") != NULL);
  CHECK(strstr(dlf_last_error(), "available: alexnet, vgg16, resnet18") != NULL);
}

TEST(test_zoo_rejects_batch_below_one) {
  ir_graph *g;
  CHECK_INT(DLF_ERR_INVALID_ARG, fe_zoo_build("resnet18", 0, 0, 0, &g));
  CHECK(strstr(dlf_last_error(), "batch 0") != NULL);
}

/* Parameters = the ".weight"/".bias" initializers (BN running statistics are
 * buffers, Clip bounds are ours); every other initializer is a BN buffer or
 * a Clip bound. Needs no shape inference. */
TEST(test_zoo_parameter_counts_and_names_match_torchvision) {
  for (int m = 0; m < N_REFS; m++) {
    ir_graph *g;
    REQUIRE_OK(fe_zoo_build(g_refs[m].name, 0, 1, 0, &g));
    int64_t params = 0;
    int keys = 0;
    for (int i = 0; i < g->n_tensors; i++) {
      const ir_tensor *t = &g->tensors[i];
      if (!t->data) continue;
      if (ends_with(t->name, ".weight") || ends_with(t->name, ".bias")) {
        params += ir_tensor_numel(t);
        keys++;
      } else if (ends_with(t->name, ".running_mean") || ends_with(t->name, ".running_var")) {
        keys++;
      } else {
        CHECK(ends_with(t->name, ".min") || ends_with(t->name, ".max"));
      }
    }
    if (params != g_refs[m].params || keys != g_refs[m].state_dict_keys)
      test_fail(__FILE__, __LINE__, "%s: params %lld keys %d, expected %lld, %d", g_refs[m].name,
                (long long)params, keys, (long long)g_refs[m].params, g_refs[m].state_dict_keys);
    ir_graph_free(g);
  }
}

/* A sample of torchvision state_dict keys per model, with their shapes. */
TEST(test_zoo_initializers_carry_torchvision_state_dict_names) {
  static const struct {
    const char *model, *key;
    int ndim;
    int64_t dims[4];
  } keys[] = {
      {"alexnet", "features.10.bias", 1, {256}},
      {"alexnet", "classifier.4.weight", 2, {4096, 4096}},
      {"vgg16", "features.28.weight", 4, {512, 512, 3, 3}},
      {"vgg16", "classifier.0.weight", 2, {4096, 25088}},
      {"resnet18", "layer2.0.downsample.0.weight", 4, {128, 64, 1, 1}},
      {"resnet18", "layer4.1.bn2.running_var", 1, {512}},
      {"resnet18", "fc.weight", 2, {1000, 512}},
      {"resnet50", "layer1.0.downsample.1.running_mean", 1, {256}},
      {"resnet50", "layer3.5.conv2.weight", 4, {256, 256, 3, 3}},
      {"mobilenet_v2", "features.1.conv.0.0.weight", 4, {32, 1, 3, 3}},
      {"mobilenet_v2", "features.1.conv.2.running_var", 1, {16}},
      {"mobilenet_v2", "features.17.conv.3.weight", 1, {320}},
      {"mobilenet_v2", "features.18.1.running_mean", 1, {1280}},
      {"mobilenet_v2", "classifier.1.bias", 1, {1000}},
      {"squeezenet1_0", "features.3.squeeze.weight", 4, {16, 96, 1, 1}},
      {"squeezenet1_0", "features.12.expand3x3.weight", 4, {256, 64, 3, 3}},
      {"squeezenet1_0", "classifier.1.weight", 4, {1000, 512, 1, 1}},
  };
  for (int m = 0; m < N_REFS; m++) {
    ir_graph *g;
    REQUIRE_OK(fe_zoo_build(g_refs[m].name, 0, 1, 0, &g));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
      if (strcmp(keys[k].model, g_refs[m].name) != 0) continue;
      int t = ir_graph_find_tensor(g, keys[k].key);
      if (t < 0) {
        test_fail(__FILE__, __LINE__, "%s: no initializer '%s'", keys[k].model, keys[k].key);
        continue;
      }
      CHECK(g->tensors[t].data != NULL);
      CHECK_INT(keys[k].ndim, g->tensors[t].ndim);
      for (int d = 0; d < keys[k].ndim; d++) CHECK_INT(keys[k].dims[d], g->tensors[t].dims[d]);
    }
    ir_graph_free(g);
  }
  ir_graph *g;
  REQUIRE_OK(fe_zoo_build("resnet18", 0, 1, 0, &g));
  CHECK_INT(-1, ir_graph_find_tensor(g, "layer1.0.downsample.0.weight")); /* 64 → 64: none */
  CHECK_INT(-1, ir_graph_find_tensor(g, "conv1.bias"));                   /* bias=False */
  ir_graph_free(g);
}

/* MACs from the inferred graph: Conv N*Cout*Hout*Wout * (Cin/groups)*kh*kw
 * (= weight dims 1..3), Gemm rows * in * out. */
TEST(test_zoo_layers_and_macs_match_torchvision) {
  for (int m = 0; m < N_REFS; m++) {
    ir_graph *g;
    REQUIRE_OK(build_inferred(g_refs[m].name, 0, 1, &g));
    int64_t macs = 0;
    int layers = 0;
    for (int i = 0; i < g->n_nodes; i++) {
      const ir_node *n = &g->nodes[i];
      if (n->dead || (n->op != IR_OP_CONV && n->op != IR_OP_GEMM)) continue;
      const ir_tensor *y = ir_node_output(g, n, 0), *w = ir_node_input(g, n, 1);
      layers++;
      if (n->op == IR_OP_CONV)
        macs += ir_tensor_numel(y) * w->dims[1] * w->dims[2] * w->dims[3];
      else
        macs += y->dims[0] * w->dims[0] * w->dims[1];
    }
    if (macs != g_refs[m].macs || layers != g_refs[m].layers)
      test_fail(__FILE__, __LINE__, "%s: layers %d macs %lld, expected %d, %lld", g_refs[m].name,
                layers, (long long)macs, g_refs[m].layers, (long long)g_refs[m].macs);
    ir_graph_free(g);
  }
}

TEST(test_zoo_output_is_batch_by_1000) {
  for (int m = 0; m < N_REFS; m++) {
    int batch = m % 2 ? 3 : 1;
    ir_graph *g;
    REQUIRE_OK(build_inferred(g_refs[m].name, 0, batch, &g));
    REQUIRE(g->n_inputs == 1 && g->n_outputs == 1);
    const ir_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
    CHECK(strcmp(in->name, "input") == 0);
    CHECK(strcmp(out->name, "output") == 0);
    CHECK_INT(4, in->ndim);
    CHECK_INT(batch, in->dims[0]);
    CHECK_INT(224, in->dims[3]);
    CHECK_INT(2, out->ndim);
    CHECK_INT(batch, out->dims[0]);
    CHECK_INT(1000, out->dims[1]);
    ir_graph_free(g);
  }
}

TEST(test_zoo_weights_are_deterministic_from_the_seed) {
  ir_graph *a, *b, *c, *d;
  REQUIRE_OK(fe_zoo_build("squeezenet1_0", 7, 1, 0, &a));
  REQUIRE_OK(fe_zoo_build("squeezenet1_0", 7, 1, 0, &b));
  REQUIRE_OK(fe_zoo_build("squeezenet1_0", 8, 1, 0, &c));
  REQUIRE_OK(fe_zoo_build("squeezenet1_0", 0, 1, 0, &d));
  int t = ir_graph_find_tensor(a, "features.5.expand3x3.weight");
  REQUIRE(t >= 0);
  size_t bytes = (size_t)ir_tensor_numel(&a->tensors[t]) * sizeof(float);
  CHECK(memcmp(a->tensors[t].data, b->tensors[t].data, bytes) == 0);
  CHECK(memcmp(a->tensors[t].data, c->tensors[t].data, bytes) != 0);
  CHECK(memcmp(a->tensors[t].data, d->tensors[t].data, bytes) != 0);
  ir_graph_free(a);
  ir_graph_free(b);
  ir_graph_free(c);
  ir_graph_free(d);
}

/* Conv weights: He scale (std sqrt(2 / fan_in) before centring, so
 * sqrt(2 / fan_in * (1 - 1/fan_in)) after) and every filter zero-mean. */
TEST(test_zoo_conv_weights_are_centred_with_he_scale) {
  ir_graph *g;
  REQUIRE_OK(fe_zoo_build("resnet18", 0, 1, 0, &g));
  int t = ir_graph_find_tensor(g, "layer1.0.conv1.weight"); /* 64x64x3x3 */
  REQUIRE(t >= 0);
  const float *w = g->tensors[t].data;
  int fan = 64 * 9;
  double s2 = 0, worst_mean = 0;
  for (int o = 0; o < 64; o++) {
    double s = 0;
    for (int i = 0; i < fan; i++) {
      s += w[o * fan + i];
      s2 += (double)w[o * fan + i] * w[o * fan + i];
    }
    if (fabs(s / fan) > worst_mean) worst_mean = fabs(s / fan);
  }
  double expected = sqrt(2.0 / fan * (1.0 - 1.0 / fan));
  CHECK(worst_mean < 1e-6);
  /* 36864 samples: the sample std is within 2% of its target */
  CHECK_NEAR(expected, sqrt(s2 / (64.0 * fan)), 0.02 * expected);
  ir_graph_free(g);
}

static void logit_stats(const float *y, int n, double *mean, double *std) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) {
    s += y[i];
    s2 += (double)y[i] * y[i];
  }
  *mean = s / n;
  *std = sqrt(s2 / n - *mean * *mean);
}

/* Two different random inputs through the reference executor (MobileNetV2:
 * the cheapest model, 0.3 GMAC): finite logits with a spread that is not
 * tiny next to their mean, and that clearly differ between the inputs. */
TEST(test_zoo_mobilenet_v2_output_depends_on_input) {
  ir_graph *g;
  REQUIRE_OK(build_inferred("mobilenet_v2", 0, 2, &g));
  ir_ref_exec *x;
  REQUIRE_OK(ir_ref_exec_create(g, &x));
  size_t n_in = 2 * 3 * 224 * 224;
  float *in = malloc(n_in * sizeof *in), out[2000];
  REQUIRE(in);
  dlf_rng rng = dlf_rng_make(42);
  for (size_t i = 0; i < n_in; i++) in[i] = dlf_rng_normal(&rng);
  const void *ins[1] = {in};
  void *outs[1] = {out};
  CHECK_OK(ir_ref_exec_run(x, ins, outs));
  double m0, s0, m1, s1, diff = 0;
  logit_stats(out, 1000, &m0, &s0);
  logit_stats(out + 1000, 1000, &m1, &s1);
  for (int i = 0; i < 1000; i++) {
    CHECK(isfinite(out[i]) && isfinite(out[1000 + i]));
    diff += fabs(out[i] - out[1000 + i]) / 1000;
  }
  CHECK(s0 > 0.1 && s0 < 100 && s0 > 0.2 * fabs(m0));
  CHECK(s1 > 0.1 && s1 < 100);
  CHECK(diff > 0.05 * s0); /* the two images give clearly different logits */
  if (test_current_failed)
    fprintf(stderr, "logits: mean %g std %g | mean %g std %g | mean |diff| %g\n", m0, s0, m1, s1,
            diff);
  free(in);
  ir_ref_exec_free(x);
  ir_graph_free(g);
}
