/* threadpool.c — the runtime's persistent worker pool: one region runs on exactly k threads
 * (caller = worker 0), woken per worker through a futex word; see threadpool.h for the why. */
#include "runtime/threadpool.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"

#if !defined(__linux__)
#error "threadpool.c uses Linux futexes"
#endif

/* Two 64-byte lines: the L2 spatial prefetcher pulls lines in pairs, so words written by
 * different threads are kept 128 bytes apart to avoid false sharing. */
#define RT_LINE 128

/* Spin loops read the clock only every this many iterations (a vDSO call is ~20 ns). */
#define RT_SPIN_CLOCK_EVERY 64

typedef enum rt_mode { RT_MODE_DYNAMIC, RT_MODE_STATIC } rt_mode;

/* The claim word (see "Join protocol" in threadpool.h): generation in the high RT_GEN_BITS,
 * the next unclaimed unit of the dynamic schedule in the low RT_IDX_BITS. */
#define RT_IDX_BITS 24
#define RT_GEN_BITS (64 - RT_IDX_BITS)
#define RT_IDX_MASK ((UINT64_C(1) << RT_IDX_BITS) - 1)
#define RT_GEN_MASK ((UINT64_C(1) << RT_GEN_BITS) - 1)
#define RT_IDX_CLOSED RT_IDX_MASK /* index while a region's descriptor is being written */
/* Claim units per dynamic region: below RT_IDX_CLOSED, so a successful claim (idx < n_units)
 * never carries into the generation bits. */
#define RT_UNITS_MAX ((int64_t)RT_IDX_MASK - 1)

/* A static range's ticket: the generation shifted left by one, low bit set once taken. */
#define RT_TICKET_OPEN(g) ((g) << 1)
#define RT_TICKET_TAKEN(g) (((g) << 1) | 1)

static inline uint64_t claim_word(uint64_t gen, uint64_t idx) { return gen << RT_IDX_BITS | idx; }
static inline uint64_t claim_gen(uint64_t c) { return c >> RT_IDX_BITS; }
static inline uint64_t claim_idx(uint64_t c) { return c & RT_IDX_MASK; }

typedef struct rt_worker {
  /* The doorbell: written by the caller (invitation, ring) and this worker (sleeping). */
  _Alignas(RT_LINE) _Atomic uint32_t wake; /* bumped once per region this worker is invited to */
  _Atomic uint32_t sleeping; /* 1 while in (or entering) futex_wait on wake, until woken */
  _Atomic uint64_t invited;  /* generation of the latest region this worker was invited to */
  /* Static schedule: RT_TICKET_OPEN/TAKEN(gen) of range `index`. Own line: the caller's
   * take-over attempt must not bounce the line this worker spins on. */
  _Alignas(RT_LINE) _Atomic uint64_t ticket;
  /* Written only by this worker (stats) or set once at create. */
  _Alignas(RT_LINE) rt_thread_stats stats;
  struct rt_pool *pool;
  int index;
  pthread_t thread;
} rt_worker;

/* One region's descriptor as a participant copies it (see region_load). */
typedef struct rt_region {
  rt_task_fn fn;
  void *ctx;
  int64_t n_items, grain, unit, n_units; /* dynamic: a unit is `unit` chunks of `grain` items */
  int mode, k;                           /* k: participating threads (static: the ranges) */
} rt_region;

struct rt_pool {
  int size;
  int64_t spin_ns;
  rt_worker *workers; /* [size]; workers[0] is the caller's slot (stats only) */
  int started;        /* OS threads running: workers[1..started] */
  void (*on_wake)(void *arg, int thread_index);
  void *on_wake_arg;
  uint64_t gen; /* caller only: generation of the last region that invited workers */

  /* The region descriptor: written by the caller only while the claim word's index is
   * RT_IDX_CLOSED, read by workers seqlock-style (relaxed loads validated by a later claim).
   * Atomics because a late worker may read it while the caller rewrites it. */
  _Alignas(RT_LINE) _Atomic(rt_task_fn) fn;
  _Atomic(void *) ctx;
  _Atomic int64_t n_items, grain, unit, n_units;
  _Atomic int mode, k;
  _Atomic int stop;

