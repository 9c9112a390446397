/* threadpool_overhead.c — dispatch overhead of an empty parallel region on k = 1 and 2 threads:
 * dlfusion's rt_pool against OpenMP (libgomp) and Debian's libpthreadpool, interleaved; then
 * rt_pool's cost for small layer-like regions when a worker is late. Build and run:
 *   make BUILD=build -j2 bench && build/bench/threadpool_overhead [regions] [spin_us] [part]
 * (regions per configuration, default 100000; spin default RT_DEFAULT_SPIN_US; part =
 * all | dispatch | small, default all). By hand:
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -Iinclude -Isrc bench/threadpool_overhead.c \
 *       build/libdlfusion.a -lpthreadpool -lm -lpthread -o build/threadpool_overhead
 * "dispatch" prints, per implementation and k, the median wall time of one region (timer cost
 * subtracted), the median first region after the pool has been idle 50 ms (workers asleep),
 * and the ratios alternative / rt_pool. "small" runs SMALL_REGIONS-sized batches of k = 2
 * regions of SMALL_ITEMS items of ~1 us each (rt_pool_run, dynamic), interleaved between
 * "prompt" (no delay) and "late" (worker 1 sleeps LATE_US in the on_wake hook on every
 * LATE_EVERY-th wake-up, playing a worker that lost its time slice), and prints median, mean
 * and 99th percentile per region and the share of items worker 1 ran. For a real late
 * worker run part "small" while a busy loop steals a vCPU:
 *   nice -n 0 sh -c 'while :; do :; done' & build/bench/threadpool_overhead 40000 500 small;
 *   kill $! */
#include <omp.h>
#include <pthreadpool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string.h>

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

static void sleep_us(int us) {
  struct timespec t = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000L};
  nanosleep(&t, NULL);
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

/* Part "small": a layer-like region, k = 2, SMALL_ITEMS items of WORK_NS each. */
#define SMALL_ITEMS 16
#define WORK_NS 1000
#define SMALL_BLOCK 2000 /* regions per (scenario) before switching: interleaving unit */
#define LATE_US 1000     /* about a CFS time slice on a loaded box */
#define LATE_EVERY 10

static int64_t g_work_iters; /* iterations of work_loop per WORK_NS, calibrated in main */

__attribute__((noinline)) static uint64_t work_loop(int64_t iters) {
  uint64_t x = 1;
  for (int64_t i = 0; i < iters; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    __asm__ __volatile__("" : "+r"(x));
  }
  return x;
}

static void rt_work(void *ctx, int t, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; i++)
    work_loop(g_work_iters);
}

typedef struct late_state {
  _Atomic int enabled;
  _Atomic unsigned wakes;
} late_state;

