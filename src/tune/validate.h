/* validate.h — measured validation of a CPU plan (issue 18): the cost model ranks, the
 * machine decides. Within a time budget the blocks of the plan the search chooses are run in
 * place (the whole model on the engine, per-block medians) and their measured times replace the
 * model's predictions; the search re-runs until every block of its plan has been measured or
 * the budget ends. Then the final plan, the pure-model plan and the baselines (each layer alone
 * on all cores, the natural blocks, the vendor's maximal runs on each core number) are timed
 * whole, interleaved round by round, and the fastest median wins: by construction the result
 * is no slower than any baseline it was timed against, up to the noise the record shows. */
#ifndef DLF_TUNE_VALIDATE_H
#define DLF_TUNE_VALIDATE_H

#include "kernels/kernels.h"
#include "plan/plan.h"
#include "tune/tune.h"

#define TUNE_MAX_CANDIDATES 16

typedef struct tune_validate_options {
  double budget_s; /* wall seconds of block measurement (> 0); the final timing comes after */
  int runs;        /* timed runs of each measured plan (0 = 5) */
  int rounds;      /* interleaved rounds of the final timing (0 = 9) */
  const kern_config *cfg; /* the kernels timed (NULL = kern_config_get()) */
} tune_validate_options;

typedef struct tune_candidate {
  char name[48];
  plan *p;                  /* owned */
  double median_ms, q1_ms, q3_ms; /* whole-model time over the rounds */
} tune_candidate;

typedef struct tune_validation {
  int iterations;          /* searches run (the first is the pure model's) */
  int64_t plans_measured;  /* whole-model runs to measure blocks */
  int64_t blocks_measured; /* distinct (run, core number) blocks with a measured time */
  bool budget_hit;         /* the budget ended before the search's plan was all measured */
  int64_t knob_variants;   /* whole-model runs trying tile heights and conv algorithms */
  double seconds;          /* wall time of the validation */
  double others_cores;     /* other processes' CPU use during the final timing, in cores
                            * (core/load.h; < 0 unknown): near 0, or the medians share noise */
  int n_candidates;
  tune_candidate cand[TUNE_MAX_CANDIDATES];
  int chosen;              /* index into cand */
} tune_validation;

/* The validated plan of pr on the host CPU (pr->target_cores threads): model is the search's
 * cost before measurement (the fitted cost model). *out is a copy of cand[chosen].p. */
dlf_status tune_validate_cpu(const tune_problem *pr, tune_cost_fn model, void *model_ctx,
                             const tune_validate_options *o, plan **out, tune_validation *v);
void tune_validation_free(tune_validation *v);
/* Appends the record's "validation" member (`, "validation": {...}`) to b. */
struct dlf_jbuf;
void tune_validation_json(const tune_validation *v, struct dlf_jbuf *b);

#endif
