/* dlfusion.h — the public C API of dlfusion, an auto-tuning layer-fusion
 * compiler and runtime for CNN inference. One header, opaque handles, every
 * call returns a dlf_status; on failure dlf_last_error() names what went wrong. */
#ifndef DLFUSION_H
#define DLFUSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLF_VERSION_STRING "0.1.0"

typedef enum dlf_status {
  DLF_OK = 0,
  DLF_ERR_INVALID_ARG = 1, /* a caller passed something that cannot be right */
  DLF_ERR_IO = 2,          /* a file could not be opened, read or written */
  DLF_ERR_PARSE = 3,       /* a file is not what it claims to be */
  DLF_ERR_UNSUPPORTED = 4, /* valid input that dlfusion does not implement */
  DLF_ERR_SHAPE = 5,       /* shapes or types that do not fit together */
  DLF_ERR_NOMEM = 6,       /* an allocation failed */
  DLF_ERR_LIMIT = 7,       /* a size, count or depth beyond a configured limit */
  DLF_ERR_INTERNAL = 8,    /* a bug in dlfusion: please report it */
} dlf_status;

/* A short constant name for a status ("parse error", ...). */
const char *dlf_status_string(dlf_status status);

/* The message of the last failed call on this thread ("" if none). The text
 * names the file, node, op and values involved. Valid until the next call
 * into dlfusion on this thread. */
const char *dlf_last_error(void);

typedef enum dlf_dtype { DLF_FLOAT32 = 1, DLF_INT64 = 7 } dlf_dtype;

#define DLF_MAX_DIMS 8

/* A tensor the caller owns: a name, a type, a shape and (optionally) data. */
typedef struct dlf_tensor {
  const char *name;
  dlf_dtype dtype;
  int ndim;
  int64_t dims[DLF_MAX_DIMS];
  void *data;
} dlf_tensor;

/* ---------------------------------------------------------------- tensors -- */

/* Read a .npy file (float32 or int64, C order, little endian) into a tensor
 * whose data this call allocates; release it with dlf_tensor_release. The
 * tensor's name is NULL. */
dlf_status dlf_npy_load(const char *path, dlf_tensor *out);
/* Write a tensor (float32 or int64) as .npy. */
dlf_status dlf_npy_save(const char *path, const dlf_tensor *t);
/* Free data allocated by dlfusion (dlf_npy_load) and clear the tensor. */
void dlf_tensor_release(dlf_tensor *t);

/* ---------------------------------------------------------------- models -- */

typedef struct dlf_model dlf_model;

typedef struct dlf_load_options {
  /* Seed for the deterministic random weights of zoo models (0 = default). */
  uint64_t zoo_seed;
  /* Batch size for zoo models (0 = 1). */
  int zoo_batch;
  /* Graph inputs to bind before compilation. With data: the input becomes a
   * constant (how int64 shape inputs are given); its dtype must match and its
   * rank equal the declared one. Without data (NULL): only the shape is
   * fixed, e.g. to resolve a symbolic batch dimension (same rank required).
   * A binding whose name is NULL binds by position: the k-th unnamed binding
   * goes to the k-th graph input (in the model's order) that no named
   * binding claims. Binding an input twice, or a name that is no input, fails. */
  const dlf_tensor *bindings;
  int num_bindings;
  /* Shape-only bindings may change only the batch dimension (dim 0) and
   * dims the model declares as 1 (symbolic dims import as 1); anything else
   * fails with "input 'x': given shape A, model expects B". Set by tools that
   * bind input files; leave 0 to allow any dims of the same rank. */
  int strict_shapes;
  /* Skip the graph passes (BN folding, epilogue fusion, ...): the model is
   * executed exactly as imported. Used to test the passes. */
  int no_optimize;
} dlf_load_options;

/* Load a model. spec is a path to an .onnx file or "zoo:NAME" for a built-in
 * model (see dlf_zoo_names). opts may be NULL. */
dlf_status dlf_model_load(const char *spec, const dlf_load_options *opts, dlf_model **out);
void dlf_model_free(dlf_model *model);

/* NULL-terminated list of the built-in zoo's model names. */
const char *const *dlf_zoo_names(void);

/* Write a model (e.g. a zoo model with its weights) as an ONNX file. */
dlf_status dlf_model_save_onnx(const dlf_model *model, const char *path);

