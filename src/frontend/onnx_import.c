/* onnx_import.c — ONNX ModelProto (protobuf-c over the official onnx.proto)
 * to the graph IR: initializers, external data, inputs, nodes, attributes. */
#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/file.h"
#include "frontend/frontend.h"
#include "onnx.pb-c.h"

/* raw_data and external data are little-endian; they are used in place. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dlfusion assumes a little-endian host");

/* The ai.onnx opsets whose operator semantics ops/ implements (7: the
 * oldest opset torchvision-era exporters emit; 21: the newest whose changes
 * to these ops are only additive). */
#define ONNX_OPSET_MIN 7
#define ONNX_OPSET_MAX 21

/* Raw data is copied once by protobuf-c; the importer then takes ownership of
 * that buffer instead of copying it again (VGG-16 is 550 MB). That needs the
 * allocator to be plain malloc/free. */
static void *pb_alloc(void *data, size_t size) {
  (void)data;
  return malloc(size ? size : 1);
}
static void pb_free(void *data, void *p) {
  (void)data;
  free(p);
}
static ProtobufCAllocator g_pb_allocator = {pb_alloc, pb_free, NULL};

typedef struct importer {
  const char *name;     /* for messages */
  const char *base_dir; /* external data root, or NULL */
  ir_graph *g;
  int64_t cap; /* max_tensor_bytes, resolved */
} importer;

enum {
  DT_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
  DT_UINT8 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,
  DT_INT8 = ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
  DT_UINT16 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT16,
  DT_INT16 = ONNX__TENSOR_PROTO__DATA_TYPE__INT16,
  DT_INT32 = ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
  DT_INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
  DT_BOOL = ONNX__TENSOR_PROTO__DATA_TYPE__BOOL,
  DT_FLOAT16 = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16,
  DT_DOUBLE = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE,
  DT_UINT32 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT32,
  DT_UINT64 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT64,
  DT_BFLOAT16 = ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16,
};

static const char *dtype_name(int dt) {
  static const char *const names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                      "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                      "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                      "COMPLEX128", "BFLOAT16"};
  return dt >= 0 && dt < (int)(sizeof names / sizeof names[0]) ? names[dt] : "unknown";
}

/* Bytes per element in raw_data; 0 for types dlfusion cannot convert. */
static int raw_elem_size(int dt) {
  switch (dt) {
  case DT_UINT8:
  case DT_INT8:
  case DT_BOOL: return 1;
  case DT_UINT16:
  case DT_INT16:
  case DT_FLOAT16:
  case DT_BFLOAT16: return 2;
  case DT_FLOAT:
  case DT_INT32:
  case DT_UINT32: return 4;
  case DT_INT64:
  case DT_DOUBLE:
  case DT_UINT64: return 8;
  default: return 0;
  }
}

static bool is_float_type(int dt) {
  return dt == DT_FLOAT || dt == DT_DOUBLE || dt == DT_FLOAT16 || dt == DT_BFLOAT16;
}

static float half_to_float(uint16_t h) {
  int exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  float v;
  if (exp == 0)
    v = ldexpf((float)man, -24); /* subnormal */
  else if (exp == 31)
    v = man ? NAN : INFINITY;
  else
    v = ldexpf((float)(man | 0x400), exp - 25);
  return (h & 0x8000) ? -v : v;
}

static float bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float v;
  memcpy(&v, &bits, 4);
  return v;
}

/* Convert numel elements of ONNX type dt into dst (float32 for float types,
 * int64 otherwise). Source: raw little-endian bytes, or tp's typed field
 * when raw is NULL (its count was checked by the caller). False when a
 * UINT64 value does not fit int64. */
