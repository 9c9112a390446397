/* threadpool_overhead.c — dispatch overhead of an empty parallel region on k = 1 and 2 threads:
 * dlfusion's rt_pool against OpenMP (libgomp) and Debian's libpthreadpool, interleaved. Build:
 *   make BUILD=build -j2 bench && build/bench/threadpool_overhead [regions] [rt_pool spin_us]
 * (regions per configuration, default 100000; spin default RT_DEFAULT_SPIN_US). By hand:
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -Iinclude -Isrc bench/threadpool_overhead.c \
 *       build/libdlfusion.a -lpthreadpool -lm -lpthread -o build/threadpool_overhead
 * Prints, per implementation and k, the median wall time of one region (timer cost
 * subtracted), the median first region after the pool has been idle 50 ms (workers asleep),
 * and the ratios alternative / rt_pool. */
#include <omp.h>
#include <pthreadpool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/threadpool.h"

#define BLOCK 5000 /* regions per (implementation, k) before switching: interleaving unit */
/* Pause between blocks: longer than any pool's spin (rt_pool 0.5 ms, libgomp's 300k and
 * pthreadpool's ~1M spin iterations), so no pool's spinning workers steal a CPU from the
 * next block on a 2-vCPU machine. */
#define IDLE_MS 50
#define N_IMPL 3
#define N_K 2 /* k = 1, 2 */

static const char *const impl_name[N_IMPL] = {"rt_pool", "openmp", "pthreadpool"};

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ms(int ms) {
  struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* The empty region body: a real call the compiler cannot drop. */
__attribute__((noinline)) static void empty_body(int thread) {
  __asm__ __volatile__("" ::"r"(thread));
}

static void rt_empty(void *ctx, int t, int64_t begin, int64_t end) { empty_body(t); }
static void pp_empty(void *ctx, size_t i) { empty_body((int)i); }

typedef struct bench_state {
  rt_pool *rt;
  pthreadpool_t pp[N_K + 1]; /* pp[k]: a pool of k threads (its API always uses all of them) */
} bench_state;

static void one_region(bench_state *s, int impl, int k) {
  switch (impl) {
  case 0: rt_pool_run_static(s->rt, k, k, rt_empty, NULL); break;
  case 1: {
#pragma omp parallel num_threads(k)
    empty_body(omp_get_thread_num());
  } break;
  case 2: pthreadpool_parallelize_1d(s->pp[k], pp_empty, NULL, (size_t)k, 0); break;
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double median_ns(int64_t *v, int64_t n) {
  qsort(v, (size_t)n, sizeof *v, cmp_i64);
  return n % 2 ? (double)v[n / 2] : 0.5 * (double)(v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
  int64_t regions = argc > 1 ? atoll(argv[1]) : 100000;
  if (regions < BLOCK) regions = BLOCK;
  int64_t blocks = regions / BLOCK;
  regions = blocks * BLOCK;

  rt_pool_options opts = rt_pool_options_default();
  if (argc > 2) opts.spin_us = atoi(argv[2]);
  bench_state s = {0};
  if (rt_pool_create(2, &opts, &s.rt) != DLF_OK) {
    fprintf(stderr, "rt_pool_create: %s\n", dlf_last_error());
    return 1;
  }
  for (int k = 1; k <= N_K; k++)
    s.pp[k] = pthreadpool_create((size_t)k);
  if (!s.pp[1] || !s.pp[2]) {
    fprintf(stderr, "pthreadpool_create failed\n");
    return 1;
  }

  /* Cost of the timer itself, subtracted from every sample. */
  int64_t *tmp = malloc(sizeof(int64_t) * 10001);
  for (int i = 0; i < 10001; i++) {
    int64_t t0 = now_ns();
    tmp[i] = now_ns() - t0;
  }
  double timer_ns = median_ns(tmp, 10001);
  free(tmp);

  int64_t *hot[N_IMPL][N_K], *cold[N_IMPL][N_K];
  for (int i = 0; i < N_IMPL; i++)
    for (int k = 0; k < N_K; k++) {
      hot[i][k] = malloc(sizeof(int64_t) * (size_t)regions);
      cold[i][k] = malloc(sizeof(int64_t) * (size_t)blocks);
      if (!hot[i][k] || !cold[i][k]) return 1;
      for (int w = 0; w < 100; w++)
        one_region(&s, i, k + 1); /* start threads, fault pages */
    }

  for (int64_t b = 0; b < blocks; b++)
    for (int i = 0; i < N_IMPL; i++)
      for (int k = 0; k < N_K; k++) {
        sleep_ms(IDLE_MS);
        for (int64_t r = 0; r < BLOCK; r++) {
          int64_t t0 = now_ns();
          one_region(&s, i, k + 1);
          int64_t dt = now_ns() - t0;
          if (r == 0) cold[i][k][b] = dt;
          hot[i][k][b * BLOCK + r] = dt;
        }
      }

  double hot_med[N_IMPL][N_K], cold_med[N_IMPL][N_K];
  for (int i = 0; i < N_IMPL; i++)
    for (int k = 0; k < N_K; k++) {
      hot_med[i][k] = (median_ns(hot[i][k], regions) - timer_ns) / 1000.0;
      cold_med[i][k] = (median_ns(cold[i][k], blocks) - timer_ns) / 1000.0;
    }

  printf("empty-region dispatch overhead, %lld regions per config in blocks of %d, interleaved;"
         " timer %.0f ns subtracted\n",
         (long long)regions, BLOCK, timer_ns);
  printf("%-12s %3s %12s %14s %18s\n", "impl", "k", "median us", "ratio/rt_pool", "after-idle us");
  for (int i = 0; i < N_IMPL; i++)
    for (int k = 0; k < N_K; k++)
      printf("%-12s %3d %12.3f %14.2f %18.1f\n", impl_name[i], k + 1, hot_med[i][k],
             hot_med[i][k] / hot_med[0][k], cold_med[i][k]);

  for (int i = 0; i < N_IMPL; i++)
    for (int k = 0; k < N_K; k++) {
      free(hot[i][k]);
      free(cold[i][k]);
    }
  for (int k = 1; k <= N_K; k++)
    pthreadpool_destroy(s.pp[k]);
  rt_pool_free(s.rt);
  return 0;
}
