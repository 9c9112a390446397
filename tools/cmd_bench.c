/* cmd_bench.c — `dlfusion bench MODEL`: warm-up, N timed runs on seeded random
 * inputs, median / min / p90, throughput and memory; --profile adds per-layer times,
 * --plan runs a plan and adds per-block times. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_RUNS 100000

typedef struct bench_args {
  cli_model_opts mo;
  cli_exec_opts eo;
  long long runs, warmup;
  int profile;
} bench_args;

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion bench MODEL [OPTIONS]\n"
             "\n"
             "Time MODEL (a .onnx path or zoo:NAME) on random inputs: warm-up runs, then N\n"
             "timed runs of the whole model; prints the median, min and p90 in ms, the\n"
             "throughput, the engine, its thread count and the activation memory: the\n"
             "planned arena, the session's arena + scratch, and their ratio to the largest\n"
             "layer's input + output.\n"
             "\n"
             "  --runs N              timed runs (10)\n"
             "  --warmup N            untimed runs before them (1)\n"
             "  --threads N           worker threads (0 = all cores)\n"
             "  --isa ISA             kernel path: generic, avx2 or avx512 (like DLF_ISA;\n"
             "                        never above what the CPU has)\n"
             "  --engine ref|default  executor (default: the fastest available)\n"
             "  --plan FILE           run with this plan and print every block's median time\n"
             "                        (its layers, cores, tile rows) instead of --profile's table\n"
             "  --profile             also time every layer: mean ms, %% of the run, GFLOP/s\n"
             "  --seed N              seed of the random input data (0)\n"
             "  --shape NAME=DIMS     fix an input's shape (any dims of the same rank)\n"
             "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
             "                        (default: $DLF_MAX_TENSOR_BYTES, else 16G)\n"
             "  --no-optimize         run the graph as imported (no passes)\n"
             "  --help                this text\n");
}

static int parse(int argc, char **argv, bench_args *a) {
  static const struct option longopts[] = {
      {"runs", required_argument, NULL, 'r'},
      {"warmup", required_argument, NULL, 'w'},
      {"profile", no_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},
      CLI_MODEL_LONGOPTS,
      CLI_EXEC_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  int c, rc;
  a->runs = 10;
  a->warmup = 1;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("bench", &a->mo, c, optarg)) != CLI_NOT_MINE ||
        (rc = cli_exec_option("bench", &a->eo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) return rc;
      continue;
    }
    switch (c) {
    case 'r':
      if (!cli_parse_int(optarg, &a->runs) || a->runs < 1 || a->runs > MAX_RUNS)
        return cli_usage_error("bench", "--runs wants a number from 1 to %d, got '%s'", MAX_RUNS,
                               optarg);
      break;
    case 'w':
      if (!cli_parse_int(optarg, &a->warmup) || a->warmup > MAX_RUNS)
        return cli_usage_error("bench", "--warmup wants a number from 0 to %d, got '%s'", MAX_RUNS,
                               optarg);
      break;
    case 'p': a->profile = 1; break;
    case 'h': usage(stdout); return -1;
    default: return cli_option_error("bench", c, argv);
    }
  }
  if ((rc = cli_one_model("bench", argc, argv)) != EXIT_OK) return rc;
  return cli_check_plan_opts("bench", &a->mo, &a->eo);
}

/* Nearest-rank percentile of sorted values: the smallest value with at least
 * p percent of the values at or below it. */
static double percentile(const double *sorted, long long n, int p) {
  long long rank = (n * p + 99) / 100;
  return sorted[rank > 0 ? rank - 1 : 0];
}

