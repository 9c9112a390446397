/* threadpool.h — persistent worker threads that run one parallel region per fused block on
 * EXACTLY k of them (k = the block's core number); the caller is worker 0, the rest sleep.
 *
 * Why an own pool, not OpenMP or Debian's libpthreadpool (XNNPACK's, 2021 snapshot):
 * - Requirement: a region runs on exactly k threads (k <= pool size, chosen per block) while
 *   the other workers stay idle and are not even woken, with stable thread identities (worker t
 *   is always the same OS thread, so per-thread scratch and pinning mean something).
 * - libpthreadpool always uses every thread of the pool: the Debian version's API has no
 *   per-call thread count. Exactly-k would take one pool per k:
 *   1+2+...+cores threads, and "worker 1" of the k=2 pool is a different thread than "worker 1"
 *   of the k=3 pool. Its work items are single indices or fixed tiles, not ranges.
 * - OpenMP (libgomp) honours num_threads(k), but its thread pool and spin policy are global
 *   process state (OMP_WAIT_POLICY / GOMP_SPINCOUNT env vars), shared with any other OpenMP
 *   user in the process (e.g. a BLAS), so two sessions cannot each own a pool, and it cannot
 *   be configured per session. It also puts OpenMP into the library's link requirements.
 * - Measured dispatch overhead of an empty region (bench/threadpool_overhead.c: medians of
 *   10^5 regions per row, the three interleaved in blocks of 5000; 2-vCPU AMD EPYC (Zen 5, family 0x1a) VM
 *   shared with other jobs; gcc 12 -O2; rt_pool spin 500 us; two runs, load average 10 / 3):
 *       k=1: rt_pool 0.020 us,      OpenMP 1.29 / 1.21 us (65x / 61x), pthreadpool 0.010 us
 *       k=2: rt_pool 0.89 / 0.56 us, OpenMP 3.04 / 2.87 us (3.4x / 5.1x),
 *            pthreadpool 1.60 / 1.61 us (1.8x / 2.9x)
 *   (pthreadpool's k=1 is a separate 1-thread pool that just loops inline; 10 ns either way
 *   is noise next to a layer.) First k=2 region after 50 ms idle (workers asleep, futex
 *   wake-up on a loaded box): rt_pool 5.6 / 1.1 ms, OpenMP 6.8 / 1.5, pthreadpool 10 / 3.7.
 *   So the own pool is the fastest at k=2, where dispatch cost matters, and is the
 *   only one that meets the exactly-k and per-session requirements without extra pools.
 *
 * How a region works (rt_pool_run*): the caller writes the region descriptor, then bumps the
 * wake word of workers 1..k-1 only (one cache line per worker; futex-woken if asleep), runs
 * its own share as worker 0, and waits (spin, then futex) until the k-1 workers have
 * decremented a pending counter. Workers k..size-1 are untouched: their counters stay 0.
 * Idle workers spin for options.spin_us, then sleep in futex_wait. No allocation and no
 * system call on the hot path while workers are spinning.
 *
 * Thread safety: a pool serves one caller at a time (one session owns one pool; sessions
 * each own their pool). A second concurrent or nested rt_pool_run on the same pool fails
 * with DLF_ERR_INVALID_ARG rather than corrupting state. Linux only (futex). */
#ifndef DLF_RUNTIME_THREADPOOL_H
#define DLF_RUNTIME_THREADPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "dlfusion.h"

/* Upper bound on pool size: far above any core count we target; bounds create's allocation. */
#define RT_POOL_MAX_THREADS 1024

/* Default spin before an idle worker (or the waiting caller) sleeps. It must exceed the
 * futex wake-up latency, else caller and worker fall into a ping-pong where each sleeps
 * before the other is back: measured with bench/threadpool_overhead on the loaded 2-vCPU box,
 * spin 50 us gave 110 us per empty k=2 region, 100..2000 us all gave 0.57 us. 500 us keeps a
 * 5x margin and still returns an idle pool's CPUs within a millisecond of the last region. */
#define RT_DEFAULT_SPIN_US 500

/* rt_pool_run's automatic grain: about this many chunks per participating thread, so a
 * thread that starts late (woken from sleep, preempted) can be balanced by the others while
 * the atomic counter is touched only O(k) times per region. */
#define RT_CHUNKS_PER_THREAD 4

typedef struct rt_pool rt_pool;

typedef struct rt_pool_options {
  bool pin_threads; /* pin worker t (t >= 1) to the t-th CPU of the process's affinity mask
                     * (wrapping); the caller thread (worker 0) is never pinned by the pool */
  int spin_us;      /* spin this long waiting for work before sleeping; 0 = sleep at once.
                     * Forced to 0 when threads > CPUs in the process's affinity mask. */
} rt_pool_options;

/* The work of a region: items [begin, end) on worker thread_index (0 = the caller). */
typedef void (*rt_task_fn)(void *ctx, int thread_index, int64_t begin, int64_t end);

/* Per-thread counters, written only by their own thread; read them between regions. */
typedef struct rt_thread_stats {
  int64_t items;   /* items executed (sum of end - begin over fn calls) */
  int64_t calls;   /* fn calls (chunks) executed */
  int64_t regions; /* regions this thread took part in (was woken for / ran as caller) */
} rt_thread_stats;

/* Defaults: no pinning, RT_DEFAULT_SPIN_US. */
rt_pool_options rt_pool_options_default(void);

/* A pool of `threads` workers (1..RT_POOL_MAX_THREADS) including the caller: threads-1 OS
 * threads are started. opts may be NULL (defaults). */
dlf_status rt_pool_create(int threads, const rt_pool_options *opts, rt_pool **out);

/* Stops and joins the workers. NULL is allowed. Not while a region runs. */
void rt_pool_free(rt_pool *pool);

int rt_pool_size(const rt_pool *pool);

/* Run fn over items [0, n_items) on min(k, number of chunks) threads: worker 0 (the caller)
 * and workers 1..k-1. Chunks are handed out dynamically from an atomic counter, each of
 * grain = ceil(n_items / (k * RT_CHUNKS_PER_THREAD)) items (the last may be shorter), so the
 * mapping of items to threads varies between runs. Returns when every item has run.
 * n_items == 0 returns at once without touching any thread. Errors: k < 1, k > pool size,
 * n_items < 0, fn NULL, pool busy (nested/concurrent call). */
dlf_status rt_pool_run(rt_pool *pool, int k, int64_t n_items, rt_task_fn fn, void *ctx);

/* As rt_pool_run with an explicit chunk size (grain >= 1 items per fn call). */
dlf_status rt_pool_run_grain(rt_pool *pool, int k, int64_t n_items, int64_t grain, rt_task_fn fn,
                             void *ctx);

/* Static schedule: thread t of k' = min(k, n_items) gets exactly one contiguous range,
 * [t*q + min(t, r), (t+1)*q + min(t+1, r)) with q = n_items / k', r = n_items % k' —
 * deterministic, one fn call per thread, no shared counter. */
dlf_status rt_pool_run_static(rt_pool *pool, int k, int64_t n_items, rt_task_fn fn, void *ctx);

/* Counters of worker `thread` (0..size-1) since creation or the last reset. Call between
 * regions (not while one runs). */
dlf_status rt_pool_stats(const rt_pool *pool, int thread, rt_thread_stats *out);
void rt_pool_reset_stats(rt_pool *pool);

#endif
