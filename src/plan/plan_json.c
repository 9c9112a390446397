/* plan_json.c — the plan file format: JSON text <-> plan struct (docs/plan.md). The reader
 * treats its input as hostile (size and depth caps, exact integers, duplicate and unknown keys
 * refused) and leaves every check against the model's semantics to plan_check. */
#include "plan/plan_json.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/json.h"


void plan_json_extra_free(plan_json_extra *e) {
  if (!e) return;
  free(e->comment);
  free(e->tuner);
  e->comment = e->tuner = NULL;
}

/* ------------------------------------------------------------ the reader -- */

typedef struct reader {
  const ir_graph *g;
  const char *source;
  int block; /* block being read (for messages), -1 outside the block list */
  int n_layers;
  int *layer_node; /* layer -> node */
  int *by_name;    /* layer indices sorted by name */
  int *stamp;      /* per layer: 1 + the block that listed it, 0 = none yet */
} reader;

static const char *layer_name(const reader *r, int layer) {
  const char *s = r->g->nodes[r->layer_node[layer]].name;
  return s ? s : "";
}

/* "layer 'conv1' (#0, Conv)": the same words as plan_check's messages. */
static const char *layer_str(const reader *r, int layer, char *buf, size_t size) {
  const ir_node *n = &r->g->nodes[r->layer_node[layer]];
  snprintf(buf, size, "layer '%.200s' (#%d, %s)", layer_name(r, layer), layer, ir_op_name(n->op));
  return buf;
}


/* Fail with "<source>: [block B: ]<message>". */
static dlf_status DLF_PRINTF(3, 4) fail(const reader *r, dlf_status code, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (r->block >= 0) return dlf_error(code, "%s: block %d: %s", r->source, r->block, msg);
  return dlf_error(code, "%s: %s", r->source, msg);
}

/* "a string", "the number 2.5", ... : what the file has where something else was expected. */
static const char *what_is(const cJSON *it, char *buf, size_t size) {
  if (cJSON_IsString(it)) return "a string";
  if (cJSON_IsArray(it)) return "an array";
  if (cJSON_IsObject(it)) return "an object";
  if (cJSON_IsBool(it)) return cJSON_IsTrue(it) ? "true" : "false";
  if (cJSON_IsNull(it)) return "null";
  if (cJSON_IsNumber(it)) {
    snprintf(buf, size, "the number %.17g", it->valuedouble);
    return buf;
  }
  return "an unknown value";
}

/* An exact integer that fits an int: JSON numbers are doubles to cJSON, so 2.5, 1e300 and
 * values past INT_MAX are refused here rather than truncated. */
static bool exact_int(const cJSON *it, int *out) {
  if (!cJSON_IsNumber(it)) return false;
  double d = it->valuedouble;
  if (!isfinite(d) || d != floor(d) || d < -2147483648.0 || d > 2147483647.0) return false;
  *out = (int)d;
  return true;
}

static dlf_status get_int(const reader *r, const cJSON *it, const char *key, int *out) {
  char buf[64];
  if (!exact_int(it, out))
    return fail(r, DLF_ERR_PARSE, "'%s' must be an integer, got %s", key,
                what_is(it, buf, sizeof buf));
  return DLF_OK;
}

/* dlf_json_check_keys, failing in this reader's words ("<source>: [block B: ]..."). */
static dlf_status check_keys(const reader *r, const cJSON *obj, const char *where,
                             const char *const *allowed, int n_allowed) {
  char msg[512];
  if (dlf_json_check_keys(obj, where, allowed, n_allowed, msg, sizeof msg) != DLF_OK)
    return fail(r, DLF_ERR_PARSE, "%s", msg);
  return DLF_OK;
}

static const cJSON *require(const reader *r, const cJSON *obj, const char *key, const char *where,
                            dlf_status *st) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) *st = fail(r, DLF_ERR_PARSE, "missing key '%s' in %s", key, where);
  return it;
}

