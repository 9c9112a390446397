/* conv_small_c_body.h — the direct NHWC convolution for few input channels (a CNN's stem),
 * written once over a small vector vocabulary; included by conv_small_c_<isa>.c.
 *
 * Why direct: with C = 3 an im2col row is kh*kw runs of 3 floats (a gather that costs as much
 * as the GEMM), and K = kh*kw*C is short. Here a register tile of NP output pixels x NV
 * vectors of output channels accumulates over every tap (ki, kj, ci): one weight vector load
 * per (tap, vector), one broadcast of the input value per (tap, pixel), NP*NV FMAs. No
 * scratch: the input is read in place, padding is skipped by tap ranges (vertical: per
 * output row; horizontal: pixels whose window leaves the input run one at a time with their
 * own kj range; all others run in blocks of NP with the full range).
 *
 * Weights: [kh][kw][C][Cp] (Cp = Cout rounded up to 16, zero past Cout, see conv_small_c.c),
 * so that the taps of one kernel row are consecutive rows, and one tap's weights for a chunk
 * of channels are consecutive vectors.
 *
 * The includer defines SC_VL (floats per vector), sc_vec, SC_NAME (the function's name),
 * SC_FLAT (1: interior tiles loop over all taps through an offset table, see sc_tile_run),
 * SC_NV_MAX (vectors per chunk), SC_NP(nv) (pixels of a tile with nv vectors, a constant
 * expression, at most SC_NP_MAX) and inline sc_zero, sc_set1, sc_bcast(const float *),
 * sc_load, sc_load_n(p, n) (n lanes, zeros past), sc_store, sc_store_n(p, v, n), sc_fma(a, b,
 * c) (a * b + c), sc_add, sc_max, sc_min (max/min return the SECOND operand when either is
 * NaN, as maxps/minps: NaN passes the activation as in ir_act_apply). */
#include "kernels/kernels_isa.h" /* the family's prototype: the definition is checked */

/* Taps (kh*kw*C) of the flat tiles' offset table on the stack (8 KiB): every stem (11x11x3
 * = 363) fits; with more taps (not a stem) every pixel runs as a one-pixel border tile,
 * correct but at ~half the rate. */
#define SC_TAPS_MAX 1024

/* One register tile: NP pixels (ps floats apart in x, ys in y) x NV vectors of channels. */
typedef struct sc_tile {
  const float *x;        /* input value of tap (first ki, kj0, ci = 0) of pixel 0 */
  ptrdiff_t ps;          /* floats between the tile's pixels in x (sw * x_stride) */
  ptrdiff_t rs;          /* floats between kernel rows in x (dh * W * x_stride) */
  int64_t nki;           /* kernel rows inside the input (0: only the epilogue) */
  int64_t nruns;         /* runs of taps per kernel row */
  int64_t run_len;       /* taps per run (contiguous in x) */
  ptrdiff_t run_x;       /* floats between runs in x (dw * x_stride) */
  const float *w;        /* packed weights of that tap, at the chunk's first channel */
  ptrdiff_t w_ki;        /* floats between kernel rows in w (kw * C * Cp) */
  ptrdiff_t cp;          /* floats between taps in w (Cp) */
  float *y;              /* pixel 0's output at the chunk's first channel */
  ptrdiff_t ys;          /* floats between pixels in y */
  const float *res;      /* residual of pixel 0 at the chunk's first channel, or NULL */
  ptrdiff_t ldr;         /* floats between pixels in res */
  const float *bias;     /* bias at the chunk's first channel, or NULL */
  const ptrdiff_t *xoff; /* flat tiles: x offset of each tap (rows nki, full kj range) */
  int64_t ntaps;         /* flat tiles: taps (weights are then ntaps consecutive rows) */
  int last_lanes;        /* valid lanes of the chunk's last vector (1..SC_VL) */
  const kern_epilogue *epi;
} sc_tile;

KERN_INLINE sc_vec sc_act(const kern_epilogue *e, sc_vec v) {
  switch (e->act) {
  case KERN_ACT_NONE: return v;
  case KERN_ACT_RELU: return sc_max(sc_zero(), v);
  case KERN_ACT_CLIP: return sc_min(sc_set1(e->act_hi), sc_max(sc_set1(e->act_lo), v));
  }
  return v;
}

/* NP and NV are constants at every call site (block() below), so the accumulator array is
 * registers and the loops over pixels and vectors unroll. FLAT: one loop over all taps
 * through the offset table (interior pixels: one loop exit per tile instead of one per
 * kernel row: vgg16's 3x3 stem, 27 taps in 3 rows of 9, ran ~8% faster); else kernel rows x runs x
 * taps (border pixels, whose kj range is partial). */
