/* cmd_run.c — `dlfusion run MODEL`: run a model on .npy inputs (or
 * deterministic random ones), print the outputs' top-5 and the run time,
 * optionally write the outputs as .npy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_FILES 64
#define TOP_K 5
#define MAX_ROWS 4 /* rows (batch items) of an output whose top-5 is printed */

typedef struct named_file {
  char *name; /* NULL: positional */
  const char *path;
  dlf_tensor t; /* inputs: the loaded file */
  int index;    /* outputs: the model output it names */
} named_file;

typedef struct run_args {
  cli_model_opts mo;
  cli_exec_opts eo;
  named_file in[MAX_FILES], out[MAX_FILES];
  int n_in, n_out;
  long long repeat;
} run_args;

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion run MODEL [OPTIONS]\n"
             "\n"
             "Run MODEL (a .onnx path or zoo:NAME) once or more and print each output's\n"
             "shape, the top-5 (index:value) of up to 4 rows, and the median run time.\n"
             "\n"
             "  --input [NAME=]FILE.npy   an input, by name or else by position; int64 files\n"
             "                            become constants (shape inputs of ONNX models)\n"
             "  --output [NAME=]FILE.npy  write an output, by name or else by position\n"
             "  --seed N                  seed of the random data of inputs not given (0)\n"
             "  --engine ref|default      executor (default: the fastest available)\n"
             "  --threads N               worker threads (0 = all cores)\n"
             "  --isa ISA                 kernel path: generic, avx2 or avx512 (like DLF_ISA;\n"
             "                            never above what the CPU has)\n"
             "  --plan FILE               run with this plan (fused blocks, cores, tiles;\n"
             "                            'dlfusion plan MODEL' writes one to start from)\n"
             "  --repeat N                runs to time; the median is printed (1)\n"
             "  --no-optimize             run the graph as imported (no passes)\n"
             "  --shape NAME=DIMS         fix an input's shape (any dims of the same rank)\n"
             "  --max-tensor-bytes N[K|M|G]  largest tensor a model or input file may declare\n"
             "                            (default: $DLF_MAX_TENSOR_BYTES, else 16G)\n"
             "  --help                    this text\n");
}

static int add_file(named_file *list, int *n, const char *arg, const char *what) {
  if (*n == MAX_FILES) return cli_usage_error("run", "too many %s files", what);
  /* "=x.npy" or "=": an empty name, not a file whose name starts with '=' (that one is
   * ./=x.npy) */
  if (arg[0] == '=')
    return cli_usage_error("run", "--%s '%s': the name before '=' is empty (NAME=FILE or FILE)",
                           what, arg);
  named_file *f = &list[(*n)++];
  memset(f, 0, sizeof *f);
  cli_split_named(arg, &f->name, &f->path);
  if (!f->path[0]) return cli_usage_error("run", "--%s '%s' names no file", what, arg);
  return EXIT_OK;
}

static void free_args(run_args *a) {
  for (int i = 0; i < a->n_in; i++) {
    free(a->in[i].name);
    dlf_tensor_release(&a->in[i].t);
  }
  for (int i = 0; i < a->n_out; i++)
    free(a->out[i].name);
  cli_model_opts_free(&a->mo);
}

static int parse(int argc, char **argv, run_args *a) {
  static const struct option longopts[] = {
      {"input", required_argument, NULL, 'i'},
      {"output", required_argument, NULL, 'o'},
      {"repeat", required_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      CLI_MODEL_LONGOPTS,
      CLI_EXEC_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  int c, rc;
  a->repeat = 1;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("run", &a->mo, c, optarg)) != CLI_NOT_MINE ||
        (rc = cli_exec_option("run", &a->eo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) return rc;
      continue;
    }
    switch (c) {
    case 'i':
      if ((rc = add_file(a->in, &a->n_in, optarg, "input")) != EXIT_OK) return rc;
      break;
    case 'o':
      if ((rc = add_file(a->out, &a->n_out, optarg, "output")) != EXIT_OK) return rc;
      break;
    case 'r':
      if (!cli_parse_int(optarg, &a->repeat) || a->repeat < 1 || a->repeat > 1000000)
        return cli_usage_error("run", "--repeat wants a positive number");
      break;
    case 'h': usage(stdout); return -1;
    default: return cli_option_error("run", c, argv);
    }
  }
  if ((rc = cli_one_model("run", argc, argv)) != EXIT_OK) return rc;
  return cli_check_plan_opts("run", &a->mo, &a->eo);
}

