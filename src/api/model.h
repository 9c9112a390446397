/* model.h — what a dlf_model is inside: the imported graph after bindings,
 * shape inference and passes, and its layer table. */
#ifndef DLF_API_MODEL_H
#define DLF_API_MODEL_H

#include "dlfusion.h"
#include "ir/ir.h"

struct dlf_model {
  char *spec;      /* what the user gave: path or zoo:NAME */
  ir_graph *graph; /* sorted, inferred, optimized (unless no_optimize) */
  /* The graph as imported (bindings applied, sorted and inferred, before
   * passes), for export. Only for zoo models loaded with no_optimize, where
   * it is `graph` itself (freed once); otherwise NULL and dlf_model_save_onnx
   * rebuilds it from `load` (the zoo is deterministic) rather than holding a
   * second copy of the weights for a rare call. */
  ir_graph *imported;
  bool zoo;
  dlf_load_options load; /* zoo models: the options, with owned copies of the bindings */
  int n_layers;
  dlf_layer_info *layers;
  int64_t params; /* torchvision-style parameter count, before passes */
};

#endif
