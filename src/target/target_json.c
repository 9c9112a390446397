/* target_json.c — the target file format (docs/targets.md): JSON text <-> target struct. The
 * reader treats its input as hostile: every key known and given once, every value typed and
 * range-checked, each failure one line naming the file and the field. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "core/status.h"
#include "target/target.h"

/* A target file is a dozen numbers: 1 MiB is far more than any comment needs. */
#define TARGET_FILE_MAX_BYTES ((size_t)1 << 20)
/* The format nests 2 levels (the file, "accel"); a little slack, then refuse. */
#define TARGET_JSON_MAX_DEPTH 8

/* --------------------------------------------------- the model parameters -- */

typedef enum field_type {
  F_POSITIVE, /* a finite double > 0 */
  F_NONNEG,   /* a finite double >= 0 (costs a machine may not have) */
  F_INT,      /* an exact integer that fits an int */
  F_INT64,    /* an exact integer (doubles hold integers exactly up to 2^53) */
} field_type;

/* One row per "accel" key: the order they are written in. The bounds keep every derived
 * time finite (no 1e-300 GFLOP/s turning a layer into infinity) and are far outside any
 * real machine. */
typedef struct accel_field {
  const char *key;
  field_type type;
  size_t offset;
  double min, max;
} accel_field;

#define FIELD(key, type, min, max)                                                                 \
  { #key, type, offsetof(target_accel, key), min, max }
static const accel_field accel_fields[] = {
    FIELD(clock_ghz, F_POSITIVE, 1e-3, 1e3),
    FIELD(peak_gflops_per_core, F_POSITIVE, 1e-3, 1e9),
    FIELD(lanes, F_INT, 1, 65536),
    FIELD(onchip_bytes_per_core, F_INT64, 1, (double)((int64_t)1 << 40)),
    FIELD(dram_channels, F_INT, 1, TARGET_MAX_CORES),
    FIELD(dram_gbps_per_channel, F_POSITIVE, 1e-3, 1e9),
    FIELD(cores_per_channel, F_INT, 1, TARGET_MAX_CORES),
    FIELD(launch_us, F_NONNEG, 0, 1e9),
    FIELD(sync_base_us, F_NONNEG, 0, 1e9),
    FIELD(sync_per_log2_us, F_NONNEG, 0, 1e9),
};
#undef FIELD
#define N_ACCEL_FIELDS ((int)(sizeof accel_fields / sizeof accel_fields[0]))

/* The optional "sim" object: the detailed simulator's own parameters (docs/targets.md). */
#define FIELD(key, type, min, max)                                                                 \
  { #key, type, offsetof(target_sim, key), min, max }
static const accel_field sim_fields[] = {
    FIELD(elem_bytes, F_INT, 1, 8),
    FIELD(vector_elems_per_cycle, F_POSITIVE, 1e-3, 1e9),
    FIELD(dma_setup_us, F_NONNEG, 0, 1e9),
};
#undef FIELD
#define N_SIM_FIELDS ((int)(sizeof sim_fields / sizeof sim_fields[0]))

static double field_get(const void *a, const accel_field *f) {
  const char *p = (const char *)a + f->offset;
  switch (f->type) {
  case F_INT: return *(const int *)p;
  case F_INT64: return (double)*(const int64_t *)p;
  default: return *(const double *)p;
  }
}

/* ------------------------------------------------------------ the reader -- */


static dlf_status DLF_PRINTF(3, 4) fail(const char *source, dlf_status code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return dlf_error(code, "%s: %s", source, msg);
}

/* JSON numbers are doubles to cJSON: 2.5, 1e300 and values past the range are refused here
 * rather than truncated. */
static bool exact_int(const cJSON *it, double lo, double hi, double *out) {
  if (!cJSON_IsNumber(it)) return false;
  double d = it->valuedouble;
  if (!isfinite(d) || d != floor(d) || d < lo || d > hi) return false;
  *out = d;
  return true;
}

/* An integer in [lo, hi]: "F must be an integer, got X" or "F N out of range (lo to hi)". */
static dlf_status get_int(const char *src, const cJSON *it, const char *field, int64_t lo,
                          int64_t hi, int64_t *out) {
  char buf[64];
  double d;
  if (!exact_int(it, -HUGE_VAL, HUGE_VAL, &d))
    return fail(src, DLF_ERR_PARSE, "%s must be an integer, got %s", field,
                dlf_json_what(it, buf, sizeof buf));
  if (d < (double)lo || d > (double)hi)
    return fail(src, DLF_ERR_INVALID_ARG, "%s %s out of range (%lld to %lld)", field,
                dlf_json_what(it, buf, sizeof buf), (long long)lo, (long long)hi);
  *out = (int64_t)d;
  return DLF_OK;
}

/* dlf_json_check_keys, failing as "<source>: ...". */
static dlf_status check_keys(const char *src, const cJSON *obj, const char *where,
                             const char *const *allowed, int n_allowed) {
  char msg[512];
  if (dlf_json_check_keys(obj, where, allowed, n_allowed, msg, sizeof msg) != DLF_OK)
    return fail(src, DLF_ERR_PARSE, "%s", msg);
  return DLF_OK;
}

static dlf_status read_name(const char *src, const cJSON *it, target *t) {
  char buf[80];
  if (!cJSON_IsString(it))
    return fail(src, DLF_ERR_PARSE, "name must be a string, got %s",
                dlf_json_what(it, buf, sizeof buf));
  const char *s = it->valuestring;
  size_t n = strlen(s);
  if (n == 0) return fail(src, DLF_ERR_INVALID_ARG, "name must not be empty");
  if (n >= TARGET_NAME_MAX)
    return fail(src, DLF_ERR_INVALID_ARG, "name '%s' is %zu bytes long (at most %d)",
                dlf_json_shown(s, buf, sizeof buf), n, TARGET_NAME_MAX - 1);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return fail(src, DLF_ERR_INVALID_ARG,
                  "name '%s' has a control character (byte 0x%02x at offset %zu)",
                  dlf_json_shown(s, buf, sizeof buf), (unsigned char)s[i], i);
  memcpy(t->name, s, n + 1);
  return DLF_OK;
}

static dlf_status read_core_numbers(const char *src, const cJSON *arr, target *t) {
  char buf[64], field[48];
  if (!cJSON_IsArray(arr))
    return fail(src, DLF_ERR_PARSE, "core_numbers must be an array of integers, got %s",
                dlf_json_what(arr, buf, sizeof buf));
  int n = cJSON_GetArraySize(arr);
  if (n == 0) return fail(src, DLF_ERR_INVALID_ARG, "core_numbers must not be empty");
  if (n > TARGET_MAX_CORE_NUMBERS)
    return fail(src, DLF_ERR_LIMIT, "core_numbers lists %d values (at most %d)", n,
                TARGET_MAX_CORE_NUMBERS);
  int i = 0;
  for (const cJSON *it = arr->child; it; it = it->next, i++) {
    int64_t v;
    snprintf(field, sizeof field, "core_numbers[%d]", i);
    DLF_TRY(get_int(src, it, field, 1, t->cores, &v));
    if (i > 0 && v <= t->core_numbers[i - 1])
      return fail(src, DLF_ERR_INVALID_ARG,
                  "core_numbers must be strictly ascending: core_numbers[%d] = %lld follows %d", i,
                  (long long)v, t->core_numbers[i - 1]);
    t->core_numbers[i] = (int)v;
  }
  t->n_core_numbers = n;
  return DLF_OK;
}

static dlf_status read_accel_field(const char *src, const cJSON *it, const accel_field *f,
                                   const char *section, void *a) {
  char buf[64], field[64];
  snprintf(field, sizeof field, "%s.%s", section, f->key);
  char *p = (char *)a + f->offset;
  if (f->type == F_INT || f->type == F_INT64) {
    int64_t v;
    if (cJSON_IsNumber(it) && it->valuedouble <= 0)
      return fail(src, DLF_ERR_INVALID_ARG, "%s must be a positive integer, got %s", field,
                  dlf_json_what(it, buf, sizeof buf));
    DLF_TRY(get_int(src, it, field, (int64_t)f->min, (int64_t)f->max, &v));
    if (f->type == F_INT)
      *(int *)p = (int)v;
    else
      *(int64_t *)p = v;
    return DLF_OK;
  }
  const char *want = f->type == F_POSITIVE ? "a positive number" : "a non-negative number";
  if (!cJSON_IsNumber(it))
    return fail(src, DLF_ERR_PARSE, "%s must be %s, got %s", field, want,
                dlf_json_what(it, buf, sizeof buf));
  double d = it->valuedouble;
  /* cJSON reads 1e999 as inf; JSON cannot spell NaN, but the test costs nothing. */
  if (!isfinite(d) || (f->type == F_POSITIVE ? !(d > 0) : !(d >= 0)))
    return fail(src, DLF_ERR_INVALID_ARG, "%s must be %s, got %s", field, want,
                dlf_json_what(it, buf, sizeof buf));
  if (d < f->min || d > f->max) {
    char lo[32], hi[32];
    return fail(src, DLF_ERR_INVALID_ARG, "%s %s out of range (%s to %s)", field,
                dlf_json_what(it, buf, sizeof buf), dlf_json_number(f->min, lo, sizeof lo),
                dlf_json_number(f->max, hi, sizeof hi));
  }
  *(double *)p = d;
  return DLF_OK;
}

static dlf_status read_accel(const char *src, const cJSON *obj, target *t) {
  char buf[64];
  const char *keys[N_ACCEL_FIELDS];
  if (!cJSON_IsObject(obj))
    return fail(src, DLF_ERR_PARSE, "accel must be an object, got %s",
                dlf_json_what(obj, buf, sizeof buf));
  for (int i = 0; i < N_ACCEL_FIELDS; i++)
    keys[i] = accel_fields[i].key;
  DLF_TRY(check_keys(src, obj, "accel", keys, N_ACCEL_FIELDS));
  for (int i = 0; i < N_ACCEL_FIELDS; i++) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, accel_fields[i].key);
    if (!it)
      return fail(src, DLF_ERR_PARSE,
                  "missing key 'accel.%s' (an accelerator needs every model "
                  "parameter)",
                  accel_fields[i].key);
    DLF_TRY(read_accel_field(src, it, &accel_fields[i], "accel", &t->accel));
  }
  if (t->accel.cores_per_channel > t->cores)
    return fail(src, DLF_ERR_INVALID_ARG,
                "accel.cores_per_channel %d is more than the target's %d cores",
                t->accel.cores_per_channel, t->cores);
  return DLF_OK;
}

