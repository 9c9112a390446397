/* stem_bench.c — GFLOP/s of the first convolutions of the zoo CNNs (3 input channels):
 * im2col + packed SGEMM (kern_conv2d_nhwc, A) against the direct small-C kernel
 * (kern_conv2d_small_c, B), interleaved A/B/A/B, medians, 1 thread, every ISA this CPU runs;
 * and where A's time goes (the SGEMM alone on its im2col chunks; im2col = the rest).
 * Usage: stem_bench [isa] [--sweep] [--shape H C Cout k stride pad]
 *   --sweep: the resnet18 and vgg16 stems with C = 1..16 (the crossover max_c in config.c);
 *   --shape: one layer of that geometry (bias + relu) instead of the zoo's stems. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

#define ROUNDS 11        /* A/B rounds per shape; the order alternates every round */
#define TARGET_SEC 0.004 /* one timing: repeat the kernel for ~4 ms of CPU time */

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

typedef struct shape {
  const char *name;
  int64_t H, C, Cout, k, s, pad;
  kern_act act;
} shape;

/* The zoo's stems at 224x224 (bias + the activation each model applies). */
static const shape k_shapes[] = {
    {"resnet18 conv1 7x7/2", 224, 3, 64, 7, 2, 3, KERN_ACT_RELU},
    {"squeezenet1_0 conv1 7x7/2", 224, 3, 96, 7, 2, 0, KERN_ACT_RELU},
    {"alexnet conv1 11x11/4", 224, 3, 64, 11, 4, 2, KERN_ACT_RELU},
    {"vgg16 conv1_1 3x3/1", 224, 3, 64, 3, 1, 1, KERN_ACT_RELU},
    {"mobilenet_v2 conv0 3x3/2", 224, 3, 32, 3, 2, 1, KERN_ACT_CLIP},
};

typedef struct problem {
  const kern_config *cfg;
  kern_conv2d_params p;
  float *x, *y, *wg, *ws, *scratch, *bias;
  kern_epilogue e;
  int64_t K, chunk;
} problem;

static void run_a(const problem *q) {
  kern_conv2d_nhwc(q->cfg, &q->p, q->x, q->wg, q->y, 0, q->p.OH, q->scratch, &q->e);
}
static void run_b(const problem *q) {
  kern_conv2d_small_c(q->cfg, &q->p, q->x, q->ws, q->y, 0, q->p.OH, &q->e);
}
/* A's SGEMM alone: the same chunks of output pixels, on a scratch filled once. */
static void run_gemm(const problem *q) {
  const int64_t M = q->p.OH * q->p.OW;
  for (int64_t m0 = 0; m0 < M; m0 += q->chunk) {
    int64_t m = M - m0 < q->chunk ? M - m0 : q->chunk;
    kern_sgemm(q->cfg, m, q->p.Cout, q->K, q->scratch, q->K, q->wg, q->y + m0 * q->p.Cout,
               q->p.Cout, &q->e);
  }
}

static double time_one(void (*fn)(const problem *), const problem *q, int reps) {
  double t0 = now();
  for (int i = 0; i < reps; i++)
    fn(q);
  return (now() - t0) / reps;
}

static float *falloc(size_t n) { return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64); }

