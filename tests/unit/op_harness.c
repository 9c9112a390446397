/* op_harness.c — one-node graphs run through shape inference and the
 * reference executor (see op_harness.h). */
#include "op_harness.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"
#include "ir/ref_exec.h"

static th_tensor make(ir_dtype dt, int ndim, const int64_t *dims, const void *data) {
  th_tensor t;
  memset(&t, 0, sizeof t);
  t.dtype = dt;
  t.ndim = ndim;
  if (ndim) memcpy(t.dims, dims, (size_t)ndim * sizeof *dims);
  t.data = data;
  return t;
}

th_tensor th_f32(int ndim, const int64_t *dims, const float *data) {
  return make(IR_F32, ndim, dims, data);
}
th_tensor th_i64(int ndim, const int64_t *dims, const int64_t *data) {
  return make(IR_I64, ndim, dims, data);
}
th_tensor th_const(th_tensor t) {
  t.is_const = 1;
  return t;
}
th_tensor th_absent(void) { return make(IR_F32, 0, NULL, NULL); }

dlf_status th_create(th_graph *th, ir_op op, int n_in, const th_tensor *in, int n_out) {
  memset(th, 0, sizeof *th);
  DLF_TRY(ir_graph_create("test", &th->g));
  ir_graph *g = th->g;
  int ins[16], outs[8];
  th->n_in = n_in;
  th->n_out = n_out;
  for (int i = 0; i < n_in; i++) {
    th->in[i] = in[i];
    char name[16];
    snprintf(name, sizeof name, "in%d", i);
    if (!in[i].data) {
      ins[i] = -1;
      continue;
    }
    if (in[i].is_const) {
      size_t bytes = (size_t)1 * ir_dtype_size(in[i].dtype);
      for (int d = 0; d < in[i].ndim; d++) bytes *= (size_t)in[i].dims[d];
      void *copy = malloc(bytes ? bytes : 1);
      if (!copy) return DLF_ERR_NOMEM;
      memcpy(copy, in[i].data, bytes);
      DLF_TRY(ir_graph_add_constant(g, name, in[i].dtype, in[i].ndim, in[i].dims, copy, &ins[i]));
    } else {
      DLF_TRY(ir_graph_add_tensor(g, name, in[i].dtype, in[i].ndim, in[i].dims, &ins[i]));
      int *gi = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof *gi);
      if (!gi) return DLF_ERR_NOMEM;
      g->inputs = gi;
      g->inputs[g->n_inputs++] = ins[i];
    }
  }
  for (int o = 0; o < n_out; o++) {
    char name[16];
    snprintf(name, sizeof name, "out%d", o);
    DLF_TRY(ir_graph_add_tensor(g, name, IR_F32, 0, NULL, &outs[o]));
    g->tensors[outs[o]].shape_known = false;
  }
  g->outputs = malloc((size_t)(n_out ? n_out : 1) * sizeof(int));
  if (!g->outputs) return DLF_ERR_NOMEM;
  memcpy(g->outputs, outs, (size_t)n_out * sizeof(int));
  g->n_outputs = n_out;
  int idx;
  DLF_TRY(ir_graph_add_node(g, "node", op, n_in, ins, n_out, outs, &idx));
  th->node = &g->nodes[idx];
  return DLF_OK;
}

dlf_status th_run(th_graph *th) {
  ir_graph *g = th->g;
  DLF_TRY(ir_graph_toposort(g));
  DLF_TRY(ir_graph_validate(g));
  DLF_TRY(ir_graph_infer_shapes(g));
  th->node = NULL;
  const void *inputs[16];
  int k = 0;
  for (int i = 0; i < th->n_in; i++)
    if (th->in[i].data && !th->in[i].is_const) inputs[k++] = th->in[i].data;
  void *outputs[8];
  for (int o = 0; o < th->n_out; o++) {
    const ir_tensor *t = &g->tensors[g->outputs[o]];
    ir_value *v = &th->out[o];
    v->dtype = t->dtype;
    v->ndim = t->ndim;
    memcpy(v->dims, t->dims, sizeof t->dims);
    size_t bytes = (size_t)ir_tensor_numel(t) * ir_dtype_size(t->dtype);
    v->data = malloc(bytes ? bytes : 1);
    if (!v->data) return DLF_ERR_NOMEM;
    outputs[o] = v->data;
  }
  ir_ref_exec *x;
  DLF_TRY(ir_ref_exec_create(g, &x));
  dlf_status st = ir_ref_exec_run(x, inputs, outputs);
  ir_ref_exec_free(x);
  return st;
}

void th_free(th_graph *th) {
  for (int o = 0; o < th->n_out; o++) free(th->out[o].data);
  ir_graph_free(th->g);
  memset(th, 0, sizeof *th);
}

float *th_random(uint64_t seed, int64_t n, float lo, float hi) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  dlf_rng r = dlf_rng_make(seed);
  for (int64_t i = 0; p && i < n; i++) p[i] = dlf_rng_range(&r, lo, hi);
  return p;
}

float *th_small_ints(uint64_t seed, int64_t n, int k) {
  float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
  dlf_rng r = dlf_rng_make(seed);
  for (int64_t i = 0; p && i < n; i++) p[i] = (float)((int64_t)(dlf_rng_next(&r) % (uint64_t)(2 * k + 1)) - k);
  return p;
}
