/* cmd_bench.c — `dlfusion bench MODEL`: warm-up, N timed runs on seeded random
 * inputs, median / min / p90 and throughput; --profile adds per-layer times. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_RUNS 100000

typedef struct bench_args {
  cli_model_opts mo;
  long long runs, warmup, threads, seed;
  dlf_engine engine;
  int profile;
} bench_args;

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion bench MODEL [OPTIONS]\n"
             "\n"
             "Time MODEL (a .onnx path or zoo:NAME) on random inputs: warm-up runs, then N\n"
             "timed runs of the whole model; prints the median, min and p90 in ms, the\n"
             "throughput, the engine and the planned peak activation memory.\n"
             "\n"
             "  --runs N              timed runs (10)\n"
             "  --warmup N            untimed runs before them (1)\n"
             "  --threads N           worker threads (0 = all cores)\n"
             "  --engine ref|default  executor (default: the fastest available)\n"
             "  --profile             also time every layer: mean ms, %% of the run, GFLOP/s\n"
             "  --seed N              seed of the random input data (0)\n"
             "  --shape NAME=DIMS     fix an input's shape (any dims of the same rank)\n"
             "  --no-optimize         run the graph as imported (no passes)\n"
             "  --help                this text\n");
}

static int parse(int argc, char **argv, bench_args *a) {
  static const struct option longopts[] = {
      {"runs", required_argument, NULL, 'r'},    {"warmup", required_argument, NULL, 'w'},
      {"threads", required_argument, NULL, 't'}, {"engine", required_argument, NULL, 'e'},
      {"profile", no_argument, NULL, 'p'},       {"seed", required_argument, NULL, 'S'},
      {"shape", required_argument, NULL, 's'},   {"no-optimize", no_argument, NULL, 'O'},
      {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
  };
  int c, rc;
  a->runs = 10;
  a->warmup = 1;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
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
    case 't':
      if (!cli_parse_int(optarg, &a->threads) || a->threads > 4096)
        return cli_usage_error("bench", "--threads wants a number (0 = all cores)");
      break;
    case 'e':
      if (!strcmp(optarg, "ref") || !strcmp(optarg, "reference"))
        a->engine = DLF_ENGINE_REFERENCE;
      else if (!strcmp(optarg, "default"))
        a->engine = DLF_ENGINE_DEFAULT;
      else
        return cli_usage_error("bench", "--engine wants ref or default, got '%s'", optarg);
      break;
    case 'p': a->profile = 1; break;
    case 'S':
      if (!cli_parse_int(optarg, &a->seed))
        return cli_usage_error("bench", "--seed wants a number");
      break;
    case 's':
      if ((rc = cli_add_shape("bench", &a->mo, optarg)) != EXIT_OK) return rc;
      break;
    case 'O': a->mo.no_optimize = 1; break;
    case 'h': usage(stdout); return -1;
    case ':': return cli_usage_error("bench", "option '%s' needs an argument", argv[optind - 1]);
    default: return cli_usage_error("bench", "unrecognized option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) return cli_usage_error("bench", "missing MODEL (a .onnx path or zoo:NAME)");
  if (optind + 1 < argc)
    return cli_usage_error("bench", "unexpected argument '%s'", argv[optind + 1]);
  return EXIT_OK;
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

static int bench(const bench_args *a, const char *spec) {
  int rc = EXIT_RUNTIME, ni = 0, no = 0;
  dlf_load_options lo = {0};
  lo.no_optimize = a->mo.no_optimize;
  lo.bindings = a->mo.shapes;
  lo.num_bindings = a->mo.n_shapes;
  dlf_model *m = NULL;
  dlf_session *s = NULL;
  void **in_data = NULL, **out_data = NULL;
  double *times = NULL, *layer_ms = NULL, *layer_sum = NULL;
  if (dlf_model_load(spec, &lo, &m) != DLF_OK) goto fail;
  ni = dlf_model_num_inputs(m);
  no = dlf_model_num_outputs(m);
  int nl = dlf_model_num_layers(m);
  in_data = calloc((size_t)ni + 1, sizeof *in_data);
  out_data = calloc((size_t)no + 1, sizeof *out_data);
  times = calloc((size_t)a->runs, sizeof *times);
  layer_ms = calloc((size_t)nl + 1, sizeof *layer_ms);
  layer_sum = calloc((size_t)nl + 1, sizeof *layer_sum);
  if (!in_data || !out_data || !times || !layer_ms || !layer_sum) {
    fprintf(stderr, "dlfusion: out of memory\n");
    goto out;
  }
  for (int i = 0; i < ni + no; i++) {
    dlf_tensor t;
    if ((i < ni ? dlf_model_input(m, i, &t) : dlf_model_output(m, i - ni, &t)) != DLF_OK) goto fail;
    void *p = malloc(cli_numel(&t) * cli_dtype_size(t.dtype) + 1);
    if (!p) {
      fprintf(stderr, "dlfusion: out of memory for %s '%s'\n", i < ni ? "input" : "output", t.name);
      goto out;
    }
    if (i < ni) {
      in_data[i] = p;
      cli_fill_random(&t, p, (uint64_t)a->seed + (uint64_t)i); /* as `dlfusion run` does */
    } else {
      out_data[i - ni] = p;
    }
  }
  dlf_session_options so = {a->engine, (int)a->threads};
  if (dlf_session_create(m, &so, &s) != DLF_OK) goto fail;
  const void *const *in = (const void *const *)in_data;
  for (long long r = 0; r < a->warmup; r++)
    if (dlf_session_run(s, in, out_data) != DLF_OK) goto fail;
  /* With --profile every timed run is a profiled one: the per-layer clock
   * reads cost well under a microsecond per layer. */
  for (long long r = 0; r < a->runs; r++) {
    double t0 = cli_now_ms();
    dlf_status st = a->profile ? dlf_session_run_profiled(s, in, out_data, layer_ms)
                               : dlf_session_run(s, in, out_data);
    times[r] = cli_now_ms() - t0;
    if (st != DLF_OK) goto fail;
    for (int i = 0; a->profile && i < nl; i++)
      layer_sum[i] += layer_ms[i];
  }
  qsort(times, (size_t)a->runs, sizeof *times, cli_cmp_double);
  dlf_model_summary sum;
  if (dlf_model_summarize(m, &sum) != DLF_OK) goto fail;
  const char *engine = dlf_session_engine_name(s);
  double med = median(times, a->runs);
  printf("model: %s\n", spec);
  printf("engine: %s%s, threads: %lld%s\n", engine,
         !strcmp(engine, "reference") ? " (naive loops, not the fast runtime)" : "", a->threads,
         !strcmp(engine, "reference") ? " (the reference engine runs on one)" : "");
  printf("peak activations: %.2f MB (%lld B) in the planned arena; %.2f MB without reuse\n",
         (double)sum.act_peak_bytes / 1e6, (long long)sum.act_peak_bytes,
         (double)sum.act_total_bytes / 1e6);
  printf("runs: %lld timed after %lld warm-up\n", a->runs, a->warmup);
  printf("median %.4g ms  min %.4g ms  p90 %.4g ms\n", med, times[0],
         percentile(times, a->runs, 90));
  printf("throughput: %.2f runs/s, %.2f GFLOP/s (%.2f GMACs per run)\n", med > 0 ? 1e3 / med : 0.0,
         med > 0 ? 2.0 * (double)sum.macs / (med * 1e6) : 0.0, (double)sum.macs / 1e9);
  rc = a->profile ? print_profile(m, layer_sum, a->runs, med) : EXIT_OK;
  goto out;
fail:
  rc = cli_fail();
out:
  for (int i = 0; in_data && i < ni; i++)
    free(in_data[i]);
  for (int i = 0; out_data && i < no; i++)
    free(out_data[i]);
  free(in_data);
  free(out_data);
  free(times);
  free(layer_ms);
  free(layer_sum);
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
