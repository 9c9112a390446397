/* gemm_shape.c — single-thread kern_sgemm time (thread CPU time, median of 31 x 20 calls) on
 * one M x N x K shape with a ReLU epilogue, on the AVX-512 path (or the ISA named 4th): the shape of one 1x1 convolution
 * (M = pixels, N = output channels, K = input channels). For an A/B of two trees, link it
 * against each tree's libdlfusion.a and alternate the two binaries:
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/gemm_shape.c build/libdlfusion.a \
 *       -lprotobuf-c -lcjson -lm -lpthread -o build/gemm_shape && build/gemm_shape 12544 48 16 */
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
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: gemm_shape M N K [generic|avx2|avx512]\n");
    return 2;
  }
  const int64_t M = atoll(argv[1]), N = atoll(argv[2]), K = atoll(argv[3]);
  kern_isa isa = KERN_ISA_AVX512;
  if (argc == 5) isa = argv[4][0] == 'g' ? KERN_ISA_GENERIC : argv[4][4] == '2' ? KERN_ISA_AVX2 : isa;
  const kern_config *cfg = kern_config_for_isa(isa);
  if (!cfg || M < 1 || N < 1 || K < 1) {
    fprintf(stderr, "gemm_shape: this CPU cannot run that ISA, or a bad shape\n");
    return 1;
  }
  float *A = malloc(sizeof(float) * (size_t)(M * K)), *B = malloc(sizeof(float) * (size_t)(K * N));
  float *C = malloc(sizeof(float) * (size_t)(M * N));
  size_t pf = 0;
  kern_sgemm_packed_b_floats(cfg, K, N, &pf);
  float *P = malloc(sizeof(float) * (pf ? pf : 1));
  if (!A || !B || !C || !P) return 1;
  for (int64_t i = 0; i < M * K; i++)
    A[i] = (float)(i % 7) * 0.1f;
  for (int64_t i = 0; i < K * N; i++)
    B[i] = (float)(i % 5) * 0.1f;
  kern_sgemm_pack_b(cfg, K, N, B, N, 1, P);
  const kern_epilogue e = {.act = KERN_ACT_RELU};
  double t[31];
  for (int r = 0; r < 31; r++) {
    const double t0 = now();
    for (int i = 0; i < 20; i++)
      kern_sgemm(cfg, M, N, K, A, K, P, C, N, &e);
    t[r] = (now() - t0) / 20;
  }
  qsort(t, 31, sizeof t[0], cmp);
  printf("M=%lld N=%lld K=%lld: %.4f ms, %.1f GFLOP/s\n", (long long)M, (long long)N, (long long)K,
         t[15] * 1e3, 2.0 * (double)(M * N * K) / t[15] * 1e-9);
  free(A), free(B), free(C), free(P);
  return 0;
}
