/* profile.c — the profile file format (docs/profile.md): JSON text <-> profile struct. The
 * reader treats its input as hostile (size and depth caps, exact integers, finite numbers,
 * unknown and duplicate keys refused) and names the file, the sample and the field. */
#include "tune/profile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/file.h"
#include "core/json.h"
#include "core/status.h"

/* Profile text larger than this is refused (the brief's cap: the grid's ~260 samples are
 * ~45 KB). The writer writes ~165-200 bytes a sample, so a profile of nearly
 * PROFILE_MAX_SAMPLES samples could exceed it: the writer refuses that too. */
#define PROFILE_MAX_BYTES ((size_t)16 << 20)
/* The format nests 3 levels ({ "samples": [ { } ] }); anything deeper is not a profile. */
#define PROFILE_MAX_DEPTH 8

static const char *const op_names[] = {"conv", "dwconv", "pool", "gemm"};
#define N_OPS ((int)(sizeof op_names / sizeof op_names[0]))

void profile_free(profile *p) {
  if (!p) return;
  free(p->samples);
  free(p->blocks);
  memset(p, 0, sizeof *p);
}

/* The words of target files (docs/targets.md). */
static const char *kind_name(target_kind k) { return k == TARGET_ACCEL ? "accelerator" : "cpu"; }

/* ------------------------------------------------------------ validation -- */

typedef struct reader {
  const char *source;
  int sample; /* sample being read (for messages), -1 outside the list */
  int block;  /* block sample being read (fail_block's messages) */
} reader;

/* Bytes a block reads or writes: 2^40 is far beyond any CNN tensor (file data, not a fact). */
#define PROFILE_MAX_BYTES_FIELD ((int64_t)1 << 40)

/* Fail with "<source>: [sample S: ]<message>". */
static dlf_status DLF_PRINTF(3, 4) fail(const reader *r, dlf_status code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (r->sample >= 0) return dlf_error(code, "%s: sample %d: %s", r->source, r->sample, msg);
  return dlf_error(code, "%s: %s", r->source, msg);
}

static bool op_known(const char *op) {
  for (int i = 0; i < N_OPS; i++)
    if (strcmp(op, op_names[i]) == 0) return true;
  return false;
}

/* The checks a sample must pass, whether read from a file or about to be written. */
static dlf_status check_sample(const reader *r, const profile_sample *s) {
  char buf[32];
  if (!memchr(s->op, '\0', sizeof s->op) || !op_known(s->op))
    return fail(r, DLF_ERR_PARSE, "'op': unknown op (expected conv, dwconv, pool or gemm)");
  const struct {
    const char *name;
    int64_t v;
  } dims[] = {{"h", s->h},       {"w", s->w}, {"cin", s->cin},
              {"cout", s->cout}, {"k", s->k}, {"stride", s->stride}};
  for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
    if (dims[i].v < 1 || dims[i].v > PROFILE_MAX_DIM)
      return fail(r, DLF_ERR_PARSE, "'%s' %" PRId64 " out of range (1 to %" PRId64 ")",
                  dims[i].name, dims[i].v, PROFILE_MAX_DIM);
  if ((strcmp(s->op, "dwconv") == 0 || strcmp(s->op, "pool") == 0) && s->cin != s->cout)
    return fail(r, DLF_ERR_PARSE, "'cout' %" PRId64 " differs from 'cin' %" PRId64 " for a %s",
                s->cout, s->cin, s->op);
  if (strcmp(s->op, "gemm") == 0 && (s->h != 1 || s->w != 1 || s->k != 1 || s->stride != 1))
    return fail(r, DLF_ERR_PARSE, "a gemm has h, w, k and stride 1");
  if (s->fused < 1 || s->fused > PROFILE_MAX_FUSED)
    return fail(r, DLF_ERR_PARSE, "'fused' %d out of range (1 to %d)", s->fused, PROFILE_MAX_FUSED);
  if (s->cores < 1 || s->cores > TARGET_MAX_CORES)
    return fail(r, DLF_ERR_PARSE, "'cores' %d out of range (1 to %d)", s->cores, TARGET_MAX_CORES);
  const struct {
    const char *name;
    double v;
  } nums[] = {{"macs", s->macs}, {"us", s->us}, {"us_unfused", s->us_unfused}};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
    if (!isfinite(nums[i].v) || nums[i].v < 0)
      return fail(r, DLF_ERR_PARSE, "'%s' must be a finite number >= 0, got %s", nums[i].name,
                  dlf_json_number(nums[i].v, buf, sizeof buf));
  if (s->fused == 1 && s->us_unfused != 0)
    return fail(r, DLF_ERR_PARSE,
                "'us_unfused' must be 0 for an unfused sample (fused 1), got "
                "%s",
                dlf_json_number(s->us_unfused, buf, sizeof buf));
  return DLF_OK;
}