KERN_INLINE void sc_tile_run(const int NP, const int NV, const int FLAT, const sc_tile *a) {
  sc_vec acc[SC_NP_MAX][SC_NV_MAX];
#pragma GCC unroll 16
  for (int p = 0; p < NP; p++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
      acc[p][v] = sc_zero();
  const ptrdiff_t ps = a->ps, cp = a->cp;
  if (FLAT) {
    const float *wq = a->w;
    for (int64_t j = 0; j < a->ntaps; j++, wq += cp) {
      const float *xq = a->x + a->xoff[j];
      sc_vec wv[SC_NV_MAX];
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++)
        wv[v] = sc_load(wq + v * SC_VL);
#pragma GCC unroll 16
      for (int p = 0; p < NP; p++) {
        const sc_vec xv = sc_bcast(xq + p * ps);
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
          acc[p][v] = sc_fma(xv, wv[v], acc[p][v]);
      }
    }
  }
  for (int64_t ki = 0; !FLAT && ki < a->nki; ki++) {
    for (int64_t r = 0; r < a->nruns; r++) {
      const float *xq = a->x + ki * a->rs + r * a->run_x;
      const float *wq = a->w + ki * a->w_ki + r * a->run_len * cp;
      for (int64_t t = 0; t < a->run_len; t++, xq++, wq += cp) {
        sc_vec wv[SC_NV_MAX];
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
          wv[v] = sc_load(wq + v * SC_VL);
#pragma GCC unroll 16
        for (int p = 0; p < NP; p++) {
          const sc_vec xv = sc_bcast(xq + p * ps);
#pragma GCC unroll 8
          for (int v = 0; v < NV; v++)
            acc[p][v] = sc_fma(xv, wv[v], acc[p][v]);
        }
      }
    }
  }
  const kern_epilogue *e = a->epi;
  sc_vec bias[SC_NV_MAX];
#pragma GCC unroll 8
  for (int v = 0; v < NV; v++) {
    const int n = v == NV - 1 ? a->last_lanes : SC_VL;
    bias[v] = !a->bias     ? sc_zero()
              : n == SC_VL ? sc_load(a->bias + v * SC_VL)
                           : sc_load_n(a->bias + v * SC_VL, n);
  }
#pragma GCC unroll 16
  for (int p = 0; p < NP; p++) {
    float *yp = a->y + p * a->ys;
    const float *rp = a->res ? a->res + p * a->ldr : NULL;
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
      const int n = v == NV - 1 ? a->last_lanes : SC_VL;
      sc_vec s = acc[p][v];
      if (n == SC_VL) {
        if (e->accumulate) s = sc_add(s, sc_load(yp + v * SC_VL));
        s = sc_add(s, bias[v]);
        if (rp) s = sc_add(s, sc_load(rp + v * SC_VL));
        sc_store(yp + v * SC_VL, sc_act(e, s));
      } else {
        if (e->accumulate) s = sc_add(s, sc_load_n(yp + v * SC_VL, n));
        s = sc_add(s, bias[v]);
        if (rp) s = sc_add(s, sc_load_n(rp + v * SC_VL, n));
        sc_store_n(yp + v * SC_VL, sc_act(e, s), n);
      }
    }
  }
}

/* One compiled flat tile per (np, nv) with np <= SC_NP(nv), and a nested one per nv for
 * single border pixels (np = 0 selects it). */
#define SC_CASE_NP(NV, NPV)                                                                        \
  case NPV:                                                                                        \
    if (NPV <= SC_NP(NV)) sc_tile_run(NPV <= SC_NP(NV) ? NPV : 1, NV, SC_FLAT, a);                 \
    return;
#define SC_CASES(NV)                                                                               \
  switch (np) {                                                                                    \
  case 0:                                                                                          \
    sc_tile_run(1, NV, 0, a);                                                                      \
    return;                                                                                        \
    SC_CASE_NP(NV, 1)                                                                              \
    SC_CASE_NP(NV, 2)                                                                              \
    SC_CASE_NP(NV, 3)                                                                              \
    SC_CASE_NP(NV, 4)                                                                              \
    SC_CASE_NP(NV, 5)                                                                              \
    SC_CASE_NP(NV, 6)                                                                              \
    SC_CASE_NP(NV, 7)                                                                              \
    SC_CASE_NP(NV, 8)                                                                              \
    SC_CASE_NP(NV, 9)                                                                              \
    SC_CASE_NP(NV, 10)                                                                             \
    SC_CASE_NP(NV, 11)                                                                             \
    SC_CASE_NP(NV, 12)                                                                             \
  default: return;                                                                                 \
  }

static void sc_block(int np, int nv, const sc_tile *a) {
  switch (nv) {
  case 1: SC_CASES(1)
#if SC_NV_MAX >= 2
  case 2: SC_CASES(2)
#endif
#if SC_NV_MAX >= 3
  case 3: SC_CASES(3)
#endif
#if SC_NV_MAX >= 4
  case 4: SC_CASES(4)
#endif
  default: return;
  }
}

