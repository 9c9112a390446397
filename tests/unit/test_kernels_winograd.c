/* test_kernels_winograd.c — Winograd F(4x4, 3x3) NHWC convolution on every ISA path this CPU
 * runs, against a naive NHWC direct convolution (double accumulation), tolerance 1e-3 of the
 * output's largest magnitude (the bound for Winograd's rounding). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "test.h"
#include "test_kernels_isa.h"

typedef struct wino_case {
  int64_t H, W, C, Cout, pt, pl, pb, pr;
  int64_t x_pad, y_pad; /* extra floats per pixel: channel slices of wider buffers */
  bool bias, residual, accumulate;
  kern_act act;
  float lo, hi;
  int64_t cuts[8]; /* band boundaries after 0 (ascending, last = OH); all zero = one band */
  int64_t only_lo, only_hi; /* only_hi > 0: run just the band [only_lo, only_hi) */
} wino_case;

static float ref_act(kern_act act, float lo, float hi, float x) {
  if (act == KERN_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (act == KERN_ACT_CLIP) return x < lo ? lo : (x > hi ? hi : x);
  return x;
}

static float *alloc_floats(int64_t n) { return malloc(sizeof(float) * (size_t)(n + 1)); }

/* Runs one case on cfg: the bands last to first, then compares every output float. */
static void check_wino(const kern_config *cfg, wino_case wc, uint64_t seed) {
  const int64_t OH = wc.H + wc.pt + wc.pb - 2, OW = wc.W + wc.pl + wc.pr - 2;
  REQUIRE(OH >= 1 && OW >= 1);
  const int64_t C = wc.C, N = wc.Cout, xs = C + wc.x_pad, ys = N + wc.y_pad;
  const int64_t x_n = wc.H * wc.W * xs, y_n = OH * OW * ys;
  dlf_rng rng = dlf_rng_make(seed);
  float *x = alloc_floats(x_n), *w = alloc_floats(N * C * 9), *bias = alloc_floats(N);
  float *res = alloc_floats(y_n), *y = alloc_floats(y_n), *y0 = alloc_floats(y_n);
  float *expect = alloc_floats(y_n);
  REQUIRE(x && w && bias && res && y && y0 && expect);
  for (int64_t i = 0; i < x_n; i++)
    x[i] = dlf_rng_range(&rng, -1.0f, 1.0f);
  for (int64_t i = 0; i < N * C * 9; i++)
    w[i] = dlf_rng_range(&rng, -1.0f, 1.0f);
  for (int64_t i = 0; i < N; i++)
    bias[i] = dlf_rng_range(&rng, -1.0f, 1.0f);
  for (int64_t i = 0; i < y_n; i++) {
    res[i] = dlf_rng_range(&rng, -1.0f, 1.0f);
    y0[i] = dlf_rng_range(&rng, -1.0f, 1.0f);
  }
  memcpy(y, y0, sizeof(float) * (size_t)y_n);
  memcpy(expect, y0, sizeof(float) * (size_t)y_n); /* pixel padding / other rows stay */

  int64_t cuts[9] = {0};
  int nb = 0;
  while (nb < 8 && wc.cuts[nb] > 0)
    cuts[nb + 1] = wc.cuts[nb], nb++;
  if (nb == 0 || cuts[nb] != OH) cuts[++nb] = OH;
  const int64_t ref_oh0 = wc.only_hi > 0 ? wc.only_lo : 0,
                ref_oh1 = wc.only_hi > 0 ? wc.only_hi : OH;

  double maxabs = 0.0;
  for (int64_t oh = ref_oh0; oh < ref_oh1; oh++)
    for (int64_t ow = 0; ow < OW; ow++)
      for (int64_t co = 0; co < N; co++) {
        const int64_t yi = (oh * OW + ow) * ys + co;
        double s = wc.accumulate ? y0[yi] : 0.0;
        for (int64_t ki = 0; ki < 3; ki++)
          for (int64_t kj = 0; kj < 3; kj++) {
            int64_t ih = oh - wc.pt + ki, iw = ow - wc.pl + kj;
            if (ih < 0 || ih >= wc.H || iw < 0 || iw >= wc.W) continue;
            for (int64_t ci = 0; ci < C; ci++)
              s += (double)x[(ih * wc.W + iw) * xs + ci] * w[((co * C + ci) * 3 + ki) * 3 + kj];
          }
        if (wc.bias) s += bias[co];
        if (wc.residual) s += res[yi];
        expect[yi] = ref_act(wc.act, wc.lo, wc.hi, (float)s);
        if (fabs(expect[yi]) > maxabs) maxabs = fabs(expect[yi]);
      }

  kern_conv2d_params p = {.H = wc.H,
                          .W = wc.W,
                          .C = C,
                          .OH = OH,
                          .OW = OW,
                          .Cout = N,
                          .kh = 3,
                          .kw = 3,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .pad_t = wc.pt,
                          .pad_l = wc.pl,
                          .groups = 1,
                          .x_stride = xs,
                          .y_stride = ys};
  REQUIRE(kern_winograd_f43_applies(&p));
  size_t packed_n = 0, scratch_n = 0;
  REQUIRE(kern_winograd_f43_packed_floats(cfg, &p, &packed_n));
  REQUIRE(kern_winograd_f43_scratch_floats(cfg, &p, &scratch_n));
  float *packed = alloc_floats((int64_t)packed_n), *scratch = alloc_floats((int64_t)scratch_n);
  REQUIRE(packed && scratch);
  kern_winograd_f43_pack(cfg, &p, w, packed);
  kern_epilogue e = {.accumulate = wc.accumulate,
                     .bias_n = wc.bias ? bias : NULL,
                     .residual = wc.residual ? res : NULL,
                     .ldr = ys,
                     .act = wc.act,
                     .act_lo = wc.lo,
                     .act_hi = wc.hi};
  /* Last band first: each call must stand alone. */
  if (wc.only_hi > 0)
    kern_winograd_f43(cfg, &p, x, packed, y, wc.only_lo, wc.only_hi, scratch, &e);
  else
    for (int b = nb - 1; b >= 0; b--)
      kern_winograd_f43(cfg, &p, x, packed, y, cuts[b], cuts[b + 1], scratch, &e);

  const double tol = 1e-3 * (maxabs > 0 ? maxabs : 1.0);
  int before = test_current_failed;
  for (int64_t i = 0; i < y_n && test_current_failed == before; i++) {
    const int64_t pix = i / ys, oh = pix / OW;
    /* Outside the computed rows or the channel slice: bit-exact (never written). */
    const bool computed = oh >= ref_oh0 && oh < ref_oh1 && i % ys < N;
    if (computed)
      CHECK_NEAR(expect[i], y[i], tol);
    else
      CHECK(memcmp(&expect[i], &y[i], sizeof(float)) == 0);
    if (test_current_failed != before)
      test_fail(__FILE__, __LINE__, "  ^ at pixel (%lld, %lld) channel %lld", (long long)oh,
                (long long)(pix % OW), (long long)(i % ys));
  }
  if (test_current_failed != before)
    test_fail(__FILE__, __LINE__,
              "  ^ in %s %lldx%lldx%lld -> %lldx%lldx%lld pads=%lld,%lld,%lld,%lld bands=%d",
              cfg->name, (long long)wc.H, (long long)wc.W, (long long)C, (long long)OH,
              (long long)OW, (long long)N, (long long)wc.pt, (long long)wc.pl, (long long)wc.pb,
              (long long)wc.pr, nb);
  free(x), free(w), free(bias), free(res), free(y), free(y0), free(expect), free(packed);
  free(scratch);
}

/* Every ISA this CPU runs (the generic path always). */
static void run_isas(wino_case wc, uint64_t seed) {
  for (int i = 0; i < KERN_ISA_COUNT; i++) {
    const kern_config *cfg = kern_test_config_of_loop((kern_isa)i);
    if (cfg) check_wino(cfg, wc, seed + (uint64_t)i);
  }
}

static const int64_t k_channels[] = {1, 3, 17, 64};
#define N_CHANNELS 4

TEST(test_winograd_applies_only_to_3x3_stride1_dilation1_groups1) {
  kern_conv2d_params p = {.H = 8,
                          .W = 8,
                          .C = 4,
                          .OH = 8,
                          .OW = 8,
                          .Cout = 4,
                          .kh = 3,
                          .kw = 3,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .pad_t = 1,
                          .pad_l = 1,
                          .groups = 1};
  CHECK(kern_winograd_f43_applies(&p));
  kern_conv2d_params q = p;
  q.sh = 2;
  CHECK(!kern_winograd_f43_applies(&q));
  q = p, q.dw = 2;
  CHECK(!kern_winograd_f43_applies(&q));
  q = p, q.kw = 5;
  CHECK(!kern_winograd_f43_applies(&q));
  q = p, q.groups = 2;
  CHECK(!kern_winograd_f43_applies(&q));
}

TEST(test_winograd_pad1_every_size_1_to_17) {
  dlf_rng r = dlf_rng_make(11);
  for (int64_t h = 1; h <= 17; h++) {
    int64_t wdt = 1 + (int64_t)(dlf_rng_next(&r) % 17);
    int64_t C = k_channels[dlf_rng_next(&r) % N_CHANNELS];
    int64_t N = k_channels[dlf_rng_next(&r) % N_CHANNELS];
    run_isas((wino_case){.H = h, .W = wdt, .C = C, .Cout = N, .pt = 1, .pl = 1, .pb = 1, .pr = 1},
             dlf_rng_next(&r));
  }
}

TEST(test_winograd_every_channel_pair) {
  dlf_rng r = dlf_rng_make(12);
  for (int i = 0; i < N_CHANNELS; i++)
    for (int j = 0; j < N_CHANNELS; j++)
      run_isas((wino_case){.H = 9,
                           .W = 10,
                           .C = k_channels[i],
                           .Cout = k_channels[j],
                           .pt = 1,
                           .pl = 1,
                           .pb = 1,
                           .pr = 1},
               dlf_rng_next(&r));
}

TEST(test_winograd_56x56_64ch_many_chunks) {
  run_isas((wino_case){.H = 56,
                       .W = 56,
                       .C = 64,
                       .Cout = 64,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .bias = true,
                       .act = KERN_ACT_RELU},
           13);
}

TEST(test_winograd_56x56_17_to_3_channels) {
  run_isas((wino_case){.H = 56, .W = 55, .C = 17, .Cout = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1},
           14);
}

TEST(test_winograd_pad0) {
  dlf_rng r = dlf_rng_make(15);
  for (int64_t h = 3; h <= 12; h += 3)
    run_isas((wino_case){.H = h, .W = h + 2, .C = 17, .Cout = 17}, dlf_rng_next(&r));
}

TEST(test_winograd_asymmetric_pads) {
  run_isas((wino_case){.H = 11, .W = 9, .C = 3, .Cout = 17, .pt = 0, .pl = 2, .pb = 2, .pr = 0},
           16);
  run_isas((wino_case){.H = 7, .W = 13, .C = 17, .Cout = 64, .pt = 2, .pl = 0, .pb = 1, .pr = 2},
           17);
}

TEST(test_winograd_bands_start_and_end_mid_tile) {
  run_isas((wino_case){.H = 17,
                       .W = 13,
                       .C = 17,
                       .Cout = 17,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .cuts = {1, 3, 6, 7, 13, 17}},
           18);
}

TEST(test_winograd_band_leaves_other_rows_untouched) {
  run_isas((wino_case){.H = 15,
                       .W = 11,
                       .C = 3,
                       .Cout = 17,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .only_lo = 0,
                       .only_hi = 6},
           19);
  run_isas((wino_case){.H = 15,
                       .W = 11,
                       .C = 17,
                       .Cout = 3,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .accumulate = true,
                       .only_lo = 3,
                       .only_hi = 10},
           25);
}

TEST(test_winograd_bias_relu) {
  run_isas((wino_case){.H = 10,
                       .W = 9,
                       .C = 17,
                       .Cout = 64,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .bias = true,
                       .act = KERN_ACT_RELU},
           20);
}

TEST(test_winograd_bias_clip) {
  run_isas((wino_case){.H = 10,
                       .W = 9,
                       .C = 64,
                       .Cout = 17,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .bias = true,
                       .act = KERN_ACT_CLIP,
                       .lo = -0.5f,
                       .hi = 1.0f},
           21);
}

TEST(test_winograd_residual_accumulate_relu_bands) {
  run_isas((wino_case){.H = 13,
                       .W = 6,
                       .C = 17,
                       .Cout = 17,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .bias = true,
                       .residual = true,
                       .accumulate = true,
                       .act = KERN_ACT_RELU,
                       .cuts = {5, 9, 13}},
           22);
}

TEST(test_winograd_channel_slices) {
  run_isas((wino_case){.H = 9,
                       .W = 7,
                       .C = 17,
                       .Cout = 3,
                       .pt = 1,
                       .pl = 1,
                       .pb = 1,
                       .pr = 1,
                       .x_pad = 5,
                       .y_pad = 7,
                       .residual = true,
                       .cuts = {2, 9}},
           23);
}

TEST(test_winograd_random_shapes) {
  dlf_rng r = dlf_rng_make(24);
  for (int t = 0; t < 24; t++) {
    wino_case wc = {.H = 1 + (int64_t)(dlf_rng_next(&r) % 17),
                    .W = 1 + (int64_t)(dlf_rng_next(&r) % 17),
                    .C = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .Cout = k_channels[dlf_rng_next(&r) % N_CHANNELS],
                    .pt = (int64_t)(dlf_rng_next(&r) % 3),
                    .pl = (int64_t)(dlf_rng_next(&r) % 3),
                    .pb = (int64_t)(dlf_rng_next(&r) % 3),
                    .pr = (int64_t)(dlf_rng_next(&r) % 3),
                    .x_pad = (int64_t)(dlf_rng_next(&r) % 2) * 3,
                    .bias = dlf_rng_next(&r) % 2,
                    .residual = dlf_rng_next(&r) % 2,
                    .accumulate = dlf_rng_next(&r) % 2,
                    .act = (kern_act)(dlf_rng_next(&r) % 3),
                    .lo = -1.0f,
                    .hi = 2.0f};
    if (wc.H + wc.pt + wc.pb < 3) wc.pb = 3 - wc.H - wc.pt;
    if (wc.W + wc.pl + wc.pr < 3) wc.pr = 3 - wc.W - wc.pl;
    int64_t OH = wc.H + wc.pt + wc.pb - 2;
    int64_t cut = (int64_t)(dlf_rng_next(&r) % (uint64_t)OH);
    if (cut > 0) wc.cuts[0] = cut, wc.cuts[1] = OH;
    run_isas(wc, dlf_rng_next(&r));
  }
}

/* A config whose chunk budget is `per` floats per transformed position (chunk_bytes / 4 / 36)
 * and whose weights always count as streamed from DRAM: small layers then take the paths big
 * ones take on a real L2 (blocking() in winograd.c). */
static void run_isas_budget(wino_case wc, int64_t per, uint64_t seed) {
  for (int i = 0; i < KERN_ISA_COUNT; i++) {
    const kern_config *cfg = kern_test_config_of_loop((kern_isa)i);
    if (!cfg) continue;
    kern_config c = *cfg;
    c.winograd.chunk_bytes = per * 36 * (int64_t)sizeof(float);
    c.winograd.cached_bytes = 0;
    check_wino(&c, wc, seed + (uint64_t)i);
  }
}

/* 9 tiles, V + M of all of them past the budget at full width: slices of Cout (3 or 4, the
 * last narrower) with all 33 input channels in V. */
TEST(test_winograd_budget_slices_output_channels) {
  run_isas_budget((wino_case){.H = 11, .W = 9, .C = 33, .Cout = 100, .pt = 1, .pl = 1, .pb = 1,
                              .pr = 1, .bias = true, .residual = true, .accumulate = true,
                              .act = KERN_ACT_RELU, .cuts = {3, 6, 11}},
                  9 * (33 + 50), 30);
}

/* 150 input channels in two blocks (80 + 70) accumulated into M, all 20 outputs in M. */
TEST(test_winograd_budget_blocks_input_channels) {
  run_isas_budget((wino_case){.H = 11, .W = 9, .C = 150, .Cout = 20, .pt = 1, .pl = 1, .pb = 1,
                              .pr = 1, .x_pad = 3, .y_pad = 5, .bias = true, .residual = true,
                              .act = KERN_ACT_CLIP, .lo = -1.0f, .hi = 2.0f, .cuts = {5, 11}},
                  9 * 100, 31);
}

/* Nothing fits (fewer floats than C for even half a register tile): the smallest chunk, one
 * panel of Cout per slice. */
TEST(test_winograd_budget_nothing_fits) {
  run_isas_budget((wino_case){.H = 9, .W = 13, .C = 64, .Cout = 70, .pt = 1, .pl = 1, .pb = 1,
                              .pr = 1, .bias = true, .cuts = {4, 9}},
                  10, 32);
}
