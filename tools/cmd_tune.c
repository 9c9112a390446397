/* cmd_tune.c — `dlfusion tune MODEL`: decide the fusion scheme and core numbers for a target
 * (the DLFusion strategy over a profile's cost model by default), print the plan and what it
 * is predicted (or simulated) to cost, write it with -o; --compare puts every strategy side
 * by side (search time, predicted / simulated latency, and on a CPU the measured one; speedup
 * over none, ratios to the oracle and to the vendor's default). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: dlfusion tune MODEL [--target cpu|FILE] [--profile FILE]\n"
          "                    [--strategy S] [--compare[=LIST]] [-o FILE] [--max-block-layers N]\n"
          "                    [--runs N] [--budget SECONDS] [--block-model pairs|fitted]\n"
          "                    [--shape NAME=DIMS]... [--no-optimize]\n"
          "\n"
          "Choose which consecutive layers of MODEL run fused and on how many cores each\n"
          "block runs, for a target: this machine's CPU (default) or an accelerator\n"
          "described by a JSON file (targets/mlu100.json). Prints the plan's blocks and\n"
          "their predicted (accelerator: simulated) latency; -o writes the plan for\n"
          "run/bench/info --plan (CPU plans; accelerator plans are simulated, not run).\n"
          "\n"
          "  --target cpu|FILE   the target (default: cpu, all cores)\n"
          "  --profile FILE      the target's profile (dlfusion profile -o FILE); without\n"
          "                      one: accelerators are profiled now (instantly), the CPU\n"
          "                      once per machine (under a minute), then its profile is\n"
          "                      reused from $XDG_CACHE_HOME/dlfusion (~/.cache/dlfusion)\n"
          "  --strategy S        dlfusion (default): dynamic programming over the profile's\n"
          "                      cost model; oracle: over the ground truth (the simulator,\n"
          "                      exact over every block length; on a CPU every candidate\n"
          "                      block is run: minutes); greedy; none: each layer alone on\n"
          "                      one core; allcores: each layer alone on all cores;\n"
          "                      vendor: every maximal run of fusable layers one block, one\n"
          "                      core number for the model (the fastest one); blocks: the\n"
          "                      natural blocks on all cores\n"
          "  --compare[=LIST]    every strategy (or those of the comma-separated LIST, and\n"
          "                      --strategy's) side by side: latency, speedup over none,\n"
          "                      ratio to oracle and to vendor (on a CPU, each plan also run\n"
          "                      and timed, interleaved)\n"
          "  -o, --output FILE   write the plan (of --strategy) as JSON\n"
          "  --max-block-layers N  longest fused block dlfusion, greedy and the CPU oracle\n"
          "                      consider (default 12; the accelerator oracle and vendor\n"
          "                      have no cap)\n"
          "  --runs N            timed runs per measurement on a CPU (default 5)\n"
          "  --budget SECONDS    CPU, dlfusion: measure the chosen blocks in place for up to\n"
          "                      this long, re-search with the measurements, then time the\n"
          "                      plan against the baselines (allcores, blocks, vendor) and\n"
          "                      keep the fastest (default 10; 0 = the cost model's plan)\n"
          "  --block-model M     how dlfusion and greedy price a fused block: pairs (its\n"
          "                      layers less the profiled pairs' savings) or fitted (a\n"
          "                      law fitted on the profile's synthesized blocks;\n"
          "                      docs/tuning.md says which is the default and why)\n"
          "  --shape NAME=DIMS   fix an input's shape, e.g. --shape input=2x3x224x224\n"
          "  --no-optimize       tune the graph as imported (no passes)\n"
          "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
          "                      (default: $DLF_MAX_TENSOR_BYTES, else 16G)\n"
          "  --help              this text\n");
}

/* --budget's default: seconds of measured validation of a CPU plan. Measured on the design set
 * (zoo:resnet50, the largest zoo CNN, on this 2-vCPU Zen 5): its validation measures every
 * chosen block within ~10 s (docs/tuning.md). */
