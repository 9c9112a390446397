/* matmul.c — ONNX MatMul with numpy semantics (1-D operands promoted and
 * their dim dropped, batch dims broadcast): shape inference and reference. */
#include <string.h>

#include "ir/ir.h"

/* Promote a and b to rank >= 2 views: shapes (.., M, K) and (.., K, N). */
typedef struct mm_geom {
  int64_t M, K, N;
  int nbatch;                  /* broadcast batch rank */
  int64_t batch[IR_MAX_DIMS];  /* broadcast batch dims */
  int64_t abatch[IR_MAX_DIMS]; /* a's batch dims right-aligned to nbatch (1 where absent) */
  int64_t bbatch[IR_MAX_DIMS];
} mm_geom;

static bool mm_geom_init(const int64_t *ad, int an, const int64_t *bd, int bn, mm_geom *gm) {
  if (an < 1 || bn < 1) return false;
  gm->M = an == 1 ? 1 : ad[an - 2];
  gm->K = ad[an - 1];
  int64_t kb = bn == 1 ? bd[0] : bd[bn - 2];
  gm->N = bn == 1 ? 1 : bd[bn - 1];
  if (kb != gm->K) return false;
  int abn = an > 2 ? an - 2 : 0, bbn = bn > 2 ? bn - 2 : 0;
  if (!ir_broadcast_shape(ad, abn, bd, bbn, gm->batch, &gm->nbatch)) return false;
  for (int i = 0; i < gm->nbatch; i++) {
    int ia = i - (gm->nbatch - abn), ib = i - (gm->nbatch - bbn);
    gm->abatch[i] = ia >= 0 ? ad[ia] : 1;
    gm->bbatch[i] = ib >= 0 ? bd[ib] : 1;
  }
  return true;
}

dlf_status ir_op_matmul_shape(ir_graph *g, ir_node *n) {
  if (n->n_inputs != 2 || n->n_outputs != 1)
    return ir_node_error(g, n, DLF_ERR_PARSE, "expects 2 inputs and 1 output, has %d and %d",
                         n->n_inputs, n->n_outputs);
  const ir_tensor *a = ir_node_input(g, n, 0), *b = ir_node_input(g, n, 1);
  ir_tensor *y = ir_node_output(g, n, 0);
  if (!a || !b || !y) return ir_node_error(g, n, DLF_ERR_PARSE, "A, B and Y are required");
  if (a->dtype != IR_F32 || b->dtype != IR_F32)
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED, "only float32 is supported");
  mm_geom gm;
  char s1[96], s2[96];
  if (!mm_geom_init(a->dims, a->ndim, b->dims, b->ndim, &gm))
    return ir_node_error(g, n, DLF_ERR_SHAPE, "A '%s' (%s) and B '%s' (%s) cannot be multiplied",
                         a->name, ir_dims_str(a->dims, a->ndim, s1, sizeof s1), b->name,
                         ir_dims_str(b->dims, b->ndim, s2, sizeof s2));
  y->dtype = IR_F32;
  int nd = gm.nbatch;
  memcpy(y->dims, gm.batch, (size_t)nd * sizeof gm.batch[0]);
  if (a->ndim > 1) y->dims[nd++] = gm.M;
  if (b->ndim > 1) y->dims[nd++] = gm.N;
  y->ndim = nd;
  return DLF_OK;
}

dlf_status ir_op_matmul_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                            int n_out) {
  mm_geom gm;
  if (!mm_geom_init(in[0].dims, in[0].ndim, in[1].dims, in[1].ndim, &gm))
    return dlf_error(DLF_ERR_SHAPE, "operands cannot be multiplied");
  const float *a = in[0].data, *b = in[1].data;
  float *y = out[0].data;
  int64_t M = gm.M, K = gm.K, N = gm.N, nb = 1;
  for (int i = 0; i < gm.nbatch; i++)
    nb *= gm.batch[i];
  for (int64_t bi = 0; bi < nb; bi++) {
    /* Decompose the output batch index; broadcast dims of size 1 index 0. */
    int64_t rem = bi, ao = 0, bo = 0, astr = 1, bstr = 1;
    for (int i = gm.nbatch - 1; i >= 0; i--) {
      int64_t idx = rem % gm.batch[i];
      rem /= gm.batch[i];
      ao += (gm.abatch[i] == 1 ? 0 : idx) * astr;
      bo += (gm.bbatch[i] == 1 ? 0 : idx) * bstr;
      astr *= gm.abatch[i];
      bstr *= gm.bbatch[i];
    }
    const float *ab = a + ao * M * K, *bb = b + bo * K * N;
    float *yb = y + bi * M * N;
    for (int64_t m = 0; m < M; m++)
      for (int64_t j = 0; j < N; j++) {
        float acc = 0.0f;
        for (int64_t k = 0; k < K; k++)
          acc += ab[m * K + k] * bb[k * N + j];
        yb[m * N + j] = acc;
      }
  }
  return DLF_OK;
}
