/* npy.c — reading and writing NumPy .npy files (format 1.0/2.0/3.0), the
 * interchange format for test inputs, reference outputs and shape bindings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/file.h"
#include "core/status.h"
#include "dlfusion.h"
#include "frontend/frontend.h"

/* '<f4' and '<i8' data is read in place. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dlfusion assumes a little-endian host");

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy >= 1.14 aligns the data to 64 bytes (so it can be memory-mapped by
 * any SIMD width); we write the same layout. */
#define NPY_ALIGN 64
/* Headers are a Python dict literal of three keys; a larger one is not a
 * file we wrote or numpy would write for <= 8 dims. */
#define NPY_MAX_HEADER (1 << 20)

/* ------------------------------------------------------------ header -- */

typedef struct npy_header {
  char descr[16];
  int fortran; /* -1 until seen */
  int ndim;    /* -1 until seen */
  int64_t dims[DLF_MAX_DIMS];
} npy_header;

typedef struct cursor {
  const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static bool eat(cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return true;
  }
  return false;
}

/* A quoted Python string (no escapes: npy keys and descrs never have them). */
static bool parse_str(cursor *c, char *buf, size_t size) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return false;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (n + 1 >= size) return false;
    buf[n++] = *c->p++;
  }
  if (c->p >= c->end) return false;
  c->p++;
  buf[n] = '\0';
  return true;
}

static bool parse_word(cursor *c, const char *w) {
  skip_ws(c);
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return false;
  c->p += n;
  return true;
}

/* "(2, 3)", "(5,)", "()" */
static bool parse_shape(cursor *c, npy_header *h) {
  if (!eat(c, '(')) return false;
  h->ndim = 0;
  for (;;) {
    if (eat(c, ')')) return true;
    skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return false;
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      if (!dlf_mul_i64(v, 10, &v) || !dlf_add_i64(v, *c->p - '0', &v)) return false;
      c->p++;
    }
    if (h->ndim == DLF_MAX_DIMS) return false;
    h->dims[h->ndim++] = v;
    if (!eat(c, ',')) return eat(c, ')');
  }
}

static dlf_status parse_header(const char *path, const char *text, size_t len, npy_header *h) {
  cursor c = {text, text + len};
  h->descr[0] = '\0';
  h->fortran = -1;
  h->ndim = -1;
  if (!eat(&c, '{')) goto bad;
  for (;;) {
    if (eat(&c, '}')) break;
    char key[32];
    if (!parse_str(&c, key, sizeof key) || !eat(&c, ':')) goto bad;
    if (strcmp(key, "descr") == 0) {
      if (!parse_str(&c, h->descr, sizeof h->descr)) goto bad;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (parse_word(&c, "True"))
        h->fortran = 1;
      else if (parse_word(&c, "False"))
        h->fortran = 0;
      else
        goto bad;
    } else if (strcmp(key, "shape") == 0) {
      if (!parse_shape(&c, h)) goto bad;
    } else {
      goto bad;
    }
    if (!eat(&c, ',')) {
      if (!eat(&c, '}')) goto bad;
      break;
    }
  }
  if (!h->descr[0] || h->fortran < 0 || h->ndim < 0)
    return dlf_error(DLF_ERR_PARSE, "%s: .npy header lacks descr, fortran_order or shape", path);
  return DLF_OK;
bad:
  return dlf_error(DLF_ERR_PARSE, "%s: malformed .npy header (or more than %d dimensions): %.*s",
                   path, DLF_MAX_DIMS, (int)(len > 200 ? 200 : len), text);
}

