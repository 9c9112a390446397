/* cmd_explain.c — `dlfusion explain MODEL --plan P`: per block of a plan, its features, its cost
 * at every allowed core number, fused against split at each boundary and against merging with
 * the next block, and which of those numbers decided it: dlf_plan_explain's numbers (the ones
 * the plan's tuner record keeps), as text or, with --json, for tools. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion explain MODEL --plan FILE [--target cpu|FILE] [--profile FILE]\n"
             "                       [--block N] [--json] [--shape NAME=DIMS]... [--no-optimize]\n"
             "\n"
             "Say why each block of a plan is what it is: its features (layers, operations,\n"
             "channels, bytes in/out/weights, halo recompute on a cpu), its predicted time at\n"
             "every allowed core number, the best split at each boundary inside it and the\n"
             "merge with the next block, and which of these decided it. The numbers are the\n"
             "tuner's own (the cost model fitted on the profile, or the accelerator simulator),\n"
             "the ones the plan's \"tuner\" record keeps.\n"
             "\n"
             "  --plan FILE        the plan (dlfusion tune -o FILE); required\n"
             "  --target cpu|FILE  the target the plan is for (default: cpu)\n"
             "  --profile FILE     the profile the plan was tuned with; needed on a cpu; an\n"
             "                     accelerator is profiled now when the plan was tuned by the\n"
             "                     cost model, else its blocks are priced by the simulator\n"
             "  --block N          only block N\n"
             "  --json             JSON instead of text\n"
             "  --shape NAME=DIMS  fix an input's shape, e.g. --shape input=2x3x224x224\n"
             "  --no-optimize      the graph as imported (no passes)\n"
             "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
             "  --help             this text\n");
}

/* %.6g, the tuner record's format, or null for what cannot be said (< 0 or not finite). */
static void jnum(double v) {
  if (v >= 0 && isfinite(v))
    printf("%.6g", v);
  else
    printf("null");
}

static void jstr(const char *s) {
  putchar('"');
  for (; s && *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", *s);
    else
      putchar(*s);
  }
  putchar('"');
}

/* The least of at_cores_us and where (index), -1 when none. */
static int best_core(const dlf_block_explanation *x) {
  int best = -1;
  for (int c = 0; c < x->n_core_numbers; c++)
    if (x->at_cores_us[c] >= 0 && (best < 0 || x->at_cores_us[c] < x->at_cores_us[best])) best = c;
  return best;
}

/* The cheapest split inside the block (index into split_us), -1 when none. */
static int best_split(const dlf_block_explanation *x) {
  int best = -1;
  for (int j = 0; j < x->n_splits; j++)
    if (x->split_us[j] >= 0 && (best < 0 || x->split_us[j] < x->split_us[best])) best = j;
  return best;
}

/* One sentence per decision: the core number, fused against split, merged with the next. */
static void decision(const dlf_model *m, const dlf_block_explanation *x, const char *cost,
                     char *buf, size_t size) {
  size_t n = 0;
  const int bc = best_core(x);
  if (bc >= 0 && x->core_numbers[bc] == x->cores)
    n += (size_t)snprintf(buf + n, size - n, "%d cores: the least %s time (%.1f us)", x->cores,
                          cost, x->cost_us);
  else if (bc >= 0)
    n += (size_t)snprintf(buf + n, size - n,
                          "%d cores: %.1f us; by the %s %d cores would be %.1f us (the plan was "
                          "decided by another cost)",
                          x->cores, x->cost_us, cost, x->core_numbers[bc], x->at_cores_us[bc]);
  const int bs = best_split(x);
  if (n < size && bs >= 0) {
    dlf_layer_info li;
    const char *name = dlf_model_layer(m, x->first_layer + 1 + bs, &li) == DLF_OK ? li.name : "?";
    n += (size_t)snprintf(
        buf + n, size - n, "; fused %.1f us %s the best split (before '%s') %.1f us", x->cost_us,
        x->cost_us <= x->split_us[bs] ? "beats" : "loses to", name, x->split_us[bs]);
  }
  if (n < size && x->merge_next_us >= 0)
    n +=
        (size_t)snprintf(buf + n, size - n, "; merged with the next block %.1f us vs apart %.1f us",
                         x->merge_next_us, x->apart_next_us);
  else if (n < size && x->apart_next_us >= 0)
    n += (size_t)snprintf(buf + n, size - n,
                          "; the next block may not join it (a layer that is not row-local, or "
                          "past the search's block-length cap)");
}

typedef struct explain_args {
  const char *target, *profile;
  long long block; /* -1: all */
  bool json;
} explain_args;

