/* test_threadpool.c — the runtime thread pool: every item runs exactly once, a region with
 * core number k runs on threads 0..k-1 only, and the caller does not wait for a worker that
 * is late (per-thread work counters and a hook that holds workers, never timing). */
#include <sched.h>
#include <stdbool.h>
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
  _Atomic int bad_thread;      /* a call came from thread_index >= k */
  _Atomic int bad_range;       /* begin >= end or end > n */
  _Atomic int64_t calls_by[8]; /* fn calls per thread_index (0..7) */
  int k;
  int64_t n;
} count_ctx;

static void count_fn(void *vctx, int thread_index, int64_t begin, int64_t end) {
  count_ctx *c = vctx;
  if (thread_index < 0 || thread_index >= c->k) atomic_store(&c->bad_thread, 1);
  if (thread_index >= 0 && thread_index < 8) atomic_fetch_add(&c->calls_by[thread_index], 1);
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

/* Range 0 (run by the caller) waits until range 1 has started, so worker 1 must have run it
 * itself: the caller only takes over ranges nobody started. Records each call's range. */
typedef struct split_ctx {
  _Atomic int range1_started, timed_out;
  _Atomic int64_t begin[2], end[2], calls[2];
} split_ctx;

static void split_fn(void *vctx, int t, int64_t begin, int64_t end) {
  split_ctx *c = vctx;
  if (t < 0 || t > 1) return;
  atomic_fetch_add(&c->calls[t], 1);
  atomic_store(&c->begin[t], begin);
  atomic_store(&c->end[t], end);
  if (t == 1) atomic_store(&c->range1_started, 1);
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (t == 0 && !atomic_load(&c->range1_started)) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec > 20) {
      atomic_store(&c->timed_out, 1);
      return;
    }
    sched_yield();
  }
}

TEST(test_threadpool_k2_static_splits_evenly_over_two_threads) {
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(4, NULL, &p));
  split_ctx c;
  memset(&c, 0, sizeof c);
  CHECK_OK(rt_pool_run_static(p, 2, 1001, split_fn, &c));
  CHECK(!atomic_load(&c.timed_out));
  /* q = 500, r = 1: range 0 takes the extra item. */
  CHECK_INT(0, atomic_load(&c.begin[0]));
  CHECK_INT(501, atomic_load(&c.end[0]));
  CHECK_INT(501, atomic_load(&c.begin[1]));
  CHECK_INT(1001, atomic_load(&c.end[1]));
  CHECK_INT(1, atomic_load(&c.calls[0]));
  CHECK_INT(1, atomic_load(&c.calls[1]));
  rt_thread_stats s;
  REQUIRE_OK(rt_pool_stats(p, 0, &s));
  CHECK_INT(501, s.items);
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
  rt_pool_free(p);
}

/* Static ranges keep their boundaries and their thread_index whoever runs them: over many
 * regions (some ranges taken over by the caller), range t always arrives as thread_index t. */
typedef struct range_ctx {
  _Atomic int bad; /* a call whose [begin, end) is not range thread_index's */
  _Atomic int64_t hits[3];
} range_ctx;

static void range_fn(void *vctx, int t, int64_t begin, int64_t end) {
  range_ctx *c = vctx;
  static const int64_t b[4] = {0, 34, 67, 100}; /* n = 100, k = 3: q = 33, r = 1 */
  if (t < 0 || t > 2 || begin != b[t] || end != b[t + 1]) {
    atomic_store(&c->bad, 1);
    return;
  }
  atomic_fetch_add(&c->hits[t], 1);
}

