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
 * same k, interpolated the same way on a linear scale (savings can be negative).
 * Selectable instead (TUNE_BLOCK_FITTED): a block of >= 2 layers priced by the log-linear law
 * of blockfit.h, fitted per core number on the profile's synthesized blocks. */
#ifndef DLF_TUNE_COSTMODEL_H
#define DLF_TUNE_COSTMODEL_H

#include "tune/blockfit.h"
#include "tune/profile.h"
#include "tune/tune.h"

#define TUNE_MODEL_NEIGHBOURS 4

/* How a block of >= 2 layers is priced (dlf_tune_options.block_model): PAIRS = the layers'
 * sum less the fused pairs' savings (the model above); FITTED = the fitted block model
 * (blockfit.h) on the profile's synthesized blocks, falling back to PAIRS on a core number
 * the profile has no blocks for (a version-1 or CPU profile). */
typedef enum tune_block_model {
  TUNE_BLOCK_DEFAULT = 0,
  TUNE_BLOCK_PAIRS = 1,
  TUNE_BLOCK_FITTED = 2,
} tune_block_model;
/* What DEFAULT means, chosen on the DESIGN set (bench/tune_accel.sh --block-model, simulated
 * MLU100, 23 design models without densenet121): geometric mean dlfusion/oracle pairs 1.117,
 * fitted 1.129; dlfusion > vendor on 9 vs 11. The fitted law predicts MobileNetV2's blocks
 * better (MAPE 50 -> 28 %) and ResNet-18's worse (13 -> 21 %), and the plans do not gain, so
 * pairs stays the default and fitted is selectable (docs/tuning.md: both sets, both targets). */
#define TUNE_DEFAULT_BLOCK_MODEL TUNE_BLOCK_PAIRS
/* Ridge weight of the block fit (per sample, on the non-constant terms): only keeps the
 * normal equations solvable; 1e-6 changes no fitted coefficient past the 4th digit. */
#define TUNE_BLOCK_RIDGE 1e-6

typedef struct tune_model {
  const profile *prof;
  /* Filled by tune_model_prepare for one problem: per layer and core-number index c. */
  int n_layers, n_k;
  double *layer_us;  /* [layer * n_k + c]: predicted unfused latency; < 0: no samples */
  double *fuse_saving; /* [layer * n_k + c]: predicted us saved by fusing the layer onto
                        * the one before it (negative: fusing loses) */
  /* FITTED: per core-number index, whether a fit exists and its coefficients */
  tune_block_model block_model;
  bool *fitted;
  double (*w)[TUNE_BLOCK_NF];
  int n_fit_samples;  /* block samples the fits used (all core numbers) */
  /* prefix sums over layers (n_layers + 1) of the block features, and the run bytes */
  double *pre_ops, *pre_wb, *pre_out, *pre_halo, *pre_lnch;
  tune_io_iter io;
} tune_model;

/* The features of one layer, as tune_block_features sums them. */
void tune_layer_block_terms(const dlf_layer_info *li, double *ops, double *weight_bytes,
                            double *out_bytes, double *halo, double *log_channels);

/* Checks the profile suits the problem's target (same kind and fingerprint; samples for every
 * allowed core number) and predicts every layer. t: the problem's target. */
dlf_status tune_model_prepare(const profile *prof, const target *t, const tune_problem *pr,
                              tune_model *out);
/* tune_model_prepare with the block model chosen (TUNE_BLOCK_DEFAULT: the default). */
dlf_status tune_model_prepare_with(const profile *prof, const target *t, const tune_problem *pr,
                                   tune_block_model bm, tune_model *out);

/* The features of run [first, last] of pr on core-number index c (m prepared for pr). */
void tune_model_block_features(tune_model *m, const tune_problem *pr, int first, int last, int c,
                               tune_block_features *f);
void tune_model_free(tune_model *m);

/* Predicted microseconds of one layer on k cores (< 0 when the profile cannot say). */
double tune_model_layer_us(const profile *prof, const dlf_layer_info *li, int k);

/* ctx: a prepared tune_model. The block cost of the DLFusion strategy. */
double tune_cost_model(void *ctx, const tune_problem *pr, int first, int last, int k);

#endif
