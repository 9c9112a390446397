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
 *   10^5 regions per row, the three interleaved in blocks of 5000; 2-vCPU AMD EPYC (Zen 5,
 *   family 0x1a) VM shared with other jobs; gcc 12 -O2; rt_pool spin 500 us; two runs, load
 *   average 10 / 3):
 *       k=1: rt_pool 0.020 us,      OpenMP 1.29 / 1.21 us (65x / 61x), pthreadpool 0.010 us
 *       k=2: rt_pool 0.89 / 0.56 us, OpenMP 3.04 / 2.87 us (3.4x / 5.1x),
 *            pthreadpool 1.60 / 1.61 us (1.8x / 2.9x)
 *   (pthreadpool's k=1 is a separate 1-thread pool that just loops inline; 10 ns either way
 *   is noise next to a layer.) First k=2 region after 50 ms idle (workers asleep, futex
 *   wake-up on a loaded box): rt_pool 5.6 / 1.1 ms, OpenMP 6.8 / 1.5, pthreadpool 10 / 3.7.
 *   So the own pool is the fastest at k=2, where dispatch cost matters, and is the
 *   only one that meets the exactly-k and per-session requirements without extra pools.
 *   (These numbers predate the join protocol below.)
 * - Join protocol, before (the caller waited for every woken worker) vs after: the bench
 *   built against both pools (old = the previous threadpool.c plus the on_wake hook) and
 *   run alternately, `threadpool_overhead 20000 500 dispatch` / `... 40000 500 small`;
 *   same VM, load average 7..15 from other jobs (so a woken worker often had no CPU):
 *     empty region (dispatch part, 2*10^4 regions): k=1 0.011 us both; k=2 median
 *       old 0.59 / 0.67 us, new 0.030 / 0.030 us (~20x; the caller now runs a range whose
 *       owner has not started, so the worker rarely takes part in an empty region);
 *       first k=2 region after 50 ms idle: old 7.2 / 21 ms, new 33 / 14 us.
 *     small regions (part "small": k=2, 16 items of 1 us, 4000 regions per scenario,
 *       three old/new pairs): median old 1028 / 1031 / 1064 us, new 16.0 / 15.6 / 15.6 us;
 *       mean old 1760 / 2198 / 2547 us, new 38 / 47 / 75 us (34..47x); with worker 1 held
 *       1 ms on every 10th wake-up: mean old 2628 / 2608 / 2479 us, new 55 / 52 / 69 us.
 *       Plus a busy loop on one vCPU: median old 1025 / 9.0 us, new 15.5 / 15.7 us; mean
 *       old 3263 / 1030 us, new 112 / 127 us. Under this load the new pool's worker ran
 *       0.2..1.6% of the items (it mostly had no CPU) and the old one 15..44%, paid for by
 *       a caller blocked for a scheduler quantum (~1 ms) in most regions.
 *     whole model (`dlfusion bench zoo:squeezenet1_0 --threads 2 --runs 20`, CLI linked
 *       against each pool, alternately, load average 7.5): median old 141 / 124 / 141 ms,
 *       new 62 / 61 / 78 ms; --threads 1: 73 ms both. (Old: 2 threads slower than 1.)
 *
 * How a region works (rt_pool_run*): the caller publishes the region descriptor under a new
 * generation number g, records g as the invitation of workers 1..k-1 only and bumps their
 * wake words (one cache line per worker; futex-woken if asleep), then works as worker 0.
 * Workers k..size-1 are untouched: their counters stay 0. Idle workers spin for
 * options.spin_us, then sleep in futex_wait; the waker clears the sleep flag when it calls
 * futex_wake, so rings to a worker that is woken but has no CPU yet make no system call.
 * No allocation and no system call on the hot path while workers are spinning.
 *
 * Join protocol — the caller returns as soon as every ITEM has run, not when every woken
 * worker has checked in: on a loaded machine a woken worker may not get a CPU for a whole
 * scheduler quantum (milliseconds), and waiting for it made every k=2 layer cost one.
 * - Claim word: 64 bits = generation (high 40) | next unclaimed unit (low 24). The dynamic
 *   schedule hands out units (normally one chunk of `grain` items) by compare-exchange on
 *   it, never fetch-add, so a claim succeeds only if the generation is still the one the
 *   claimer expects and the index never passes n_units (no carry into the generation).
 *   The static schedule gives range t a per-worker ticket, (g << 1) | taken, claimed by
 *   compare-exchange by worker t or, once the caller has finished range 0, by the caller.
 * - Done count: a worker adds 1 after each unit/range it ran (after its stats); the caller
 *   counts its own and waits (spin, then futex) until the workers' adds make up the rest.
 *   A unit can only be claimed while its region is open, and the region closes only after
 *   every claimed unit was reported, so a worker never adds to a later region's count.
 * - Late worker: woken for generation g (its latest invitation; several rings coalesce), it
 *   claims only in generation g. It reads the claim word: another generation, or index
 *   "closed", means its region is gone and it goes back to waiting. It then copies the
 *   descriptor (fn, ctx, sizes) with relaxed atomic loads and an acquire fence; the copy is
 *   used only if the following claim of generation g succeeds. Seqlock order on the caller's
 *   side: the claim word moves to (g+1, closed) and a release fence is issued BEFORE any
 *   descriptor field of region g+1 is written, so a copy that saw any of g+1's fields makes
 *   the validating claim fail. After its last report a worker reads nothing but the claim
 *   word (and the caller's sleep flag: a spurious futex wake of a later wait, harmless).
 * - ABA cases: (1) the claim word returns to exactly (g, i) only after 2^40 generations —
 *   a worker would have to stall between two instructions for 2^40 regions (over a day at
 *   100 ns per region); accepted. (2) Index reuse within g: indices only grow within a
 *   generation. (3) A ticket (g, open) of worker t is re-opened only by a later generation,
 *   so a late worker's compare-exchange against (g, open) fails once the caller took the
 *   range or a new region started. (4) A late worker invited to g and again to g+1 may see
 *   invitation g+1 on its first look: it then simply joins g+1, to which it was invited.
 *   (5) The descriptor copy could mix regions g and g+1 only if the caller rewrote it while
 *   the claim word still showed g — excluded by the order above. (6) `done` is reset by the
 *   caller for g+1 only after g's count completed, and nobody adds for a closed region.
 * - Static ranges keep their boundaries and their thread_index t whoever runs them; the
 *   caller takes an unstarted range only after its own: its owner is then at least a whole
 *   range behind, so running it on the caller finishes no later than waiting would.
 * - Stats: a worker counts a region only if it ran a chunk or range of it, so a late worker
 *   shows fewer regions than it was invited to; all stats writes happen before the done
 *   add the caller waits for, so they are complete (and race-free) between regions.
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
  /* Test/bench hook, NULL in production: called on worker t (t >= 1) each time it wakes for
   * an invitation, before it looks at the region. A hook that blocks plays a descheduled
   * worker (tests/unit/test_threadpool.c, bench/threadpool_overhead.c). */
  void (*on_wake)(void *arg, int thread_index);
  void *on_wake_arg;
} rt_pool_options;

