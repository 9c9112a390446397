/* model.h — what a dlf_model is inside: the imported graph after bindings,
 * shape inference and passes, and its layer table. */
#ifndef DLF_API_MODEL_H
#define DLF_API_MODEL_H

#include "dlfusion.h"
#include "ir/ir.h"

struct dlf_model {
  char *spec;          /* what the user gave: path or zoo:NAME */
  ir_graph *graph;     /* sorted, inferred, optimized (unless no_optimize) */
  ir_graph *imported;  /* the graph as imported (before passes), kept for export */
  int n_layers;
  dlf_layer_info *layers;
};

#endif
