/* plan_check.c — is a plan executable on a model? The checks every plan passes before the
 * engine sees it, whether it came from a file, the tuner or a test: see docs/plan.md. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "plan/plan.h"

/* ------------------------------------------------------------ predicates -- */

static bool is_4d(const ir_tensor *t) { return t && t->ndim == 4; }

static bool same_dims(const ir_tensor *a, const ir_tensor *b) {
  if (!a || !b || a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->dims[d] != b->dims[d]) return false;
  return true;
}

/* Number of outputs the node really produces (optional outputs may be left empty). */
static int live_outputs(const ir_node *n) {
  int c = 0;
  for (int k = 0; k < n->n_outputs; k++)
    c += n->outputs[k] >= 0;
  return c;
}

/* One value per channel of out ([N or 1, C, 1, 1], a constant [C, 1, 1]) or one value: the
 * operand of a broadcast binary op that every row of the output reads whole. */
static bool chan_operand(const ir_tensor *v, const ir_tensor *out) {
  if (!v || !out || out->ndim != 4) return false;
  if (ir_tensor_numel(v) == 1) return v->ndim <= 4;
  if (v->ndim == 3) return v->data && v->dims[0] == out->dims[1] && v->dims[1] == 1 && v->dims[2] == 1;
  return v->ndim == 4 && (v->dims[0] == 1 || v->dims[0] == out->dims[0]) &&
         v->dims[1] == out->dims[1] && v->dims[2] == 1 && v->dims[3] == 1;
}

bool plan_layer_row_local(const ir_graph *g, const ir_node *n) {
  const ir_tensor *out = ir_node_output(g, n, 0);
  const ir_tensor *x = ir_node_input(g, n, 0);
  if (!is_4d(out) || live_outputs(n) != 1) return false;
  if (!is_4d(x) && !(n->op == IR_OP_SUB || n->op == IR_OP_DIV || n->op == IR_OP_ADD ||
                     n->op == IR_OP_MUL))
    return false;
  if (n->residual >= 0 && !same_dims(&g->tensors[n->residual], out)) return false;
  switch (n->op) {
  case IR_OP_CONV:
  case IR_OP_MAXPOOL:
  case IR_OP_AVERAGEPOOL: return true;
  case IR_OP_ADD:
  case IR_OP_MUL:
  case IR_OP_SUB:
  case IR_OP_DIV: {
    /* Same shapes (Add / Mul), or one operand per channel (squeeze-and-excitation's scale):
     * no other broadcast, as a broadcast operand is not a band of rows. */
    if (n->n_inputs != 2) return false;
    const ir_tensor *x2 = ir_node_input(g, n, 1);
    if (same_dims(x, out) && same_dims(x2, out)) return n->op == IR_OP_ADD || n->op == IR_OP_MUL;
    return (same_dims(x, out) && chan_operand(x2, out)) ||
           (same_dims(x2, out) && chan_operand(x, out));
  }
  case IR_OP_BATCHNORM: return same_dims(x, out);
  /* LayerNorm over each pixel's channels (the channels_last pass's form): a pixel's output is
   * its own input pixel. Over the last axis (W in NCHW) a row still needs only its row, but
   * the engine has no NHWC kernel for that form. */
  case IR_OP_LAYERNORM: return ir_layernorm_channels(n) && same_dims(x, out);
  case IR_OP_SLICE:
  case IR_OP_GATHER: {
    /* Channels only: every pixel's output is its own input pixel. */
    if (!same_dims(x, out)) {
      if (x->ndim != 4 || x->dims[0] != out->dims[0] || x->dims[2] != out->dims[2] ||
          x->dims[3] != out->dims[3])
        return false;
    }
    if (n->op == IR_OP_GATHER) {
      int64_t a = ir_node_int(n, "axis", 0);
      const ir_tensor *it = ir_node_input(g, n, 1);
      return (a == 1 || a == -3) && it && it->data && it->ndim == 1;
    }
    int64_t start[IR_MAX_DIMS], step[IR_MAX_DIMS], len[IR_MAX_DIMS];
    if (!ir_slice_geometry(g, n, start, step, len)) return false;
    for (int d = 0; d < 4; d++)
      if (d != 1 && (start[d] != 0 || step[d] != 1 || len[d] != x->dims[d])) return false;
    return true;
  }
  case IR_OP_CONCAT: {
    int64_t axis = ir_node_int(n, "axis", 0);
    if (axis != 1 && axis != -3) return false;
    for (int k = 0; k < n->n_inputs; k++)
      if (!is_4d(ir_node_input(g, n, k))) return false;
    return true;
  }
  default: return ir_op_is_activation(n->op) && same_dims(x, out);
  }
}

