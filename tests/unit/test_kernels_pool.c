/* test_kernels_pool.c — NHWC max / average / global average pooling on every ISA path this
 * CPU runs, against a naive NHWC reference written from the ONNX definitions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "test.h"
#include "test_kernels_isa.h"

typedef struct pool_case {
  int64_t N, H, W, C, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  bool ceil_mode, include_pad, is_max;
  int64_t x_pad, y_pad; /* extra floats per pixel */
  int bands;
  bool ints;
} pool_case;

static float draw(dlf_rng *r, bool ints) {
  return ints ? (float)((int)(dlf_rng_next(r) % 9) - 4) : dlf_rng_range(r, -1.0f, 1.0f);
}

/* ONNX output size; ceil_mode drops a last window that would start in the end padding. */
static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
                        bool ceil_mode) {
  int64_t span = in + pb + pe - d * (k - 1) - 1;
  int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + pb) o--;
  return o;
}

static void check_pool(const kern_config *cfg, pool_case pc, uint64_t seed) {
  if (pc.N < 1) pc.N = 1;
  if (pc.sh < 1) pc.sh = 1;
  if (pc.sw < 1) pc.sw = 1;
  if (pc.dh < 1) pc.dh = 1;
  if (pc.dw < 1) pc.dw = 1;
  if (pc.bands < 1) pc.bands = 1;
  const int64_t OH = out_size(pc.H, pc.kh, pc.sh, pc.dh, pc.pt, pc.pb, pc.ceil_mode);
  const int64_t OW = out_size(pc.W, pc.kw, pc.sw, pc.dw, pc.pl, pc.pr, pc.ceil_mode);
  REQUIRE(OH >= 1 && OW >= 1);
  const int64_t xs = pc.C + pc.x_pad, ys = pc.C + pc.y_pad;
  const int64_t x_img = pc.H * pc.W * xs, y_img = OH * OW * ys;
  float *x = malloc(sizeof(float) * (size_t)(pc.N * x_img + 1));
  float *y = malloc(sizeof(float) * (size_t)(pc.N * y_img + 1));
  float *expect = malloc(sizeof(float) * (size_t)(pc.N * y_img + 1));
  REQUIRE(x && y && expect);
  dlf_rng rng = dlf_rng_make(seed);
  for (int64_t i = 0; i < pc.N * x_img; i++)
    x[i] = draw(&rng, pc.ints);
  for (int64_t i = 0; i < pc.N * y_img; i++)
    y[i] = expect[i] = 1234.0f; /* pixel padding must stay untouched */

  for (int64_t n = 0; n < pc.N; n++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++)
        for (int64_t c = 0; c < pc.C; c++) {
          double sum = 0.0;
          float mx = -INFINITY;
          int64_t inside = 0, padded = 0;
          for (int64_t ki = 0; ki < pc.kh; ki++)
            for (int64_t kj = 0; kj < pc.kw; kj++) {
              int64_t ih = oh * pc.sh - pc.pt + ki * pc.dh, iw = ow * pc.sw - pc.pl + kj * pc.dw;
              if (ih < pc.H + pc.pb && iw < pc.W + pc.pr) padded++;
              if (ih < 0 || ih >= pc.H || iw < 0 || iw >= pc.W) continue;
              float v = x[n * x_img + (ih * pc.W + iw) * xs + c];
              inside++;
              sum += v;
              if (v > mx || isnan(v)) mx = v;
            }
          int64_t cnt = pc.include_pad ? padded : inside;
          expect[n * y_img + (oh * OW + ow) * ys + c] =
              pc.is_max ? mx : (cnt ? (float)(sum / (double)cnt) : NAN);
        }

  kern_pool2d_params p = {.H = pc.H,
                          .W = pc.W,
                          .C = pc.C,
                          .OH = OH,
                          .OW = OW,
                          .kh = pc.kh,
                          .kw = pc.kw,
                          .sh = pc.sh,
                          .sw = pc.sw,
                          .dh = pc.dh,
                          .dw = pc.dw,
                          .pad_t = pc.pt,
                          .pad_l = pc.pl,
                          .pad_b = pc.pb,
                          .pad_r = pc.pr,
                          .count_include_pad = pc.include_pad,
                          .x_stride = xs,
                          .y_stride = ys};
  for (int64_t n = 0; n < pc.N; n++) {
    /* bands of (nearly) equal height, last one first */
    for (int b = pc.bands - 1; b >= 0; b--) {
      int64_t oh0 = OH * b / pc.bands, oh1 = OH * (b + 1) / pc.bands;
      if (pc.is_max)
        kern_maxpool2d_nhwc(cfg, &p, x + n * x_img, y + n * y_img, oh0, oh1);
      else
        kern_avgpool2d_nhwc(cfg, &p, x + n * x_img, y + n * y_img, oh0, oh1);
    }
  }
  int before = test_current_failed;
  /* max is exact; the average differs from the double reference by float summation */
  CHECK_FLOATS(expect, y, pc.N * y_img, pc.is_max || pc.ints ? 0.0 : 1e-6,
               pc.is_max || pc.ints ? 1e-6 : 1e-5);
  if (test_current_failed != before)
    test_fail(__FILE__, __LINE__,
              "  ^ in %s %s N=%lld %lldx%lldx%lld -> %lldx%lld k=%lldx%lld s=%lld,%lld d=%lld,%lld "
              "pads=%lld,%lld,%lld,%lld ceil=%d incl=%d",
              cfg->name, pc.is_max ? "max" : "avg", (long long)pc.N, (long long)pc.H,
              (long long)pc.W, (long long)pc.C, (long long)OH, (long long)OW, (long long)pc.kh,
              (long long)pc.kw, (long long)pc.sh, (long long)pc.sw, (long long)pc.dh,
              (long long)pc.dw, (long long)pc.pt, (long long)pc.pl, (long long)pc.pb,
              (long long)pc.pr, pc.ceil_mode, pc.include_pad);
  free(x), free(y), free(expect);
}

