/* checked.h — overflow-checked size arithmetic and allocation. Every size
 * computed from file data goes through these: a model file that declares a
 * 10^12-element tensor must fail cleanly, not wrap around. */
#ifndef DLF_CORE_CHECKED_H
#define DLF_CORE_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

/* Largest tensor dlfusion will allocate (bytes). Files that declare more are
 * rejected before allocation. 16 GiB: above any CNN's weights (VGG-16 is
 * 0.55 GB), below this machine's memory. */
#define DLF_MAX_TENSOR_BYTES ((int64_t)16 << 30)

#endif
