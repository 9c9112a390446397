/* checked.c — the run-time tensor size cap: parsing "4G"-style byte counts, resolving a
 * load's cap (option, environment, default) and the message tail naming it. */
#include "core/checked.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

#define CAP_ENV "DLF_MAX_TENSOR_BYTES"

bool dlf_parse_bytes(const char *s, int64_t *out) {
  if (!s || !isdigit((unsigned char)s[0])) return false;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || v <= 0) return false;
  int shift = 0;
  switch (*end) {
  case '\0': break;
  case 'k':
  case 'K': shift = 10; break;
  case 'm':
  case 'M': shift = 20; break;
  case 'g':
  case 'G': shift = 30; break;
  case 't':
  case 'T': shift = 40; break;
  default: return false;
  }
  if (*end && end[1]) return false; /* "4GB", "4G2" */
  if (v > (INT64_MAX >> shift)) return false;
  *out = (int64_t)v << shift;
  return true;
}

/* The environment's cap: 0 when unset, -1 when malformed or out of range. */
static int64_t env_cap(const char **text) {
  const char *e = getenv(CAP_ENV);
  *text = e;
  if (!e || !e[0]) return 0;
  int64_t v;
  if (!dlf_parse_bytes(e, &v) || v > DLF_MAX_TENSOR_BYTES_LIMIT) return -1;
  return v;
}

dlf_status dlf_cap_resolve(int64_t requested, int64_t *out) {
  if (requested < 0 || requested > DLF_MAX_TENSOR_BYTES_LIMIT)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "max_tensor_bytes %lld is out of range (1 to %lld; 0 = the default)",
                     (long long)requested, (long long)DLF_MAX_TENSOR_BYTES_LIMIT);
  if (requested > 0) {
    *out = requested;
    return DLF_OK;
  }
  const char *text;
  int64_t v = env_cap(&text);
  if (v < 0)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "environment variable " CAP_ENV "='%.64s' is not a byte count from 1 to "
                     "%lld (a number with an optional K, M, G or T suffix, e.g. 4G)",
                     text, (long long)DLF_MAX_TENSOR_BYTES_LIMIT);
  *out = v > 0 ? v : DLF_DEFAULT_MAX_TENSOR_BYTES;
  return DLF_OK;
}

const char *dlf_cap_phrase(int64_t cap, char *buf, size_t size) {
  cap = dlf_cap_or_default(cap);
  static const char *const units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  int64_t v = cap;
  while (u < 4 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  char human[32] = "";
  if (u > 0) snprintf(human, sizeof human, " (%lld%s)", (long long)v, units[u]);
  snprintf(buf, size,
           "the %lld-byte limit on a tensor's size%s; raise it with --max-tensor-bytes, "
           "the " CAP_ENV " environment variable or dlf_load_options.max_tensor_bytes",
           (long long)cap, human);
  return buf;
}