static bool convert_elems(int dt, const uint8_t *raw, const Onnx__TensorProto *tp, int64_t numel,
                          void *dst) {
  float *df = dst;
  int64_t *di = dst;
  for (int64_t i = 0; i < numel; i++) {
    switch (dt) {
    case DT_FLOAT:
      if (raw)
        memcpy(&df[i], raw + i * 4, 4);
      else
        df[i] = tp->float_data[i];
      break;
    case DT_DOUBLE: {
      double d;
      if (raw)
        memcpy(&d, raw + i * 8, 8);
      else
        d = tp->double_data[i];
      df[i] = (float)d;
      break;
    }
    case DT_FLOAT16:
    case DT_BFLOAT16: {
      uint16_t h;
      if (raw)
        memcpy(&h, raw + i * 2, 2);
      else
        h = (uint16_t)tp->int32_data[i];
      df[i] = dt == DT_FLOAT16 ? half_to_float(h) : bf16_to_float(h);
      break;
    }
    case DT_INT64:
      if (raw)
        memcpy(&di[i], raw + i * 8, 8);
      else
        di[i] = tp->int64_data[i];
      break;
    case DT_UINT64:
    case DT_UINT32: {
      uint64_t u;
      if (raw && dt == DT_UINT32) {
        uint32_t u32;
        memcpy(&u32, raw + i * 4, 4);
        u = u32;
      } else if (raw) {
        memcpy(&u, raw + i * 8, 8);
      } else {
        u = tp->uint64_data[i];
      }
      if (u > (uint64_t)INT64_MAX) return false;
      di[i] = (int64_t)u;
      break;
    }
    default: { /* INT32, INT16, UINT16, INT8, UINT8, BOOL: int32_data holds the value */
      if (!raw) {
        di[i] = tp->int32_data[i];
        break;
      }
      if (dt == DT_INT32) {
        int32_t v;
        memcpy(&v, raw + i * 4, 4);
        di[i] = v;
      } else if (dt == DT_INT16) {
        int16_t v;
        memcpy(&v, raw + i * 2, 2);
        di[i] = v;
      } else if (dt == DT_UINT16) {
        uint16_t v;
        memcpy(&v, raw + i * 2, 2);
        di[i] = v;
      } else if (dt == DT_INT8) {
        di[i] = (int8_t)raw[i];
      } else {
        di[i] = raw[i];
      }
    }
    }
  }
  return true;
}

/* The count of the typed field that holds dt's elements. */
static size_t typed_count(const Onnx__TensorProto *tp, int dt) {
  switch (dt) {
  case DT_FLOAT: return tp->n_float_data;
  case DT_DOUBLE: return tp->n_double_data;
  case DT_INT64: return tp->n_int64_data;
  case DT_UINT32:
  case DT_UINT64: return tp->n_uint64_data;
  default: return tp->n_int32_data;
  }
}

/* ------------------------------------------------------- external data -- */

static bool has_dotdot(const char *p) {
  for (const char *s = p; *s;) {
    const char *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 2 && s[0] == '.' && s[1] == '.') return true;
    if (!e) break;
    s = e + 1;
  }
  return false;
}

/* Read the external bytes of tensor tname into a new buffer of exactly
 * bytes (checked against the file before allocating). */
/* A location as errors show it: whole up to 200 bytes, else its first and last 96 around
 * "...", so that a message about a 1 KB location (a crafted file) still fits the one-line
 * message buffer with its reason. */
static const char *shown_path(const char *p, char *buf, size_t cap) {
  const size_t n = strlen(p);
  if (n <= 200 || cap < 200) return p;
  snprintf(buf, cap, "%.96s...%s", p, p + n - 96);
  return buf;
}

