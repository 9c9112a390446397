/* plan.c — the plan struct's basics: algorithm names, freeing, the model fingerprint,
 * the layer <-> node map and the unfused plan. Reading/writing JSON and checking a plan
 * against a model live in plan_json.c and plan_check.c. */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"

static const char *const algo_names[PLAN_ALGO_COUNT] = {
    [PLAN_ALGO_AUTO] = "auto",         [PLAN_ALGO_IM2COL] = "im2col",
    [PLAN_ALGO_WINOGRAD] = "winograd", [PLAN_ALGO_DIRECT] = "direct",
    [PLAN_ALGO_REFERENCE] = "reference",
};

const char *plan_algo_name(plan_algo a) {
  return a >= 0 && a < PLAN_ALGO_COUNT ? algo_names[a] : "?";
}

plan_algo plan_algo_from_name(const char *name) {
  for (int a = 0; name && a < PLAN_ALGO_COUNT; a++)
    if (strcmp(name, algo_names[a]) == 0) return (plan_algo)a;
  return PLAN_ALGO_COUNT;
}

void plan_free(plan *p) {
  if (!p) return;
  for (int b = 0; b < p->n_blocks; b++) {
    free(p->blocks[b].layers);
    free(p->blocks[b].algo);
  }
  free(p->blocks);
  free(p->model);
  free(p);
}

/* FNV-1a, 64-bit: small, stable across platforms (fixed-width little-endian feeding). */
typedef struct fnv { uint64_t h; } fnv;
static void fnv_bytes(fnv *f, const void *data, size_t n) {
  const unsigned char *b = data;
  for (size_t i = 0; i < n; i++) {
    f->h ^= b[i];
    f->h *= 0x100000001b3ULL;
  }
}
static void fnv_i64(fnv *f, int64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)((uint64_t)v >> (8 * i));
  fnv_bytes(f, b, 8);
}
static void fnv_str(fnv *f, const char *s) {
  fnv_bytes(f, s ? s : "", s ? strlen(s) + 1 : 1);
}
static void fnv_dims(fnv *f, const ir_tensor *t) {
  fnv_i64(f, t->ndim);
  for (int d = 0; d < t->ndim; d++)
    fnv_i64(f, t->dims[d]);
}

uint64_t plan_fingerprint(const ir_graph *g) {
  static const char *const geometry[] = {"kernel_shape", "strides", "pads", "dilations", "group",
                                         "axis", "ceil_mode"};
  fnv f = {0xcbf29ce484222325ULL};
  int layer = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    fnv_i64(&f, layer++);
    fnv_str(&f, ir_op_name(n->op));
    fnv_i64(&f, n->act);
    fnv_i64(&f, n->residual >= 0);
    for (size_t a = 0; a < sizeof geometry / sizeof *geometry; a++) {
      const ir_attr *at = ir_node_attr(n, geometry[a]);
      if (!at) continue;
      fnv_str(&f, at->name);
      if (at->kind == IR_ATTR_INT) fnv_i64(&f, at->i);
      for (int k = 0; at->kind == IR_ATTR_INTS && k < at->n; k++)
        fnv_i64(&f, at->ints[k]);
    }
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) fnv_dims(&f, &g->tensors[n->inputs[k]]);
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0) fnv_dims(&f, &g->tensors[n->outputs[k]]);
  }
  return f.h;
}

int plan_layer_nodes(const ir_graph *g, int *layer_node) {
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead) {
      if (layer_node) layer_node[n] = i;
      n++;
    }
  return n;
}

dlf_status plan_unfused(const ir_graph *g, const char *model, int cores, plan **out) {
  *out = NULL;
  int n = plan_layer_nodes(g, NULL);
  plan *p = calloc(1, sizeof *p);
  if (!p) goto nomem;
  p->version = PLAN_FORMAT_VERSION;
  p->fingerprint = plan_fingerprint(g);
  p->target_cores = cores;
  p->model = dlf_strdup(model ? model : g->source);
  p->blocks = dlf_calloc_array((size_t)n + 1, sizeof *p->blocks);
  if (!p->model || !p->blocks) goto nomem;
  for (int l = 0; l < n; l++) {
    plan_block *b = &p->blocks[p->n_blocks++];
    b->n_layers = 1;
    b->cores = cores;
    b->layers = malloc(sizeof *b->layers);
    b->algo = calloc(1, sizeof *b->algo);
    if (!b->layers || !b->algo) goto nomem;
    b->layers[0] = l;
  }
  *out = p;
  return DLF_OK;
nomem:
  plan_free(p);
  return dlf_error(DLF_ERR_NOMEM, "%s: out of memory making a plan", g->source);
}
