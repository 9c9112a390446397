/* winograd.c — Winograd F(4x4, 3x3) convolution of one NHWC image band: weight transform at
 * pack time, then per chunk of tiles input transform, 36 packed SGEMMs, output transform.
 *
 * Matrices (Lavin & Gray 2016, interpolation points 0, 1, -1, 2, -2, inf), unscaled:
 *   B^T = [ 4  0 -5  0  1  0 ]   G = [  1/4     0     0  ]   A^T = [ 1  1  1  1  1  0 ]
 *         [ 0 -4 -4  1  1  0 ]       [ -1/6  -1/6  -1/6 ]         [ 0  1 -1  2 -2  0 ]
 *         [ 0  4 -4 -1  1  0 ]       [ -1/6   1/6  -1/6 ]         [ 0  1  1  4  4  0 ]
 *         [ 0 -2 -1  2  1  0 ]       [ 1/24  1/12  1/6  ]         [ 0  1 -1  8 -8  1 ]
 *         [ 0  2 -1 -2  1  0 ]       [ 1/24 -1/12  1/6  ]
 *         [ 0  4  0 -5  0  1 ]       [  0      0     1  ]
 * Y = A^T [ (G g G^T) .* (B^T d B) ] A. The 1/6, 1/24 factors live in the weights (computed
 * in double), so the per-run transforms use only small integer coefficients. */
#include "kernels/kernels.h"

#include <string.h>

#include "kernels/simd_generic.h"
#include "kernels/winograd_xform.h"

#define TILE 4  /* output tile side */
#define ITILE 6 /* input tile side */
#define NPOS 36 /* transformed positions */

/* Preferred minimum chunk, in GEMM register tiles (mr rows each): every chunk streams all 36
 * transformed weight matrices (36 * C * Cout floats), and each chunk row is 2 * C flops per
 * weight float, so chunks of fewer tiles would be bound by that stream where it comes from
 * DRAM. With the scratch allowance, chunks are this size or what fills the config's budget
 * (the behaviour before the allowance existed); without it, see blocking(). */
#define CHUNK_MIN_TILES 4

/* Smallest input-channel block of a K-blocked chunk: below the GEMM's own K block minimum
 * (config.c KC_MIN) the C tile's reload per block stops being amortised. */
#define KC_BLOCK_MIN 64

bool kern_winograd_f43_applies(const kern_conv2d_params *p) {
  return p->kh == 3 && p->kw == 3 && p->sh == 1 && p->sw == 1 && p->dh == 1 && p->dw == 1 &&
         p->groups == 1 && p->C >= 1 && p->Cout >= 1;
}

bool kern_winograd_f43_packed_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                     size_t *floats) {
  size_t per;
  if (!kern_sgemm_packed_b_floats(cfg, p->C, p->Cout, &per)) return false;
  return !__builtin_mul_overflow(per, (size_t)NPOS, floats);
}

