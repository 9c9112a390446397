/* model.c — the public model API: argument checks around the load pipeline
 * (src/model/model.c), and queries of inputs, outputs, layers and totals. */
#include <stdbool.h>
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
  /* The cap, resolved here once (option, else $DLF_MAX_TENSOR_BYTES, else the default), goes
   * down explicitly: importer, bindings, folding, and the graph every session reads. */
  dlf_load_options o = opts ? *opts : (dlf_load_options){0};
  dlf_status st = dlf_cap_resolve(o.max_tensor_bytes, &o.max_tensor_bytes);
  if (st == DLF_OK) st = model_build(spec, NULL, &o, out);
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

int dlf_model_layer_inputs(const dlf_model *m, int index, int *from, int max) {
  dlf_error_clear();
  if (!m || (max > 0 && !from) || max < 0) {
    dlf_error(DLF_ERR_INVALID_ARG, "dlf_model_layer_inputs: %s",
              !m ? "model is NULL" : "from is NULL or max < 0");
    return -1;
  }
  if (index < 0 || index >= m->n_layers) {
    dlf_error(DLF_ERR_INVALID_ARG, "%s: layer index %d out of range (the model has %d)", m->spec,
              index, m->n_layers);
    return -1;
  }
  /* Layers are the graph's live nodes in order (model.c's build_layers): node -> layer by
   * counting live nodes up to the producer. */
  const ir_graph *g = m->graph;
  int node = -1;
  for (int i = 0, l = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead && l++ == index) {
      node = i;
      break;
    }
  const ir_node *n = &g->nodes[node];
  /* Collected in ascending order by insertion (a Concat has tens of inputs, not thousands). */
  enum { MAX_FROM = 1024 };
  int found[MAX_FROM], nf = 0, count = 0;
  for (int j = 0; j <= n->n_inputs; j++) {
    const int t = j < n->n_inputs ? n->inputs[j] : n->residual;
    if (t < 0 || g->tensors[t].data || g->tensors[t].producer < 0) continue;
    int layer = 0;
    for (int i = 0; i < g->tensors[t].producer; i++)
      layer += !g->nodes[i].dead;
    bool dup = false;
    for (int k = 0; k < nf; k++)
      dup |= found[k] == layer;
    if (dup || nf == MAX_FROM) continue;
    int k = nf++;
    while (k > 0 && found[k - 1] > layer) {
      found[k] = found[k - 1];
      k--;
    }
    found[k] = layer;
  }
  for (int k = 0; k < nf; k++) {
    if (count < max) from[count] = found[k];
    count++;
  }
  return count;
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
