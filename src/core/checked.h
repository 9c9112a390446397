/* checked.h — overflow-checked size arithmetic and allocation. Every size
 * computed from file data goes through these: a model file that declares a
 * 10^12-element tensor must fail cleanly, not wrap around. */
#ifndef DLF_CORE_CHECKED_H
#define DLF_CORE_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dlfusion.h"

/* a*b into *out; false on overflow or negative operands. */
static inline bool dlf_mul_i64(int64_t a, int64_t b, int64_t *out) {
  if (a < 0 || b < 0) return false;
  return !__builtin_mul_overflow(a, b, out);
}

static inline bool dlf_add_i64(int64_t a, int64_t b, int64_t *out) {
  return !__builtin_add_overflow(a, b, out);
}

/* Product of n dims (1 for n == 0); false on overflow or a negative dim. */
static inline bool dlf_numel(const int64_t *dims, int n, int64_t *out) {
  int64_t p = 1;
  for (int i = 0; i < n; i++)
    if (!dlf_mul_i64(p, dims[i], &p)) return false;
  *out = p;
  return true;
}

/* malloc(count * size) with the multiply checked; NULL on overflow. Returns
 * a valid pointer for count == 0. */
static inline void *dlf_malloc_array(size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) return NULL;
  return malloc(bytes ? bytes : 1);
}

static inline void *dlf_calloc_array(size_t count, size_t size) {
  if (count == 0 || size == 0) return calloc(1, 1);
  return calloc(count, size);
}

/* A malloc'd copy of s (strdup is POSIX, not C11); NULL when out of memory. */
static inline char *dlf_strdup(const char *s) {
  size_t n = __builtin_strlen(s) + 1;
  char *d = malloc(n);
  if (d) __builtin_memcpy(d, s, n);
  return d;
}

/* --------------------------------------------------------- tensor size cap --
 * Largest tensor dlfusion will allocate (bytes). Files that declare more are rejected
 * before allocation. The default, 16 GiB, is above any CNN's weights (VGG-16 is
 * 0.55 GB); a user with less memory (or more) sets the cap per load:
 * dlf_load_options.max_tensor_bytes, else the DLF_MAX_TENSOR_BYTES environment variable
 * ("4G", "512M", "65536"). The cap is passed down explicitly: the public API resolves it
 * once (dlf_cap_resolve), the importers take it and store it in the graph
 * (ir_graph.max_tensor_bytes), and shape inference, folding, the memory planner and the
 * executors read it there. Nothing below the API reads the environment. */
#define DLF_DEFAULT_MAX_TENSOR_BYTES ((int64_t)16 << 30)
/* The largest cap that can be set: 1 TiB. Dims up to the cap are allowed through shape
 * arithmetic (see ir_shape_ok), so the cap also bounds every intermediate product. */
#define DLF_MAX_TENSOR_BYTES_LIMIT ((int64_t)1 << 40)

/* cap if set (> 0), else the default: what an internal "0 = default" cap means. */
static inline int64_t dlf_cap_or_default(int64_t cap) {
  return cap > 0 ? cap : DLF_DEFAULT_MAX_TENSOR_BYTES;
}

/* "N", "NK", "NM", "NG" (binary multiples; lower case too) into *out; false when
 * malformed, zero or overflowing. */
bool dlf_parse_bytes(const char *s, int64_t *out);

/* The cap for one load (the public API's entry points only): requested (> 0) if given, else
 * the DLF_MAX_TENSOR_BYTES environment variable's, else the default. Fails with
 * DLF_ERR_INVALID_ARG on a negative or too large request or a malformed environment value,
 * naming where the value came from. */
dlf_status dlf_cap_resolve(int64_t requested, int64_t *out);

/* "the N-byte limit on a tensor's size (16G); raise it with ..." — the end of every
 * over-the-cap message, naming the cap and the three ways to raise it. */
const char *dlf_cap_phrase(int64_t cap, char *buf, size_t size);
#define DLF_CAP_PHRASE_SIZE 256

#endif