  _Alignas(RT_LINE) _Atomic uint64_t claim; /* claim_word(generation, next unit) */
  _Alignas(RT_LINE) _Atomic uint32_t done;  /* units (dynamic) / ranges (static) run by workers */
  _Atomic uint32_t caller_sleeping;         /* 1 while the caller sleeps on done */
  _Alignas(RT_LINE) _Atomic int busy;       /* a region (or free) is in progress */
};

static void futex_wait(_Atomic uint32_t *addr, uint32_t expected) {
  /* Returns on wake, on *addr != expected (EAGAIN) or on a signal: callers re-check. */
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr, int n) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Wait until *word != old, spinning up to spin_ns, then sleeping. The sleeping flag and the
 * waker's exchange of it form a Dekker pair (both seq_cst): either the waker sees
 * sleeping == 1 and calls futex_wake, or this thread sees the new value before it sleeps.
 * The waker clears the flag (wake_sleeper), so while a woken thread waits for a CPU, further
 * changes of *word cost no system call: on the loaded 2-vCPU box a woken worker took ~0.5 ms
 * to run, and a futex_wake per region (1.2 us here) had doubled the empty k=2 region. */
static uint32_t wait_change(_Atomic uint32_t *word, uint32_t old, _Atomic uint32_t *sleeping,
                            int64_t spin_ns) {
  uint32_t v;
  if (spin_ns > 0) {
    int64_t t0 = now_ns();
    for (unsigned i = 1;; i++) {
      v = atomic_load_explicit(word, memory_order_acquire);
      if (v != old) return v;
      cpu_relax();
      if (i % RT_SPIN_CLOCK_EVERY == 0 && now_ns() - t0 > spin_ns) break;
    }
  }
  for (;;) {
    atomic_store(sleeping, 1);
    v = atomic_load(word);
    if (v != old) break;
    futex_wait(word, old);
  }
  atomic_store_explicit(sleeping, 0, memory_order_relaxed);
  return v;
}

/* The waker's side of wait_change, after it changed the word. */
static void wake_sleeper(_Atomic uint32_t *word, _Atomic uint32_t *sleeping) {
  if (atomic_load(sleeping) && atomic_exchange(sleeping, 0)) futex_wake(word, 1);
}

/* Items [begin, end) of static range t out of k over n items (threadpool.h's formula). */
static void static_range(int64_t n, int k, int t, int64_t *begin, int64_t *end) {
  int64_t q = n / k, r = n % k;
  *begin = (int64_t)t * q + (t < r ? t : r);
  *end = *begin + q + (t < r ? 1 : 0);
}

/* Runs claimed dynamic unit u on the calling thread, counted in stats s. */
static void run_unit(const rt_region *d, int t, int64_t u, rt_thread_stats *s) {
  const int64_t span = d->unit * d->grain;
  int64_t begin = u * span, stop = d->n_items - begin < span ? d->n_items : begin + span;
  while (begin < stop) {
    int64_t end = stop - begin < d->grain ? stop : begin + d->grain;
    d->fn(d->ctx, t, begin, end);
    s->items += end - begin;
    s->calls++;
    begin = end;
  }
}

/* Runs static range t (thread_index t, whoever runs it) on the calling thread. */
static void run_range(const rt_region *d, int t, rt_thread_stats *s) {
  int64_t begin, end;
  static_range(d->n_items, d->k, t, &begin, &end);
  d->fn(d->ctx, t, begin, end); /* k <= n_items: never empty */
  s->items += end - begin;
  s->calls++;
}

/* A worker's report of one finished unit or range: the last access to region state. The
 * caller may return (and start the next region) as soon as this add lands, so the wake below
 * may hit the caller's wait of a later region: a spurious wake-up, harmless (it re-checks).
 * Dekker pair with caller_wait: either this sees caller_sleeping == 1 or the caller sees the
 * new count before it sleeps. */
