/* maxpool_bench.c — GB/s of the NHWC max pool kernels on squeezenet1_0's pool shapes (3x3 s2,
 * ceil_mode), this tree's kernels against a baseline build (A/B interleaved, medians). Built and
 * run by bench/kern_ab.sh maxpool (the baseline: pool_nhwc_{generic,avx512}.c at a git revision;
 * AVX2 had no max pool of its own, so its baseline is the generic C it used). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels_isa.h"

#define ROUNDS 15        /* A/B rounds per shape; the order alternates every round */
#define TARGET_SEC 0.002 /* one timing: repeat the kernel for ~2 ms of CPU time */

void base_maxpool2d_nhwc_generic(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                 int64_t oh1);
void base_maxpool2d_nhwc_avx512(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                int64_t oh1);

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
static double time_one(kern_pool2d_fn fn, const kern_pool2d_params *p, const float *x, float *y,
                       int reps) {
  double t0 = now();
  for (int i = 0; i < reps; i++)
    fn(p, x, y, 0, p->OH);
  return (now() - t0) / reps;
}

/* squeezenet1_0's max pools: 3x3 stride 2, no pads, ceil_mode (OH = ceil((H - 3) / 2) + 1). */
static const int64_t k_shapes[][2] = {{96, 109}, {256, 54}, {512, 27}};

int main(void) {
  struct {
    kern_isa isa;
    kern_pool2d_fn base, cur;
  } isas[] = {{KERN_ISA_AVX512, base_maxpool2d_nhwc_avx512, kern_maxpool2d_nhwc_avx512},
              {KERN_ISA_AVX2, base_maxpool2d_nhwc_generic, kern_maxpool2d_nhwc_avx2}};
  printf("| isa | C x H x W -> OH x OW | base ms | new ms | base GB/s | new GB/s | new/base |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (int ii = 0; ii < 2; ii++) {
    if (!kern_config_for_isa(isas[ii].isa)) continue;
    for (int si = 0; si < 3; si++) {
      const int64_t C = k_shapes[si][0], H = k_shapes[si][1], O = (H - 3 + 1) / 2 + 1;
      kern_pool2d_params p = {.H = H,
                              .W = H,
                              .C = C,
                              .OH = O,
                              .OW = O,
                              .kh = 3,
                              .kw = 3,
                              .sh = 2,
                              .sw = 2,
                              .dh = 1,
                              .dw = 1};
      const size_t nx = (size_t)(H * H * C), ny = (size_t)(O * O * C);
      float *x = aligned_alloc(64, (nx * sizeof(float) + 63) / 64 * 64);
      float *y = aligned_alloc(64, (ny * sizeof(float) + 63) / 64 * 64);
      for (size_t i = 0; i < nx; i++)
        x[i] = (float)((i * 7919) % 17) * 0.1f - 0.8f;
      const double bytes = (double)(nx + ny) * sizeof(float);
      double t1 = time_one(isas[ii].cur, &p, x, y, 3);
      int reps = (int)(TARGET_SEC / (t1 > 1e-7 ? t1 : 1e-7)) + 1;
      double ta[ROUNDS], tb[ROUNDS], ratio[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        if (r % 2) {
          tb[r] = time_one(isas[ii].cur, &p, x, y, reps);
          ta[r] = time_one(isas[ii].base, &p, x, y, reps);
        } else {
          ta[r] = time_one(isas[ii].base, &p, x, y, reps);
          tb[r] = time_one(isas[ii].cur, &p, x, y, reps);
        }
        ratio[r] = ta[r] / tb[r];
      }
      const double ma = median(ta, ROUNDS), mb = median(tb, ROUNDS);
      printf("| %s | %lldx%lldx%lld -> %lldx%lld | %.3f | %.3f | %.1f | %.1f | %.2f |\n",
             kern_isa_name(isas[ii].isa), (long long)C, (long long)H, (long long)H, (long long)O,
             (long long)O, ma * 1e3, mb * 1e3, bytes / ma * 1e-9, bytes / mb * 1e-9,
             median(ratio, ROUNDS));
      fflush(stdout);
      free(x), free(y);
    }
  }
  return 0;
}
