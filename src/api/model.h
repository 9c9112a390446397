/* model.h — the public dlf_model handle is the loaded model of src/model (model.h there);
 * what the rest of src/api adds: a model from a graph built in memory, for tests. */
#ifndef DLF_API_MODEL_H
#define DLF_API_MODEL_H

#include "dlfusion.h"
#include "model/model.h"

/* model_build on a graph built in memory (tests): takes ownership of g in every case; spec is
 * the model's name in messages (NULL = g->source). */
dlf_status dlf_model_from_graph(ir_graph *g, const char *spec, dlf_model **out);

#endif