/* ---------------------------------------------------------- block samples -- */

static const char *const layer_ops[] = {"conv", "dwconv", "pool", "concat", "add"};
#define N_LAYER_OPS ((int)(sizeof layer_ops / sizeof layer_ops[0]))

static bool layer_op_known(const char *op) {
  for (int i = 0; i < N_LAYER_OPS; i++)
    if (strcmp(op, layer_ops[i]) == 0) return true;
  return false;
}

/* Fail with "<source>: block B: [layer L: ]<message>". */
static dlf_status DLF_PRINTF(4, 5)
    fail_block(const reader *r, int layer, dlf_status code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (layer >= 0)
    return dlf_error(code, "%s: block %d: layer %d: %s", r->source, r->block, layer, msg);
  return dlf_error(code, "%s: block %d: %s", r->source, r->block, msg);
}

static dlf_status check_block(const reader *r, const profile_block *b) {
  char buf[32];
  if (b->n_layers < 2 || b->n_layers > PROFILE_MAX_BLOCK_LAYERS)
    return fail_block(r, -1, DLF_ERR_PARSE, "%d layers, expected 2 to %d", b->n_layers,
                      PROFILE_MAX_BLOCK_LAYERS);
  for (int i = 0; i < b->n_layers; i++) {
    const profile_layer *l = &b->layers[i];
    if (!memchr(l->op, '\0', sizeof l->op) || !layer_op_known(l->op))
      return fail_block(r, i, DLF_ERR_PARSE,
                        "'op': unknown op (expected conv, dwconv, pool, concat or add)");
    const struct {
      const char *name;
      int64_t v;
    } dims[] = {{"h", l->h},       {"w", l->w}, {"cin", l->cin},
                {"cout", l->cout}, {"k", l->k}, {"stride", l->stride}};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
      if (dims[d].v < 1 || dims[d].v > PROFILE_MAX_DIM)
        return fail_block(r, i, DLF_ERR_PARSE, "'%s' %" PRId64 " out of range (1 to %" PRId64 ")",
                          dims[d].name, dims[d].v, PROFILE_MAX_DIM);
    const bool same = !strcmp(l->op, "dwconv") || !strcmp(l->op, "pool") || !strcmp(l->op, "add");
    if (same && l->cin != l->cout)
      return fail_block(r, i, DLF_ERR_PARSE,
                        "'cout' %" PRId64 " differs from 'cin' %" PRId64 " for a %s", l->cout,
                        l->cin, l->op);
    if (!strcmp(l->op, "concat") && l->cout <= l->cin)
      return fail_block(r, i, DLF_ERR_PARSE,
                        "a concat's 'cout' %" PRId64 " is not more than its 'cin' %" PRId64,
                        l->cout, l->cin);
    if (l->residual != 0 && (l->residual != 1 || strcmp(l->op, "conv") != 0))
      return fail_block(r, i, DLF_ERR_PARSE, "'residual' is 0 or 1, and 1 only on a conv");
  }
  if (b->cores < 1 || b->cores > TARGET_MAX_CORES)
    return fail_block(r, -1, DLF_ERR_PARSE, "'cores' %d out of range (1 to %d)", b->cores,
                      TARGET_MAX_CORES);
  if (b->in_bytes < 1 || b->in_bytes > PROFILE_MAX_BYTES_FIELD || b->out_bytes < 1 ||
      b->out_bytes > PROFILE_MAX_BYTES_FIELD)
    return fail_block(r, -1, DLF_ERR_PARSE,
                      "'in_bytes' %" PRId64 " or 'out_bytes' %" PRId64 " out of range (1 to %" PRId64
                      ")",
                      b->in_bytes, b->out_bytes, PROFILE_MAX_BYTES_FIELD);
  if (!isfinite(b->us) || b->us <= 0)
    return fail_block(r, -1, DLF_ERR_PARSE, "'us' must be a finite number > 0, got %s",
                      dlf_json_number(b->us, buf, sizeof buf));
  return DLF_OK;
}

