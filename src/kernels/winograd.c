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

/* Minimum chunk, in register tiles of the GEMM: every chunk streams all 36 transformed
 * weight matrices (36 * C * Cout floats, past L2 for C, Cout >= 128), and each chunk
 * row is 2 * C flops per weight float, so small chunks would be bound by that stream. */
#define CHUNK_MIN_TILES 4

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

/* Target tiles per chunk: V + M of the chunk fill the config's budget, rounded to whole
 * GEMM register tiles, at least CHUNK_MIN_TILES of them. */
static int64_t chunk_target(const kern_config *cfg, const kern_conv2d_params *p) {
  const int64_t mr = cfg->sgemm.mr;
  int64_t T = cfg->winograd.chunk_bytes / (NPOS * (p->C + p->Cout) * (int64_t)sizeof(float));
  if (T < CHUNK_MIN_TILES * mr) T = CHUNK_MIN_TILES * mr;
  return T / mr * mr;
}

/* Tiles per chunk for a run of n tiles: n split into round(n / T) equal chunks, so that no
 * chunk is a small remainder (each chunk streams all 36 weight matrices: 28x28 has 49
 * tiles, and 48 + 1 ran 15% slower than one chunk of 49). At most ceil(1.5 T). */
static int64_t chunk_size(int64_t T, int64_t n) {
  int64_t chunks = (2 * n + T) / (2 * T); /* round(n / T) */
  if (chunks < 1) chunks = 1;
  return ceil_div(n, chunks);
}

/* The largest chunk_size() of any band: runs of up to the image's tiles. */
static int64_t chunk_max(const kern_config *cfg, const kern_conv2d_params *p) {
  const int64_t T = chunk_target(cfg, p), total = ceil_div(p->OH, TILE) * ceil_div(p->OW, TILE);
  const int64_t cap = T + (T + 1) / 2;
  return total < 1 ? 1 : (total < cap ? total : cap);
}

/* Layout: V [36][T][C], M [36][T][Cout], a zero pixel (max(C, Cout) floats: padding
 * input and the residual of unwritten pixels), a dummy output pixel (Cout floats). */
bool kern_winograd_f43_scratch_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                      size_t *floats) {
  int64_t CC, bytes;
  if (p->C < 1 || p->Cout < 1 || p->OH < 0 || p->OW < 0) return false;
  if (__builtin_add_overflow(p->C, p->Cout, &CC) ||
      __builtin_mul_overflow(CC, (int64_t)(NPOS * sizeof(float)), &bytes))
    return false; /* chunk_target() computes this unchecked */
  size_t v, n, zero = (size_t)(p->C > p->Cout ? p->C : p->Cout);
  if (__builtin_mul_overflow((size_t)chunk_max(cfg, p), (size_t)CC * NPOS, &v) ||
      __builtin_add_overflow(v, zero + (size_t)p->Cout, &n))
    return false;
  *floats = n;
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
  const int64_t C = p->C, N = p->Cout;
  const ptrdiff_t xs = p->x_stride ? p->x_stride : C;
  const ptrdiff_t ys = p->y_stride ? p->y_stride : N;
  const ptrdiff_t ldr = epi->ldr ? epi->ldr : N;

  const int64_t TW = ceil_div(p->OW, TILE), th0 = oh0 / TILE, th1 = ceil_div(oh1, TILE);
  const int64_t ntiles = (th1 - th0) * TW, T = chunk_size(chunk_target(cfg, p), ntiles);
  float *V = scratch, *M = V + NPOS * T * C, *zero = M + NPOS * T * N;
  float *dummy = zero + (C > N ? C : N);
  memset(zero, 0, sizeof(float) * (size_t)((C > N ? C : N) + N));
  kern_epilogue e = *epi; /* the output transform wants a bias row: zeros if none */
  if (!e.bias_n) e.bias_n = zero;

  for (int64_t t0 = 0; t0 < ntiles; t0 += T) {
    const int64_t nt = ntiles - t0 < T ? ntiles - t0 : T;
    for (int64_t k = 0; k < nt; k++) {
      const int64_t th = th0 + (t0 + k) / TW, tw = (t0 + k) % TW;
      const float *px[NPOS];
      for (int i = 0; i < ITILE; i++) {
        const int64_t ih = th * TILE - p->pad_t + i;
        for (int j = 0; j < ITILE; j++) {
          const int64_t iw = tw * TILE - p->pad_l + j;
          px[i * ITILE + j] =
              ih >= 0 && ih < p->H && iw >= 0 && iw < p->W ? x + (ih * p->W + iw) * xs : zero;
        }
      }
      cfg->winograd.input(C, px, V + k * C, T * C);
    }
    for (int q = 0; q < NPOS; q++)
      kern_sgemm(cfg, nt, N, C, V + q * T * C, C, packed_w + (size_t)q * per, M + q * T * N, N,
                 NULL);
    for (int64_t k = 0; k < nt; k++) {
      const int64_t th = th0 + (t0 + k) / TW, tw = (t0 + k) % TW;
      float *ypx[TILE * TILE];
      const float *rpx[TILE * TILE];
      for (int i = 0; i < TILE; i++) {
        const int64_t oh = th * TILE + i;
        for (int j = 0; j < TILE; j++) {
          const int64_t ow = tw * TILE + j, o = oh * p->OW + ow;
          const bool in = oh >= oh0 && oh < oh1 && ow < p->OW;
          ypx[i * TILE + j] = in ? y + o * ys : dummy;
          rpx[i * TILE + j] = in && epi->residual ? epi->residual + o * ldr : zero;
        }
      }
      cfg->winograd.output(N, M + k * N, T * N, ypx, epi->residual ? rpx : NULL, &e);
    }
  }
}
