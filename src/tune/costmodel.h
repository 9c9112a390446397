/* costmodel.h — the DLFusion cost model: a layer's latency on k cores predicted from the
 * target profile's synthesized layers by their operation count and channel size, and a
 * fused block's latency as its layers' latencies scaled by the fusion ratio the profile's
 * fused samples showed at that size. Nothing here runs the model or the simulator: the
 * tuner's search over this cost is what takes well under a second.
 *
 * Prediction (per op class — 3x3-and-larger conv, 1x1 conv, depthwise conv, pooling, gemm;
 * elementwise layers use pooling's samples per output element — and per core number k):
 * the time per operation, t / ops, of the profile's samples of that class and k is
 * interpolated in (log2 channels, log2 ops, log2 out/in channels) space by inverse squared distance over the
 * TUNE_MODEL_NEIGHBOURS nearest samples, then multiplied by the layer's ops. Small layers
 * have a high time per op (fixed costs), narrow channels too (wasted lanes): both are axes
 * of the interpolation. Fusion: each boundary inside a block saves what the profile's fused
 * pairs saved (us_unfused - us) near that layer's channels, ops and channel ratio at the
 * same k, interpolated the same way on a linear scale (savings can be negative). */
#ifndef DLF_TUNE_COSTMODEL_H
#define DLF_TUNE_COSTMODEL_H

#include "tune/profile.h"
#include "tune/tune.h"

#define TUNE_MODEL_NEIGHBOURS 4

typedef struct tune_model {
  const profile *prof;
  /* Filled by tune_model_prepare for one problem: per layer and core-number index c. */
  int n_layers, n_k;
  double *layer_us;  /* [layer * n_k + c]: predicted unfused latency; < 0: no samples */
  double *fuse_saving; /* [layer * n_k + c]: predicted us saved by fusing the layer onto
                        * the one before it (negative: fusing loses) */
} tune_model;

/* Checks the profile suits the problem's target (same kind and fingerprint; samples for every
 * allowed core number) and predicts every layer. t: the problem's target. */
dlf_status tune_model_prepare(const profile *prof, const target *t, const tune_problem *pr,
                              tune_model *out);
void tune_model_free(tune_model *m);

/* Predicted microseconds of one layer on k cores (< 0 when the profile cannot say). */
double tune_model_layer_us(const profile *prof, const dlf_layer_info *li, int k);

/* ctx: a prepared tune_model. The block cost of the DLFusion strategy. */
double tune_cost_model(void *ctx, const tune_problem *pr, int first, int last, int k);

#endif