/* Header fields: what the reader accepts is what the writer may write. */
static dlf_status check_header(const reader *r, const profile *p) {
  if (p->version < PROFILE_MIN_FORMAT_VERSION || p->version > PROFILE_FORMAT_VERSION)
    return fail(r, DLF_ERR_UNSUPPORTED,
                "unsupported profile format version %d (this dlfusion reads versions %d to %d)",
                p->version, PROFILE_MIN_FORMAT_VERSION, PROFILE_FORMAT_VERSION);
  if (p->n_blocks < 0 || p->n_blocks > PROFILE_MAX_SAMPLES)
    return fail(r, DLF_ERR_LIMIT, "%d blocks, more than the limit of %d", p->n_blocks,
                PROFILE_MAX_SAMPLES);
  if (p->n_blocks > 0 && p->version < 2)
    return fail(r, DLF_ERR_INVALID_ARG, "a version-1 profile has no blocks");
  if (p->n_blocks > 0 && !p->blocks) return fail(r, DLF_ERR_INVALID_ARG, "blocks is NULL");
  if (!memchr(p->target_name, '\0', sizeof p->target_name) ||
      !memchr(p->machine, '\0', sizeof p->machine) || !memchr(p->isa, '\0', sizeof p->isa))
    return fail(r, DLF_ERR_INVALID_ARG, "a target name, machine or isa string is not terminated");
  if (p->target_kind != TARGET_CPU && p->target_kind != TARGET_ACCEL)
    return fail(r, DLF_ERR_PARSE, "target kind %d is neither cpu nor accelerator",
                (int)p->target_kind);
  if (p->n_samples < 0 || p->n_samples > PROFILE_MAX_SAMPLES)
    return fail(r, DLF_ERR_LIMIT, "%d samples, more than the limit of %d", p->n_samples,
                PROFILE_MAX_SAMPLES);
  if (p->n_samples > 0 && !p->samples) return fail(r, DLF_ERR_INVALID_ARG, "samples is NULL");
  return DLF_OK;
}

/* ------------------------------------------------------------ the reader -- */


/* dlf_json_check_keys, failing in this reader's words. */
static dlf_status check_keys(const reader *r, const cJSON *obj, const char *where,
                             const char *const *allowed, int n_allowed) {
  char msg[512];
  if (dlf_json_check_keys(obj, where, allowed, n_allowed, msg, sizeof msg) != DLF_OK)
    return fail(r, DLF_ERR_PARSE, "%s", msg);
  return DLF_OK;
}

static dlf_status get(const reader *r, const cJSON *obj, const char *key, const char *where,
                      const cJSON **out) {
  *out = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!*out) return fail(r, DLF_ERR_PARSE, "missing key '%s' in %s", key, where);
  return DLF_OK;
}

/* An exact integer in [lo, hi]: JSON numbers are doubles to cJSON, so 2.5 and 1e300 are
 * refused here rather than truncated. */
static dlf_status get_int(const reader *r, const cJSON *obj, const char *key, int64_t lo,
                          int64_t hi, int64_t *out) {
  char buf[64];
  const cJSON *it;
  DLF_TRY(get(r, obj, key, "a sample", &it));
  double d = cJSON_IsNumber(it) ? it->valuedouble : NAN;
  if (!isfinite(d) || d != floor(d))
    return fail(r, DLF_ERR_PARSE, "'%s' must be an integer, got %s", key,
                dlf_json_what(it, buf, sizeof buf));
  if (d < (double)lo || d > (double)hi)
    return fail(r, DLF_ERR_PARSE, "'%s' %s out of range (%" PRId64 " to %" PRId64 ")", key,
                dlf_json_number(d, buf, sizeof buf), lo, hi);
  *out = (int64_t)d;
  return DLF_OK;
}

/* A finite number >= 0 (-0 reads as 0, so the writer never writes "-0"). */
static dlf_status get_num(const reader *r, const cJSON *obj, const char *key, double *out) {
  char buf[64];
  const cJSON *it;
  DLF_TRY(get(r, obj, key, "a sample", &it));
  if (!cJSON_IsNumber(it))
    return fail(r, DLF_ERR_PARSE, "'%s' must be a number, got %s", key,
                dlf_json_what(it, buf, sizeof buf));
  double d = it->valuedouble;
  if (!isfinite(d) || d < 0)
    return fail(r, DLF_ERR_PARSE, "'%s' must be a finite number >= 0, got %s", key,
                dlf_json_number(d, buf, sizeof buf));
  *out = d == 0 ? 0.0 : d;
  return DLF_OK;
}

