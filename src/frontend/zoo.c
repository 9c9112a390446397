/* zoo.c — the built-in model zoo: the registry of torchvision architectures
 * (fe_zoo_build, fe_zoo_names) and the layer helpers their tables use. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/rng.h"
#include "frontend/frontend.h"
#include "frontend/zoo_builder.h"

/* Seed 0 asks for "the" default weights. */
#define ZOO_DEFAULT_SEED 0x00D1F05104ull
/* Batch sizes beyond this are a typo, not a workload (and keep every
 * activation size far from overflow). */
#define ZOO_MAX_BATCH 4096

/* ------------------------------------------------------------ weights -- */

typedef enum { DIST_NORMAL, DIST_UNIFORM } dist_kind;

/* Each initializer draws from its own stream, seeded by the model seed and
 * its name: a tensor's values do not depend on the order layers are built
 * in, so editing one table entry does not reshuffle every other weight. */
static uint64_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Add the constant "<path>.<suffix>": N(a, b^2) or U[a, b). */
static dlf_status param(zoo_b *z, const char *path, const char *suffix, int ndim,
                        const int64_t *dims, dist_kind dist, float a, float b, int *out) {
  char name[ZOO_PATH_MAX];
  snprintf(name, sizeof name, "%s.%s", path, suffix);
  int64_t numel;
  if (!dlf_numel(dims, ndim, &numel) || numel > z->g->max_tensor_bytes / 4) {
    char cap[DLF_CAP_PHRASE_SIZE];
    return dlf_error(DLF_ERR_LIMIT, "%s: initializer '%s' is above %s", z->g->source, name,
                     dlf_cap_phrase(z->g->max_tensor_bytes, cap, sizeof cap));
  }
  float *data = dlf_malloc_array((size_t)numel, sizeof *data);
  if (!data) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for '%s'", z->g->source, name);
  dlf_rng rng = dlf_rng_make(z->seed ^ name_hash(name));
  for (int64_t i = 0; i < numel; i++)
    data[i] = dist == DIST_NORMAL ? a + b * dlf_rng_normal(&rng) : dlf_rng_range(&rng, a, b);
  return ir_graph_add_constant(z->g, name, IR_F32, ndim, dims, data, out);
}

static dlf_status scalar(zoo_b *z, const char *path, const char *suffix, float v, int *out) {
  char name[ZOO_PATH_MAX];
  snprintf(name, sizeof name, "%s.%s", path, suffix);
  float *data = malloc(sizeof *data);
  if (!data) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for '%s'", z->g->source, name);
  *data = v;
  return ir_graph_add_constant(z->g, name, IR_F32, 0, NULL, data, out);
}

/* -------------------------------------------------------------- nodes -- */

const char *zoo_sub(char *buf, const char *prefix, const char *fmt, ...) {
  int n = snprintf(buf, ZOO_PATH_MAX, "%s.", prefix);
  if (n < 0 || n >= ZOO_PATH_MAX) return buf;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, (size_t)(ZOO_PATH_MAX - n), fmt, ap);
  va_end(ap);
  return buf;
}

/* Add node `path` reading in[]; its output (shape left to inference) is
 * named `path`, or z->next_out for the model's last layer. On return *x is
 * the output and *node the new node (valid until the next node is added). */
static dlf_status node(zoo_b *z, const char *path, ir_op op, int n_in, const int *in, int *x,
                       ir_node **nd) {
  const char *out_name = z->next_out ? z->next_out : path;
  int y, idx;
  DLF_TRY(ir_graph_add_tensor(z->g, out_name, IR_F32, 0, NULL, &y));
  DLF_TRY(ir_graph_add_node(z->g, path, op, n_in, in, 1, &y, &idx));
  z->next_out = NULL;
  *x = y;
  *nd = &z->g->nodes[idx];
  return DLF_OK;
}

static dlf_status set_2d(ir_node *n, const char *attr, int64_t v) {
  int64_t a[2] = {v, v};
  return ir_node_set_ints(n, attr, a, 2);
}

static dlf_status set_pads(ir_node *n, int64_t p) {
  int64_t a[4] = {p, p, p, p}; /* [top, left, bottom, right] */
  return ir_node_set_ints(n, "pads", a, 4);
}

