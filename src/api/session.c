/* session.c — the public session API: create once, run many. For now every
 * engine is the reference executor; DLF_ENGINE_DEFAULT will map to the fast
 * runtime when it lands. No globals: sessions are independent of each other. */
#include <stdlib.h>

#include "api/model.h"
#include "ir/ref_exec.h"

struct dlf_session {
  const dlf_model *model;
  dlf_engine engine;
  int threads;
  ir_ref_exec *ref;
};

dlf_status dlf_session_create(const dlf_model *model, const dlf_session_options *opts,
                              dlf_session **out) {
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
  dlf_status st = ir_ref_exec_create(model->graph, &s->ref);
  if (st != DLF_OK) {
    free(s);
    return st;
  }
  *out = s;
  return DLF_OK;
}

void dlf_session_free(dlf_session *s) {
  if (!s) return;
  ir_ref_exec_free(s->ref);
  free(s);
}

dlf_status dlf_session_run(dlf_session *s, const void *const *inputs, void *const *outputs) {
  dlf_error_clear();
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
  return ir_ref_exec_run(s->ref, inputs, outputs);
}
