/* report_figs.c — the characterization figures of `dlfusion report` (report.h): what the
 * target profile says about core numbers and fusion, the two observations the DLFusion method
 * rests on (small layers lose time on many cores; fusion pays by feature-map channel size). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

const char *const report_palette[REPORT_N_PALETTE] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                      "#56B4E9", "#D55E00", "#F0E442"};

#define MAX_K 64     /* distinct core numbers drawn */
#define N_DECADES 12 /* operation-count buckets: 10^d .. 10^(d+1) MACs, d < N_DECADES */
#define FIG_W 520
#define FIG_H 300
#define FIG_L 60 /* left margin: the y axis labels */
#define FIG_T 30
#define FIG_B 50

static bool same_layer(const dlf_profile_sample *a, const dlf_profile_sample *b) {
  return !strcmp(a->op, b->op) && a->h == b->h && a->w == b->w && a->cin == b->cin &&
         a->cout == b->cout && a->k == b->k && a->stride == b->stride && a->fused == b->fused;
}

static void axes(FILE *f, const char *title, const char *xlabel, const char *ylabel, double ymax) {
  fprintf(f, "<text x=\"%d\" y=\"16\" class=\"ttl\">%s</text>", FIG_L, title);
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>", FIG_L,
          FIG_T + FIG_H, FIG_L + FIG_W, FIG_T + FIG_H);
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>", FIG_L, FIG_T, FIG_L,
          FIG_T + FIG_H);
  const double step = ymax > 4 ? 1 : ymax > 2 ? 0.5 : 0.25;
  for (double v = 0; v <= ymax + 1e-9; v += step) {
    const double y = FIG_T + FIG_H - v / ymax * FIG_H;
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>", FIG_L, y,
            FIG_L + FIG_W, y);
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>", FIG_L - 4, y + 3, v);
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", FIG_L + FIG_W / 2,
          FIG_T + FIG_H + 36, xlabel);
  fprintf(
      f, "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>",
      FIG_T + FIG_H / 2, FIG_T + FIG_H / 2, ylabel);
}

static FILE *csv_open(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *c = fopen(path, "w");
  if (!c) fprintf(stderr, "dlfusion: %s: cannot open for writing\n", path);
  return c;
}

