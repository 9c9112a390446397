/* profile_api.c — the public profile API (the "profiles" section of dlfusion.h): run, load,
 * parse, save, query. The work is in src/tune/profile.c and profile_run.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/profile_internal.h"
#include "api/target_internal.h"
#include "core/cpu.h"
#include "core/status.h"
#include "kernels/kernels.h"

const profile *dlf_profile_get(const dlf_profile *d) { return d ? &d->p : NULL; }

/* Move p (owned from here on) into a new handle. */
static dlf_status wrap(profile *p, dlf_profile **out) {
  dlf_profile *d = malloc(sizeof *d);
  if (!d) {
    profile_free(p);
    return dlf_error(DLF_ERR_NOMEM, "out of memory for a profile");
  }
  d->p = *p;
  *out = d;
  return DLF_OK;
}

void dlf_profile_free(dlf_profile *d) {
  if (!d) return;
  profile_free(&d->p);
  free(d);
}

dlf_status dlf_profile_run_options(const dlf_target *t, const dlf_profile_options *o,
                                   dlf_profile **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_run: out is NULL");
  *out = NULL;
  if (!t) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_run: target is NULL");
  profile_options po = {0};
  if (o) po = (profile_options){.quick = o->quick, .runs = o->runs, .seed = o->seed};
  profile p;
  DLF_TRY(profile_run(dlf_target_get(t), &po, &p));
  return wrap(&p, out);
}

dlf_status dlf_profile_run(const dlf_target *t, int quick, dlf_profile **out) {
  dlf_profile_options o = {.quick = quick};
  return dlf_profile_run_options(t, &o, out);
}

dlf_status dlf_profile_load(const char *path, dlf_profile **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_load: out is NULL");
  *out = NULL;
  if (!path) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_load: path is NULL");
  profile p;
  DLF_TRY(profile_load(path, &p));
  return wrap(&p, out);
}

dlf_status dlf_profile_parse(const char *json, size_t len, dlf_profile **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_parse: out is NULL");
  *out = NULL;
  if (!json) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_parse: json is NULL");
  profile p;
  DLF_TRY(profile_parse(json, len, "profile", &p));
  return wrap(&p, out);
}

dlf_status dlf_profile_save(const dlf_profile *d, const char *path) {
  dlf_error_clear();
  if (!d || !path)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_save: %s is NULL", d ? "path" : "profile");
  return profile_save(&d->p, path);
}

char *dlf_profile_to_json(const dlf_profile *d) {
  dlf_error_clear();
  if (!d) {
    dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_to_json: profile is NULL");
    return NULL;
  }
  return profile_to_json(&d->p);
}

int dlf_profile_num_samples(const dlf_profile *d) {
  dlf_error_clear();
  return d ? d->p.n_samples : 0;
}

int dlf_profile_num_blocks(const dlf_profile *d) {
  dlf_error_clear();
  return d ? d->p.n_blocks : 0;
}

dlf_status dlf_profile_get_info(const dlf_profile *d, dlf_profile_info *out) {
  dlf_error_clear();
  if (!d || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_get_info: %s is NULL",
                     d ? "out" : "profile");
  *out = (dlf_profile_info){
      .target_name = d->p.target_name,
      .target_kind = d->p.target_kind == TARGET_ACCEL ? "accelerator" : "cpu",
      .target_fingerprint = d->p.target_fingerprint,
      .machine = d->p.machine,
      .isa = d->p.isa,
  };
  return DLF_OK;
}

dlf_status dlf_profile_get_sample(const dlf_profile *d, int index, dlf_profile_sample *out) {
  dlf_error_clear();
  if (!d || !out)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_get_sample: %s is NULL",
                     d ? "out" : "profile");
  if (index < 0 || index >= d->p.n_samples)
    return dlf_error(DLF_ERR_INVALID_ARG, "profile: sample %d out of range (the profile has %d)",
                     index, d->p.n_samples);
  const profile_sample *s = &d->p.samples[index];
  *out = (dlf_profile_sample){.op = s->op,
                              .h = s->h,
                              .w = s->w,
                              .cin = s->cin,
                              .cout = s->cout,
                              .k = s->k,
                              .stride = s->stride,
                              .fused = s->fused,
                              .cores = s->cores,
                              .macs = s->macs,
                              .us = s->us,
                              .us_unfused = s->us_unfused};
  return DLF_OK;
}

