/* cmd_report.c — `dlfusion report MODEL --plan P -o report.html`: one self-contained HTML page
 * (inline SVG and CSS, a few lines of inline JS for hover details; nothing fetched) showing the
 * model's layer graph with each plan block as a coloured group labelled with its core number,
 * tile height and predicted / measured (CPU) or simulated (accelerator) time; per-block bars of
 * predicted against measured or simulated time; the strategies the tuner record compares; and
 * the session's memory against the unfused plan's. Written over the public API only. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: dlfusion report MODEL --plan FILE -o FILE.html [--target cpu|FILE]\n"
          "                      [--profile FILE] [--runs N] [--csv DIR] [--shape NAME=DIMS]...\n"
          "                      [--no-optimize]\n"
          "\n"
          "Write one self-contained HTML page (inline SVG and CSS, no network) about a plan:\n"
          "the layer graph (layers top to bottom, branches side by side) with each fused\n"
          "block a coloured group labelled with its core number, tile height and predicted\n"
          "/ measured time; per-block bars of predicted (cost model) against measured (cpu:\n"
          "the plan run --runs times, medians) or simulated (accelerator) time; the\n"
          "strategies its tuner record compares (none, vendor, oracle); memory (arena and\n"
          "per-block scratch against the unfused plan, cpu); an accelerator plan's timeline\n"
          "(which block runs on which cores when, launch and barrier shares visible); with\n"
          "a profile, the target's characterization: speedup against core number by\n"
          "operation count and fusion benefit against channel size (the observations the\n"
          "DLFusion method rests on).\n"
          "\n"
          "  --plan FILE        the plan (dlfusion tune -o FILE); required\n"
          "  -o, --output FILE  the page to write; required\n"
          "  --target cpu|FILE  the target the plan is for (default: cpu)\n"
          "  --profile FILE     the profile for predictions (cpu: without one the page has\n"
          "                     no predictions; an accelerator is profiled now)\n"
          "  --runs N           timed runs per block on a cpu (default 5)\n"
          "  --csv DIR          also write the characterization figures' numbers to\n"
          "                     DIR/characterization_{speedup,fusion}.csv\n"
          "  --shape NAME=DIMS  fix an input's shape, e.g. --shape input=2x3x224x224\n"
          "  --no-optimize      the graph as imported (no passes)\n"
          "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
          "  --help             this text\n");
}

#define palette report_palette /* report.h: Okabe-Ito */
#define N_PALETTE REPORT_N_PALETTE

/* Layout, pixels: a layer is a box NODE_W x NODE_H on row `depth`, column by order. */
#define NODE_W 170
#define NODE_H 16
#define ROW_H 22
#define COL_W 190
#define LABEL_W 330
#define LABEL_STEP 13 /* the label font is 10 px: 13 px apart never overlap */

typedef struct report {
  const dlf_model *m;
  const dlf_plan *p;
  const dlf_target *t;
  const char *spec, *plan_path;
  dlf_target_info ti;
  bool accel, have_tuner;
  dlf_tuner_info tu;
  int nl, nb;
  dlf_layer_info *li;
  int *block_of, *depth, *col;
  double *pred;   /* per block, us; < 0 unknown */
  double *actual; /* per block, us: measured or simulated; < 0 unknown */
  const char *actual_kind;
  int64_t *scratch; /* per block (cpu), -1 unknown */
  dlf_session_memory mem, mem_unfused;
  bool have_mem;
  int64_t arena_model;
} report;

static void fmt_us(char *buf, size_t n, double us) {
  if (us < 0)
    snprintf(buf, n, "-");
  else if (us >= 1000)
    snprintf(buf, n, "%.2f ms", us / 1000);
  else
    snprintf(buf, n, "%.1f us", us);
}