/* Top-5 (index:value) of up to MAX_ROWS rows of the last dimension. */
static void print_output(const dlf_tensor *t, const void *data) {
  char dims[128];
  printf("output '%s': %s %s\n", t->name, t->dtype == DLF_INT64 ? "int64" : "float32",
         cli_dims(t->dims, t->ndim, dims, sizeof dims));
  if (t->ndim == 0 || t->dims[t->ndim - 1] <= 1 || t->dtype != DLF_FLOAT32) return;
  size_t cols = (size_t)t->dims[t->ndim - 1], rows = cli_numel(t) / cols;
  for (size_t r = 0; r < rows && r < MAX_ROWS; r++) {
    const float *row = (const float *)data + r * cols;
    size_t best[TOP_K];
    int nb = 0;
    for (size_t j = 0; j < cols; j++) { /* insertion into a sorted top-k */
      int p;
      if (nb < TOP_K)
        best[p = nb++] = j;
      else if (row[j] > row[best[TOP_K - 1]])
        best[p = TOP_K - 1] = j;
      else
        continue;
      for (; p > 0 && row[best[p]] > row[best[p - 1]]; p--) {
        size_t tmp = best[p];
        best[p] = best[p - 1];
        best[p - 1] = tmp;
      }
    }
    printf("  row %zu top-%d:", r, nb);
    for (int k = 0; k < nb; k++)
      printf(" %zu:%.6g", best[k], row[best[k]]);
    printf("\n");
  }
  if (rows > MAX_ROWS) printf("  (%zu more rows)\n", rows - MAX_ROWS);
}

/* The model's input i: the file bound to it, or NULL. Positional float files
 * go, in order, to the inputs no file names (the library's binding rule, with
 * the int64 files already turned into constants). */
static named_file *file_for_input(run_args *a, const dlf_model *m, int i) {
  dlf_tensor t;
  if (dlf_model_input(m, i, &t) != DLF_OK) return NULL;
  for (int k = 0; k < a->n_in; k++)
    if (a->in[k].name && !strcmp(a->in[k].name, t.name)) return &a->in[k];
  int pos = 0; /* position of input i among the inputs no file names */
  for (int j = 0; j < i; j++) {
    dlf_tensor u;
    int named = 0;
    dlf_model_input(m, j, &u);
    for (int k = 0; k < a->n_in; k++)
      if (a->in[k].name && !strcmp(a->in[k].name, u.name)) named = 1;
    pos += !named;
  }
  for (int k = 0; k < a->n_in; k++)
    if (!a->in[k].name && a->in[k].t.dtype == DLF_FLOAT32 && pos-- == 0) return &a->in[k];
  return NULL;
}