void kern_winograd_f43_pack(const kern_config *cfg, const kern_conv2d_params *p,
                            const float *w_oihw, float *packed) {
  static const double G[ITILE][3] = {
      {1.0 / 4, 0, 0},
      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
      {1.0 / 24, 1.0 / 12, 1.0 / 6},
      {1.0 / 24, -1.0 / 12, 1.0 / 6},
      {0, 0, 1},
  };
  const int64_t C = p->C, N = p->Cout, nr = cfg->sgemm.nr;
  size_t per = 0;
  kern_sgemm_packed_b_floats(cfg, C, N, &per);
  memset(packed, 0, per * NPOS * sizeof(float)); /* the edge panel's columns past Cout */
  for (int64_t co = 0; co < N; co++)
    for (int64_t ci = 0; ci < C; ci++) {
      const float *g = w_oihw + (co * C + ci) * 9;
      double t[ITILE][3]; /* G g */
      for (int i = 0; i < ITILE; i++)
        for (int k = 0; k < 3; k++)
          t[i][k] = G[i][0] * g[0 * 3 + k] + G[i][1] * g[1 * 3 + k] + G[i][2] * g[2 * 3 + k];
      /* Element (ci, co) of U[q] at kern_sgemm_pack_b's panel position. */
      float *dst = packed + (co / nr) * C * nr + ci * nr + co % nr;
      for (int i = 0; i < ITILE; i++)
        for (int j = 0; j < ITILE; j++)
          dst[(size_t)(i * ITILE + j) * per] =
              (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* How a band is cut: chunks of at most T tiles; per chunk, output-channel slices of Nc
 * (a multiple of nr, or all of Cout) and input-channel blocks of Kc (accumulated into M).
 * Scratch: V [36][T][Kc] + M [36][T][Nc]. Kc < C and Nc < Cout never together: that would
 * redo the input transform per slice (measured 0.48x-0.76x). */
typedef struct wino_blocking {
  int64_t T, Kc, Nc;
} wino_blocking;

static int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

/* The blocking of p, from work and cache sizes: V + M of a chunk within the budget (the
 * config's half of L2, or the caller's larger p->scratch_bytes), and as few chunks as that
 * allows, since each chunk streams the weights once; when the budget holds the preferred
 * chunk at full width, that is the blocking (as before the budget was a bound). Measured
 * (bench/winograd_bench.c, Zen 5, AVX-512, 1 thread): with weights that stay in L3 the chunk
 * size hardly matters down to one register tile (12 tiles: 1.01x-1.06x of 48-72 on resnet's
 * 56x56x64 .. 14x14x256; alexnet's 13x13x384->256 in chunks of 8: 0.99x), so those layers
 * shrink the chunk at full width first (down to half a register tile), then K-block; with
 * weights streamed from DRAM (VGG's 28x28x512, 37.7 MB; FCN's 2048->512 head, 151 MB) fewer
 * tiles per chunk cost in proportion (25 tiles: 0.90x of 49, 12: 0.56x), so those K-block
 * (all of Cout in M) before adding a chunk. Output-channel slices with all of C in V cost
 * nothing measurable (V is transformed once per chunk): the first choice at every size. */
static wino_blocking blocking(const kern_config *cfg, const kern_conv2d_params *p) {
  const int64_t mr = cfg->sgemm.mr, nr = cfg->sgemm.nr, C = p->C, N = p->Cout;
  const int64_t total = ceil_div(p->OH, TILE) * ceil_div(p->OW, TILE);
  const int64_t bytes =
      p->scratch_bytes > cfg->winograd.chunk_bytes ? p->scratch_bytes : cfg->winograd.chunk_bytes;
  const int64_t per = bytes / (int64_t)sizeof(float) / NPOS; /* bound on T * (Kc + Nc) */
  const int64_t wbytes = NPOS * C * N * (int64_t)sizeof(float);
  const bool dram = wbytes > cfg->winograd.cached_bytes;
  const int64_t half = (mr + 1) / 2, floor_t = total < half ? total : half;
  const int64_t nc_min = N < nr ? N : nr;
  /* The preferred chunk: what fills the config's budget at full width, at least
   * CHUNK_MIN_TILES register tiles; the tiles split into round(n / target) equal chunks, so
   * that no chunk is a small remainder (28x28 has 49 tiles, and 48 + 1 ran 15% slower than
   * one chunk of 49). */
  int64_t target = cfg->winograd.chunk_bytes / (NPOS * (C + N) * (int64_t)sizeof(float));
  if (target < CHUNK_MIN_TILES * mr) target = CHUNK_MIN_TILES * mr;
  target = target / mr * mr;
  const int64_t n = total < 1 ? 1 : total;
  int64_t chunks0 = (2 * n + target) / (2 * target);
  if (chunks0 < 1) chunks0 = 1;
  wino_blocking b = {1, C, N};
  /* Passes over the chunk counts, fewest first: 0, all channels (weights that stay in L3:
   * down to the smallest chunk; from DRAM: the preferred count only); 1, slices of Cout with
   * all of C in V (and, weights from DRAM, blocks of C with all of Cout in M); 2 (weights in
   * L3), blocks of C. */
  for (int pass = 0; pass < 3; pass++) {
    if (pass == 2 && dram) break;
    for (int64_t chunks = chunks0;; chunks++) {
      const int64_t tt = ceil_div(n, chunks); /* equal chunks: no small remainder */
      if (chunks > chunks0 && (tt < floor_t || (pass == 0 && dram))) break;
      const int64_t nc_fit = per / tt - C;
      if (pass == 0 && nc_fit >= N) {
        b.T = tt;
        return b;
      }
      if (pass == 1 && nc_fit >= nc_min) { /* all of C in V, slices of Cout */
        const int64_t slices = ceil_div(N, nc_fit / nr * nr);
        b.T = tt;
        b.Nc = slices == 1 ? N : round_up(ceil_div(N, slices), nr);
        return b;
      }
      const int64_t kc_fit = per / tt - N;
      if (((pass == 1 && dram) || pass == 2) && kc_fit >= KC_BLOCK_MIN) {
        /* all of Cout in M, blocks of C */
        const int64_t blocks = ceil_div(C, kc_fit / 16 * 16);
        b.T = tt;
        b.Kc = round_up(ceil_div(C, blocks), 16);
        if (b.Kc > C) b.Kc = C;
        return b;
      }
      if (tt <= 1) break;
    }
  }
  /* Nothing fits: the smallest chunk, all of C, one panel of Cout (the least this scheme
   * needs; past the budget). */
  b.T = floor_t < 1 ? 1 : floor_t;
  b.Kc = C;
  b.Nc = nc_min;
  return b;
}

/* Floats of V + M + the zero and dummy pixels of blocking b. */
static bool blocking_floats(const wino_blocking *b, size_t *floats) {
  size_t v, n, zero = (size_t)(b->Kc > b->Nc ? b->Kc : b->Nc);
  if (__builtin_mul_overflow((size_t)b->T, (size_t)(b->Kc + b->Nc) * NPOS, &v) ||
      __builtin_add_overflow(v, zero + (size_t)b->Nc, &n))
    return false;
  *floats = n;
  return true;
}

/* Layout: V [36][T][Kc], M [36][T][Nc], a zero pixel (max(Kc, Nc) floats: padding input and
 * the residual of unwritten pixels), a dummy output pixel (Nc floats). The engine runs column
 * slices with the scratch of the slice width (kern_winograd_f43_strided), the last one
 * narrower: the result covers every width up to p->Cout. */
bool kern_winograd_f43_scratch_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                      size_t *floats) {
  int64_t CC, CN, bytes;
  if (p->C < 1 || p->Cout < 1 || p->OH < 0 || p->OW < 0) return false;
  if (__builtin_add_overflow(p->C, p->Cout, &CC) ||
      __builtin_mul_overflow(CC, (int64_t)(NPOS * sizeof(float)), &bytes) ||
      __builtin_mul_overflow(p->C, p->Cout, &CN) ||
      __builtin_mul_overflow(CN, (int64_t)(NPOS * sizeof(float)), &bytes))
    return false; /* blocking() computes with these unchecked */
  size_t most = 0;
  kern_conv2d_params q = *p;
  for (q.Cout = 1; q.Cout <= p->Cout; q.Cout++) {
    const wino_blocking b = blocking(cfg, &q);
    size_t n;
    if (!blocking_floats(&b, &n)) return false;
    if (n > most) most = n;
  }
  *floats = most;
  return true;
}

void kern_winograd_f43(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                       const float *packed_w, float *y, int64_t oh0, int64_t oh1, float *scratch,
                       const kern_epilogue *epi) {
  size_t per = 0;
  kern_sgemm_packed_b_floats(cfg, p->C, p->Cout, &per);
  kern_winograd_f43_strided(cfg, p, x, packed_w, per, y, oh0, oh1, scratch, epi);
}

void kern_winograd_f43_strided(const kern_config *cfg, const kern_conv2d_params *p,
                               const float *x, const float *packed_w, size_t per, float *y,
                               int64_t oh0, int64_t oh1, float *scratch,
                               const kern_epilogue *epi) {
  static const kern_epilogue none = {0};
  if (!epi) epi = &none;
  if (oh0 < 0) oh0 = 0;
  if (oh1 > p->OH) oh1 = p->OH;
  if (oh0 >= oh1 || p->OW <= 0 || p->Cout <= 0) return;
  const int64_t C = p->C, N = p->Cout, nr = cfg->sgemm.nr;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C;
  const ptrdiff_t ys = p->y_stride ? p->y_stride : N;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : N;
  const ptrdiff_t panel_stride = (ptrdiff_t)C * nr; /* of the packed U[q] [C, Cout] */

  const wino_blocking b = blocking(cfg, p);
  const int64_t Kc = b.Kc, Nc = b.Nc;
  const int64_t TW = ceil_div(p->OW, TILE), th0 = oh0 / TILE, th1 = ceil_div(oh1, TILE);
  const int64_t ntiles = (th1 - th0) * TW;
  /* ntiles in equal chunks of at most b.T: no chunk is a small remainder (each chunk streams
   * all 36 weight matrices) and none outgrows the scratch. */
  const int64_t T = ceil_div(ntiles, ceil_div(ntiles, b.T));
  const int64_t zn = Kc > Nc ? Kc : Nc;
  float *V = scratch, *M = V + NPOS * T * Kc, *zero = M + NPOS * T * Nc, *dummy = zero + zn;
  memset(zero, 0, sizeof(float) * (size_t)(zn + Nc));
  /* V is filled once per chunk when it holds all input channels; else once per
   * (slice, channel block). */
  const bool v_once = Kc >= C;

  for (int64_t t0 = 0; t0 < ntiles; t0 += T) {
    const int64_t nt = ntiles - t0 < T ? ntiles - t0 : T;
    for (int64_t n0 = 0; n0 < N; n0 += Nc) {
      const int64_t nw = N - n0 < Nc ? N - n0 : Nc;
      for (int64_t k0 = 0; k0 < C; k0 += Kc) {
        const int64_t kw = C - k0 < Kc ? C - k0 : Kc;
        if (!v_once || n0 == 0) {
          for (int64_t k = 0; k < nt; k++) {
            const int64_t th = th0 + (t0 + k) / TW, tw = (t0 + k) % TW;
            const float *px[NPOS];
            for (int i = 0; i < ITILE; i++) {
              const int64_t ih = th * TILE - p->pad_t + i;
              for (int j = 0; j < ITILE; j++) {
                const int64_t iw = tw * TILE - p->pad_l + j;
                px[i * ITILE + j] = ih >= 0 && ih < p->H && iw >= 0 && iw < p->W
                                        ? x + (ih * p->W + iw) * xs + k0
                                        : zero;
              }
            }
            cfg->winograd.input(kw, px, V + k * Kc, T * Kc);
          }
        }
        const kern_epilogue acc = {.accumulate = k0 > 0};
        for (int q = 0; q < NPOS; q++)
          kern_sgemm_panels(cfg, nt, nw, kw, V + q * T * Kc, Kc,
                            packed_w + (size_t)q * per + (n0 / nr) * panel_stride + k0 * nr,
                            panel_stride, M + q * T * Nc, Nc, &acc);
      }
      kern_epilogue e = *epi; /* the output transform wants a bias row: zeros if none */
      e.bias_n = epi->bias_n ? epi->bias_n + n0 : zero;
      for (int64_t k = 0; k < nt; k++) {
        const int64_t th = th0 + (t0 + k) / TW, tw = (t0 + k) % TW;
        float *ypx[TILE * TILE];
        const float *rpx[TILE * TILE];
        for (int i = 0; i < TILE; i++) {
          const int64_t oh = th * TILE + i;
          for (int j = 0; j < TILE; j++) {
            const int64_t ow = tw * TILE + j, o = oh * p->OW + ow;
            const bool in = oh >= oh0 && oh < oh1 && ow < p->OW;
            ypx[i * TILE + j] = in ? y + o * ys + n0 : dummy;
            rpx[i * TILE + j] = in && epi->residual ? epi->residual + o * ldr + n0 : zero;
          }
        }
        cfg->winograd.output(nw, M + k * Nc, T * Nc, ypx, epi->residual ? rpx : NULL, &e);
      }
    }
  }
}