static dlf_status read_sim(const char *src, const cJSON *obj, target *t) {
  char buf[64];
  const char *keys[N_SIM_FIELDS];
  if (!cJSON_IsObject(obj))
    return fail(src, DLF_ERR_PARSE, "sim must be an object, got %s",
                dlf_json_what(obj, buf, sizeof buf));
  for (int i = 0; i < N_SIM_FIELDS; i++)
    keys[i] = sim_fields[i].key;
  DLF_TRY(check_keys(src, obj, "sim", keys, N_SIM_FIELDS));
  for (int i = 0; i < N_SIM_FIELDS; i++) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, sim_fields[i].key);
    if (!it)
      return fail(src, DLF_ERR_PARSE,
                  "missing key 'sim.%s' (the detailed simulator needs every parameter)",
                  sim_fields[i].key);
    DLF_TRY(read_accel_field(src, it, &sim_fields[i], "sim", &t->sim));
  }
  t->sim.present = true;
  return DLF_OK;
}

static const char *const top_keys[] = {"dlfusion_target", "name",  "kind", "cores",
                                       "core_numbers",    "accel", "sim",  "comment"};

static dlf_status read_target(const char *src, const cJSON *root, target *t) {
  char buf[80];
  if (!cJSON_IsObject(root))
    return fail(src, DLF_ERR_PARSE, "a target must be a JSON object, got %s",
                dlf_json_what(root, buf, sizeof buf));
  const cJSON *tag = cJSON_GetObjectItemCaseSensitive(root, "dlfusion_target");
  if (!tag)
    return fail(src, DLF_ERR_PARSE,
                "not a dlfusion target: no \"dlfusion_target\" key (the format version)");
  /* The version first: a later version may have other keys. */
  double v;
  if (!exact_int(tag, -HUGE_VAL, HUGE_VAL, &v))
    return fail(src, DLF_ERR_PARSE,
                "dlfusion_target (the format version) must be an integer, "
                "got %s",
                dlf_json_what(tag, buf, sizeof buf));
  if (v != TARGET_FORMAT_VERSION)
    return fail(src, DLF_ERR_UNSUPPORTED,
                "unsupported target format version %s (this dlfusion reads version %d)",
                dlf_json_what(tag, buf, sizeof buf), TARGET_FORMAT_VERSION);
  t->version = TARGET_FORMAT_VERSION;
  DLF_TRY(
      check_keys(src, root, "the target", top_keys, (int)(sizeof top_keys / sizeof top_keys[0])));
  static const char *const required[] = {"name", "kind", "cores"};
  for (int i = 0; i < 3; i++)
    if (!cJSON_GetObjectItemCaseSensitive(root, required[i]))
      return fail(src, DLF_ERR_PARSE, "missing key '%s'", required[i]);
  DLF_TRY(read_name(src, cJSON_GetObjectItemCaseSensitive(root, "name"), t));

  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
  if (!cJSON_IsString(kind))
    return fail(src, DLF_ERR_PARSE, "kind must be \"accelerator\" or \"cpu\", got %s",
                dlf_json_what(kind, buf, sizeof buf));
  if (strcmp(kind->valuestring, "accelerator") == 0)
    t->kind = TARGET_ACCEL;
  else if (strcmp(kind->valuestring, "cpu") == 0)
    t->kind = TARGET_CPU;
  else
    return fail(src, DLF_ERR_INVALID_ARG, "kind must be \"accelerator\" or \"cpu\", got '%s'",
                dlf_json_shown(kind->valuestring, buf, sizeof buf));

  int64_t cores;
  const cJSON *cores_it = cJSON_GetObjectItemCaseSensitive(root, "cores");
  if (cJSON_IsNumber(cores_it) && cores_it->valuedouble <= 0)
    return fail(src, DLF_ERR_INVALID_ARG, "cores must be a positive integer, got %s",
                dlf_json_what(cores_it, buf, sizeof buf));
  DLF_TRY(get_int(src, cores_it, "cores", 1, TARGET_MAX_CORES, &cores));
  t->cores = (int)cores;

  const cJSON *numbers = cJSON_GetObjectItemCaseSensitive(root, "core_numbers");
  const cJSON *accel = cJSON_GetObjectItemCaseSensitive(root, "accel");
  const cJSON *simobj = cJSON_GetObjectItemCaseSensitive(root, "sim");
  const cJSON *comment = cJSON_GetObjectItemCaseSensitive(root, "comment");
  if (comment && !cJSON_IsString(comment))
    return fail(src, DLF_ERR_PARSE, "comment must be a string, got %s",
                dlf_json_what(comment, buf, sizeof buf));
  if (t->kind == TARGET_CPU) {
    if (accel)
      return fail(src, DLF_ERR_INVALID_ARG,
                  "accel is only for kind \"accelerator\" (a cpu target is measured, not "
                  "modelled)");
    if (simobj)
      return fail(src, DLF_ERR_INVALID_ARG,
                  "sim is only for kind \"accelerator\" (a cpu target is measured, not "
                  "simulated)");
    if (numbers)
      DLF_TRY(read_core_numbers(src, numbers, t));
    else
      target_default_core_numbers(t);
    return DLF_OK;
  }
  if (!numbers)
    return fail(src, DLF_ERR_PARSE,
                "missing key 'core_numbers' (an accelerator "
                "lists the core numbers a kernel may use)");
  DLF_TRY(read_core_numbers(src, numbers, t));
  if (!accel) return fail(src, DLF_ERR_PARSE, "missing key 'accel' (the accelerator's model)");
  DLF_TRY(read_accel(src, accel, t));
  return simobj ? read_sim(src, simobj, t) : DLF_OK;
}