/* The work of a region: items [begin, end) on worker thread_index (0 = the caller). */
typedef void (*rt_task_fn)(void *ctx, int thread_index, int64_t begin, int64_t end);

/* Per-thread counters, written only by their own thread; read them between regions. */
typedef struct rt_thread_stats {
  int64_t items;   /* items executed (sum of end - begin over fn calls) */
  int64_t calls;   /* fn calls (chunks) executed */
  int64_t regions; /* regions this thread took part in: every region it called (worker 0),
                    * regions in which it ran at least one chunk or range (workers >= 1) */
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
 * mapping of items to threads varies between runs. Returns when every item has run, without
 * waiting for a woken worker that has not claimed anything yet (see "Join protocol").
 * n_items == 0 returns at once without touching any thread. Errors: k < 1, k > pool size,
 * n_items < 0, fn NULL, pool busy (nested/concurrent call). */
dlf_status rt_pool_run(rt_pool *pool, int k, int64_t n_items, rt_task_fn fn, void *ctx);

/* As rt_pool_run with an explicit chunk size (grain >= 1 items per fn call). */
dlf_status rt_pool_run_grain(rt_pool *pool, int k, int64_t n_items, int64_t grain, rt_task_fn fn,
                             void *ctx);

/* Static schedule: range t of k' = min(k, n_items) is the contiguous
 * [t*q + min(t, r), (t+1)*q + min(t+1, r)) with q = n_items / k', r = n_items % k' — the
 * boundaries are deterministic, each range is one fn call with thread_index t, no shared
 * counter. Worker t runs range t, unless it has not started it when the caller has finished
 * range 0: then the caller runs it (still passing thread_index t, so per-thread scratch or
 * per-range outputs indexed by thread_index stay private; the items count in thread 0's
 * stats). Returns when every range has run. */
dlf_status rt_pool_run_static(rt_pool *pool, int k, int64_t n_items, rt_task_fn fn, void *ctx);

/* Counters of worker `thread` (0..size-1) since creation or the last reset. Call between
 * regions (not while one runs). */
dlf_status rt_pool_stats(const rt_pool *pool, int thread, rt_thread_stats *out);
void rt_pool_reset_stats(rt_pool *pool);

#endif