#define TUNE_DEFAULT_BUDGET_S 10.0
#define N_ORDER_MAX 8 /* > every dlf_tune_strategy value */

typedef struct tune_args {
  const char *target, *profile, *output;
  int strategy;
  bool compare;
  bool compared[N_ORDER_MAX]; /* by strategy: in the --compare table */
  double budget_s;            /* --budget: the CPU dlfusion plan's measured validation */
  long long max_block_layers, runs;
  int block_model; /* dlf_tune_options.block_model */
} tune_args;

/* Median ms of whole runs of each plan's session, interleaved round by round. */
static int measure_plans(const dlf_model *m, dlf_plan *const *plans, int n, int threads,
                         int runs, double *ms) {
  dlf_session **s = calloc((size_t)n, sizeof *s);
  double *all = calloc((size_t)n * (size_t)runs + 1, sizeof *all);
  cli_io io = {0};
  int rc = EXIT_OK;
  if (!s || !all) {
    fprintf(stderr, "dlfusion: out of memory\n");
    rc = EXIT_RUNTIME;
    goto done;
  }
  if ((rc = cli_io_alloc(m, NULL, 0, &io)) != EXIT_OK) goto done;
  for (int i = 0; i < n; i++) {
    dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = threads, .plan = plans[i]};
    if (dlf_session_create(m, &so, &s[i]) != DLF_OK ||
        dlf_session_run(s[i], (const void *const *)io.in, io.out) != DLF_OK) {
      rc = cli_fail();
      goto done;
    }
  }
  for (int r = 0; r < runs; r++)
    for (int i = 0; i < n; i++) {
      double t0 = cli_now_ms();
      if (dlf_session_run(s[i], (const void *const *)io.in, io.out) != DLF_OK) {
        rc = cli_fail();
        goto done;
      }
      all[(size_t)i * runs + r] = cli_now_ms() - t0;
    }
  for (int i = 0; i < n; i++) {
    qsort(all + (size_t)i * runs, (size_t)runs, sizeof *all, cli_cmp_double);
    ms[i] = all[(size_t)i * runs + runs / 2];
  }
done:
  for (int i = 0; s && i < n; i++)
    dlf_session_free(s[i]);
  free(s);
  free(all);
  cli_io_free(&io);
  return rc;
}

static void print_plan(const dlf_model *m, const dlf_plan *p, const double *block_us) {
  printf("   #  layers (first..last)                              n cores%s\n",
         block_us ? "   sim us" : "");
  for (int b = 0; b < dlf_plan_num_blocks(p); b++) {
    dlf_block_info bi;
    char names[128];
    if (dlf_plan_block(p, b, &bi) != DLF_OK) continue;
    printf("%4d  %-48s %2d %5d", b, cli_block_layers(m, &bi, names, sizeof names),
           bi.num_layers, bi.cores);
    if (block_us) printf(" %8.1f", block_us[b]);
    printf("\n");
  }
}

/* The --compare table's order: the baselines, then the searches, the oracle last. */
#define N_ORDER 7
static const int order[N_ORDER] = {DLF_TUNE_NONE,   DLF_TUNE_ALLCORES, DLF_TUNE_VENDOR,
                                   DLF_TUNE_BLOCKS, DLF_TUNE_GREEDY,   DLF_TUNE_DLFUSION,
                                   DLF_TUNE_ORACLE};

static double ratio(double a, double b) { return a > 0 && b > 0 ? a / b : 0; }

/* A ratio in fmt, or "-" when one side was not compared (ratio 0). */
static void fmt_ratio(char *buf, size_t size, double r, const char *fmt) {
  if (r > 0)
    snprintf(buf, size, fmt, r);
  else
    snprintf(buf, size, "-");
}

/* One row per strategy: latency (simulated, or measured on a CPU), speedup over none and the
 * ratio to the oracle and to the vendor's default; then dlfusion's two ratios on one line
 * (what bench/tune_accel.sh reads). */