dlf_status zoo_conv(zoo_b *z, const char *path, int *x, int cin, int cout, int k, int s, int p,
                    int groups, int bias) {
  int64_t wd[4] = {cout, cin / groups, k, k};
  int64_t bd[1] = {cout};
  /* Weights are drawn uniform (one draw each: VGG-16's 138M weights take a
   * fraction of a second) with He's scale, var gain/fan_in, and then each
   * filter is made zero-mean. Why zero-mean: ReLU outputs have a large
   * common mode; filters that pass it on make deep feature maps (and the
   * globally pooled logits) nearly the same for every input — SqueezeNet's
   * logits moved by <1% between two noise images. Centred filters pass only
   * the input-dependent part. A centred filter sees the variance of a ReLU
   * output, (1 - 1/pi)/2 of its E[x^2], not 1/2, so convs that no BatchNorm
   * follows (those with a bias) use gain 2/(1 - 1/pi) instead of 2 to keep
   * the activations' scale through depth; BN-followed convs keep gain 2
   * (BN's fixed running statistics do not renormalise a growing scale). */
  int64_t fan_in = wd[1] * k * k;
  double gain = bias ? 2.0 / (1.0 - 1.0 / 3.14159265358979) : 2.0;
  float bound = (float)sqrt(3.0 * gain / (double)fan_in);
  int in[3] = {*x, -1, -1};
  DLF_TRY(param(z, path, "weight", 4, wd, DIST_UNIFORM, -bound, bound, &in[1]));
  float *w = z->g->tensors[in[1]].data;
  for (int64_t o = 0; o < cout && fan_in > 1; o++) {
    double mean = 0;
    for (int64_t i = 0; i < fan_in; i++) mean += w[o * fan_in + i];
    mean /= (double)fan_in;
    for (int64_t i = 0; i < fan_in; i++) w[o * fan_in + i] -= (float)mean;
  }
  if (bias) DLF_TRY(param(z, path, "bias", 1, bd, DIST_UNIFORM, -0.05f, 0.05f, &in[2]));
  ir_node *n;
  DLF_TRY(node(z, path, IR_OP_CONV, bias ? 3 : 2, in, x, &n));
  DLF_TRY(set_2d(n, "kernel_shape", k));
  DLF_TRY(set_2d(n, "strides", s));
  DLF_TRY(set_pads(n, p));
  DLF_TRY(set_2d(n, "dilations", 1));
  return ir_node_set_int(n, "group", groups);
}

dlf_status zoo_bn(zoo_b *z, const char *path, int *x, int c, zoo_bn_init init) {
  int64_t d[1] = {c};
  int in[5] = {*x};
  float glo = init == ZOO_BN_RESIDUAL_LAST ? 0.1f : 0.5f;
  float ghi = init == ZOO_BN_RESIDUAL_LAST ? 0.3f : 1.5f;
  DLF_TRY(param(z, path, "weight", 1, d, DIST_UNIFORM, glo, ghi, &in[1]));
  DLF_TRY(param(z, path, "bias", 1, d, DIST_NORMAL, 0.0f, 0.1f, &in[2]));
  DLF_TRY(param(z, path, "running_mean", 1, d, DIST_NORMAL, 0.0f, 0.1f, &in[3]));
  DLF_TRY(param(z, path, "running_var", 1, d, DIST_UNIFORM, 0.5f, 1.5f, &in[4]));
  ir_node *n;
  DLF_TRY(node(z, path, IR_OP_BATCHNORM, 5, in, x, &n));
  return ir_node_set_float(n, "epsilon", 1e-5f);
}

dlf_status zoo_relu(zoo_b *z, const char *path, int *x) {
  int in[1] = {*x};
  ir_node *n;
  return node(z, path, IR_OP_RELU, 1, in, x, &n);
}

dlf_status zoo_relu6(zoo_b *z, const char *path, int *x) {
  /* opset 13 Clip takes its bounds as (scalar) inputs, not attributes */
  int in[3] = {*x};
  DLF_TRY(scalar(z, path, "min", 0.0f, &in[1]));
  DLF_TRY(scalar(z, path, "max", 6.0f, &in[2]));
  ir_node *n;
  return node(z, path, IR_OP_CLIP, 3, in, x, &n);
}

dlf_status zoo_maxpool(zoo_b *z, const char *path, int *x, int k, int s, int p, int ceil_mode) {
  int in[1] = {*x};
  ir_node *n;
  DLF_TRY(node(z, path, IR_OP_MAXPOOL, 1, in, x, &n));
  DLF_TRY(set_2d(n, "kernel_shape", k));
  DLF_TRY(set_2d(n, "strides", s));
  DLF_TRY(set_pads(n, p));
  return ir_node_set_int(n, "ceil_mode", ceil_mode);
}

dlf_status zoo_global_avgpool(zoo_b *z, const char *path, int *x) {
  int in[1] = {*x};
  ir_node *n;
  return node(z, path, IR_OP_GLOBALAVERAGEPOOL, 1, in, x, &n);
}

dlf_status zoo_flatten(zoo_b *z, const char *path, int *x) {
  int in[1] = {*x};
  ir_node *n;
  DLF_TRY(node(z, path, IR_OP_FLATTEN, 1, in, x, &n));
  return ir_node_set_int(n, "axis", 1);
}