static dlf_status read_external(importer *imp, const Onnx__TensorProto *tp, const char *tname,
                                int64_t bytes, uint8_t **out) {
  const char *location = NULL;
  int64_t offset = 0, length = -1;
  for (size_t k = 0; k < tp->n_external_data; k++) {
    const Onnx__StringStringEntryProto *e = tp->external_data[k];
    if (!e->key || !e->value) continue;
    if (strcmp(e->key, "location") == 0) {
      location = e->value;
    } else if (strcmp(e->key, "offset") == 0 || strcmp(e->key, "length") == 0) {
      char *end;
      errno = 0;
      long long v = strtoll(e->value, &end, 10);
      if (errno || end == e->value || *end || v < 0)
        return dlf_error(DLF_ERR_PARSE, "%s: initializer '%s': bad external data %s '%s'",
                         imp->name, tname, e->key, e->value);
      if (e->key[0] == 'o')
        offset = v;
      else
        length = v;
    }
  }
  if (!location || !location[0])
    return dlf_error(DLF_ERR_PARSE, "%s: initializer '%s': external data without a location",
                     imp->name, tname);
  if (!imp->base_dir)
    return dlf_error(DLF_ERR_UNSUPPORTED,
                     "%s: initializer '%s': external data '%s' needs the model's directory "
                     "(load from a file)",
                     imp->name, tname, location);
  if (location[0] == '/' || has_dotdot(location))
    return dlf_error(DLF_ERR_PARSE,
                     "%s: initializer '%s': external data location '%s' must be a relative path "
                     "inside the model's directory",
                     imp->name, tname, location);
  if (length >= 0 && length != bytes)
    return dlf_error(DLF_ERR_PARSE,
                     "%s: initializer '%s': external data length %lld, its shape needs %lld bytes",
                     imp->name, tname, (long long)length, (long long)bytes);
  size_t plen = strlen(imp->base_dir) + strlen(location) + 2;
  char *path = malloc(plen);
  if (!path) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", imp->name);
  snprintf(path, plen, "%s/%s", imp->base_dir, location);
  /* The textual checks above do not stop a symlink inside the model's
   * directory from pointing anywhere: resolve the path and require it to
   * stay under the resolved directory, then open what was resolved. */
  char *real = realpath(path, NULL), *real_base = realpath(imp->base_dir, NULL);
  if (real && real_base) {
    size_t nb = strlen(real_base);
    bool inside = strncmp(real, real_base, nb) == 0 && (real[nb] == '/' || nb == 1);
    if (!inside) {
      dlf_status esc = dlf_error(DLF_ERR_INVALID_ARG,
                                 "%s: initializer '%s': external data location '%s' resolves to "
                                 "'%s', outside the model's directory",
                                 imp->name, tname, location, real);
      free(real);
      free(real_base);
      free(path);
      return esc;
    }
  }
  free(real_base);
  dlf_status st = DLF_OK;
  uint8_t *buf = NULL;
  const char *opened = real ? real : path;
  int fd = -1;
  size_t fsize = 0;
  int64_t end;
  if ((st = dlf_open_regular(opened, &fd, &fsize)) != DLF_OK) {
    /* "<opened>: cannot open: ..." / "...: not a regular file": name the tensor too */
    char why[256];
    /* the reason after "<opened>: "; a path so long that it cut that message short (the
     * reason was once read from past its end) gets the reason from stat() again */
    const char *said = dlf_last_error();
    const size_t ol = strlen(opened);
    struct stat sb;
    if (strncmp(said, opened, ol) == 0 && strlen(said) >= ol + 2)
      snprintf(why, sizeof why, "%s", said + ol + 2);
    else
      snprintf(why, sizeof why, "%s", stat(opened, &sb) != 0 ? strerror(errno) : "cannot open");
    char sp[256];
    st = dlf_error(st, "%s: initializer '%s': external data file '%s': %s", imp->name, tname,
                   shown_path(path, sp, sizeof sp), why);
  } else if (!dlf_add_i64(offset, bytes, &end) || end > (int64_t)fsize) {
    st = dlf_error(DLF_ERR_PARSE,
                   "%s: initializer '%s': external data file '%s' is too short: %lld bytes, "
                   "needs %lld at offset %lld",
                   imp->name, tname, path, (long long)fsize, (long long)bytes, (long long)offset);
  } else if (!(buf = malloc(bytes ? (size_t)bytes : 1))) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: initializer '%s': out of memory (%lld bytes)", imp->name,
                   tname, (long long)bytes);
  } else {
    for (int64_t done = 0; done < bytes;) {
      ssize_t got = pread(fd, buf + done, (size_t)(bytes - done), (off_t)(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) { /* an error, or the file shrank since the size check */
        st = dlf_error(DLF_ERR_IO, "%s: initializer '%s': reading external data file '%s' failed",
                       imp->name, tname, path);
        break;
      }
      done += got;
    }
  }
  free(real);
  if (fd >= 0) close(fd);
  free(path);
  if (st != DLF_OK) {
    free(buf);
    return st;
  }
  *out = buf;
  return DLF_OK;
}

/* ---------------------------------------------------------- constants -- */

/* Add tp as a graph constant named tname. May take ownership of tp's
 * buffers (raw_data, float_data, int64_data) and clear them in tp. */
