/* model.c — the load pipeline, once: import (ONNX file or zoo) or an in-memory graph, then
 * bind inputs, sort, validate, infer shapes, run the passes and build the layer table. */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "frontend/frontend.h"
#include "ir/features.h"
#include "ir/passes/passes.h"

#define ZOO_PREFIX "zoo:"
#define ZOO_DEFAULT_SEED 1

static void free_bindings(dlf_tensor *b, int n) {
  for (int i = 0; b && i < n; i++) {
    free((char *)b[i].name);
    free(b[i].data);
  }
  free(b);
}

/* Deep copy of the bindings (names and data), kept to rebuild zoo models. */
static dlf_status copy_bindings(const char *spec, const dlf_load_options *o, dlf_load_options *to) {
  *to = *o;
  to->bindings = NULL;
  to->num_bindings = 0;
  if (o->num_bindings <= 0 || !o->bindings) return DLF_OK;
  dlf_tensor *b = dlf_calloc_array((size_t)o->num_bindings, sizeof *b);
  if (!b) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory copying bindings", spec);
  for (int i = 0; i < o->num_bindings; i++) {
    const dlf_tensor *src = &o->bindings[i];
    b[i] = *src;
    b[i].name = NULL;
    b[i].data = NULL;
    int64_t numel = 0, bytes = 0;
    bool ok = true;
    if (src->name) ok = (b[i].name = dlf_strdup(src->name)) != NULL;
    if (ok && src->data) { /* sizes were checked when the binding was applied */
      ok = dlf_numel(src->dims, src->ndim, &numel) &&
           dlf_mul_i64(numel, src->dtype == DLF_INT64 ? 8 : 4, &bytes);
      if (ok) ok = (b[i].data = malloc(bytes ? (size_t)bytes : 1)) != NULL;
      if (ok) memcpy(b[i].data, src->data, (size_t)bytes);
    }
    if (!ok) {
      free_bindings(b, i + 1);
      return dlf_error(DLF_ERR_NOMEM, "%s: out of memory copying bindings", spec);
    }
  }
  to->bindings = b;
  to->num_bindings = o->num_bindings;
  return DLF_OK;
}

/* "'input', 'shape'" — the names of g's inputs, for messages. */
static void input_list(const ir_graph *g, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < g->n_inputs && used + 1 < size; i++) {
    int n =
        snprintf(buf + used, size - used, "%s'%s'", i ? ", " : "", g->tensors[g->inputs[i]].name);
    if (n < 0) break;
    used += (size_t)n;
  }
  if (!g->n_inputs) snprintf(buf, size, "none");
}

/* Resolve which graph input (position in g->inputs) each binding targets:
 * named bindings by name, unnamed ones in order to the unclaimed inputs. */
static dlf_status resolve_bindings(const ir_graph *g, const dlf_tensor *b, int nb, int *slot) {
  char names[512];
  int *claimed = dlf_calloc_array((size_t)g->n_inputs + 1, sizeof *claimed);
  if (!claimed) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory binding inputs", g->source);
  dlf_status st = DLF_OK;
  for (int k = 0; k < nb && st == DLF_OK; k++) {
    slot[k] = -1;
    if (!b[k].name) continue;
    for (int i = 0; i < g->n_inputs; i++)
      if (strcmp(g->tensors[g->inputs[i]].name, b[k].name) == 0) slot[k] = i;
    if (slot[k] < 0) {
      input_list(g, names, sizeof names);
      st = dlf_error(DLF_ERR_INVALID_ARG, "%s: no input named '%s' (inputs: %s)", g->source,
                     b[k].name, names);
    } else if (claimed[slot[k]]) {
      st = dlf_error(DLF_ERR_INVALID_ARG, "%s: input '%s' is bound twice", g->source, b[k].name);
    } else {
      claimed[slot[k]] = 1;
    }
  }
  int next = 0;
  for (int k = 0; k < nb && st == DLF_OK; k++) {
    if (b[k].name) continue;
    while (next < g->n_inputs && claimed[next])
      next++;
    if (next >= g->n_inputs) {
      input_list(g, names, sizeof names);
      st = dlf_error(DLF_ERR_INVALID_ARG, "%s: more inputs given than the model has (%d: %s)",
                     g->source, g->n_inputs, names);
      break;
    }
    slot[k] = next;
    claimed[next] = 1;
  }
  free(claimed);
  return st;
}

