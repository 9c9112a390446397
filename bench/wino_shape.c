/* wino_shape.c — single-thread kern_winograd_f43 time (thread CPU time, median of 21 x 5 calls)
 * on one 3x3 stride-1 pad-1 convolution H x W x C -> Cout with a bias + ReLU epilogue, on the
 * AVX-512 path (or the ISA named 5th). Thread CPU time keeps other processes' load out of the
 * figure. For an A/B of two trees, link it against each tree's libdlfusion.a (as
 * bench/gemm_shape.c) and alternate the two binaries:
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/wino_shape.c build/libdlfusion.a \
 *       -lprotobuf-c -lcjson -lm -lpthread -o build/wino_shape && build/wino_shape 56 56 64 64 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/kernels.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: wino_shape H W C Cout [generic|avx2|avx512]\n");
    return 2;
  }
  kern_conv2d_params p = {0};
  p.H = p.OH = atoll(argv[1]), p.W = p.OW = atoll(argv[2]);
  p.C = atoll(argv[3]), p.Cout = atoll(argv[4]);
  p.kh = p.kw = 3, p.sh = p.sw = p.dh = p.dw = 1, p.pad_t = p.pad_l = 1, p.groups = 1;
  kern_isa isa = KERN_ISA_AVX512;
  if (argc == 6) isa = argv[5][0] == 'g' ? KERN_ISA_GENERIC : argv[5][4] == '2' ? KERN_ISA_AVX2 : isa;
  const kern_config *cfg = kern_config_for_isa(isa);
  size_t pf = 0, sf = 0;
  if (!cfg || p.H < 1 || p.W < 1 || p.C < 1 || p.Cout < 1 ||
      !kern_winograd_f43_packed_floats(cfg, &p, &pf) ||
      !kern_winograd_f43_scratch_floats(cfg, &p, &sf)) {
    fprintf(stderr, "wino_shape: this CPU cannot run that ISA, or a bad shape\n");
    return 1;
  }
  const int64_t nx = p.H * p.W * p.C, ny = p.H * p.W * p.Cout, nw = 9 * p.C * p.Cout;
  float *x = malloc(sizeof(float) * (size_t)nx), *y = malloc(sizeof(float) * (size_t)ny);
  float *w = malloc(sizeof(float) * (size_t)nw), *bias = malloc(sizeof(float) * (size_t)p.Cout);
  float *pw = malloc(sizeof(float) * pf), *scratch = malloc(sizeof(float) * (sf ? sf : 1));
  if (!x || !y || !w || !bias || !pw || !scratch) return 1;
  for (int64_t i = 0; i < nx; i++)
    x[i] = (float)(i % 7) * 0.1f - 0.3f;
  for (int64_t i = 0; i < nw; i++)
    w[i] = (float)(i % 5) * 0.1f - 0.2f;
  for (int64_t i = 0; i < p.Cout; i++)
    bias[i] = 0.01f * (float)i;
  kern_winograd_f43_pack(cfg, &p, w, pw);
  const kern_epilogue e = {.bias_n = bias, .act = KERN_ACT_RELU};
  double t[21];
  for (int r = 0; r < 21; r++) {
    const double t0 = now();
    for (int i = 0; i < 5; i++)
      kern_winograd_f43(cfg, &p, x, pw, y, 0, p.OH, scratch, &e);
    t[r] = (now() - t0) / 5;
  }
  qsort(t, 21, sizeof t[0], cmp);
  printf("%lldx%lldx%lld->%lld: %.4f ms, %.1f GFLOP/s (direct-conv flops)\n", (long long)p.H,
         (long long)p.W, (long long)p.C, (long long)p.Cout, t[10] * 1e3,
         2.0 * 9 * (double)(p.H * p.W * p.C * p.Cout) / t[10] * 1e-9);
  free(x), free(y), free(w), free(bias), free(pw), free(scratch);
  return 0;
}
