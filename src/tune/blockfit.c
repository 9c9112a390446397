/* blockfit.c — least squares in log space for the fitted block model (blockfit.h). */
#include "tune/blockfit.h"

#include <math.h>
#include <string.h>

void tune_block_phi(const tune_block_features *f, double phi[TUNE_BLOCK_NF]) {
  phi[0] = 1;
  phi[1] = log(f->sum_us > 1e-9 ? f->sum_us : 1e-9);
  phi[2] = log1p(f->ops > 0 ? f->ops : 0);
  phi[3] = log(f->io_bytes > 1 ? f->io_bytes : 1);
  phi[4] = log1p(f->weight_bytes > 0 ? f->weight_bytes : 0);
  phi[5] = log(f->n_layers > 1 ? (double)f->n_layers : 1);
  phi[6] = f->halo;
  phi[7] = f->log_channels;
  phi[8] = log1p(f->inner_bytes > 0 ? f->inner_bytes : 0);
  phi[9] = log(f->max_us > 1e-9 ? f->max_us : 1e-9);
}

bool tune_block_fit(const tune_block_features *f, const double *us, int n, double lambda,
                    double w[TUNE_BLOCK_NF]) {
  enum { N = TUNE_BLOCK_NF };
  double a[N][N + 1];
  memset(a, 0, sizeof a);
  int used = 0;
  for (int s = 0; s < n; s++) {
    if (!(us[s] > 0) || !isfinite(us[s])) continue;
    double phi[N];
    tune_block_phi(&f[s], phi);
    const double y = log(us[s]);
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++)
        a[i][j] += phi[i] * phi[j];
      a[i][N] += phi[i] * y;
    }
    used++;
  }
  if (used < N) return false;
  for (int i = 1; i < N; i++)
    a[i][i] += lambda * (double)used;
  /* Gaussian elimination with partial pivoting */
  for (int c = 0; c < N; c++) {
    int p = c;
    for (int r = c + 1; r < N; r++)
      if (fabs(a[r][c]) > fabs(a[p][c])) p = r;
    if (fabs(a[p][c]) < 1e-300) return false;
    if (p != c)
      for (int j = 0; j <= N; j++) {
        double t = a[c][j];
        a[c][j] = a[p][j], a[p][j] = t;
      }
    for (int r = 0; r < N; r++) {
      if (r == c) continue;
      const double m = a[r][c] / a[c][c];
      for (int j = c; j <= N; j++)
        a[r][j] -= m * a[c][j];
    }
  }
  for (int i = 0; i < N; i++) {
    w[i] = a[i][N] / a[i][i];
    if (!isfinite(w[i])) return false;
  }
  return true;
}

double tune_block_predict(const double w[TUNE_BLOCK_NF], const tune_block_features *f) {
  double phi[TUNE_BLOCK_NF], z = 0;
  tune_block_phi(f, phi);
  for (int i = 0; i < TUNE_BLOCK_NF; i++)
    z += w[i] * phi[i];
  return exp(z);
}
