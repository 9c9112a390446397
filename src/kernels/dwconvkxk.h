/* dwconvkxk.h — the register-blocked KxK depthwise NHWC kernel for K = 5 and 7 (MnasNet's and
 * EfficientNet's 5x5, ConvNeXt's 7x7; stride 1 or 2, dilation 1), the loop of dwconv3x3.h with
 * the kernel size a constant: included after dwconv3x3.h (its vocabulary and dw_epilogue) by
 * dwconv_body.h (its pixels(), the general path over the same arguments), which calls dwk_run()
 * after dw3x3_run().
 *
 * One channel vector of one output row is swept in blocks of DW_NP pixels; per kernel row, its
 * K weights are loaded into registers (K * K would not fit beside the accumulators) and each of
 * the (DW_NP - 1) * S + K input vectors under the block is loaded once and feeds the up-to-K
 * (stride 1) or K / 2 (stride 2) accumulators that use it: ~0.2 loads per FMA at stride 1,
 * where the general path (dwconv_<isa>.c's block) loads an input per FMA. Registers: DW_NP
 * accumulators + K weights + one input (avx512: 8 + 7 + 1 of 32; avx2: 4 + 7 + 1 of 16).
 * The border columns (whose window crosses the left / right padding) run through the
 * includer's general path, pixels(1, ...), whose 4 channel vectors per pixel keep
 * 4 FMA chains in flight where one pixel of this kernel would have 1: on 7x7 maps with K = 7
 * nearly every column is a border one (kern_ab.sh: 0.6x on avx2 before this split). */

/* NP output pixels (ow .. ow+NP-1) of row oh, channels [c0, c0 + DW_VL) (lanes m), kernel rows
 * [ki0, ki1), kernel columns [kj0, kj1) (all K unless NP == 1 at a border). */
KERN_INLINE void dwk_block(const int K, const int NP, const int S, const bool FULL,
                           const dw3_args *a, dw_vec bias, int64_t c0, dw_mask m, int64_t oh,
                           int64_t ow, int64_t ki0, int64_t ki1, int64_t kj0, int64_t kj1) {
  const kern_conv2d_params *p = a->p;
  const ptrdiff_t xs = a->xs;
  const int64_t C = p->C;
  dw_vec acc[DW_NP];
#pragma GCC unroll 16
  for (int q = 0; q < NP; q++)
    acc[q] = dw_zero();
  const int64_t iw0 = ow * S - p->pad_l;
  const int NCOL = (NP - 1) * S + K;
  for (int64_t ki = ki0; ki < ki1; ki++) {
    const int64_t ih = oh * p->sh - p->pad_t + ki;
    const float *xr = a->x + (ih * p->W + iw0) * xs + c0;
    dw_vec w[7];
#pragma GCC unroll 7
    for (int kj = 0; kj < K; kj++)
      w[kj] = dw_load(a->w + (ki * K + kj) * C + c0, m, FULL);
#pragma GCC unroll 40
    for (int col = 0; col < NCOL; col++) {
      if (NP == 1 && (col < kj0 || col >= kj1)) continue;
      dw_vec v = dw_load(xr + col * xs, m, FULL);
      DW_KEEP(v); /* one load, not one folded into each FMA (dwconv3x3.h) */
#pragma GCC unroll 16
      for (int q = 0; q < NP; q++) {
        const int kj = col - q * S;
        if (kj >= 0 && kj < K) acc[q] = dw_fma(v, w[kj], acc[q]);
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

KERN_INLINE void dwk_pixels(const int K, const int NP, const int S, const dw3_args *a, int64_t oh,
                            int64_t ow, int64_t ki0, int64_t ki1, int64_t kj0, int64_t kj1) {
  const int64_t C = a->p->C;
  const float *bias_n = a->e->bias_n;
  int64_t c0 = 0;
  for (; c0 + DW_VL <= C; c0 += DW_VL) {
    const dw_mask m = dw_mask_for(DW_VL);
    const dw_vec bias = bias_n ? dw_load(bias_n + c0, m, true) : dw_zero();
    dwk_block(K, NP, S, true, a, bias, c0, m, oh, ow, ki0, ki1, kj0, kj1);
  }
  if (c0 < C) {
    const dw_mask m = dw_mask_for((int)(C - c0));
    const dw_vec bias = bias_n ? dw_load(bias_n + c0, m, false) : dw_zero();
    dwk_block(K, NP, S, false, a, bias, c0, m, oh, ow, ki0, ki1, kj0, kj1);
  }
}

KERN_INLINE void dwk_rows(const int K, const int S, const dw3_args *a, int64_t oh0, int64_t oh1) {
  const kern_conv2d_params *p = a->p;
  /* Interior columns [ow_lo, ow_hi): the whole K-wide window lies inside [0, W). */
  int64_t ow_lo = (p->pad_l + S - 1) / S;
  int64_t ow_hi = p->W - K + p->pad_l >= 0 ? (p->W - K + p->pad_l) / S + 1 : 0;
  if (ow_hi > p->OW) ow_hi = p->OW;
  if (ow_lo > ow_hi) ow_lo = ow_hi;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, S, p->pad_t, 1, K, 0, p->H, &ki0, &ki1);
    int64_t ow = 0;
    for (; ow < ow_lo; ow++) {
      int64_t kj0, kj1;
      kern_tap_range(ow, S, p->pad_l, 1, K, 0, p->W, &kj0, &kj1);
      pixels(1, a, oh, ow, ki0, ki1, kj0, kj1);
    }
    for (; ow + DW_NP <= ow_hi; ow += DW_NP)
      dwk_pixels(K, DW_NP, S, a, oh, ow, ki0, ki1, 0, K);
#if DW_NP >= 8
    if (ow + DW_NP / 2 <= ow_hi) {
      dwk_pixels(K, DW_NP / 2, S, a, oh, ow, ki0, ki1, 0, K);
      ow += DW_NP / 2;
    }
#endif
    if (ow + 2 <= ow_hi) {
      dwk_pixels(K, 2, S, a, oh, ow, ki0, ki1, 0, K);
      ow += 2;
    }
    for (; ow < p->OW; ow++) {
      int64_t kj0, kj1;
      kern_tap_range(ow, S, p->pad_l, 1, K, 0, p->W, &kj0, &kj1);
      pixels(1, a, oh, ow, ki0, ki1, kj0, kj1);
    }
  }
}

/* The 5x5 / 7x7 fast path; false (nothing written) for any other shape. */
static bool dwk_run(const kern_conv2d_params *p, const float *x, const float *packed_w, float *y,
                    int64_t oh0, int64_t oh1, const kern_epilogue *e) {
  if (p->kh != p->kw || (p->kh != 5 && p->kh != 7) || p->dh != 1 || p->dw != 1 ||
      p->sh != p->sw || (p->sh != 1 && p->sh != 2))
    return false;
  const dw3_args a = dw3_args_of(p, x, packed_w, y, e);
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  if (p->kh == 5 && p->sh == 1)
    dwk_rows(5, 1, &a, oh0, oh1);
  else if (p->kh == 5)
    dwk_rows(5, 2, &a, oh0, oh1);
  else if (p->sh == 1)
    dwk_rows(7, 1, &a, oh0, oh1);
  else
    dwk_rows(7, 2, &a, oh0, oh1);
  return true;
}