TEST(test_threadpool_static_range_keeps_boundaries_and_thread_index) {
  enum { REGIONS = 3000 };
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(3, NULL, &p));
  range_ctx c;
  memset(&c, 0, sizeof c);
  for (int r = 0; r < REGIONS; r++)
    REQUIRE_OK(rt_pool_run_static(p, 3, 100, range_fn, &c));
  CHECK(!atomic_load(&c.bad));
  for (int t = 0; t < 3; t++)
    CHECK_INT(REGIONS, atomic_load(&c.hits[t]));
  int64_t items = 0, calls = 0;
  for (int t = 0; t < 3; t++) {
    rt_thread_stats s;
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    items += s.items;
    calls += s.calls;
  }
  CHECK_INT((int64_t)REGIONS * 100, items);
  CHECK_INT((int64_t)REGIONS * 3, calls);
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
  CHECK(!atomic_load(&c->bad_thread));
  CHECK_INT(1, atomic_load(&c->calls_by[0]));
  CHECK_INT(1, atomic_load(&c->calls_by[1])); /* range 1, run by worker 1 or the caller */
  CHECK_INT(0, atomic_load(&c->calls_by[2]) + atomic_load(&c->calls_by[3]));
  rt_thread_stats s, s1;
  REQUIRE_OK(rt_pool_stats(p, 0, &s));
  REQUIRE_OK(rt_pool_stats(p, 1, &s1));
  CHECK_INT(2, s.items + s1.items);
  CHECK_INT(1, s.regions);
  for (int t = 2; t < 4; t++) {
    REQUIRE_OK(rt_pool_stats(p, t, &s));
    CHECK_INT(0, s.items);
    CHECK_INT(0, s.regions);
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

/* Optional on_wake hook for check_many_regions: delays some wake-ups (a yield, or a 50 us
 * sleep), so workers arrive after their region closed and during later ones. */
static void jitter_hook(void *arg, int t) {
  _Atomic unsigned *seq = arg;
  unsigned v = atomic_fetch_add(seq, 1) * 2654435761u;
  if ((v >> 28) == 0) {
    struct timespec d = {0, 50000};
    nanosleep(&d, NULL);
  } else if ((v >> 28) < 4) {
    sched_yield();
  }
}

/* 10^4 back-to-back regions cycling k over 1..pool size and the three schedules; each item
 * must have run once per region, the caller took part in every region and worker t at most
 * in those with k > t (a worker that arrives after its region closed joins nothing). */
static void check_many_regions(int pool_size, bool jitter) {
  enum { REGIONS = 10000, N = 64 };
  static const int ks[] = {1, 2, 3, 2};
  _Atomic unsigned seq = 0;
  rt_pool_options o = rt_pool_options_default();
  if (jitter) {
    o.on_wake = jitter_hook;
    o.on_wake_arg = &seq;
  }
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(pool_size, &o, &p));
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
    if (t == 0)
      CHECK_INT(expect_regions[0], s.regions);
    else if (s.regions > expect_regions[t])
      test_fail(__FILE__, __LINE__, "worker %d joined %lld regions, invited to %lld", t,
                (long long)s.regions, (long long)expect_regions[t]);
  }
  CHECK_INT((int64_t)REGIONS * N, total_items(p));
  free(c);
  rt_pool_free(p);
}

TEST(test_threadpool_many_regions_alternating_k_two_threads) { check_many_regions(2, false); }

TEST(test_threadpool_many_regions_alternating_k_three_threads) { check_many_regions(3, false); }

TEST(test_threadpool_many_regions_with_late_workers) { check_many_regions(3, true); }

/* on_wake hook that holds worker t while hold[t] is set (up to 5 s, then gives up and
 * records it): a worker descheduled for as long as the test wants. */
typedef struct hold_ctx {
  _Atomic int hold[4];
  _Atomic int held[4]; /* wake-ups that found hold[t] set */
  _Atomic int timed_out;
} hold_ctx;

static void hold_hook(void *arg, int t) {
  hold_ctx *h = arg;
  if (t < 0 || t > 3 || !atomic_load(&h->hold[t])) return;
  atomic_fetch_add(&h->held[t], 1);
  struct timespec t0, now, d = {0, 100000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (atomic_load(&h->hold[t])) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec >= 5) {
      atomic_store(&h->timed_out, 1);
      return;
    }
    nanosleep(&d, NULL);
  }
}

static void wait_until_held(hold_ctx *h, int t) {
  struct timespec d = {0, 100000};
  for (int i = 0; i < 50000 && !atomic_load(&h->held[t]); i++)
    nanosleep(&d, NULL);
}

/* With worker 1 held on its way into region 1, 1000 regions with k = 2 (dynamic and static)
 * complete without it: every item runs on the caller, nothing waits for the worker (the old
 * protocol would block in the first region until the hook gives up). Released, the worker
 * finds its region closed and runs nothing of it. */