static int execute(run_args *a, const char *spec) {
  int rc = EXIT_RUNTIME, n_bind = 0;
  dlf_tensor bind[MAX_FILES + 64];
  for (int k = 0; k < a->mo.n_shapes; k++)
    bind[n_bind++] = a->mo.shapes[k];
  for (int k = 0; k < a->n_in; k++) {
    bind[n_bind] = a->in[k].t;
    bind[n_bind].name = a->in[k].name;
    if (a->in[k].t.dtype == DLF_FLOAT32) bind[n_bind].data = NULL; /* shape only */
    n_bind++;
  }
  dlf_load_options lo;
  cli_load_options(&a->mo, &lo);
  lo.bindings = bind;
  lo.num_bindings = n_bind;
  lo.strict_shapes = a->mo.n_shapes == 0; /* an explicit --shape overrides the check */
  dlf_model *m = NULL;
  dlf_session *s = NULL;
  cli_io io = {0};
  void **given = NULL;
  double *times = NULL;
  if (dlf_model_load(spec, &lo, &m) != DLF_OK) goto fail;
  int ni = dlf_model_num_inputs(m), no = dlf_model_num_outputs(m);
  given = calloc((size_t)ni + 1, sizeof *given);
  times = calloc((size_t)a->repeat, sizeof *times);
  if (!given || !times) {
    fprintf(stderr, "dlfusion: out of memory\n");
    goto out;
  }
  for (int i = 0; i < ni; i++) {
    dlf_tensor t;
    if (dlf_model_input(m, i, &t) != DLF_OK) goto fail;
    named_file *f = file_for_input(a, m, i);
    if (!f) continue; /* random data from --seed */
    char want[128], got[128];
    if (f->t.ndim != t.ndim || memcmp(f->t.dims, t.dims, (size_t)t.ndim * sizeof *t.dims) ||
        f->t.dtype != t.dtype) {
      fprintf(stderr, "dlfusion: input '%s': file %s has shape %s, model expects %s\n", t.name,
              f->path, cli_dims(f->t.dims, f->t.ndim, got, sizeof got),
              cli_dims(t.dims, t.ndim, want, sizeof want));
      goto out;
    }
    given[i] = f->t.data;
  }
  if ((rc = cli_io_alloc(m, given, (uint64_t)a->eo.seed, &io)) != EXIT_OK) goto out;
  rc = EXIT_RUNTIME;
  /* --output names are checked before running, not after */
  for (int k = 0; k < a->n_out; k++) {
    a->out[k].index = -1;
    for (int i = 0; i < no; i++) {
      dlf_tensor t;
      dlf_model_output(m, i, &t);
      if (a->out[k].name ? !strcmp(a->out[k].name, t.name) : i == k) a->out[k].index = i;
    }
    if (a->out[k].index < 0) {
      if (a->out[k].name)
        fprintf(stderr, "dlfusion: %s: no output named '%s'\n", spec, a->out[k].name);
      else
        fprintf(stderr, "dlfusion: %s: --output number %d, but the model has %d outputs\n", spec,
                k + 1, no);
      goto out;
    }
  }
  if ((rc = cli_session_open(m, &a->mo, &a->eo, &s)) != EXIT_OK) goto out;
  rc = EXIT_RUNTIME;
  for (long long r = 0; r < a->repeat; r++) {
    double t0 = cli_now_ms();
    if (dlf_session_run(s, (const void *const *)io.in, io.out) != DLF_OK) goto fail;
    times[r] = cli_now_ms() - t0;
  }
  qsort(times, (size_t)a->repeat, sizeof *times, cli_cmp_double);
  for (int i = 0; i < no; i++) {
    dlf_tensor t;
    dlf_model_output(m, i, &t);
    print_output(&t, io.out[i]);
  }
  printf("time: %.3f ms (median of %lld run%s, engine %s)\n", times[a->repeat / 2], a->repeat,
         a->repeat == 1 ? "" : "s", a->eo.engine == DLF_ENGINE_REFERENCE ? "ref" : "default");
  for (int k = 0; k < a->n_out; k++) {
    dlf_tensor t;
    dlf_model_output(m, a->out[k].index, &t);
    t.data = io.out[a->out[k].index];
    if (dlf_npy_save(a->out[k].path, &t) != DLF_OK) goto fail;
  }
  rc = EXIT_OK;
  goto out;
fail:
  rc = cli_fail();
out:
  cli_io_free(&io);
  free(given);
  free(times);
  dlf_session_free(s);
  dlf_model_free(m);
  return rc;
}

int cmd_run(int argc, char **argv) {
  run_args a;
  memset(&a, 0, sizeof a);
  int rc = parse(argc, argv, &a);
  if (rc != EXIT_OK) {
    free_args(&a);
    return rc < 0 ? EXIT_OK : rc;
  }
  /* Files first: their dtypes and shapes decide how they are bound. */
  for (int k = 0; k < a.n_in; k++)
    if (dlf_npy_load_capped(a.in[k].path, a.mo.max_tensor_bytes, &a.in[k].t) != DLF_OK) {
      free_args(&a);
      return cli_fail();
    }
  rc = execute(&a, argv[optind]);
  free_args(&a);
  return rc;
}