static void print_compare(const int *strat, int n, const dlf_tune_result *res,
                          dlf_plan *const *plans, const double *lat, bool accel) {
  int at[N_ORDER + 1];
  for (int s = 0; s <= N_ORDER; s++)
    at[s] = -1;
  for (int i = 0; i < n; i++)
    at[strat[i]] = i;
#define LAT_OF(S) (at[S] >= 0 ? lat[at[S]] : 0) /* 0: not compared (--compare=LIST) */
  const double none = LAT_OF(DLF_TUNE_NONE), oracle = LAT_OF(DLF_TUNE_ORACLE),
               vendor = LAT_OF(DLF_TUNE_VENDOR), dlfusion = LAT_OF(DLF_TUNE_DLFUSION);
#undef LAT_OF
  printf("\n%-9s %6s %11s %11s %12s %12s %8s %8s %8s\n", "strategy", "blocks", "search ms",
         "evaluations", "cost us", accel ? "simulated us" : "measured ms", "vs none", "/oracle",
         "/vendor");
  for (int i = 0; i < n; i++) {
    char vs_none[16], vs_oracle[16], vs_vendor[16];
    fmt_ratio(vs_none, sizeof vs_none, ratio(none, lat[i]), "%7.2fx");
    fmt_ratio(vs_oracle, sizeof vs_oracle, ratio(lat[i], oracle), "%8.3f");
    fmt_ratio(vs_vendor, sizeof vs_vendor, ratio(lat[i], vendor), "%8.3f");
    printf("%-9s %6d %11.3f %11lld %12.1f %12.*f %8s %8s %8s\n",
           dlf_tune_strategy_name((dlf_tune_strategy)strat[i]), dlf_plan_num_blocks(plans[i]),
           res[i].search_ms, (long long)res[i].evaluations, res[i].cost_us, accel ? 1 : 3, lat[i],
           vs_none, vs_oracle, vs_vendor);
  }
  char d_oracle[16], d_vendor[16];
  fmt_ratio(d_oracle, sizeof d_oracle, ratio(dlfusion, oracle), "%.3f");
  fmt_ratio(d_vendor, sizeof d_vendor, ratio(dlfusion, vendor), "%.3f");
  printf("dlfusion/oracle %s  dlfusion/vendor %s  (%s)\n", d_oracle, d_vendor,
         accel ? "simulated; the oracle is exact: no block-length cap"
               : "measured; the CPU oracle measured blocks up to --max-block-layers long");
}

