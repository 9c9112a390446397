/* plan_json.h — the plan file format (JSON, docs/plan.md): read a plan for a model's graph
 * (resolving layer names, then plan_check), write one back with names where they are usable. */
#ifndef DLF_PLAN_PLAN_JSON_H
#define DLF_PLAN_PLAN_JSON_H

#include "plan/plan.h"

/* Plan files larger than this are refused before parsing: a plan of a 1000-layer model with
 * tuner notes is ~100 KB, and cJSON takes ~64 bytes per value, so 4 MiB bounds memory. */
#define PLAN_JSON_MAX_BYTES ((size_t)4 << 20)
/* Deepest nesting of arrays/objects accepted (the format itself needs 4 levels; the rest is
 * for "tuner" notes). Checked before cJSON recurses. */
#define PLAN_JSON_MAX_DEPTH 32

/* What a plan file carries that the engine does not read: the free-form "comment" and the
 * tuner's "tuner" object, kept as compact JSON text so that writing the plan keeps them. */
typedef struct plan_json_extra {
  char *comment; /* JSON text of "comment", or NULL */
  char *tuner;   /* JSON text of "tuner" (an object), or NULL */
} plan_json_extra;

void plan_json_extra_free(plan_json_extra *e);

/* Parse len bytes of JSON as a plan for graph g and check it (plan_check). source names the
 * plan in messages (a file name). extra may be NULL. Errors: DLF_ERR_PARSE (not JSON, wrong
 * types, missing or unknown keys), DLF_ERR_LIMIT (size, nesting), DLF_ERR_UNSUPPORTED
 * (format version), DLF_ERR_INVALID_ARG (does not fit the model). */
dlf_status plan_json_read(const ir_graph *g, const char *source, const char *text, size_t len,
                          plan **out, plan_json_extra *extra);

/* Per layer the name a writer may use for it: unique among the layers, not empty and not all
 * digits (those read as indices); NULL where the index must be written. One malloc'd block
 * (free() it); *out_n receives the layer count. */
dlf_status plan_json_layer_names(const ir_graph *g, char ***out, int *out_n);

/* The plan as JSON text (malloc'd, NUL-terminated). names[l] (may be NULL entirely) is the
 * name written for layer l, or NULL to write its index; extra may be NULL. NULL when out of
 * memory (the error is set). */
char *plan_json_write(const plan *p, const char *const *names, int n_names,
                      const plan_json_extra *extra);

#endif
