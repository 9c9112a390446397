/* plan_api.c — the public plan API (the "plans" section of dlfusion.h): load, parse, save,
 * query; and the internal hooks of plan_internal.h the session uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "core/checked.h"
#include "core/cpu.h"
#include "core/file.h"

const plan *dlf_plan_get(const dlf_plan *d) { return d ? d->p : NULL; }

const char *dlf_plan_source(const dlf_plan *d) { return d && d->source ? d->source : "plan"; }

void dlf_plan_free(dlf_plan *d) {
  if (!d) return;
  for (int b = 0; d->algo_names && d->p && b < d->p->n_blocks; b++)
    free(d->algo_names[b]);
  free(d->algo_names);
  plan_free(d->p);
  free(d->source);
  free(d->names);
  plan_json_extra_free(&d->extra);
  free(d);
}

/* The per-block algorithm name arrays dlf_plan_block hands out: built once here, so that
 * querying a plan never writes to it (plans may be shared between threads). */
static bool build_algo_names(dlf_plan *d) {
  d->algo_names = dlf_calloc_array((size_t)d->p->n_blocks, sizeof *d->algo_names);
  if (!d->algo_names) return false;
  for (int b = 0; b < d->p->n_blocks; b++) {
    const plan_block *bl = &d->p->blocks[b];
    d->algo_names[b] = dlf_calloc_array((size_t)bl->n_layers, sizeof **d->algo_names);
    if (!d->algo_names[b]) return false;
    for (int i = 0; i < bl->n_layers; i++)
      d->algo_names[b][i] = plan_algo_name(bl->algo[i]);
  }
  return true;
}

/* Wrap p (owned from here on) with source and, when g != NULL, g's layer names. */
static dlf_status wrap(const ir_graph *g, plan *p, const char *source, plan_json_extra *extra,
                       dlf_plan **out) {
  *out = NULL;
  dlf_plan *d = calloc(1, sizeof *d);
  if (!d) {
    plan_free(p);
    plan_json_extra_free(extra);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for a plan", source);
  }
  d->p = p;
  if (extra) d->extra = *extra; /* moved */
  dlf_status st = DLF_OK;
  if (!(d->source = dlf_strdup(source)) || !build_algo_names(d))
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory for a plan", source);
  if (st == DLF_OK && g) st = plan_json_layer_names(g, &d->names, &d->n_names);
  if (st != DLF_OK) {
    dlf_plan_free(d);
    return st;
  }
  *out = d;
  return DLF_OK;
}

dlf_status dlf_plan_wrap(plan *p, dlf_plan **out) {
  if (!out) {
    plan_free(p);
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_wrap: out is NULL");
  }
  if (!p) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_wrap: plan is NULL");
  return wrap(NULL, p, "plan", NULL, out);
}

dlf_status dlf_plan_wrap_model(const dlf_model *m, plan *p, const char *source, dlf_plan **out) {
  if (!out || !m || !p) {
    plan_free(p);
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_wrap_model: %s is NULL",
                     !out ? "out"
                     : !m ? "model"
                          : "plan");
  }
  *out = NULL;
  if (!source) source = m->spec;
  dlf_status st = plan_check(m->graph, p, source);
  if (st != DLF_OK) {
    plan_free(p);
    return st;
  }
  return wrap(m->graph, p, source, NULL, out);
}

dlf_status dlf_plan_check_model(const dlf_plan *d, const dlf_model *m) {
  if (!d || !m)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_check_model: %s is NULL", d ? "model" : "plan");
  return plan_check(m->graph, d->p, dlf_plan_source(d));
}

dlf_status plan_copy(const plan *src, plan **out) {
  *out = NULL;
  plan *p = calloc(1, sizeof *p);
  if (!p) goto nomem;
  *p = *src;
  p->model = NULL;
  p->blocks = NULL;
  p->n_blocks = 0;
  p->model = dlf_strdup(src->model ? src->model : "");
  p->blocks = dlf_calloc_array((size_t)src->n_blocks, sizeof *p->blocks);
  if (!p->model || !p->blocks) goto nomem;
  for (int b = 0; b < src->n_blocks; b++) {
    const plan_block *s = &src->blocks[b];
    plan_block *d = &p->blocks[b];
    *d = *s;
    d->layers = dlf_malloc_array((size_t)s->n_layers, sizeof *d->layers);
    d->algo = dlf_malloc_array((size_t)s->n_layers, sizeof *d->algo);
    p->n_blocks = b + 1; /* so plan_free releases what is there */
    if (!d->layers || !d->algo) goto nomem;
    memcpy(d->layers, s->layers, (size_t)s->n_layers * sizeof *d->layers);
    memcpy(d->algo, s->algo, (size_t)s->n_layers * sizeof *d->algo);
  }
  *out = p;
  return DLF_OK;
nomem:
  plan_free(p);
  return dlf_error(DLF_ERR_NOMEM, "out of memory copying a plan");
}

static char *strdup_or_null(const char *s, bool *ok) {
  if (!s) return NULL;
  char *d = dlf_strdup(s);
  if (!d) *ok = false;
  return d;
}

