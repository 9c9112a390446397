/* fusion_blocks.c — does fusion pay? Per natural block of a model (MobileNetV2 inverted
 * residuals, VGG conv chains up to their pool, ResNet basic/bottleneck blocks, SqueezeNet
 * fire modules), the time of its layers run unfused (one block per layer) against the same
 * layers run as one fused block, on k cores, measured interleaved in one process.
 *
 *   build/bench/fusion_blocks zoo:mobilenet_v2 [--cores K] [--rounds R] [--tile-rows H]
 *
 * Two sessions, U (unfused plan) and F (every natural block fused by the rule of
 * `dlfusion plan --fuse blocks`, tile height H or the engine's choice), both with k threads and every block on k cores. Each round runs U then F
 * (the order alternates) and records per-block ms (dlf_session_run_blocks); a natural
 * block's unfused time is the sum of its layers' blocks in that run. Prints per block the
 * medians, the ratio unfused/fused (> 1: fusion wins) and the fused block's tile scratch;
 * then the whole-model medians and both sessions' memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "dlfusion.h"
#include "plan/plan.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The rule of `dlfusion plan --fuse blocks` (src/plan/plan_heuristic.c), with the tile
 * height of the fused blocks fixed when asked. */
static plan *natural_blocks(const ir_graph *g, int cores, int tile_rows) {
  plan *p;
  if (plan_fuse_blocks(g, NULL, cores, &p) != DLF_OK) return NULL;
  for (int b = 0; b < p->n_blocks; b++)
    if (p->blocks[b].n_layers > 1) p->blocks[b].tile_rows = tile_rows;
  return p;
}

static dlf_session *session(const dlf_model *m, plan *p, int cores) {
  dlf_plan *dp;
  if (dlf_plan_wrap(p, &dp) != DLF_OK) return NULL;
  dlf_session_options o = {.engine = DLF_ENGINE_DEFAULT, .threads = cores, .plan = dp};
  dlf_session *s = NULL;
  if (dlf_session_create(m, &o, &s) != DLF_OK) fprintf(stderr, "%s\n", dlf_last_error());
  dlf_plan_free(dp);
  return s;
}