/* Geometry of a 2-D Conv: kernel from the weight, stride/dilation from attributes. */
typedef struct conv_geom {
  int64_t kh, kw, sh, sw, dh, dw, group, c_in, c_out;
} conv_geom;

static bool conv_geometry(const ir_graph *g, const ir_node *n, conv_geom *c) {
  const ir_tensor *x = ir_node_input(g, n, 0), *w = ir_node_input(g, n, 1);
  const ir_tensor *y = ir_node_output(g, n, 0);
  if (!is_4d(x) || !is_4d(w) || !is_4d(y)) return false;
  int64_t v[IR_MAX_DIMS];
  c->kh = w->dims[2];
  c->kw = w->dims[3];
  c->sh = c->sw = c->dh = c->dw = 1;
  if (ir_node_ints(n, "strides", v, IR_MAX_DIMS) == 2) c->sh = v[0], c->sw = v[1];
  if (ir_node_ints(n, "dilations", v, IR_MAX_DIMS) == 2) c->dh = v[0], c->dw = v[1];
  c->group = ir_node_int(n, "group", 1);
  c->c_in = x->dims[1];
  c->c_out = y->dims[1];
  return true;
}

static void describe_conv(const conv_geom *c, char *buf, size_t size) {
  snprintf(buf, size,
           "kernel %" PRId64 "x%" PRId64 ", stride %" PRId64 "x%" PRId64 ", dilation %" PRId64
           "x%" PRId64 ", group %" PRId64 ", channels %" PRId64 "->%" PRId64,
           c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->group, c->c_in, c->c_out);
}

bool plan_algo_supports(const ir_graph *g, const ir_node *n, plan_algo a, char *why,
                        size_t why_size) {
  char tmp[8];
  if (!why) why = tmp, why_size = sizeof tmp;
  why[0] = '\0';
  conv_geom c = {0};
  bool conv = n->op == IR_OP_CONV, conv2d = conv && conv_geometry(g, n, &c);
  char desc[160] = "";
  if (conv2d) describe_conv(&c, desc, sizeof desc);
  switch (a) {
  case PLAN_ALGO_AUTO:
  case PLAN_ALGO_REFERENCE: return true;
  case PLAN_ALGO_IM2COL:
    if (conv) return true;
    snprintf(why, why_size, "im2col runs only Conv, this is %s", ir_op_name(n->op));
    return false;
  case PLAN_ALGO_WINOGRAD:
    if (conv2d && c.kh == 3 && c.kw == 3 && c.sh == 1 && c.sw == 1 && c.dh == 1 && c.dw == 1 &&
        c.group == 1)
      return true;
    if (conv2d)
      snprintf(why, why_size,
               "winograd runs only a 2-D Conv with kernel 3x3, stride 1, dilation 1, group 1; "
               "this one has %s",
               desc);
    else
      snprintf(why, why_size, "winograd runs only a 2-D Conv with kernel 3x3, this is %s%s",
               ir_op_name(n->op), conv ? " (not 2-D)" : "");
    return false;
  case PLAN_ALGO_DIRECT:
    if (!conv) return true;
    /* depthwise: the depthwise kernels; group 1: the direct small-channel kernel (no im2col;
     * fast for few input channels, correct for any) */
    if (conv2d && (c.group == 1 || (c.group == c.c_in && c.c_in == c.c_out))) return true;
    snprintf(why, why_size,
             "direct runs a Conv with group 1 or a depthwise Conv (group = input channels = "
             "output channels), pooling and elementwise ops, not a grouped Conv; this one has %s",
             conv2d ? desc : "a non-2-D shape");
    return false;
  default: snprintf(why, why_size, "unknown algorithm %d", (int)a); return false;
  }
}

/* ---------------------------------------------------------------- checks -- */

typedef struct checker {
  const ir_graph *g;
  const plan *p;
  const char *source;
  int n_layers;
  int *layer_node; /* layer -> node */
  int *node_layer; /* node -> layer, -1 for dead nodes */
  int *block_of;   /* layer -> block, -1 until placed */
  char *tainted;   /* convexity scratch, per layer */
} checker;

/* "layer 'conv1' (#0, Conv)" */
static const char *layer_str(const checker *c, int layer, char *buf, size_t size) {
  const ir_node *n = &c->g->nodes[c->layer_node[layer]];
  snprintf(buf, size, "layer '%.200s' (#%d, %s)", n->name ? n->name : "", layer, ir_op_name(n->op));
  return buf;
}

