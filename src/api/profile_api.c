/* profile_api.c — the public profile API (the "profiles" section of dlfusion.h): run, load,
 * parse, save, query. The work is in src/tune/profile.c and profile_run.c. */
#include <stdlib.h>
#include <string.h>

#include "api/profile_internal.h"
#include "api/target_internal.h"
#include "core/status.h"

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