static const kern_config *config_or_skip(kern_isa isa) { return kern_test_config(isa); }

static const int64_t k_channels[] = {1, 3, 5, 17, 33, 64, 100};
#define N_CHANNELS 7

static void run_channels(kern_isa isa, pool_case pc, uint64_t seed) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(seed * 31 + isa);
  for (int i = 0; i < N_CHANNELS; i++) {
    pc.C = k_channels[i];
    check_pool(cfg, pc, dlf_rng_next(&r));
  }
}

static void run_random(kern_isa isa, bool is_max, int n_cases) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0x9001 + isa * 3 + is_max);
  for (int t = 0; t < n_cases; t++) {
    pool_case pc = {.N = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .C = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .kh = 1 + (int64_t)(dlf_rng_next(&r) % 5),
                    .kw = 1 + (int64_t)(dlf_rng_next(&r) % 5),
                    .sh = 1 + (int64_t)(dlf_rng_next(&r) % 3),
                    .sw = 1 + (int64_t)(dlf_rng_next(&r) % 3),
                    .dh = is_max ? 1 + (int64_t)(dlf_rng_next(&r) % 2) : 1,
                    .dw = is_max ? 1 + (int64_t)(dlf_rng_next(&r) % 2) : 1,
                    .ceil_mode = dlf_rng_next(&r) % 2,
                    .include_pad = dlf_rng_next(&r) % 2,
                    .is_max = is_max,
                    .bands = 1 + (int)(dlf_rng_next(&r) % 3),
                    .ints = dlf_rng_next(&r) % 2};
    pc.pt = (int64_t)(dlf_rng_next(&r) % (uint64_t)pc.kh);
    pc.pb = (int64_t)(dlf_rng_next(&r) % (uint64_t)pc.kh);
    pc.pl = (int64_t)(dlf_rng_next(&r) % (uint64_t)pc.kw);
    pc.pr = (int64_t)(dlf_rng_next(&r) % (uint64_t)pc.kw);
    pc.H = pc.dh * (pc.kh - 1) + 1 + (int64_t)(dlf_rng_next(&r) % 10);
    pc.W = pc.dw * (pc.kw - 1) + 1 + (int64_t)(dlf_rng_next(&r) % 10);
    check_pool(cfg, pc, dlf_rng_next(&r));
  }
}