static void late_hook(void *arg, int t) {
  late_state *l = arg;
  if (t != 1 || !atomic_load(&l->enabled)) return;
  if (atomic_fetch_add(&l->wakes, 1) % LATE_EVERY == 0) sleep_us(LATE_US);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double median_ns(int64_t *v, int64_t n) {
  qsort(v, (size_t)n, sizeof *v, cmp_i64);
  return n % 2 ? (double)v[n / 2] : 0.5 * (double)(v[n / 2 - 1] + v[n / 2]);
}

/* Part "dispatch": empty regions, rt_pool vs OpenMP vs pthreadpool. */
static int run_dispatch(int64_t regions, const rt_pool_options *opts, double timer_ns) {
  if (regions < BLOCK) regions = BLOCK;
  int64_t blocks = regions / BLOCK;
  regions = blocks * BLOCK;
  bench_state s = {0};
  if (rt_pool_create(2, opts, &s.rt) != DLF_OK) {
    fprintf(stderr, "rt_pool_create: %s\n", dlf_last_error());
    return 1;
  }
  for (int k = 1; k <= N_K; k++)
    s.pp[k] = pthreadpool_create((size_t)k);
  if (!s.pp[1] || !s.pp[2]) {
    fprintf(stderr, "pthreadpool_create failed\n");
    return 1;
  }

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

static double mean_ns(const int64_t *v, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; i++)
    sum += (double)v[i];
  return sum / (double)n;
}

/* Part "small": SMALL_ITEMS-item regions on k = 2, prompt vs late worker 1, interleaved. */
static int run_small(int64_t regions, const rt_pool_options *opts, double timer_ns) {
  if (regions < SMALL_BLOCK) regions = SMALL_BLOCK;
  int64_t blocks = regions / SMALL_BLOCK;
  regions = blocks * SMALL_BLOCK;
  late_state late = {0};
  rt_pool_options o = *opts;
  o.on_wake = late_hook;
  o.on_wake_arg = &late;
  rt_pool *pool = NULL;
  if (rt_pool_create(2, &o, &pool) != DLF_OK) {
    fprintf(stderr, "rt_pool_create: %s\n", dlf_last_error());
    return 1;
  }
  /* Calibrate work_loop: iterations per WORK_NS, median of 21 timings of 10^5. */
  int64_t cal[21];
  for (int i = 0; i < 21; i++) {
    int64_t t0 = now_ns();
    work_loop(100000);
    cal[i] = now_ns() - t0;
  }
  g_work_iters = (int64_t)(100000.0 * WORK_NS / median_ns(cal, 21));
  if (g_work_iters < 1) g_work_iters = 1;

  static const char *const name[2] = {"prompt", "late"};
  int64_t *t[2];
  int64_t total[2] = {0, 0}, w1_items[2] = {0, 0};
  for (int sc = 0; sc < 2; sc++)
    if (!(t[sc] = malloc(sizeof(int64_t) * (size_t)regions))) return 1;
  for (int w = 0; w < 100; w++)
    rt_pool_run(pool, 2, SMALL_ITEMS, rt_work, NULL);
  for (int64_t b = 0; b < blocks; b++)
    for (int sc = 0; sc < 2; sc++) {
      atomic_store(&late.enabled, sc);
      rt_pool_reset_stats(pool);
      int64_t t_block = now_ns();
      for (int64_t r = 0; r < SMALL_BLOCK; r++) {
        int64_t t0 = now_ns();
        rt_pool_run(pool, 2, SMALL_ITEMS, rt_work, NULL);
        t[sc][b * SMALL_BLOCK + r] = now_ns() - t0;
      }
      total[sc] += now_ns() - t_block;
      rt_thread_stats w1;
      if (rt_pool_stats(pool, 1, &w1) == DLF_OK) w1_items[sc] += w1.items;
      sleep_ms(IDLE_MS); /* let a held worker finish its sleep before the next block */
    }
  printf("small regions: k=2, %d items x %d ns (1 thread: %.1f us), %lld regions per scenario in"
         " blocks of %d, interleaved; late = worker 1 sleeps %d us on every %dth wake-up\n",
         SMALL_ITEMS, WORK_NS, SMALL_ITEMS * WORK_NS / 1000.0, (long long)regions, SMALL_BLOCK,
         LATE_US, LATE_EVERY);
  printf("%-8s %12s %12s %12s %14s %16s\n", "scenario", "median us", "mean us", "p99 us",
         "regions/s", "worker 1 items");
  for (int sc = 0; sc < 2; sc++) {
    double mean = (mean_ns(t[sc], regions) - timer_ns) / 1000.0;
    double med = (median_ns(t[sc], regions) - timer_ns) / 1000.0; /* sorts t[sc] */
    double p99 = (double)t[sc][regions * 99 / 100] / 1000.0;
    printf("%-8s %12.2f %12.2f %12.1f %14.0f %15.1f%%\n", name[sc], med, mean, p99,
           (double)regions * 1e9 / (double)total[sc],
           100.0 * (double)w1_items[sc] / ((double)regions * SMALL_ITEMS));
    free(t[sc]);
  }
  rt_pool_free(pool);
  return 0;
}

int main(int argc, char **argv) {
  int64_t regions = argc > 1 ? atoll(argv[1]) : 100000;
  rt_pool_options opts = rt_pool_options_default();
  if (argc > 2) opts.spin_us = atoi(argv[2]);
  const char *part = argc > 3 ? argv[3] : "all";

  /* Cost of the timer itself, subtracted from every sample. */
  int64_t *tmp = malloc(sizeof(int64_t) * 10001);
  for (int i = 0; i < 10001; i++) {
    int64_t t0 = now_ns();
    tmp[i] = now_ns() - t0;
  }
  double timer_ns = median_ns(tmp, 10001);
  free(tmp);

  int rc = 0;
  if (!strcmp(part, "all") || !strcmp(part, "dispatch"))
    rc |= run_dispatch(regions, &opts, timer_ns);
  if (!strcmp(part, "all") || !strcmp(part, "small"))
    rc |= run_small(regions / 10, &opts, timer_ns);
  return rc;
}
