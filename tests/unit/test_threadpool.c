/* test_threadpool.c — the runtime thread pool: every item runs exactly once, a region with
 * core number k runs on threads 0..k-1 only (per-thread work counters, never timing). */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/threadpool.h"
#include "test.h"

#define MAX_ITEMS 4096

/* Counts how often each item ran and which threads ran anything. */
typedef struct count_ctx {
  _Atomic int hits[MAX_ITEMS];
  _Atomic int bad_thread; /* a call came from thread_index >= k */
  _Atomic int bad_range;  /* begin >= end or end > n */
  int k;
  int64_t n;
} count_ctx;

static void count_fn(void *vctx, int thread_index, int64_t begin, int64_t end) {
  count_ctx *c = vctx;
  if (thread_index < 0 || thread_index >= c->k) atomic_store(&c->bad_thread, 1);
  if (begin < 0 || begin >= end || end > c->n) {
    atomic_store(&c->bad_range, 1);
    return;
  }
  for (int64_t i = begin; i < end; i++)
    atomic_fetch_add(&c->hits[i], 1);
}

typedef enum mode { MODE_AUTO, MODE_GRAIN3, MODE_STATIC } mode;

static dlf_status run_mode(rt_pool *p, mode m, int k, int64_t n, rt_task_fn fn, void *ctx) {
  switch (m) {
  case MODE_AUTO: return rt_pool_run(p, k, n, fn, ctx);
  case MODE_GRAIN3: return rt_pool_run_grain(p, k, n, 3, fn, ctx);
  case MODE_STATIC: return rt_pool_run_static(p, k, n, fn, ctx);
  }
  return DLF_ERR_INTERNAL;
}

static count_ctx *new_count_ctx(int k, int64_t n) {
  count_ctx *c = calloc(1, sizeof *c);
  c->k = k;
  c->n = n;
  return c;
}

/* Sum of the items counters of all threads. */
static int64_t total_items(rt_pool *p) {
  int64_t sum = 0;
  for (int t = 0; t < rt_pool_size(p); t++) {
    rt_thread_stats s;
    if (rt_pool_stats(p, t, &s) == DLF_OK) sum += s.items;
  }
  return sum;
}

static void check_each_item_once(rt_pool *p, int spin_label) {
  static const int64_t ns[] = {0, 1, 2, 3, 4, 5, 7, 8, 13, 64, 100, 1000, 4095};
  for (int m = MODE_AUTO; m <= MODE_STATIC; m++)
    for (int k = 1; k <= rt_pool_size(p); k++)
      for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        int64_t n = ns[i];
        count_ctx *c = new_count_ctx(k, n);
        rt_pool_reset_stats(p);
        dlf_status st = run_mode(p, (mode)m, k, n, count_fn, c);
        if (st != DLF_OK)
          test_fail(__FILE__, __LINE__, "mode %d k=%d n=%lld spin %d: %s", m, k, (long long)n,
                    spin_label, dlf_last_error());
        int64_t wrong = -1;
        for (int64_t j = 0; j < n && wrong < 0; j++)
          if (atomic_load(&c->hits[j]) != 1) wrong = j;
        if (wrong >= 0)
          test_fail(__FILE__, __LINE__, "mode %d k=%d n=%lld: item %lld ran %d times", m, k,
                    (long long)n, (long long)wrong, atomic_load(&c->hits[wrong]));
        CHECK(!atomic_load(&c->bad_thread));
        CHECK(!atomic_load(&c->bad_range));
        CHECK_INT(n, total_items(p));
        free(c);
      }
}

/* Two threads: on a machine with >= 2 CPUs the workers spin between regions (with more
 * threads than CPUs the pool never spins, see rt_pool_options.spin_us). */
TEST(test_threadpool_every_item_runs_once) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, NULL, &p));
  check_each_item_once(p, RT_DEFAULT_SPIN_US);
  rt_pool_free(p);
}

/* spin_us = 0: every wait goes through futex sleep/wake, the racy path. */
TEST(test_threadpool_every_item_runs_once_without_spinning) {
  rt_pool_options o = rt_pool_options_default();
  o.spin_us = 0;
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(4, &o, &p));
  check_each_item_once(p, 0);
  rt_pool_free(p);
}

TEST(test_threadpool_k1_runs_only_on_thread0) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(4, NULL, &p));
  for (int m = MODE_AUTO; m <= MODE_STATIC; m++) {
    rt_pool_reset_stats(p);
    count_ctx *c = new_count_ctx(1, 1000);
    CHECK_OK(run_mode(p, (mode)m, 1, 1000, count_fn, c));
    CHECK(!atomic_load(&c->bad_thread));
    rt_thread_stats s;
    REQUIRE_OK(rt_pool_stats(p, 0, &s));
    CHECK_INT(1000, s.items);
    CHECK_INT(1, s.regions);
    for (int t = 1; t < 4; t++) {
      REQUIRE_OK(rt_pool_stats(p, t, &s));
      CHECK_INT(0, s.items);
      CHECK_INT(0, s.calls);
      CHECK_INT(0, s.regions);
    }
    free(c);
  }
  rt_pool_free(p);
}