/* A string of at most size - 1 bytes, copied into buf. */
static dlf_status get_str(const reader *r, const cJSON *obj, const char *key, const char *where,
                          char *out, size_t size) {
  char buf[80];
  const cJSON *it;
  DLF_TRY(get(r, obj, key, where, &it));
  if (!cJSON_IsString(it))
    return fail(r, DLF_ERR_PARSE, "'%s' must be a string, got %s", key,
                dlf_json_what(it, buf, sizeof buf));
  size_t n = strlen(it->valuestring);
  if (n >= size)
    return fail(r, DLF_ERR_PARSE, "'%s' is %zu bytes long, more than %zu", key, n, size - 1);
  memcpy(out, it->valuestring, n + 1);
  return DLF_OK;
}

static const char *const sample_keys[] = {"op",     "h",     "w",     "cin",  "cout", "k",
                                          "stride", "fused", "cores", "macs", "us",   "us_unfused"};

static dlf_status read_sample(const reader *r, const cJSON *obj, profile_sample *s) {
  char buf[80];
  if (!cJSON_IsObject(obj))
    return fail(r, DLF_ERR_PARSE, "a sample must be an object, got %s",
                dlf_json_what(obj, buf, sizeof buf));
  DLF_TRY(check_keys(r, obj, "a sample", sample_keys,
                     (int)(sizeof sample_keys / sizeof sample_keys[0])));
  const cJSON *op;
  DLF_TRY(get(r, obj, "op", "a sample", &op));
  if (!cJSON_IsString(op))
    return fail(r, DLF_ERR_PARSE, "'op' must be a string, got %s",
                dlf_json_what(op, buf, sizeof buf));
  if (!op_known(op->valuestring))
    return fail(r, DLF_ERR_PARSE, "'op': unknown op '%s' (expected conv, dwconv, pool or gemm)",
                dlf_json_shown(op->valuestring, buf, sizeof buf));
  strcpy(s->op, op->valuestring); /* a known name: fits */
  DLF_TRY(get_int(r, obj, "h", 1, PROFILE_MAX_DIM, &s->h));
  DLF_TRY(get_int(r, obj, "w", 1, PROFILE_MAX_DIM, &s->w));
  DLF_TRY(get_int(r, obj, "cin", 1, PROFILE_MAX_DIM, &s->cin));
  DLF_TRY(get_int(r, obj, "cout", 1, PROFILE_MAX_DIM, &s->cout));
  DLF_TRY(get_int(r, obj, "k", 1, PROFILE_MAX_DIM, &s->k));
  DLF_TRY(get_int(r, obj, "stride", 1, PROFILE_MAX_DIM, &s->stride));
  int64_t v;
  DLF_TRY(get_int(r, obj, "fused", 1, PROFILE_MAX_FUSED, &v));
  s->fused = (int)v;
  DLF_TRY(get_int(r, obj, "cores", 1, TARGET_MAX_CORES, &v));
  s->cores = (int)v;
  DLF_TRY(get_num(r, obj, "macs", &s->macs));
  DLF_TRY(get_num(r, obj, "us", &s->us));
  DLF_TRY(get_num(r, obj, "us_unfused", &s->us_unfused));
  return check_sample(r, s); /* the rules between fields */
}


static const char *const layer_keys[] = {"op", "h", "w", "cin", "cout", "k", "stride", "residual"};
static const char *const block_keys[] = {"layers", "cores", "in_bytes", "out_bytes", "us"};

/* get_int and get_num in a block's words: the message names the block (and layer). */
static dlf_status block_int(const reader *r, int layer, const cJSON *obj, const char *key,
                            int64_t lo, int64_t hi, int64_t *out) {
  char buf[64];
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) return fail_block(r, layer, DLF_ERR_PARSE, "missing key '%s'", key);
  double d = cJSON_IsNumber(it) ? it->valuedouble : NAN;
  if (!isfinite(d) || d != floor(d))
    return fail_block(r, layer, DLF_ERR_PARSE, "'%s' must be an integer, got %s", key,
                      dlf_json_what(it, buf, sizeof buf));
  if (d < (double)lo || d > (double)hi)
    return fail_block(r, layer, DLF_ERR_PARSE, "'%s' %s out of range (%" PRId64 " to %" PRId64 ")",
                      key, dlf_json_number(d, buf, sizeof buf), lo, hi);
  *out = (int64_t)d;
  return DLF_OK;
}

