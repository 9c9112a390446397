/* model.c — the public model API: argument checks around the load pipeline
 * (src/model/model.c), and queries of inputs, outputs, layers and totals. */
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "core/checked.h"
#include "frontend/frontend.h"
#include "runtime/memplan.h"

void dlf_model_free(dlf_model *m) { model_free(m); }

const char *const *dlf_zoo_names(void) {
  dlf_error_clear();
  return fe_zoo_names();
}

dlf_status dlf_model_load(const char *spec, const dlf_load_options *opts, dlf_model **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_load: out is NULL");
  *out = NULL;
  if (!spec || !spec[0]) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_load: no model given");
  /* Every size check of the load (import, folding, bindings) reads the cap in force on
   * this thread: the options' for the duration of this call. */
  int64_t cap;
  dlf_status st = dlf_cap_resolve(opts ? opts->max_tensor_bytes : 0, &cap);
  if (st == DLF_OK) {
    int64_t saved = dlf_cap_push(cap);
    st = model_build(spec, NULL, opts, out);
    dlf_cap_pop(saved);
  }
  /* lower layers name the model; make sure ours is there too */
  if (st != DLF_OK && !strstr(dlf_last_error(), spec)) dlf_error_prefix(st, "%s", spec);
  return st;
}

dlf_status dlf_model_from_graph(ir_graph *g, const char *spec, dlf_model **out) {
  if (!out || !g) {
    ir_graph_free(g);
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_from_graph: %s is NULL",
                     out ? "graph" : "out");
  }
  return model_build(spec, g, NULL, out);
}

dlf_status dlf_model_save_onnx(const dlf_model *m, const char *path) {
  dlf_error_clear();
  if (!m || !path)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_save_onnx: %s is NULL", m ? "path" : "model");
  return model_export_onnx(m, path);
}

int dlf_model_num_inputs(const dlf_model *m) {
  dlf_error_clear();
  return m ? m->graph->n_inputs : 0;
}

int dlf_model_num_outputs(const dlf_model *m) {
  dlf_error_clear();
  return m ? m->graph->n_outputs : 0;
}

static dlf_status describe(const dlf_model *m, const int *list, int count, int index,
                           const char *what, dlf_tensor *out) {
  if (!m || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_%s: %s is NULL", what, m ? "out" : "model");
  if (index < 0 || index >= count)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: %s index %d out of range (the model has %d)",
                     m->spec, what, index, count);
  const ir_tensor *t = &m->graph->tensors[list[index]];
  memset(out, 0, sizeof *out);
  out->name = t->name;
  out->dtype = (dlf_dtype)t->dtype;
  out->ndim = t->ndim;
  memcpy(out->dims, t->dims, (size_t)t->ndim * sizeof *t->dims);
  return DLF_OK;
}

dlf_status dlf_model_input(const dlf_model *m, int index, dlf_tensor *out) {
  dlf_error_clear();
  return describe(m, m ? m->graph->inputs : NULL, m ? m->graph->n_inputs : 0, index, "input", out);
}

dlf_status dlf_model_output(const dlf_model *m, int index, dlf_tensor *out) {
  dlf_error_clear();
  return describe(m, m ? m->graph->outputs : NULL, m ? m->graph->n_outputs : 0, index, "output",
                  out);
}

int dlf_model_num_layers(const dlf_model *m) {
  dlf_error_clear();
  return m ? m->n_layers : 0;
}

dlf_status dlf_model_layer(const dlf_model *m, int index, dlf_layer_info *out) {
  dlf_error_clear();
  if (!m || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_layer: %s is NULL", m ? "out" : "model");
  if (index < 0 || index >= m->n_layers)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: layer index %d out of range (the model has %d)",
                     m->spec, index, m->n_layers);
  *out = m->layers[index];
  return DLF_OK;
}

dlf_status dlf_model_summarize(const dlf_model *m, dlf_model_summary *out) {
  dlf_error_clear();
  if (!m || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_summarize: %s is NULL", m ? "out" : "model");
  memset(out, 0, sizeof *out);
  out->layers = m->n_layers;
  out->params = m->params;
  for (int i = 0; i < m->n_layers; i++) {
    const dlf_layer_info *l = &m->layers[i];
    out->macs += l->macs;
    out->weight_bytes += l->weight_bytes;
  }
  /* The arena the runtime's memory planner lays the activations out in. */
  rt_memplan plan;
  DLF_TRY(rt_memplan_for_graph(m->graph, RT_MEMPLAN_ALIGNMENT, &plan));
  out->act_peak_bytes = plan.arena_bytes;
  out->act_total_bytes = plan.total_bytes;
  rt_memplan_free(&plan);
  return DLF_OK;
}
