/* session.c — the public session API: create once, run many. DLF_ENGINE_DEFAULT runs
 * the fast engine (src/runtime/engine.h), DLF_ENGINE_REFERENCE the reference executor.
 * No globals: sessions are independent of each other. */
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "api/session_internal.h"
#include "core/checked.h"
#include "ir/ref_exec.h"
#include "runtime/engine.h"

struct dlf_session {
  const dlf_model *model;
  dlf_engine engine;
  int threads;
  ir_ref_exec *ref;  /* DLF_ENGINE_REFERENCE */
  rt_engine *fast;   /* DLF_ENGINE_DEFAULT */
  dlf_plan *plan;    /* what fast runs (a copy, or the unfused plan) */
};

/* The kernels opts->isa asks for: NULL (the DLF_ISA default, kern_config_get) for none. */
static dlf_status isa_config(const dlf_model *model, const char *isa, const kern_config **cfg) {
  *cfg = NULL;
  if (!isa || !isa[0]) return DLF_OK;
  int want = -1;
  for (int i = 0; i < KERN_ISA_COUNT; i++)
    if (!strcmp(isa, kern_isa_name((kern_isa)i))) want = i;
  if (want < 0)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: isa '%.32s' is not one of generic, avx2, avx512",
                     model->spec, isa);
  /* never above what the CPU runs: the best below the request (generic always runs) */
  while (want > 0 && !kern_config_for_isa((kern_isa)want))
    want--;
  *cfg = kern_config_for_isa((kern_isa)want);
  return DLF_OK;
}

dlf_status dlf_session_create(const dlf_model *model, const dlf_session_options *opts,
                              dlf_session **out) {
  dlf_error_clear();
  if (out) *out = NULL;
  const kern_config *cfg = NULL;
  if (model && opts) DLF_TRY(isa_config(model, opts->isa, &cfg));
  return dlf_session_create_with_config(model, opts, cfg, out);
}

dlf_status dlf_session_create_with_config(const dlf_model *model, const dlf_session_options *opts,
                                          const kern_config *cfg, dlf_session **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_session_create: out is NULL");
  *out = NULL;
  if (!model) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_session_create: model is NULL");
  dlf_engine engine = opts ? opts->engine : DLF_ENGINE_DEFAULT;
  if (engine != DLF_ENGINE_DEFAULT && engine != DLF_ENGINE_REFERENCE)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: unknown engine %d", model->spec, (int)engine);
  if (opts && opts->threads < 0)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: thread count %d is negative", model->spec,
                     opts->threads);
  dlf_session *s = calloc(1, sizeof *s);
  if (!s) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory creating a session", model->spec);
  s->model = model;
  s->engine = engine;
  s->threads = opts ? opts->threads : 0;
  dlf_status st;
  const plan *given = opts ? dlf_plan_get(opts->plan) : NULL;
  if (engine == DLF_ENGINE_REFERENCE) {
    st = given ? dlf_error(DLF_ERR_INVALID_ARG,
                           "%s: a plan needs the default engine, not the reference executor",
                           model->spec)
               : ir_ref_exec_create(model->graph, &s->ref);
  } else if (given && (st = dlf_plan_check_model(opts->plan, model)) != DLF_OK) {
    /* a plan read for another model, or built by hand: the load-time checks again */
  } else if (given && given->target_name[0]) {
    st = dlf_error(DLF_ERR_INVALID_ARG,
                   "%s: the plan was tuned for accelerator '%s': it is simulated (dlfusion tune "
                   "--target), not run on this CPU; tune for the cpu target to run",
                   model->spec, given->target_name);
  } else {
    rt_engine_options eo = {s->threads, cfg, 0, false, given};
    st = rt_engine_create(model->graph, &eo, &s->fast);
    if (st == DLF_OK)
      st = given ? dlf_plan_copy(opts->plan, &s->plan)
                 : dlf_plan_unfused(model, rt_engine_threads(s->fast), &s->plan);
  }
  if (st != DLF_OK) {
    rt_engine_free(s->fast);
    ir_ref_exec_free(s->ref);
    free(s);
    return st;
  }
  *out = s;
  return DLF_OK;
}

void dlf_session_free(dlf_session *s) {
  if (!s) return;
  ir_ref_exec_free(s->ref);
  rt_engine_free(s->fast);
  dlf_plan_free(s->plan);
  free(s);
}