static dlf_status block_keys_ok(const reader *r, int layer, const cJSON *obj, const char *where,
                                const char *const *allowed, int n) {
  char msg[512], buf[80];
  if (!cJSON_IsObject(obj))
    return fail_block(r, layer, DLF_ERR_PARSE, "%s must be an object, got %s", where,
                      dlf_json_what(obj, buf, sizeof buf));
  if (dlf_json_check_keys(obj, where, allowed, n, msg, sizeof msg) != DLF_OK)
    return fail_block(r, layer, DLF_ERR_PARSE, "%s", msg);
  return DLF_OK;
}

static dlf_status read_block(const reader *r, const cJSON *obj, profile_block *b) {
  char buf[80];
  DLF_TRY(block_keys_ok(r, -1, obj, "a block", block_keys,
                        (int)(sizeof block_keys / sizeof block_keys[0])));
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(obj, "layers");
  if (!layers) return fail_block(r, -1, DLF_ERR_PARSE, "missing key 'layers'");
  if (!cJSON_IsArray(layers))
    return fail_block(r, -1, DLF_ERR_PARSE, "'layers' must be an array, got %s",
                      dlf_json_what(layers, buf, sizeof buf));
  int n = cJSON_GetArraySize(layers);
  if (n < 2 || n > PROFILE_MAX_BLOCK_LAYERS)
    return fail_block(r, -1, DLF_ERR_PARSE, "%d layers, expected 2 to %d", n,
                      PROFILE_MAX_BLOCK_LAYERS);
  b->n_layers = n;
  int i = 0;
  for (const cJSON *it = layers->child; it; it = it->next, i++) {
    profile_layer *l = &b->layers[i];
    DLF_TRY(block_keys_ok(r, i, it, "a layer", layer_keys,
                          (int)(sizeof layer_keys / sizeof layer_keys[0])));
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(it, "op");
    if (!op) return fail_block(r, i, DLF_ERR_PARSE, "missing key 'op'");
    if (!cJSON_IsString(op) || !layer_op_known(op->valuestring))
      return fail_block(r, i, DLF_ERR_PARSE,
                        "'op' must be conv, dwconv, pool, concat or add, got %s",
                        cJSON_IsString(op) ? dlf_json_shown(op->valuestring, buf, sizeof buf)
                                           : dlf_json_what(op, buf, sizeof buf));
    strcpy(l->op, op->valuestring); /* a known name: fits */
    int64_t *dst[6] = {&l->h, &l->w, &l->cin, &l->cout, &l->k, &l->stride};
    for (int d = 0; d < 6; d++)
      DLF_TRY(block_int(r, i, it, layer_keys[1 + d], 1, PROFILE_MAX_DIM, dst[d]));
    int64_t v;
    DLF_TRY(block_int(r, i, it, "residual", 0, 1, &v));
    l->residual = (int)v;
  }
  int64_t v;
  DLF_TRY(block_int(r, -1, obj, "cores", 1, TARGET_MAX_CORES, &v));
  b->cores = (int)v;
  DLF_TRY(block_int(r, -1, obj, "in_bytes", 1, PROFILE_MAX_BYTES_FIELD, &b->in_bytes));
  DLF_TRY(block_int(r, -1, obj, "out_bytes", 1, PROFILE_MAX_BYTES_FIELD, &b->out_bytes));
  const cJSON *us = cJSON_GetObjectItemCaseSensitive(obj, "us");
  if (!us) return fail_block(r, -1, DLF_ERR_PARSE, "missing key 'us'");
  if (!cJSON_IsNumber(us))
    return fail_block(r, -1, DLF_ERR_PARSE, "'us' must be a number, got %s",
                      dlf_json_what(us, buf, sizeof buf));
  b->us = us->valuedouble;
  return check_block(r, b);
}

static dlf_status read_fingerprint(const reader *r, const cJSON *t, uint64_t *out) {
  char msg[256];
  const cJSON *it;
  DLF_TRY(get(r, t, "fingerprint", "'target'", &it));
  if (dlf_json_fingerprint(it, out, msg, sizeof msg) != DLF_OK)
    return fail(r, DLF_ERR_PARSE, "%s", msg);
  return DLF_OK;
}