static void graph(FILE *f, const report *r) {
  int maxd_ = 0, maxc = 0;
  for (int l = 0; l < r->nl; l++) {
    if (r->depth[l] > maxd_) maxd_ = r->depth[l];
    if (r->col[l] > maxc) maxc = r->col[l];
  }
  const int gx = 20, gy = 20, gw = (maxc + 1) * COL_W;
  const int lx = gx + gw + 40; /* the label column */
  /* Label positions: each block's first row, pushed down so labels never overlap. */
  int *ly = calloc((size_t)r->nb + 1, sizeof *ly);
  int *top = calloc((size_t)r->nb + 1, sizeof *top), *bot = calloc((size_t)r->nb + 1, sizeof *bot);
  int *lft = calloc((size_t)r->nb + 1, sizeof *lft), *rgt = calloc((size_t)r->nb + 1, sizeof *rgt);
  if (!ly || !top || !bot || !lft || !rgt) goto out;
  for (int b = 0; b < r->nb; b++)
    top[b] = lft[b] = 1 << 30, bot[b] = rgt[b] = -1;
  for (int l = 0; l < r->nl; l++) {
    const int b = r->block_of[l], x = gx + r->col[l] * COL_W, y = gy + r->depth[l] * ROW_H;
    if (y < top[b]) top[b] = y;
    if (y + NODE_H > bot[b]) bot[b] = y + NODE_H;
    if (x < lft[b]) lft[b] = x;
    if (x + NODE_W > rgt[b]) rgt[b] = x + NODE_W;
  }
  int last = -LABEL_STEP, height = gy + (maxd_ + 1) * ROW_H + 20;
  for (int b = 0; b < r->nb; b++) {
    int want = top[b] + 8;
    ly[b] = want > last + LABEL_STEP ? want : last + LABEL_STEP;
    last = ly[b];
  }
  if (last + 20 > height) height = last + 20;
  fprintf(f,
          "<svg id=\"graph\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"layer graph\">\n",
          lx + LABEL_W, height);
  /* edges first, under everything */
  fprintf(f, "<g class=\"edges\">");
  int cap = 0, *from = NULL;
  for (int l = 0; l < r->nl; l++) {
    int k = dlf_model_layer_inputs(r->m, l, from, cap);
    if (k > cap) {
      free(from);
      cap = k;
      if (!(from = malloc((size_t)cap * sizeof *from))) break;
      k = dlf_model_layer_inputs(r->m, l, from, cap);
    }
    for (int j = 0; j < k; j++) {
      const int a = from[j];
      fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
              gx + r->col[a] * COL_W + NODE_W / 2, gy + r->depth[a] * ROW_H + NODE_H,
              gx + r->col[l] * COL_W + NODE_W / 2, gy + r->depth[l] * ROW_H);
    }
  }
  free(from);
  fprintf(f, "</g>\n");
  for (int b = 0; b < r->nb; b++) {
    dlf_block_info bi;
    if (dlf_plan_block(r->p, b, &bi) != DLF_OK) continue;
    char tile[24], pu[24], au[24];
    if (bi.tile_rows > 0)
      snprintf(tile, sizeof tile, "tile %d", bi.tile_rows);
    else
      snprintf(tile, sizeof tile, "tile auto");
    fmt_us(pu, sizeof pu, r->pred[b]);
    fmt_us(au, sizeof au, r->actual[b]);
    const char *col = palette[b % N_PALETTE];
    fprintf(f,
            "<g class=\"block\" data-info=\"block %d: %d layer%s, %d core%s, %s; predicted %s, %s "
            "%s\">",
            b, bi.num_layers, bi.num_layers == 1 ? "" : "s", bi.cores, bi.cores == 1 ? "" : "s",
            tile, pu, r->actual_kind, au);
    fprintf(f,
            "<rect class=\"bg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
            "stroke=\"%s\"/>",
            lft[b] - 4, top[b] - 3, rgt[b] - lft[b] + 8, bot[b] - top[b] + 6, col, col);
    for (int j = 0; j < bi.num_layers; j++) {
      const dlf_layer_info *li = &r->li[bi.layers[j]];
      const int x = gx + r->col[li->index] * COL_W, y = gy + r->depth[li->index] * ROW_H;
      char shape[80];
      fprintf(f, "<rect class=\"n\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"><title>", x, y,
              NODE_W, NODE_H);
      report_esc(f, li->name);
      fprintf(f, " (%s%s%s) %s</title></rect><text x=\"%d\" y=\"%d\">", li->op,
              li->epilogue[0] ? " +" : "", li->epilogue,
              cli_dims(li->out_dims, li->ndim_out, shape, sizeof shape), x + 4, y + 12);
      /* 170 px at the 10 px font's ~6 px per character: 27 characters */
      const size_t op_len = strlen(li->op);
      report_esc(f, li->op);
      fputc(' ', f);
      report_esc_cut(f, li->name, op_len + 1 < 26 ? 26 - op_len : 1, true);
      fprintf(f, "</text>");
    }
    /* the label, with a leader from the block's right edge */
    fprintf(f, "<line class=\"lead\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>",
            rgt[b] + 4, top[b] + 8, lx - 4, ly[b] - 4, col);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"8\" fill=\"%s\"/>", lx, ly[b] - 8,
            col);
    fprintf(f, "<text class=\"lbl\" x=\"%d\" y=\"%d\">b%d · %dc · %s · %s / %s</text></g>\n",
            lx + 12, ly[b], b, bi.cores, tile, pu, au);
  }
  fprintf(f, "</svg>\n");