static int run(const dlf_model *m, const char *spec, const cli_model_opts *mo,
               const explain_args *a) {
  dlf_target *t = NULL;
  dlf_profile *prof = NULL;
  dlf_plan *p = NULL;
  dlf_explanation *e = NULL;
  dlf_session *s = NULL;
  int rc = EXIT_OK;
  const bool host = !a->target || !strcmp(a->target, "cpu");
  if ((rc = cli_plan_load(m, mo->plan_path, &p)) != EXIT_OK) goto done;
  if ((host ? dlf_target_host(0, &t) : dlf_target_load(a->target, &t)) != DLF_OK) goto fail;
  dlf_target_info ti;
  if (dlf_target_get_info(t, &ti) != DLF_OK) goto fail;
  dlf_tuner_info tu;
  const bool recorded = dlf_plan_tuner(p, &tu) == DLF_OK;
  if (a->profile) {
    if (dlf_profile_load(a->profile, &prof) != DLF_OK) goto fail;
  } else if (!host && recorded && !strcmp(tu.cost, "model")) {
    /* simulated: instant and deterministic, the profile `tune` made when given none */
    if (dlf_profile_run(t, 0, &prof) != DLF_OK) goto fail;
  }
  if (dlf_plan_explain(m, t, prof, p, &e) != DLF_OK) goto fail;
  const int nb = dlf_explanation_num_blocks(e);
  if (a->block >= nb) {
    fprintf(stderr, "dlfusion explain: --block %lld: the plan has %d blocks\n", a->block, nb);
    rc = EXIT_USAGE;
    goto done;
  }
  /* halo recomputation is a property of the cpu engine's tile schedule */
  if (host) {
    int threads = 1;
    for (int b = 0; b < nb; b++) {
      dlf_block_info bi;
      if (dlf_plan_block(p, b, &bi) == DLF_OK && bi.cores > threads) threads = bi.cores;
    }
    dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = threads, .plan = p};
    if (dlf_session_create(m, &so, &s) != DLF_OK) goto fail;
  }
  const char *cost = dlf_explanation_cost(e);
  const char *cost_words = !strcmp(cost, "model") ? "cost model" : "simulator";
  if (a->json) {
    printf("{\"model\": ");
    jstr(spec);
    printf(", \"target\": ");
    jstr(ti.name);
    printf(", \"cost\": ");
    jstr(cost);
    printf(", \"strategy\": ");
    if (recorded)
      jstr(tu.strategy);
    else
      printf("null");
    printf(", \"blocks\": [");
  } else {
    printf("model: %s\ntarget: %s (%s)\nplan: %s, %d blocks%s%s\ncosts: by the %s%s\n", spec,
           ti.name, ti.kind, mo->plan_path, nb, recorded ? ", tuned by " : "",
           recorded ? tu.strategy : "", cost_words,
           !strcmp(cost, "model") ? " fitted on the target's profile (interpolated between "
                                    "its synthesized layers by operations and channels)"
                                  : " of the accelerator (docs/targets.md)");
  }
  bool first = true;
  for (int b = 0; b < nb; b++) {
    if (a->block >= 0 && b != a->block) continue;
    dlf_block_explanation x;
    dlf_block_info bi;
    dlf_layer_info lf, ll;
    if (dlf_explanation_block(e, b, &x) != DLF_OK || dlf_plan_block(p, b, &bi) != DLF_OK ||
        dlf_model_layer(m, x.first_layer, &lf) != DLF_OK ||
        dlf_model_layer(m, x.last_layer, &ll) != DLF_OK)
      goto fail;
    double recompute = -1;
    dlf_block_stats bs;
    if (s && dlf_session_block_stats(s, b, &bs) == DLF_OK) recompute = bs.recompute;
    char why[768];
    decision(m, &x, cost_words, why, sizeof why);
    if (a->json) {
      printf("%s\n  {\"block\": %d, \"first_layer\": %d, \"last_layer\": %d, \"first\": ",
             first ? "" : ",", b, x.first_layer, x.last_layer);
      jstr(lf.name);
      printf(", \"last\": ");
      jstr(ll.name);
      printf(", \"cores\": %d, \"tile_rows\": %d, \"features\": {\"layers\": %d, \"macs\": %lld, "
             "\"in_channels\": %lld, \"out_channels\": %lld, \"in_bytes\": %lld, \"out_bytes\": "
             "%lld, \"weight_bytes\": %lld, \"recompute\": ",
             x.cores, bi.tile_rows, bi.num_layers, (long long)x.macs, (long long)x.in_channels,
             (long long)x.out_channels, (long long)x.in_bytes, (long long)x.out_bytes,
             (long long)x.weight_bytes);
      jnum(recompute);
      printf("}, \"cost_us\": ");
      jnum(x.cost_us);
      printf(", \"core_numbers\": [");
      for (int c = 0; c < x.n_core_numbers; c++)
        printf("%s%d", c ? ", " : "", x.core_numbers[c]);
      printf("], \"at_cores_us\": [");
      for (int c = 0; c < x.n_core_numbers; c++) {
        printf("%s", c ? ", " : "");
        jnum(x.at_cores_us[c]);
      }
      printf("], \"splits\": [");
      for (int j = 0; j < x.n_splits; j++) {
        printf("%s{\"before_layer\": %d, \"us\": ", j ? ", " : "", x.first_layer + 1 + j);
        jnum(x.split_us[j]);
        printf("}");
      }
      printf("], \"merge_next_us\": ");
      jnum(x.merge_next_us);
      printf(", \"apart_next_us\": ");
      jnum(x.apart_next_us);
      printf(", \"simulated_us\": ");
      jnum(x.simulated_us);
      printf(", \"recorded_us\": ");
      jnum(x.recorded_us);
      printf(", \"decision\": ");
      jstr(why);
      printf("}");
    } else {
      char h1[16], h2[16], h3[16], h4[16];
      char tile[32] = "auto";
      if (bi.tile_rows > 0) snprintf(tile, sizeof tile, "%d rows", bi.tile_rows);
      printf("\nblock %d: layers %d..%d (%s .. %s), %d cores, tile %s\n", b, x.first_layer,
             x.last_layer, lf.name, ll.name, x.cores, tile);
      printf("  features: %d layers, %s MACs, channels %lld -> %lld, bytes in %s out %s "
             "weights %s",
             bi.num_layers, cli_human((double)x.macs, h1, sizeof h1), (long long)x.in_channels,
             (long long)x.out_channels, cli_human((double)x.in_bytes, h2, sizeof h2),
             cli_human((double)x.out_bytes, h3, sizeof h3),
             cli_human((double)x.weight_bytes, h4, sizeof h4));
      if (recompute >= 0) printf(", recompute %.3f", recompute);
      printf("\n  %s us by core number:", cost_words);
      for (int c = 0; c < x.n_core_numbers; c++) {
        if (x.at_cores_us[c] >= 0)
          printf(" %d:%.1f%s", x.core_numbers[c], x.at_cores_us[c],
                 x.core_numbers[c] == x.cores ? "*" : "");
        else
          printf(" %d:-", x.core_numbers[c]);
      }
      printf("\n");
      if (x.n_splits > 0) {
        printf("  split before layer (us, best cores each):");
        for (int j = 0; j < x.n_splits; j++)
          x.split_us[j] >= 0 ? printf(" %d:%.1f", x.first_layer + 1 + j, x.split_us[j])
                             : printf(" %d:-", x.first_layer + 1 + j);
        printf("\n");
      }
      if (x.simulated_us >= 0) printf("  simulated: %.1f us\n", x.simulated_us);
      if (x.recorded_us >= 0) printf("  tuner record: %.1f us\n", x.recorded_us);
      printf("  decided by: %s\n", why);
    }
    first = false;
  }
  if (a->json) printf("\n]}\n");
  goto done;
