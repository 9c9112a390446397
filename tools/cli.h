/* cli.h — what the dlfusion subcommands share: exit codes, error printing, small parsers
 * (dims, NAME=VALUE), the shared options, sessions with --plan, and memory reports. */
#ifndef DLF_TOOLS_CLI_H
#define DLF_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <getopt.h>

#include "dlfusion.h"

/* Exit codes: 0 success, 1 a runtime error (message from the library),
 * 2 a usage error (bad option, missing argument). */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* "dlfusion: <dlf_last_error()>" on stderr; returns EXIT_RUNTIME. */
int cli_fail(void);
/* "dlfusion CMD: <message>" plus a hint to --help on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "1x3x224x224" → dims; false if malformed. */
int cli_parse_dims(const char *s, int64_t *dims, int *ndim);
/* A non-negative integer; false if malformed. */
int cli_parse_int(const char *s, long long *out);
/* Split "NAME=VALUE": *name is NULL when there is no '=' (or for a path
 * whose '=' follows a '/'); name is a malloc'd copy. */
void cli_split_named(const char *arg, char **name, const char **value);

/* 1.82G, 118.0M, 4.3K, 12 */
const char *cli_human(double v, char *buf, int size);
const char *cli_dims(const int64_t *dims, int ndim, char *buf, int size);

/* Elements of a tensor's shape (checked by the library at load); bytes of one element. */
size_t cli_numel(const dlf_tensor *t);
size_t cli_dtype_size(dlf_dtype t);
/* Monotonic clock, milliseconds. */
double cli_now_ms(void);
/* qsort comparator: doubles ascending. */
int cli_cmp_double(const void *a, const void *b);
/* Deterministic input data for a seed: floats uniform in [-1, 1), int64 zeros. */
void cli_fill_random(const dlf_tensor *t, void *data, uint64_t seed);

/* ------------------------------------------------- options the subcommands share --
 * Each subcommand lists CLI_MODEL_LONGOPTS (and CLI_EXEC_LONGOPTS) in its getopt_long
 * table and hands every result to cli_model_option / cli_exec_option first; the codes
 * are above any character, so they never clash with a command's own options. */
enum {
  CLI_NOT_MINE = -2, /* cli_*_option: the code is not a shared option */
  CLI_OPT_NO_OPTIMIZE = 0x100,
  CLI_OPT_SHAPE,
  CLI_OPT_PLAN,
  CLI_OPT_THREADS,
  CLI_OPT_ENGINE,
  CLI_OPT_SEED,
  CLI_OPT_ISA,
  CLI_OPT_MAX_TENSOR_BYTES,
};
/* clang-format off */
#define CLI_MODEL_LONGOPTS                                   \
  {"no-optimize", no_argument, NULL, CLI_OPT_NO_OPTIMIZE}, \
  {"shape", required_argument, NULL, CLI_OPT_SHAPE},       \
  {"plan", required_argument, NULL, CLI_OPT_PLAN},         \
  {"max-tensor-bytes", required_argument, NULL, CLI_OPT_MAX_TENSOR_BYTES}
#define CLI_EXEC_LONGOPTS                                    \
  {"threads", required_argument, NULL, CLI_OPT_THREADS},   \
  {"engine", required_argument, NULL, CLI_OPT_ENGINE},     \
  {"seed", required_argument, NULL, CLI_OPT_SEED},         \
  {"isa", required_argument, NULL, CLI_OPT_ISA}
/* clang-format on */

/* How the model is loaded (--no-optimize, --shape, --max-tensor-bytes) and which plan runs
 * it (--plan). */
typedef struct cli_model_opts {
  int no_optimize;
  int64_t max_tensor_bytes; /* 0: the library's default (DLF_MAX_TENSOR_BYTES or 16G) */
  int n_shapes;
  dlf_tensor shapes[64];
  char *shape_names[64];
  const char *plan_path; /* NULL: no --plan */
} cli_model_opts;
/* How it runs: --threads, --engine, --seed (of the random inputs), --isa (the session's
 * kernel path; NULL: the library's default, $DLF_ISA else the best). */
typedef struct cli_exec_opts {
  long long threads, seed;
  dlf_engine engine;
  const char *isa;
} cli_exec_opts;

/* Handle --shape NAME=DIMS; returns EXIT_OK or EXIT_USAGE. */
int cli_add_shape(const char *cmd, cli_model_opts *o, const char *arg);
void cli_model_opts_free(cli_model_opts *o);
/* getopt_long result c (with its optarg) if it is a shared option: EXIT_OK or EXIT_USAGE;
 * CLI_NOT_MINE otherwise. */
int cli_model_option(const char *cmd, cli_model_opts *o, int c, const char *arg);
int cli_exec_option(const char *cmd, cli_exec_opts *o, int c, const char *arg);
/* -o FILE's argument into *path: EXIT_OK, or EXIT_USAGE (an empty name). */
int cli_output_arg(const char *cmd, const char *arg, const char **path);
/* The usage error for getopt_long's ':' (missing argument) or '?' (unknown option). */
int cli_option_error(const char *cmd, int c, char **argv);
/* After the options: exactly one MODEL operand at argv[optind]; EXIT_OK or EXIT_USAGE. */
int cli_one_model(const char *cmd, int argc, char **argv);
/* --plan checks that need the other options (a plan needs the default engine). */
int cli_check_plan_opts(const char *cmd, const cli_model_opts *mo, const cli_exec_opts *eo);
/* Load options from o (bindings point into o, which must outlive the load). */
void cli_load_options(const cli_model_opts *o, dlf_load_options *lo);

/* ------------------------------------------------------------------ sessions -- */

/* dlf_plan_load, with the file named in the message; EXIT_OK or EXIT_RUNTIME (printed). */
int cli_plan_load(const dlf_model *m, const char *path, dlf_plan **out);
/* A session for m with the options and mo->plan_path's plan (if any); EXIT_OK or
 * EXIT_RUNTIME (printed). */
int cli_session_open(const dlf_model *m, const cli_model_opts *mo, const cli_exec_opts *eo,
                     dlf_session **out);
/* The threads a session runs on: `requested` when positive, else what 0 resolved to. */
int cli_session_threads(const dlf_model *m, const dlf_session *s, long long requested);

/* Caller-side buffers for every input and output of a model. */
typedef struct cli_io {
  int n_in, n_out;
  void **in, **out;
  char *owned; /* owned[i]: in[i] was allocated here (not the caller's) */
} cli_io;
/* in[i] = given[i] where given && given[i], else allocated and filled by cli_fill_random
 * with seed + i; outputs allocated. EXIT_OK or EXIT_RUNTIME (printed). */
int cli_io_alloc(const dlf_model *m, void *const *given, uint64_t seed, cli_io *io);
void cli_io_free(cli_io *io);

/* ------------------------------------------------------------------- reports -- */

/* The layer whose activation input + output bytes are largest: the floor of any
 * schedule's peak memory. bytes = 0 (and *which unset) for a model without layers. */
int cli_largest_layer_io(const dlf_model *m, int64_t *bytes, dlf_layer_info *which);
/* "memory: peak_bytes=N largest_layer_io_bytes=N ratio=R (layer 'NAME')" — machine-readable;
 * tests/scripts/test_zoo.sh parses it. EXIT_OK or EXIT_RUNTIME (printed). */
int cli_print_memory_line(const dlf_model *m, int64_t peak_bytes);
/* "blocks (layers first..last)": layer names of block b. */
const char *cli_block_layers(const dlf_model *m, const dlf_block_info *b, char *buf, int size);

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_target(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_dot(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
