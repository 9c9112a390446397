/* cli_session.c — what run, bench and info share once a model is loaded: the --plan file,
 * the session, caller-side input/output buffers, and the memory and block reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_plan_load(const dlf_model *m, const char *path, dlf_plan **out) {
  if (dlf_plan_load(m, path, out) == DLF_OK) return EXIT_OK;
  /* Every plan error should name the file; say it here if the library did not. */
  const char *msg = dlf_last_error();
  if (strstr(msg, path)) return cli_fail();
  fprintf(stderr, "dlfusion: %s: %s\n", path, msg);
  return EXIT_RUNTIME;
}

int cli_session_open(const dlf_model *m, const cli_model_opts *mo, const cli_exec_opts *eo,
                     dlf_session **out) {
  dlf_plan *plan = NULL;
  *out = NULL;
  if (mo->plan_path) {
    int rc = cli_plan_load(m, mo->plan_path, &plan);
    if (rc != EXIT_OK) return rc;
  }
  dlf_session_options so = {
      .engine = eo->engine, .threads = (int)eo->threads, .plan = plan, .isa = eo->isa};
  dlf_status st = dlf_session_create(m, &so, out);
  dlf_plan_free(plan); /* the session keeps its own copy */
  return st == DLF_OK ? EXIT_OK : cli_fail();
}

/* The largest core number of p's blocks (0 for none). */
int cli_session_threads(const dlf_model *m, const dlf_session *s, long long requested) {
  (void)m, (void)requested;
  return dlf_session_threads(s);
}

int cli_io_alloc(const dlf_model *m, void *const *given, uint64_t seed, cli_io *io) {
  memset(io, 0, sizeof *io);
  io->n_in = dlf_model_num_inputs(m);
  io->n_out = dlf_model_num_outputs(m);
  io->in = calloc((size_t)io->n_in + 1, sizeof *io->in);
  io->out = calloc((size_t)io->n_out + 1, sizeof *io->out);
  io->owned = calloc((size_t)io->n_in + 1, 1);
  if (!io->in || !io->out || !io->owned) {
    fprintf(stderr, "dlfusion: out of memory\n");
    return EXIT_RUNTIME;
  }
  for (int i = 0; i < io->n_in + io->n_out; i++) {
    int is_in = i < io->n_in;
    dlf_tensor t;
    if ((is_in ? dlf_model_input(m, i, &t) : dlf_model_output(m, i - io->n_in, &t)) != DLF_OK)
      return cli_fail();
    if (is_in && given && given[i]) {
      io->in[i] = given[i];
      continue;
    }
    /* +1: a zero-size tensor still gets a distinct non-NULL buffer */
    void *p = malloc(cli_numel(&t) * cli_dtype_size(t.dtype) + 1);
    if (!p) {
      fprintf(stderr, "dlfusion: out of memory for %s '%s'\n", is_in ? "input" : "output", t.name);
      return EXIT_RUNTIME;
    }
    if (is_in) {
      io->in[i] = p;
      io->owned[i] = 1;
      cli_fill_random(&t, p, seed + (uint64_t)i);
    } else {
      io->out[i - io->n_in] = p;
    }
  }
  return EXIT_OK;
}

void cli_io_free(cli_io *io) {
  for (int i = 0; io->in && io->owned && i < io->n_in; i++)
    if (io->owned[i]) free(io->in[i]);
  for (int i = 0; io->out && i < io->n_out; i++)
    free(io->out[i]);
  free(io->in);
  free(io->out);
  free(io->owned);
  memset(io, 0, sizeof *io);
}

int cli_largest_layer_io(const dlf_model *m, int64_t *bytes, dlf_layer_info *which) {
  *bytes = 0;
  for (int i = 0; i < dlf_model_num_layers(m); i++) {
    dlf_layer_info l;
    if (dlf_model_layer(m, i, &l) != DLF_OK) return cli_fail();
    if (l.act_in_bytes + l.act_out_bytes > *bytes) {
      *bytes = l.act_in_bytes + l.act_out_bytes;
      *which = l;
    }
  }
  return EXIT_OK;
}

int cli_print_memory_line(const dlf_model *m, int64_t peak_bytes) {
  int64_t io_bytes;
  dlf_layer_info l;
  int rc = cli_largest_layer_io(m, &io_bytes, &l);
  if (rc != EXIT_OK) return rc;
  printf("memory: peak_bytes=%lld largest_layer_io_bytes=%lld ratio=%.3f", (long long)peak_bytes,
         (long long)io_bytes, io_bytes > 0 ? (double)peak_bytes / (double)io_bytes : 0.0);
  if (io_bytes > 0) printf(" (layer '%s')", l.name);
  printf("\n");
  return EXIT_OK;
}

const char *cli_block_layers(const dlf_model *m, const dlf_block_info *b, char *buf, int size) {
  dlf_layer_info first, last;
  buf[0] = '\0';
  if (b->num_layers < 1 || dlf_model_layer(m, b->layers[0], &first) != DLF_OK ||
      dlf_model_layer(m, b->layers[b->num_layers - 1], &last) != DLF_OK)
    return buf;
  if (b->num_layers == 1)
    snprintf(buf, (size_t)size, "%s", first.name);
  else
    snprintf(buf, (size_t)size, "%s..%s", first.name, last.name);
  return buf;
}