/* Graph inputs (those that are not constants) and outputs, with shapes. The
 * returned dlf_tensor's data is NULL; name points into the model. */
int dlf_model_num_inputs(const dlf_model *model);
int dlf_model_num_outputs(const dlf_model *model);
dlf_status dlf_model_input(const dlf_model *model, int index, dlf_tensor *out);
dlf_status dlf_model_output(const dlf_model *model, int index, dlf_tensor *out);

/* ---------------------------------------------------------------- layers -- */

/* A layer is the unit the fusion tuner reasons about: one node of the
 * optimized graph (a convolution with its folded BN, bias, activation and
 * residual add; a pooling; a fully connected layer; ...). */
typedef struct dlf_layer_info {
  int index;
  const char *name;
  const char *op;       /* "Conv", "MaxPool", "Gemm", ... */
  const char *epilogue; /* "relu", "add+relu", "" ... (static string) */
  int ndim_in, ndim_out;
  int64_t in_dims[DLF_MAX_DIMS];  /* first activation input */
  int64_t out_dims[DLF_MAX_DIMS]; /* first output */
  int64_t kernel_h, kernel_w, stride_h, stride_w, groups; /* 0 where n/a */
  int64_t in_channels, out_channels;
  int64_t macs;          /* multiply-accumulates (conv, gemm, matmul) */
  int64_t params;        /* weight + bias elements */
  int64_t weight_bytes;  /* bytes of constant inputs */
  int64_t act_in_bytes;  /* bytes of activation inputs */
  int64_t act_out_bytes; /* bytes of outputs */
  double intensity;      /* 2*macs / (weight + activation bytes): FLOP/byte */
} dlf_layer_info;

int dlf_model_num_layers(const dlf_model *model);
dlf_status dlf_model_layer(const dlf_model *model, int index, dlf_layer_info *out);

/* Totals over the layer table. params is counted on the graph as imported
 * (before passes), the way torchvision counts parameters: float constants
 * read by Conv, Gemm, MatMul, PRelu, Add, Mul and BatchNormalization's scale
 * and bias (running statistics are not parameters). macs and weight_bytes
 * sum the layers of the compiled graph. act_peak_bytes is the size of the
 * one arena the runtime's memory planner lays all activations out in
 * (lifetimes, then greedy placement by size; graph inputs are the caller's
 * and not counted); act_total_bytes is the sum of all activations' sizes,
 * what one buffer per tensor would take. */
typedef struct dlf_model_summary {
  int layers;
  int64_t macs, params, weight_bytes, act_peak_bytes;
  int64_t act_total_bytes;
} dlf_model_summary;

dlf_status dlf_model_summarize(const dlf_model *model, dlf_model_summary *out);

/* -------------------------------------------------------------- sessions -- */

typedef struct dlf_session dlf_session;

typedef enum dlf_engine {
  DLF_ENGINE_DEFAULT = 0,   /* the fastest available: the fast engine (NHWC
                               kernels of the best ISA, "fast (avx512)" etc.) */
  DLF_ENGINE_REFERENCE = 1, /* the naive, obviously-correct executor */
} dlf_engine;

typedef struct dlf_session_options {
  dlf_engine engine;
  int threads; /* 0 = all cores */
} dlf_session_options;

/* Create once, run many: shapes and buffers are prepared here. The model must
 * outlive the session. opts may be NULL. */
dlf_status dlf_session_create(const dlf_model *model, const dlf_session_options *opts,
                              dlf_session **out);
void dlf_session_free(dlf_session *session);

/* inputs[i] / outputs[i] point to caller-owned buffers in the order and with
 * the shapes of dlf_model_input / dlf_model_output (NCHW, C order). */
dlf_status dlf_session_run(dlf_session *session, const void *const *inputs,
                           void *const *outputs);

/* dlf_session_run, and also time every layer: layer_ms[i] receives the
 * wall-clock milliseconds of layer i (the order of dlf_model_layer;
 * dlf_model_num_layers entries). A clock read per layer is the only extra
 * cost. */
dlf_status dlf_session_run_profiled(dlf_session *session, const void *const *inputs,
                                    void *const *outputs, double *layer_ms);

/* The executor the session really runs ("reference", ...): what
 * DLF_ENGINE_DEFAULT resolved to. A static string; "" for NULL. */
const char *dlf_session_engine_name(const dlf_session *session);

#ifdef __cplusplus
}
#endif
#endif /* DLFUSION_H */
