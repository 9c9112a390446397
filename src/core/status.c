/* status.c — the per-thread error message behind dlf_last_error(). Per-thread
 * (like errno) so that concurrent sessions never see each other's messages. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DLF_ERROR_MAX 1024 /* a message is one line; longer ones are cut */

static _Thread_local char g_message[DLF_ERROR_MAX];

const char *dlf_status_string(dlf_status status) {
  switch (status) {
  case DLF_OK: return "ok";
  case DLF_ERR_INVALID_ARG: return "invalid argument";
  case DLF_ERR_IO: return "i/o error";
  case DLF_ERR_PARSE: return "parse error";
  case DLF_ERR_UNSUPPORTED: return "unsupported";
  case DLF_ERR_SHAPE: return "shape error";
  case DLF_ERR_NOMEM: return "out of memory";
  case DLF_ERR_LIMIT: return "limit exceeded";
  case DLF_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char *dlf_last_error(void) { return g_message; }

void dlf_error_clear(void) { g_message[0] = '\0'; }

dlf_status dlf_error(dlf_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_message, sizeof g_message, fmt, ap);
  va_end(ap);
  return code;
}

dlf_status dlf_error_prefix(dlf_status code, const char *fmt, ...) {
  char old[DLF_ERROR_MAX];
  memcpy(old, g_message, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(g_message, sizeof g_message, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof g_message && old[0])
    snprintf(g_message + n, sizeof g_message - (size_t)n, ": %s", old);
  return code;
}