out:
  free(ly);
  free(top);
  free(bot);
  free(lft);
  free(rgt);
}

static const char *css =
    "body{font:13px/1.4 Helvetica,Arial,sans-serif;margin:20px;color:#222}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    "svg text{font:10px Helvetica,Arial,sans-serif;fill:#222}"
    "svg .ttl{font-size:12px;font-weight:bold}"
    ".edges line{stroke:#999;stroke-width:0.6;opacity:0.5}"
    ".block .bg{fill-opacity:0.22;stroke-width:1.2}"
    ".block .n{fill:#fff;stroke:#666;stroke-width:0.6}"
    ".block .lead{stroke-width:0.6;opacity:0.6}"
    ".block:hover .bg{fill-opacity:0.45}"
    ".grid{stroke:#ddd}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
    "#info{position:fixed;bottom:8px;right:8px;background:#fff;border:1px solid #888;padding:4px "
    "8px;"
    "min-width:200px}";

static int page(FILE *f, report *r, const dlf_profile *prof, const char *csv_dir) {
  int rc = EXIT_OK;
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
             "<script>window.onerror=function(){document.title='REPORT-JS-ERROR';};</script>\n"
             "<title>dlfusion report: ");
  report_esc(f, r->spec);
  fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>dlfusion report: ", css);
  report_esc(f, r->spec);
  fprintf(f, "</h1>\n<p>plan <code>");
  report_esc(f, r->plan_path);
  fprintf(f, "</code>: %d blocks over %d layers; target <b>", r->nb, r->nl);
  report_esc(f, r->ti.name);
  fprintf(f, "</b> (%s, %d cores)", r->ti.kind, r->ti.cores);
  if (r->have_tuner) fprintf(f, "; tuned by <b>%s</b>", r->tu.strategy);
  fprintf(f,
          ". Times: <span style=\"color:%s\">predicted</span> by the cost model, "
          "<span style=\"color:%s\">%s</span>%s.</p>\n<div id=\"info\">hover a block</div>\n",
          REPORT_COL_PRED, REPORT_COL_MEAS, r->actual_kind,
          r->accel ? " by the accelerator simulator" : " by running the plan (median per block)");
  /* strategies */
  fprintf(f, "<h2>Strategies compared</h2>\n");
  const char *names[6];
  double vals[6];
  int n = 0;
  if (r->have_tuner) {
    if (isfinite(r->tu.none_us)) names[n] = "none", vals[n++] = r->tu.none_us;
    if (isfinite(r->tu.vendor_us)) names[n] = "vendor", vals[n++] = r->tu.vendor_us;
    if (isfinite(r->tu.oracle_us)) names[n] = "oracle", vals[n++] = r->tu.oracle_us;
    const double self = r->accel ? r->tu.simulated_us : r->tu.cost_us;
    if (isfinite(self) && self > 0) names[n] = r->tu.strategy, vals[n++] = self;
  }
  if (!r->accel && n > 0) {
    /* a CPU record compares nothing without measuring: show the plan's prediction against
     * its measurement (the sum of the block medians above) */
    double sum = 0;
    for (int b = 0; b < r->nb; b++)
      sum += r->actual[b] > 0 ? r->actual[b] : 0;
    names[n - 1] = "predicted", names[n] = "measured", vals[n++] = sum;
  }
  if (n > 1)
    report_bar_chart(f,
                     r->accel ? "Whole-model latency by strategy (simulated)"
                              : "This plan: predicted and measured (sum of block medians)",
                     "latency (us)", n, names, vals, r->accel ? "simulated" : "latency", NULL,
                     NULL);
  if (!r->accel)
    fprintf(f, "<p>On a CPU the tuner record compares no other strategy (nothing is known there "
               "without measuring): <code>dlfusion tune --compare</code> measures them all.</p>\n");
  fprintf(f,
          "<h2>Layer graph and blocks</h2>\n<p>Layers top to bottom (row = longest path "
          "from the input), branches side by side; each coloured group is a block, labelled "
          "<i>b#</i> · cores · tile height · predicted / %s time.</p>\n",
          r->actual_kind);
  graph(f, r);
  fprintf(f, "<h2>Per-block latency</h2>\n");
  char **labels = calloc((size_t)r->nb + 1, sizeof *labels);
  for (int b = 0; labels && b < r->nb; b++) {
    dlf_block_info bi;
    labels[b] = malloc(64);
    if (labels[b] && dlf_plan_block(r->p, b, &bi) == DLF_OK) {
      /* "b12 ...conv2": the block and the end of its first layer's name, 16 characters */
      const char *name = r->li[bi.layers[0]].name;
      int head = snprintf(labels[b], 64, "b%d ", b);
      size_t room = head < 15 ? (size_t)(15 - head) : 1, len = strlen(name);
      snprintf(labels[b] + head, (size_t)(64 - head), "%s%s", len > room ? "~" : "",
               len > room ? name + len - (room - 1) : name);
    } else if (labels[b])
      snprintf(labels[b], 64, "b%d", b);
  }
  if (labels) {
    char tb[96];
    snprintf(tb, sizeof tb, "Per-block latency: predicted vs %s", r->actual_kind);
    report_bar_chart(f, tb, "latency (us)", r->nb, (const char *const *)labels, r->pred,
                     "predicted", r->actual, r->actual_kind);
    for (int b = 0; b < r->nb; b++)
      free(labels[b]);
    free(labels);
  }
  if (r->accel) {
    fprintf(f, "<h2>Timeline</h2>\n");
    if ((rc = report_timeline(f, r->m, r->t, r->p, r->actual)) != EXIT_OK) return rc;
  }
  fprintf(f, "<h2>Memory</h2>\n");
  if (r->have_mem) {
    fprintf(f,
            "<table><tr><th></th><th>this plan</th><th>unfused plan</th></tr>"
            "<tr><th>activation arena</th><td>%lld B</td><td>%lld B</td></tr>"
            "<tr><th>scratch (all threads)</th><td>%lld B</td><td>%lld B</td></tr>"
            "<tr><th>packed weights</th><td>%lld B</td><td>%lld B</td></tr></table>\n",
            (long long)r->mem.arena_bytes, (long long)r->mem_unfused.arena_bytes,
            (long long)r->mem.scratch_bytes, (long long)r->mem_unfused.scratch_bytes,
            (long long)r->mem.weight_bytes, (long long)r->mem_unfused.weight_bytes);
    double *kb = calloc((size_t)r->nb + 1, sizeof *kb);
    char **lab = calloc((size_t)r->nb + 1, sizeof *lab);
    int k = 0;
    for (int b = 0; kb && lab && b < r->nb; b++)
      if (r->scratch[b] > 0 && (lab[k] = malloc(16))) {
        snprintf(lab[k], 16, "b%d", b);
        kb[k++] = (double)r->scratch[b] / 1024.0;
      }
    if (k > 0)
      report_bar_chart(f, "Tile scratch per thread, blocks that have one", "scratch (KiB)", k,
                       (const char *const *)lab, kb, "scratch", NULL, NULL);
    for (int i = 0; lab && i < k; i++)
      free(lab[i]);
    free(lab);
    free(kb);
  } else {
    fprintf(f,
            "<p>Activation arena of the unfused model: %lld B (accelerator plans are "
            "simulated, not run: no session memory).</p>\n",
            (long long)r->arena_model);
  }
  if (prof) {
    fprintf(f, "<h2>Characterization of the target (from its profile)</h2>\n<p>The two "
               "observations the DLFusion method rests on, measured (cpu) or simulated "
               "(accelerator) on synthesized layers: how much more cores speed a layer up, by "
               "its operation count, and how much fusing two convs saves, by their channel "
               "size.</p>\n");
    rc = report_characterization(f, prof, csv_dir);
  }
  fprintf(f, "<script>document.querySelectorAll('g.block').forEach(function(g){"
             "g.addEventListener('mouseenter',function(){document.getElementById('info')"
             ".textContent=g.getAttribute('data-info');});});</script>\n</body></html>\n");
  return rc;
}