static uint32_t read_le(const unsigned char *p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* -------------------------------------------------------------- load -- */

/* Parse .npy bytes; the data is copied (and converted) into a new buffer of at most cap_bytes
 * bytes. */
static dlf_status load_buffer(const char *path, const unsigned char *buf, size_t size,
                              int64_t cap_bytes, dlf_tensor *out) {
  if (size < 10 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    return dlf_error(DLF_ERR_PARSE, "%s: not a .npy file (bad magic)", path);
  int major = buf[6], minor = buf[7];
  uint32_t hlen;
  size_t pos;
  if (major == 1) {
    hlen = read_le(buf + 8, 2);
    pos = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return dlf_error(DLF_ERR_PARSE, "%s: truncated .npy header", path);
    hlen = read_le(buf + 8, 4);
    pos = 12;
  } else {
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: .npy format version %d.%d (1.0, 2.0, 3.0 supported)",
                     path, major, minor);
  }
  if (hlen > NPY_MAX_HEADER)
    return dlf_error(DLF_ERR_LIMIT, "%s: .npy header of %u bytes is too large", path, hlen);
  if (size - pos < hlen) return dlf_error(DLF_ERR_PARSE, "%s: truncated .npy header", path);
  npy_header h;
  DLF_TRY(parse_header(path, (const char *)buf + pos, hlen, &h));
  pos += hlen;

  if (h.fortran)
    return dlf_error(DLF_ERR_UNSUPPORTED,
                     "%s: fortran_order True is not supported (save a C-ordered array)", path);
  /* The file's element type, and what it becomes. */
  int src_size;
  dlf_dtype dtype;
  if (strcmp(h.descr, "<f4") == 0)
    src_size = 4, dtype = DLF_FLOAT32;
  else if (strcmp(h.descr, "<f8") == 0)
    src_size = 8, dtype = DLF_FLOAT32;
  else if (strcmp(h.descr, "<i8") == 0)
    src_size = 8, dtype = DLF_INT64;
  else if (strcmp(h.descr, "<i4") == 0)
    src_size = 4, dtype = DLF_INT64;
  else
    return dlf_error(DLF_ERR_UNSUPPORTED,
                     "%s: dtype '%s' is not supported (float32 '<f4' or int64 '<i8'; '<f8' and "
                     "'<i4' are converted)",
                     path, h.descr);

  /* The buffer holds the file's elements, then the converted ones in place: the larger
   * of the two sizes is what is allocated and what the cap applies to. */
  size_t out_size = dtype == DLF_INT64 ? 8 : 4;
  int64_t numel, src_bytes, alloc_bytes;
  char dims[200], cap[DLF_CAP_PHRASE_SIZE];
  if (!dlf_numel(h.dims, h.ndim, &numel) || !dlf_mul_i64(numel, src_size, &src_bytes) ||
      !dlf_mul_i64(numel, src_size > (int)out_size ? src_size : (int)out_size, &alloc_bytes))
    return dlf_error(DLF_ERR_LIMIT, "%s: the declared shape is larger than %s (it overflows)", path,
                     dlf_cap_phrase(cap_bytes, cap, sizeof cap));
  if (alloc_bytes > cap_bytes)
    return dlf_error(
        DLF_ERR_LIMIT,
        "%s: the declared shape is larger than the limit: %s needs %lld bytes, above %s", path,
        ir_dims_str(h.dims, h.ndim, dims, sizeof dims), (long long)alloc_bytes,
        dlf_cap_phrase(cap_bytes, cap, sizeof cap));
  /* The data must be exactly what the header declares: compare with the
   * bytes present before allocating. */
  int64_t avail = (int64_t)(size - pos);
  if (avail < src_bytes)
    return dlf_error(DLF_ERR_PARSE, "%s: truncated: %lld data bytes, the header declares %lld",
                     path, (long long)avail, (long long)src_bytes);
  if (avail > src_bytes)
    return dlf_error(DLF_ERR_PARSE, "%s: %lld data bytes, the header declares only %lld", path,
                     (long long)avail, (long long)src_bytes);

  void *data =
      dlf_malloc_array((size_t)numel, (size_t)src_size > out_size ? (size_t)src_size : out_size);
  if (!data)
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory (%lld bytes)", path, (long long)src_bytes);
  if (src_bytes) memcpy(data, buf + pos, (size_t)src_bytes);
  /* In-place conversions: f8 -> f4 shrinks (forward is safe); i4 -> i8
   * grows (backward is safe). */
  if (strcmp(h.descr, "<f8") == 0) {
    for (int64_t i = 0; i < numel; i++) {
      double d;
      memcpy(&d, (char *)data + i * 8, 8);
      ((float *)data)[i] = (float)d;
    }
  } else if (strcmp(h.descr, "<i4") == 0) {
    for (int64_t i = numel - 1; i >= 0; i--) {
      int32_t v;
      memcpy(&v, (char *)data + i * 4, 4);
      ((int64_t *)data)[i] = v;
    }
  }
  memset(out, 0, sizeof *out);
  out->dtype = dtype;
  out->ndim = h.ndim;
  memcpy(out->dims, h.dims, (size_t)h.ndim * sizeof h.dims[0]);
  out->data = data;
  return DLF_OK;
}

dlf_status fe_npy_load_buffer(const void *data, size_t size, const char *name,
                              int64_t max_tensor_bytes, dlf_tensor *out) {
  dlf_error_clear();
  if (!out || (!data && size))
    return dlf_error(DLF_ERR_INVALID_ARG, "fe_npy_load_buffer: NULL argument");
  memset(out, 0, sizeof *out);
  return load_buffer(name ? name : "tensor", data, size, dlf_cap_or_default(max_tensor_bytes),
                     out);
}

dlf_status dlf_npy_load_capped(const char *path, int64_t max_tensor_bytes, dlf_tensor *out) {
  dlf_error_clear();
  if (!path || !out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_npy_load: NULL argument");
  memset(out, 0, sizeof *out);
  int64_t cap;
  DLF_TRY(dlf_cap_resolve(max_tensor_bytes, &cap));
  /* Map rather than read: the data is copied once, into the tensor. */
  const void *map;
  size_t size;
  DLF_TRY(dlf_map_file(path, &map, &size));
  dlf_status st = load_buffer(path, map ? map : (const void *)"", size, cap, out);
  dlf_unmap_file(map, size);
  return st;
}

dlf_status dlf_npy_load(const char *path, dlf_tensor *out) {
  return dlf_npy_load_capped(path, 0, out);
}

/* -------------------------------------------------------------- save -- */

dlf_status dlf_npy_save(const char *path, const dlf_tensor *t) {
  dlf_error_clear();
  if (!path || !t) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_npy_save: NULL argument");
  if (t->dtype != DLF_FLOAT32 && t->dtype != DLF_INT64)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: cannot save dtype %d (float32 or int64)", path,
                     (int)t->dtype);
  if (t->ndim < 0 || t->ndim > DLF_MAX_DIMS)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: cannot save %d dimensions", path, t->ndim);
  int64_t numel, bytes;
  int esize = t->dtype == DLF_INT64 ? 8 : 4;
  if (!dlf_numel(t->dims, t->ndim, &numel) || !dlf_mul_i64(numel, esize, &bytes))
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: negative or overflowing shape", path);
  if (numel > 0 && !t->data)
    return dlf_error(DLF_ERR_INVALID_ARG, "%s: the tensor has no data", path);

  char shape[DLF_MAX_DIMS * 24 + 4];
  size_t off = 0;
  shape[off++] = '(';
  for (int i = 0; i < t->ndim; i++)
    off += (size_t)snprintf(shape + off, sizeof shape - off, i ? ", %lld" : "%lld",
                            (long long)t->dims[i]);
  if (t->ndim == 1) shape[off++] = ',';
  shape[off++] = ')';
  shape[off] = '\0';

  char header[512];
  int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                   t->dtype == DLF_INT64 ? "<i8" : "<f4", shape);
  /* Pad with spaces and a final newline so that magic + version + length +
   * header is a multiple of NPY_ALIGN. */
  size_t fixed = NPY_MAGIC_LEN + 2 + 2;
  size_t total = ((fixed + (size_t)n + 1 + NPY_ALIGN - 1) / NPY_ALIGN) * NPY_ALIGN;
  size_t hlen = total - fixed;
  memset(header + n, ' ', hlen - (size_t)n - 1);
  header[hlen - 1] = '\n';

  unsigned char pre[10];
  memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (unsigned char)(hlen & 0xff);
  pre[9] = (unsigned char)(hlen >> 8);

  const void *parts[3] = {pre, header, t->data};
  const size_t sizes[3] = {sizeof pre, hlen, (size_t)bytes};
  return dlf_write_file(path, parts, sizes, bytes ? 3 : 2, "write failed");
}

void dlf_tensor_release(dlf_tensor *t) {
  if (!t) return;
  free(t->data);
  memset(t, 0, sizeof *t);
}