static void report_done(rt_pool *p) {
  atomic_fetch_add(&p->done, 1);
  /* Only the caller clears its flag. A waker that cleared it (exchange) could be a late
   * reporter of the previous region clearing the flag of the caller's NEXT wait, after the
   * caller checked done and before it slept: the next region's reporters would then see 0
   * and never wake it (a deadlock seen under ThreadSanitizer's scheduling). A wake that
   * lands in a later wait is only a spurious wake-up: the caller re-checks. */
  if (atomic_load(&p->caller_sleeping)) futex_wake(&p->done, 1);
}

/* Copies the descriptor. Only meaningful if a later successful claim of generation g
 * validates it (the caller rewrites it only after moving the claim word off generation g). */
static void region_load(rt_pool *p, rt_region *d) {
  d->fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
  d->ctx = atomic_load_explicit(&p->ctx, memory_order_relaxed);
  d->n_items = atomic_load_explicit(&p->n_items, memory_order_relaxed);
  d->grain = atomic_load_explicit(&p->grain, memory_order_relaxed);
  d->unit = atomic_load_explicit(&p->unit, memory_order_relaxed);
  d->n_units = atomic_load_explicit(&p->n_units, memory_order_relaxed);
  d->mode = atomic_load_explicit(&p->mode, memory_order_relaxed);
  d->k = atomic_load_explicit(&p->k, memory_order_relaxed);
  /* Seqlock read side: if any load above saw a later region's descriptor, the claim-word
   * store that preceded that write (claim_word(g', RT_IDX_CLOSED), then a release fence)
   * is visible to every atomic access after this fence, so the validating claim fails. */
  atomic_thread_fence(memory_order_acquire);
}

/* Worker w's part in region generation g (the one it was invited to), if that region is
 * still open; returns at once otherwise. *joined: the last generation counted in stats. */
static void worker_join(rt_pool *p, rt_worker *w, uint64_t g, uint64_t *joined) {
  const int t = w->index;
  uint64_t c = atomic_load_explicit(&p->claim, memory_order_acquire);
  if (claim_gen(c) != g || claim_idx(c) == RT_IDX_CLOSED) return; /* late: region gone */
  rt_region d;
  region_load(p, &d);
  if (d.mode == RT_MODE_STATIC) {
    uint64_t open = RT_TICKET_OPEN(g);
    /* Succeeds only while range t of generation g is unclaimed: the region is still open
     * (it cannot close before range t ran) and d is g's descriptor (see region_load). */
    if (!atomic_compare_exchange_strong_explicit(&w->ticket, &open, RT_TICKET_TAKEN(g),
                                                 memory_order_acq_rel, memory_order_relaxed))
      return; /* the caller stole the range, or a later region re-opened the ticket */
    w->stats.regions++;
    *joined = g;
    run_range(&d, t, &w->stats);
    report_done(p);
    return;
  }
  for (;;) {
    if (claim_idx(c) >= (uint64_t)d.n_units) return; /* all handed out (or d is stale) */
    /* The claim validates both the generation and, the first time, the copy d. */
    if (!atomic_compare_exchange_weak_explicit(&p->claim, &c, c + 1, memory_order_acq_rel,
                                               memory_order_acquire)) {
      if (claim_gen(c) != g) return;
      continue;
    }
    if (*joined != g) {
      w->stats.regions++;
      *joined = g;
    }
    run_unit(&d, t, (int64_t)claim_idx(c), &w->stats);
    report_done(p); /* from here on the region may be closed: only the claim word is read */
    c++;            /* a guess; a failed claim reloads it */
  }
}

static void *worker_main(void *arg) {
  rt_worker *w = arg;
  rt_pool *p = w->pool;
  uint32_t seen = 0; /* not a load: the caller may ring before this thread first runs */
  uint64_t joined = ~UINT64_C(0); /* no generation */
  for (;;) {
    seen = wait_change(&w->wake, seen, &w->sleeping, p->spin_ns);
    if (atomic_load_explicit(&p->stop, memory_order_acquire)) break;
    if (p->on_wake) p->on_wake(p->on_wake_arg, w->index);
    /* Several rings may have coalesced: only the latest invitation matters. */
    worker_join(p, w, atomic_load_explicit(&w->invited, memory_order_acquire), &joined);
  }
  return NULL;
}