int report_characterization(FILE *f, const dlf_profile *p, const char *csv_dir) {
  const int n = dlf_profile_num_samples(p);
  dlf_profile_sample *s = calloc((size_t)n + 1, sizeof *s);
  if (!s) {
    fprintf(stderr, "dlfusion: out of memory\n");
    return EXIT_RUNTIME;
  }
  int ks[MAX_K], nk = 0;
  for (int i = 0; i < n; i++) {
    if (dlf_profile_get_sample(p, i, &s[i]) != DLF_OK) {
      free(s);
      return cli_fail();
    }
    bool seen = false;
    for (int j = 0; j < nk; j++)
      seen |= ks[j] == s[i].cores;
    if (!seen && nk < MAX_K) {
      int j = nk++;
      while (j > 0 && ks[j - 1] > s[i].cores) {
        ks[j] = ks[j - 1];
        j--;
      }
      ks[j] = s[i].cores;
    }
  }
  /* Figure 1: per decade of MACs and core number, the geometric mean over single convs of
   * (time on the fewest cores) / (time on k cores). */
  static double logsum[N_DECADES][MAX_K];
  static int count[N_DECADES][MAX_K];
  memset(logsum, 0, sizeof logsum);
  memset(count, 0, sizeof count);
  for (int i = 0; i < n; i++) {
    if (strcmp(s[i].op, "conv") != 0 || s[i].fused != 1 || !(s[i].us > 0) || s[i].macs < 1)
      continue;
    double base = -1;
    for (int j = 0; j < n; j++)
      if (same_layer(&s[i], &s[j]) && s[j].cores == ks[0] && s[j].us > 0) base = s[j].us;
    if (base < 0) continue;
    int d = (int)floor(log10(s[i].macs));
    if (d < 0) d = 0;
    if (d >= N_DECADES) d = N_DECADES - 1;
    int c = 0;
    while (ks[c] != s[i].cores)
      c++;
    logsum[d][c] += log(base / s[i].us);
    count[d][c]++;
  }
  FILE *c1 = csv_dir ? csv_open(csv_dir, "characterization_speedup.csv") : NULL;
  FILE *c2 = csv_dir ? csv_open(csv_dir, "characterization_fusion.csv") : NULL;
  if (csv_dir && (!c1 || !c2)) {
    if (c1) fclose(c1);
    if (c2) fclose(c2);
    free(s);
    return EXIT_RUNTIME;
  }
  if (c1) fprintf(c1, "macs_from,macs_to,cores,speedup_geomean,samples\n");
  double ymax = 1;
  for (int d = 0; d < N_DECADES; d++)
    for (int c = 0; c < nk; c++)
      if (count[d][c]) {
        const double sp = exp(logsum[d][c] / count[d][c]);
        if (sp > ymax) ymax = sp;
        if (c1) fprintf(c1, "1e%d,1e%d,%d,%.4f,%d\n", d, d + 1, ks[c], sp, count[d][c]);
      }
  ymax = ceil(ymax * 1.1 * 2) / 2;
  const int W = FIG_L + FIG_W + 170, H = FIG_T + FIG_H + FIG_B;
  fprintf(f,
          "<svg class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\" "
          "aria-label=\"speedup against core number\">",
          W, H);
  axes(f, "Speedup over the fewest cores, single convs, by operation count", "core number (cores)",
       "speedup (x)", ymax);
  for (int c = 0; c < nk; c++) {
    const double x = FIG_L + (nk > 1 ? (double)c / (nk - 1) : 0.5) * FIG_W;
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", x, FIG_T + FIG_H + 14,
            ks[c]);
  }
  int series = 0;
  for (int d = 0; d < N_DECADES; d++) {
    bool any = false;
    for (int c = 0; c < nk; c++)
      any |= count[d][c] > 0;
    if (!any) continue;
    const char *col = report_palette[series % REPORT_N_PALETTE];
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
    for (int c = 0; c < nk; c++)
      if (count[d][c])
        fprintf(f, "%.1f,%.1f ", FIG_L + (nk > 1 ? (double)c / (nk - 1) : 0.5) * FIG_W,
                FIG_T + FIG_H - exp(logsum[d][c] / count[d][c]) / ymax * FIG_H);
    fprintf(f, "\"/>");
    fprintf(f,
            "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
            "<text x=\"%d\" y=\"%d\">1e%d-1e%d MACs</text>",
            FIG_L + FIG_W + 16, FIG_T + series * 16, col, FIG_L + FIG_W + 30,
            FIG_T + 9 + series * 16, d, d + 1);
    series++;
  }
  fprintf(f, "</svg>\n");
  /* Figure 2: each fused pair's unfused over fused time against its channel size (log2 x). */
  if (c2) fprintf(c2, "op,h,w,cin,cout,k,fused,cores,us,us_unfused,benefit\n");
  double cmin = 1e30, cmax = 1, bmax = 1.5;
  int pairs = 0;
  for (int i = 0; i < n; i++)
    if (s[i].fused > 1 && s[i].us > 0 && s[i].us_unfused > 0) {
      const double b = s[i].us_unfused / s[i].us;
      pairs++;
      if (s[i].cin < cmin) cmin = (double)s[i].cin;
      if (s[i].cin > cmax) cmax = (double)s[i].cin;
      if (b > bmax) bmax = b;
      if (c2)
        fprintf(c2, "%s,%lld,%lld,%lld,%lld,%lld,%d,%d,%.3f,%.3f,%.4f\n", s[i].op,
                (long long)s[i].h, (long long)s[i].w, (long long)s[i].cin, (long long)s[i].cout,
                (long long)s[i].k, s[i].fused, s[i].cores, s[i].us, s[i].us_unfused, b);
    }
  bmax = ceil(bmax * 1.1 * 2) / 2;
  if (pairs > 0) {
    const double l0 = log2(cmin > 1 ? cmin : 1), l1 = log2(cmax) > l0 ? log2(cmax) : l0 + 1;
    fprintf(f,
            "<svg class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"fusion benefit against channel size\">",
            W, H);
    axes(f, "Fusion benefit of fused conv pairs (unfused / fused time) by channel size",
         "input channels (log2 scale); dashed: 1 = no benefit", "benefit (x)", bmax);
    for (double l = ceil(l0); l <= l1 + 1e-9; l += 1)
      fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>",
              FIG_L + (l - l0) / (l1 - l0) * FIG_W, FIG_T + FIG_H + 14, pow(2, l));
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\" "
            "stroke-dasharray=\"4 3\"/>",
            FIG_L, FIG_T + FIG_H - 1 / bmax * FIG_H, FIG_L + FIG_W,
            FIG_T + FIG_H - 1 / bmax * FIG_H);
    for (int c = 0; c < nk; c++) {
      const char *col = report_palette[c % REPORT_N_PALETTE];
      for (int i = 0; i < n; i++)
        if (s[i].cores == ks[c] && s[i].fused > 1 && s[i].us > 0 && s[i].us_unfused > 0)
          fprintf(f,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.8\">"
                  "<title>%s %lldx%lld %lld-&gt;%lld ch, %d cores: %.2fx</title></circle>",
                  FIG_L + (log2((double)(s[i].cin > 1 ? s[i].cin : 1)) - l0) / (l1 - l0) * FIG_W,
                  FIG_T + FIG_H - s[i].us_unfused / s[i].us / bmax * FIG_H, col, s[i].op,
                  (long long)s[i].h, (long long)s[i].w, (long long)s[i].cin, (long long)s[i].cout,
                  s[i].cores, s[i].us_unfused / s[i].us);
      fprintf(f,
              "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%d "
              "core%s</text>",
              FIG_L + FIG_W + 21, FIG_T + 5 + c * 16, col, FIG_L + FIG_W + 30, FIG_T + 9 + c * 16,
              ks[c], ks[c] == 1 ? "" : "s");
    }
    fprintf(f, "</svg>\n");
  }
  free(s);
  int rc = EXIT_OK;
  if (c1 && fclose(c1) != 0) rc = EXIT_RUNTIME;
  if (c2 && fclose(c2) != 0) rc = EXIT_RUNTIME;
  if (rc != EXIT_OK) fprintf(stderr, "dlfusion: %s: writing the CSV files failed\n", csv_dir);
  return rc;
}