static dlf_status check_binding(const ir_graph *g, const ir_tensor *t, const dlf_tensor *b,
                                int strict) {
  char want[128], got[128];
  if (b->ndim < 0 || b->ndim > DLF_MAX_DIMS)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: input '%s': binding has %d dimensions", g->source,
                     t->name, b->ndim);
  ir_dims_str(t->dims, t->ndim, want, sizeof want);
  ir_dims_str(b->dims, b->ndim, got, sizeof got);
  if (t->shape_known && b->ndim != t->ndim)
    return dlf_error(DLF_ERR_SHAPE,
                     "%s: input '%s': given shape %s (rank %d), model expects %s "
                     "(rank %d)",
                     g->source, t->name, got, b->ndim, want, t->ndim);
  for (int d = 0; d < b->ndim; d++)
    if (b->dims[d] < 0)
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: input '%s': negative dimension in %s", g->source,
                       t->name, got);
  if (b->data && (int)b->dtype != (int)t->dtype)
    return dlf_error(DLF_ERR_SHAPE, "%s: input '%s': given %s data, model expects %s", g->source,
                     t->name, b->dtype == DLF_INT64 ? "int64" : "float32", ir_dtype_name(t->dtype));
  if (!b->data && strict && t->shape_known)
    for (int d = 1; d < b->ndim; d++)
      if (b->dims[d] != t->dims[d] && t->dims[d] != 1)
        return dlf_error(DLF_ERR_SHAPE, "%s: input '%s': given shape %s, model expects %s",
                         g->source, t->name, got, want);
  return DLF_OK;
}

/* Apply bindings: with data the input becomes a constant and leaves
 * g->inputs; without data its dims are replaced. */
static dlf_status apply_bindings(ir_graph *g, const dlf_load_options *o) {
  if (!o || o->num_bindings <= 0) return DLF_OK;
  if (!o->bindings)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: num_bindings is %d but bindings is NULL", g->source,
                     o->num_bindings);
  int nb = o->num_bindings;
  int *slot = dlf_malloc_array((size_t)nb, sizeof *slot);
  if (!slot) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory binding inputs", g->source);
  dlf_status st = resolve_bindings(g, o->bindings, nb, slot);
  for (int k = 0; k < nb && st == DLF_OK; k++) {
    const dlf_tensor *b = &o->bindings[k];
    ir_tensor *t = &g->tensors[g->inputs[slot[k]]];
    st = check_binding(g, t, b, o->strict_shapes);
    if (st != DLF_OK) break;
    if (b->data) {
      int64_t numel, bytes;
      if (b->dtype != DLF_FLOAT32 && b->dtype != DLF_INT64) {
        st = dlf_error(DLF_ERR_INVALID_ARG, "%s: input '%s': unknown dtype %d", g->source, t->name,
                       (int)b->dtype);
        break;
      }
      if (!dlf_numel(b->dims, b->ndim, &numel) ||
          !dlf_mul_i64(numel, (int64_t)ir_dtype_size((ir_dtype)b->dtype), &bytes) ||
          bytes > DLF_MAX_TENSOR_BYTES) {
        char cap[DLF_CAP_PHRASE_SIZE];
        st =
            dlf_error(DLF_ERR_LIMIT, "%s: input '%s': binding is negative, overflowing or above %s",
                      g->source, t->name, dlf_cap_phrase(cap, sizeof cap));
        break;
      }
      void *copy = malloc(bytes ? (size_t)bytes : 1);
      if (!copy) {
        st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory binding '%s'", g->source, t->name);
        break;
      }
      memcpy(copy, b->data, (size_t)bytes);
      free(t->data);
      t->data = copy;
    }
    t->ndim = b->ndim;
    memcpy(t->dims, b->dims, (size_t)b->ndim * sizeof *b->dims);
    t->shape_known = true;
  }
  if (st == DLF_OK) { /* constants are no longer graph inputs */
    int w = 0;
    for (int i = 0; i < g->n_inputs; i++)
      if (!g->tensors[g->inputs[i]].data) g->inputs[w++] = g->inputs[i];
    g->n_inputs = w;
  }
  free(slot);
  return st;
}

/* Bindings, order, checks and shapes: everything before passes. */
static dlf_status prepare(ir_graph *g, const dlf_load_options *o) {
  DLF_TRY(apply_bindings(g, o));
  DLF_TRY(ir_graph_toposort(g));
  DLF_TRY(ir_graph_validate(g));
  DLF_TRY(ir_graph_infer_shapes(g));
  /* constant folding leaves dead nodes: compact them away */
  return ir_graph_toposort(g);
}

