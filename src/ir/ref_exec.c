/* ref_exec.c — the reference executor (see ref_exec.h). */
#include "ir/ref_exec.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"

struct ir_ref_exec {
  const ir_graph *g;
  void **bufs; /* per tensor: activation buffer (NULL for constants/inputs) */
  ir_value *in, *out; /* per-node argument arrays, sized for the widest node */
};

static size_t tensor_bytes(const ir_tensor *t) {
  return (size_t)ir_tensor_numel(t) * ir_dtype_size(t->dtype);
}

dlf_status ir_ref_exec_create(const ir_graph *g, ir_ref_exec **out) {
  ir_ref_exec *x = calloc(1, sizeof *x);
  if (!x) return dlf_error(DLF_ERR_NOMEM, "out of memory creating the reference executor");
  x->g = g;
  x->bufs = dlf_calloc_array((size_t)g->n_tensors, sizeof(void *));
  if (!x->bufs) {
    free(x);
    return dlf_error(DLF_ERR_NOMEM, "out of memory creating the reference executor");
  }
  int max_in = 1, max_out = 1;
  for (int i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].n_inputs + 1 > max_in) max_in = g->nodes[i].n_inputs + 1; /* + residual */
    if (g->nodes[i].n_outputs > max_out) max_out = g->nodes[i].n_outputs;
  }
  x->in = dlf_malloc_array((size_t)max_in, sizeof *x->in);
  x->out = dlf_malloc_array((size_t)max_out, sizeof *x->out);
  if (!x->in || !x->out) {
    ir_ref_exec_free(x);
    return dlf_error(DLF_ERR_NOMEM, "out of memory creating the reference executor");
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int o = 0; o < n->n_outputs; o++) {
      const ir_tensor *t = ir_node_output(g, n, o);
      if (!t) continue;
      int64_t numel, bytes;
      if (!dlf_numel(t->dims, t->ndim, &numel) ||
          !dlf_mul_i64(numel, (int64_t)ir_dtype_size(t->dtype), &bytes) ||
          bytes > dlf_cap_or_default(g->max_tensor_bytes)) {
        ir_ref_exec_free(x);
        char cap[DLF_CAP_PHRASE_SIZE];
        return ir_node_error(g, n, DLF_ERR_LIMIT, "output '%s' is too large: above %s", t->name,
                             dlf_cap_phrase(g->max_tensor_bytes, cap, sizeof cap));
      }
      x->bufs[n->outputs[o]] = malloc(bytes ? (size_t)bytes : 1);
      if (!x->bufs[n->outputs[o]]) {
        ir_ref_exec_free(x);
        return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for output '%s'", t->name);
      }
    }
  }
  *out = x;
  return DLF_OK;
}

void ir_ref_exec_free(ir_ref_exec *x) {
  if (!x) return;
  for (int t = 0; t < x->g->n_tensors; t++) free(x->bufs[t]);
  free(x->bufs);
  free(x->in);
  free(x->out);
  free(x);
}

static void *tensor_data(const ir_ref_exec *x, const void *const *inputs, int t) {
  const ir_graph *g = x->g;
  if (g->tensors[t].data) return g->tensors[t].data;
  for (int i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] == t) return (void *)inputs[i];
  return x->bufs[t];
}

static void to_value(const ir_tensor *t, void *data, ir_value *v) {
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy(v->dims, t->dims, sizeof t->dims);
  v->data = data;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* node_ms: NULL, or per node the time it took. */
static dlf_status run(ir_ref_exec *x, const void *const *inputs, void *const *outputs,
                      double *node_ms) {
  const ir_graph *g = x->g;
  ir_value *in = x->in, *out = x->out;
  for (int i = 0; i < g->n_nodes; i++) {
    const ir_node *n = &g->nodes[i];
    if (node_ms) node_ms[i] = 0;
    if (n->dead) continue;
    double t0 = node_ms ? now_ms() : 0;
    for (int k = 0; k < n->n_inputs; k++) {
      memset(&in[k], 0, sizeof in[k]);
      if (n->inputs[k] >= 0)
        to_value(&g->tensors[n->inputs[k]], tensor_data(x, inputs, n->inputs[k]), &in[k]);
    }
    /* The residual of an epilogue travels as one extra trailing input. */
    int n_in = n->n_inputs;
    if (n->residual >= 0) {
      to_value(&g->tensors[n->residual], tensor_data(x, inputs, n->residual), &in[n_in]);
      n_in++;
    }
    for (int o = 0; o < n->n_outputs; o++) {
      memset(&out[o], 0, sizeof out[o]);
      if (n->outputs[o] >= 0) to_value(&g->tensors[n->outputs[o]], x->bufs[n->outputs[o]], &out[o]);
    }
    dlf_status st = ir_op_ref_fn(n->op)(n, in, n_in, out, n->n_outputs);
    if (st != DLF_OK) return ir_node_error(g, n, st, "%s", dlf_last_error());
    if (node_ms) node_ms[i] = now_ms() - t0;
  }
  for (int j = 0; j < g->n_outputs; j++) {
    int t = g->outputs[j];
    memcpy(outputs[j], tensor_data(x, inputs, t), tensor_bytes(&g->tensors[t]));
  }
  return DLF_OK;
}

dlf_status ir_ref_exec_run(ir_ref_exec *x, const void *const *inputs, void *const *outputs) {
  return run(x, inputs, outputs, NULL);
}

dlf_status ir_ref_exec_run_timed(ir_ref_exec *x, const void *const *inputs, void *const *outputs,
                                 double *node_ms) {
  return run(x, inputs, outputs, node_ms);
}