dlf_status target_parse(const char *json, size_t len, const char *source, target *out) {
  const char *src = source ? source : "target";
  memset(out, 0, sizeof *out);
  if (len > TARGET_FILE_MAX_BYTES)
    return fail(src, DLF_ERR_LIMIT, "target is %zu bytes, more than the %zu-byte limit", len,
                TARGET_FILE_MAX_BYTES);
  cJSON *root;
  DLF_TRY(dlf_json_parse(src, json, len, TARGET_JSON_MAX_DEPTH, &root));
  target t;
  memset(&t, 0, sizeof t);
  dlf_status st = read_target(src, root, &t);
  cJSON_Delete(root);
  if (st != DLF_OK) return st;
  t.fingerprint = target_fingerprint(&t);
  *out = t;
  return DLF_OK;
}

dlf_status target_load(const char *path, target *out) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  DLF_TRY(dlf_read_file(path, TARGET_FILE_MAX_BYTES, "target", &text, &len));
  dlf_status st = target_parse(text, len, path, out);
  free(text);
  return st;
}

/* ------------------------------------------------------------ the writer -- */


char *target_to_json(const target *t) {
  dlf_jbuf b = {0};
  char num[40];
  dlf_jbuf_printf(&b, "{\n  \"dlfusion_target\": %d,\n  \"name\": ", TARGET_FORMAT_VERSION);
  dlf_jbuf_string(&b, t->name);
  dlf_jbuf_printf(&b, ",\n  \"kind\": \"%s\",\n  \"cores\": %d,\n  \"core_numbers\": [",
       t->kind == TARGET_ACCEL ? "accelerator" : "cpu", t->cores);
  for (int i = 0; i < t->n_core_numbers && i < TARGET_MAX_CORE_NUMBERS; i++)
    dlf_jbuf_printf(&b, "%s%d", i ? ", " : "", t->core_numbers[i]);
  dlf_jbuf_puts(&b, "]");
  if (t->kind == TARGET_ACCEL) {
    dlf_jbuf_puts(&b, ",\n  \"accel\": {");
    for (int i = 0; i < N_ACCEL_FIELDS; i++) {
      const accel_field *f = &accel_fields[i];
      double v = field_get(&t->accel, f);
      if (!isfinite(v)) b.failed = true; /* not JSON; the reader never makes one */
      dlf_jbuf_printf(&b, "%s\n    \"%s\": %s", i ? "," : "", f->key, dlf_json_number(v, num, sizeof num));
    }
    dlf_jbuf_puts(&b, "\n  }");
  }
  if (t->kind == TARGET_ACCEL && t->sim.present) {
    dlf_jbuf_puts(&b, ",\n  \"sim\": {");
    for (int i = 0; i < N_SIM_FIELDS; i++) {
      const accel_field *f = &sim_fields[i];
      double v = field_get(&t->sim, f);
      if (!isfinite(v)) b.failed = true;
      dlf_jbuf_printf(&b, "%s\n    \"%s\": %s", i ? "," : "", f->key,
                      dlf_json_number(v, num, sizeof num));
    }
    dlf_jbuf_puts(&b, "\n  }");
  }
  dlf_jbuf_puts(&b, "\n}\n");
  if (b.failed) {
    free(b.s);
    dlf_error(DLF_ERR_NOMEM,
              "target '%s': cannot write it as JSON (out of memory or a "
              "non-finite parameter)",
              t->name);
    return NULL;
  }
  return b.s;
}