static dlf_status read_target(const reader *r, const cJSON *root, profile *p) {
  static const char *const keys[] = {"name", "kind", "fingerprint"};
  char buf[80], kind[16];
  const cJSON *t;
  DLF_TRY(get(r, root, "target", "the profile", &t));
  if (!cJSON_IsObject(t))
    return fail(r, DLF_ERR_PARSE, "'target' must be an object, got %s",
                dlf_json_what(t, buf, sizeof buf));
  DLF_TRY(check_keys(r, t, "'target'", keys, 3));
  DLF_TRY(get_str(r, t, "name", "'target'", p->target_name, sizeof p->target_name));
  DLF_TRY(get_str(r, t, "kind", "'target'", kind, sizeof kind));
  if (strcmp(kind, "cpu") == 0)
    p->target_kind = TARGET_CPU;
  else if (strcmp(kind, "accelerator") == 0)
    p->target_kind = TARGET_ACCEL;
  else
    return fail(r, DLF_ERR_PARSE, "target 'kind' must be \"cpu\" or \"accelerator\", got '%s'",
                dlf_json_shown(kind, buf, sizeof buf));
  return read_fingerprint(r, t, &p->target_fingerprint);
}

static const char *const top_keys[] = {"dlfusion_profile", "target", "machine", "isa", "samples",
                                       "blocks"};

static dlf_status read_profile(reader *r, const cJSON *root, profile *p) {
  char buf[80];
  if (!cJSON_IsObject(root))
    return fail(r, DLF_ERR_PARSE, "a profile must be a JSON object, got %s",
                dlf_json_what(root, buf, sizeof buf));
  const cJSON *tag = cJSON_GetObjectItemCaseSensitive(root, "dlfusion_profile");
  if (!tag)
    return fail(r, DLF_ERR_PARSE,
                "not a dlfusion profile: no \"dlfusion_profile\" key (the "
                "format version)");
  /* The version first: a later version may have other keys. */
  double d = cJSON_IsNumber(tag) ? tag->valuedouble : NAN;
  if (!isfinite(d) || d != floor(d))
    return fail(r, DLF_ERR_PARSE, "'dlfusion_profile' must be an integer, got %s",
                dlf_json_what(tag, buf, sizeof buf));
  if (d < PROFILE_MIN_FORMAT_VERSION || d > PROFILE_FORMAT_VERSION)
    return fail(r, DLF_ERR_UNSUPPORTED,
                "unsupported profile format version %s (this dlfusion reads versions %d to %d)",
                dlf_json_number(d, buf, sizeof buf), PROFILE_MIN_FORMAT_VERSION,
                PROFILE_FORMAT_VERSION);
  p->version = (int)d;
  /* version 1 has no "blocks" key: it is refused there as an unknown key */
  DLF_TRY(check_keys(r, root, "the profile", top_keys, p->version >= 2 ? 6 : 5));
  DLF_TRY(read_target(r, root, p));
  DLF_TRY(get_str(r, root, "machine", "the profile", p->machine, sizeof p->machine));
  DLF_TRY(get_str(r, root, "isa", "the profile", p->isa, sizeof p->isa));
  const cJSON *samples;
  DLF_TRY(get(r, root, "samples", "the profile", &samples));
  if (!cJSON_IsArray(samples))
    return fail(r, DLF_ERR_PARSE, "'samples' must be an array, got %s",
                dlf_json_what(samples, buf, sizeof buf));
  int n = cJSON_GetArraySize(samples);
  if (n > PROFILE_MAX_SAMPLES)
    return fail(r, DLF_ERR_LIMIT, "%d samples, more than the limit of %d", n, PROFILE_MAX_SAMPLES);
  p->samples = dlf_calloc_array((size_t)n + 1, sizeof *p->samples);
  if (!p->samples) return fail(r, DLF_ERR_NOMEM, "out of memory reading %d samples", n);
  for (const cJSON *it = samples->child; it; it = it->next) {
    r->sample = p->n_samples;
    DLF_TRY(read_sample(r, it, &p->samples[p->n_samples]));
    p->n_samples++;
  }
  r->sample = -1;
  const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(root, "blocks");
  if (!blocks) return DLF_OK; /* optional in version 2 */
  if (!cJSON_IsArray(blocks))
    return fail(r, DLF_ERR_PARSE, "'blocks' must be an array, got %s",
                dlf_json_what(blocks, buf, sizeof buf));
  int nb = cJSON_GetArraySize(blocks);
  if (nb > PROFILE_MAX_SAMPLES)
    return fail(r, DLF_ERR_LIMIT, "%d blocks, more than the limit of %d", nb, PROFILE_MAX_SAMPLES);
  p->blocks = dlf_calloc_array((size_t)nb + 1, sizeof *p->blocks);
  if (!p->blocks) return fail(r, DLF_ERR_NOMEM, "out of memory reading %d blocks", nb);
  for (const cJSON *it = blocks->child; it; it = it->next) {
    r->block = p->n_blocks;
    DLF_TRY(read_block(r, it, &p->blocks[p->n_blocks]));
    p->n_blocks++;
  }
  return DLF_OK;
}