/* Producer layer of tensor t, or -1 (graph input, constant). */
static int producer_layer(const checker *c, int t) {
  if (t < 0 || t >= c->g->n_tensors) return -1;
  int node = c->g->tensors[t].producer;
  return node >= 0 && node < c->g->n_nodes ? c->node_layer[node] : -1;
}

/* The tensors a node reads: its inputs, then its residual (the epilogue's extra input). */
static int node_n_reads(const ir_node *n) { return n->n_inputs + 1; }
static int node_read(const ir_node *n, int k) {
  return k < n->n_inputs ? n->inputs[k] : n->residual;
}

static dlf_status check_partition(checker *c) {
  const plan *p = c->p;
  char l1[300];
  for (int b = 0; b < p->n_blocks; b++) {
    const plan_block *bl = &p->blocks[b];
    if (bl->n_layers < 1 || !bl->layers || !bl->algo)
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d has no layers", c->source, b);
    for (int i = 0; i < bl->n_layers; i++) {
      int l = bl->layers[i];
      if (l < 0 || l >= c->n_layers)
        return dlf_error(DLF_ERR_INVALID_ARG,
                         "%s: block %d: layer index %d out of range (the model has %d layers)",
                         c->source, b, l, c->n_layers);
      if (c->block_of[l] == b)
        return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d: %s is listed twice", c->source, b,
                         layer_str(c, l, l1, sizeof l1));
      if (c->block_of[l] >= 0)
        return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d: %s is already in block %d", c->source,
                         b, layer_str(c, l, l1, sizeof l1), c->block_of[l]);
      c->block_of[l] = b;
      if (i > 0 && l < bl->layers[i - 1])
        return dlf_error(DLF_ERR_INVALID_ARG,
                         "%s: block %d: layers are not in ascending order (#%d after #%d)",
                         c->source, b, l, bl->layers[i - 1]);
    }
  }
  for (int l = 0; l < c->n_layers; l++)
    if (c->block_of[l] < 0)
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: %s is in no block", c->source,
                       layer_str(c, l, l1, sizeof l1));
  return DLF_OK;
}

static dlf_status check_block(checker *c, int b) {
  const plan_block *bl = &c->p->blocks[b];
  char l1[300], why[400];
  if (bl->cores < 1 || bl->cores > c->p->target_cores)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: block %d: cores %d out of range (1 to the target's %d cores)", c->source,
                     b, bl->cores, c->p->target_cores);
  for (int i = 0; i < bl->n_layers; i++) {
    int l = bl->layers[i];
    const ir_node *n = &c->g->nodes[c->layer_node[l]];
    if ((int)bl->algo[i] < 0 || bl->algo[i] >= PLAN_ALGO_COUNT)
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d: %s: unknown algorithm %d", c->source, b,
                       layer_str(c, l, l1, sizeof l1), (int)bl->algo[i]);
    if (!plan_algo_supports(c->g, n, bl->algo[i], why, sizeof why))
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d: %s: %s", c->source, b,
                       layer_str(c, l, l1, sizeof l1), why);
    if (bl->n_layers > 1 && !plan_layer_row_local(c->g, n))
      return dlf_error(DLF_ERR_INVALID_ARG,
                       "%s: block %d: %s needs its whole input (it is not computed band by band "
                       "of rows on 4-D tensors): it must be a block of its own",
                       c->source, b, layer_str(c, l, l1, sizeof l1));
  }
  /* Tiles are bands of the last layer's output rows (per image). */
  int last = bl->layers[bl->n_layers - 1];
  const ir_tensor *y = ir_node_output(c->g, &c->g->nodes[c->layer_node[last]], 0);
  int64_t max_rows = y && y->ndim == 4 ? y->dims[2] : 1;
  if (bl->tile_rows < 0 || bl->tile_rows > max_rows)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: block %d: tile_rows %d out of range (0 = engine's choice, up to %" PRId64
                     " = the output height of %s)",
                     c->source, b, bl->tile_rows, max_rows, layer_str(c, last, l1, sizeof l1));
  return DLF_OK;
}

/* A block is convex when no path leaves it and comes back: walking the layers between its
 * first and last in topological order, an outside layer is "tainted" when it reads the block
 * or a tainted layer; a block layer reading a tainted layer closes such a path. The engine
 * needs convexity: a fused block runs as one step, so nothing outside can run in between. */