TEST(test_threadpool_caller_does_not_wait_for_a_late_worker) {
  enum { REGIONS = 1000, N = 64 };
  hold_ctx h;
  memset(&h, 0, sizeof h);
  atomic_store(&h.hold[1], 1);
  rt_pool_options o = rt_pool_options_default();
  o.on_wake = hold_hook;
  o.on_wake_arg = &h;
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(2, &o, &p));
  count_ctx *c = new_count_ctx(2, N);
  for (int r = 0; r < REGIONS; r++)
    REQUIRE_OK(run_mode(p, (mode)(r % 3), 2, N, count_fn, c));
  wait_until_held(&h, 1);
  CHECK_INT(1, atomic_load(&h.held[1]));
  /* thread_index 1 did run: the static ranges 1, taken over by the caller (one in 3 regions). */
  CHECK_INT(REGIONS / 3, atomic_load(&c->calls_by[1]));
  rt_thread_stats s;
  REQUIRE_OK(rt_pool_stats(p, 1, &s));
  CHECK_INT(0, s.regions);
  CHECK_INT(0, s.items);
  atomic_store(&h.hold[1], 0);
  for (int r = 0; r < REGIONS; r++) /* the worker is back: regions work as before */
    REQUIRE_OK(run_mode(p, (mode)(r % 3), 2, N, count_fn, c));
  rt_pool_free(p); /* joins the worker: all its calls have landed */
  CHECK(!atomic_load(&h.timed_out));
  CHECK(!atomic_load(&c->bad_thread));
  CHECK(!atomic_load(&c->bad_range));
  for (int64_t i = 0; i < N; i++)
    CHECK_INT(2 * REGIONS, atomic_load(&c->hits[i]));
  free(c);
}

/* A worker late for region A must not join region B, which it was not invited to, even
 * while B is open with unclaimed chunks. Pool of 3: A (k = 3) invites workers 1 and 2, both
 * held; B (k = 2) invites worker 1 only. B's first chunk on the caller releases worker 2 and
 * keeps B open for 100 ms: worker 2 then sees generation B != A and goes back to sleep. */
typedef struct late_ctx {
  hold_ctx *h;
  _Atomic int calls_by[3];
  _Atomic int64_t items;
  _Atomic int first;
} late_ctx;

static void late_b_fn(void *vctx, int t, int64_t begin, int64_t end) {
  late_ctx *c = vctx;
  if (t >= 0 && t < 3) atomic_fetch_add(&c->calls_by[t], 1);
  atomic_fetch_add(&c->items, end - begin);
  if (t == 0 && !atomic_exchange(&c->first, 1)) {
    atomic_store(&c->h->hold[2], 0);
    struct timespec d = {0, 100000000};
    nanosleep(&d, NULL);
  }
}

TEST(test_threadpool_late_worker_does_not_join_a_later_region) {
  hold_ctx h;
  memset(&h, 0, sizeof h);
  atomic_store(&h.hold[1], 1);
  atomic_store(&h.hold[2], 1);
  rt_pool_options o = rt_pool_options_default();
  o.on_wake = hold_hook;
  o.on_wake_arg = &h;
  rt_pool *p = NULL;
  REQUIRE_OK(rt_pool_create(3, &o, &p));
  count_ctx *a = new_count_ctx(3, 30);
  REQUIRE_OK(rt_pool_run(p, 3, 30, count_fn, a)); /* region A: all 12 chunks on the caller */
  wait_until_held(&h, 2);
  CHECK_INT(1, atomic_load(&h.held[2]));
  late_ctx b = {.h = &h};
  REQUIRE_OK(rt_pool_run_grain(p, 2, 64, 1, late_b_fn, &b)); /* region B */
  CHECK_INT(64, atomic_load(&b.items));
  CHECK_INT(0, atomic_load(&b.calls_by[2]));
  rt_thread_stats s;
  REQUIRE_OK(rt_pool_stats(p, 2, &s));
  CHECK_INT(0, s.regions);
  CHECK_INT(0, s.calls);
  atomic_store(&h.hold[1], 0);
  rt_pool_free(p);
  CHECK(!atomic_load(&h.timed_out));
  for (int64_t i = 0; i < 30; i++)
    CHECK_INT(1, atomic_load(&a->hits[i]));
  CHECK_INT(0, atomic_load(&a->calls_by[1]) + atomic_load(&a->calls_by[2]));
  free(a);
}

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

/* Range 0 (the caller) waits for range 1 to have run, so worker 1 ran it (see split_fn). */
typedef struct cpu_ctx {
  _Atomic int cpu_of_thread1;
  _Atomic int done1;
} cpu_ctx;

static void cpu_fn(void *vctx, int t, int64_t begin, int64_t end) {
  cpu_ctx *c = vctx;
  if (t == 1) {
    atomic_store(&c->cpu_of_thread1, sched_getcpu());
    atomic_store(&c->done1, 1);
    return;
  }
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!atomic_load(&c->done1)) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec > 20) return;
    sched_yield();
  }
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
    cpu_ctx c = {.cpu_of_thread1 = -1, .done1 = 0};
    CHECK_OK(rt_pool_run_static(p, 2, 2, cpu_fn, &c));
    CHECK_INT(cpus[1 % n], atomic_load(&c.cpu_of_thread1));
  }
  rt_pool_free(p);
}
