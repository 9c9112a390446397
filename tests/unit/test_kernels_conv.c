/* test_kernels_conv.c — NHWC convolution (im2col + SGEMM, grouped) and depthwise kernels on
 * every ISA path this CPU runs, against a naive NHWC double-accumulation reference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "test.h"
#include "kernels/conv_grouped.h"
#include "kernels/conv_taps.h"
#include "test_kernels_isa.h"

/* One convolution problem. Output size comes from the pads as ONNX defines it (floor). */
typedef struct conv_case {
  int64_t N, H, W, C, Cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
  int64_t x_pad, y_pad; /* extra floats per pixel: x and y as channel slices of wider buffers */
  bool bias, residual, accumulate;
  kern_act act;
  float lo, hi;
  bool ints;      /* small-integer inputs: exact comparison */
  int bands;      /* output rows split into this many bands at random rows (>= 1) */
  bool depthwise; /* run kern_dwconv2d_nhwc (groups = C = Cout) */
} conv_case;

static float draw(dlf_rng *r, bool ints) {
  return ints ? (float)((int)(dlf_rng_next(r) % 9) - 4) : dlf_rng_range(r, -1.0f, 1.0f);
}

static float ref_act(kern_act act, float lo, float hi, float x) {
  if (act == KERN_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (act == KERN_ACT_CLIP) return x < lo ? lo : (x > hi ? hi : x);
  return x;
}

static float *alloc_floats(int64_t n) { return malloc(sizeof(float) * (size_t)(n + 1)); }

static void check_conv(const kern_config *cfg, conv_case cc, uint64_t seed) {
  if (cc.depthwise) cc.groups = cc.Cout = cc.C;
  if (cc.groups < 1) cc.groups = 1;
  if (cc.sh < 1) cc.sh = 1;
  if (cc.sw < 1) cc.sw = 1;
  if (cc.dh < 1) cc.dh = 1;
  if (cc.dw < 1) cc.dw = 1;
  if (cc.N < 1) cc.N = 1;
  if (cc.bands < 1) cc.bands = 1;
  const int64_t OH = (cc.H + cc.pt + cc.pb - cc.dh * (cc.kh - 1) - 1) / cc.sh + 1;
  const int64_t OW = (cc.W + cc.pl + cc.pr - cc.dw * (cc.kw - 1) - 1) / cc.sw + 1;
  REQUIRE(OH >= 1 && OW >= 1);
  const int64_t G = cc.groups, Cg = cc.C / G, Ng = cc.Cout / G;
  const int64_t xs = cc.C + cc.x_pad, ys = cc.Cout + cc.y_pad;
  const int64_t x_img = cc.H * cc.W * xs, y_img = OH * OW * ys, r_img = OH * OW * ys;
  dlf_rng rng = dlf_rng_make(seed);
  float *x = alloc_floats(cc.N * x_img), *w = alloc_floats(cc.Cout * Cg * cc.kh * cc.kw);
  float *bias = alloc_floats(cc.Cout), *res = alloc_floats(cc.N * r_img);
  float *y = alloc_floats(cc.N * y_img), *y0 = alloc_floats(cc.N * y_img);
  float *expect = alloc_floats(cc.N * y_img);
  REQUIRE(x && w && bias && res && y && y0 && expect);
  for (int64_t i = 0; i < cc.N * x_img; i++)
    x[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < cc.Cout * Cg * cc.kh * cc.kw; i++)
    w[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < cc.Cout; i++)
    bias[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < cc.N * r_img; i++)
    res[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < cc.N * y_img; i++)
    y0[i] = draw(&rng, cc.ints);
  memcpy(y, y0, sizeof(float) * (size_t)(cc.N * y_img));
  memcpy(expect, y0, sizeof(float) * (size_t)(cc.N * y_img)); /* pixel padding stays as is */

  /* Reference: direct NHWC convolution with ONNX OIHW weights, double accumulation. */
  for (int64_t n = 0; n < cc.N; n++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++)
        for (int64_t co = 0; co < cc.Cout; co++) {
          const int64_t g = co / Ng;
          const int64_t yi = n * y_img + (oh * OW + ow) * ys + co;
          double s = cc.accumulate ? y0[yi] : 0.0;
          for (int64_t ki = 0; ki < cc.kh; ki++)
            for (int64_t kj = 0; kj < cc.kw; kj++) {
              int64_t ih = oh * cc.sh - cc.pt + ki * cc.dh, iw = ow * cc.sw - cc.pl + kj * cc.dw;
              if (ih < 0 || ih >= cc.H || iw < 0 || iw >= cc.W) continue;
              for (int64_t ci = 0; ci < Cg; ci++)
                s += (double)x[n * x_img + (ih * cc.W + iw) * xs + g * Cg + ci] *
                     w[((co * Cg + ci) * cc.kh + ki) * cc.kw + kj];
            }
          if (cc.bias) s += bias[co];
          if (cc.residual) s += res[n * r_img + (oh * OW + ow) * ys + co];
          expect[yi] = ref_act(cc.act, cc.lo, cc.hi, (float)s);
        }

  kern_conv2d_params p = {.H = cc.H,
                          .W = cc.W,
                          .C = cc.C,
                          .OH = OH,
                          .OW = OW,
                          .Cout = cc.Cout,
                          .kh = cc.kh,
                          .kw = cc.kw,
                          .sh = cc.sh,
                          .sw = cc.sw,
                          .dh = cc.dh,
                          .dw = cc.dw,
                          .pad_t = cc.pt,
                          .pad_l = cc.pl,
                          .groups = G,
                          .x_stride = xs,
                          .y_stride = ys};
  size_t packed_n = 0, scratch_n = 0;
  if (cc.depthwise) {
    packed_n = kern_dwconv2d_nhwc_packed_floats(&p);
  } else {
    REQUIRE(kern_conv2d_nhwc_packed_floats(cfg, &p, &packed_n));
    REQUIRE(kern_conv2d_nhwc_scratch_floats(cfg, &p, &scratch_n));
  }
  float *packed = alloc_floats((int64_t)packed_n), *scratch = alloc_floats((int64_t)scratch_n);
  REQUIRE(packed && scratch);
  if (cc.depthwise)
    kern_dwconv2d_nhwc_pack(&p, w, packed);
  else
    kern_conv2d_nhwc_pack(cfg, &p, w, packed);

  for (int64_t n = 0; n < cc.N; n++) {
    kern_epilogue e = {.accumulate = cc.accumulate,
                       .bias_n = cc.bias ? bias : NULL,
                       .residual = cc.residual ? res + n * r_img : NULL,
                       .ldr = ys,
                       .act = cc.act,
                       .act_lo = cc.lo,
                       .act_hi = cc.hi};
    /* Bands at random rows, run last to first: each call must stand alone. */
    int64_t cuts[8] = {0};
    int nb = cc.bands < 7 ? cc.bands : 7;
    cuts[nb] = OH;
    for (int b = 1; b < nb; b++) {
      int64_t c = (int64_t)(dlf_rng_next(&rng) % (uint64_t)(OH + 1));
      int k = b;
      while (k > 1 && cuts[k - 1] > c)
        cuts[k] = cuts[k - 1], k--;
      cuts[k] = c;
    }
    for (int b = nb - 1; b >= 0; b--) {
      if (cc.depthwise)
        kern_dwconv2d_nhwc(cfg, &p, x + n * x_img, packed, y + n * y_img, cuts[b], cuts[b + 1], &e);
      else
        kern_conv2d_nhwc(cfg, &p, x + n * x_img, packed, y + n * y_img, cuts[b], cuts[b + 1],
                         scratch, &e);
    }
  }

  int before = test_current_failed;
  if (cc.ints)
    CHECK_FLOATS(expect, y, cc.N * y_img, 0.0, 0.0);
  else
    CHECK_FLOATS(expect, y, cc.N * y_img, 1e-4, 1e-4);
  if (test_current_failed != before)
    test_fail(__FILE__, __LINE__,
              "  ^ in %s %s N=%lld %lldx%lldx%lld -> %lldx%lldx%lld k=%lldx%lld s=%lld,%lld "
              "d=%lld,%lld pads=%lld,%lld,%lld,%lld g=%lld bands=%d",
              cfg->name, cc.depthwise ? "dwconv" : "conv", (long long)cc.N, (long long)cc.H,
              (long long)cc.W, (long long)cc.C, (long long)OH, (long long)OW, (long long)cc.Cout,
              (long long)cc.kh, (long long)cc.kw, (long long)cc.sh, (long long)cc.sw,
              (long long)cc.dh, (long long)cc.dw, (long long)cc.pt, (long long)cc.pl,
              (long long)cc.pb, (long long)cc.pr, (long long)cc.groups, cc.bands);
  free(x), free(w), free(bias), free(res), free(y), free(y0), free(expect), free(packed);
  free(scratch);
}

static const kern_config *config_or_skip(kern_isa isa) { return kern_test_config(isa); }

static const int64_t k_channels[] = {1, 3, 5, 17, 33};
#define N_CHANNELS 5

/* Runs the case for every odd channel count (C and Cout drawn from the list). */
static void run_channels(kern_isa isa, conv_case cc, uint64_t seed) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(seed + isa);
  for (int i = 0; i < N_CHANNELS; i++) {
    cc.C = k_channels[i];
    cc.Cout = k_channels[dlf_rng_next(&r) % N_CHANNELS] * (cc.groups > 1 ? cc.groups : 1);
    if (cc.groups > 1) cc.C *= cc.groups;
    check_conv(cfg, cc, dlf_rng_next(&r));
  }
}