/* Waits until workers have reported `expect` units/ranges. */
static void caller_wait(rt_pool *p, uint32_t expect) {
  if (atomic_load_explicit(&p->done, memory_order_acquire) == expect) return;
  if (p->spin_ns > 0) {
    int64_t t0 = now_ns();
    for (unsigned i = 1;; i++) {
      if (atomic_load_explicit(&p->done, memory_order_acquire) == expect) return;
      cpu_relax();
      if (i % RT_SPIN_CLOCK_EVERY == 0 && now_ns() - t0 > p->spin_ns) break;
    }
  }
  for (;;) {
    atomic_store(&p->caller_sleeping, 1);
    uint32_t v = atomic_load(&p->done);
    if (v == expect) break;
    futex_wait(&p->done, v);
  }
  atomic_store_explicit(&p->caller_sleeping, 0, memory_order_relaxed);
}

static void ring(rt_worker *w) {
  atomic_fetch_add(&w->wake, 1);
  wake_sleeper(&w->wake, &w->sleeping);
}

rt_pool_options rt_pool_options_default(void) {
  return (rt_pool_options){.pin_threads = false, .spin_us = RT_DEFAULT_SPIN_US, .on_wake = NULL};
}

/* Stop and join workers[1..p->started], then free everything. */
static void pool_destroy(rt_pool *p) {
  atomic_store(&p->stop, 1);
  for (int t = 1; t <= p->started; t++) {
    atomic_fetch_add(&p->workers[t].wake, 1);
    futex_wake(&p->workers[t].wake, 1);
  }
  for (int t = 1; t <= p->started; t++)
    pthread_join(p->workers[t].thread, NULL);
  free(p->workers);
  free(p);
}

dlf_status rt_pool_create(int threads, const rt_pool_options *opts, rt_pool **out) {
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "rt_pool_create: out is NULL");
  *out = NULL;
  rt_pool_options o = opts ? *opts : rt_pool_options_default();
  if (threads < 1 || threads > RT_POOL_MAX_THREADS)
    return dlf_error(DLF_ERR_INVALID_ARG, "rt_pool_create: %d threads outside 1..%d", threads,
                     RT_POOL_MAX_THREADS);
  if (o.spin_us < 0 || o.spin_us > 1000000)
    return dlf_error(DLF_ERR_INVALID_ARG, "rt_pool_create: spin_us %d outside 0..1000000",
                     o.spin_us);

  cpu_set_t allowed;
  int cpus[CPU_SETSIZE], n_cpus = 0;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
    for (int c = 0; c < CPU_SETSIZE; c++)
      if (CPU_ISSET(c, &allowed)) cpus[n_cpus++] = c;
  if (o.pin_threads && threads > 1 && n_cpus == 0)
    return dlf_error(DLF_ERR_UNSUPPORTED, "rt_pool_create: cannot read the CPU affinity mask");
  /* More threads than CPUs this process may use: a spinning thread would hold the CPU the
   * thread it waits for needs (the unit tests ran 40x slower under `taskset -c 0`). */
  if (n_cpus > 0 && threads > n_cpus) o.spin_us = 0;

  rt_pool *p = NULL;
  if (posix_memalign((void **)&p, RT_LINE, sizeof *p) != 0)
    return dlf_error(DLF_ERR_NOMEM, "rt_pool_create: cannot allocate the pool");
  memset(p, 0, sizeof *p);
  p->size = threads;
  p->on_wake = o.on_wake;
  p->on_wake_arg = o.on_wake_arg;
  atomic_store(&p->claim, claim_word(0, RT_IDX_CLOSED));
  p->spin_ns = (int64_t)o.spin_us * 1000;
  if (posix_memalign((void **)&p->workers, RT_LINE, (size_t)threads * sizeof(rt_worker)) != 0) {
    free(p);
    return dlf_error(DLF_ERR_NOMEM, "rt_pool_create: cannot allocate %d workers", threads);
  }
  memset(p->workers, 0, (size_t)threads * sizeof(rt_worker));
  for (int t = 0; t < threads; t++) {
    p->workers[t].pool = p;
    p->workers[t].index = t;
  }

  for (int t = 1; t < threads; t++) {
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc == 0 && o.pin_threads) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[t % n_cpus], &one);
      rc = pthread_attr_setaffinity_np(&attr, sizeof one, &one);
    }
    if (rc == 0) rc = pthread_create(&p->workers[t].thread, &attr, worker_main, &p->workers[t]);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      pool_destroy(p);
      return dlf_error(rc == EAGAIN ? DLF_ERR_LIMIT : DLF_ERR_INTERNAL,
                       "rt_pool_create: cannot start worker %d of %d%s (error %d)", t, threads,
                       o.pin_threads ? " pinned" : "", rc);
    }
    p->started = t;
  }
  *out = p;
  return DLF_OK;
}

