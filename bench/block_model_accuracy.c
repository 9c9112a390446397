/* block_model_accuracy.c — how well each block model predicts the simulator: for every
 * candidate block the fitted strategies evaluate (every fusable run of 2 to
 * TUNE_DEFAULT_MAX_BLOCK_LAYERS layers, on every allowed core number) of each model given, the
 * predicted latency of the pair model and of the fitted block model against the simulated
 * one: mean absolute percentage error and Spearman rank correlation. Deterministic.
 *
 * Usage: block_model_accuracy TARGET.json MODEL...   (MODEL: zoo:NAME or an .onnx file) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/profile_internal.h"
#include "api/target_internal.h"
#include "dlfusion.h"
#include "tune/costmodel.h"
#include "tune/tune.h"

typedef struct pt {
  double v;
  int i;
} pt;

static int cmp_pt(const void *a, const void *b) {
  double x = ((const pt *)a)->v, y = ((const pt *)b)->v;
  return (x > y) - (x < y);
}

/* ranks with ties averaged */
static void ranks(const double *v, int n, double *r) {
  pt *p = malloc((size_t)n * sizeof *p);
  for (int i = 0; i < n; i++)
    p[i].v = v[i], p[i].i = i;
  qsort(p, (size_t)n, sizeof *p, cmp_pt);
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && p[j + 1].v == p[i].v)
      j++;
    for (int k = i; k <= j; k++)
      r[p[k].i] = 0.5 * (i + j) + 1;
    i = j + 1;
  }
  free(p);
}

static double spearman(const double *a, const double *b, int n) {
  double *ra = malloc((size_t)n * sizeof *ra), *rb = malloc((size_t)n * sizeof *rb);
  ranks(a, n, ra);
  ranks(b, n, rb);
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; i++)
    ma += ra[i] / n, mb += rb[i] / n;
  for (int i = 0; i < n; i++)
    sab += (ra[i] - ma) * (rb[i] - mb), saa += (ra[i] - ma) * (ra[i] - ma),
        sbb += (rb[i] - mb) * (rb[i] - mb);
  free(ra);
  free(rb);
  return sab / sqrt(saa * sbb);
}

static double mape(const double *pred, const double *sim, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += fabs(pred[i] - sim[i]) / sim[i];
  return 100 * s / n;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s TARGET.json MODEL...\n", argv[0]);
    return 2;
  }
  dlf_target *dt;
  dlf_profile *dp;
  if (dlf_target_load(argv[1], &dt) != DLF_OK || dlf_profile_run(dt, 0, &dp) != DLF_OK) {
    fprintf(stderr, "%s\n", dlf_last_error());
    return 1;
  }
  const target *t = dlf_target_get(dt);
  const profile *prof = dlf_profile_get(dp);
  printf("| model | candidate blocks | pairs MAPE %% | fitted MAPE %% | pairs Spearman | fitted "
         "Spearman |\n|---|---|---|---|---|---|\n");
  for (int a = 2; a < argc; a++) {
    dlf_model *m;
    if (dlf_model_load(argv[a], NULL, &m) != DLF_OK) {
      fprintf(stderr, "%s\n", dlf_last_error());
      return 1;
    }
    tune_problem pr;
    tune_model pm, fm;
    tune_accel_cost sim;
    if (tune_problem_init(m->graph, argv[a], t->cores, t->core_numbers, t->n_core_numbers, 0,
                          &pr) != DLF_OK ||
        tune_model_prepare_with(prof, t, &pr, TUNE_BLOCK_PAIRS, &pm) != DLF_OK ||
        tune_model_prepare_with(prof, t, &pr, TUNE_BLOCK_FITTED, &fm) != DLF_OK ||
        tune_accel_cost_init(&pr, t, &sim) != DLF_OK) {
      fprintf(stderr, "%s\n", dlf_last_error());
      return 1;
    }
    size_t cap = (size_t)pr.n_layers * (size_t)pr.max_block_layers * (size_t)pr.n_core_numbers;
    double *ps = malloc(cap * sizeof *ps), *pf = malloc(cap * sizeof *pf),
           *sv = malloc(cap * sizeof *sv);
    int n = 0;
    for (int last = 0; last < pr.n_layers; last++)
      for (int first = last - 1; first >= 0 && last - first < pr.max_block_layers; first--) {
        if (!tune_can_fuse(&pr, first, last)) break;
        for (int c = 0; c < pr.n_core_numbers; c++) {
          const int k = pr.core_numbers[c];
          double s = tune_cost_accel(&sim, &pr, first, last, k);
          double x = tune_cost_model(&pm, &pr, first, last, k);
          double y = tune_cost_model(&fm, &pr, first, last, k);
          if (s <= 0 || x < 0 || y < 0) continue;
          ps[n] = x, pf[n] = y, sv[n] = s, n++;
        }
      }
    printf("| %s | %d | %.1f | %.1f | %.3f | %.3f |\n", argv[a], n, mape(ps, sv, n),
           mape(pf, sv, n), spearman(ps, sv, n), spearman(pf, sv, n));
    free(ps), free(pf), free(sv);
    tune_accel_cost_free(&sim);
    tune_model_free(&pm);
    tune_model_free(&fm);
    tune_problem_free(&pr);
    dlf_model_free(m);
  }
  dlf_profile_free(dp);
  dlf_target_free(dt);
  return 0;
}