/* Median per-block ms of `runs` runs of the plan's session. */
static int measure(const dlf_model *m, dlf_session *s, int nb, int runs, double *us) {
  cli_io io = {0};
  double *all = calloc((size_t)nb * (size_t)runs + 1, sizeof *all);
  int rc = EXIT_OK;
  if (!all) return EXIT_RUNTIME;
  if ((rc = cli_io_alloc(m, NULL, 0, &io)) != EXIT_OK) goto done;
  double *ms = all; /* warm-up into the first row, overwritten */
  if (dlf_session_run_blocks(s, (const void *const *)io.in, io.out, ms) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  for (int i = 0; i < runs; i++) {
    double *row = calloc((size_t)nb + 1, sizeof *row);
    if (!row || dlf_session_run_blocks(s, (const void *const *)io.in, io.out, row) != DLF_OK) {
      free(row);
      rc = cli_fail();
      goto done;
    }
    for (int b = 0; b < nb; b++)
      all[(size_t)b * runs + i] = row[b];
    free(row);
  }
  for (int b = 0; b < nb; b++) {
    qsort(all + (size_t)b * runs, (size_t)runs, sizeof *all, cli_cmp_double);
    us[b] = all[(size_t)b * runs + runs / 2] * 1000.0;
  }
done:
  free(all);
  cli_io_free(&io);
  return rc;
}

static int run(const dlf_model *m, const char *spec, const char *plan_path, const char *target,
               const char *profile, const char *out, int runs, const char *csv_dir) {
  report r = {.m = m, .spec = spec, .plan_path = plan_path};
  dlf_target *t = NULL;
  dlf_profile *prof = NULL;
  dlf_plan *p = NULL, *unf = NULL;
  dlf_explanation *e = NULL;
  dlf_session *s = NULL, *su = NULL;
  FILE *f = NULL;
  int rc = EXIT_OK;
  const bool host = !target || !strcmp(target, "cpu");
  if ((rc = cli_plan_load(m, plan_path, &p)) != EXIT_OK) goto done;
  r.p = p;
  if ((host ? dlf_target_host(0, &t) : dlf_target_load(target, &t)) != DLF_OK ||
      dlf_target_get_info(t, &r.ti) != DLF_OK)
    goto fail;
  r.accel = !host;
  r.t = t;
  r.have_tuner = dlf_plan_tuner(p, &r.tu) == DLF_OK;
  if (profile) {
    if (dlf_profile_load(profile, &prof) != DLF_OK) goto fail;
  } else if (!host && dlf_profile_run(t, 0, &prof) != DLF_OK) {
    goto fail;
  }
  r.nl = dlf_model_num_layers(m);
  r.nb = dlf_plan_num_blocks(p);
  r.li = calloc((size_t)r.nl + 1, sizeof *r.li);
  r.block_of = calloc((size_t)r.nl + 1, sizeof *r.block_of);
  r.depth = calloc((size_t)r.nl + 1, sizeof *r.depth);
  r.col = calloc((size_t)r.nl + 1, sizeof *r.col);
  r.pred = calloc((size_t)r.nb + 1, sizeof *r.pred);
  r.actual = calloc((size_t)r.nb + 1, sizeof *r.actual);
  r.scratch = calloc((size_t)r.nb + 1, sizeof *r.scratch);
  int *per_depth = calloc((size_t)r.nl + 1, sizeof *per_depth);
  if (!r.li || !r.block_of || !r.depth || !r.col || !r.pred || !r.actual || !r.scratch ||
      !per_depth) {
    free(per_depth);
    fprintf(stderr, "dlfusion: out of memory\n");
    rc = EXIT_RUNTIME;
    goto done;
  }
  int from[1024];
  for (int l = 0; l < r.nl; l++) {
    if (dlf_model_layer(m, l, &r.li[l]) != DLF_OK) goto fail;
    int k = dlf_model_layer_inputs(m, l, from, 1024), d = 0;
    for (int j = 0; j < k && j < 1024; j++)
      if (r.depth[from[j]] + 1 > d) d = r.depth[from[j]] + 1;
    r.depth[l] = d;
    r.col[l] = per_depth[d]++;
  }
  free(per_depth);
  for (int b = 0; b < r.nb; b++) {
    dlf_block_info bi;
    if (dlf_plan_block(p, b, &bi) != DLF_OK) goto fail;
    for (int j = 0; j < bi.num_layers; j++)
      r.block_of[bi.layers[j]] = b;
    r.pred[b] = r.actual[b] = -1;
    r.scratch[b] = -1;
  }
  /* predictions: the cost model where there is a profile (explain's numbers) */
  if (!prof)
    fprintf(stderr, "dlfusion report: no --profile: the page has no predictions\n");
  else if (dlf_plan_explain(m, t, prof, p, &e) != DLF_OK)
    fprintf(stderr, "dlfusion report: no predictions: %s\n", dlf_last_error());
  if (e)
    for (int b = 0; b < r.nb; b++) {
      dlf_block_explanation x;
      if (dlf_explanation_block(e, b, &x) == DLF_OK) r.pred[b] = x.cost_us;
    }
  if (r.accel) {
    r.actual_kind = "simulated";
    double total;
    if (dlf_plan_simulate(m, t, p, &total, r.actual) != DLF_OK) goto fail;
    dlf_model_summary sum;
    if (dlf_model_summarize(m, &sum) != DLF_OK) goto fail;
    r.arena_model = sum.act_peak_bytes;
  } else {
    r.actual_kind = "measured";
    int threads = 1;
    for (int b = 0; b < r.nb; b++) {
      dlf_block_info bi;
      if (dlf_plan_block(p, b, &bi) == DLF_OK && bi.cores > threads) threads = bi.cores;
    }
    dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = threads, .plan = p};
    if (dlf_session_create(m, &so, &s) != DLF_OK) goto fail;
    if ((rc = measure(m, s, r.nb, runs, r.actual)) != EXIT_OK) goto done;
    if (dlf_plan_unfused(m, threads, &unf) != DLF_OK) goto fail;
    dlf_session_options su_o = {.engine = DLF_ENGINE_DEFAULT, .threads = threads, .plan = unf};
    if (dlf_session_create(m, &su_o, &su) != DLF_OK ||
        dlf_session_memory_usage(s, &r.mem) != DLF_OK ||
        dlf_session_memory_usage(su, &r.mem_unfused) != DLF_OK)
      goto fail;
    r.have_mem = true;
    for (int b = 0; b < r.nb; b++) {
      dlf_block_stats bs;
      if (dlf_session_block_stats(s, b, &bs) == DLF_OK) r.scratch[b] = bs.scratch_bytes;
    }
  }
  if (!(f = fopen(out, "w"))) {
    fprintf(stderr, "dlfusion: %s: cannot open for writing\n", out);
    rc = EXIT_RUNTIME;
    goto done;
  }
  rc = page(f, &r, prof, csv_dir);
  if (fclose(f) != 0) {
    fprintf(stderr, "dlfusion: %s: write failed\n", out);
    rc = EXIT_RUNTIME;
    goto done;
  }
  if (rc != EXIT_OK) goto done;
  printf("wrote %s (%d blocks, %d layers)\n", out, r.nb, r.nl);
  goto done;
fail:
  rc = cli_fail();
done:
  free(r.li);
  free(r.block_of);
  free(r.depth);
  free(r.col);
  free(r.pred);
  free(r.actual);
  free(r.scratch);
  dlf_session_free(s);
  dlf_session_free(su);
  dlf_explanation_free(e);
  dlf_plan_free(p);
  dlf_plan_free(unf);
  dlf_profile_free(prof);
  dlf_target_free(t);
  return rc;
}

