/* dwconv3x3.h — the register-blocked 3x3 depthwise NHWC kernel (stride 1 or 2, dilation 1),
 * written once over a small vector vocabulary and included by dwconv_avx2.c / dwconv_avx512.c.
 *
 * The includer defines: DW_VL (floats per vector), dw_vec, dw_mask (a lane mask), and the
 * inline functions dw_zero(), dw_set1(f), dw_load(p, m, full), dw_store(p, v, m, full),
 * dw_add(a, b), dw_fma(a, b, c) (a*b + c), dw_max(a, b), dw_min(a, b) (second operand on NaN,
 * like maxps), dw_mask_for(n) (the first n lanes, 1 <= n <= DW_VL), DW_REG (the asm constraint
 * of a vector register: "v" reaches all 32 zmm, "x" the 16 ymm), and DW_NP (output pixels
 * per register block: accumulators + 9 weights + the streamed inputs must fit the register
 * file). Then it calls dw3x3_run(), which returns false when the shape is not 3x3 / dilation 1
 * / stride 1 or 2 (the caller's general kernel runs those).
 *
 * Why this shape of loop: depthwise convolution does 9 FMAs per output vector, so the old
 * kernel (one weight load + one input load per FMA) was load bound at ~1 FMA per cycle. Here
 * one channel vector of one output row is swept in blocks of DW_NP pixels with the 9 weights
 * held in registers; each input vector of the (DW_NP - 1) * S + 3 columns under the block is
 * loaded once per kernel row and feeds the up-to-3 (stride 1) or 2 (stride 2) accumulators
 * that use it, so loads per FMA drop to ~0.4 (stride 1) / ~0.7 (stride 2). Kernel rows that
 * fall in the padding are skipped (a row's tap range is computed once); the columns whose
 * window crosses the left / right padding run one pixel at a time with the in-bounds taps.
 * Every loop over taps, pixels and columns is unrolled with constant bounds so the
 * accumulators and weights stay in registers. */

/* Pin v to a register (one load, not one folded into each FMA that uses it). */
#ifndef DW_KEEP
#define DW_KEEP(v) __asm__("" : "+" DW_REG(v))
#endif

/* The epilogue of one output vector: (accumulate) + bias + residual, then the activation. */
KERN_INLINE dw_vec dw_epilogue(const kern_epilogue *e, dw_vec r,
                                                                float *yo, const float *ro,
                                                                dw_vec bias, dw_mask m, bool full) {
  if (e->accumulate) r = dw_add(r, dw_load(yo, m, full));
  if (e->bias_n) r = dw_add(r, bias);
  if (ro) r = dw_add(r, dw_load(ro, m, full));
  switch (e->act) {
  case KERN_ACT_NONE: break;
  /* max/min return the SECOND operand when either is NaN: NaN passes, as ir_act_apply. */
  case KERN_ACT_RELU: r = dw_max(dw_zero(), r); break;
  case KERN_ACT_CLIP: r = dw_min(dw_set1(e->act_hi), dw_max(dw_set1(e->act_lo), r)); break;
  }
  return r;
}

typedef struct dw3_args {
  const kern_conv2d_params *p;
  const float *x, *w; /* input image, packed weights [9, C] */
  float *y;
  const float *res;
  ptrdiff_t xs, ys, ldr;
  const kern_epilogue *e;
} dw3_args;

/* The arguments of one call: strides and the residual's row stride resolved (0 = dense). */
static inline dw3_args dw3_args_of(const kern_conv2d_params *p, const float *x,
                                   const float *packed_w, float *y, const kern_epilogue *e) {
  const int64_t C = p->C;
  return (dw3_args){.p = p,
                    .x = x,
                    .w = packed_w,
                    .y = y,
                    .res = e->residual,
                    .xs = p->x_stride ? p->x_stride : C,
                    .ys = p->y_stride ? p->y_stride : C,
                    .ldr = e->ldr ? e->ldr : C,
                    .e = e};
}

/* NP output pixels (ow .. ow+NP-1) of row oh, channels [c0, c0 + DW_VL) (lanes m), kernel rows
 * [ki0, ki1), kernel columns [kj0, kj1) (all 3 unless NP == 1 at a border). */
KERN_INLINE void
dw3_block(const int NP, const int S, const bool FULL, const dw3_args *a, const dw_vec w[9],
          dw_vec bias, int64_t c0, dw_mask m, int64_t oh, int64_t ow, int64_t ki0, int64_t ki1,
          int64_t kj0, int64_t kj1) {
  const kern_conv2d_params *p = a->p;
  const ptrdiff_t xs = a->xs;
  dw_vec acc[DW_NP];
#pragma GCC unroll 16
  for (int q = 0; q < NP; q++)
    acc[q] = dw_zero();
  const int64_t iw0 = ow * S - p->pad_l;
  const int NCOL = (NP - 1) * S + 3;
#pragma GCC unroll 3
  for (int ki = 0; ki < 3; ki++) {
    if (ki < ki0 || ki >= ki1) continue;
    const int64_t ih = oh * p->sh - p->pad_t + ki;
    const float *xr = a->x + (ih * p->W + iw0) * xs + c0;
#pragma GCC unroll 40
    for (int col = 0; col < NCOL; col++) {
      if (NP == 1 && (col < kj0 || col >= kj1)) continue;
      dw_vec v = dw_load(xr + col * xs, m, FULL);
      /* Keep v in a register: GCC otherwise folds the load into each of the up-to-3 FMAs
       * that use it (3 loads instead of 1; the kernel then runs at the load rate). */
      DW_KEEP(v);
#pragma GCC unroll 16
      for (int q = 0; q < NP; q++) {
        const int kj = col - q * S;
        if (kj >= 0 && kj < 3) acc[q] = dw_fma(v, w[ki * 3 + kj], acc[q]);
      }
    }
  }
#pragma GCC unroll 16
  for (int q = 0; q < NP; q++) {
    const int64_t pix = oh * p->OW + ow + q;
    float *yo = a->y + pix * a->ys + c0;
    const float *ro = a->res ? a->res + pix * a->ldr + c0 : NULL;
    dw_store(yo, dw_epilogue(a->e, acc[q], yo, ro, bias, m, FULL), m, FULL);
  }
}