void SC_NAME(const kern_conv2d_params *p, const float *x, const float *packed_w, float *y,
             int64_t oh0, int64_t oh1, const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  if (oh0 >= oh1 || p->OW <= 0 || p->Cout <= 0) return;
  const int64_t C = p->C, W = p->W, kw = p->kw, Cout = p->Cout;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C;
  const ptrdiff_t ys = p->y_stride ? p->y_stride : Cout;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : Cout;
  const ptrdiff_t cp = (Cout + 15) / 16 * 16;
  /* Dense input without dilation: the taps (kj, ci) of one kernel row are one run of x. */
  const bool contiguous = p->dw == 1 && xs == C;
  /* Channel chunks: the vectors split as evenly as possible into chunks of <= SC_NV_MAX
   * (96 channels on AVX-512: 3 + 3 vectors, tiles of 8 pixels, not 4 + 2). */
  const int64_t nvec = (Cout + SC_VL - 1) / SC_VL;
  const int64_t chunks = (nvec + SC_NV_MAX - 1) / SC_NV_MAX;
  /* Output columns [owa, owb) have every horizontal tap inside the input. */
  int64_t owa = (p->pad_l + p->sw - 1) / p->sw;
  const int64_t last = W - 1 + p->pad_l - (kw - 1) * p->dw;
  int64_t owb = last < 0 ? 0 : last / p->sw + 1;
  if (owb > p->OW) owb = p->OW;
  if (owa > owb) owa = owb;
  sc_tile t = {.ps = p->sw * xs,
               .rs = p->dh * W * xs,
               .run_x = p->dw * xs,
               .w_ki = kw * C * cp,
               .cp = cp,
               .ys = ys,
               .ldr = ldr,
               .epi = epi};
  /* Offsets in x of the taps of kernel rows [tab_ki0, kh), relative to the first one; too
   * many taps for the table (not a stem: > SC_TAPS_MAX) run every pixel as a border pixel. */
  ptrdiff_t tab[SC_TAPS_MAX];
  int64_t tab_ki0 = -1;
  const bool flat = SC_FLAT && p->kh * kw * C <= SC_TAPS_MAX;
  if (SC_FLAT && !flat) owa = owb = 0;
  t.xoff = tab;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    int64_t ki0, ki1;
    kern_tap_range(oh, p->sh, p->pad_t, p->dh, p->kh, 0, p->H, &ki0, &ki1);
    const int64_t ih0 = oh * p->sh - p->pad_t + ki0 * p->dh;
    if (flat && ki0 < ki1 && ki0 != tab_ki0) {
      int64_t j = 0;
      for (int64_t ki = ki0; ki < p->kh; ki++)
        for (int64_t kj = 0; kj < kw; kj++)
          for (int64_t ci = 0; ci < C; ci++)
            tab[j++] = (ki - ki0) * t.rs + kj * t.run_x + ci;
      tab_ki0 = ki0;
    }
    int64_t v0 = 0;
    for (int64_t ch = 0; ch < chunks; ch++) {
      const int nv = (int)(nvec / chunks + (ch < nvec % chunks ? 1 : 0));
      const int64_t c0 = v0 * SC_VL;
      v0 += nv;
      const int64_t c_end = c0 + (int64_t)nv * SC_VL;
      t.last_lanes = (int)(c_end <= Cout ? SC_VL : Cout - (c_end - SC_VL));
      t.bias = epi->bias_n ? epi->bias_n + c0 : NULL;
      for (int64_t ow = 0; ow < p->OW;) {
        int64_t kj0 = 0, kj1 = kw, np = 0;
        if (ow < owa || ow >= owb) {
          kern_tap_range(ow, p->sw, p->pad_l, p->dw, kw, 0, W, &kj0, &kj1);
        } else {
          /* The interior in blocks of as equal size as possible: 109 pixels at 6 per tile
           * are 14 x 6 + 5 x 5, not 18 x 6 + 1 (a one-pixel tile runs at half the rate:
           * NV FMA chains cannot hide the FMA latency). */
          const int64_t left = owb - ow, npm = SC_NP(nv), blocks = (left + npm - 1) / npm;
          np = (left + blocks - 1) / blocks;
        }
        const int64_t m = oh * p->OW + ow;
        t.y = y + m * ys + c0;
        t.res = epi->residual ? epi->residual + m * ldr + c0 : NULL;
        if (ki0 < ki1 && kj0 < kj1) {
          t.nki = ki1 - ki0;
          t.x = x + (ih0 * W + ow * p->sw - p->pad_l + kj0 * p->dw) * xs;
          t.nruns = contiguous ? 1 : kj1 - kj0;
          t.run_len = contiguous ? (kj1 - kj0) * C : C;
          t.w = packed_w + ((ki0 * kw + kj0) * C) * cp + c0;
          t.ntaps = (ki1 - ki0) * kw * C; /* flat tiles only: np > 0, full kj range */
        } else {
          t.nki = 0, t.ntaps = 0, t.x = x, t.w = packed_w, np = 0;
        }
        sc_block((int)np, nv, &t);
        ow += np > 0 ? np : 1;
      }
    }
  }
}