TEST(test_threadpool_k2_static_splits_evenly_over_two_threads) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(4, NULL, &p));
  count_ctx *c = new_count_ctx(2, 1001);
  CHECK_OK(rt_pool_run_static(p, 2, 1001, count_fn, c));
  rt_thread_stats s;
  REQUIRE_OK(rt_pool_stats(p, 0, &s));
  CHECK_INT(501, s.items); /* q = 500, r = 1: thread 0 takes the extra item */
  CHECK_INT(1, s.calls);
  REQUIRE_OK(rt_pool_stats(p, 1, &s));
  CHECK_INT(500, s.items);
  CHECK_INT(1, s.calls);
  CHECK_INT(1, s.regions);
  for (int t = 2; t < 4; t++) {
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    CHECK_INT(0, s.regions);
    CHECK_INT(0, s.items);
  }
  free(c);
  rt_pool_free(p);
}

/* Each thread's first call waits until the other thread has started a call too: with 8 chunks
 * neither can then run everything, whatever the scheduler does. Fails (not hangs) on timeout. */
typedef struct meet_ctx {
  _Atomic int started[2];
  _Atomic int timed_out;
  _Atomic int bad_thread;
} meet_ctx;

static void meet_fn(void *vctx, int t, int64_t begin, int64_t end) {
  meet_ctx *m = vctx;
  if (t < 0 || t > 1) {
    atomic_store(&m->bad_thread, 1);
    return;
  }
  if (atomic_exchange(&m->started[t], 1)) return; /* not the first call */
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!atomic_load(&m->started[1 - t])) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec > 20) {
      atomic_store(&m->timed_out, 1);
      return;
    }
    sched_yield();
  }
}

TEST(test_threadpool_k2_dynamic_uses_both_threads) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(3, NULL, &p));
  for (int rep = 0; rep < 20; rep++) {
    meet_ctx m;
    memset(&m, 0, sizeof m);
    rt_pool_reset_stats(p);
    REQUIRE_OK(rt_pool_run(p, 2, 1000, meet_fn, &m)); /* grain 125: 8 chunks */
    CHECK(!atomic_load(&m.timed_out));
    CHECK(!atomic_load(&m.bad_thread));
    rt_thread_stats s0, s1, s2;
    REQUIRE_OK(rt_pool_stats(p, 0, &s0));
    REQUIRE_OK(rt_pool_stats(p, 1, &s1));
    REQUIRE_OK(rt_pool_stats(p, 2, &s2));
    CHECK(s0.items > 0);
    CHECK(s1.items > 0);
    CHECK_INT(1000, s0.items + s1.items);
    CHECK_INT(8, s0.calls + s1.calls);
    CHECK_INT(0, s2.regions);
  }
  rt_pool_free(p);
}

TEST(test_threadpool_fewer_items_than_k_wakes_only_needed_threads) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(4, NULL, &p));
  count_ctx *c = new_count_ctx(4, 2);
  CHECK_OK(rt_pool_run_static(p, 4, 2, count_fn, c));
  rt_thread_stats s;
  for (int t = 0; t < 4; t++) {
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    CHECK_INT(t < 2 ? 1 : 0, s.items);
    CHECK_INT(t < 2 ? 1 : 0, s.regions);
  }
  free(c);
  rt_pool_free(p);
}

TEST(test_threadpool_zero_items_calls_nothing) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, NULL, &p));
  count_ctx *c = new_count_ctx(2, 0);
  c->n = -1; /* any call is then a bad range */
  CHECK_OK(rt_pool_run(p, 2, 0, count_fn, c));
  CHECK(!atomic_load(&c->bad_range));
  rt_thread_stats s;
  for (int t = 0; t < 2; t++) {
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    CHECK_INT(0, s.regions);
    CHECK_INT(0, s.calls);
  }
  free(c);
  rt_pool_free(p);
}

TEST(test_threadpool_rejects_bad_arguments) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, NULL, &p));
  count_ctx *c = new_count_ctx(2, 10);
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run(p, 3, 10, count_fn, c));
  CHECK(strstr(dlf_last_error(), "k=3") != NULL);
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run_static(p, 3, 10, count_fn, c));
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run(p, 0, 10, count_fn, c));
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run(p, 1, -1, count_fn, c));
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run(p, 1, 10, NULL, c));
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run_grain(p, 1, 10, 0, count_fn, c));
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_run(NULL, 1, 10, count_fn, c));
  rt_thread_stats s;
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_stats(p, 2, &s));
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_stats(p, -1, &s));
  for (int64_t i = 0; i < 10; i++)
    CHECK_INT(0, atomic_load(&c->hits[i])); /* nothing ran */
  free(c);
  rt_pool_free(p);

  rt_pool *q = (rt_pool *)&q; /* must be overwritten with NULL on failure */
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_create(0, NULL, &q));
  CHECK(q == NULL);
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_create(RT_POOL_MAX_THREADS + 1, NULL, &q));
  rt_pool_options o = rt_pool_options_default();
  o.spin_us = -1;
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_pool_create(2, &o, &q));
}

