/* json.c — dlf_json_parse: the checks and the lock every cJSON-based reader needs, in one
 * place (json.h says why each exists). */
#include "core/json.h"

#include <pthread.h>
#include <stdarg.h>
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

/* ------------------------------------------------------------ the writer -- */

void dlf_jbuf_put(dlf_jbuf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *t = realloc(b->s, cap);
    if (!t) {
      b->failed = true;
      return;
    }
    b->s = t;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void dlf_jbuf_puts(dlf_jbuf *b, const char *s) { dlf_jbuf_put(b, s, strlen(s)); }

void dlf_jbuf_printf(dlf_jbuf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
  } else if ((size_t)n < sizeof tmp) {
    dlf_jbuf_put(b, tmp, (size_t)n);
  } else { /* longer than the scratch: format again into a buffer of its size */
    char *big = malloc((size_t)n + 1);
    if (!big) {
      b->failed = true;
      return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    dlf_jbuf_put(b, big, (size_t)n);
    free(big);
  }
}

void dlf_jbuf_string(dlf_jbuf *b, const char *s) {
  dlf_jbuf_put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      dlf_jbuf_put(b, e, 2);
    } else if (c < 0x20 || c == 0x7f) {
      dlf_jbuf_printf(b, "\\u%04x", c);
    } else {
      dlf_jbuf_put(b, s, 1);
    }
  }
  dlf_jbuf_put(b, "\"", 1);
}

const char *dlf_json_shown(const char *s, char *buf, size_t size) {
  size_t i = 0, max = size - 4 < 64 ? size - 4 : 64;
  for (; s[i] && i < max; i++)
    buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '\'' ? '?' : s[i];
  strcpy(buf + i, s[i] ? "..." : "");
  return buf;
}

dlf_status dlf_json_check_keys(const cJSON *obj, const char *where, const char *const *allowed,
                               int n, char *msg, size_t cap) {
  char buf[80], list[300] = "";
  for (const cJSON *it = obj->child; it; it = it->next) {
    int k = 0;
    while (k < n && strcmp(it->string, allowed[k]) != 0)
      k++;
    if (k == n) {
      size_t used = 0;
      for (int a = 0; a < n && used < sizeof list; a++)
        used +=
            (size_t)snprintf(list + used, sizeof list - used, "%s%s", a ? ", " : "", allowed[a]);
      snprintf(msg, cap, "unknown key '%s' in %s (expected %s)",
               dlf_json_shown(it->string, buf, sizeof buf), where, list);
      return DLF_ERR_PARSE;
    }
    for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
      if (strcmp(prev->string, it->string) == 0) {
        snprintf(msg, cap, "key '%s' appears twice in %s",
                 dlf_json_shown(it->string, buf, sizeof buf), where);
        return DLF_ERR_PARSE;
      }
  }
  return DLF_OK;
}

dlf_status dlf_json_fingerprint(const cJSON *it, uint64_t *out, char *msg, size_t cap) {
  char buf[80];
  const char *s = cJSON_IsString(it) ? it->valuestring : NULL;
  bool ok = s && strlen(s) == 16;
  uint64_t v = 0;
  for (int i = 0; ok && i < 16; i++) {
    const char c = s[i];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    ok = d >= 0;
    v = v << 4 | (uint64_t)(d & 15);
  }
  if (!ok) {
    if (s)
      snprintf(msg, cap, "'fingerprint' must be 16 hex digits, got '%s'",
               dlf_json_shown(s, buf, sizeof buf));
    else
      snprintf(msg, cap, "'fingerprint' must be a string of 16 hex digits, got %s",
               dlf_json_what(it, buf, sizeof buf));
    return DLF_ERR_PARSE;
  }
  *out = v;
  return DLF_OK;
}