/* Before cJSON sees the text: no NUL bytes, raw or escaped (cJSON would stop there), nesting no
 * deeper than PLAN_JSON_MAX_DEPTH (cJSON recurses once per level). */
static dlf_status prescan(const reader *r, const char *text, size_t len) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < len; i++) {
    char ch = text[i];
    if (ch == '\0') return fail(r, DLF_ERR_PARSE, "not valid JSON: a NUL byte at offset %zu", i);
    if (in_string) {
      if (escaped && ch == 'u' && len - i > 4 && memcmp(text + i + 1, "0000", 4) == 0)
        /* cJSON would cut the string there: "features.0\u0000x" must not read as "features.0" */
        return fail(r, DLF_ERR_PARSE, "a \\u0000 escape (NUL) in a string at offset %zu", i - 1);
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > PLAN_JSON_MAX_DEPTH)
        return fail(r, DLF_ERR_LIMIT, "JSON nested deeper than %d levels", PLAN_JSON_MAX_DEPTH);
    } else if (ch == ']' || ch == '}') {
      depth--;
    }
  }
  return DLF_OK;
}

static void line_col(const char *text, size_t offset, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}

/* A layer and its name, sorted by name then index: qsort's comparator sees only the two
 * elements (C11 has no context argument), so each carries its name. */
typedef struct named_layer {
  const char *name;
  int layer;
} named_layer;

static int cmp_named_layers(const void *a, const void *b) {
  const named_layer *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->layer > y->layer) - (x->layer < y->layer);
}