/* Global average over HW pixels of odd channel counts, dense and strided. */
static void run_global(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0x61 + isa);
  static const int64_t hws[] = {1, 7, 49, 50};
  for (int i = 0; i < N_CHANNELS; i++)
    for (int h = 0; h < 4; h++) {
      const int64_t C = k_channels[i], HW = hws[h], xs = C + (h % 2) * 3;
      float *x = malloc(sizeof(float) * (size_t)(HW * xs));
      float y[128], expect[128];
      REQUIRE(x);
      for (int64_t j = 0; j < HW * xs; j++)
        x[j] = draw(&r, false);
      for (int64_t c = 0; c < C; c++) {
        double s = 0;
        for (int64_t k = 0; k < HW; k++)
          s += x[k * xs + c];
        expect[c] = (float)(s / (double)HW);
        y[c] = 0.0f;
      }
      y[C] = 1234.0f;
      kern_global_avgpool_nhwc(cfg, HW, C, x, xs == C ? 0 : xs, y);
      CHECK_FLOATS(expect, y, C, 1e-6, 1e-5);
      CHECK_NEAR(1234.0f, y[C], 0.0); /* wrote nothing past C */
      free(x);
    }
}

/* NaN anywhere in a max window makes the output NaN (sticky), as in the reference;
 * a window of padding only gives -inf. */
static void run_max_nan(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  enum { C = 20 };
  /* H = W = 3, 2x2 windows, stride 1, pad_t = pad_l = 2: output 4x4; (0,0)'s window is padding */
  kern_pool2d_params p = {.H = 3,
                          .W = 3,
                          .C = C,
                          .OH = 4,
                          .OW = 4,
                          .kh = 2,
                          .kw = 2,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .pad_t = 2,
                          .pad_l = 2};
  float x[9 * C], y[16 * C];
  for (int i = 0; i < 9 * C; i++)
    x[i] = 1.0f;
  x[0 * C + 3] = NAN;   /* pixel (0,0), channel 3: read first by window (2,2) */
  x[4 * C + 17] = NAN;  /* pixel (1,1), channel 17: read last in window (2,2) */
  x[5 * C + 17] = 5.0f; /* pixel (1,2): after the NaN in window (2,3) */
  x[8 * C + 4] = 5.0f;  /* pixel (2,2), channel 4: no NaN in its windows */
  kern_maxpool2d_nhwc(cfg, &p, x, y, 0, 4);
  CHECK(isinf(y[0]) && y[0] < 0);                /* (0,0): all padding */
  CHECK(isnan(y[(2 * 4 + 2) * C + 3]));          /* NaN first in its window */
  CHECK(isnan(y[(2 * 4 + 2) * C + 17]));         /* NaN last in its window */
  CHECK(isnan(y[(2 * 4 + 3) * C + 17]));         /* NaN then 5.0: stays NaN */
  CHECK_NEAR(1.0f, y[(2 * 4 + 2) * C + 4], 0.0); /* other channels unaffected */
  CHECK_NEAR(5.0f, y[(3 * 4 + 3) * C + 4], 0.0); /* (3,3) sees pixels (1..2, 1..2) */
}