/* NP pixels from (oh, ow), all channels: per channel vector, the 9 weights and the bias are
 * loaded (from L1: 9 * C floats) and the block computed. Channels innermost, so the block's
 * input pixels (C contiguous floats each) are read front to back, which the hardware
 * prefetchers follow; sweeping a whole row per channel vector instead (one cache line per
 * pixel, a stride of C floats) measured 1.3-1.8x slower on 28x28..112x112 layers. */
KERN_INLINE void dw3_pixels(const int NP, const int S,
                                                             const dw3_args *a, int64_t oh,
                                                             int64_t ow, int64_t ki0, int64_t ki1,
                                                             int64_t kj0, int64_t kj1) {
  const int64_t C = a->p->C;
  const float *bias_n = a->e->bias_n;
  int64_t c0 = 0;
  for (; c0 + DW_VL <= C; c0 += DW_VL) {
    const dw_mask m = dw_mask_for(DW_VL);
    dw_vec w[9];
#pragma GCC unroll 9
    for (int k = 0; k < 9; k++)
      w[k] = dw_load(a->w + k * C + c0, m, true);
    const dw_vec bias = bias_n ? dw_load(bias_n + c0, m, true) : dw_zero();
    dw3_block(NP, S, true, a, w, bias, c0, m, oh, ow, ki0, ki1, kj0, kj1);
  }
  if (c0 < C) {
    const dw_mask m = dw_mask_for((int)(C - c0));
    dw_vec w[9];
#pragma GCC unroll 9
    for (int k = 0; k < 9; k++)
      w[k] = dw_load(a->w + k * C + c0, m, false);
    const dw_vec bias = bias_n ? dw_load(bias_n + c0, m, false) : dw_zero();
    dw3_block(NP, S, false, a, w, bias, c0, m, oh, ow, ki0, ki1, kj0, kj1);
  }
}

/* One output row: border pixels one at a time (in-bounds taps only), the interior in blocks of
 * DW_NP, then DW_NP/2, ..., 2 pixels. */
KERN_INLINE void dw3_row(const int S, const dw3_args *a,
                                                          int64_t oh, int64_t ki0, int64_t ki1,
                                                          int64_t ow_lo, int64_t ow_hi) {
  const kern_conv2d_params *p = a->p;
  int64_t ow = 0;
  for (; ow < ow_lo; ow++) {
    int64_t kj0, kj1;
    kern_tap_range(ow, S, p->pad_l, 1, 3, 0, p->W, &kj0, &kj1);
    dw3_pixels(1, S, a, oh, ow, ki0, ki1, kj0, kj1);
  }
  for (; ow + DW_NP <= ow_hi; ow += DW_NP)
    dw3_pixels(DW_NP, S, a, oh, ow, ki0, ki1, 0, 3);
#if DW_NP >= 8
  if (ow + DW_NP / 2 <= ow_hi) {
    dw3_pixels(DW_NP / 2, S, a, oh, ow, ki0, ki1, 0, 3);
    ow += DW_NP / 2;
  }
#endif
  if (ow + 2 <= ow_hi) {
    dw3_pixels(2, S, a, oh, ow, ki0, ki1, 0, 3);
    ow += 2;
  }
  for (; ow < p->OW; ow++) {
    int64_t kj0, kj1;
    kern_tap_range(ow, S, p->pad_l, 1, 3, 0, p->W, &kj0, &kj1);
    dw3_pixels(1, S, a, oh, ow, ki0, ki1, kj0, kj1);
  }
}

KERN_INLINE void dw3_rows(const int S, const dw3_args *a,
                                                           int64_t oh0, int64_t oh1) {
  const kern_conv2d_params *p = a->p;
  /* Interior columns [ow_lo, ow_hi): the whole 3-wide window lies inside [0, W). */
  int64_t ow_lo = (p->pad_l + S - 1) / S;
  int64_t ow_hi = p->W - 3 + p->pad_l >= 0 ? (p->W - 3 + p->pad_l) / S + 1 : 0;
  if (ow_hi > p->OW) ow_hi = p->OW;
  if (ow_lo > ow_hi) ow_lo = ow_hi;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, S, p->pad_t, 1, 3, 0, p->H, &ki0, &ki1);
    dw3_row(S, a, oh, ki0, ki1, ow_lo, ow_hi);
  }
}

/* The 3x3 fast path; false (nothing written) when p is not 3x3, dilation 1, stride 1 or 2 in
 * both directions. */
static bool dw3x3_run(const kern_conv2d_params *p, const float *x, const float *packed_w, float *y,
                      int64_t oh0, int64_t oh1, const kern_epilogue *e) {
  if (p->kh != 3 || p->kw != 3 || p->dh != 1 || p->dw != 1 || p->sh != p->sw ||
      (p->sh != 1 && p->sh != 2))
    return false;
  const dw3_args a = dw3_args_of(p, x, packed_w, y, e);
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  if (p->sh == 1)
    dw3_rows(1, &a, oh0, oh1);
  else
    dw3_rows(2, &a, oh0, oh1);
  return true;
}