/* ------------------------------------------------------------- cache -- */

/* FNV-1a of a string (the cache key's CPU model part). */
static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

static dlf_status cache_dir(const char *dir, char *buf, size_t size) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int n;
  if (dir && dir[0])
    n = snprintf(buf, size, "%s", dir);
  else if (xdg && xdg[0] == '/') /* the XDG spec: a relative XDG_CACHE_HOME is ignored */
    n = snprintf(buf, size, "%s/dlfusion", xdg);
  else if (home && home[0])
    n = snprintf(buf, size, "%s/.cache/dlfusion", home);
  else
    return dlf_error(DLF_ERR_IO, "profile cache: no directory (XDG_CACHE_HOME and HOME unset)");
  if (n < 0 || (size_t)n >= size) return dlf_error(DLF_ERR_LIMIT, "profile cache: path too long");
  return DLF_OK;
}

dlf_status dlf_profile_cache_path(const dlf_target *tgt, const dlf_profile_options *o,
                                  const char *dir, char *buf, size_t size) {
  dlf_error_clear();
  if (!tgt || !buf || size == 0)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_cache_path: an argument is NULL or empty");
  char d[4096];
  DLF_TRY(cache_dir(dir, d, sizeof d));
  const target *t = dlf_target_get(tgt);
  /* The fingerprint names the target (not its name, which may hold any character). */
  const int n = snprintf(buf, size, "%s/profile-%016" PRIx64 "-%s-%08" PRIx32 "-v%d%s.json", d,
                         t->fingerprint, kern_isa_name(kern_config_get()->isa),
                         fnv1a(dlf_cpu_info_get()->name), PROFILE_FORMAT_VERSION,
                         o && o->quick ? "-quick" : "");
  if (n < 0 || (size_t)n >= size) return dlf_error(DLF_ERR_LIMIT, "profile cache: path too long");
  return DLF_OK;
}

/* mkdir -p of the directory part of path (best effort: the save reports what fails). */
static void make_parents(const char *path) {
  char d[4096];
  snprintf(d, sizeof d, "%s", path);
  for (char *p = d + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(d, 0755);
    *p = '/';
  }
}

/* A cached profile is this machine's when it records the target, the CPU model and the ISA
 * profiling would record now. */
static bool cached_is_current(const profile *p, const target *t) {
  return p->target_kind == t->kind && p->target_fingerprint == t->fingerprint &&
         !strcmp(p->machine, dlf_cpu_info_get()->name) &&
         !strcmp(p->isa, kern_isa_name(kern_config_get()->isa));
}

dlf_status dlf_profile_cached(const dlf_target *tgt, const dlf_profile_options *o,
                              const char *dir, dlf_profile **out, int *reused) {
  dlf_error_clear();
  if (reused) *reused = 0;
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_cached: out is NULL");
  *out = NULL;
  if (!tgt) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_profile_cached: target is NULL");
  const target *t = dlf_target_get(tgt);
  char path[4096];
  const bool cacheable =
      t->kind == TARGET_CPU && dlf_profile_cache_path(tgt, o, dir, path, sizeof path) == DLF_OK;
  if (cacheable) {
    profile p;
    if (access(path, R_OK) == 0 && profile_load(path, &p) == DLF_OK) {
      if (cached_is_current(&p, t)) {
        if (reused) *reused = 1;
        return wrap(&p, out);
      }
      profile_free(&p);
    }
  }
  DLF_TRY(dlf_profile_run_options(tgt, o, out));
  if (cacheable) {
    make_parents(path);
    profile_save(&(*out)->p, path); /* best effort: a read-only cache is not an error */
  }
  dlf_error_clear();
  return DLF_OK;
}
