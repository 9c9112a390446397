/* dlfusion.c — the dlfusion command line: dispatches to subcommands (info, run, export, bench,
 * plan, target, profile, tune, explain, report, dot) and holds the helpers they share. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/rng.h" /* header-only SplitMix64: the same random inputs as the tests */

int cli_fail(void) {
  fprintf(stderr, "dlfusion: %s\n", dlf_last_error());
  return EXIT_RUNTIME;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "dlfusion%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'dlfusion %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
  return EXIT_USAGE;
}

int cli_parse_int(const char *s, long long *out) {
  if (!s || !isdigit((unsigned char)s[0])) return 0;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return 0;
  *out = v;
  return 1;
}

int cli_parse_dims(const char *s, int64_t *dims, int *ndim) {
  int n = 0;
  while (*s) {
    if (n == DLF_MAX_DIMS || !isdigit((unsigned char)*s)) return 0;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || (*end && *end != 'x')) return 0;
    dims[n++] = v;
    s = *end ? end + 1 : end;
    if (*end && !*s) return 0; /* trailing 'x' */
  }
  *ndim = n;
  return n > 0;
}

void cli_split_named(const char *arg, char **name, const char **value) {
  const char *eq = strchr(arg, '=');
  const char *slash = strchr(arg, '/');
  *name = NULL;
  *value = arg;
  if (!eq || eq == arg || (slash && slash < eq)) return;
  size_t n = (size_t)(eq - arg);
  *name = malloc(n + 1);
  if (!*name) return;
  memcpy(*name, arg, n);
  (*name)[n] = '\0';
  *value = eq + 1;
}

const char *cli_human(double v, char *buf, int size) {
  if (v >= 1e9)
    snprintf(buf, (size_t)size, "%.2fG", v / 1e9);
  else if (v >= 1e6)
    snprintf(buf, (size_t)size, "%.1fM", v / 1e6);
  else if (v >= 1e3)
    snprintf(buf, (size_t)size, "%.1fK", v / 1e3);
  else
    snprintf(buf, (size_t)size, "%.0f", v);
  return buf;
}

const char *cli_dims(const int64_t *dims, int ndim, char *buf, int size) {
  int used = 0;
  buf[0] = '\0';
  for (int i = 0; i < ndim && used < size; i++)
    used += snprintf(buf + used, (size_t)(size - used), "%s%lld", i ? "x" : "", (long long)dims[i]);
  if (ndim == 0) snprintf(buf, (size_t)size, "scalar");
  return buf;
}

size_t cli_numel(const dlf_tensor *t) {
  size_t n = 1;
  for (int d = 0; d < t->ndim; d++)
    n *= (size_t)t->dims[d];
  return n;
}

size_t cli_dtype_size(dlf_dtype t) { return t == DLF_INT64 ? 8 : 4; }

double cli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int cli_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void cli_fill_random(const dlf_tensor *t, void *data, uint64_t seed) {
  dlf_rng r = dlf_rng_make(seed);
  size_t n = cli_numel(t);
  if (t->dtype == DLF_INT64)
    memset(data, 0, n * 8);
  else
    for (size_t j = 0; j < n; j++)
      ((float *)data)[j] = dlf_rng_range(&r, -1.0f, 1.0f);
}

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion COMMAND [OPTIONS] ...\n"
             "\n"
             "An auto-tuning layer-fusion compiler and runtime for CNN inference.\n"
             "MODEL is a path to an .onnx file or zoo:NAME for a built-in model.\n"
             "\n"
             "commands:\n"
             "  info MODEL     the layer table: shapes, MACs, parameters, bytes\n"
             "  run MODEL      run the model on .npy inputs (or random ones)\n"
             "  export MODEL   write a zoo model as an ONNX file\n"
             "  bench MODEL    time the model: median/min/p90, per-layer or per-block profile\n"
             "  plan MODEL     write the model's unfused plan (JSON) to edit and pass to --plan\n"
             "  target [FILE]  check and show a target: the host cpu or an accelerator file\n"
             "  profile        time synthesized layers on a target (the cost model's data)\n"
             "  tune MODEL     choose fused blocks and core numbers for a target (a plan)\n"
             "  explain MODEL  why a plan's blocks: features, predictions, fused vs split\n"
             "  report MODEL   one self-contained HTML page: the graph, blocks, timings\n"
             "  dot MODEL      the layer graph (blocks as clusters) for Graphviz\n"
             "\n"
             "options:\n"
             "  --help         this text ('dlfusion COMMAND --help' for a command)\n"
             "  --version      print the version\n"
             "\n"
             "zoo models:");
  for (const char *const *n = dlf_zoo_names(); n && *n; n++)
    fprintf(f, " %s", *n);
  fprintf(f, "\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    usage(stdout);
    return EXIT_OK;
  }
  if (!strcmp(cmd, "--version")) {
    printf("dlfusion %s\n", DLF_VERSION_STRING);
    return EXIT_OK;
  }
  if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
  if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "export")) return cmd_export(argc - 1, argv + 1);
  if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
  if (!strcmp(cmd, "plan")) return cmd_plan(argc - 1, argv + 1);
  if (!strcmp(cmd, "target")) return cmd_target(argc - 1, argv + 1);
  if (!strcmp(cmd, "profile")) return cmd_profile(argc - 1, argv + 1);
  if (!strcmp(cmd, "tune")) return cmd_tune(argc - 1, argv + 1);
  if (!strcmp(cmd, "dot")) return cmd_dot(argc - 1, argv + 1);
  if (!strcmp(cmd, "explain")) return cmd_explain(argc - 1, argv + 1);
  if (!strcmp(cmd, "report")) return cmd_report(argc - 1, argv + 1);
  return cli_usage_error(NULL, "unknown command '%s'", cmd);
}
