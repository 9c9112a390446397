/* step_gemm.c — the Gemm step class: C[M,N] = A[M,K] * B + bias with B a constant packed at
 * compile (the classifier heads), split across threads by panels of nr output columns. */
#include "runtime/engine_internal.h"

static dlf_status compile_gemm(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo,
                               bool *ok) {
  (void)algo;
  const ir_graph *g = e->g;
  if (n->op != IR_OP_GEMM || n->n_inputs < 2 || n->n_outputs != 1) return DLF_OK;
  int a = n->inputs[0], b = n->inputs[1], c = n->n_inputs > 2 ? n->inputs[2] : -1, y = n->outputs[0];
  if (!rt_is_act_f32(g, a) || !rt_is_const(g, b) || (c >= 0 && !rt_is_const(g, c)) || y < 0)
    return DLF_OK;
  const ir_tensor *at = &g->tensors[a], *bt = &g->tensors[b], *yt = &g->tensors[y];
  if (at->ndim != 2 || bt->ndim != 2 || bt->dtype != IR_F32 || yt->ndim != 2) return DLF_OK;
  if (ir_node_int(n, "transA", 0) != 0 || ir_node_float(n, "alpha", 1.0f) != 1.0f) return DLF_OK;
  if (c >= 0 && ir_node_float(n, "beta", 1.0f) != 1.0f) return DLF_OK;
  if (n->residual >= 0 &&
      (!rt_is_act_f32(g, n->residual) || !rt_same_dims(&g->tensors[n->residual], yt)))
    return DLF_OK;
  bool tb = ir_node_int(n, "transB", 0) != 0;
  int64_t M = yt->dims[0], N = yt->dims[1], K = at->dims[1];
  const float *bias = NULL;
  bool scalar_bias = false;
  if (c >= 0) {
    const ir_tensor *ct = &g->tensors[c];
    if (ct->dtype != IR_F32) return DLF_OK;
    int64_t cn = ir_tensor_numel(ct);
    bool row = cn == N && (ct->ndim == 1 || (ct->ndim == 2 && ct->dims[0] == 1));
    if (!row && cn != 1) return DLF_OK;
    bias = ct->data;
    scalar_bias = !row;
  }
  if (scalar_bias) {
    s->bias_owned = rt_alloc_floats(N);
    if (!s->bias_owned) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory for a bias");
    for (int64_t j = 0; j < N; j++)
      s->bias_owned[j] = *bias;
    bias = s->bias_owned;
  }
  s->bias = bias;
  size_t pf;
  if (!kern_sgemm_packed_b_floats(e->cfg, K, N, &pf))
    return ir_node_error(g, n, DLF_ERR_LIMIT, "packed weights too large");
  s->packed_floats = (int64_t)pf;
  s->packed = rt_alloc_floats((int64_t)pf);
  if (!s->packed) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory packing weights");
  /* B[k, n] is W[k*N + n] (transB = 0) or W[n*K + k] (transB = 1). */
  kern_sgemm_pack_b(e->cfg, K, N, bt->data, tb ? 1 : N, tb ? K : 1, s->packed);
  s->kind = STEP_GEMM;
  s->algo = PLAN_ALGO_DIRECT;
  s->x = a, s->y = y;
  s->u.gemm = (step_gemm){M, N, K, (N + e->cfg->sgemm.nr - 1) / e->cfg->sgemm.nr};
  rt_limit_small(e, s, M * N * K);
  rt_set_epilogue(s, n);
  *ok = true;
  return DLF_OK;
}

/* items = panels of nr output columns */
static void run_gemm_panels(void *ctx, int t, int64_t b, int64_t end) {
  (void)t;
  rt_engine *e = ctx;
  const rt_step *s = e->cur;
  const step_gemm *m = &s->u.gemm;
  const int64_t nr = e->cfg->sgemm.nr, j0 = b * nr, j1 = end * nr < m->N ? end * nr : m->N;
  const float *a = e->ptr[s->x];
  float *y = e->ptr[s->y];
  const float *r = s->residual >= 0 ? e->ptr[s->residual] : NULL;
  kern_epilogue ep = {false,   s->bias ? s->bias + j0 : NULL, NULL, r ? r + j0 : NULL, m->N,
                      s->kact, s->lo,                         s->hi};
  kern_sgemm(e->cfg, m->M, j1 - j0, m->K, a, m->K,
             kern_sgemm_packed_b_at(e->cfg, s->packed, m->K, j0), y + j0, m->N, &ep);
  if (s->post_act != IR_ACT_NONE)
    for (int64_t i = 0; i < m->M; i++)
      rt_post_act(e, s, y + i * m->N + j0, j1 - j0);
}

static dlf_status run_gemm(rt_engine *e, const rt_step *s) {
  return rt_pool_run_static(e->pool, s->cores, s->u.gemm.panels, run_gemm_panels, e);
}

const rt_step_class rt_class_gemm = {
    .name = "gemm",
    .compile = compile_gemm,
    .run = run_gemm,
};