/* The checks dlf_session_run and dlf_session_run_profiled share. */
static dlf_status check_run(const dlf_session *s, const void *const *inputs, void *const *outputs) {
  if (!s) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_session_run: session is NULL");
  const ir_graph *g = s->model->graph;
  if (g->n_inputs > 0 && !inputs)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: dlf_session_run: inputs is NULL", s->model->spec);
  if (!outputs)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: dlf_session_run: outputs is NULL", s->model->spec);
  for (int i = 0; i < g->n_inputs; i++)
    if (!inputs[i])
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: dlf_session_run: input %d ('%s') is NULL",
                       s->model->spec, i, g->tensors[g->inputs[i]].name);
  for (int i = 0; i < g->n_outputs; i++)
    if (!outputs[i])
      return dlf_error(DLF_ERR_INVALID_ARG, "%s: dlf_session_run: output %d ('%s') is NULL",
                       s->model->spec, i, g->tensors[g->outputs[i]].name);
  return DLF_OK;
}

dlf_status dlf_session_run(dlf_session *s, const void *const *inputs, void *const *outputs) {
  dlf_error_clear();
  DLF_TRY(check_run(s, inputs, outputs));
  if (s->fast) return rt_engine_run(s->fast, inputs, outputs, NULL, NULL);
  return ir_ref_exec_run(s->ref, inputs, outputs);
}

dlf_status dlf_session_run_profiled(dlf_session *s, const void *const *inputs, void *const *outputs,
                                    double *layer_ms) {
  dlf_error_clear();
  DLF_TRY(check_run(s, inputs, outputs));
  if (!layer_ms)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: dlf_session_run_profiled: layer_ms is NULL",
                     s->model->spec);
  const ir_graph *g = s->model->graph;
  double *node_ms = dlf_malloc_array((size_t)g->n_nodes, sizeof *node_ms);
  if (!node_ms) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory profiling", s->model->spec);
  dlf_status st = s->fast ? rt_engine_run(s->fast, inputs, outputs, node_ms, NULL)
                          : ir_ref_exec_run_timed(s->ref, inputs, outputs, node_ms);
  /* The layer table is the live nodes in graph order (model.c build_layers). */
  for (int i = 0, k = 0; i < g->n_nodes && st == DLF_OK; i++)
    if (!g->nodes[i].dead && k < s->model->n_layers) layer_ms[k++] = node_ms[i];
  free(node_ms);
  return st;
}

const char *dlf_session_engine_name(const dlf_session *s) {
  dlf_error_clear();
  if (!s) return "";
  return s->fast ? rt_engine_name(s->fast) : "reference";
}

DLF_API int dlf_session_fallback_steps(const dlf_session *s) {
  return s && s->fast ? rt_engine_num_fallback_steps(s->fast) : -1;
}

const dlf_plan *dlf_session_plan(const dlf_session *s) {
  dlf_error_clear();
  return s ? s->plan : NULL;
}

dlf_status dlf_session_run_blocks(dlf_session *s, const void *const *inputs,
                                  void *const *outputs, double *block_ms) {
  dlf_error_clear();
  DLF_TRY(check_run(s, inputs, outputs));
  if (!block_ms)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: dlf_session_run_blocks: block_ms is NULL",
                     s->model->spec);
  if (!s->fast)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "%s: dlf_session_run_blocks: the reference executor has no blocks",
                     s->model->spec);
  return rt_engine_run(s->fast, inputs, outputs, NULL, block_ms);
}

dlf_status dlf_session_memory_usage(const dlf_session *s, dlf_session_memory *out) {
  dlf_error_clear();
  if (!s || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_session_memory_usage: %s is NULL",
                     s ? "out" : "session");
  memset(out, 0, sizeof *out);
  if (s->fast) rt_engine_memory(s->fast, &out->arena_bytes, &out->scratch_bytes,
                                &out->weight_bytes);
  return DLF_OK;
}

dlf_status dlf_session_block_stats(const dlf_session *s, int block, dlf_block_stats *out) {
  dlf_error_clear();
  if (!s || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_session_block_stats: %s is NULL",
                     s ? "out" : "session");
  if (!s->fast)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: the reference executor has no blocks",
                     s->model->spec);
  if (block < 0 || block >= rt_engine_num_blocks(s->fast))
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d out of range (the plan has %d)",
                     s->model->spec, block, rt_engine_num_blocks(s->fast));
  rt_engine_block_stats(s->fast, block, out);
  return DLF_OK;
}

int dlf_session_threads(const dlf_session *s) {
  dlf_error_clear();
  if (!s) return 0;
  return s->fast ? rt_engine_threads(s->fast) : 1;
}
