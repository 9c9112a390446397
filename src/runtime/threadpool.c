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

typedef struct rt_worker {
  /* Written by the caller (wake) and this worker (sleeping): the per-worker doorbell. */
  _Alignas(RT_LINE) _Atomic uint32_t wake; /* bumped once per region this worker joins */
  _Atomic uint32_t sleeping;               /* 1 while in (or entering) futex_wait on wake */
  /* Written only by this worker (stats) or set once at create. */
  _Alignas(RT_LINE) rt_thread_stats stats;
  struct rt_pool *pool;
  int index;
  pthread_t thread;
} rt_worker;

struct rt_pool {
  int size;
  int64_t spin_ns;
  rt_worker *workers; /* [size]; workers[0] is the caller's slot (stats only) */
  int started;        /* OS threads running: workers[1..started] */

  /* The region descriptor: written by the caller before it rings the doorbells, read by
   * participants after; constant while the region runs. */
  _Alignas(RT_LINE) rt_task_fn fn;
  void *ctx;
  int64_t n_items, grain;
  rt_mode mode;
  int k; /* participating threads, workers 0..k-1 */
  _Atomic int stop;

  _Alignas(RT_LINE) _Atomic int64_t next;     /* dynamic mode: first item not yet handed out */
  _Alignas(RT_LINE) _Atomic uint32_t pending; /* participants (other than 0) still running */
  _Atomic uint32_t caller_sleeping;           /* 1 while the caller sleeps on pending */
  _Alignas(RT_LINE) _Atomic int busy;         /* a region (or free) is in progress */
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
 * waker's check of it form a Dekker pair (both seq_cst): either the waker sees sleeping == 1
 * and calls futex_wake, or this thread sees the new value before it sleeps. */
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

/* Worker t's share of the current region. Reads the descriptor only before returning. */
static void run_share(rt_pool *p, int t) {
  rt_thread_stats *s = &p->workers[t].stats;
  const int64_t n = p->n_items;
  s->regions++;
  if (p->mode == RT_MODE_STATIC) {
    int64_t q = n / p->k, r = n % p->k;
    int64_t begin = (int64_t)t * q + (t < r ? t : r);
    int64_t end = begin + q + (t < r ? 1 : 0);
    if (end > begin) {
      p->fn(p->ctx, t, begin, end);
      s->items += end - begin;
      s->calls++;
    }
    return;
  }
  const int64_t grain = p->grain;
  for (;;) {
    int64_t begin = atomic_fetch_add_explicit(&p->next, grain, memory_order_relaxed);
    if (begin >= n) break;
    int64_t end = n - begin < grain ? n : begin + grain;
    p->fn(p->ctx, t, begin, end);
    s->items += end - begin;
    s->calls++;
  }
}

static void *worker_main(void *arg) {
  rt_worker *w = arg;
  rt_pool *p = w->pool;
  uint32_t seen = 0; /* not a load: the caller may ring before this thread first runs */
  for (;;) {
    seen = wait_change(&w->wake, seen, &w->sleeping, p->spin_ns);
    if (atomic_load_explicit(&p->stop, memory_order_acquire)) break;
    run_share(p, w->index);
    /* The last one out wakes the caller if it went to sleep (Dekker pair with caller_wait). */
    if (atomic_fetch_sub(&p->pending, 1) == 1 && atomic_load(&p->caller_sleeping))
      futex_wake(&p->pending, 1);
  }
  return NULL;
}

static void caller_wait(rt_pool *p) {
  if (p->spin_ns > 0) {
    int64_t t0 = now_ns();
    for (unsigned i = 1;; i++) {
      if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0) return;
      cpu_relax();
      if (i % RT_SPIN_CLOCK_EVERY == 0 && now_ns() - t0 > p->spin_ns) break;
    }
  }
  for (;;) {
    atomic_store(&p->caller_sleeping, 1);
    uint32_t v = atomic_load(&p->pending);
    if (v == 0) break;
    futex_wait(&p->pending, v);
  }
  atomic_store_explicit(&p->caller_sleeping, 0, memory_order_relaxed);
}

static void ring(rt_worker *w) {
  atomic_fetch_add(&w->wake, 1);
  if (atomic_load(&w->sleeping)) futex_wake(&w->wake, 1);
}

rt_pool_options rt_pool_options_default(void) {
  return (rt_pool_options){.pin_threads = false, .spin_us = RT_DEFAULT_SPIN_US};
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

static dlf_status pool_run(rt_pool *p, int k, int64_t n, int64_t grain, rt_mode mode, rt_task_fn fn,
                           void *ctx, const char *who) {
  if (!p || !fn) return dlf_error(DLF_ERR_INVALID_ARG, "%s: pool or fn is NULL", who);
  if (k < 1 || k > p->size)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: k=%d threads outside 1..%d (pool size)", who, k,
                     p->size);
  /* INT64_MAX/2 bounds next + k*grain in the dynamic counter well below overflow. */
  if (n < 0 || n > INT64_MAX / 2)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: n_items=%lld outside 0..2^62", who, (long long)n);
  /* Each thread overshoots the counter by at most one grain: n + (k+1)*grain must fit. */
  if (grain < 1 || grain > (INT64_MAX - n) / (k + 1))
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: grain=%lld out of range", who, (long long)grain);
  if (n == 0) return DLF_OK;
  if (atomic_exchange_explicit(&p->busy, 1, memory_order_acquire))
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: pool is already running a region (nested or concurrent use)", who);

  /* Never wake a thread that would find no work. */
  int64_t chunks = mode == RT_MODE_STATIC ? n : (n - 1) / grain + 1;
  int kk = chunks < k ? (int)chunks : k;
  p->fn = fn;
  p->ctx = ctx;
  p->n_items = n;
  p->grain = grain;
  p->mode = mode;
  p->k = kk;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  if (kk > 1) {
    atomic_store_explicit(&p->pending, (uint32_t)(kk - 1), memory_order_relaxed);
    for (int t = 1; t < kk; t++)
      ring(&p->workers[t]); /* seq_cst: publishes the descriptor */
  }
  run_share(p, 0);
  if (kk > 1) caller_wait(p);
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
