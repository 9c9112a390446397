/* dwconv_bench.c — GFLOP/s of the depthwise NHWC kernels on layer shapes of the design set
 * (mobilenet_v2's 3x3, mnasnet1_0's and efficientnet_b0's 5x5, convnext_tiny's 7x7),
 * this tree's kernel against a baseline build of the same function (A/B interleaved, medians).
 * Built and run by bench/dwconv_bench.sh (which compiles the baseline from a git revision). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels_isa.h"

#define ROUNDS 15        /* A/B rounds per shape; the order alternates every round */
#define TARGET_SEC 0.002 /* one timing: repeat the kernel for ~2 ms of CPU time */

/* The baseline kernels (the same source at an older revision, symbols renamed). */
void base_dwconv2d_nhwc_avx2(const kern_conv2d_params *p, const float *x, const float *packed_w,
                             float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);
void base_dwconv2d_nhwc_avx512(const kern_conv2d_params *p, const float *x, const float *packed_w,
                               float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);

/* This thread's CPU time: on a shared 2-vCPU box wall time would measure the neighbours. */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Seconds per call of fn on the whole image (repeated to ~TARGET_SEC). */
static double time_one(kern_dwconv2d_fn fn, const kern_conv2d_params *p, const float *x,
                       const float *w, float *y, const kern_epilogue *e, int reps) {
  double t0 = now();
  for (int i = 0; i < reps; i++)
    fn(p, x, w, y, 0, p->OH, e);
  return (now() - t0) / reps;
}

typedef struct shape {
  int64_t C, H, s, k; /* channels, input H = W, stride, kernel (pad k / 2) */
} shape;

/* Design-set layers at 224x224 input: mobilenet_v2's 3x3; mnasnet1_0's / efficientnet_b0's
 * 5x5; convnext_tiny's 7x7. */
static const shape k_shapes[] = {{32, 112, 1, 3},  {96, 112, 2, 3},  {144, 56, 1, 3},
                                 {144, 56, 2, 3},  {192, 28, 1, 3},  {192, 28, 2, 3},
                                 {384, 14, 1, 3},  {576, 14, 1, 3},  {576, 14, 2, 3},
                                 {960, 7, 1, 3},   {72, 56, 2, 5},   {120, 28, 1, 5},
                                 {240, 28, 2, 5},  {480, 14, 1, 5},  {672, 14, 1, 5},
                                 {1152, 7, 1, 5},  {96, 56, 1, 7},   {192, 28, 1, 7},
                                 {384, 14, 1, 7},  {768, 7, 1, 7}};

int main(int argc, char **argv) {
  int only = argc > 1 ? atoi(argv[1]) : -1; /* optional: one shape index */
  struct {
    kern_isa isa;
    kern_dwconv2d_fn base, cur;
  } isas[] = {{KERN_ISA_AVX512, base_dwconv2d_nhwc_avx512, kern_dwconv2d_nhwc_avx512},
              {KERN_ISA_AVX2, base_dwconv2d_nhwc_avx2, kern_dwconv2d_nhwc_avx2}};
  printf("| isa | C x H x W, kernel, stride | base GFLOP/s | new GFLOP/s | new/base |\n");
  printf("|---|---|---|---|---|\n");
  for (int ii = 0; ii < 2; ii++) {
    if (!kern_config_for_isa(isas[ii].isa)) continue;
    for (int si = 0; si < (int)(sizeof k_shapes / sizeof k_shapes[0]); si++) {
      if (only >= 0 && si != only) continue;
      const shape sh = k_shapes[si];
      kern_conv2d_params p = {.H = sh.H,
                              .W = sh.H,
                              .C = sh.C,
                              .Cout = sh.C,
                              .kh = sh.k,
                              .kw = sh.k,
                              .sh = sh.s,
                              .sw = sh.s,
                              .dh = 1,
                              .dw = 1,
                              .pad_t = sh.k / 2,
                              .pad_l = sh.k / 2,
                              .groups = sh.C};
      p.OH = (p.H + 2 * (sh.k / 2) - sh.k) / sh.s + 1;
      p.OW = (p.W + 2 * (sh.k / 2) - sh.k) / sh.s + 1;
      const size_t nx = (size_t)(p.H * p.W * p.C), ny = (size_t)(p.OH * p.OW * p.C);
      /* 64-byte aligned like the engine's arena (RT_MEMPLAN_ALIGNMENT) and packed weights */
      float *x = aligned_alloc(64, (nx * sizeof(float) + 63) / 64 * 64);
      float *y = aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64);
      float *w = aligned_alloc(64, ((size_t)(sh.k * sh.k * p.C) * sizeof(float) + 63) / 64 * 64);
      float *b = aligned_alloc(64, ((size_t)p.C * sizeof(float) + 63) / 64 * 64);
      for (size_t i = 0; i < nx; i++)
        x[i] = (float)((i * 7919) % 17) * 0.1f - 0.8f;
      for (int64_t i = 0; i < sh.k * sh.k * p.C; i++)
        w[i] = (float)(i % 5) * 0.1f - 0.2f;
      for (int64_t i = 0; i < p.C; i++)
        b[i] = 0.01f * (float)i;
      /* the epilogue mobilenet_v2 runs: folded-BN bias + Relu6 */
      kern_epilogue e = {.bias_n = b, .act = KERN_ACT_CLIP, .act_lo = 0, .act_hi = 6};
      const double flop = 2.0 * (double)(sh.k * sh.k) * (double)ny;
      double t1 = time_one(isas[ii].cur, &p, x, w, y, &e, 3);
      int reps = (int)(TARGET_SEC / (t1 > 1e-7 ? t1 : 1e-7)) + 1;
      double ga[ROUNDS], gb[ROUNDS], ratio[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        double ta, tb;
        if (r % 2) {
          tb = time_one(isas[ii].cur, &p, x, w, y, &e, reps);
          ta = time_one(isas[ii].base, &p, x, w, y, &e, reps);
        } else {
          ta = time_one(isas[ii].base, &p, x, w, y, &e, reps);
          tb = time_one(isas[ii].cur, &p, x, w, y, &e, reps);
        }
        ga[r] = flop / ta * 1e-9;
        gb[r] = flop / tb * 1e-9;
        ratio[r] = ta / tb;
      }
      printf("| %s | %lldx%lldx%lld %lldx%lld s%lld | %.1f | %.1f | %.2f |\n",
             kern_isa_name(isas[ii].isa), (long long)p.C, (long long)p.H, (long long)p.W,
             (long long)sh.k, (long long)sh.k, (long long)sh.s, median(ga, ROUNDS),
             median(gb, ROUNDS), median(ratio, ROUNDS));
      fflush(stdout);
      free(x), free(y), free(w), free(b);
    }
  }
  return 0;
}