static dlf_status add_tensor_proto(importer *imp, Onnx__TensorProto *tp, const char *tname,
                                   int *out) {
  int dt = tp->has_data_type ? tp->data_type : 0;
  if (tp->n_dims > IR_MAX_DIMS)
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: initializer '%s' has %zu dimensions (at most %d)",
                     imp->name, tname, tp->n_dims, IR_MAX_DIMS);
  int esize = raw_elem_size(dt);
  if (!esize)
    return dlf_error(DLF_ERR_UNSUPPORTED,
                     "%s: initializer '%s' has data type %s (%d), which dlfusion does not support",
                     imp->name, tname, dtype_name(dt), dt);
  ir_dtype out_dt = is_float_type(dt) ? IR_F32 : IR_I64;
  int64_t numel, src_bytes, out_bytes;
  if (!dlf_numel(tp->dims, (int)tp->n_dims, &numel) || !dlf_mul_i64(numel, esize, &src_bytes) ||
      !dlf_mul_i64(numel, (int64_t)ir_dtype_size(out_dt), &out_bytes)) {
    char buf[200];
    int64_t dims[IR_MAX_DIMS];
    for (size_t k = 0; k < tp->n_dims; k++)
      dims[k] = tp->dims[k];
    return dlf_error(DLF_ERR_LIMIT,
                     "%s: initializer '%s' declares shape %s: negative or overflowing", imp->name,
                     tname, ir_dims_str(dims, (int)tp->n_dims, buf, sizeof buf));
  }
  /* Both the file's bytes (external data is read into a buffer of that size) and the
   * converted tensor are checked, before either is allocated. */
  int64_t need = src_bytes > out_bytes ? src_bytes : out_bytes;
  if (need > imp->cap) {
    char buf[200], cap[DLF_CAP_PHRASE_SIZE];
    int64_t dims[IR_MAX_DIMS];
    for (size_t k = 0; k < tp->n_dims; k++)
      dims[k] = tp->dims[k];
    return dlf_error(DLF_ERR_LIMIT, "%s: initializer '%s' declares shape %s (%lld bytes), above %s",
                     imp->name, tname, ir_dims_str(dims, (int)tp->n_dims, buf, sizeof buf),
                     (long long)need, dlf_cap_phrase(imp->cap, cap, sizeof cap));
  }
  void *data = NULL;
  const uint8_t *raw = NULL;
  uint8_t *owned_raw = NULL; /* external bytes to free after conversion */
  bool external =
      tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if (external) {
    DLF_TRY(read_external(imp, tp, tname, src_bytes, &owned_raw));
    if (dt == DT_FLOAT || dt == DT_INT64) {
      data = owned_raw; /* already in our layout */
      owned_raw = NULL;
    } else {
      raw = owned_raw;
    }
  } else if (tp->has_raw_data && (tp->raw_data.len > 0 || numel == 0 || typed_count(tp, dt) == 0)) {
    if ((int64_t)tp->raw_data.len != src_bytes)
      return dlf_error(DLF_ERR_PARSE,
                       "%s: initializer '%s': raw_data has %zu bytes, its shape needs %lld (%lld "
                       "%s elements)",
                       imp->name, tname, tp->raw_data.len, (long long)src_bytes, (long long)numel,
                       dtype_name(dt));
    if ((dt == DT_FLOAT || dt == DT_INT64) && tp->raw_data.data) {
      data = tp->raw_data.data; /* malloc'd by pb_alloc: take it */
      tp->raw_data.data = NULL;
      tp->raw_data.len = 0;
    } else {
      raw = tp->raw_data.data;
    }
  } else {
    size_t count = typed_count(tp, dt);
    if ((int64_t)count != numel)
      return dlf_error(DLF_ERR_PARSE, "%s: initializer '%s' has %zu values, its shape needs %lld",
                       imp->name, tname, count, (long long)numel);
    if (dt == DT_FLOAT && count) {
      data = tp->float_data;
      tp->float_data = NULL;
      tp->n_float_data = 0;
    } else if (dt == DT_INT64 && count) {
      data = tp->int64_data;
      tp->int64_data = NULL;
      tp->n_int64_data = 0;
    }
  }
  if (!data) {
    /* A conversion (or an empty tensor: constants always have a buffer). */
    data = malloc(out_bytes ? (size_t)out_bytes : 1);
    if (!data) {
      free(owned_raw);
      return dlf_error(DLF_ERR_NOMEM, "%s: initializer '%s': out of memory (%lld bytes)", imp->name,
                       tname, (long long)out_bytes);
    }
    if (numel > 0 && !convert_elems(dt, raw, tp, numel, data)) {
      free(owned_raw);
      free(data);
      return dlf_error(DLF_ERR_UNSUPPORTED, "%s: initializer '%s': a %s value does not fit int64",
                       imp->name, tname, dtype_name(dt));
    }
  }
  free(owned_raw);
  int64_t dims[IR_MAX_DIMS];
  for (size_t k = 0; k < tp->n_dims; k++)
    dims[k] = tp->dims[k];
  return ir_graph_add_constant(imp->g, tname, out_dt, (int)tp->n_dims, dims, data, out);
}

/* ------------------------------------------------------------- graph -- */

static const char *node_label(const Onnx__NodeProto *np, size_t i, char *buf, size_t size) {
  if (np->name && np->name[0]) return np->name;
  snprintf(buf, size, "#%zu", i);
  return buf;
}