dlf_status dlf_plan_copy(const dlf_plan *src, dlf_plan **out) {
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_copy: out is NULL");
  *out = NULL;
  if (!src) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_copy: plan is NULL");
  plan *p;
  DLF_TRY(plan_copy(src->p, &p));
  bool ok = true;
  plan_json_extra extra = {strdup_or_null(src->extra.comment, &ok),
                           strdup_or_null(src->extra.tuner, &ok)};
  if (!ok) {
    plan_free(p);
    plan_json_extra_free(&extra);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory copying a plan", dlf_plan_source(src));
  }
  dlf_plan *d;
  DLF_TRY(wrap(NULL, p, dlf_plan_source(src), &extra, &d));
  if (src->names) {
    /* names is one block: pointers, then the strings they point into */
    size_t bytes = (size_t)src->n_names * sizeof(char *);
    size_t pool = 0;
    for (int l = 0; l < src->n_names; l++)
      pool += src->names[l] ? strlen(src->names[l]) + 1 : 0;
    d->names = calloc(1, bytes + pool + 1);
    if (!d->names) {
      dlf_plan_free(d);
      return dlf_error(DLF_ERR_NOMEM, "%s: out of memory copying a plan", dlf_plan_source(src));
    }
    char *at = (char *)(d->names + src->n_names);
    for (int l = 0; l < src->n_names; l++) {
      if (!src->names[l]) continue;
      d->names[l] = strcpy(at, src->names[l]);
      at += strlen(at) + 1;
    }
    d->n_names = src->n_names;
  }
  *out = d;
  return DLF_OK;
}

/* ------------------------------------------------------------ public API -- */

static dlf_status parse(const dlf_model *m, const char *source, const char *json, size_t len,
                        dlf_plan **out) {
  plan *p;
  plan_json_extra extra;
  DLF_TRY(plan_json_read(m->graph, source, json, len, &p, &extra));
  return wrap(m->graph, p, source, &extra, out);
}

dlf_status dlf_plan_parse(const dlf_model *m, const char *json, size_t len, dlf_plan **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_parse: out is NULL");
  *out = NULL;
  if (!m || !json)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_parse: %s is NULL", m ? "json" : "model");
  return parse(m, "plan", json, len, out);
}

/* The whole file, up to PLAN_JSON_MAX_BYTES (+1 to tell a larger one), malloc'd. */
dlf_status dlf_plan_load(const dlf_model *m, const char *path, dlf_plan **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_load: out is NULL");
  *out = NULL;
  if (!m || !path)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_load: %s is NULL", m ? "path" : "model");
  char *text;
  size_t len = 0;
  DLF_TRY(dlf_read_file(path, PLAN_JSON_MAX_BYTES, "plan", &text, &len));
  dlf_status st = parse(m, path, text, len, out);
  free(text);
  return st;
}

/* The plans made from a model alone (unfused, rule of thumb): argument checks, cores 0 =
 * all available, then the maker, wrapped. */
typedef dlf_status (*plan_maker)(const ir_graph *g, const char *model, int cores, plan **out);

static dlf_status make_plan(const char *who, plan_maker make, const dlf_model *m, int cores,
                            dlf_plan **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "%s: out is NULL", who);
  *out = NULL;
  if (!m) return dlf_error(DLF_ERR_INVALID_ARG, "%s: model is NULL", who);
  if (cores < 0 || cores > PLAN_MAX_CORES)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: core count %d out of range (0 = all, up to %d)",
                     m->spec, cores, PLAN_MAX_CORES);
  if (cores == 0) {
    cores = dlf_cpu_info_get()->n_available;
    if (cores < 1) cores = 1;
    if (cores > PLAN_MAX_CORES) cores = PLAN_MAX_CORES;
  }
  plan *p;
  DLF_TRY(make(m->graph, m->spec, cores, &p));
  return wrap(m->graph, p, m->spec, NULL, out);
}

dlf_status dlf_plan_unfused(const dlf_model *m, int cores, dlf_plan **out) {
  return make_plan("dlf_plan_unfused", plan_unfused, m, cores, out);
}

dlf_status dlf_plan_fuse_blocks(const dlf_model *m, int cores, dlf_plan **out) {
  return make_plan("dlf_plan_fuse_blocks", plan_fuse_blocks, m, cores, out);
}

char *dlf_plan_to_json(const dlf_plan *d) {
  dlf_error_clear();
  if (!d) {
    dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_to_json: plan is NULL");
    return NULL;
  }
  return plan_json_write(d->p, (const char *const *)d->names, d->n_names, &d->extra);
}

dlf_status dlf_plan_save(const dlf_plan *d, const char *path) {
  dlf_error_clear();
  if (!d || !path)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_save: %s is NULL", d ? "path" : "plan");
  char *s = dlf_plan_to_json(d);
  if (!s) return dlf_error_prefix(DLF_ERR_NOMEM, "%s", path);
  const void *parts[1] = {s};
  const size_t sizes[1] = {strlen(s)};
  dlf_status st = dlf_write_file(path, parts, sizes, 1, "cannot write the plan");
  free(s);
  return st;
}

int dlf_plan_num_blocks(const dlf_plan *d) { return d ? d->p->n_blocks : 0; }

dlf_status dlf_plan_block(const dlf_plan *d, int index, dlf_block_info *out) {
  dlf_error_clear();
  if (!d || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_plan_block: %s is NULL", d ? "out" : "plan");
  if (index < 0 || index >= d->p->n_blocks)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: block %d out of range (the plan has %d)",
                     dlf_plan_source(d), index, d->p->n_blocks);
  const plan_block *b = &d->p->blocks[index];
  out->index = index;
  out->num_layers = b->n_layers;
  out->layers = b->layers;
  out->algorithms = d->algo_names[index];
  out->cores = b->cores;
  out->tile_rows = b->tile_rows;
  return DLF_OK;
}
