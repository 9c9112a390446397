/* conv_nhwc.c — KxK (and grouped) convolution of one NHWC image band as im2col + the packed
 * SGEMM: Y[pixels, Cout] = im2col(X)[pixels, kh*kw*Cin] * W[kh*kw*Cin, Cout] (see kernels.h). */
#include "kernels/kernels.h"
#include "kernels/conv_grouped.h"
#include "kernels/conv_taps.h"

#include <string.h>

/* Minimum im2col chunk, in register tiles: every chunk streams all of packed B (it is
 * K x Cout, usually past L2), so a chunk of a few tiles would be bound by B traffic. */
#define CHUNK_MIN_TILES 4

static int64_t gemm_k(const kern_conv2d_params *p) { return p->kh * p->kw * (p->C / p->groups); }

/* 1x1 with no begin pad and no window past the input: output pixel (oh, ow) reads input
 * pixel (oh*sh, ow*sw), so the GEMM A is x itself (row stride sw pixels). */
static bool reads_x_in_place(const kern_conv2d_params *p) {
  return p->kh == 1 && p->kw == 1 && p->pad_t == 0 && p->pad_l == 0 && (p->OH - 1) * p->sh < p->H &&
         (p->OW - 1) * p->sw < p->W;
}

/* Output pixels per im2col chunk: the chunk (pixels x K floats) fills the config's budget,
 * rounded to whole register tiles, at least CHUNK_MIN_TILES tiles, at most the image. */
static int64_t chunk_pixels(const kern_config *cfg, const kern_conv2d_params *p) {
  const int64_t K = gemm_k(p), mr = cfg->sgemm.mr;
  int64_t P = cfg->nhwc.im2col_bytes / ((K > 0 ? K : 1) * (int64_t)sizeof(float));
  if (P < CHUNK_MIN_TILES * mr) P = CHUNK_MIN_TILES * mr;
  P = P / mr * mr;
  int64_t total = p->OH * p->OW;
  return P < total ? P : (total > 0 ? total : 1);
}

bool kern_conv2d_nhwc_scratch_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                     size_t *floats) {
  int64_t khw, K, K_bytes;
  if (p->groups < 1 || p->kh < 1 || p->kw < 1) return false;
  if (__builtin_mul_overflow(p->kh, p->kw, &khw) ||
      __builtin_mul_overflow(khw, p->C / p->groups, &K) ||
      __builtin_mul_overflow(K, (int64_t)sizeof(float), &K_bytes))
    return false; /* chunk_pixels() computes these unchecked */
  if (reads_x_in_place(p) || kern_conv_grouped_applies(cfg, p) ||
      kern_conv_taps_applies(cfg, p)) {
    *floats = 0;
    return true;
  }
  size_t n;
  if (__builtin_mul_overflow((size_t)chunk_pixels(cfg, p), (size_t)gemm_k(p), &n)) return false;
  *floats = n;
  return true;
}

/* im2col rows of output pixels [m0, m1) (flattened oh*OW + ow) for the channels of group g:
 * row = kh*kw runs of Cg floats in (ki, kj) order, zeros where the tap falls in the padding. */
