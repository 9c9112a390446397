/* conv_nhwc_pack.c — repacks ONNX convolution weights (OIHW) once, at session creation,
 * into the layouts the NHWC kernels stream: GEMM panels per group, and [kh*kw, C] for depthwise. */
#include "kernels/kernels.h"
#include "kernels/conv_grouped.h"

#include <string.h>

/* Rows of one group's GEMM B: (ki, kj, ci) in that order, matching an im2col row. */
static int64_t gemm_k(const kern_conv2d_params *p) { return p->kh * p->kw * (p->C / p->groups); }

bool kern_conv2d_nhwc_packed_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                    size_t *floats) {
  size_t per_group, total;
  int64_t khw, K;
  if (p->groups < 1) return false;
  if (kern_conv_grouped_applies(cfg, p)) { /* the same floats as OIHW: no panel padding */
    *floats = kern_conv_grouped_packed_floats(p);
    return true;
  }
  if (__builtin_mul_overflow(p->kh, p->kw, &khw) ||
      __builtin_mul_overflow(khw, p->C / p->groups, &K))
    return false;
  if (!kern_sgemm_packed_b_floats(cfg, K, p->Cout / p->groups, &per_group)) return false;
  if (__builtin_mul_overflow(per_group, (size_t)p->groups, &total)) return false;
  *floats = total;
  return true;
}

/* Writes the panel layout of kern_sgemm_pack_b (kernels.h) directly, because row k of B
 * is a composite (ki, kj, ci) index with no single stride in OIHW. */
void kern_conv2d_nhwc_pack(const kern_config *cfg, const kern_conv2d_params *p, const float *w_oihw,
                           float *packed) {
  if (kern_conv_grouped_applies(cfg, p)) {
    kern_conv_grouped_pack(cfg, p, w_oihw, packed);
    return;
  }
  const int64_t G = p->groups, Cg = p->C / G, Ng = p->Cout / G, K = gemm_k(p);
  const int64_t nr = cfg->sgemm.nr, khw = p->kh * p->kw;
  size_t per_group = 0;
  kern_sgemm_packed_b_floats(cfg, K, Ng, &per_group);
  for (int64_t g = 0; g < G; g++) {
    float *pg = packed + (size_t)g * per_group;
    memset(pg, 0, per_group * sizeof(float)); /* the edge panel's columns past Ng */
    for (int64_t n = 0; n < Ng; n++) {
      const float *wo = w_oihw + (g * Ng + n) * Cg * khw; /* W[co, :, :, :] */
      float *col = pg + (n / nr) * K * nr + n % nr;
      for (int64_t ci = 0; ci < Cg; ci++)
        for (int64_t t = 0; t < khw; t++) /* t = ki * kw + kj */
          col[(t * Cg + ci) * nr] = wo[ci * khw + t];
    }
  }
}

size_t kern_dwconv2d_nhwc_packed_floats(const kern_conv2d_params *p) {
  return (size_t)(p->kh * p->kw) * (size_t)p->C;
}

/* Tap-major so that one tap's weights for consecutive channels are one vector load. */
void kern_dwconv2d_nhwc_pack(const kern_conv2d_params *p, const float *w_oihw, float *packed) {
  const int64_t khw = p->kh * p->kw;
  for (int64_t c = 0; c < p->C; c++)
    for (int64_t t = 0; t < khw; t++)
      packed[t * p->C + c] = w_oihw[c * khw + t];
}