dlf_status zoo_linear(zoo_b *z, const char *path, int *x, int fin, int fout) {
  int64_t wd[2] = {fout, fin};
  int64_t bd[1] = {fout};
  int in[3] = {*x};
  /* std 1/sqrt(fan_in) (uniform, as for convs): logits keep the scale of
   * the features */
  float bound = sqrtf(3.0f / (float)fin);
  DLF_TRY(param(z, path, "weight", 2, wd, DIST_UNIFORM, -bound, bound, &in[1]));
  DLF_TRY(param(z, path, "bias", 1, bd, DIST_UNIFORM, -0.05f, 0.05f, &in[2]));
  ir_node *n;
  DLF_TRY(node(z, path, IR_OP_GEMM, 3, in, x, &n));
  return ir_node_set_int(n, "transB", 1); /* torch Linear: y = x W^T + b */
}

dlf_status zoo_add(zoo_b *z, const char *path, int *x, int y) {
  int in[2] = {*x, y};
  ir_node *n;
  return node(z, path, IR_OP_ADD, 2, in, x, &n);
}

dlf_status zoo_concat2(zoo_b *z, const char *path, int *x, int a, int b) {
  int in[2] = {a, b};
  ir_node *n;
  DLF_TRY(node(z, path, IR_OP_CONCAT, 2, in, x, &n));
  return ir_node_set_int(n, "axis", 1);
}

/* ----------------------------------------------------------- registry -- */

typedef struct zoo_entry {
  const char *name;
  dlf_status (*build)(zoo_b *z, int *x);
} zoo_entry;

static const zoo_entry g_zoo[] = {
    {"alexnet", zoo_alexnet},           {"vgg16", zoo_vgg16},
    {"resnet18", zoo_resnet18},         {"resnet50", zoo_resnet50},
    {"mobilenet_v2", zoo_mobilenet_v2}, {"squeezenet1_0", zoo_squeezenet1_0},
};
#define ZOO_COUNT ((int)(sizeof g_zoo / sizeof g_zoo[0]))

const char *const *fe_zoo_names(void) {
  static const char *const names[] = {"alexnet",      "vgg16",         "resnet18", "resnet50",
                                      "mobilenet_v2", "squeezenet1_0", NULL};
  return names;
}

static dlf_status build(const zoo_entry *e, uint64_t seed, int batch, ir_graph *g) {
  zoo_b z = {g, seed ? seed : ZOO_DEFAULT_SEED, NULL};
  g->opset = 13;
  g->inputs = malloc(sizeof *g->inputs);
  g->outputs = malloc(sizeof *g->outputs);
  if (!g->inputs || !g->outputs)
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", g->source);
  int64_t dims[4] = {batch, 3, 224, 224};
  int x;
  DLF_TRY(ir_graph_add_tensor(g, "input", IR_F32, 4, dims, &x));
  g->inputs[0] = x;
  g->n_inputs = 1;
  DLF_TRY(e->build(&z, &x));
  if (strcmp(g->tensors[x].name, "output") != 0)
    return dlf_error(DLF_ERR_INTERNAL, "%s: the last layer does not produce 'output'", g->source);
  g->outputs[0] = x;
  g->n_outputs = 1;
  return DLF_OK;
}

dlf_status fe_zoo_build(const char *name, uint64_t seed, int batch, int64_t max_tensor_bytes,
                        ir_graph **out) {
  *out = NULL;
  const zoo_entry *e = NULL;
  for (int i = 0; i < ZOO_COUNT; i++)
    if (name && strcmp(g_zoo[i].name, name) == 0) e = &g_zoo[i];
  if (!e) {
    char list[256] = "";
    for (const char *const *n = fe_zoo_names(); *n; n++) {
      strncat(list, n == fe_zoo_names() ? "" : ", ", sizeof list - strlen(list) - 1);
      strncat(list, *n, sizeof list - strlen(list) - 1);
    }
    /* The message starts with the spec ("zoo:NAME"), which callers would otherwise
     * prepend to it. */
    if (!name || !name[0])
      return dlf_error(DLF_ERR_INVALID_ARG, "zoo: no model name after 'zoo:' (available: %s)",
                       list);
    return dlf_error(DLF_ERR_INVALID_ARG, "zoo:%s: unknown model (available: %s)", name, list);
  }
  if (batch < 1 || batch > ZOO_MAX_BATCH)
    return dlf_error(DLF_ERR_INVALID_ARG, "zoo:%s: batch %d is out of range (1..%d)", name, batch,
                     ZOO_MAX_BATCH);
  char source[64];
  snprintf(source, sizeof source, "zoo:%s", name);
  ir_graph *g;
  DLF_TRY(ir_graph_create(source, &g));
  g->max_tensor_bytes = dlf_cap_or_default(max_tensor_bytes);
  dlf_status st = build(e, seed, batch, g);
  if (st != DLF_OK) {
    ir_graph_free(g);
    return st;
  }
  *out = g;
  return DLF_OK;
}
