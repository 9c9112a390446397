/* json.c — dlf_json_parse: the checks and the lock every cJSON-based reader needs, in one
 * place (json.h says why each exists). */
#include "core/json.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

/* cJSON_ParseWithLengthOpts writes its global error position on every call, even when the
 * caller asks for the end pointer: two readers parsing at once would race on it. */
static pthread_mutex_t json_lock = PTHREAD_MUTEX_INITIALIZER;

cJSON *dlf_json_parse_locked(const char *text, size_t len, const char **end) {
  pthread_mutex_lock(&json_lock);
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, end, 0);
  pthread_mutex_unlock(&json_lock);
  return root;
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

static dlf_status prescan(const char *source, const char *text, size_t len, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < len; i++) {
    char ch = text[i];
    if (ch == '\0')
      return dlf_error(DLF_ERR_PARSE, "%s: not valid JSON: a NUL byte at offset %zu", source, i);
    if (in_string) {
      if (escaped && ch == 'u' && len - i > 4 && memcmp(text + i + 1, "0000", 4) == 0)
        return dlf_error(DLF_ERR_PARSE, "%s: a \\u0000 escape (NUL) in a string at offset %zu",
                         source, i - 1);
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth)
        return dlf_error(DLF_ERR_LIMIT, "%s: JSON nested deeper than %d levels", source, max_depth);
    } else if (ch == ']' || ch == '}') {
      depth--;
    }
  }
  return DLF_OK;
}

dlf_status dlf_json_parse(const char *source, const char *text, size_t len, int max_depth,
                          cJSON **out) {
  *out = NULL;
  if (!text) return dlf_error(DLF_ERR_INVALID_ARG, "%s: no JSON text", source);
  DLF_TRY(prescan(source, text, len, max_depth));
  const char *end = NULL;
  cJSON *root = dlf_json_parse_locked(text, len, &end);
  int line, col;
  if (!root) {
    size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    /* Empty or whitespace-only text: cJSON reports offset 0; the end is more telling. */
    if (len == 0) return dlf_error(DLF_ERR_PARSE, "%s: not valid JSON: the text is empty", source);
    line_col(text, at, &line, &col);
    return dlf_error(DLF_ERR_PARSE, "%s: not valid JSON (error at line %d, column %d)", source,
                     line, col);
  }
  size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
  while (at < len && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
    at++;
  if (at < len) {
    cJSON_Delete(root);
    line_col(text, at, &line, &col);
    return dlf_error(DLF_ERR_PARSE,
                     "%s: not valid JSON: text after the value at line %d, column %d", source, line,
                     col);
  }
  *out = root;
  return DLF_OK;
}

const char *dlf_json_number(double d, char *buf, size_t size) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  return buf;
}

const char *dlf_json_what(const cJSON *it, char *buf, size_t size) {
  if (!it) return "nothing";
  if (cJSON_IsString(it)) return "a string";
  if (cJSON_IsArray(it)) return "an array";
  if (cJSON_IsObject(it)) return "an object";
  if (cJSON_IsBool(it)) return cJSON_IsTrue(it) ? "true" : "false";
  if (cJSON_IsNull(it)) return "null";
  if (cJSON_IsNumber(it)) return dlf_json_number(it->valuedouble, buf, size);
  return "an unknown value";
}
