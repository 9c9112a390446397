/* test_kernels_conv_small.c — the direct small-input-channel NHWC convolution
 * (kern_conv2d_small_c) on every ISA path this CPU runs, against a naive NHWC reference. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "graph_builder.h"
#include "ir/ref_exec.h"
#include "kernels/kernels.h"
#include "op_harness.h"
#include "plan/plan.h"
#include "runtime/engine_internal.h"
#include "test.h"
#include "test_kernels_isa.h"

typedef struct sc_case {
  int64_t N, H, W, C, Cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t x_pad, y_pad; /* extra floats per pixel: x and y as channel slices of wider buffers */
  bool bias, residual, accumulate;
  kern_act act;
  float lo, hi;
  bool ints; /* small-integer inputs: the result is exact whatever the summation order */
  int bands; /* output rows split into this many bands at random rows (>= 1) */
} sc_case;

static float draw(dlf_rng *r, bool ints) {
  return ints ? (float)((int)(dlf_rng_next(r) % 9) - 4) : dlf_rng_range(r, -1.0f, 1.0f);
}

static float ref_act(kern_act act, float lo, float hi, float x) {
  if (act == KERN_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (act == KERN_ACT_CLIP) return x < lo ? lo : (x > hi ? hi : x);
  return x;
}

static float *alloc_floats(int64_t n) { return malloc(sizeof(float) * (size_t)(n + 1)); }

static const kern_config *config_or_skip(kern_isa isa) { return kern_test_config(isa); }

/* Runs cc through kern_conv2d_small_c of cfg (called directly, whatever max_c says) and
 * compares with a double-accumulation direct convolution of the OIHW weights. */
static void check_small_c(const kern_config *cfg, sc_case cc, uint64_t seed) {
  if (cc.sh < 1) cc.sh = 1;
  if (cc.sw < 1) cc.sw = 1;
  if (cc.dh < 1) cc.dh = 1;
  if (cc.dw < 1) cc.dw = 1;
  if (cc.N < 1) cc.N = 1;
  if (cc.bands < 1) cc.bands = 1;
  const int64_t OH = (cc.H + cc.pt + cc.pb - cc.dh * (cc.kh - 1) - 1) / cc.sh + 1;
  const int64_t OW = (cc.W + cc.pl + cc.pr - cc.dw * (cc.kw - 1) - 1) / cc.sw + 1;
  REQUIRE(OH >= 1 && OW >= 1);
  const int64_t C = cc.C, xs = cc.C + cc.x_pad, ys = cc.Cout + cc.y_pad;
  const int64_t x_img = cc.H * cc.W * xs, y_img = OH * OW * ys, nw = cc.Cout * C * cc.kh * cc.kw;
  dlf_rng rng = dlf_rng_make(seed);
  float *x = alloc_floats(cc.N * x_img), *w = alloc_floats(nw), *bias = alloc_floats(cc.Cout);
  float *res = alloc_floats(cc.N * y_img), *y = alloc_floats(cc.N * y_img);
  float *y0 = alloc_floats(cc.N * y_img), *expect = alloc_floats(cc.N * y_img);
  REQUIRE(x && w && bias && res && y && y0 && expect);
  for (int64_t i = 0; i < cc.N * x_img; i++)
    x[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < nw; i++)
    w[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < cc.Cout; i++)
    bias[i] = draw(&rng, cc.ints);
  for (int64_t i = 0; i < cc.N * y_img; i++) {
    res[i] = draw(&rng, cc.ints);
    y0[i] = draw(&rng, cc.ints);
  }
  memcpy(y, y0, sizeof(float) * (size_t)(cc.N * y_img));
  memcpy(expect, y0, sizeof(float) * (size_t)(cc.N * y_img)); /* pixel padding stays as is */

  for (int64_t n = 0; n < cc.N; n++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++)
        for (int64_t co = 0; co < cc.Cout; co++) {
          const int64_t yi = n * y_img + (oh * OW + ow) * ys + co;
          double s = cc.accumulate ? y0[yi] : 0.0;
          for (int64_t ki = 0; ki < cc.kh; ki++)
            for (int64_t kj = 0; kj < cc.kw; kj++) {
              int64_t ih = oh * cc.sh - cc.pt + ki * cc.dh, iw = ow * cc.sw - cc.pl + kj * cc.dw;
              if (ih < 0 || ih >= cc.H || iw < 0 || iw >= cc.W) continue;
              for (int64_t ci = 0; ci < C; ci++)
                s += (double)x[n * x_img + (ih * cc.W + iw) * xs + ci] *
                     w[((co * C + ci) * cc.kh + ki) * cc.kw + kj];
            }
          if (cc.bias) s += bias[co];
          if (cc.residual) s += res[yi];
          expect[yi] = ref_act(cc.act, cc.lo, cc.hi, (float)s);
        }

  kern_conv2d_params p = {.H = cc.H,
                          .W = cc.W,
                          .C = C,
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
                          .groups = 1,
                          .x_stride = xs,
                          .y_stride = ys};
  size_t packed_n = 0;
  REQUIRE(kern_conv2d_small_c_packed_floats(&p, &packed_n));
  float *packed = alloc_floats((int64_t)packed_n);
  REQUIRE(packed);
  kern_conv2d_small_c_pack(&p, w, packed);
  for (int64_t n = 0; n < cc.N; n++) {
    kern_epilogue e = {.accumulate = cc.accumulate,
                       .bias_n = cc.bias ? bias : NULL,
                       .residual = cc.residual ? res + n * y_img : NULL,
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
    for (int b = nb - 1; b >= 0; b--)
      cfg->conv_small_c.fn(&p, x + n * x_img, packed, y + n * y_img, cuts[b], cuts[b + 1], &e);
  }

  int before = test_current_failed;
  if (cc.ints)
    CHECK_FLOATS(expect, y, cc.N * y_img, 0.0, 0.0);
  else
    CHECK_FLOATS(expect, y, cc.N * y_img, 1e-4, 1e-4);
  if (test_current_failed != before)
    test_fail(__FILE__, __LINE__,
              "  ^ in %s N=%lld %lldx%lldx%lld -> %lldx%lldx%lld k=%lldx%lld s=%lld,%lld "
              "d=%lld,%lld pads=%lld,%lld,%lld,%lld xpad=%lld ypad=%lld bands=%d",
              cfg->name, (long long)cc.N, (long long)cc.H, (long long)cc.W, (long long)C,
              (long long)OH, (long long)OW, (long long)cc.Cout, (long long)cc.kh, (long long)cc.kw,
              (long long)cc.sh, (long long)cc.sw, (long long)cc.dh, (long long)cc.dw,
              (long long)cc.pt, (long long)cc.pl, (long long)cc.pb, (long long)cc.pr,
              (long long)cc.x_pad, (long long)cc.y_pad, cc.bands);
  free(x), free(w), free(bias), free(res), free(y), free(y0), free(expect), free(packed);
}

/* Cout around every vector width and chunk split: 1, 5 (< 1 vector), 16, 17, 31, 48, 64,
 * 70, 96 (3 + 3 zmm), 100. */
static const int64_t k_couts[] = {1, 5, 16, 17, 31, 48, 64, 70, 96, 100};
#define N_COUTS ((int)(sizeof k_couts / sizeof k_couts[0]))

/* Random shapes: C 1..8, kernel 1..11, stride 1..4, dilation 1..2, pads up to the kernel,
 * widths so that tiles of every size and single border pixels occur, slices, bands, batch 2,
 * every epilogue. */
static void run_random(kern_isa isa, bool ints, int n_cases, uint64_t seed) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  dlf_rng r = dlf_rng_make(seed + (uint64_t)isa * 101);
  for (int t = 0; t < n_cases; t++) {
    sc_case cc = {.N = 1 + (int64_t)(dlf_rng_next(&r) % 2),
                  .C = 1 + (int64_t)(dlf_rng_next(&r) % 8),
                  .Cout = k_couts[dlf_rng_next(&r) % N_COUTS],
                  .kh = 1 + (int64_t)(dlf_rng_next(&r) % 11),
                  .kw = 1 + (int64_t)(dlf_rng_next(&r) % 11),
                  .sh = 1 + (int64_t)(dlf_rng_next(&r) % 4),
                  .sw = 1 + (int64_t)(dlf_rng_next(&r) % 4),
                  .dh = 1 + (int64_t)(dlf_rng_next(&r) % 4 == 0),
                  .dw = 1 + (int64_t)(dlf_rng_next(&r) % 4 == 0),
                  .x_pad = dlf_rng_next(&r) % 4 == 0 ? 1 + (int64_t)(dlf_rng_next(&r) % 5) : 0,
                  .y_pad = dlf_rng_next(&r) % 4 == 0 ? 1 + (int64_t)(dlf_rng_next(&r) % 5) : 0,
                  .bias = dlf_rng_next(&r) % 2,
                  .residual = dlf_rng_next(&r) % 3 == 0,
                  .accumulate = dlf_rng_next(&r) % 4 == 0,
                  .act = (kern_act)(dlf_rng_next(&r) % 3),
                  .lo = -3,
                  .hi = 4,
                  .ints = ints,
                  .bands = 1 + (int)(dlf_rng_next(&r) % 4)};
    cc.pt = (int64_t)(dlf_rng_next(&r) % (uint64_t)cc.kh);
    cc.pb = (int64_t)(dlf_rng_next(&r) % (uint64_t)cc.kh);
    cc.pl = (int64_t)(dlf_rng_next(&r) % (uint64_t)cc.kw);
    cc.pr = (int64_t)(dlf_rng_next(&r) % (uint64_t)cc.kw);
    cc.H = cc.dh * (cc.kh - 1) + 1 + (int64_t)(dlf_rng_next(&r) % 14);
    cc.W = cc.dw * (cc.kw - 1) + 1 + (int64_t)(dlf_rng_next(&r) % 40);
    if (cc.bias && cc.ints) cc.lo = -20, cc.hi = 30;
    check_small_c(cfg, cc, dlf_rng_next(&r));
  }
}

/* The zoo's stems, shrunk in height (the width keeps the real row: every tile size occurs). */
static void run_stems(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  const sc_case stems[] = {
      /* resnet18 conv1: 7x7/2 pad 3, 3 -> 64 */
      {.H = 20,
       .W = 224,
       .C = 3,
       .Cout = 64,
       .kh = 7,
       .kw = 7,
       .sh = 2,
       .sw = 2,
       .pt = 3,
       .pl = 3,
       .pb = 3,
       .pr = 3,
       .bias = true,
       .act = KERN_ACT_RELU,
       .ints = true,
       .bands = 3},
      /* squeezenet1_0 conv1: 7x7/2 no pad, 3 -> 96 */
      {.H = 17,
       .W = 224,
       .C = 3,
       .Cout = 96,
       .kh = 7,
       .kw = 7,
       .sh = 2,
       .sw = 2,
       .bias = true,
       .act = KERN_ACT_RELU,
       .ints = true,
       .bands = 2},
      /* alexnet conv1: 11x11/4 pad 2, 3 -> 64 */
      {.H = 31,
       .W = 224,
       .C = 3,
       .Cout = 64,
       .kh = 11,
       .kw = 11,
       .sh = 4,
       .sw = 4,
       .pt = 2,
       .pl = 2,
       .pb = 2,
       .pr = 2,
       .bias = true,
       .act = KERN_ACT_RELU,
       .ints = true},
      /* vgg16 conv1_1: 3x3/1 pad 1, 3 -> 64 */
      {.N = 2,
       .H = 9,
       .W = 224,
       .C = 3,
       .Cout = 64,
       .kh = 3,
       .kw = 3,
       .pt = 1,
       .pl = 1,
       .pb = 1,
       .pr = 1,
       .bias = true,
       .act = KERN_ACT_RELU,
       .ints = true,
       .bands = 4},
      /* mobilenet_v2 conv0: 3x3/2 pad 1, 3 -> 32, Relu6 */
      {.H = 15,
       .W = 224,
       .C = 3,
       .Cout = 32,
       .kh = 3,
       .kw = 3,
       .sh = 2,
       .sw = 2,
       .pt = 1,
       .pl = 1,
       .pb = 1,
       .pr = 1,
       .bias = true,
       .act = KERN_ACT_CLIP,
       .lo = 0,
       .hi = 6,
       .ints = true},
  };
  for (int i = 0; i < (int)(sizeof stems / sizeof stems[0]); i++)
    check_small_c(cfg, stems[i], 200 + (uint64_t)i);
}

/* Every Cout of the list on a 7x7/2 pad 3 layer with odd sizes (the masked last vector). */
static void run_couts(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  for (int i = 0; cfg && i < N_COUTS; i++)
    check_small_c(cfg,
                  (sc_case){.H = 13,
                            .W = 29,
                            .C = 3,
                            .Cout = k_couts[i],
                            .kh = 7,
                            .kw = 7,
                            .sh = 2,
                            .sw = 2,
                            .pt = 3,
                            .pl = 3,
                            .pb = 3,
                            .pr = 3,
                            .bias = true,
                            .residual = true,
                            .act = KERN_ACT_RELU,
                            .ints = true},
                  300 + (uint64_t)i);
}

/* Padding wider than the input's reach: whole output rows and columns see no input pixel
 * (only the epilogue), and a kernel wider than the input. */
static void run_all_padding(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  check_small_c(cfg,
                (sc_case){.H = 3,
                          .W = 4,
                          .C = 2,
                          .Cout = 20,
                          .kh = 3,
                          .kw = 3,
                          .pt = 4,
                          .pl = 5,
                          .pb = 4,
                          .pr = 5,
                          .bias = true,
                          .act = KERN_ACT_CLIP,
                          .lo = -1,
                          .hi = 2,
                          .ints = true},
                400);
  check_small_c(cfg,
                (sc_case){.H = 5,
                          .W = 3,
                          .C = 3,
                          .Cout = 33,
                          .kh = 5,
                          .kw = 9,
                          .pt = 2,
                          .pl = 4,
                          .pb = 2,
                          .pr = 4,
                          .residual = true,
                          .ints = true,
                          .bands = 2},
                401);
}

/* A band writes its rows and nothing else (the fused engine's tiles rely on it). */
static void run_band_writes_only_its_rows(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  const int64_t H = 12, W = 10, C = 3, Cout = 24, OH = 12, OW = 10;
  kern_conv2d_params p = {.H = H,
                          .W = W,
                          .C = C,
                          .OH = OH,
                          .OW = OW,
                          .Cout = Cout,
                          .kh = 3,
                          .kw = 3,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .pad_t = 1,
                          .pad_l = 1,
                          .groups = 1};
  size_t pn = 0;
  REQUIRE(kern_conv2d_small_c_packed_floats(&p, &pn));
  float *x = alloc_floats(H * W * C), *w = alloc_floats(Cout * C * 9),
        *packed = alloc_floats((int64_t)pn);
  float *y = alloc_floats(OH * OW * Cout);
  REQUIRE(x && w && packed && y);
  for (int64_t i = 0; i < H * W * C; i++)
    x[i] = 1.0f;
  for (int64_t i = 0; i < Cout * C * 9; i++)
    w[i] = 1.0f;
  kern_conv2d_small_c_pack(&p, w, packed);
  for (int64_t i = 0; i < OH * OW * Cout; i++)
    y[i] = -7.0f;
  cfg->conv_small_c.fn(&p, x, packed, y, 4, 7, NULL);
  int bad = 0;
  for (int64_t oh = 0; oh < OH; oh++)
    for (int64_t i = 0; i < OW * Cout; i++) {
      const float v = y[oh * OW * Cout + i];
      const int64_t ow = i / Cout;
      /* inside the band: 3 channels x (3 rows) x (3 columns, 2 at the left/right edge) */
      const float want = oh < 4 || oh >= 7 ? -7.0f : (ow == 0 || ow == OW - 1 ? 18.0f : 27.0f);
      bad += v != want;
    }
  CHECK_INT(bad, 0);
  free(x), free(w), free(packed), free(y);
}

static void check_applies(kern_isa isa) {
  const kern_config *cfg = config_or_skip(isa);
  if (!cfg) return;
  kern_conv2d_params p = {.H = 8,
                          .W = 8,
                          .C = 3,
                          .OH = 8,
                          .OW = 8,
                          .Cout = 64,
                          .kh = 3,
                          .kw = 3,
                          .sh = 1,
                          .sw = 1,
                          .dh = 1,
                          .dw = 1,
                          .groups = 1};
  CHECK(kern_conv2d_small_c_applies(cfg, &p));
  p.groups = 3, p.Cout = 63;
  CHECK(!kern_conv2d_small_c_applies(cfg, &p)); /* grouped: not this kernel */
  p.groups = 1, p.C = cfg->conv_small_c.max_c + 1;
  CHECK(!kern_conv2d_small_c_applies(cfg, &p)); /* past the measured crossover */
}

#define SMALL_C_TESTS(isa, ISA)                                                                    \
  TEST(test_conv_small_c_##isa##_zoo_stems) { run_stems(ISA); }                                    \
  TEST(test_conv_small_c_##isa##_cout_not_multiple_of_vector) { run_couts(ISA); }                  \
  TEST(test_conv_small_c_##isa##_rows_and_columns_all_padding) { run_all_padding(ISA); }           \
  TEST(test_conv_small_c_##isa##_band_writes_only_its_rows) {                                      \
    run_band_writes_only_its_rows(ISA);                                                            \
  }                                                                                                \
  TEST(test_conv_small_c_##isa##_random_shapes_exact) { run_random(ISA, true, 60, 0x5c); }         \
  TEST(test_conv_small_c_##isa##_random_floats_rel_1e4) { run_random(ISA, false, 30, 0x5d); }      \
  TEST(test_conv_small_c_##isa##_applies_only_to_ungrouped_small_c) { check_applies(ISA); }

SMALL_C_TESTS(generic, KERN_ISA_GENERIC)
SMALL_C_TESTS(avx2, KERN_ISA_AVX2)
SMALL_C_TESTS(avx512, KERN_ISA_AVX512)

/* ---- in the engine: a stem in unfused and fused plans, batch 2 ---- */

/* plan p with all layers in block 0 (tile_rows, cores), algorithms left to the engine. */
static plan *whole_graph_block(const ir_graph *g, int cores, int tile_rows) {
  plan *p;
  if (plan_unfused(g, NULL, cores, &p) != DLF_OK) return NULL;
  const int n = p->n_blocks;
  plan_block *b = &p->blocks[0];
  b->layers = realloc(b->layers, sizeof *b->layers * (size_t)n);
  b->algo = realloc(b->algo, sizeof *b->algo * (size_t)n);
  for (int l = 0; l < n; l++) {
    b->layers[l] = l;
    b->algo[l] = PLAN_ALGO_AUTO;
  }
  for (int k = 1; k < n; k++) {
    free(p->blocks[k].layers);
    free(p->blocks[k].algo);
  }
  b->n_layers = n, b->cores = cores, b->tile_rows = tile_rows;
  p->n_blocks = 1;
  return p;
}

/* x [2, 3, 29, 31] -> Conv 7x7/2 pad 3 (3 -> 20, relu) -> MaxPool 3x3/2 -> Conv 3x3 pad 1
 * (20 -> 16): the stem runs the direct kernel (checked), unfused on 1 and 2 threads and
 * fused with every tile height, on every ISA; outputs match the reference executor. */
TEST(test_conv_small_c_engine_stem_unfused_and_fused_batch2) {
  eg b = eg_begin();
  const int64_t xd[4] = {2, 3, 29, 31}, pad3[4] = {3, 3, 3, 3}, pad1[4] = {1, 1, 1, 1};
  int x = eg_input(&b, 4, xd), y1, y2, y3;
  int stem = eg_conv(&b, x, 3, 20, 7, 2, pad3, 1, &y1);
  b.g->nodes[stem].act = IR_ACT_RELU;
  int mp = eg_node(&b, IR_OP_MAXPOOL, 1, &y1, &y2);
  const int64_t k[2] = {3, 3}, st[2] = {2, 2};
  ir_node_set_ints(&b.g->nodes[mp], "kernel_shape", k, 2);
  ir_node_set_ints(&b.g->nodes[mp], "strides", st, 2);
  eg_conv(&b, y2, 20, 16, 3, 1, pad1, 1, &y3);
  eg_output(&b, y3);
  ir_graph *g = b.g;
  REQUIRE_OK(ir_graph_infer_shapes(g));
  REQUIRE_OK(ir_graph_toposort(g));
  const int64_t ni = ir_tensor_numel(&g->tensors[g->inputs[0]]);
  const int64_t no = ir_tensor_numel(&g->tensors[g->outputs[0]]);
  const int64_t H = g->tensors[y1].dims[2];
  float *in = th_random(77, ni, -2, 2), *want = calloc((size_t)no, sizeof(float));
  float *got = calloc((size_t)no, sizeof(float));
  REQUIRE(in && want && got);
  const void *inputs[1] = {in};
  void *outputs[1] = {want};
  ir_ref_exec *rx;
  REQUIRE_OK(ir_ref_exec_create(g, &rx));
  REQUIRE_OK(ir_ref_exec_run(rx, inputs, outputs));
  ir_ref_exec_free(rx);
  outputs[0] = got;
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_test_config_of_loop((kern_isa)isa);
    if (!cfg) continue;
    for (int h = -2; h <= H + 1; h++) { /* -2, -1: unfused on 1, 2 threads; else fused */
      plan *p = h < 0 ? NULL : whole_graph_block(g, 2, h);
      REQUIRE(h < 0 || p);
      rt_engine_options o = {h == -2 ? 1 : 2, cfg, -1, false, p};
      rt_engine *e;
      REQUIRE_OK(rt_engine_create(g, &o, &e));
      bool direct = false;
      for (int i = 0; i < e->n_steps; i++)
        if (e->steps[i].node == stem) direct = e->steps[i].algo == PLAN_ALGO_DIRECT;
      CHECK(direct);
      memset(got, 0xff, (size_t)no * sizeof(float));
      CHECK_OK(rt_engine_run(e, inputs, outputs, NULL, NULL));
      int before = test_current_failed;
      CHECK_FLOATS(want, got, no, 1e-4, 1e-4);
      if (test_current_failed != before)
        test_fail(__FILE__, __LINE__, "  ^ %s, %s", cfg->name,
                  h == -2   ? "unfused 1 thread"
                  : h == -1 ? "unfused 2 threads"
                            : "fused");
      rt_engine_free(e);
      if (p) plan_free(p);
    }
  }
  free(in), free(want), free(got);
  ir_graph_free(g);
}
