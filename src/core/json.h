/* json.h — one guarded entry to cJSON's parser for every JSON reader (plan, target, profile):
 * pre-checks hostile text (NUL bytes, nesting depth), parses under one process-wide lock and
 * reports syntax errors as "source: not valid JSON (error at line L, column C)". */
#ifndef DLF_CORE_JSON_H
#define DLF_CORE_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dlfusion.h"

/* Parse len bytes of text as exactly one JSON value (whitespace may follow it; anything else
 * is an error). Refused before cJSON sees it: NUL bytes, raw or as \u0000 (cJSON would stop
 * there and read a shorter string), and nesting deeper than max_depth (cJSON recurses per
 * level). cJSON records parse failures in a global, so every caller in the library parses
 * under the same lock. *out is cJSON_Delete'd by the caller. Errors: DLF_ERR_PARSE,
 * DLF_ERR_LIMIT (depth), DLF_ERR_NOMEM; messages start with "source: ". */
dlf_status dlf_json_parse(const char *source, const char *text, size_t len, int max_depth,
                          cJSON **out);

/* cJSON_ParseWithLengthOpts(text, len, end, 0) under the library's one cJSON lock, for a
 * reader with its own pre-checks and messages (the plan reader). */
cJSON *dlf_json_parse_locked(const char *text, size_t len, const char **end);

/* The shortest of %.15g, %.16g, %.17g that reads back as d (so 0.1 prints as "0.1" and
 * every finite double round-trips). NaN and infinities print as "nan", "inf": not JSON, so
 * writers must not meet them. buf should hold 32 bytes. */
const char *dlf_json_number(double d, char *buf, size_t size);

/* "a string", "-3", "null", ...: what a value is, for messages "must be X, got Y" (a number
 * prints as itself, via dlf_json_number; NULL as "nothing"). */
const char *dlf_json_what(const cJSON *it, char *buf, size_t size);

/* The strict readers' shared checks (plan, target and profile files). Each writes the body of
 * its message into msg (no "source: " prefix: the reader adds its own context) and returns
 * DLF_ERR_PARSE when the check fails. */

/* A string from a file, safe to quote in a one-line message: at most 64 bytes, control
 * characters, DEL and single quotes replaced by '?', "..." when cut. buf: >= 72 bytes. */
const char *dlf_json_shown(const char *s, char *buf, size_t size);
/* Every key of obj is one of allowed[n] and appears once — a typo must not silently become a
 * default, and for a duplicate key cJSON would quietly use the first: "unknown key 'k' in
 * WHERE (expected a, b, c)", "key 'k' appears twice in WHERE". */
dlf_status dlf_json_check_keys(const cJSON *obj, const char *where, const char *const *allowed,
                               int n, char *msg, size_t cap);
/* A fingerprint: a string of exactly 16 hex digits, as the writers print one. "'fingerprint'
 * must be 16 hex digits, got 'x'" / "... must be a string of 16 hex digits, got 3". */
dlf_status dlf_json_fingerprint(const cJSON *it, uint64_t *out, char *msg, size_t cap);

/* A growing JSON text for the writers (plans, targets, profiles). Appends never report an
 * error one by one: `failed` records an allocation failure and the writer checks it once at
 * the end. s is NUL-terminated (or NULL before the first append); free(b->s) when done. */
typedef struct dlf_jbuf {
  char *s;
  size_t len, cap;
  bool failed;
} dlf_jbuf;

void dlf_jbuf_put(dlf_jbuf *b, const char *s, size_t n);
void dlf_jbuf_puts(dlf_jbuf *b, const char *s);
void dlf_jbuf_printf(dlf_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal: quotes, backslashes, control characters and DEL escaped; other
 * bytes (UTF-8) as they are. */
void dlf_jbuf_string(dlf_jbuf *b, const char *s);

#endif