/* Random shapes: kernel 1..7, stride 1..3, dilation 1..2, pads 0..3 each side, bands. */
static void run_random(kern_isa isa, bool depthwise, bool ints, int n_cases) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(0xc0 + isa * 7 + depthwise);
  for (int t = 0; t < n_cases; t++) {
    conv_case cc = {.N = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .C = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .Cout = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .kh = 1 + (int64_t)(dlf_rng_next(&r) % 7),
                    .kw = 1 + (int64_t)(dlf_rng_next(&r) % 7),
                    .sh = 1 + (int64_t)(dlf_rng_next(&r) % 3),
                    .sw = 1 + (int64_t)(dlf_rng_next(&r) % 3),
                    .dh = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .dw = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .pt = (int64_t)(dlf_rng_next(&r) % 4),
                    .pl = (int64_t)(dlf_rng_next(&r) % 4),
                    .pb = (int64_t)(dlf_rng_next(&r) % 4),
                    .pr = (int64_t)(dlf_rng_next(&r) % 4),
                    .bias = dlf_rng_next(&r) % 2,
                    .residual = dlf_rng_next(&r) % 2,
                    .act = (kern_act)(dlf_rng_next(&r) % 3),
                    .lo = -3,
                    .hi = 4,
                    .ints = ints,
                    .bands = 1 + (int)(dlf_rng_next(&r) % 4),
                    .depthwise = depthwise};
    if (cc.pt >= cc.kh) cc.pt = cc.kh - 1; /* keep ONNX-typical pads < kernel */
    if (cc.pb >= cc.kh) cc.pb = cc.kh - 1;
    if (cc.pl >= cc.kw) cc.pl = cc.kw - 1;
    if (cc.pr >= cc.kw) cc.pr = cc.kw - 1;
    cc.H = cc.dh * (cc.kh - 1) + 1 + (int64_t)(dlf_rng_next(&r) % 12);
    cc.W = cc.dw * (cc.kw - 1) + 1 + (int64_t)(dlf_rng_next(&r) % 12);
    check_conv(cfg, cc, dlf_rng_next(&r));
  }
}