typedef struct nest_ctx {
  rt_pool *pool;
  _Atomic int status;
} nest_ctx;

static void nest_fn(void *vctx, int t, int64_t begin, int64_t end) {
  nest_ctx *n = vctx;
  atomic_store(&n->status, (int)rt_pool_run(n->pool, 1, 1, nest_fn, vctx));
}

TEST(test_threadpool_nested_run_is_refused) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, NULL, &p));
  nest_ctx n = {.pool = p, .status = -1};
  CHECK_OK(rt_pool_run(p, 1, 1, nest_fn, &n));
  CHECK_INT(DLF_ERR_INVALID_ARG, atomic_load(&n.status));
  /* The pool still works afterwards. */
  count_ctx *c = new_count_ctx(2, 100);
  CHECK_OK(rt_pool_run(p, 2, 100, count_fn, c));
  for (int64_t i = 0; i < 100; i++)
    CHECK_INT(1, atomic_load(&c->hits[i]));
  free(c);
  rt_pool_free(p);
}

/* 10^4 back-to-back regions cycling k over 1..pool size and the three schedules; each item
 * must have run once per region and each thread joined exactly the regions with k > t. */
static void check_many_regions(int pool_size) {
  enum { REGIONS = 10000, N = 64 };
  static const int ks[] = {1, 2, 3, 2};
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(pool_size, NULL, &p));
  count_ctx *c = new_count_ctx(pool_size, N);
  int64_t expect_regions[4] = {0};
  for (int r = 0; r < REGIONS; r++) {
    int k = ks[r % 4] > pool_size ? pool_size : ks[r % 4];
    c->k = k;
    dlf_status st = run_mode(p, (mode)(r % 3), k, N, count_fn, c);
    if (st != DLF_OK) {
      test_fail(__FILE__, __LINE__, "region %d k=%d: %s", r, k, dlf_last_error());
      break;
    }
    for (int t = 0; t < k; t++)
      expect_regions[t]++;
  }
  CHECK(!atomic_load(&c->bad_thread));
  CHECK(!atomic_load(&c->bad_range));
  for (int64_t i = 0; i < N; i++)
    CHECK_INT(REGIONS, atomic_load(&c->hits[i]));
  for (int t = 0; t < pool_size; t++) {
    rt_thread_stats s;
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    CHECK_INT(expect_regions[t], s.regions);
  }
  CHECK_INT((int64_t)REGIONS * N, total_items(p));
  free(c);
  rt_pool_free(p);
}

TEST(test_threadpool_many_regions_alternating_k_two_threads) { check_many_regions(2); }

TEST(test_threadpool_many_regions_alternating_k_three_threads) { check_many_regions(3); }

TEST(test_threadpool_reset_stats_zeroes_counters) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, NULL, &p));
  count_ctx *c = new_count_ctx(2, 50);
  CHECK_OK(rt_pool_run_static(p, 2, 50, count_fn, c));
  CHECK_INT(50, total_items(p));
  rt_pool_reset_stats(p);
  rt_thread_stats s;
  for (int t = 0; t < 2; t++) {
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    CHECK_INT(0, s.items);
    CHECK_INT(0, s.calls);
    CHECK_INT(0, s.regions);
  }
  free(c);
  rt_pool_free(p);
}

TEST(test_threadpool_create_free_repeatedly) {
  rt_pool_options o = rt_pool_options_default();
  for (int i = 0; i < 200; i++) {
    o.spin_us = i % 2 ? 0 : 20;
    rt_pool *p = NULL;
    REQUIRE_OK(rt_pool_create(1 + i % 4, &o, &p));
    CHECK_INT(1 + i % 4, rt_pool_size(p));
    if (i % 3 == 0) { /* some pools die without ever running a region */
      count_ctx *c = new_count_ctx(rt_pool_size(p), 10);
      CHECK_OK(rt_pool_run(p, rt_pool_size(p), 10, count_fn, c));
      free(c);
    }
    rt_pool_free(p);
  }
  rt_pool_free(NULL);
}

typedef struct cpu_ctx {
  _Atomic int cpu_of_thread1;
} cpu_ctx;

static void cpu_fn(void *vctx, int t, int64_t begin, int64_t end) {
  cpu_ctx *c = vctx;
  if (t == 1) atomic_store(&c->cpu_of_thread1, sched_getcpu());
}

TEST(test_threadpool_pinned_worker_runs_on_its_cpu) {
  cpu_set_t allowed;
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  int cpus[CPU_SETSIZE], n = 0;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &allowed)) cpus[n++] = c;
  REQUIRE(n > 0);
  rt_pool_options o = rt_pool_options_default();
  o.pin_threads = true;
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, &o, &p));
  for (int rep = 0; rep < 5; rep++) {
    cpu_ctx c = {.cpu_of_thread1 = -1};
    CHECK_OK(rt_pool_run_static(p, 2, 2, cpu_fn, &c));
    CHECK_INT(cpus[1 % n], atomic_load(&c.cpu_of_thread1));
  }
  rt_pool_free(p);
}
