/* gemm_peak.c — single-thread SGEMM GFLOP/s (M=N=K=512 by default) on every ISA path this
 * CPU runs, against the measured FMA peak of one core. Not built by default:
 *   make BUILD=build -j2 build/libdlfusion.a
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/gemm_peak.c build/libdlfusion.a \
 *       -lm -lpthread -o build/gemm_peak && build/gemm_peak [size] */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/cpu.h"
#include "kernels/kernels.h"

#define REPS 15            /* best of REPS: the machine is shared, the minimum is the signal */
#define PEAK_ITERS 200000L /* ~1 ms per try: short tries dodge preemption on a shared box */
#define PEAK_TRIES 31

/* This thread's CPU time, not wall time: on a shared 2-vCPU box a run longer than a
 * scheduler slice is preempted, and wall time would measure the neighbours. */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 12 independent FMA chains per vector width: more than latency (4) x pipes (2), so the
 * loop runs at FMA throughput. The chain goes through the addend, as in a GEMM: through a
 * multiplicand it measured half the rate on Zen 5 (the addend is forwarded late).
 * Returns GFLOP/s. */
__attribute__((target("avx512f,fma"))) static double peak_avx512_once(void) {
  __m512 acc[12], x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
  for (int i = 0; i < 12; i++)
    acc[i] = _mm512_set1_ps((float)i);
  double t = now();
  for (long it = 0; it < PEAK_ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++)
      acc[i] = _mm512_fmadd_ps(x, y, acc[i]);
  t = now() - t;
  float s = 0;
  for (int i = 0; i < 12; i++)
    s += _mm512_reduce_add_ps(acc[i]);
  if (s == 1234.5f) printf("!");
  return 2.0 * 16 * 12 * PEAK_ITERS / t * 1e-9;
}

__attribute__((target("avx2,fma"))) static double peak_avx2_once(void) {
  __m256 acc[12], x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
  for (int i = 0; i < 12; i++)
    acc[i] = _mm256_set1_ps((float)i);
  double t = now();
  for (long it = 0; it < PEAK_ITERS; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++)
      acc[i] = _mm256_fmadd_ps(x, y, acc[i]);
  t = now() - t;
  float buf[8], s = 0;
  for (int i = 0; i < 12; i++) {
    _mm256_storeu_ps(buf, acc[i]);
    for (int j = 0; j < 8; j++)
      s += buf[j];
  }
  if (s == 1234.5f) printf("!");
  return 2.0 * 8 * 12 * PEAK_ITERS / t * 1e-9;
}

static double best_of(double (*fn)(void)) {
  double best = 0;
  for (int i = 0; i < PEAK_TRIES; i++) {
    double g = fn();
    if (g > best) best = g;
  }
  return best;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 512;
  const dlf_cpu_info *cpu = dlf_cpu_info_get();
  printf("cpu: %s (%s family %#x model %#x), L1d %lld KiB, L2 %lld KiB, L3 %lld KiB (%s)\n",
         cpu->name, cpu->vendor, cpu->family, cpu->model, (long long)cpu->l1d_bytes / 1024,
         (long long)cpu->l2_bytes / 1024, (long long)cpu->l3_bytes / 1024,
         dlf_cache_source_name(cpu->cache_source));
  double peak = 0, isa_peak[KERN_ISA_COUNT] = {0};
  if (dlf_cpu_has_avx2(cpu)) {
    double p = best_of(peak_avx2_once);
    printf("measured FMA peak, avx2:   %.1f GFLOP/s\n", p);
    peak = isa_peak[KERN_ISA_AVX2] = p;
  }
  if (dlf_cpu_has_avx512(cpu)) {
    double p = best_of(peak_avx512_once);
    printf("measured FMA peak, avx512: %.1f GFLOP/s\n", p);
    isa_peak[KERN_ISA_AVX512] = p;
    if (p > peak) peak = p;
  }
  float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n);
  float *C = malloc(sizeof(float) * n * n), *P = malloc(sizeof(float) * (n + 64) * n);
  for (long i = 0; i < (long)n * n; i++)
    A[i] = (float)(i % 7) - 3, B[i] = (float)(i % 5) - 2;
  for (int isa = 0; isa < KERN_ISA_COUNT; isa++) {
    const kern_config *cfg = kern_config_for_isa((kern_isa)isa);
    if (!cfg) continue;
    kern_sgemm_pack_b(cfg, n, n, B, n, 1, P);
    kern_epilogue epi = {.act = KERN_ACT_RELU};
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
      double t = now();
      kern_sgemm(cfg, n, n, n, A, n, P, C, n, &epi);
      t = now() - t;
      if (t < best) best = t;
    }
    double gf = 2.0 * n * n * n / best * 1e-9;
    printf("sgemm %-8s M=N=K=%d mr=%d nr=%d kc=%lld nc=%lld: %7.1f GFLOP/s", cfg->name, n,
           cfg->sgemm.mr, cfg->sgemm.nr, (long long)cfg->sgemm.kc, (long long)cfg->sgemm.nc, gf);
    if (peak > 0) printf("  (%.0f%% of the core's peak", 100.0 * gf / peak);
    if (isa_peak[isa] > 0) printf(", %.0f%% of this ISA's", 100.0 * gf / isa_peak[isa]);
    if (peak > 0) printf(")");
    printf("\n");
  }
  free(A), free(B), free(C), free(P);
  return 0;
}