static dlf_status add_graph_input(importer *imp, const Onnx__ValueInfoProto *vi) {
  const char *name = vi->name ? vi->name : "";
  if (!name[0]) return dlf_error(DLF_ERR_PARSE, "%s: a graph input has no name", imp->name);
  int existing = ir_graph_find_tensor(imp->g, name);
  if (existing >= 0 && imp->g->tensors[existing].data) return DLF_OK; /* an initializer */
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: input '%s' is not a tensor (or has no type)",
                     imp->name, name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  int et = tt->has_elem_type ? tt->elem_type : 0;
  ir_dtype dtype;
  if (et == DT_FLOAT)
    dtype = IR_F32;
  else if (et == DT_INT64)
    dtype = IR_I64;
  else
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: input '%s' has type %s (float or int64 supported)",
                     imp->name, name, dtype_name(et));
  if (!tt->shape) return dlf_error(DLF_ERR_PARSE, "%s: input '%s' has no shape", imp->name, name);
  if (tt->shape->n_dim > IR_MAX_DIMS)
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: input '%s' has %zu dimensions (at most %d)",
                     imp->name, name, tt->shape->n_dim, IR_MAX_DIMS);
  int64_t dims[IR_MAX_DIMS];
  for (size_t k = 0; k < tt->shape->n_dim; k++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
    /* A symbolic (dim_param) or absent dim is 1: batch 1 unless bound. */
    dims[k] =
        d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d->dim_value : 1;
    if (dims[k] < 0)
      return dlf_error(DLF_ERR_PARSE, "%s: input '%s' has negative dimension %lld", imp->name, name,
                       (long long)dims[k]);
  }
  int64_t numel, bytes;
  if (!dlf_numel(dims, (int)tt->shape->n_dim, &numel) ||
      !dlf_mul_i64(numel, (int64_t)ir_dtype_size(dtype), &bytes) || bytes > imp->cap) {
    char buf[200], cap[DLF_CAP_PHRASE_SIZE];
    return dlf_error(
        DLF_ERR_LIMIT,
        "%s: input '%s' declares a shape beyond the limit: %s is negative, overflowing or above %s",
        imp->name, name, ir_dims_str(dims, (int)tt->shape->n_dim, buf, sizeof buf),
        dlf_cap_phrase(imp->cap, cap, sizeof cap));
  }
  int idx;
  DLF_TRY(ir_graph_add_tensor(imp->g, name, dtype, (int)tt->shape->n_dim, dims, &idx));
  int *inputs = realloc(imp->g->inputs, (size_t)(imp->g->n_inputs + 1) * sizeof(int));
  if (!inputs) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", imp->name);
  imp->g->inputs = inputs;
  inputs[imp->g->n_inputs++] = idx;
  return DLF_OK;
}

static dlf_status add_graph_output(importer *imp, const Onnx__ValueInfoProto *vi) {
  const char *name = vi->name ? vi->name : "";
  if (!name[0]) return dlf_error(DLF_ERR_PARSE, "%s: a graph output has no name", imp->name);
  int idx = ir_graph_find_tensor(imp->g, name);
  if (idx < 0) {
    ir_dtype dtype = IR_F32;
    if (vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        vi->type->tensor_type && vi->type->tensor_type->elem_type == DT_INT64)
      dtype = IR_I64;
    DLF_TRY(ir_graph_add_tensor(imp->g, name, dtype, 0, NULL, &idx));
  }
  int *outputs = realloc(imp->g->outputs, (size_t)(imp->g->n_outputs + 1) * sizeof(int));
  if (!outputs) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", imp->name);
  imp->g->outputs = outputs;
  outputs[imp->g->n_outputs++] = idx;
  return DLF_OK;
}

