/* fuzz_onnx.c — libFuzzer harness for the ONNX importer and the load pipeline
 * after it (sort, validate, shape inference with constant folding, passes). */
#include <stddef.h>
#include <stdint.h>

#include "frontend/frontend.h"
#include "ir/features.h"
#include "ir/passes/passes.h"

/* The same sequence as dlf_model_load (src/api/model.c) without bindings:
 * a model that imports must survive everything a load does with it. */
static void load_pipeline(ir_graph *g) {
  if (ir_graph_toposort(g) != DLF_OK || ir_graph_validate(g) != DLF_OK ||
      ir_graph_infer_shapes(g) != DLF_OK || ir_graph_toposort(g) != DLF_OK)
    return;
  if (ir_passes_run(g) != DLF_OK || ir_graph_toposort(g) != DLF_OK) return;
  for (int i = 0; i < g->n_nodes; i++) {
    dlf_layer_info l;
    if (!g->nodes[i].dead && ir_layer_features(g, i, &l) != DLF_OK) return;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ir_graph *g = NULL;
  /* No base_dir: external data must be refused, never read from disk. */
  if (fe_onnx_import_buffer(data, size, "fuzz.onnx", NULL, 0, &g) == DLF_OK) load_pipeline(g);
  ir_graph_free(g);
  return 0;
}
