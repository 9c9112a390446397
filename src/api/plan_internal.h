/* plan_internal.h — what a dlf_plan is inside, and the hooks the session (and later the
 * tuner) use: the internal plan struct, copying, re-checking against a model, wrapping. */
#ifndef DLF_API_PLAN_INTERNAL_H
#define DLF_API_PLAN_INTERNAL_H

#include "dlfusion.h"
#include "plan/plan.h"
#include "plan/plan_json.h"

struct dlf_plan {
  plan *p;                  /* what the engine executes */
  char *source;             /* the name messages use: its file, "plan", or the model spec */
  int n_names;              /* layers the names below cover (0 = write indices) */
  char **names;             /* per layer: the name the writer uses, NULL = its index */
  plan_json_extra extra;    /* "comment" and "tuner", kept for writing */
  const char ***algo_names; /* per block: dlf_block_info.algorithms (static strings) */
};

/* The plan the engine executes (owned by the dlf_plan); NULL for NULL. */
const plan *dlf_plan_get(const dlf_plan *plan);

/* The name the plan's messages use for it (its file name, or "plan"). */
const char *dlf_plan_source(const dlf_plan *plan);

/* Check plan against model with every check of dlf_plan_load (fingerprint included). A
 * session calls this on the plan it is given: a plan loaded for one dlf_model may be handed
 * to a session of another. */
dlf_status dlf_plan_check_model(const dlf_plan *plan, const dlf_model *model);

/* A deep copy of a plan struct (blocks, layers, algorithms, model string). */
dlf_status plan_copy(const plan *src, plan **out);

/* A deep copy of a dlf_plan (names and comments included). */
dlf_status dlf_plan_copy(const dlf_plan *plan, dlf_plan **out);

/* Wrap an internal plan, taking ownership of p in every case (freed on failure). Not checked
 * and without layer names (the writer writes indices): for plans that are known to be valid. */
dlf_status dlf_plan_wrap(plan *p, dlf_plan **out);

/* Wrap an internal plan made for model (by the session, the tuner, a test): checks it with
 * plan_check and keeps the model's layer names for writing. Takes ownership of p in every
 * case. source names it in messages (NULL = the model's spec). */
dlf_status dlf_plan_wrap_model(const dlf_model *model, plan *p, const char *source, dlf_plan **out);

#endif