/* Layers whose name is s: the first position in by_name and the count. */
static int find_name(const reader *r, const char *s, int *count) {
  int lo = 0, hi = r->n_layers;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (strcmp(layer_name(r, r->by_name[mid]), s) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  int n = 0;
  while (lo + n < r->n_layers && strcmp(layer_name(r, r->by_name[lo + n]), s) == 0)
    n++;
  *count = n;
  return lo;
}

static bool all_digits(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

static dlf_status index_in_range(const reader *r, long long idx, int *layer) {
  if (idx < 0 || idx >= r->n_layers)
    return fail(r, DLF_ERR_INVALID_ARG, "layer index %lld out of range (the model has %d layers)",
                idx, r->n_layers);
  *layer = (int)idx;
  return DLF_OK;
}

/* A layer reference given as a string: decimal digits are an index, anything else a name
 * that must name exactly one layer. */
static dlf_status resolve_string(const reader *r, const char *s, int *layer) {
  char buf[80];
  int count, at = find_name(r, s, &count);
  if (all_digits(s)) {
    long long idx = strlen(s) > 9 ? LLONG_MAX : atoll(s);
    DLF_TRY(index_in_range(r, idx, layer));
    for (int k = 0; k < count; k++)
      if (r->by_name[at + k] != *layer)
        return fail(r, DLF_ERR_INVALID_ARG,
                    "'%s' is ambiguous: layer #%d is named '%s'; write the integer %d for layer "
                    "#%d",
                    s, r->by_name[at + k], s, r->by_name[at + k], r->by_name[at + k]);
    return DLF_OK;
  }
  if (count == 0)
    return fail(r, DLF_ERR_INVALID_ARG, "no layer named '%s'", dlf_json_shown(s, buf, sizeof buf));
  if (count > 1) {
    char list[128] = "";
    size_t used = 0;
    for (int k = 0; k < count && k < 8 && used < sizeof list; k++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s#%d", k ? ", " : "",
                               r->by_name[at + k]);
    return fail(r, DLF_ERR_INVALID_ARG,
                "layer name '%s' is ambiguous: %d layers have it (%s%s); use the index",
                dlf_json_shown(s, buf, sizeof buf), count, list, count > 8 ? ", ..." : "");
  }
  *layer = r->by_name[at];
  return DLF_OK;
}

static dlf_status resolve_ref(const reader *r, const cJSON *it, int *layer) {
  char buf[64];
  if (cJSON_IsString(it)) return resolve_string(r, it->valuestring, layer);
  if (cJSON_IsNumber(it)) {
    double d = it->valuedouble;
    if (!isfinite(d) || d != floor(d))
      return fail(r, DLF_ERR_PARSE, "a layer must be an integer index or a name, got %s",
                  what_is(it, buf, sizeof buf));
    return index_in_range(r, d < -1e18 ? -1 : d > 1e18 ? LLONG_MAX : (long long)d, layer);
  }
  return fail(r, DLF_ERR_PARSE, "a layer must be an integer index or a name, got %s",
              what_is(it, buf, sizeof buf));
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static dlf_status read_algorithms(const reader *r, const cJSON *obj, plan_block *bl) {
  char buf[80], lname[300];
  bool *given = dlf_calloc_array((size_t)bl->n_layers, sizeof *given);
  if (!given) return fail(r, DLF_ERR_NOMEM, "out of memory reading algorithms");
  dlf_status st = DLF_OK;
  for (const cJSON *it = obj->child; it && st == DLF_OK; it = it->next) {
    int layer;
    if ((st = resolve_string(r, it->string, &layer)) != DLF_OK) break;
    const int *pos = bsearch(&layer, bl->layers, (size_t)bl->n_layers, sizeof layer, cmp_int);
    layer_str(r, layer, lname, sizeof lname);
    if (!pos) {
      st = fail(r, DLF_ERR_INVALID_ARG, "algorithms: %s is not in this block", lname);
      break;
    }
    if (!cJSON_IsString(it)) {
      st = fail(r, DLF_ERR_PARSE, "algorithms: the algorithm of %s must be a string, got %s", lname,
                what_is(it, buf, sizeof buf));
      break;
    }
    plan_algo a = plan_algo_from_name(it->valuestring);
    if (a == PLAN_ALGO_COUNT) {
      st = fail(r, DLF_ERR_INVALID_ARG,
                "algorithms: unknown algorithm '%s' for %s (expected auto, im2col, winograd, "
                "direct or reference)",
                dlf_json_shown(it->valuestring, buf, sizeof buf), lname);
      break;
    }
    size_t i = (size_t)(pos - bl->layers);
    if (given[i]) {
      st = fail(r, DLF_ERR_INVALID_ARG, "algorithms: %s is given twice", lname);
      break;
    }
    given[i] = true;
    bl->algo[i] = a;
  }
  free(given);
  return st;
}

static const char *const block_keys[] = {"layers", "cores", "tile_rows", "algorithms"};

static dlf_status read_block(reader *r, const cJSON *obj, plan_block *bl) {
  char buf[64], l1[300];
  dlf_status st = DLF_OK;
  if (!cJSON_IsObject(obj))
    return fail(r, DLF_ERR_PARSE, "a block must be an object, got %s",
                what_is(obj, buf, sizeof buf));
  DLF_TRY(check_keys(r, obj, "a block", block_keys, 4));
  const cJSON *layers = require(r, obj, "layers", "a block", &st);
  const cJSON *cores = layers ? require(r, obj, "cores", "a block", &st) : NULL;
  if (st != DLF_OK) return st;
  if (!cJSON_IsArray(layers))
    return fail(r, DLF_ERR_PARSE, "'layers' must be an array, got %s",
                what_is(layers, buf, sizeof buf));
  int n = cJSON_GetArraySize(layers);
  if (n < 1) return fail(r, DLF_ERR_INVALID_ARG, "'layers' is empty");
  bl->layers = dlf_malloc_array((size_t)n, sizeof *bl->layers);
  bl->algo = dlf_calloc_array((size_t)n, sizeof *bl->algo);
  if (!bl->layers || !bl->algo) return fail(r, DLF_ERR_NOMEM, "out of memory reading a block");
  for (const cJSON *it = layers->child; it; it = it->next) {
    int l;
    DLF_TRY(resolve_ref(r, it, &l));
    /* plan_check finds these too; finding them here bounds the work on hostile input */
    if (r->stamp[l] == r->block + 1)
      return fail(r, DLF_ERR_INVALID_ARG, "%s is listed twice", layer_str(r, l, l1, sizeof l1));
    if (r->stamp[l])
      return fail(r, DLF_ERR_INVALID_ARG, "%s is already in block %d",
                  layer_str(r, l, l1, sizeof l1), r->stamp[l] - 1);
    r->stamp[l] = r->block + 1;
    bl->layers[bl->n_layers++] = l;
  }
  /* Order inside a block carries no meaning (execution follows the graph): sort. */
  qsort(bl->layers, (size_t)bl->n_layers, sizeof *bl->layers, cmp_int);
  DLF_TRY(get_int(r, cores, "cores", &bl->cores));
  const cJSON *tile = cJSON_GetObjectItemCaseSensitive(obj, "tile_rows");
  if (tile) DLF_TRY(get_int(r, tile, "tile_rows", &bl->tile_rows));
  const cJSON *algos = cJSON_GetObjectItemCaseSensitive(obj, "algorithms");
  if (algos) {
    if (!cJSON_IsObject(algos))
      return fail(r, DLF_ERR_PARSE,
                  "'algorithms' must be an object mapping layers to names, got %s",
                  what_is(algos, buf, sizeof buf));
    DLF_TRY(read_algorithms(r, algos, bl));
  }
  return DLF_OK;
}

static dlf_status read_fingerprint(const reader *r, const cJSON *it, uint64_t *out) {
  char msg[256];
  if (dlf_json_fingerprint(it, out, msg, sizeof msg) != DLF_OK)
    return fail(r, DLF_ERR_PARSE, "%s", msg);
  return DLF_OK;
}

static dlf_status read_target(const reader *r, const cJSON *t, plan *p) {
  char buf[64];
  static const char *const keys[] = {"kind", "cores", "name"};
  dlf_status st = DLF_OK;
  if (!cJSON_IsObject(t))
    return fail(r, DLF_ERR_PARSE, "'target' must be an object, got %s",
                what_is(t, buf, sizeof buf));
  DLF_TRY(check_keys(r, t, "'target'", keys, 3));
  const cJSON *kind = require(r, t, "kind", "'target'", &st);
  const cJSON *cores = kind ? require(r, t, "cores", "'target'", &st) : NULL;
  if (st != DLF_OK) return st;
  if (!cJSON_IsString(kind))
    return fail(r, DLF_ERR_PARSE, "'kind' must be a string, got %s",
                what_is(kind, buf, sizeof buf));
  const bool accel = strcmp(kind->valuestring, "accelerator") == 0;
  if (strcmp(kind->valuestring, "cpu") != 0 && !accel)
    return fail(r, DLF_ERR_UNSUPPORTED,
                "target kind '%s' is not supported (\"cpu\" or \"accelerator\")",
                dlf_json_shown(kind->valuestring, buf, sizeof buf));
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "name");
  if (accel != (name != NULL))
    return fail(r, DLF_ERR_PARSE, accel ? "an accelerator target needs a 'name'"
                                        : "a cpu target has no 'name'");
  if (name) {
    if (!cJSON_IsString(name) || !name->valuestring[0] ||
        strlen(name->valuestring) >= sizeof p->target_name)
      return fail(r, DLF_ERR_PARSE, "target 'name' must be a string of 1 to %zu characters",
                  sizeof p->target_name - 1);
    for (const char *c = name->valuestring; *c; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f)
        return fail(r, DLF_ERR_PARSE, "target 'name' has a control character");
    strcpy(p->target_name, name->valuestring);
  }
  DLF_TRY(get_int(r, cores, "cores", &p->target_cores));
  if (p->target_cores < 1 || p->target_cores > PLAN_MAX_CORES)
    return fail(r, DLF_ERR_INVALID_ARG, "target cores %d out of range (1 to %d)", p->target_cores,
                PLAN_MAX_CORES);
  return DLF_OK;
}

/* compact JSON text of it, malloc'd (cJSON allocates with its own hooks). */
static dlf_status keep_json(const reader *r, const cJSON *it, char **out) {
  char *s = cJSON_PrintUnformatted(it);
  *out = s ? dlf_strdup(s) : NULL;
  cJSON_free(s);
  return *out ? DLF_OK : fail(r, DLF_ERR_NOMEM, "out of memory keeping a comment");
}

static const char *const top_keys[] = {"dlfusion_plan", "model",   "fingerprint", "target",
                                       "blocks",        "comment", "tuner"};

static dlf_status read_plan(reader *r, const cJSON *root, plan *p, plan_json_extra *extra) {
  char buf[64];
  dlf_status st = DLF_OK;
  if (!cJSON_IsObject(root))
    return fail(r, DLF_ERR_PARSE, "a plan must be a JSON object, got %s",
                what_is(root, buf, sizeof buf));
  const cJSON *tag = cJSON_GetObjectItemCaseSensitive(root, "dlfusion_plan");
  if (!tag)
    return fail(r, DLF_ERR_PARSE,
                "not a dlfusion plan: no \"dlfusion_plan\" key (the format "
                "version)");
  /* The version first: a later version may have other keys. */
  DLF_TRY(get_int(r, tag, "dlfusion_plan", &p->version));
  if (p->version != PLAN_FORMAT_VERSION)
    return fail(r, DLF_ERR_UNSUPPORTED,
                "unsupported plan format version %d (this dlfusion reads version %d)", p->version,
                PLAN_FORMAT_VERSION);
  DLF_TRY(check_keys(r, root, "the plan", top_keys, 7));
  const cJSON *fp = require(r, root, "fingerprint", "the plan", &st);
  const cJSON *target = fp ? require(r, root, "target", "the plan", &st) : NULL;
  const cJSON *blocks = target ? require(r, root, "blocks", "the plan", &st) : NULL;
  if (st != DLF_OK) return st;
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
  if (model && !cJSON_IsString(model))
    return fail(r, DLF_ERR_PARSE, "'model' must be a string, got %s",
                what_is(model, buf, sizeof buf));
  p->model = dlf_strdup(model ? model->valuestring : "");
  if (!p->model) return fail(r, DLF_ERR_NOMEM, "out of memory reading the plan");
  DLF_TRY(read_fingerprint(r, fp, &p->fingerprint));
  /* Before any layer is resolved: another model's layer names would only confuse. */
  uint64_t have = plan_fingerprint(r->g);
  if (p->fingerprint != have)
    return fail(r, DLF_ERR_INVALID_ARG,
                "made for a different model: fingerprint %016" PRIx64 ", this model (%s) has "
                "%016" PRIx64,
                p->fingerprint, r->g->source, have);
  DLF_TRY(read_target(r, target, p));
  const cJSON *tuner = cJSON_GetObjectItemCaseSensitive(root, "tuner");
  if (tuner && !cJSON_IsObject(tuner))
    return fail(r, DLF_ERR_PARSE, "'tuner' must be an object, got %s",
                what_is(tuner, buf, sizeof buf));
  if (!cJSON_IsArray(blocks))
    return fail(r, DLF_ERR_PARSE, "'blocks' must be an array, got %s",
                what_is(blocks, buf, sizeof buf));
  int nb = cJSON_GetArraySize(blocks);
  p->blocks = dlf_calloc_array((size_t)nb, sizeof *p->blocks);
  if (!p->blocks) return fail(r, DLF_ERR_NOMEM, "out of memory reading %d blocks", nb);
  for (const cJSON *b = blocks->child; b; b = b->next) {
    r->block = p->n_blocks;
    plan_block *bl = &p->blocks[p->n_blocks++];
    DLF_TRY(read_block(r, b, bl));
  }
  r->block = -1;
  const cJSON *comment = cJSON_GetObjectItemCaseSensitive(root, "comment");
  if (extra && comment) DLF_TRY(keep_json(r, comment, &extra->comment));
  if (extra && tuner) DLF_TRY(keep_json(r, tuner, &extra->tuner));
  return DLF_OK;
}

static dlf_status setup_reader(reader *r) {
  r->n_layers = plan_layer_nodes(r->g, NULL);
  r->layer_node = dlf_malloc_array((size_t)r->n_layers, sizeof *r->layer_node);
  r->by_name = dlf_malloc_array((size_t)r->n_layers, sizeof *r->by_name);
  r->stamp = dlf_calloc_array((size_t)r->n_layers, sizeof *r->stamp);
  if (!r->layer_node || !r->by_name || !r->stamp)
    return fail(r, DLF_ERR_NOMEM, "out of memory reading the plan");
  plan_layer_nodes(r->g, r->layer_node);
  named_layer *tmp = dlf_malloc_array((size_t)r->n_layers + 1, sizeof *tmp);
  if (!tmp) return fail(r, DLF_ERR_NOMEM, "out of memory reading the plan");
  for (int l = 0; l < r->n_layers; l++)
    tmp[l] = (named_layer){layer_name(r, l), l};
  qsort(tmp, (size_t)r->n_layers, sizeof *tmp, cmp_named_layers);
  for (int l = 0; l < r->n_layers; l++)
    r->by_name[l] = tmp[l].layer;
  free(tmp);
  return DLF_OK;
}

static void free_reader(reader *r) {
  free(r->layer_node);
  free(r->by_name);
  free(r->stamp);
}

dlf_status plan_json_read(const ir_graph *g, const char *source, const char *text, size_t len,
                          plan **out, plan_json_extra *extra) {
  *out = NULL;
  if (extra) extra->comment = extra->tuner = NULL;
  reader r = {.g = g, .source = source ? source : "plan", .block = -1};
  if (!text) return fail(&r, DLF_ERR_INVALID_ARG, "no plan text");
  if (len > PLAN_JSON_MAX_BYTES)
    return fail(&r, DLF_ERR_LIMIT, "plan is %zu bytes, more than the %zu-byte limit", len,
                PLAN_JSON_MAX_BYTES);
  DLF_TRY(prescan(&r, text, len));
  const char *end = NULL;
  /* cJSON records a parse failure's position in a global: one parse at a time in the whole
   * library (plans, targets, profiles), or ThreadSanitizer would rightly flag a race. */
  cJSON *root = dlf_json_parse_locked(text, len, &end);
  if (!root) {
    int line, col;
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    line_col(text, at, &line, &col);
    return fail(&r, DLF_ERR_PARSE, "not valid JSON (error at line %d, column %d)", line, col);
  }
  size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
  while (at < len && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
    at++;
  dlf_status st;
  plan *p = calloc(1, sizeof *p);
  if (at < len) {
    int line, col;
    line_col(text, at, &line, &col);
    st = fail(&r, DLF_ERR_PARSE, "not valid JSON: text after the plan object at line %d, column %d",
              line, col);
  } else if (!p) {
    st = fail(&r, DLF_ERR_NOMEM, "out of memory reading the plan");
  } else if ((st = setup_reader(&r)) == DLF_OK && (st = read_plan(&r, root, p, extra)) == DLF_OK) {
    st = plan_check(g, p, r.source);
  }
  cJSON_Delete(root);
  free_reader(&r);
  if (st != DLF_OK) {
    plan_free(p);
    plan_json_extra_free(extra);
    return st;
  }
  *out = p;
  return DLF_OK;
}

/* ------------------------------------------------------------- the names -- */

dlf_status plan_json_layer_names(const ir_graph *g, char ***out, int *out_n) {
  *out = NULL;
  *out_n = 0;
  reader r = {.g = g, .source = g->source, .block = -1};
  dlf_status st = setup_reader(&r);
  size_t bytes = (size_t)r.n_layers * sizeof(char *) + 1;
  for (int l = 0; st == DLF_OK && l < r.n_layers; l++)
    bytes += strlen(layer_name(&r, l)) + 1;
  char **names = st == DLF_OK ? calloc(1, bytes) : NULL;
  if (st == DLF_OK && !names) st = fail(&r, DLF_ERR_NOMEM, "out of memory copying layer names");
  if (st == DLF_OK) {
    char *pool = (char *)(names + r.n_layers);
    for (int l = 0; l < r.n_layers; l++) {
      const char *s = layer_name(&r, l);
      int count;
      find_name(&r, s, &count);
      if (count != 1 || !*s || all_digits(s)) continue;
      names[l] = strcpy(pool, s);
      pool += strlen(s) + 1;
    }
    *out = names;
    *out_n = r.n_layers;
  }
  free_reader(&r);
  return st;
}

/* ------------------------------------------------------------ the writer -- */


static void put_layer(dlf_jbuf *b, int layer, const char *const *names, int n_names, bool as_key) {
  const char *name = names && layer >= 0 && layer < n_names ? names[layer] : NULL;
  if (name)
    dlf_jbuf_string(b, name);
  else
    dlf_jbuf_printf(b, as_key ? "\"%d\"" : "%d", layer);
}

char *plan_json_write(const plan *p, const char *const *names, int n_names,
                      const plan_json_extra *extra) {
  dlf_jbuf b = {0};
  dlf_jbuf_printf(&b, "{\n  \"dlfusion_plan\": %d,\n  \"model\": ", p->version);
  dlf_jbuf_string(&b, p->model ? p->model : "");
  dlf_jbuf_printf(&b, ",\n  \"fingerprint\": \"%016" PRIx64 "\",\n", p->fingerprint);
  if (p->target_name[0]) {
    dlf_jbuf_puts(&b, "  \"target\": {\"kind\": \"accelerator\", \"name\": ");
    dlf_jbuf_string(&b, p->target_name);
    dlf_jbuf_printf(&b, ", \"cores\": %d},\n", p->target_cores);
  } else {
    dlf_jbuf_printf(&b, "  \"target\": {\"kind\": \"cpu\", \"cores\": %d},\n", p->target_cores);
  }
  if (extra && extra->comment) {
    dlf_jbuf_puts(&b, "  \"comment\": ");
    dlf_jbuf_puts(&b, extra->comment);
    dlf_jbuf_puts(&b, ",\n");
  }
  dlf_jbuf_puts(&b, "  \"blocks\": [");
  for (int i = 0; i < p->n_blocks; i++) {
    const plan_block *bl = &p->blocks[i];
    dlf_jbuf_puts(&b, i ? ",\n    {\"layers\": [" : "\n    {\"layers\": [");
    for (int k = 0; k < bl->n_layers; k++) {
      if (k) dlf_jbuf_puts(&b, ", ");
      put_layer(&b, bl->layers[k], names, n_names, false);
    }
    dlf_jbuf_printf(&b, "], \"cores\": %d, \"tile_rows\": %d", bl->cores, bl->tile_rows);
    bool any = false;
    for (int k = 0; k < bl->n_layers; k++) {
      if (bl->algo[k] == PLAN_ALGO_AUTO) continue;
      dlf_jbuf_puts(&b, any ? ", " : ", \"algorithms\": {");
      any = true;
      put_layer(&b, bl->layers[k], names, n_names, true);
      dlf_jbuf_printf(&b, ": \"%s\"", plan_algo_name(bl->algo[k]));
    }
    dlf_jbuf_puts(&b, any ? "}}" : "}");
  }
  dlf_jbuf_puts(&b, p->n_blocks ? "\n  ]" : "]");
  if (extra && extra->tuner) {
    dlf_jbuf_puts(&b, ",\n  \"tuner\": ");
    dlf_jbuf_puts(&b, extra->tuner);
  }
  dlf_jbuf_puts(&b, "\n}\n");
  if (b.failed) {
    free(b.s);
    dlf_error(DLF_ERR_NOMEM, "out of memory writing a plan");
    return NULL;
  }
  return b.s;
}