dlf_status profile_parse(const char *json, size_t len, const char *source, profile *out) {
  reader r = {.source = source ? source : "profile", .sample = -1};
  if (!out) return fail(&r, DLF_ERR_INVALID_ARG, "profile_parse: out is NULL");
  memset(out, 0, sizeof *out);
  if (!json) return fail(&r, DLF_ERR_INVALID_ARG, "no profile text");
  if (len > PROFILE_MAX_BYTES)
    return fail(&r, DLF_ERR_LIMIT, "profile is %zu bytes, more than the %zu-byte limit", len,
                PROFILE_MAX_BYTES);
  /* NUL bytes, nesting and syntax; under the one lock every cJSON reader shares */
  cJSON *root;
  DLF_TRY(dlf_json_parse(r.source, json, len, PROFILE_MAX_DEPTH, &root));
  dlf_status st = read_profile(&r, root, out);
  cJSON_Delete(root);
  if (st != DLF_OK) profile_free(out);
  return st;
}

dlf_status profile_load(const char *path, profile *out) {
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "profile_load: out is NULL");
  memset(out, 0, sizeof *out);
  if (!path) return dlf_error(DLF_ERR_INVALID_ARG, "profile_load: path is NULL");
  char *text;
  size_t len;
  DLF_TRY(dlf_read_file(path, PROFILE_MAX_BYTES, "profile", &text, &len));
  dlf_status st = profile_parse(text, len, path, out);
  free(text);
  return st;
}

bool profile_equal(const profile *a, const profile *b) {
  if (a->version != b->version || strcmp(a->target_name, b->target_name) != 0 ||
      a->target_kind != b->target_kind || a->target_fingerprint != b->target_fingerprint ||
      strcmp(a->machine, b->machine) != 0 || strcmp(a->isa, b->isa) != 0 ||
      a->n_samples != b->n_samples || a->n_blocks != b->n_blocks)
    return false;
  for (int i = 0; i < a->n_blocks; i++) {
    const profile_block *x = &a->blocks[i], *y = &b->blocks[i];
    if (x->n_layers != y->n_layers || x->cores != y->cores || x->in_bytes != y->in_bytes ||
        x->out_bytes != y->out_bytes || x->us != y->us)
      return false;
    for (int l = 0; l < x->n_layers; l++) {
      const profile_layer *u = &x->layers[l], *v = &y->layers[l];
      if (strcmp(u->op, v->op) != 0 || u->h != v->h || u->w != v->w || u->cin != v->cin ||
          u->cout != v->cout || u->k != v->k || u->stride != v->stride ||
          u->residual != v->residual)
        return false;
    }
  }
  for (int i = 0; i < a->n_samples; i++) {
    const profile_sample *x = &a->samples[i], *y = &b->samples[i];
    if (strcmp(x->op, y->op) != 0 || x->h != y->h || x->w != y->w || x->cin != y->cin ||
        x->cout != y->cout || x->k != y->k || x->stride != y->stride || x->fused != y->fused ||
        x->cores != y->cores || x->macs != y->macs || x->us != y->us ||
        x->us_unfused != y->us_unfused)
      return false;
  }
  return true;
}

/* ------------------------------------------------------------ the writer -- */


/* The JSON text of p into *out (malloc'd); p is checked first, so that what is written
 * reads back. */
