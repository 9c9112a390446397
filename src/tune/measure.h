/* measure.h — timing plans on the host CPU by running them on the runtime engine directly:
 * the profiler's synthesized layers and the CPU oracle's candidate blocks. Below src/api:
 * nothing here goes through a public handle. */
#ifndef DLF_TUNE_MEASURE_H
#define DLF_TUNE_MEASURE_H

#include "ir/ir.h"
#include "plan/plan.h"
#include "runtime/engine.h"
#include "tune/tune.h"

/* An engine of g running plan p on `threads` threads, with zero-filled buffers of the graph's
 * inputs and outputs (NCHW, as the engine takes them) and the per-block times of its last run. */
typedef struct tune_bench {
  rt_engine *e;
  int n_blocks;
  double *block_ms; /* per plan block, the last run's wall-clock ms */
  int n_in, n_out;
  void **in, **out; /* g->inputs / g->outputs order; callers may write the inputs */
} tune_bench;

/* p is checked against g (plan_check) first: a bench never runs a plan a session would refuse.
 * cfg: the kernels (NULL = kern_config_get()). On failure *b is released. */
dlf_status tune_bench_open(const ir_graph *g, const plan *p, int threads, const kern_config *cfg,
                           tune_bench *b);
/* One run; *ms (may be NULL) gets the sum of the block times: the layers' time, without the
 * NCHW <-> NHWC conversion at the model's edges, which belongs to no layer. */
dlf_status tune_bench_run(tune_bench *b, double *ms);
void tune_bench_close(tune_bench *b);
/* Plan p of g on `threads` threads: one warm-up, then `runs` timed runs; ms[b] gets block b's
 * median (the upper one for an even count) in ms. What every in-place block measurement of
 * the tuner (CPU oracle, CPU vendor, validation) is made of. */
dlf_status tune_bench_block_medians(const ir_graph *g, const plan *p, int threads, int runs,
                                    const kern_config *cfg, double *ms);

/* ---- the CPU oracle: every candidate block measured ---- */

typedef struct tune_measured {
  const tune_problem *pr;
  double *us; /* [(first * max_len + len - 1) * n_k + c]; < 0 = not measured */
  int max_len;
  int64_t evaluations; /* blocks measured */
} tune_measured;

/* Measure every run of up to pr->max_block_layers fusable layers on every allowed core number
 * (medians of `runs` timed runs after one warm-up): one plan per (run length, offset, core
 * number) tiles the model with such runs, so each run is timed in the company it would have. */
dlf_status tune_measure_blocks(const tune_problem *pr, int runs, const kern_config *cfg,
                               tune_measured *out);
void tune_measured_free(tune_measured *m);
/* ctx: a tune_measured. The measured microseconds of the run, -1 when not measured. */
double tune_cost_measured(void *ctx, const tune_problem *pr, int first, int last, int k);

/* ---- the CPU vendor: the maximal-run plan on each core number, measured ---- */

/* The block cost tune_vendor decides with on a CPU: on the first request for core number k,
 * the plan of pr's maximal fusable runs (tune_maximal_runs) all on k is run (one warm-up,
 * `runs` timed runs) and each block's median kept; requests for other runs get -1. */
typedef struct tune_measured_runs {
  const tune_problem *pr;
  int runs;
  const kern_config *cfg;
  int nb, *starts;     /* the maximal runs */
  double *us;          /* [c * nb + b]; < 0 = not measured */
  dlf_status status;   /* the first failure of a measurement (DLF_OK: none) */
  int64_t evaluations; /* blocks measured */
} tune_measured_runs;

dlf_status tune_measured_runs_init(const tune_problem *pr, int runs, const kern_config *cfg,
                                   tune_measured_runs *out);
void tune_measured_runs_free(tune_measured_runs *m);
/* ctx: a tune_measured_runs. */
double tune_cost_measured_runs(void *ctx, const tune_problem *pr, int first, int last, int k);

#endif