#define POOL_TESTS(isa, ISA)                                                                       \
  TEST(test_pool_nhwc_##isa##_max_3x3_stride2_pad1) {                                              \
    run_channels(ISA,                                                                              \
                 (pool_case){.H = 13,                                                              \
                             .W = 12,                                                              \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .sh = 2,                                                              \
                             .sw = 2,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .is_max = true},                                                      \
                 1);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_max_2x2_stride2) {                                                   \
    run_channels(                                                                                  \
        ISA, (pool_case){.H = 9, .W = 8, .kh = 2, .kw = 2, .sh = 2, .sw = 2, .is_max = true}, 2);  \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_max_ceil_mode_overhang) {                                            \
    run_channels(ISA,                                                                              \
                 (pool_case){.H = 12,                                                              \
                             .W = 14,                                                              \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .sh = 2,                                                              \
                             .sw = 2,                                                              \
                             .ceil_mode = true,                                                    \
                             .is_max = true},                                                      \
                 3);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_max_dilation2_asymmetric_pads) {                                     \
    run_channels(ISA,                                                                              \
                 (pool_case){.H = 11,                                                              \
                             .W = 10,                                                              \
                             .kh = 3,                                                              \
                             .kw = 2,                                                              \
                             .dh = 2,                                                              \
                             .dw = 2,                                                              \
                             .pt = 2,                                                              \
                             .pl = 0,                                                              \
                             .pb = 0,                                                              \
                             .pr = 1,                                                              \
                             .is_max = true},                                                      \
                 4);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_max_batch2_bands_slices) {                                           \
    run_channels(ISA,                                                                              \
                 (pool_case){.N = 2,                                                               \
                             .H = 15,                                                              \
                             .W = 7,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .sh = 2,                                                              \
                             .sw = 1,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .is_max = true,                                                       \
                             .bands = 4,                                                           \
                             .x_pad = 3,                                                           \
                             .y_pad = 2},                                                          \
                 5);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_max_nan_sticky_and_empty_window) { run_max_nan(ISA); }               \
  TEST(test_pool_nhwc_##isa##_avg_exclude_pad) {                                                   \
    run_channels(ISA,                                                                              \
                 (pool_case){.H = 10,                                                              \
                             .W = 9,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .sh = 2,                                                              \
                             .sw = 2,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .ints = true},                                                        \
                 6);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_avg_include_pad) {                                                   \
    run_channels(ISA,                                                                              \
                 (pool_case){.H = 10,                                                              \
                             .W = 9,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .sh = 2,                                                              \
                             .sw = 2,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .include_pad = true,                                                  \
                             .ints = true},                                                        \
                 7);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_avg_include_pad_ceil_overhang_not_counted) {                         \
    /* last windows: rows 7..9 of H = 9 (+0 end pad), cols 8..10 of W = 10: both overhang */       \
    run_channels(ISA,                                                                              \
                 (pool_case){.H = 9,                                                               \
                             .W = 10,                                                              \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .sh = 2,                                                              \
                             .sw = 2,                                                              \
                             .pt = 1,                                                              \
                             .pl = 0,                                                              \
                             .pb = 0,                                                              \
                             .pr = 0,                                                              \
                             .ceil_mode = true,                                                    \
                             .include_pad = true},                                                 \
                 8);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_avg_bands_slices) {                                                  \
    run_channels(ISA,                                                                              \
                 (pool_case){.N = 2,                                                               \
                             .H = 11,                                                              \
                             .W = 6,                                                               \
                             .kh = 2,                                                              \
                             .kw = 3,                                                              \
                             .sh = 1,                                                              \
                             .sw = 2,                                                              \
                             .pt = 1,                                                              \
                             .pr = 2,                                                              \
                             .bands = 3,                                                           \
                             .x_pad = 1,                                                           \
                             .y_pad = 4},                                                          \
                 9);                                                                               \
  }                                                                                                \
  TEST(test_pool_nhwc_##isa##_max_random) { run_random(ISA, true, 40); }                           \
  TEST(test_pool_nhwc_##isa##_avg_random) { run_random(ISA, false, 40); }                          \
  TEST(test_pool_nhwc_##isa##_global_avg) { run_global(ISA); }

POOL_TESTS(generic, KERN_ISA_GENERIC)
POOL_TESTS(avx2, KERN_ISA_AVX2)
POOL_TESTS(avx512, KERN_ISA_AVX512)

/* The average pool divides the float sum by the count (not a reciprocal multiply): with
 * a 3-pixel window 0.1+0.2+0.3 the result equals the reference expression bit for bit. */
TEST(test_pool_nhwc_avg_true_division) {
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_test_config_of_loop((kern_isa)isa);
    if (!cfg) continue;
    kern_pool2d_params p = {.H = 1,
                            .W = 3,
                            .C = 1,
                            .OH = 1,
                            .OW = 1,
                            .kh = 1,
                            .kw = 3,
                            .sh = 1,
                            .sw = 1,
                            .dh = 1,
                            .dw = 1};
    float x[3] = {0.1f, 0.2f, 0.3f}, y = 0;
    kern_avgpool2d_nhwc(cfg, &p, x, &y, 0, 1);
    float want = ((0.0f + 0.1f) + 0.2f + 0.3f) / 3.0f;
    CHECK(y == want);
  }
}
