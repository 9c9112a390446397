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

typedef struct dlf_plan dlf_plan;

typedef struct dlf_session_options {
  dlf_engine engine;
  int threads; /* 0 = all cores */
  /* Which layers run fused and on how many cores (see "plans" below); NULL = the
   * unfused plan (one layer per block on all threads, algorithms chosen by shape).
   * Needs DLF_ENGINE_DEFAULT; every block's core number must be <= the session's
   * threads. Only read during dlf_session_create. */
  const dlf_plan *plan;
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

/* The plan a DLF_ENGINE_DEFAULT session runs (a copy owned by the session: the one
 * given in the options, or the unfused plan); NULL for a reference session. */
const dlf_plan *dlf_session_plan(const dlf_session *session);

/* dlf_session_run, and also time every block of dlf_session_plan: block_ms[i]
 * receives block i's wall-clock milliseconds (dlf_plan_num_blocks entries). */
dlf_status dlf_session_run_blocks(dlf_session *session, const void *const *inputs,
                                  void *const *outputs, double *block_ms);

/* Memory a session holds for running, in bytes. */
typedef struct dlf_session_memory {
  int64_t arena_bytes;   /* activations that exist in full (planned by liveness) */
  int64_t scratch_bytes; /* per-thread scratch: fused blocks' tiles, im2col, ... */
  int64_t weight_bytes;  /* packed weights */
} dlf_session_memory;
dlf_status dlf_session_memory_usage(const dlf_session *session, dlf_session_memory *out);

/* What a block of the session's plan moves, predicted from its tile schedule: the
 * traffic `dlfusion info --plan` reports and the tuner's cost model starts from. */
typedef struct dlf_block_stats {
  int64_t dram_read_bytes;  /* activations the block reads from outside it + packed weights */
  int64_t dram_write_bytes; /* tensors the block writes in full (read after it) */
  int64_t cache_bytes;      /* rows of intermediates written and read back in per-thread
                             * tile scratch, halo recomputation included */
  int64_t saved_bytes;      /* DRAM traffic fusion avoids: each intermediate that never
                             * exists in full, written once and read once unfused */
  int64_t scratch_bytes;    /* tile scratch of one thread */
  int64_t l2_bytes;         /* the detected per-core L2 the scratch should fit in */
  int64_t tiles;            /* tiles per image (1 for a block of one layer) */
  double recompute;         /* the block's multiply-adds (or element visits) over the
                             * unfused ones: 1.0 means no halo recomputation */
} dlf_block_stats;
dlf_status dlf_session_block_stats(const dlf_session *session, int block, dlf_block_stats *out);

/* Threads the session runs on (what threads = 0 resolved to); 1 for the reference
 * executor; 0 for NULL. */
int dlf_session_threads(const dlf_session *session);

/* The executor the session really runs ("reference", ...): what
 * DLF_ENGINE_DEFAULT resolved to. A static string; "" for NULL. */
const char *dlf_session_engine_name(const dlf_session *session);

/* ----------------------------------------------------------------- plans -- */

/* A plan partitions the model's layers (dlf_model_layer order) into blocks that run
 * in order. A block of several layers is fused: its output is computed tile by tile
 * (bands of tile_rows output rows per image), each layer producing only the rows the
 * next one needs, so the block's intermediate tensors never exist in full. Each block
 * runs on `cores` threads and each layer with a kernel algorithm. The file format is
 * JSON, documented in docs/plan.md. Plans are checked against the model when read: a
 * layer missing or twice, a block that is not convex in the graph, a core number
 * larger than the plan's target, a tile height out of range, an unknown algorithm or
 * another model's fingerprint fail with a one-line error naming the problem. */

/* Read a plan file (or a JSON text of len bytes) made for this model. */
dlf_status dlf_plan_load(const dlf_model *model, const char *path, dlf_plan **out);
dlf_status dlf_plan_parse(const dlf_model *model, const char *json, size_t len, dlf_plan **out);
/* The unfused plan: one layer per block, `cores` cores each (0 = all available),
 * tile height and algorithms left to the engine. */
dlf_status dlf_plan_unfused(const dlf_model *model, int cores, dlf_plan **out);
/* The rule-of-thumb fused plan: each natural block of the network (a VGG conv stage with
 * its pool, a ResNet basic/bottleneck block, a MobileNetV2 inverted residual, a SqueezeNet
 * fire module — found from the graph's structure, not names) fused, every other layer a
 * block of its own, all on `cores` cores (0 = all available); tile heights and algorithms
 * left to the engine. The baseline a tuned plan must beat. */
dlf_status dlf_plan_fuse_blocks(const dlf_model *model, int cores, dlf_plan **out);
/* Write a plan as JSON (dlf_plan_load reads it back to an equal plan). */
dlf_status dlf_plan_save(const dlf_plan *plan, const char *path);
/* The same JSON as a malloc'd NUL-terminated string (free() it); NULL on failure. */
char *dlf_plan_to_json(const dlf_plan *plan);
void dlf_plan_free(dlf_plan *plan);

typedef struct dlf_block_info {
  int index;
  int num_layers;
  const int *layers;      /* layer indices, ascending; valid while the plan lives */
  const char *const *algorithms; /* per layer: "auto", "im2col", "winograd", ... */
  int cores;
  int tile_rows; /* 0 = the engine's choice */
} dlf_block_info;
int dlf_plan_num_blocks(const dlf_plan *plan);
dlf_status dlf_plan_block(const dlf_plan *plan, int index, dlf_block_info *out);

#ifdef __cplusplus
}
#endif
#endif /* DLFUSION_H */