static void im2col(const kern_conv2d_params *p, ptrdiff_t xs, int64_t g, const float *x, int64_t m0,
                   int64_t m1, float *a) {
  const int64_t Cg = p->C / p->groups, K = gemm_k(p), kw = p->kw;
  const size_t fz = sizeof(float);
  /* Dense input, dilation 1: the taps kj0..kj1 of one kernel row are one contiguous run. */
  const bool runs = p->dw == 1 && xs == Cg;
  /* (oh, ow) stepped along m, and the kernel-row taps recomputed only when oh changes:
   * with few input channels (a 3-channel stem) the per-pixel divisions cost as much as
   * the copies. */
  int64_t oh = m0 / p->OW, ow = m0 % p->OW, ki0, ki1;
  kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
  for (int64_t m = m0; m < m1; m++, ow++) {
    if (ow == p->OW) {
      ow = 0;
      oh++;
      kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    }
    float *row = a + (m - m0) * K;
    int64_t kj0, kj1;
    kern_tap_range(ow, p->sw, p->pad_l, p->dw, kw, 0, p->W, &kj0, &kj1);
    if (ki0 >= ki1 || kj0 >= kj1) {
      memset(row, 0, (size_t)K * fz);
      continue;
    }
    const int64_t iw0 = ow * p->sw - p->pad_l + kj0 * p->dw;
    for (int64_t ki = 0; ki < p->kh; ki++) {
      float *dst = row + ki * kw * Cg;
      if (ki < ki0 || ki >= ki1) {
        memset(dst, 0, (size_t)(kw * Cg) * fz);
        continue;
      }
      const int64_t ih = oh * p->sh - p->pad_t + ki * p->dh;
      const float *src = x + (ih * p->W + iw0) * xs + g * Cg;
      if (kj0 > 0) memset(dst, 0, (size_t)(kj0 * Cg) * fz);
      if (runs) {
        memcpy(dst + kj0 * Cg, src, (size_t)((kj1 - kj0) * Cg) * fz);
      } else {
        for (int64_t kj = kj0; kj < kj1; kj++)
          memcpy(dst + kj * Cg, src + (kj - kj0) * p->dw * xs, (size_t)Cg * fz);
      }
      if (kj1 < kw) memset(dst + kj1 * Cg, 0, (size_t)((kw - kj1) * Cg) * fz);
    }
  }
}

void kern_conv2d_nhwc(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                      const float *packed_w, float *y, int64_t oh0, int64_t oh1, float *scratch,
                      const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  if (oh0 >= oh1 || p->OW <= 0 || p->Cout <= 0) return;
  if (kern_conv_grouped_applies(cfg, p)) { /* few channels per group: conv_grouped.h */
    kern_conv_grouped(cfg, p, x, packed_w, y, oh0, oh1, epi);
    return;
  }
  if (kern_conv_taps_applies(cfg, p)) { /* dilated, taps mostly on padding: conv_taps.h */
    kern_conv_taps(cfg, p, x, packed_w, y, oh0, oh1, epi);
    return;
  }
  const int64_t G = p->groups, Cg = p->C / G, Ng = p->Cout / G, K = gemm_k(p);
  const ptrdiff_t xs = p->x_stride ? p->x_stride : p->C;
  const ptrdiff_t ys = p->y_stride ? p->y_stride : p->Cout;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : p->Cout;
  size_t per_group = 0;
  kern_sgemm_packed_b_floats(cfg, K, Ng, &per_group);
  const bool direct = reads_x_in_place(p);
  const int64_t P = chunk_pixels(cfg, p);

  for (int64_t g = 0; g < G; g++) {
    const float *b = packed_w + (size_t)g * per_group;
    kern_epilogue e = *epi;
    e.bias_m = NULL;
    e.ldr = ldr;
    if (e.bias_n) e.bias_n += g * Ng;
    const float *res = epi->residual ? epi->residual + g * Ng : NULL;
    float *yg = y + g * Ng;
    if (direct && p->sh == 1 && p->sw == 1 && p->OW == p->W) {
      /* Output pixel m reads input pixel m: the whole band is one GEMM. */
      int64_t m0 = oh0 * p->OW, m1 = oh1 * p->OW;
      e.residual = res ? res + m0 * ldr : NULL;
      kern_sgemm(cfg, m1 - m0, Ng, K, x + m0 * xs + g * Cg, xs, b, yg + m0 * ys, ys, &e);
    } else if (direct) {
      /* Strided 1x1: one GEMM per output row, A rows sw pixels apart. */
      for (int64_t oh = oh0; oh < oh1; oh++) {
        int64_t m0 = oh * p->OW;
        e.residual = res ? res + m0 * ldr : NULL;
        kern_sgemm(cfg, p->OW, Ng, K, x + oh * p->sh * p->W * xs + g * Cg, p->sw * xs, b,
                   yg + m0 * ys, ys, &e);
      }
    } else {
      for (int64_t m0 = oh0 * p->OW, m_end = oh1 * p->OW; m0 < m_end; m0 += P) {
        int64_t m1 = m_end - m0 < P ? m_end : m0 + P;
        im2col(p, xs, g, x, m0, m1, scratch);
        e.residual = res ? res + m0 * ldr : NULL;
        kern_sgemm(cfg, m1 - m0, Ng, K, scratch, K, b, yg + m0 * ys, ys, &e);
      }
    }
  }
}