static Onnx__AttributeProto__AttributeType attr_type(const Onnx__AttributeProto *a) {
  if (a->has_type) return a->type;
  /* Models older than IR version 2 leave type unset: infer it from the field. */
  if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static const char *attr_type_name(Onnx__AttributeProto__AttributeType t) {
  static const char *const names[] = {"UNDEFINED",      "FLOAT",      "INT",        "STRING",
                                      "TENSOR",         "GRAPH",      "FLOATS",     "INTS",
                                      "STRINGS",        "TENSORS",    "GRAPHS",     "SPARSE_TENSOR",
                                      "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};
  return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

/* The IR kind an ONNX attribute type becomes, or -1 for the types the IR cannot hold. */
static int ir_kind_of(Onnx__AttributeProto__AttributeType t) {
  switch (t) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return IR_ATTR_FLOAT;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return IR_ATTR_INT;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return IR_ATTR_STRING;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return IR_ATTR_FLOATS;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return IR_ATTR_INTS;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return IR_ATTR_TENSOR;
  default: return -1;
  }
}

static dlf_status add_attr(importer *imp, int node, Onnx__AttributeProto *a) {
  ir_graph *g = imp->g;
  ir_node *n = &g->nodes[node];
  const char *an = a->name ? a->name : "";
  if (!an[0]) return ir_node_error(g, n, DLF_ERR_PARSE, "an attribute has no name");
  /* "dlf_" names mark the passes' internal forms (ir.h): a file cannot set them */
  if (!strncmp(an, "dlf_", 4)) return DLF_OK;
  /* An attribute the op reads must have its type: the getters would otherwise ignore a
   * wrong one and use the default (a kernel_shape of "3x3" read as absent). */
  const char *expected;
  unsigned kinds = ir_op_attr_kinds(n->op, an, &expected);
  int kind = ir_kind_of(attr_type(a));
  if (kinds && (kind < 0 || !(kinds & (1u << kind))))
    return ir_node_error(g, n, DLF_ERR_PARSE, "attribute '%s' must be %s, got %s", an, expected,
                         attr_type_name(attr_type(a)));
  switch (attr_type(a)) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return ir_node_set_float(n, an, a->f);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return ir_node_set_int(n, an, a->i);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
    char *s = malloc(a->s.len + 1);
    if (!s) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory");
    if (a->s.len) memcpy(s, a->s.data, a->s.len);
    s[a->s.len] = '\0';
    dlf_status st = ir_node_set_string(n, an, s);
    free(s);
    return st;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    if (a->n_floats > INT_MAX)
      return ir_node_error(g, n, DLF_ERR_LIMIT, "attribute '%s' too long", an);
    return ir_node_set_floats(n, an, a->floats, (int)a->n_floats);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    if (a->n_ints > INT_MAX)
      return ir_node_error(g, n, DLF_ERR_LIMIT, "attribute '%s' too long", an);
    return ir_node_set_ints(n, an, a->ints, (int)a->n_ints);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    if (!a->t) return ir_node_error(g, n, DLF_ERR_PARSE, "attribute '%s' has no tensor", an);
    /* The value becomes a graph constant "<node>_<attr>" (made unique). */
    size_t len = strlen(n->name) + strlen(an) + 24;
    char *tname = malloc(len);
    if (!tname) return ir_node_error(g, n, DLF_ERR_NOMEM, "out of memory");
    snprintf(tname, len, "%s_%s", n->name, an);
    for (int k = 1; ir_graph_find_tensor(g, tname) >= 0; k++)
      snprintf(tname, len, "%s_%s_%d", n->name, an, k);
    int idx;
    dlf_status st = add_tensor_proto(imp, a->t, tname, &idx);
    free(tname);
    DLF_TRY(st);
    return ir_node_set_tensor(&g->nodes[node], an, idx);
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED:
    return ir_node_error(g, n, DLF_ERR_PARSE, "attribute '%s' has no type", an);
  default:
    return ir_node_error(g, n, DLF_ERR_UNSUPPORTED,
                         "attribute '%s' is a graph, sparse tensor, list of strings/tensors or "
                         "type (type %d): not supported",
                         an, (int)a->type);
  }
}

static bool default_domain(const char *d) { return !d || !d[0] || strcmp(d, "ai.onnx") == 0; }

/* Bounds on what a graph may hold. Later stages are not all linear: the memory planner's
 * greedy placement is quadratic in activations (a 5 MB file of 200000 chained Relus took
 * 68 s to load). CNNs stay far below: ResNet-152 has about 500 nodes. */
#define ONNX_MAX_NODES 65536
#define ONNX_MAX_NODE_OUTPUTS 65536

static dlf_status import_model(importer *imp, Onnx__ModelProto *m) {
  const Onnx__GraphProto *gp = m->graph;
  if (!gp) return dlf_error(DLF_ERR_PARSE, "%s: the model has no graph", imp->name);
  if (gp->n_node > ONNX_MAX_NODES)
    return dlf_error(DLF_ERR_LIMIT, "%s: the graph has %zu nodes (at most %d supported)",
                     imp->name, gp->n_node, ONNX_MAX_NODES);
  size_t n_outputs = 0;
  for (size_t i = 0; i < gp->n_node; i++)
    n_outputs += gp->node[i]->n_output; /* each takes >= 2 bytes of the file: no overflow */
  if (n_outputs > ONNX_MAX_NODE_OUTPUTS)
    return dlf_error(DLF_ERR_LIMIT, "%s: the graph's nodes have %zu outputs (at most %d supported)",
                     imp->name, n_outputs, ONNX_MAX_NODE_OUTPUTS);

  int64_t version = -1;
  bool found = false;
  for (size_t k = 0; k < m->n_opset_import; k++)
    if (default_domain(m->opset_import[k]->domain)) {
      version = m->opset_import[k]->version;
      found = true;
    }
  if (!found)
    return dlf_error(DLF_ERR_PARSE, "%s: no opset_import for the default (ai.onnx) domain",
                     imp->name);
  if (version < ONNX_OPSET_MIN || version > ONNX_OPSET_MAX)
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: opset %lld is not supported (%d to %d)", imp->name,
                     (long long)version, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
  int opset = (int)version;
  if (gp->n_sparse_initializer)
    return dlf_error(DLF_ERR_UNSUPPORTED, "%s: sparse initializers are not supported", imp->name);

  DLF_TRY(ir_graph_create(imp->name, &imp->g));
  ir_graph *g = imp->g;
  g->opset = opset;
  g->max_tensor_bytes = imp->cap;

  for (size_t k = 0; k < gp->n_initializer; k++) {
    Onnx__TensorProto *tp = gp->initializer[k];
    if (!tp->name || !tp->name[0])
      return dlf_error(DLF_ERR_PARSE, "%s: initializer #%zu has no name", imp->name, k);
    int idx;
    DLF_TRY(add_tensor_proto(imp, tp, tp->name, &idx));
  }
  for (size_t k = 0; k < gp->n_input; k++)
    DLF_TRY(add_graph_input(imp, gp->input[k]));

  /* Pass 1: check every node's op and create its outputs, so that pass 2
   * can resolve inputs whatever the node order (the caller toposorts). */
  char label[32];
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *nn = node_label(np, i, label, sizeof label);
    const char *opt = np->op_type ? np->op_type : "";
    if (!default_domain(np->domain))
      return dlf_error(DLF_ERR_UNSUPPORTED,
                       "%s: node '%s' (%s): operator domain '%s' is not supported (only ai.onnx)",
                       imp->name, nn, opt, np->domain);
    if (ir_op_from_name(opt) == IR_OP_COUNT)
      return dlf_error(DLF_ERR_UNSUPPORTED, "%s: node '%s' (%s): unsupported operator", imp->name,
                       nn, opt);
    for (size_t o = 0; o < np->n_output; o++) {
      const char *on = np->output[o];
      if (!on || !on[0]) continue;
      if (ir_graph_find_tensor(g, on) >= 0)
        return dlf_error(DLF_ERR_PARSE, "%s: node '%s' (%s): output '%s' is already defined",
                         imp->name, nn, opt, on);
      int idx;
      DLF_TRY(ir_graph_add_tensor(g, on, IR_F32, 0, NULL, &idx));
    }
  }
  for (size_t k = 0; k < gp->n_output; k++)
    DLF_TRY(add_graph_output(imp, gp->output[k]));

  /* Pass 2: the nodes and their attributes. */
  for (size_t i = 0; i < gp->n_node; i++) {
    Onnx__NodeProto *np = gp->node[i];
    const char *nn = node_label(np, i, label, sizeof label);
    ir_op op = ir_op_from_name(np->op_type);
    if (np->n_input > 1024 || np->n_output > 1024)
      return dlf_error(DLF_ERR_LIMIT, "%s: node '%s' (%s): too many inputs or outputs", imp->name,
                       nn, np->op_type);
    int ins[1024], outs[1024];
    for (size_t k = 0; k < np->n_input; k++) {
      const char *in = np->input[k];
      ins[k] = in && in[0] ? ir_graph_find_tensor(g, in) : -1;
      if (in && in[0] && ins[k] < 0)
        return dlf_error(DLF_ERR_PARSE,
                         "%s: node '%s' (%s): input '%s' is not a graph input, initializer or "
                         "node output",
                         imp->name, nn, np->op_type, in);
    }
    for (size_t k = 0; k < np->n_output; k++) {
      const char *on = np->output[k];
      outs[k] = on && on[0] ? ir_graph_find_tensor(g, on) : -1;
    }
    int node;
    DLF_TRY(
        ir_graph_add_node(g, np->name, op, (int)np->n_input, ins, (int)np->n_output, outs, &node));
    g->nodes[node].opset = opset;
    for (size_t k = 0; k < np->n_attribute; k++)
      DLF_TRY(add_attr(imp, node, np->attribute[k]));
  }
  return DLF_OK;
}