static dlf_status import(const char *spec, const dlf_load_options *o, ir_graph **out) {
  if (strncmp(spec, ZOO_PREFIX, strlen(ZOO_PREFIX)) == 0) {
    uint64_t seed = o && o->zoo_seed ? o->zoo_seed : ZOO_DEFAULT_SEED;
    int batch = o && o->zoo_batch > 0 ? o->zoo_batch : 1;
    if (o && o->zoo_batch < 0)
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: batch size %d is negative", spec, o->zoo_batch);
    return fe_zoo_build(spec + strlen(ZOO_PREFIX), seed, batch, out);
  }
  return fe_onnx_import(spec, out);
}

/* torchvision's count: float constants read as weights (each once). */
static dlf_status count_params(const ir_graph *g, int64_t *out) {
  char *seen = dlf_calloc_array((size_t)g->n_tensors + 1, 1);
  if (!seen) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory counting parameters", g->source);
  int64_t total = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    int first = 0, last = n->n_inputs - 1;
    switch (n->op) {
    case IR_OP_CONV:
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_PRELU:
    case IR_OP_ADD:
    case IR_OP_MUL: break;
    case IR_OP_BATCHNORM: first = 1, last = 2; break; /* scale, B; not mean/var */
    default: continue;
    }
    for (int k = first; k <= last && k < n->n_inputs; k++) {
      int t = n->inputs[k];
      if (t < 0 || seen[t] || !g->tensors[t].data || g->tensors[t].dtype != IR_F32) continue;
      seen[t] = 1;
      total += ir_tensor_numel(&g->tensors[t]);
    }
  }
  free(seen);
  *out = total;
  return DLF_OK;
}

static dlf_status build_layers(model *m) {
  const ir_graph *g = m->graph;
  m->layers = dlf_calloc_array((size_t)g->n_nodes, sizeof *m->layers);
  if (!m->layers) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for the layer table", m->spec);
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].dead) continue;
    dlf_layer_info *l = &m->layers[m->n_layers];
    DLF_TRY(ir_layer_features(g, i, l));
    l->index = m->n_layers++;
  }
  return DLF_OK;
}

void model_free(model *m) {
  if (!m) return;
  free_bindings((dlf_tensor *)m->load.bindings, m->load.num_bindings);
  if (m->imported != m->graph) ir_graph_free(m->imported);
  ir_graph_free(m->graph);
  free(m->layers);
  free(m->spec);
  free(m);
}

dlf_status model_build(const char *spec, ir_graph *g, const dlf_load_options *o, model **out) {
  *out = NULL;
  if (!spec) spec = g ? g->source : "model";
  model *m = calloc(1, sizeof *m);
  if (!m || !(m->spec = dlf_strdup(spec))) {
    free(m);
    ir_graph_free(g);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory making a model", spec);
  }
  m->graph = g;
  m->max_tensor_bytes = o ? o->max_tensor_bytes : 0;
  m->zoo = !g && strncmp(spec, ZOO_PREFIX, strlen(ZOO_PREFIX)) == 0;
  dlf_status st = g ? DLF_OK : import(spec, o, &m->graph);
  if (st == DLF_OK) st = prepare(m->graph, o);
  if (st == DLF_OK) st = count_params(m->graph, &m->params);
  if (st == DLF_OK && m->zoo && o) st = copy_bindings(spec, o, &m->load);
  if (st == DLF_OK && o && o->no_optimize) {
    if (m->zoo) m->imported = m->graph;
  } else if (st == DLF_OK) {
    st = ir_passes_run(m->graph);
    if (st == DLF_OK) st = ir_graph_toposort(m->graph);
  }
  if (st == DLF_OK) st = build_layers(m);
  if (st != DLF_OK) {
    model_free(m);
    return st;
  }
  *out = m;
  return DLF_OK;
}

dlf_status model_export_onnx(const model *m, const char *path) {
  if (!m->zoo) return dlf_error(DLF_ERR_UNSUPPORTED, "%s: export is for zoo models", m->spec);
  if (m->imported) return fe_onnx_export(m->imported, path);
  ir_graph *g = NULL; /* the zoo is deterministic: the same build as at load */
  int64_t saved = dlf_cap_push(m->max_tensor_bytes);
  dlf_status st = import(m->spec, &m->load, &g);
  if (st == DLF_OK) st = prepare(g, &m->load);
  dlf_cap_pop(saved);
  if (st == DLF_OK) st = fe_onnx_export(g, path);
  ir_graph_free(g);
  return st;
}
