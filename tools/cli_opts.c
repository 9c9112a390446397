/* cli_opts.c — the options several subcommands share (--shape, --no-optimize, --plan,
 * --max-tensor-bytes, --threads, --engine, --seed, --isa) and the checks every getopt loop
 * ends with. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_add_shape(const char *cmd, cli_model_opts *o, const char *arg) {
  char *name;
  const char *dims;
  cli_split_named(arg, &name, &dims);
  if (!name)
    return cli_usage_error(cmd, "--shape wants NAME=DIMS (e.g. input=1x3x224x224), got '%s'", arg);
  if (o->n_shapes == (int)(sizeof o->shapes / sizeof o->shapes[0])) {
    free(name);
    return cli_usage_error(cmd, "too many --shape options");
  }
  dlf_tensor *t = &o->shapes[o->n_shapes];
  memset(t, 0, sizeof *t);
  if (!cli_parse_dims(dims, t->dims, &t->ndim)) {
    free(name);
    return cli_usage_error(cmd, "--shape %s: dims must look like 1x3x224x224", arg);
  }
  t->name = name;
  t->dtype = DLF_FLOAT32;
  o->shape_names[o->n_shapes++] = name;
  return EXIT_OK;
}

void cli_model_opts_free(cli_model_opts *o) {
  for (int i = 0; i < o->n_shapes; i++)
    free(o->shape_names[i]);
  o->n_shapes = 0;
}

/* "N", "NK", "NM", "NG", "NT" (binary multiples), 1 byte to 1 TiB (the library's range). */
static int parse_bytes(const char *s, int64_t *out) {
  long long v;
  const char *units = "KMGT";
  size_t n = strlen(s);
  int shift = 0;
  char digits[32];
  if (n == 0 || n >= sizeof digits) return 0;
  memcpy(digits, s, n + 1);
  const char *u = strchr(units, toupper((unsigned char)digits[n - 1]));
  if (u && *u) {
    shift = 10 * (int)(u - units + 1);
    digits[n - 1] = '\0';
  }
  if (!cli_parse_int(digits, &v) || v < 1 || v > (1LL << 40) >> shift) return 0;
  *out = (int64_t)v << shift;
  return 1;
}

int cli_model_option(const char *cmd, cli_model_opts *o, int c, const char *arg) {
  switch (c) {
  case CLI_OPT_MAX_TENSOR_BYTES:
    if (!parse_bytes(arg, &o->max_tensor_bytes))
      return cli_usage_error(cmd,
                             "--max-tensor-bytes wants a byte count from 1 to 1T: a number with "
                             "an optional K, M, G or T suffix (e.g. 4G), got '%s'",
                             arg);
    return EXIT_OK;
  case CLI_OPT_NO_OPTIMIZE: o->no_optimize = 1; return EXIT_OK;
  case CLI_OPT_SHAPE: return cli_add_shape(cmd, o, arg);
  case CLI_OPT_PLAN:
    if (!arg[0]) return cli_usage_error(cmd, "--plan wants a plan file (JSON)");
    o->plan_path = arg;
    return EXIT_OK;
  default: return CLI_NOT_MINE;
  }
}

/* 4096: far above any core count, low enough that a typo is not taken for a request. */
#define MAX_THREADS 4096

int cli_exec_option(const char *cmd, cli_exec_opts *o, int c, const char *arg) {
  switch (c) {
  case CLI_OPT_THREADS:
    if (!cli_parse_int(arg, &o->threads) || o->threads > MAX_THREADS)
      return cli_usage_error(cmd, "--threads wants a number from 0 (all cores) to %d, got '%s'",
                             MAX_THREADS, arg);
    return EXIT_OK;
  case CLI_OPT_ENGINE:
    if (!strcmp(arg, "ref") || !strcmp(arg, "reference"))
      o->engine = DLF_ENGINE_REFERENCE;
    else if (!strcmp(arg, "default"))
      o->engine = DLF_ENGINE_DEFAULT;
    else
      return cli_usage_error(cmd, "--engine wants ref or default, got '%s'", arg);
    return EXIT_OK;
  case CLI_OPT_SEED:
    if (!cli_parse_int(arg, &o->seed)) return cli_usage_error(cmd, "--seed wants a number");
    return EXIT_OK;
  case CLI_OPT_ISA:
    if (strcmp(arg, "generic") && strcmp(arg, "avx2") && strcmp(arg, "avx512"))
      return cli_usage_error(cmd, "--isa wants generic, avx2 or avx512, got '%s'", arg);
    o->isa = arg; /* dlf_session_options.isa */
    return EXIT_OK;
  default: return CLI_NOT_MINE;
  }
}

int cli_output_arg(const char *cmd, const char *arg, const char **path) {
  if (!arg[0]) return cli_usage_error(cmd, "-o wants a file name");
  *path = arg;
  return EXIT_OK;
}

int cli_option_error(const char *cmd, int c, char **argv) {
  if (c == ':') return cli_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
  return cli_usage_error(cmd, "unrecognized option '%s'", argv[optind - 1]);
}

int cli_one_model(const char *cmd, int argc, char **argv) {
  if (optind >= argc) return cli_usage_error(cmd, "missing MODEL (a .onnx path or zoo:NAME)");
  if (optind + 1 < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
  return EXIT_OK;
}

int cli_check_plan_opts(const char *cmd, const cli_model_opts *mo, const cli_exec_opts *eo) {
  if (mo->plan_path && eo->engine == DLF_ENGINE_REFERENCE)
    return cli_usage_error(cmd, "--plan needs the default engine (the reference engine runs "
                                "layer by layer)");
  return EXIT_OK;
}

void cli_load_options(const cli_model_opts *o, dlf_load_options *lo) {
  memset(lo, 0, sizeof *lo);
  lo->no_optimize = o->no_optimize;
  lo->max_tensor_bytes = o->max_tensor_bytes;
  lo->bindings = o->shapes;
  lo->num_bindings = o->n_shapes;
}
