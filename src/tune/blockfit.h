/* blockfit.h — the fitted block model: a fused block's latency on k cores as a log-linear law
 * over what the block exposes in the graph — the sum of its layers' predicted unfused times,
 * its operation count, external input + output bytes, weight bytes, bytes kept inside, layer
 * count, a halo proxy and its channel size — with coefficients fitted by least squares per
 * core number on the profile's synthesized blocks (profile_blocks.c). The form is a choice
 * made before looking at the simulator's equations, not a copy of them; docs/tuning.md has
 * how it was chosen and measured. Pure functions: no profile, no target. */
#ifndef DLF_TUNE_BLOCKFIT_H
#define DLF_TUNE_BLOCKFIT_H

#include <stdbool.h>

#define TUNE_BLOCK_NF 10 /* features (with the constant) */

/* What a block of >= 2 consecutive layers exposes. */
typedef struct tune_block_features {
  int n_layers;
  double sum_us;   /* sum of the per-layer model's unfused predictions on k cores */
  double max_us;   /* the largest of them */
  double ops;      /* operation count (macs; window visits / elements for others) */
  double io_bytes; /* external input + output bytes (tune_block_io) */
  double weight_bytes;
  double inner_bytes;  /* bytes of the layers' outputs that stay inside the block */
  double halo;         /* sum of (kernel_h - 1) over windowed layers: recompute/halo proxy */
  double log_channels; /* mean over the layers of ln(input channels) */
} tune_block_features;

/* The feature vector: 1, ln sum_us, ln(1 + ops), ln io, ln(1 + weights), ln n, halo,
 * log_channels, ln(1 + inner), ln max_us. */
void tune_block_phi(const tune_block_features *f, double phi[TUNE_BLOCK_NF]);

/* Least squares of ln(us) on phi over n samples (ridge lambda on the non-constant terms:
 * keeps the system solvable when a feature does not vary). Returns false when n < NF or
 * the system is singular. */
bool tune_block_fit(const tune_block_features *f, const double *us, int n, double lambda,
                    double w[TUNE_BLOCK_NF]);

/* exp(w . phi(f)). */
double tune_block_predict(const double w[TUNE_BLOCK_NF], const tune_block_features *f);

#endif