void rt_pool_free(rt_pool *pool) {
  if (pool) pool_destroy(pool);
}

int rt_pool_size(const rt_pool *pool) { return pool ? pool->size : 0; }

/* Publishes descriptor d as a new generation and rings workers 1..d->k-1; returns the
 * generation. Seqlock write side: the claim word leaves the previous generation (index
 * RT_IDX_CLOSED: nothing claimable) before any descriptor field changes. */
static uint64_t region_open(rt_pool *p, const rt_region *d) {
  uint64_t g = (p->gen + 1) & RT_GEN_MASK;
  if (g == 0) g = 1; /* 0 is the generation of a fresh pool's closed claim word */
  p->gen = g;
  atomic_store_explicit(&p->claim, claim_word(g, RT_IDX_CLOSED), memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&p->fn, d->fn, memory_order_relaxed);
  atomic_store_explicit(&p->ctx, d->ctx, memory_order_relaxed);
  atomic_store_explicit(&p->n_items, d->n_items, memory_order_relaxed);
  atomic_store_explicit(&p->grain, d->grain, memory_order_relaxed);
  atomic_store_explicit(&p->unit, d->unit, memory_order_relaxed);
  atomic_store_explicit(&p->n_units, d->n_units, memory_order_relaxed);
  atomic_store_explicit(&p->mode, d->mode, memory_order_relaxed);
  atomic_store_explicit(&p->k, d->k, memory_order_relaxed);
  /* No worker can still add to done: the previous region closed only after every unit or
   * range it handed out had been reported. */
  atomic_store_explicit(&p->done, 0, memory_order_relaxed);
  if (d->mode == RT_MODE_STATIC)
    for (int t = 1; t < d->k; t++)
      atomic_store_explicit(&p->workers[t].ticket, RT_TICKET_OPEN(g), memory_order_relaxed);
  atomic_store_explicit(&p->claim, claim_word(g, 0), memory_order_release);
  for (int t = 1; t < d->k; t++) {
    atomic_store_explicit(&p->workers[t].invited, g, memory_order_release);
    ring(&p->workers[t]);
  }
  return g;
}

