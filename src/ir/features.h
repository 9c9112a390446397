/* features.h — per-layer features that the cost model and tuner use:
 * operation count, channels, feature-map sizes, bytes, intensity. */
#ifndef DLF_IR_FEATURES_H
#define DLF_IR_FEATURES_H

#include "dlfusion.h"
#include "ir/ir.h"

/* Fill out for node index i of a sorted, shape-inferred graph. The strings
 * point into the graph or are static. */
dlf_status ir_layer_features(const ir_graph *g, int i, dlf_layer_info *out);

#endif