/* ------------------------------------------------------ nesting depth -- */

/* protobuf-c unpacks nested messages recursively with no depth limit: a 1 MB
 * file of GraphProto-in-AttributeProto-in-NodeProto (or TypeProto-in-TypeProto)
 * nests ~100k deep and overflows the stack inside onnx__model_proto__unpack,
 * before the importer sees anything. So the wire format is walked first, with
 * the generated descriptors telling which length-delimited fields are
 * messages, and deeper nesting is refused. Real models (control flow
 * included) stay far below this. */
#define ONNX_MAX_NESTING 64

typedef enum { SCAN_OK, SCAN_MALFORMED, SCAN_TOO_DEEP } scan_result;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* Every byte is visited by one level only (sub-messages are skipped by
 * length at their parent's level), so the walk is linear in the file size;
 * its own recursion is bounded by ONNX_MAX_NESTING. */
static scan_result scan_message(const uint8_t *p, const uint8_t *end,
                                const ProtobufCMessageDescriptor *desc, int depth) {
  if (depth > ONNX_MAX_NESTING) return SCAN_TOO_DEEP;
  while (p < end) {
    uint64_t key, len;
    if (!read_varint(&p, end, &key)) return SCAN_MALFORMED;
    switch (key & 7) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
      if (!read_varint(&p, end, &len)) return SCAN_MALFORMED;
      break;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
      if (end - p < 8) return SCAN_MALFORMED;
      p += 8;
      break;
    case PROTOBUF_C_WIRE_TYPE_32BIT:
      if (end - p < 4) return SCAN_MALFORMED;
      p += 4;
      break;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: {
      if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p)) return SCAN_MALFORMED;
      const ProtobufCFieldDescriptor *f =
          key >> 3 <= UINT32_MAX
              ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3))
              : NULL;
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        scan_result r = scan_message(p, p + len, f->descriptor, depth + 1);
        if (r != SCAN_OK) return r;
      }
      p += len;
      break;
    }
    default: return SCAN_MALFORMED; /* groups (3, 4) are not in onnx.proto; 6, 7 do not exist */
    }
  }
  return SCAN_OK;
}