int cmd_report(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},  {"target", required_argument, NULL, 't'},
      {"profile", required_argument, NULL, 'p'}, {"runs", required_argument, NULL, 'r'},
      {"csv", required_argument, NULL, 'c'},     CLI_MODEL_LONGOPTS,
      {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  const char *out = NULL, *target = NULL, *profile = NULL, *csv_dir = NULL;
  long long runs = 5;
  dlf_model *m = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("report", &mo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) goto done;
      continue;
    }
    rc = EXIT_OK;
    switch (c) {
    case 'o':
      if ((rc = cli_output_arg("report", optarg, &out)) != EXIT_OK) goto done;
      break;
    case 't': target = optarg; break;
    case 'p': profile = optarg; break;
    case 'c': csv_dir = optarg; break;
    case 'r':
      if (!cli_parse_int(optarg, &runs) || runs < 1 || runs > 1000) {
        rc = cli_usage_error("report", "--runs wants 1 to 1000, got '%s'", optarg);
        goto done;
      }
      break;
    case 'h': usage(stdout); goto done;
    default: rc = cli_option_error("report", c, argv); goto done;
    }
  }
  if ((rc = cli_one_model("report", argc, argv)) != EXIT_OK) goto done;
  if (!mo.plan_path) {
    rc = cli_usage_error("report", "--plan FILE is required (the plan to report on)");
    goto done;
  }
  if (!out) {
    rc = cli_usage_error("report", "-o FILE is required (the HTML page to write)");
    goto done;
  }
  dlf_load_options lo;
  cli_load_options(&mo, &lo);
  if (dlf_model_load(argv[optind], &lo, &m) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  rc = run(m, argv[optind], mo.plan_path, target, profile, out, (int)runs, csv_dir);
done:
  dlf_model_free(m);
  cli_model_opts_free(&mo);
  return rc;
}