static void bench_shape(const kern_config *cfg, shape sh, bool breakdown) {
  problem q = {.cfg = cfg};
  kern_conv2d_params *p = &q.p;
  *p = (kern_conv2d_params){.H = sh.H,
                            .W = sh.H,
                            .C = sh.C,
                            .Cout = sh.Cout,
                            .kh = sh.k,
                            .kw = sh.k,
                            .sh = sh.s,
                            .sw = sh.s,
                            .dh = 1,
                            .dw = 1,
                            .pad_t = sh.pad,
                            .pad_l = sh.pad,
                            .groups = 1};
  p->OH = p->OW = (sh.H + 2 * sh.pad - sh.k) / sh.s + 1;
  const size_t nx = (size_t)(p->H * p->W * p->C), ny = (size_t)(p->OH * p->OW * p->Cout);
  const size_t nw = (size_t)(sh.Cout * sh.C * sh.k * sh.k);
  size_t ng = 0, ns = 0, nsc = 0;
  if (!kern_conv2d_nhwc_packed_floats(cfg, p, &ng) || !kern_conv2d_small_c_packed_floats(p, &ns) ||
      !kern_conv2d_nhwc_scratch_floats(cfg, p, &nsc))
    return;
  float *w = falloc(nw), *y2 = falloc(ny);
  q.x = falloc(nx), q.y = falloc(ny), q.wg = falloc(ng), q.ws = falloc(ns);
  q.scratch = falloc(nsc), q.bias = falloc((size_t)sh.Cout);
  for (size_t i = 0; i < nx; i++)
    q.x[i] = (float)((i * 7919) % 17) * 0.1f - 0.8f;
  for (size_t i = 0; i < nw; i++)
    w[i] = (float)((i * 31) % 11) * 0.02f - 0.1f;
  for (int64_t i = 0; i < sh.Cout; i++)
    q.bias[i] = 0.01f * (float)i;
  for (size_t i = 0; i < nsc; i++)
    q.scratch[i] = 0.5f;
  kern_conv2d_nhwc_pack(cfg, p, w, q.wg);
  kern_conv2d_small_c_pack(p, w, q.ws);
  q.e = (kern_epilogue){.bias_n = q.bias, .act = sh.act, .act_lo = 0, .act_hi = 6};
  q.K = sh.k * sh.k * sh.C;
  /* kern_conv2d_nhwc's chunk (conv_nhwc.c chunk_pixels): nsc = chunk * K */
  q.chunk = (int64_t)nsc / q.K;

  /* The two agree (rounding order differs): max |A - B| relative to max |A|. */
  run_a(&q);
  memcpy(y2, q.y, ny * sizeof(float));
  memset(q.y, 0xff, ny * sizeof(float)); /* NaN: B must write every output */
  run_b(&q);
  double maxd = 0, maxa = 0;
  for (size_t i = 0; i < ny; i++) {
    double d = y2[i] - q.y[i], a = y2[i] < 0 ? -y2[i] : y2[i];
    if (d < 0) d = -d;
    if (d != d) d = 1e30;
    if (d > maxd) maxd = d;
    if (a > maxa) maxa = a;
  }

  const double flop = 2.0 * (double)ny * (double)q.K;
  double t1 = time_one(run_a, &q, 1);
  int reps = (int)(TARGET_SEC / (t1 > 1e-7 ? t1 : 1e-7)) + 1;
  double ta[ROUNDS], tb[ROUNDS], tg[ROUNDS], ratio[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    if (r % 2) {
      tb[r] = time_one(run_b, &q, reps);
      ta[r] = time_one(run_a, &q, reps);
    } else {
      ta[r] = time_one(run_a, &q, reps);
      tb[r] = time_one(run_b, &q, reps);
    }
    tg[r] = breakdown ? time_one(run_gemm, &q, reps) : 0;
    ratio[r] = ta[r] / tb[r];
  }
  double ma = median(ta, ROUNDS), mb = median(tb, ROUNDS), mg = median(tg, ROUNDS);
  printf("| %s | %s C=%lld | %.3f | %.1f | %.3f | %.1f | **%.2f** |", cfg->name, sh.name,
         (long long)sh.C, ma * 1e3, flop / ma * 1e-9, mb * 1e3, flop / mb * 1e-9,
         median(ratio, ROUNDS));
  if (breakdown)
    printf(" %.3f (%.0f%%) / %.3f (%.0f GFLOP/s) |", (ma - mg) * 1e3, 100 * (ma - mg) / ma,
           mg * 1e3, flop / mg * 1e-9);
  printf(" %.1e |\n", maxa > 0 ? maxd / maxa : maxd);
  fflush(stdout);
  free(w), free(y2), free(q.x), free(q.y), free(q.wg), free(q.ws), free(q.scratch), free(q.bias);
}

int main(int argc, char **argv) {
  const char *only = NULL;
  bool sweep = false, one = false;
  shape custom = {"custom", 0, 0, 0, 0, 0, 0, KERN_ACT_RELU};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--sweep")) {
      sweep = true;
    } else if (!strcmp(argv[i], "--shape") && i + 6 < argc) {
      one = true;
      custom.H = atoll(argv[i + 1]), custom.C = atoll(argv[i + 2]);
      custom.Cout = atoll(argv[i + 3]), custom.k = atoll(argv[i + 4]);
      custom.s = atoll(argv[i + 5]), custom.pad = atoll(argv[i + 6]);
      i += 6;
    } else {
      only = argv[i];
    }
  }
  printf("| isa | layer | A im2col+sgemm ms | A GFLOP/s | B direct ms | B GFLOP/s | A/B |%s max "
         "rel diff |\n",
         sweep ? "" : " A: im2col ms / sgemm ms |");
  printf("|---|---|---|---|---|---|---|%s---|\n", sweep ? "" : "---|");
  for (int isa = KERN_ISA_COUNT - 1; isa >= 0; isa--) {
    const kern_config *cfg = kern_config_for_isa((kern_isa)isa);
    if (!cfg || (only && strcmp(only, cfg->name))) continue;
    if (one) {
      bench_shape(cfg, custom, true);
      continue;
    }
    if (sweep) {
      static const int64_t cs[] = {1, 2, 3, 4, 6, 8, 12, 16};
      for (int i = 0; i < (int)(sizeof cs / sizeof cs[0]); i++) {
        shape sh = k_shapes[0];
        sh.C = cs[i];
        bench_shape(cfg, sh, false);
        sh = k_shapes[3];
        sh.C = cs[i];
        bench_shape(cfg, sh, false);
      }
      continue;
    }
    for (int s = 0; s < (int)(sizeof k_shapes / sizeof k_shapes[0]); s++)
      bench_shape(cfg, k_shapes[s], true);
  }
  return 0;
}