static dlf_status write_json(const profile *p, char **out) {
  reader r = {.source = "profile", .sample = -1};
  *out = NULL;
  if (!p) return fail(&r, DLF_ERR_INVALID_ARG, "profile_to_json: profile is NULL");
  DLF_TRY(check_header(&r, p));
  for (int i = 0; i < p->n_samples; i++) {
    r.sample = i;
    DLF_TRY(check_sample(&r, &p->samples[i]));
  }
  r.sample = -1;
  for (int i = 0; i < p->n_blocks; i++) {
    r.block = i;
    DLF_TRY(check_block(&r, &p->blocks[i]));
  }
  dlf_jbuf b = {0};
  dlf_jbuf_printf(&b, "{\"dlfusion_profile\": %d,\n \"target\": {\"name\": ", p->version);
  dlf_jbuf_string(&b, p->target_name);
  dlf_jbuf_printf(&b, ", \"kind\": \"%s\", \"fingerprint\": \"%016" PRIx64 "\"},\n \"machine\": ",
       kind_name(p->target_kind), p->target_fingerprint);
  dlf_jbuf_string(&b, p->machine);
  dlf_jbuf_puts(&b, ",\n \"isa\": ");
  dlf_jbuf_string(&b, p->isa);
  dlf_jbuf_puts(&b, ",\n \"samples\": [");
  for (int i = 0; i < p->n_samples; i++) {
    const profile_sample *s = &p->samples[i];
    /* %.17g: every double reads back to the same bits */
    dlf_jbuf_printf(&b,
         "%s\n  {\"op\": \"%s\", \"h\": %" PRId64 ", \"w\": %" PRId64 ", \"cin\": %" PRId64
         ", \"cout\": %" PRId64 ", \"k\": %" PRId64 ", \"stride\": %" PRId64
         ", \"fused\": %d, \"cores\": %d, \"macs\": %.17g, \"us\": %.17g, "
         "\"us_unfused\": %.17g}",
         i ? "," : "", s->op, s->h, s->w, s->cin, s->cout, s->k, s->stride, s->fused, s->cores,
         s->macs == 0 ? 0.0 : s->macs, s->us == 0 ? 0.0 : s->us,
         s->us_unfused == 0 ? 0.0 : s->us_unfused);
  }
  dlf_jbuf_puts(&b, p->n_samples ? "\n ]" : "]");
  if (p->version >= 2 && p->n_blocks > 0) {
    dlf_jbuf_puts(&b, ",\n \"blocks\": [");
    for (int i = 0; i < p->n_blocks; i++) {
      const profile_block *bl = &p->blocks[i];
      dlf_jbuf_printf(&b, "%s\n  {\"layers\": [", i ? "," : "");
      for (int l = 0; l < bl->n_layers; l++) {
        const profile_layer *y = &bl->layers[l];
        dlf_jbuf_printf(&b,
                        "%s{\"op\": \"%s\", \"h\": %" PRId64 ", \"w\": %" PRId64
                        ", \"cin\": %" PRId64 ", \"cout\": %" PRId64 ", \"k\": %" PRId64
                        ", \"stride\": %" PRId64 ", \"residual\": %d}",
                        l ? ", " : "", y->op, y->h, y->w, y->cin, y->cout, y->k, y->stride,
                        y->residual);
      }
      dlf_jbuf_printf(&b,
                      "], \"cores\": %d, \"in_bytes\": %" PRId64 ", \"out_bytes\": %" PRId64
                      ", \"us\": %.17g}",
                      bl->cores, bl->in_bytes, bl->out_bytes, bl->us);
    }
    dlf_jbuf_puts(&b, "\n ]");
  }
  dlf_jbuf_puts(&b, "\n}\n");
  if (b.failed) {
    free(b.s);
    return dlf_error(DLF_ERR_NOMEM, "out of memory writing a profile");
  }
  if (b.len > PROFILE_MAX_BYTES) {
    free(b.s);
    return dlf_error(DLF_ERR_LIMIT,
                     "profile: %zu bytes of JSON, more than the %zu-byte limit "
                     "of the reader",
                     b.len, PROFILE_MAX_BYTES);
  }
  *out = b.s;
  return DLF_OK;
}

char *profile_to_json(const profile *p) {
  char *s;
  return write_json(p, &s) == DLF_OK ? s : NULL;
}

dlf_status profile_save(const profile *p, const char *path) {
  if (!p || !path)
    return dlf_error(DLF_ERR_INVALID_ARG, "profile_save: %s is NULL", p ? "path" : "profile");
  char *s;
  dlf_status st = write_json(p, &s);
  if (st != DLF_OK) return dlf_error_prefix(st, "%s", path);
  const void *parts[1] = {s};
  const size_t sizes[1] = {strlen(s)};
  st = dlf_write_file(path, parts, sizes, 1, "cannot write the profile");
  free(s);
  return st;
}