static double median(const double *sorted, long long n) {
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* The per-layer table: mean time of each layer over the timed runs. */
static int print_profile(const dlf_model *m, const double *layer_sum, long long runs,
                         double run_median) {
  int nl = dlf_model_num_layers(m);
  double total = 0;
  for (int i = 0; i < nl; i++)
    total += layer_sum[i] / (double)runs;
  printf("\nper-layer profile (mean over %lld run%s):\n", runs, runs == 1 ? "" : "s");
  printf("%4s  %-28s %-18s %10s %6s %9s\n", "#", "name", "op", "ms", "%", "GFLOP/s");
  for (int i = 0; i < nl; i++) {
    dlf_layer_info l;
    if (dlf_model_layer(m, i, &l) != DLF_OK) return cli_fail();
    char op[48], gflops[16];
    snprintf(op, sizeof op, "%s%s%s", l.op, l.epilogue && l.epilogue[0] ? "+" : "",
             l.epilogue ? l.epilogue : "");
    double ms = layer_sum[i] / (double)runs;
    if (l.macs > 0 && ms > 0)
      snprintf(gflops, sizeof gflops, "%.2f", 2.0 * (double)l.macs / (ms * 1e6));
    else
      snprintf(gflops, sizeof gflops, "-");
    printf("%4d  %-28.28s %-18.18s %10.4g %6.1f %9s\n", l.index, l.name, op, ms,
           total > 0 ? 100.0 * ms / total : 0.0, gflops);
  }
  printf("sum of layers: %.4g ms (%.1f%% of the median run)\n", total,
         run_median > 0 ? 100.0 * total / run_median : 0.0);
  return EXIT_OK;
}

/* The per-block table of a --plan run: each block's median over the timed runs
 * (block_ms holds runs rows of nb entries). */
static int print_blocks(const dlf_model *m, const dlf_plan *p, const double *block_ms,
                        long long runs, double run_median) {
  int nb = dlf_plan_num_blocks(p);
  double *col = malloc((size_t)runs * sizeof *col), total = 0;
  if (!col) {
    fprintf(stderr, "dlfusion: out of memory\n");
    return EXIT_RUNTIME;
  }
  printf("\nper-block time (median over %lld run%s):\n", runs, runs == 1 ? "" : "s");
  printf("%4s  %-44s %6s %5s %5s %10s %6s\n", "#", "layers (first..last)", "n", "cores", "tile",
         "ms", "%");
  for (int b = 0; b < nb; b++) {
    dlf_block_info bi;
    if (dlf_plan_block(p, b, &bi) != DLF_OK) {
      free(col);
      return cli_fail();
    }
    for (long long r = 0; r < runs; r++)
      col[r] = block_ms[r * nb + b];
    qsort(col, (size_t)runs, sizeof *col, cli_cmp_double);
    double ms = median(col, runs);
    total += ms;
    char names[128], tile[16];
    if (bi.tile_rows > 0)
      snprintf(tile, sizeof tile, "%d", bi.tile_rows);
    else
      snprintf(tile, sizeof tile, "auto");
    printf("%4d  %-44.44s %6d %5d %5s %10.4g %6.1f\n", b,
           cli_block_layers(m, &bi, names, sizeof names), bi.num_layers, bi.cores, tile, ms,
           run_median > 0 ? 100.0 * ms / run_median : 0.0);
  }
  printf("sum of block medians: %.4g ms (%.1f%% of the median run)\n", total,
         run_median > 0 ? 100.0 * total / run_median : 0.0);
  free(col);
  return EXIT_OK;
}

static int bench(const bench_args *a, const char *spec) {
  int rc = EXIT_RUNTIME, nb = 0;
  dlf_load_options lo;
  cli_load_options(&a->mo, &lo);
  dlf_model *m = NULL;
  dlf_session *s = NULL;
  const dlf_plan *plan = NULL; /* the session's, with --plan */
  cli_io io = {0};
  double *times = NULL, *layer_ms = NULL, *layer_sum = NULL, *block_ms = NULL;
  if (dlf_model_load(spec, &lo, &m) != DLF_OK) goto fail;
  int nl = dlf_model_num_layers(m);
  if ((rc = cli_io_alloc(m, NULL, (uint64_t)a->eo.seed, &io)) != EXIT_OK) goto out;
  if ((rc = cli_session_open(m, &a->mo, &a->eo, &s)) != EXIT_OK) goto out;
  rc = EXIT_RUNTIME;
  if (a->mo.plan_path) {
    plan = dlf_session_plan(s);
    nb = plan ? dlf_plan_num_blocks(plan) : 0;
  }
  times = calloc((size_t)a->runs, sizeof *times);
  layer_ms = calloc((size_t)nl + 1, sizeof *layer_ms);
  layer_sum = calloc((size_t)nl + 1, sizeof *layer_sum);
  block_ms = calloc((size_t)a->runs * (size_t)nb + 1, sizeof *block_ms);
  if (!times || !layer_ms || !layer_sum || !block_ms) {
    fprintf(stderr, "dlfusion: out of memory\n");
    goto out;
  }
  const void *const *in = (const void *const *)io.in;
  for (long long r = 0; r < a->warmup; r++)
    if (dlf_session_run(s, in, io.out) != DLF_OK) goto fail;
  /* With --profile (or --plan) every timed run is a profiled one: the clock reads
   * cost well under a microsecond per layer or block. */
  for (long long r = 0; r < a->runs; r++) {
    double t0 = cli_now_ms();
    dlf_status st = plan         ? dlf_session_run_blocks(s, in, io.out, block_ms + r * nb)
                    : a->profile ? dlf_session_run_profiled(s, in, io.out, layer_ms)
                                 : dlf_session_run(s, in, io.out);
    times[r] = cli_now_ms() - t0;
    if (st != DLF_OK) goto fail;
    for (int i = 0; !plan && a->profile && i < nl; i++)
      layer_sum[i] += layer_ms[i];
  }
  qsort(times, (size_t)a->runs, sizeof *times, cli_cmp_double);
  dlf_model_summary sum;
  dlf_session_memory mem;
  if (dlf_model_summarize(m, &sum) != DLF_OK) goto fail;
  if (dlf_session_memory_usage(s, &mem) != DLF_OK) goto fail;
  const char *engine = dlf_session_engine_name(s);
  int ref = !strcmp(engine, "reference");
  double med = median(times, a->runs);
  printf("model: %s\n", spec);
  printf("engine: %s%s, threads: %d%s\n", engine, ref ? " (naive loops, not the fast runtime)" : "",
         cli_session_threads(m, s, a->eo.threads),
         ref ? " (the reference engine runs on one)" : "");
  if (plan) printf("plan: %s (%d blocks)\n", a->mo.plan_path, nb);
  printf("peak activations: %.2f MB (%lld B) in the planned arena; %.2f MB without reuse\n",
         (double)sum.act_peak_bytes / 1e6, (long long)sum.act_peak_bytes,
         (double)sum.act_total_bytes / 1e6);
  if (!ref) { /* the reference executor holds one buffer per tensor: no arena to report */
    printf("session memory: arena %lld B + scratch %lld B = %.2f MB of activations; packed "
           "weights %.2f MB\n",
           (long long)mem.arena_bytes, (long long)mem.scratch_bytes,
           (double)(mem.arena_bytes + mem.scratch_bytes) / 1e6, (double)mem.weight_bytes / 1e6);
    if ((rc = cli_print_memory_line(m, mem.arena_bytes + mem.scratch_bytes)) != EXIT_OK) goto out;
    rc = EXIT_RUNTIME;
  }
  printf("runs: %lld timed after %lld warm-up\n", a->runs, a->warmup);
  printf("median %.4g ms  min %.4g ms  p90 %.4g ms\n", med, times[0],
         percentile(times, a->runs, 90));
  printf("throughput: %.2f runs/s, %.2f GFLOP/s (%.2f GMACs per run)\n", med > 0 ? 1e3 / med : 0.0,
         med > 0 ? 2.0 * (double)sum.macs / (med * 1e6) : 0.0, (double)sum.macs / 1e9);
  if (plan)
    rc = print_blocks(m, plan, block_ms, a->runs, med);
  else
    rc = a->profile ? print_profile(m, layer_sum, a->runs, med) : EXIT_OK;
  goto out;
fail:
  rc = cli_fail();
out:
  cli_io_free(&io);
  free(times);
  free(layer_ms);
  free(layer_sum);
  free(block_ms);
  dlf_session_free(s);
  dlf_model_free(m);
  return rc;
}

int cmd_bench(int argc, char **argv) {
  bench_args a;
  memset(&a, 0, sizeof a);
  int rc = parse(argc, argv, &a);
  if (rc == EXIT_OK) rc = bench(&a, argv[optind]);
  cli_model_opts_free(&a.mo);
  return rc < 0 ? EXIT_OK : rc;
}