fail:
  rc = cli_fail();
done:
  dlf_session_free(s);
  dlf_explanation_free(e);
  dlf_plan_free(p);
  dlf_profile_free(prof);
  dlf_target_free(t);
  return rc;
}

int cmd_explain(int argc, char **argv) {
  static const struct option longopts[] = {
      {"target", required_argument, NULL, 't'},
      {"profile", required_argument, NULL, 'p'},
      {"block", required_argument, NULL, 'b'},
      {"json", no_argument, NULL, 'j'},
      CLI_MODEL_LONGOPTS,
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  explain_args a = {NULL, NULL, -1, false};
  dlf_model *m = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("explain", &mo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) goto done;
      continue;
    }
    rc = EXIT_OK;
    switch (c) {
    case 't': a.target = optarg; break;
    case 'p': a.profile = optarg; break;
    case 'b':
      if (!cli_parse_int(optarg, &a.block) || a.block > 1000000) {
        rc = cli_usage_error("explain", "--block wants a block number, got '%s'", optarg);
        goto done;
      }
      break;
    case 'j': a.json = true; break;
    case 'h': usage(stdout); goto done;
    default: rc = cli_option_error("explain", c, argv); goto done;
    }
  }
  if ((rc = cli_one_model("explain", argc, argv)) != EXIT_OK) goto done;
  if (!mo.plan_path) {
    rc = cli_usage_error("explain", "--plan FILE is required (the plan to explain)");
    goto done;
  }
  dlf_load_options lo;
  cli_load_options(&mo, &lo);
  if (dlf_model_load(argv[optind], &lo, &m) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  rc = run(m, argv[optind], &mo, &a);
done:
  dlf_model_free(m);
  cli_model_opts_free(&mo);
  return rc;
}
