/* model.h — a loaded model and the one pipeline that makes it: import (ONNX file or zoo) or a
 * graph built in memory, then bind inputs → sort → validate → infer shapes → passes → layer table.
 * The public dlf_model handle is this struct; src/api only checks arguments and reads it. */
#ifndef DLF_MODEL_MODEL_H
#define DLF_MODEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "dlfusion.h"
#include "ir/ir.h"

typedef struct dlf_model model;

struct dlf_model {
  char *spec;      /* what the user gave: path or zoo:NAME */
  ir_graph *graph; /* sorted, inferred, optimized (unless no_optimize) */
  /* The graph as imported (bindings applied, sorted and inferred, before
   * passes), for export. Only for zoo models loaded with no_optimize, where
   * it is `graph` itself (freed once); otherwise NULL and model_export_onnx
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

/* The pipeline. With g == NULL: import spec (a path to an .onnx file or "zoo:NAME") with the
 * options o (NULL = defaults). With g: a graph built in memory (the profiler's synthesized
 * layers, tests), owned from here on in every case; spec names it in messages (NULL =
 * g->source). Either way: bindings (o's), sort, validate, infer shapes, passes (unless
 * o->no_optimize), layer table. */
dlf_status model_build(const char *spec, ir_graph *g, const dlf_load_options *o, model **out);
void model_free(model *m);

/* Write a zoo model as imported (before passes) as an ONNX file. */
dlf_status model_export_onnx(const model *m, const char *path);

#endif