static dlf_status pool_run(rt_pool *p, int k, int64_t n, int64_t grain, rt_mode mode, rt_task_fn fn,
                           void *ctx, const char *who) {
  if (!p || !fn) return dlf_error(DLF_ERR_INVALID_ARG, "%s: pool or fn is NULL", who);
  if (k < 1 || k > p->size)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: k=%d threads outside 1..%d (pool size)", who, k,
                     p->size);
  if (n < 0 || n > INT64_MAX / 2)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: n_items=%lld outside 0..2^62", who, (long long)n);
  /* Keeps n + unit*grain (the end of the last unit before clamping) far from overflow. */
  if (grain < 1 || grain > (INT64_MAX - n) / (k + 1))
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: grain=%lld out of range", who, (long long)grain);
  if (n == 0) return DLF_OK;
  if (atomic_exchange_explicit(&p->busy, 1, memory_order_acquire))
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: pool is already running a region (nested or concurrent use)", who);

  rt_thread_stats *s0 = &p->workers[0].stats;
  s0->regions++;
  rt_region d = {.fn = fn, .ctx = ctx, .n_items = n, .grain = grain, .mode = mode};
  if (mode == RT_MODE_STATIC) {
    d.k = n < k ? (int)n : k; /* never wake a thread that would find no work */
    d.unit = 1;
    d.n_units = d.k;
    if (d.k == 1) {
      run_range(&d, 0, s0);
    } else {
      uint64_t g = region_open(p, &d);
      run_range(&d, 0, s0);
      /* A range whose owner has not started it by now is run here (still as thread_index
       * t): the owner is at least one range behind, so this finishes no later. */
      uint32_t mine = 0;
      for (int t = 1; t < d.k; t++) {
        uint64_t open = RT_TICKET_OPEN(g);
        if (atomic_compare_exchange_strong_explicit(&p->workers[t].ticket, &open,
                                                    RT_TICKET_TAKEN(g), memory_order_relaxed,
                                                    memory_order_relaxed)) {
          run_range(&d, t, s0);
          mine++;
        }
      }
      caller_wait(p, (uint32_t)(d.k - 1) - mine);
    }
  } else {
    int64_t chunks = (n - 1) / grain + 1;
    /* Past RT_UNITS_MAX chunks a claim takes several consecutive chunks (still one fn call
     * per chunk), so the unit index fits the claim word. */
    d.unit = chunks > RT_UNITS_MAX ? (chunks - 1) / RT_UNITS_MAX + 1 : 1;
    d.n_units = (chunks - 1) / d.unit + 1;
    d.k = d.n_units < k ? (int)d.n_units : k;
    if (d.k == 1) {
      for (int64_t u = 0; u < d.n_units; u++)
        run_unit(&d, 0, u, s0);
    } else {
      uint64_t g = region_open(p, &d);
      uint32_t mine = 0;
      /* Only the caller changes the generation, so a failed claim means a worker took a
       * unit; the claim word never passes n_units (compare-exchange, not fetch-add). */
      for (uint64_t c = claim_word(g, 0); claim_idx(c) < (uint64_t)d.n_units;) {
        if (atomic_compare_exchange_weak_explicit(&p->claim, &c, c + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
          run_unit(&d, 0, (int64_t)claim_idx(c), s0);
          mine++;
          c++;
        }
      }
      caller_wait(p, (uint32_t)d.n_units - mine);
    }
  }
  atomic_store_explicit(&p->busy, 0, memory_order_release);
  return DLF_OK;
}

dlf_status rt_pool_run(rt_pool *pool, int k, int64_t n_items, rt_task_fn fn, void *ctx) {
  int64_t grain = 1;
  if (pool && k >= 1 && k <= pool->size && n_items > 0) {
    int64_t chunks = (int64_t)k * RT_CHUNKS_PER_THREAD;
    grain = (n_items - 1) / chunks + 1;
  }
  return pool_run(pool, k, n_items, grain, RT_MODE_DYNAMIC, fn, ctx, "rt_pool_run");
}

dlf_status rt_pool_run_grain(rt_pool *pool, int k, int64_t n_items, int64_t grain, rt_task_fn fn,
                             void *ctx) {
  return pool_run(pool, k, n_items, grain, RT_MODE_DYNAMIC, fn, ctx, "rt_pool_run_grain");
}

dlf_status rt_pool_run_static(rt_pool *pool, int k, int64_t n_items, rt_task_fn fn, void *ctx) {
  return pool_run(pool, k, n_items, 1, RT_MODE_STATIC, fn, ctx, "rt_pool_run_static");
}

dlf_status rt_pool_stats(const rt_pool *pool, int thread, rt_thread_stats *out) {
  if (!pool || !out) return dlf_error(DLF_ERR_INVALID_ARG, "rt_pool_stats: pool or out is NULL");
  if (thread < 0 || thread >= pool->size)
    return dlf_error(DLF_ERR_INVALID_ARG, "rt_pool_stats: thread %d outside 0..%d", thread,
                     pool->size - 1);
  *out = pool->workers[thread].stats;
  return DLF_OK;
}

void rt_pool_reset_stats(rt_pool *pool) {
  if (!pool) return;
  for (int t = 0; t < pool->size; t++)
    memset(&pool->workers[t].stats, 0, sizeof(rt_thread_stats));
}
