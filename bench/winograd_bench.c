/* winograd_bench.c — single-thread time of the Winograd F(4x4, 3x3) kernel (kern_winograd_f43)
 * on the 3x3 layers of the design set (and of the models whose scratch issue 15 bounds), this
 * tree's kernel against a baseline build of winograd.c (A/B interleaved, medians), with each
 * side's per-thread scratch. Built and run by bench/kern_ab.sh winograd [--base REV] [-- ARGS]:
 * ARGS = [SHAPE [KIB]]: a shape index (-1 or absent: all) and the scratch allowance of the new
 * side (kern_conv2d_params.scratch_bytes, KiB; the engine gives half of the model's largest
 * layer I/O over the threads), then "flush" to start every call with the weights out of cache
 * (as in a whole model). Thread CPU time: the box is shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

#define ROUNDS 11        /* A/B rounds per shape; the order alternates every round */
#define TARGET_SEC 0.020 /* one timing: repeat the kernel for ~10 ms of CPU time */

/* The baseline (winograd.c at an older revision, kern_winograd_f43* renamed base_*). */
bool base_winograd_f43_scratch_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                      size_t *floats);
void base_winograd_f43(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                       const float *packed_w, float *y, int64_t oh0, int64_t oh1, float *scratch,
                       const kern_epilogue *epi);

typedef void (*wino_fn)(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                        const float *packed_w, float *y, int64_t oh0, int64_t oh1, float *scratch,
                        const kern_epilogue *epi);

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

/* With g_flush, every call starts with the caches cleared of the weights (a pass over
 * FLUSH_BYTES, not timed), as in a whole model, whose other layers' weights evict them. */
#define FLUSH_BYTES (96 << 20)
static float *g_flush;

static double time_one(wino_fn fn, const kern_config *cfg, const kern_conv2d_params *p,
                       const float *x, const float *w, float *y, float *scratch,
                       const kern_epilogue *e, int reps) {
  double t = 0;
  for (int i = 0; i < reps; i++) {
    if (g_flush)
      for (size_t k = 0; k < FLUSH_BYTES / sizeof(float); k += 16)
        g_flush[k] += 1.0f;
    double t0 = now();
    fn(cfg, p, x, w, y, 0, p->OH, scratch, e);
    t += now() - t0;
  }
  return t / reps;
}

typedef struct shape {
  const char *model;
  int64_t H, W, C, Cout; /* 3x3, stride 1, pad 1 */
} shape;

static const shape k_shapes[] = {
    {"resnet18/50", 56, 56, 64, 64},
    {"resnet18/50", 28, 28, 128, 128},
    {"resnet18/50", 14, 14, 256, 256},
    {"resnet18/50", 7, 7, 512, 512},
    {"vgg16", 224, 224, 64, 64},
    {"vgg16", 112, 112, 128, 128},
    {"vgg16", 56, 56, 256, 256},
    {"vgg16", 28, 28, 512, 512},
    {"vgg16", 14, 14, 512, 512},
    {"alexnet", 13, 13, 192, 384},
    {"alexnet", 13, 13, 384, 256},
    {"alexnet", 13, 13, 256, 256},
    {"googlenet", 56, 56, 64, 192},
    {"googlenet", 28, 28, 96, 128},
    {"googlenet", 28, 28, 128, 192},
    {"googlenet", 14, 14, 96, 208},
    {"googlenet", 14, 14, 160, 320},
    {"googlenet", 7, 7, 192, 384},
    {"squeezenet1_0", 54, 54, 16, 64},
    {"squeezenet1_0", 27, 27, 48, 192},
    {"squeezenet1_0", 13, 13, 64, 256},
    {"densenet121", 56, 56, 128, 32},
    {"densenet121", 14, 14, 128, 32},
    {"inception_v3", 147, 147, 32, 64},
    {"inception_v3", 35, 35, 64, 96},
    {"fcn_resnet50", 64, 80, 64, 64},
    {"fcn_resnet50", 32, 40, 128, 128},
    {"fcn_resnet50", 32, 40, 2048, 512},
    {"efficientnet_v2_s", 56, 56, 48, 192},
    {"efficientnet_v2_s", 28, 28, 64, 256},
};

static void *alloc_floats(size_t n) {
  return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
}