int main(int argc, char **argv) {
  const char *spec = "zoo:mobilenet_v2";
  int cores = 1, rounds = 30, tile_rows = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cores") && i + 1 < argc)
      cores = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--tile-rows") && i + 1 < argc)
      tile_rows = atoi(argv[++i]);
    else if (argv[i][0] != '-')
      spec = argv[i];
    else {
      fprintf(stderr, "usage: fusion_blocks MODEL [--cores K] [--rounds R] [--tile-rows H]\n");
      return 2;
    }
  }
  if (cores < 1 || rounds < 1 || tile_rows < 0) return 2;
  dlf_model *m;
  if (dlf_model_load(spec, NULL, &m) != DLF_OK) {
    fprintf(stderr, "%s\n", dlf_last_error());
    return 1;
  }
  const ir_graph *g = m->graph;
  plan *fp = natural_blocks(g, cores, tile_rows), *up, *fcopy;
  if (!fp || plan_unfused(g, NULL, cores, &up) != DLF_OK || plan_copy(fp, &fcopy) != DLF_OK)
    return 1;
  dlf_session *U = session(m, up, cores), *F = session(m, fp, cores);
  if (!U || !F) return 1;
  dlf_tensor ti, to;
  dlf_model_input(m, 0, &ti);
  dlf_model_output(m, 0, &to);
  size_t ni = 1, no = 1;
  for (int d = 0; d < ti.ndim; d++)
    ni *= (size_t)ti.dims[d];
  for (int d = 0; d < to.ndim; d++)
    no *= (size_t)to.dims[d];
  float *x = malloc(ni * sizeof *x), *yu = malloc(no * sizeof *yu), *yf = malloc(no * sizeof *yf);
  for (size_t i = 0; i < ni; i++)
    x[i] = (float)((i * 2654435761u) % 2000) / 1000.0f - 1.0f;
  const void *in[1] = {x};
  void *ou[1] = {yu}, *of[1] = {yf};
  const int nl = dlf_model_num_layers(m), nb = fcopy->n_blocks;
  double *ub = malloc(sizeof *ub * (size_t)nl), *fb = malloc(sizeof *fb * (size_t)nb);
  double *us = malloc(sizeof *us * (size_t)(nb * rounds)), *fs = malloc(sizeof *fs * (size_t)(nb * rounds));
  double *ut = malloc(sizeof *ut * (size_t)rounds), *ft = malloc(sizeof *ft * (size_t)rounds);
  for (int w = 0; w < 3; w++) { /* warm-up */
    dlf_session_run_blocks(U, in, ou, ub);
    dlf_session_run_blocks(F, in, of, fb);
  }
  for (int r = 0; r < rounds; r++) {
    for (int side = 0; side < 2; side++) {
      bool fused = (side == 0) == (r % 2 == 1);
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      dlf_status st = fused ? dlf_session_run_blocks(F, in, of, fb) : dlf_session_run_blocks(U, in, ou, ub);
      clock_gettime(CLOCK_MONOTONIC, &b);
      if (st != DLF_OK) {
        fprintf(stderr, "%s\n", dlf_last_error());
        return 1;
      }
      double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
      (fused ? ft : ut)[r] = ms;
    }
    for (int k = 0; k < nb; k++) {
      double sum = 0;
      for (int j = 0; j < fcopy->blocks[k].n_layers; j++)
        sum += ub[fcopy->blocks[k].layers[j]];
      us[k * rounds + r] = sum;
      fs[k * rounds + r] = fb[k];
    }
  }
  double worst = 0;
  for (size_t i = 0; i < no; i++) {
    double d = yu[i] > yf[i] ? yu[i] - yf[i] : yf[i] - yu[i];
    if (d > worst) worst = d;
  }
  char tr[32];
  snprintf(tr, sizeof tr, tile_rows ? "%d" : "auto", tile_rows);
  printf("# %s, %d core%s, %d rounds (interleaved), tile rows %s; outputs max |U-F| = %g\n\n",
         spec, cores, cores > 1 ? "s" : "", rounds, tr, worst);
  printf("| block | layers | output | unfused ms | fused ms | unfused/fused |\n");
  printf("|------:|--------|--------|-----------:|---------:|--------------:|\n");
  double su = 0, sf = 0;
  for (int k = 0; k < nb; k++) {
    const plan_block *b = &fcopy->blocks[k];
    if (b->n_layers < 2) continue;
    dlf_layer_info l0, l1;
    dlf_model_layer(m, b->layers[0], &l0);
    dlf_model_layer(m, b->layers[b->n_layers - 1], &l1);
    double mu = median(us + k * rounds, rounds), mf = median(fs + k * rounds, rounds);
    su += mu, sf += mf;
    char shape[64];
    snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)l1.out_dims[1],
             (long long)l1.out_dims[2], (long long)l1.out_dims[3]);
    printf("| %d | %s..%s (%d) | %s | %.3f | %.3f | %.2f |\n", k, l0.name, l1.name, b->n_layers,
           shape, mu, mf, mu / mf);
  }
  dlf_session_memory mu, mf;
  dlf_session_memory_usage(U, &mu);
  dlf_session_memory_usage(F, &mf);
  printf("\nfused blocks total: unfused %.3f ms, fused %.3f ms, ratio %.2f\n", su, sf, su / sf);
  printf("whole model: unfused %.3f ms, fused %.3f ms, ratio %.2f\n", median(ut, rounds),
         median(ft, rounds), median(ut, rounds) / median(ft, rounds));
  printf("memory: unfused arena %lld + scratch %lld B; fused arena %lld + scratch %lld B\n",
         (long long)mu.arena_bytes, (long long)mu.scratch_bytes, (long long)mf.arena_bytes,
         (long long)mf.scratch_bytes);
  dlf_session_free(U);
  dlf_session_free(F);
  plan_free(fcopy);
  dlf_model_free(m);
  free(x), free(yu), free(yf), free(ub), free(fb), free(us), free(fs), free(ut), free(ft);
  return 0;
}