static dlf_status import_buffer(const void *data, size_t size, const char *name,
                                const char *base_dir, int64_t cap, ir_graph **out) {
  if (size == 0) return dlf_error(DLF_ERR_PARSE, "%s: empty file, not an ONNX model", name);
  scan_result scan = scan_message(data, (const uint8_t *)data + size,
                                  &onnx__model_proto__descriptor, 1);
  if (scan == SCAN_TOO_DEEP)
    return dlf_error(DLF_ERR_LIMIT,
                     "%s: protobuf messages nested more than %d deep (graph attributes or types "
                     "inside each other): refused before parsing",
                     name, ONNX_MAX_NESTING);
  Onnx__ModelProto *m = scan == SCAN_MALFORMED
                            ? NULL
                            : onnx__model_proto__unpack(&g_pb_allocator, size, data);
  if (!m)
    return dlf_error(DLF_ERR_PARSE, "%s: not a valid ONNX model (protobuf parse failed)", name);
  importer imp = {name, base_dir, NULL, dlf_cap_or_default(cap)};
  dlf_status st = import_model(&imp, m);
  onnx__model_proto__free_unpacked(m, &g_pb_allocator);
  if (st != DLF_OK) {
    ir_graph_free(imp.g);
    return st;
  }
  *out = imp.g;
  return DLF_OK;
}

dlf_status fe_onnx_import_buffer(const void *data, size_t size, const char *name,
                                 const char *base_dir, int64_t max_tensor_bytes, ir_graph **out) {
  dlf_error_clear();
  if (!out || (!data && size))
    return dlf_error(DLF_ERR_INVALID_ARG, "fe_onnx_import_buffer: NULL argument");
  *out = NULL;
  return import_buffer(data, size, name ? name : "model", base_dir, max_tensor_bytes, out);
}

dlf_status fe_onnx_import(const char *path, int64_t max_tensor_bytes, ir_graph **out) {
  dlf_error_clear();
  if (!path || !out) return dlf_error(DLF_ERR_INVALID_ARG, "fe_onnx_import: NULL argument");
  *out = NULL;
  /* Map rather than read: protobuf-c copies what it keeps, so the file's
   * bytes are needed only during unpacking. */
  const void *map;
  size_t size;
  DLF_TRY(dlf_map_file(path, &map, &size));
  if (size == 0) return dlf_error(DLF_ERR_PARSE, "%s: empty file, not an ONNX model", path);

  /* External data lives next to the model. */
  const char *slash = strrchr(path, '/');
  size_t dlen = slash ? (size_t)(slash - path) : 1;
  char *dir = malloc(dlen + 2);
  dlf_status st;
  if (!dir) {
    st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory", path);
  } else {
    if (slash)
      memcpy(dir, path, dlen);
    else
      dir[0] = '.';
    if (slash && dlen == 0) dir[dlen++] = '/'; /* "/model.onnx" */
    dir[dlen] = '\0';
    st = import_buffer(map, size, path, dir, max_tensor_bytes, out);
  }
  free(dir);
  dlf_unmap_file(map, size);
  return st;
}