static dlf_status check_convex(checker *c, int b) {
  const plan_block *bl = &c->p->blocks[b];
  int lo = bl->layers[0], hi = bl->layers[bl->n_layers - 1];
  char l1[300], l2[300];
  for (int l = lo; l <= hi; l++)
    c->tainted[l] = 0;
  for (int l = lo; l <= hi; l++) {
    const ir_node *n = &c->g->nodes[c->layer_node[l]];
    bool inside = c->block_of[l] == b;
    for (int k = 0; k < node_n_reads(n); k++) {
      int pl = producer_layer(c, node_read(n, k));
      if (pl < lo || pl >= l) continue;
      if (inside && c->tainted[pl])
        return dlf_error(DLF_ERR_INVALID_ARG,
                         "%s: block %d is not convex: a path leaves it and re-enters it through "
                         "%s, which %s reads (add it to the block or split the block)",
                         c->source, b, layer_str(c, pl, l1, sizeof l1),
                         layer_str(c, l, l2, sizeof l2));
      if (!inside && (c->block_of[pl] == b || c->tainted[pl])) c->tainted[l] = 1;
    }
  }
  return DLF_OK;
}

/* Blocks run in the order listed: each must read only what earlier blocks (or itself)
 * produced. */
static dlf_status check_order(checker *c, int b) {
  const plan_block *bl = &c->p->blocks[b];
  char l1[300], l2[300];
  for (int i = 0; i < bl->n_layers; i++) {
    const ir_node *n = &c->g->nodes[c->layer_node[bl->layers[i]]];
    for (int k = 0; k < node_n_reads(n); k++) {
      int pl = producer_layer(c, node_read(n, k));
      if (pl >= 0 && c->block_of[pl] > b)
        return dlf_error(DLF_ERR_INVALID_ARG,
                         "%s: block %d: %s reads the output of %s, which runs later in block %d "
                         "(blocks must be listed in execution order)",
                         c->source, b, layer_str(c, bl->layers[i], l1, sizeof l1),
                         layer_str(c, pl, l2, sizeof l2), c->block_of[pl]);
    }
  }
  return DLF_OK;
}

static dlf_status run_checks(checker *c) {
  const plan *p = c->p;
  if (p->version != PLAN_FORMAT_VERSION)
    return dlf_error(DLF_ERR_UNSUPPORTED,
                     "%s: unsupported plan format version %d (this dlfusion reads version %d)",
                     c->source, p->version, PLAN_FORMAT_VERSION);
  uint64_t fp = plan_fingerprint(c->g);
  if (p->fingerprint != fp)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: made for a different model: fingerprint %016" PRIx64
                     ", this model (%s) has %016" PRIx64,
                     c->source, p->fingerprint, c->g->source, fp);
  if (p->target_cores < 1 || p->target_cores > PLAN_MAX_CORES)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: target cores %d out of range (1 to %d)", c->source,
                     p->target_cores, PLAN_MAX_CORES);
  if (p->n_blocks < 0 || (p->n_blocks > 0 && !p->blocks))
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: plan has no block list", c->source);
  DLF_TRY(check_partition(c));
  for (int b = 0; b < p->n_blocks; b++)
    DLF_TRY(check_block(c, b));
  for (int b = 0; b < p->n_blocks; b++)
    DLF_TRY(check_convex(c, b));
  for (int b = 0; b < p->n_blocks; b++)
    DLF_TRY(check_order(c, b));
  return DLF_OK;
}

dlf_status plan_check(const ir_graph *g, const plan *p, const char *source) {
  if (!source) source = "plan";
  if (!g || !p)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: no %s to check", source, g ? "plan" : "model");
  checker c = {.g = g, .p = p, .source = source, .n_layers = plan_layer_nodes(g, NULL)};
  c.layer_node = dlf_malloc_array((size_t)c.n_layers, sizeof *c.layer_node);
  c.node_layer = dlf_malloc_array((size_t)g->n_nodes, sizeof *c.node_layer);
  c.block_of = dlf_malloc_array((size_t)c.n_layers, sizeof *c.block_of);
  c.tainted = dlf_malloc_array((size_t)c.n_layers, 1);
  dlf_status st;
  if (!c.layer_node || !c.node_layer || !c.block_of || !c.tainted) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory checking the plan", source);
  } else {
    plan_layer_nodes(g, c.layer_node);
    for (int i = 0; i < g->n_nodes; i++)
      c.node_layer[i] = -1;
    for (int l = 0; l < c.n_layers; l++) {
      c.node_layer[c.layer_node[l]] = l;
      c.block_of[l] = -1;
    }
    st = run_checks(&c);
  }
  free(c.layer_node);
  free(c.node_layer);
  free(c.block_of);
  free(c.tainted);
  return st;
}