int main(int argc, char **argv) {
  int only = argc > 1 ? atoi(argv[1]) : -1;
  const int64_t allowance = argc > 2 ? atoll(argv[2]) * 1024 : 0;
  if (argc > 3 && !strcmp(argv[3], "flush")) g_flush = calloc(FLUSH_BYTES / sizeof(float), sizeof(float));
  const kern_config *cfg = kern_config_get();
  printf("| model | HxW C->Cout | base GFLOP/s | new GFLOP/s | new/base | base scratch KiB | new "
         "scratch KiB |\n|---|---|---|---|---|---|---|\n");
  for (int si = 0; si < (int)(sizeof k_shapes / sizeof k_shapes[0]); si++) {
    if (only >= 0 && si != only) continue;
    const shape sh = k_shapes[si];
    kern_conv2d_params p = {.H = sh.H,
                            .W = sh.W,
                            .C = sh.C,
                            .OH = sh.H,
                            .OW = sh.W,
                            .Cout = sh.Cout,
                            .kh = 3,
                            .kw = 3,
                            .sh = 1,
                            .sw = 1,
                            .dh = 1,
                            .dw = 1,
                            .pad_t = 1,
                            .pad_l = 1,
                            .groups = 1,
                            .scratch_bytes = allowance};
    size_t pf = 0, sfa = 0, sfb = 0;
    if (!kern_winograd_f43_packed_floats(cfg, &p, &pf) ||
        !base_winograd_f43_scratch_floats(cfg, &p, &sfa) ||
        !kern_winograd_f43_scratch_floats(cfg, &p, &sfb))
      return 1;
    const size_t nx = (size_t)(p.H * p.W * p.C), ny = (size_t)(p.OH * p.OW * p.Cout);
    float *x = alloc_floats(nx), *y = alloc_floats(ny), *b = alloc_floats((size_t)p.Cout);
    float *w = alloc_floats((size_t)(p.Cout * p.C * 9)), *packed = alloc_floats(pf);
    float *sa = alloc_floats(sfa), *sb = alloc_floats(sfb);
    for (size_t i = 0; i < nx; i++)
      x[i] = (float)((i * 7919) % 17) * 0.1f - 0.8f;
    for (int64_t i = 0; i < p.Cout * p.C * 9; i++)
      w[i] = (float)(i % 5) * 0.1f - 0.2f;
    for (int64_t i = 0; i < p.Cout; i++)
      b[i] = 0.01f * (float)i;
    kern_winograd_f43_pack(cfg, &p, w, packed);
    kern_epilogue e = {.bias_n = b, .act = KERN_ACT_RELU};
    const double flop = 2.0 * 9.0 * (double)p.C * (double)ny; /* direct-convolution flops */
    double t1 = time_one(kern_winograd_f43, cfg, &p, x, packed, y, sb, &e, 1);
    int reps = (int)(TARGET_SEC / (t1 > 1e-7 ? t1 : 1e-7)) + 1;
    double ga[ROUNDS], gb[ROUNDS], ratio[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      double ta, tb;
      if (r % 2) {
        tb = time_one(kern_winograd_f43, cfg, &p, x, packed, y, sb, &e, reps);
        ta = time_one(base_winograd_f43, cfg, &p, x, packed, y, sa, &e, reps);
      } else {
        ta = time_one(base_winograd_f43, cfg, &p, x, packed, y, sa, &e, reps);
        tb = time_one(kern_winograd_f43, cfg, &p, x, packed, y, sb, &e, reps);
      }
      ga[r] = flop / ta * 1e-9;
      gb[r] = flop / tb * 1e-9;
      ratio[r] = ta / tb;
    }
    printf("| %s | %lldx%lld %lld->%lld | %.1f | %.1f | %.3f | %.0f | %.0f |\n", sh.model,
           (long long)p.H, (long long)p.W, (long long)p.C, (long long)p.Cout, median(ga, ROUNDS),
           median(gb, ROUNDS), median(ratio, ROUNDS), (double)sfa * 4 / 1024,
           (double)sfb * 4 / 1024);
    fflush(stdout);
    free(x), free(y), free(b), free(w), free(packed), free(sa), free(sb);
  }
  return 0;
}