static int run(const dlf_model *m, const char *spec, const tune_args *a) {
  dlf_target *t = NULL;
  dlf_profile *prof = NULL;
  dlf_plan *plans[N_ORDER] = {0};
  double *block_us = NULL;
  int rc = EXIT_OK;
  const bool host = !a->target || !strcmp(a->target, "cpu");
  if ((host ? dlf_target_host(0, &t) : dlf_target_load(a->target, &t)) != DLF_OK) goto fail;
  dlf_target_info ti;
  if (dlf_target_get_info(t, &ti) != DLF_OK) goto fail;
  const bool need_profile = a->compare || a->strategy == DLF_TUNE_DLFUSION ||
                            a->strategy == DLF_TUNE_GREEDY;
  if (need_profile) {
    if (a->profile) {
      if (dlf_profile_load(a->profile, &prof) != DLF_OK) goto fail;
    } else {
      /* Profile once per machine: the cached profile of this cpu, else one made now and kept
       * (dlf_profile_cached; an accelerator is simulated, never cached). */
      char cache[4096];
      const bool known = host && dlf_profile_cache_path(t, NULL, NULL, cache, sizeof cache) == DLF_OK;
      if (known && access(cache, R_OK) != 0)
        fprintf(stderr, "dlfusion tune: profiling this cpu once (under a minute), kept in %s\n",
                cache);
      int reused = 0;
      if (dlf_profile_cached(t, NULL, NULL, &prof, &reused) != DLF_OK) goto fail;
      if (reused) fprintf(stderr, "dlfusion tune: this cpu's cached profile %s\n", cache);
    }
  }
  printf("model: %s\ntarget: %s (%s, %d cores)\n", spec, ti.name, ti.kind,
         ti.cores);
  dlf_tune_result res[N_ORDER] = {{0}};
  int strat[N_ORDER];
  int n = 0, main_i = -1;
  for (int i = 0; i < N_ORDER; i++) {
    if (order[i] != a->strategy && (!a->compare || !a->compared[order[i]])) continue;
    /* --compare runs every strategy here: only the plan -o writes needs its record's
     * references (the exact oracle again, on a DenseNet seconds per strategy). */
    dlf_tune_options o = {(dlf_tune_strategy)order[i], prof, (int)a->max_block_layers,
                          (int)a->runs, order[i] != a->strategy,
                          host && order[i] == DLF_TUNE_DLFUSION ? a->budget_s : 0, a->block_model};
    if (order[i] == DLF_TUNE_ORACLE && host)
      fprintf(stderr, "dlfusion tune: oracle: running every candidate block (minutes)\n");
    if (dlf_tune(m, t, &o, &plans[n], &res[n]) != DLF_OK) goto fail;
    if (order[i] == a->strategy) main_i = n;
    strat[n++] = order[i];
  }
  const bool accel = strcmp(ti.kind, "cpu") != 0;
  /* Busy-machine warning (issue 18): timings taken while others used the CPU share their
   * noise. A quarter of a core is where interleaved ratios here started to drift. */
  for (int i = 0; i < n; i++)
    if (res[i].others_cores > 0.25)
      fprintf(stderr,
              "dlfusion tune: warning: other processes used %.2f cores while the %s plans were "
              "timed; the measured figures share that noise (run again on a quiet machine)\n",
              res[i].others_cores, dlf_tune_strategy_name((dlf_tune_strategy)strat[i]));
  double lat[N_ORDER] = {0};
  if (a->compare && !accel &&
      (rc = measure_plans(m, plans, n, ti.cores, a->runs > 0 ? (int)a->runs * 4 : 20, lat)) !=
          EXIT_OK)
    goto done;
  for (int i = 0; accel && i < n; i++)
    lat[i] = res[i].simulated_us;
  if (a->compare) print_compare(strat, n, res, plans, lat, accel);
  const dlf_plan *p = plans[main_i];
  printf("\nplan (%s): %d blocks, search %.3f ms", dlf_tune_strategy_name(a->strategy),
         dlf_plan_num_blocks(p), res[main_i].search_ms);
  const bool measured = a->strategy == DLF_TUNE_ORACLE || a->strategy == DLF_TUNE_VENDOR;
  if (accel) printf(", simulated %.1f us", res[main_i].simulated_us);
  else if (res[main_i].cost_us > 0)
    printf(", %s %.1f us", measured ? "measured (sum of block medians)" : "predicted",
           res[main_i].cost_us);
  printf("\n");
  if (accel) {
    block_us = calloc((size_t)dlf_plan_num_blocks(p) + 1, sizeof *block_us);
    double total;
    if (!block_us || dlf_plan_simulate(m, t, p, &total, block_us) != DLF_OK) goto fail;
  }
  print_plan(m, p, block_us);
  if (a->output) {
    if (dlf_plan_save(p, a->output) != DLF_OK) goto fail;
    printf("wrote %s\n", a->output);
  }
  goto done;
fail:
  rc = cli_fail();
done:
  free(block_us);
  for (int i = 0; i < N_ORDER; i++)
    dlf_plan_free(plans[i]);
  dlf_profile_free(prof);
  dlf_target_free(t);
  return rc;
}

