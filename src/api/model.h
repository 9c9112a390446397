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
  /* The tensor size cap the model was loaded with (0: the environment's or the default),
   * in force again when sessions of it are created (their activations). */
  int64_t max_tensor_bytes;
};

/* A model made from a graph built in memory (the profiler's synthesized layers): the steps of
 * dlf_model_load after import (sort, validate, infer shapes, passes, layer table). Takes
 * ownership of g in every case; spec is the model's name in messages (NULL = g->source). */
dlf_status dlf_model_from_graph(ir_graph *g, const char *spec, dlf_model **out);

#endif