int report_timeline(FILE *f, const dlf_model *m, const dlf_target *t, const dlf_plan *p,
                    const double *block_us) {
  dlf_target_info ti;
  if (dlf_target_get_info(t, &ti) != DLF_OK) return cli_fail();
  const int nb = dlf_plan_num_blocks(p), core_h = ti.cores > 32 ? 2 : 4;
  const int L = 60, T = 40, W = 900, H = ti.cores * core_h;
  double total = 0;
  for (int b = 0; b < nb; b++)
    total += block_us[b] > 0 ? block_us[b] : 0;
  if (!(total > 0)) return EXIT_OK;
  fprintf(f,
          "<svg class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\" "
          "aria-label=\"timeline\">",
          L + W + 40, T + H + 60);
  fprintf(f,
          "<text x=\"%d\" y=\"16\" class=\"ttl\">Simulated timeline: which block runs on "
          "which cores when</text>",
          L);
  static const char *const seg_col[3] = {"#999999", "#000000", NULL};
  static const char *const seg_name[3] = {"launch", "barrier (sync)", "compute / DRAM"};
  for (int i = 0; i < 3; i++)
    fprintf(f,
            "<rect x=\"%d\" y=\"22\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" "
            "y=\"31\">%s</text>",
            L + 130 * i, seg_col[i] ? seg_col[i] : report_palette[0], L + 130 * i + 14,
            seg_name[i]);
  fprintf(f, "<text x=\"%d\" y=\"31\">(compute colour: the block's colour in the graph)</text>",
          L + 390);
  double t0 = 0;
  dlf_layer_info *li = NULL;
  int cap = 0, rc = EXIT_OK;
  for (int b = 0; b < nb && rc == EXIT_OK; b++) {
    dlf_block_info bi;
    if (dlf_plan_block(p, b, &bi) != DLF_OK) {
      rc = cli_fail();
      break;
    }
    if (bi.num_layers > cap) {
      free(li);
      cap = bi.num_layers;
      if (!(li = malloc((size_t)cap * sizeof *li))) {
        fprintf(stderr, "dlfusion: out of memory\n");
        rc = EXIT_RUNTIME;
        break;
      }
    }
    for (int j = 0; j < bi.num_layers; j++)
      if (dlf_model_layer(m, bi.layers[j], &li[j]) != DLF_OK) rc = cli_fail();
    dlf_block_time bt;
    double fl = 0, fs = 0;
    if (rc == EXIT_OK && dlf_target_block_time(t, li, bi.num_layers, bi.cores, &bt) == DLF_OK &&
        bt.total_us > 0)
      fl = bt.launch_us / bt.total_us, fs = bt.sync_us / bt.total_us;
    const double d = block_us[b] > 0 ? block_us[b] : 0;
    const double x = L + t0 / total * W, w = d / total * W, h = bi.cores * core_h;
    const double y = T + H - h;
    fprintf(f, "<g><title>block %d: %d cores, %.1f us (launch %.0f%%, barrier %.0f%%)</title>", b,
            bi.cores, d, 100 * fl, 100 * fs);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/>", x, y,
            w * fl, h, seg_col[0]);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/>",
            x + w * fl, y, w * fs, h, seg_col[1]);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/></g>",
            x + w * (fl + fs), y, w * (1 - fl - fs), h, report_palette[b % REPORT_N_PALETTE]);
    t0 += d;
  }
  free(li);
  /* axes: time in microseconds, cores */
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>", L, T + H, L + W,
          T + H);
  double step = pow(10, floor(log10(total / 5)));
  if (total / step > 10) step *= 2;
  for (double v = 0; v <= total + 1e-9; v += step)
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>", L + v / total * W,
            T + H + 14, v);
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (us)</text>", L + W / 2,
          T + H + 32);
  for (int c = 0; c <= ti.cores; c += ti.cores >= 16 ? ti.cores / 4 : 1)
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>", L - 4,
            T + H - c * core_h + 3, c);
  fprintf(f,
          "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">"
          "cores</text></svg>\n",
          T + H / 2, T + H / 2);
  return rc;
}