/* ---- im2col + SGEMM convolution ---- */
/* The direct grouped kernel (conv_grouped.h): shapes on which it runs on every ISA — permute
 * mode (Cg == Ng < VL: 4 and 2 channels per group), broadcast mode (Ng a multiple of VL, Cg !=
 * Ng) — with asymmetric pads, strides, dilation, channel slices, bias, residual, the
 * activations, accumulation, and bands. */
static void run_grouped_direct(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  const conv_case cases[] = {
      {.N = 2, .H = 9, .W = 11, .C = 32, .Cout = 32, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .pt = 1,
       .pl = 1, .pb = 1, .pr = 1, .groups = 8, .bias = true, .residual = true,
       .act = KERN_ACT_RELU, .ints = true, .bands = 2},
      {.N = 1, .H = 8, .W = 13, .C = 16, .Cout = 16, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .pt = 0,
       .pl = 2, .pb = 2, .pr = 1, .groups = 8, .x_pad = 3, .y_pad = 5, .bias = true,
       .act = KERN_ACT_CLIP, .lo = -2, .hi = 3, .ints = true, .bands = 3},
      {.N = 1, .H = 7, .W = 7, .C = 24, .Cout = 32, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 2,
       .dw = 2, .pt = 2, .pl = 2, .pb = 2, .pr = 2, .groups = 2, .bias = true, .residual = true,
       .ints = true, .bands = 1},
      {.N = 1, .H = 5, .W = 6, .C = 64, .Cout = 64, .kh = 1, .kw = 3, .sh = 1, .sw = 1, .pl = 1,
       .pr = 1, .groups = 2, .accumulate = true, .ints = false, .bands = 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    conv_case cc = cases[i];
    if (!cc.dh) cc.dh = 1;
    if (!cc.dw) cc.dw = 1;
    const kern_conv2d_params p = {.C = cc.C, .Cout = cc.Cout, .groups = cc.groups};
    CHECK(kern_conv_grouped_applies(cfg, &p));
    check_conv(cfg, cc, 900 + i);
  }
}

/* The per-tap path (conv_taps.h) of dilated convolutions whose taps mostly read padding:
 * DeepLabV3's ASPP (dilation 12 on 20x20, and taps entirely dead), odd sizes, asymmetric pads,
 * strides, 1xk / kx1, channel slices, every epilogue, bands; then random dilated shapes. Each
 * case must take that path (kern_conv_taps_applies), so that the reference check is of it. */
static void run_dilated_taps(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  const conv_case cases[] = {
      {.H = 20, .W = 20, .C = 33, .Cout = 17, .kh = 3, .kw = 3, .dh = 12, .dw = 12, .pt = 12,
       .pl = 12, .pb = 12, .pr = 12, .bias = true, .act = KERN_ACT_RELU, .ints = true, .bands = 3},
      {.H = 20, .W = 20, .C = 17, .Cout = 40, .kh = 3, .kw = 3, .dh = 24, .dw = 24, .pt = 24,
       .pl = 24, .pb = 24, .pr = 24, .bias = true, .residual = true, .ints = true, .bands = 2},
      {.N = 2, .H = 13, .W = 11, .C = 5, .Cout = 33, .kh = 3, .kw = 3, .dh = 8, .dw = 7, .pt = 8,
       .pl = 6, .pb = 5, .pr = 7, .accumulate = true, .act = KERN_ACT_CLIP, .lo = -3, .hi = 4,
       .ints = true, .bands = 4},
      {.H = 17, .W = 37, .C = 3, .Cout = 5, .kh = 3, .kw = 3, .sh = 2, .sw = 3, .dh = 9, .dw = 16,
       .pt = 9, .pl = 16, .pb = 9, .pr = 15, .bias = true, .residual = true, .ints = true,
       .bands = 2},
      {.H = 9, .W = 15, .C = 17, .Cout = 3, .kh = 1, .kw = 5, .dw = 6, .pl = 12, .pr = 12,
       .x_pad = 3, .y_pad = 5, .bias = true, .residual = true, .accumulate = true,
       .act = KERN_ACT_RELU, .ints = true, .bands = 3},
      {.H = 7, .W = 20, .C = 40, .Cout = 64, .kh = 5, .kw = 1, .dh = 3, .pt = 6, .pb = 6,
       .ints = false, .bands = 2},
      {.H = 20, .W = 20, .C = 64, .Cout = 33, .kh = 3, .kw = 3, .dh = 12, .dw = 12, .pt = 12,
       .pl = 12, .pb = 12, .pr = 12, .bias = true, .residual = true, .act = KERN_ACT_RELU,
       .ints = false, .bands = 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    conv_case cc = cases[i];
    if (!cc.sh) cc.sh = 1;
    if (!cc.sw) cc.sw = 1;
    if (!cc.dh) cc.dh = 1;
    if (!cc.dw) cc.dw = 1;
    const kern_conv2d_params p = {
        .H = cc.H,
        .W = cc.W,
        .C = cc.C,
        .Cout = cc.Cout,
        .kh = cc.kh,
        .kw = cc.kw,
        .sh = cc.sh,
        .sw = cc.sw,
        .dh = cc.dh,
        .dw = cc.dw,
        .pad_t = cc.pt,
        .pad_l = cc.pl,
        .groups = 1,
        .OH = (cc.H + cc.pt + cc.pb - cc.dh * (cc.kh - 1) - 1) / cc.sh + 1,
        .OW = (cc.W + cc.pl + cc.pr - cc.dw * (cc.kw - 1) - 1) / cc.sw + 1};
    if (!kern_conv_taps_applies(cfg, &p))
      test_fail(__FILE__, __LINE__, "  case %d does not take the taps path on %s", (int)i,
                cfg->name);
    check_conv(cfg, cc, 950 + i);
  }
  dlf_rng r = dlf_rng_make(0xd1 + isa);
  int ran = 0;
  for (int t = 0; t < 400 && ran < 30; t++) {
    conv_case cc = {.N = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .C = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .Cout = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .kh = 1 + (int64_t)(dlf_rng_next(&r) % 4),
                    .kw = 1 + (int64_t)(dlf_rng_next(&r) % 4),
                    .sh = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .sw = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .dh = 1 + (int64_t)(dlf_rng_next(&r) % 9),
                    .dw = 1 + (int64_t)(dlf_rng_next(&r) % 9),
                    .H = 1 + (int64_t)(dlf_rng_next(&r) % 14),
                    .W = 1 + (int64_t)(dlf_rng_next(&r) % 14),
                    .bias = dlf_rng_next(&r) % 2,
                    .residual = dlf_rng_next(&r) % 2,
                    .accumulate = dlf_rng_next(&r) % 2,
                    .act = (kern_act)(dlf_rng_next(&r) % 3),
                    .lo = -3,
                    .hi = 4,
                    .ints = true,
                    .bands = 1 + (int)(dlf_rng_next(&r) % 4)};
    const int64_t span_h = cc.dh * (cc.kh - 1), span_w = cc.dw * (cc.kw - 1);
    cc.pt = (int64_t)(dlf_rng_next(&r) % (uint64_t)(span_h + 1));
    cc.pb = (int64_t)(dlf_rng_next(&r) % (uint64_t)(span_h + 1));
    cc.pl = (int64_t)(dlf_rng_next(&r) % (uint64_t)(span_w + 1));
    cc.pr = (int64_t)(dlf_rng_next(&r) % (uint64_t)(span_w + 1));
    if (cc.H + cc.pt + cc.pb <= span_h || cc.W + cc.pl + cc.pr <= span_w) continue;
    const kern_conv2d_params p = {.H = cc.H,
                                  .W = cc.W,
                                  .C = cc.C,
                                  .Cout = cc.Cout,
                                  .kh = cc.kh,
                                  .kw = cc.kw,
                                  .sh = cc.sh,
                                  .sw = cc.sw,
                                  .dh = cc.dh,
                                  .dw = cc.dw,
                                  .pad_t = cc.pt,
                                  .pad_l = cc.pl,
                                  .groups = 1,
                                  .OH = (cc.H + cc.pt + cc.pb - span_h - 1) / cc.sh + 1,
                                  .OW = (cc.W + cc.pl + cc.pr - span_w - 1) / cc.sw + 1};
    if (!kern_conv_taps_applies(cfg, &p)) continue;
    check_conv(cfg, cc, dlf_rng_next(&r));
    ran++;
  }
  CHECK(ran >= 20);
}

#define CONV_TESTS(isa, ISA)                                                                       \
  TEST(test_conv_nhwc_##isa##_1x1_reads_x_in_place) {                                              \
    run_channels(ISA, (conv_case){.H = 7, .W = 9, .kh = 1, .kw = 1, .ints = true}, 1);             \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_1x1_stride2) {                                                       \
    run_channels(ISA, (conv_case){.H = 9, .W = 8, .kh = 1, .kw = 1, .sh = 2, .sw = 2, .ints = 1},  \
                 2);                                                                               \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_1x1_padded_uses_im2col) {                                            \
    run_channels(ISA, (conv_case){.H = 5, .W = 6, .kh = 1, .kw = 1, .pt = 1, .pr = 1, .ints = 1},  \
                 3);                                                                               \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_3x3_pad1) {                                                          \
    run_channels(                                                                                  \
        ISA,                                                                                       \
        (conv_case){                                                                               \
            .H = 11, .W = 10, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1, .ints = true}, \
        4);                                                                                        \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_5x5_pad2) {                                                          \
    run_channels(                                                                                  \
        ISA,                                                                                       \
        (conv_case){                                                                               \
            .H = 9, .W = 13, .kh = 5, .kw = 5, .pt = 2, .pl = 2, .pb = 2, .pr = 2, .ints = true},  \
        5);                                                                                        \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_7x7_stride2_pad3) {                                                  \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 23,                                                              \
                             .W = 21,                                                              \
                             .kh = 7,                                                              \
                             .kw = 7,                                                              \
                             .sh = 2,                                                              \
                             .sw = 2,                                                              \
                             .pt = 3,                                                              \
                             .pl = 3,                                                              \
                             .pb = 3,                                                              \
                             .pr = 3,                                                              \
                             .ints = true},                                                        \
                 6);                                                                               \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_11x11_stride4_alexnet) {                                             \
    const kern_config *cfg = config_or_skip(ISA);                                                  \
    if (cfg)                                                                                       \
      check_conv(cfg,                                                                              \
                 (conv_case){.H = 63,                                                              \
                             .W = 59,                                                              \
                             .C = 3,                                                               \
                             .Cout = 64,                                                           \
                             .kh = 11,                                                             \
                             .kw = 11,                                                             \
                             .sh = 4,                                                              \
                             .sw = 4,                                                              \
                             .pt = 2,                                                              \
                             .pl = 2,                                                              \
                             .pb = 2,                                                              \
                             .pr = 2,                                                              \
                             .bias = true,                                                         \
                             .act = KERN_ACT_RELU,                                                 \
                             .ints = true,                                                         \
                             .bands = 3},                                                          \
                 7);                                                                               \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_dilation2) {                                                         \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 12,                                                              \
                             .W = 11,                                                              \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .dh = 2,                                                              \
                             .dw = 2,                                                              \
                             .pt = 2,                                                              \
                             .pl = 2,                                                              \
                             .pb = 2,                                                              \
                             .pr = 2,                                                              \
                             .ints = true},                                                        \
                 8);                                                                               \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_asymmetric_pads) {                                                   \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 8,                                                               \
                             .W = 9,                                                               \
                             .kh = 3,                                                              \
                             .kw = 4,                                                              \
                             .pt = 0,                                                              \
                             .pl = 3,                                                              \
                             .pb = 2,                                                              \
                             .pr = 0,                                                              \
                             .sw = 2,                                                              \
                             .ints = true},                                                        \
                 9);                                                                               \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_batch3_bands_mid_image) {                                            \
    run_channels(ISA,                                                                              \
                 (conv_case){.N = 3,                                                               \
                             .H = 13,                                                              \
                             .W = 7,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .sh = 2,                                                              \
                             .ints = true,                                                         \
                             .bands = 5},                                                          \
                 10);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_bias_relu) {                                                         \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 6,                                                               \
                             .W = 7,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .bias = true,                                                         \
                             .act = KERN_ACT_RELU,                                                 \
                             .ints = true},                                                        \
                 11);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_bias_clip) {                                                         \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 6,                                                               \
                             .W = 7,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .bias = true,                                                         \
                             .act = KERN_ACT_CLIP,                                                 \
                             .lo = -2,                                                             \
                             .hi = 6,                                                              \
                             .ints = true},                                                        \
                 12);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_residual_relu_bands) {                                               \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 9,                                                               \
                             .W = 5,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .bias = true,                                                         \
                             .residual = true,                                                     \
                             .act = KERN_ACT_RELU,                                                 \
                             .ints = true,                                                         \
                             .bands = 3},                                                          \
                 13);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_1x1_residual_accumulate) {                                           \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 5,                                                               \
                             .W = 5,                                                               \
                             .kh = 1,                                                              \
                             .kw = 1,                                                              \
                             .residual = true,                                                     \
                             .accumulate = true,                                                   \
                             .ints = true,                                                         \
                             .bands = 2},                                                          \
                 14);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_channel_slices) {                                                    \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 7,                                                               \
                             .W = 6,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .x_pad = 5,                                                           \
                             .y_pad = 3,                                                           \
                             .residual = true,                                                     \
                             .ints = 1},                                                           \
                 15);                                                                              \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 7, .W = 6, .kh = 1, .kw = 1, .x_pad = 2, .y_pad = 7, .ints = 1}, \
                 16);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_grouped_direct) { run_grouped_direct(ISA); }                          \
  TEST(test_conv_nhwc_##isa##_dilated_taps) { run_dilated_taps(ISA); }                             \
  TEST(test_conv_nhwc_##isa##_grouped) {                                                           \
    run_channels(ISA,                                                                              \
                 (conv_case){.H = 8,                                                               \
                             .W = 7,                                                               \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .groups = 3,                                                          \
                             .bias = true,                                                         \
                             .residual = true,                                                     \
                             .ints = true,                                                         \
                             .bands = 2},                                                          \
                 17);                                                                              \
    run_channels(ISA, (conv_case){.H = 6, .W = 6, .kh = 1, .kw = 1, .groups = 2, .ints = true},    \
                 18);                                                                              \
  }                                                                                                \
  TEST(test_conv_nhwc_##isa##_random_shapes) { run_random(ISA, false, true, 40); }                 \
  TEST(test_conv_nhwc_##isa##_random_floats_rel_1e4) { run_random(ISA, false, false, 20); }        \
  TEST(test_conv_nhwc_##isa##_im2col_chunked) {                                                    \
    /* 3x3x512 rows of A: the L2 budget holds a few dozen pixels, so 30x30 is many chunks */       \
    const kern_config *cfg = config_or_skip(ISA);                                                  \
    if (cfg)                                                                                       \
      check_conv(cfg,                                                                              \
                 (conv_case){.H = 30,                                                              \
                             .W = 30,                                                              \
                             .C = 512,                                                             \
                             .Cout = 40,                                                           \
                             .kh = 3,                                                              \
                             .kw = 3,                                                              \
                             .pt = 1,                                                              \
                             .pl = 1,                                                              \
                             .pb = 1,                                                              \
                             .pr = 1,                                                              \
                             .ints = true,                                                         \
                             .bands = 2},                                                          \
                 19);                                                                              \
  }

CONV_TESTS(generic, KERN_ISA_GENERIC)
CONV_TESTS(avx2, KERN_ISA_AVX2)
CONV_TESTS(avx512, KERN_ISA_AVX512)

/* ---- depthwise ---- */
#define DW(...) ((conv_case){.depthwise = true, __VA_ARGS__})
#define DWCONV_TESTS(isa, ISA)                                                                     \
  TEST(test_dwconv_##isa##_3x3_pad1) {                                                             \
    run_channels(                                                                                  \
        ISA,                                                                                       \
        DW(.H = 9, .W = 10, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1, .ints = true),   \
        21);                                                                                       \
  }                                                                                                \
  TEST(test_dwconv_##isa##_3x3_stride2) {                                                          \
    run_channels(ISA,                                                                              \
                 DW(.H = 11, .W = 12, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .pt = 1, .pl = 1,        \
                    .pb = 1, .pr = 1, .ints = true),                                               \
                 22);                                                                              \
  }                                                                                                \
  TEST(test_dwconv_##isa##_5x5_dilation2) {                                                        \
    run_channels(ISA,                                                                              \
                 DW(.H = 13, .W = 12, .kh = 5, .kw = 5, .dh = 2, .dw = 2, .pt = 4, .pl = 4,        \
                    .pb = 4, .pr = 4, .ints = true),                                               \
                 23);                                                                              \
  }                                                                                                \
  TEST(test_dwconv_##isa##_7x7_asymmetric_pads) {                                                  \
    run_channels(                                                                                  \
        ISA,                                                                                       \
        DW(.H = 10, .W = 9, .kh = 7, .kw = 5, .pt = 1, .pl = 4, .pb = 3, .pr = 0, .ints = true),   \
        24);                                                                                       \
  }                                                                                                \
  TEST(test_dwconv_##isa##_wide_channels) {                                                        \
    const kern_config *cfg = config_or_skip(ISA);                                                  \
    static const int64_t cs[] = {16, 64, 65, 100, 144};                                            \
    for (int i = 0; cfg && i < 5; i++)                                                             \
      check_conv(cfg,                                                                              \
                 DW(.C = cs[i], .H = 6, .W = 5, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1,       \
                    .pr = 1, .bias = true, .ints = true),                                          \
                 25 + (uint64_t)i);                                                                \
  }                                                                                                \
  TEST(test_dwconv_##isa##_bias_relu_bands) {                                                      \
    run_channels(ISA,                                                                              \
                 DW(.N = 2, .H = 12, .W = 7, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1, \
                    .bias = true, .act = KERN_ACT_RELU, .ints = true, .bands = 4),                 \
                 31);                                                                              \
  }                                                                                                \
  TEST(test_dwconv_##isa##_residual_clip) {                                                        \
    run_channels(ISA,                                                                              \
                 DW(.H = 8, .W = 8, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1,          \
                    .bias = true, .residual = true, .act = KERN_ACT_CLIP, .lo = 0, .hi = 6,        \
                    .ints = true),                                                                 \
                 32);                                                                              \
  }                                                                                                \
  TEST(test_dwconv_##isa##_accumulate_channel_slices) {                                            \
    run_channels(ISA,                                                                              \
                 DW(.H = 7, .W = 6, .kh = 3, .kw = 3, .pt = 1, .pl = 1, .x_pad = 3, .y_pad = 5,    \
                    .accumulate = true, .residual = true, .ints = true),                           \
                 33);                                                                              \
  }                                                                                                \
  TEST(test_dwconv_##isa##_5x5_7x7_register_blocked) {                                            \
    /* dwconvkxk.h: K 5 and 7, stride 1 and 2, pads that put borders on both sides, widths     \
     * that leave every tail block size, channel slices, bias, residual, clip, accumulate */     \
    const kern_config *cfg = config_or_skip(ISA);                                                  \
    static const int64_t cs[] = {3, 16, 17, 40};                                                   \
    for (int k = 5; cfg && k <= 7; k += 2)                                                         \
      for (int st = 1; st <= 2; st++)                                                              \
        for (int i = 0; i < 4; i++)                                                                \
          check_conv(cfg,                                                                          \
                     DW(.C = cs[i], .H = 9 + k, .W = 11 + k + i, .kh = k, .kw = k, .sh = st,       \
                        .sw = st, .pt = k / 2, .pl = k / 2, .pb = k / 2 - (i & 1), .pr = k / 2,    \
                        .x_pad = i == 2 ? 3 : 0, .y_pad = i == 3 ? 5 : 0, .bias = true,           \
                        .residual = i != 1, .accumulate = i == 3,                                  \
                        .act = i == 0 ? KERN_ACT_CLIP : KERN_ACT_NONE, .lo = -3, .hi = 4,          \
                        .ints = true, .bands = 2),                                                 \
                     40 + (uint64_t)(k * 8 + st * 4 + i));                                         \
  }                                                                                                \
  TEST(test_dwconv_##isa##_random_shapes) { run_random(ISA, true, true, 40); }                     \
  TEST(test_dwconv_##isa##_random_floats_rel_1e4) { run_random(ISA, true, false, 20); }

/* Random shapes of the register-blocked 3x3 path (dwconv3x3.h): stride 1 or 2, pads 0..2 per
 * side, rows 1..48 wide (so blocks of 8, 4, 2 and single border pixels all occur), channel
 * counts around the vector widths, channel slices, every epilogue, bands. */
static void run_random_dw3x3(kern_isa isa, bool ints, int n_cases) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  static const int64_t cs[] = {1, 7, 8, 9, 16, 17, 24, 32, 40, 48};
  dlf_rng r = dlf_rng_make(0xd3 + isa);
  for (int t = 0; t < n_cases; t++) {
    const int64_t s = 1 + (int64_t)(dlf_rng_next(&r) % 2);
    conv_case cc = {.N = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                    .C = cs[dlf_rng_next(&r) % 10],
                    .kh = 3,
                    .kw = 3,
                    .sh = s,
                    .sw = s,
                    .pt = (int64_t)(dlf_rng_next(&r) % 3),
                    .pl = (int64_t)(dlf_rng_next(&r) % 3),
                    .pb = (int64_t)(dlf_rng_next(&r) % 3),
                    .pr = (int64_t)(dlf_rng_next(&r) % 3),
                    .x_pad = (int64_t)(dlf_rng_next(&r) % 3),
                    .y_pad = (int64_t)(dlf_rng_next(&r) % 3),
                    .bias = dlf_rng_next(&r) % 2,
                    .residual = dlf_rng_next(&r) % 2,
                    .accumulate = dlf_rng_next(&r) % 4 == 0,
                    .act = (kern_act)(dlf_rng_next(&r) % 3),
                    .lo = -3,
                    .hi = 4,
                    .ints = ints,
                    .bands = 1 + (int)(dlf_rng_next(&r) % 3),
                    .depthwise = true};
    cc.H = 3 + (int64_t)(dlf_rng_next(&r) % 6);
    cc.W = 3 + (int64_t)(dlf_rng_next(&r) % 46);
    check_conv(cfg, cc, dlf_rng_next(&r));
  }
}

#define DW3X3_TESTS(isa, ISA)                                                                      \
  TEST(test_dwconv_##isa##_3x3_wide_rows_random_exact) { run_random_dw3x3(ISA, true, 60); }       \
  TEST(test_dwconv_##isa##_3x3_wide_rows_random_floats_rel_1e4) {                                 \
    run_random_dw3x3(ISA, false, 30);                                                              \
  }

DW3X3_TESTS(generic, KERN_ISA_GENERIC)
DW3X3_TESTS(avx2, KERN_ISA_AVX2)
DW3X3_TESTS(avx512, KERN_ISA_AVX512)

DWCONV_TESTS(generic, KERN_ISA_GENERIC)
DWCONV_TESTS(avx2, KERN_ISA_AVX2)
DWCONV_TESTS(avx512, KERN_ISA_AVX512)

/* A band reads only the input rows its windows touch: every other row is NaN here, and
 * the band's output must still be finite and equal to a full run. */
TEST(test_conv_nhwc_band_reads_only_needed_rows) {
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_test_config_of_loop((kern_isa)isa);
    if (!cfg) continue;
    for (int dw = 0; dw < 2; dw++) {
      const int64_t H = 20, W = 9, C = dw ? 19 : 7, Cout = dw ? 19 : 11, OH = 10, OW = 5;
      kern_conv2d_params p = {.H = H,
                              .W = W,
                              .C = C,
                              .OH = OH,
                              .OW = OW,
                              .Cout = Cout,
                              .kh = 3,
                              .kw = 3,
                              .sh = 2,
                              .sw = 2,
                              .dh = 1,
                              .dw = 1,
                              .pad_t = 1,
                              .pad_l = 1,
                              .groups = dw ? C : 1};
      float x[20 * 9 * 19], xn[20 * 9 * 19], w[19 * 7 * 9], y_full[10 * 5 * 19], y[10 * 5 * 19];
      float packed[4096], scratch[4096];
      dlf_rng r = dlf_rng_make(77);
      for (int64_t i = 0; i < H * W * C; i++)
        x[i] = draw(&r, true);
      for (int64_t i = 0; i < Cout * (dw ? 1 : C) * 9; i++)
        w[i] = draw(&r, true);
      size_t np = 0, ns = 0;
      if (dw) {
        np = kern_dwconv2d_nhwc_packed_floats(&p);
      } else {
        REQUIRE(kern_conv2d_nhwc_packed_floats(cfg, &p, &np));
        REQUIRE(kern_conv2d_nhwc_scratch_floats(cfg, &p, &ns));
      }
      REQUIRE(np <= 4096 && ns <= 4096);
      const int64_t oh0 = 3, oh1 = 6; /* input rows 3*2-1 = 5 .. 5*2-1+2 = 11 */
      for (int64_t i = 0; i < H * W * C; i++) {
        int64_t ih = i / (W * C);
        xn[i] = ih >= 5 && ih <= 11 ? x[i] : NAN;
      }
      if (dw) {
        kern_dwconv2d_nhwc_pack(&p, w, packed);
        kern_dwconv2d_nhwc(cfg, &p, x, packed, y_full, 0, OH, NULL);
        kern_dwconv2d_nhwc(cfg, &p, xn, packed, y, oh0, oh1, NULL);
      } else {
        kern_conv2d_nhwc_pack(cfg, &p, w, packed);
        kern_conv2d_nhwc(cfg, &p, x, packed, y_full, 0, OH, scratch, NULL);
        kern_conv2d_nhwc(cfg, &p, xn, packed, y, oh0, oh1, scratch, NULL);
      }
      CHECK_FLOATS(y_full + oh0 * OW * Cout, y + oh0 * OW * Cout, (oh1 - oh0) * OW * Cout, 0, 0);
    }
  }
}

/* Rows outside [oh0, oh1) are not written. */
TEST(test_conv_nhwc_band_writes_only_its_rows) {
  const kern_config *cfg = kern_config_get();
  kern_conv2d_params p = {.H = 6,
                          .W = 4,
                          .C = 3,
                          .OH = 6,
                          .OW = 4,
                          .Cout = 5,
                          .kh = 3,
                          .kw = 3,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .pad_t = 1,
                          .pad_l = 1,
                          .groups = 1};
  float x[6 * 4 * 3], w[5 * 3 * 9], y[6 * 4 * 5], packed[4096], scratch[4096];
  size_t np = 0, ns = 0;
  REQUIRE(kern_conv2d_nhwc_packed_floats(cfg, &p, &np) && np <= 4096);
  REQUIRE(kern_conv2d_nhwc_scratch_floats(cfg, &p, &ns) && ns <= 4096);
  for (int i = 0; i < 6 * 4 * 3; i++)
    x[i] = 1.0f;
  for (int i = 0; i < 5 * 3 * 9; i++)
    w[i] = 1.0f;
  for (int i = 0; i < 6 * 4 * 5; i++)
    y[i] = -7.0f;
  kern_conv2d_nhwc_pack(cfg, &p, w, packed);
  kern_conv2d_nhwc(cfg, &p, x, packed, y, 2, 4, scratch, NULL);
  for (int i = 0; i < 6 * 4 * 5; i++) {
    int oh = i / (4 * 5), ow = (i / 5) % 4;
    float want = -7.0f;
    if (oh >= 2 && oh < 4) want = (ow == 0 || ow == 3) ? 18.0f : 27.0f; /* 3 rows x 2|3 cols x 3 */
    CHECK_NEAR(want, y[i], 0.0);
  }
}

TEST(test_conv_nhwc_scratch_zero_for_unpadded_1x1) {
  const kern_config *cfg = kern_config_get();
  kern_conv2d_params p = {.H = 56,
                          .W = 56,
                          .C = 64,
                          .OH = 28,
                          .OW = 28,
                          .Cout = 128,
                          .kh = 1,
                          .kw = 1,
                          .sh = 2,
                          .sw = 2,
                          .dh = 1,
                          .dw = 1,
                          .groups = 1};
  size_t n = 99;
  REQUIRE(kern_conv2d_nhwc_scratch_floats(cfg, &p, &n));
  CHECK_INT(0, n);
  p.pad_t = 1, p.OH = 29;
  REQUIRE(kern_conv2d_nhwc_scratch_floats(cfg, &p, &n));
  CHECK(n > 0);
}

/* The im2col chunk stays within the config's L2 budget when a few tiles fit in it. */
TEST(test_conv_nhwc_scratch_within_l2_budget) {
  const kern_config *cfg = kern_config_get();
  kern_conv2d_params p = {.H = 56,
                          .W = 56,
                          .C = 64,
                          .OH = 56,
                          .OW = 56,
                          .Cout = 64,
                          .kh = 3,
                          .kw = 3,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .pad_t = 1,
                          .pad_l = 1,
                          .groups = 1};
  size_t n = 0;
  REQUIRE(kern_conv2d_nhwc_scratch_floats(cfg, &p, &n));
  CHECK(n * sizeof(float) <= (size_t)cfg->nhwc.im2col_bytes);
  CHECK(n >= (size_t)(9 * 64 * cfg->sgemm.mr));
  CHECK_INT(0, n % (9 * 64));
}

TEST(test_dwconv_pack_is_tap_major) {
  kern_conv2d_params p = {.C = 2, .kh = 1, .kw = 2};
  const float w[4] = {1, 2, 3, 4}; /* W[c][0][0][kj]: c0 = {1, 2}, c1 = {3, 4} */
  float packed[4];
  CHECK_INT(4, kern_dwconv2d_nhwc_packed_floats(&p));
  kern_dwconv2d_nhwc_pack(&p, w, packed);
  CHECK_NEAR(1, packed[0], 0);
  CHECK_NEAR(3, packed[1], 0);
  CHECK_NEAR(2, packed[2], 0);
  CHECK_NEAR(4, packed[3], 0);
}

TEST(test_conv_nhwc_packed_size_overflow_fails) {
  const kern_config *cfg = kern_config_get();
  kern_conv2d_params p = {
      .C = (int64_t)1 << 40, .Cout = (int64_t)1 << 40, .kh = 1 << 20, .kw = 1, .groups = 1};
  size_t n = 0;
  CHECK(!kern_conv2d_nhwc_packed_floats(cfg, &p, &n));
  p.kh = (int64_t)1 << 40; /* kh * kw * C itself overflows int64 */
  CHECK(!kern_conv2d_nhwc_packed_floats(cfg, &p, &n));
  p.groups = 0;
  CHECK(!kern_conv2d_nhwc_packed_floats(cfg, &p, &n));
}
