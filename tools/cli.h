/* cli.h — what the dlfusion subcommands share: exit codes, error printing,
 * small parsers (dims, NAME=VALUE) and human-readable numbers. */
#ifndef DLF_TOOLS_CLI_H
#define DLF_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>

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

/* Model options shared by info and run: --no-optimize and --shape. */
typedef struct cli_model_opts {
  int no_optimize;
  int n_shapes;
  dlf_tensor shapes[64];
  char *shape_names[64];
} cli_model_opts;
/* Handle --shape NAME=DIMS; returns EXIT_OK or EXIT_USAGE. */
int cli_add_shape(const char *cmd, cli_model_opts *o, const char *arg);
void cli_model_opts_free(cli_model_opts *o);

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