int cmd_tune(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"target", required_argument, NULL, 't'},
      {"profile", required_argument, NULL, 'p'},
      {"strategy", required_argument, NULL, 's'},
      {"compare", optional_argument, NULL, 'C'},
      {"max-block-layers", required_argument, NULL, 'L'},
      {"runs", required_argument, NULL, 'r'},
      {"budget", required_argument, NULL, 'B'},
      {"block-model", required_argument, NULL, 'M'},
      {"no-optimize", no_argument, NULL, CLI_OPT_NO_OPTIMIZE},
      {"shape", required_argument, NULL, CLI_OPT_SHAPE},
      {"max-tensor-bytes", required_argument, NULL, CLI_OPT_MAX_TENSOR_BYTES},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  tune_args a = {NULL, NULL, NULL, DLF_TUNE_DLFUSION, false, {false}, TUNE_DEFAULT_BUDGET_S,
                 0, 0, 0};
  dlf_model *m = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("tune", &mo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) goto done;
      continue;
    }
    rc = EXIT_OK;
    switch (c) {
    case 'o':
      if ((rc = cli_output_arg("tune", optarg, &a.output)) != EXIT_OK) goto done;
      break;
    case 't': a.target = optarg; break;
    case 'p': a.profile = optarg; break;
    case 's':
      if ((a.strategy = dlf_tune_strategy_from_name(optarg)) < 0) {
        rc = cli_usage_error("tune",
                             "--strategy wants dlfusion, oracle, greedy, none, allcores, vendor "
                             "or blocks, got '%s'",
                             optarg);
        goto done;
      }
      break;
    case 'C': {
      a.compare = true;
      /* --compare=LIST: only these strategies (comma-separated); plain --compare: all */
      for (int s = 0; s < N_ORDER_MAX; s++)
        a.compared[s] = !optarg;
      char list[256];
      snprintf(list, sizeof list, "%s", optarg ? optarg : "");
      for (char *save = NULL, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int s = dlf_tune_strategy_from_name(w);
        if (s < 0 || s >= N_ORDER_MAX) {
          rc = cli_usage_error("tune", "--compare= wants a comma-separated list of strategies "
                                       "(dlfusion, oracle, greedy, none, allcores, vendor, "
                                       "blocks), got '%s'", w);
          goto done;
        }
        a.compared[s] = true;
      }
      break;
    }
    case 'L':
      if (!cli_parse_int(optarg, &a.max_block_layers) || a.max_block_layers < 1 ||
          a.max_block_layers > 64) {
        rc = cli_usage_error("tune", "--max-block-layers wants 1 to 64, got '%s'", optarg);
        goto done;
      }
      break;
    case 'r':
      if (!cli_parse_int(optarg, &a.runs) || a.runs < 1 || a.runs > 1000) {
        rc = cli_usage_error("tune", "--runs wants 1 to 1000, got '%s'", optarg);
        goto done;
      }
      break;
    case 'B': {
      char *end;
      a.budget_s = strtod(optarg, &end);
      if (end == optarg || *end || !(a.budget_s >= 0 && a.budget_s <= 86400)) {
        rc = cli_usage_error("tune", "--budget wants seconds from 0 to 86400, got '%s'", optarg);
        goto done;
      }
      break;
    }
    case 'M':
      if (!strcmp(optarg, "pairs"))
        a.block_model = 1;
      else if (!strcmp(optarg, "fitted"))
        a.block_model = 2;
      else {
        rc = cli_usage_error("tune", "--block-model wants pairs or fitted, got '%s'", optarg);
        goto done;
      }
      break;
    case 'h': usage(stdout); goto done;
    default: rc = cli_option_error("tune", c, argv); goto done;
    }
  }
  if ((rc = cli_one_model("tune", argc, argv)) != EXIT_OK) goto done;
  dlf_load_options lo;
  cli_load_options(&mo, &lo);
  if (dlf_model_load(argv[optind], &lo, &m) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  rc = run(m, argv[optind], &a);
done:
  dlf_model_free(m);
  cli_model_opts_free(&mo);
  return rc;
}
