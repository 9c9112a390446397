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

/* Marks the library's exported functions: it is built with -fvisibility=hidden, so what is
 * declared here (and nothing internal) is what libdlfusion.so exports. */
#ifndef DLF_API
#if defined(__GNUC__) || defined(__clang__)
#define DLF_API __attribute__((visibility("default")))
#else
#define DLF_API
#endif
#endif

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
DLF_API const char *dlf_status_string(dlf_status status);

/* The message of the last failed call on this thread ("" if none). The text
 * names the file, node, op and values involved. Valid until the next call
 * into dlfusion on this thread. */
DLF_API const char *dlf_last_error(void);

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
DLF_API dlf_status dlf_npy_load(const char *path, dlf_tensor *out);
/* The same with a cap on the tensor's size in bytes, checked before allocating
 * (0 = the DLF_MAX_TENSOR_BYTES environment variable, else 16 GiB; at most 1 TiB). */
DLF_API dlf_status dlf_npy_load_capped(const char *path, int64_t max_tensor_bytes, dlf_tensor *out);
/* Write a tensor (float32 or int64) as .npy. */
DLF_API dlf_status dlf_npy_save(const char *path, const dlf_tensor *t);
/* Free data allocated by dlfusion (dlf_npy_load) and clear the tensor. */
DLF_API void dlf_tensor_release(dlf_tensor *t);

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
  /* Largest tensor (bytes) the load may allocate or declare: initializers, external
   * data, folded constants, inputs, activations of sessions of this model. Files that
   * declare more fail before anything is allocated. 0 = the DLF_MAX_TENSOR_BYTES
   * environment variable ("4G", "512M", "65536"), else 16 GiB; at most 1 TiB. */
  int64_t max_tensor_bytes;
} dlf_load_options;

/* Load a model. spec is a path to an .onnx file or "zoo:NAME" for a built-in
 * model (see dlf_zoo_names). opts may be NULL. */
DLF_API dlf_status dlf_model_load(const char *spec, const dlf_load_options *opts, dlf_model **out);
DLF_API void dlf_model_free(dlf_model *model);

/* NULL-terminated list of the built-in zoo's model names. */
DLF_API const char *const *dlf_zoo_names(void);

/* Write a model (e.g. a zoo model with its weights) as an ONNX file. */
DLF_API dlf_status dlf_model_save_onnx(const dlf_model *model, const char *path);

/* Graph inputs (those that are not constants) and outputs, with shapes. The
 * returned dlf_tensor's data is NULL; name points into the model. */
DLF_API int dlf_model_num_inputs(const dlf_model *model);
DLF_API int dlf_model_num_outputs(const dlf_model *model);
DLF_API dlf_status dlf_model_input(const dlf_model *model, int index, dlf_tensor *out);
DLF_API dlf_status dlf_model_output(const dlf_model *model, int index, dlf_tensor *out);

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
  int64_t in_dims[DLF_MAX_DIMS];                          /* first activation input */
  int64_t out_dims[DLF_MAX_DIMS];                         /* first output */
  int64_t kernel_h, kernel_w, stride_h, stride_w, groups; /* 0 where n/a */
  int64_t in_channels, out_channels;
  int64_t macs;          /* multiply-accumulates (conv, gemm, matmul) */
  int64_t params;        /* weight + bias elements */
  int64_t weight_bytes;  /* bytes of constant inputs */
  int64_t act_in_bytes;  /* bytes of activation inputs */
  int64_t act_out_bytes; /* bytes of outputs */
  double intensity;      /* 2*macs / (weight + activation bytes): FLOP/byte */
} dlf_layer_info;

DLF_API int dlf_model_num_layers(const dlf_model *model);
DLF_API dlf_status dlf_model_layer(const dlf_model *model, int index, dlf_layer_info *out);
/* The layers whose outputs layer `index` reads (activations only: graph inputs and constants
 * are not layers), ascending, each once: the edges of the model's graph, for drawing it. Fills
 * from[0..max) and returns how many there are (which may exceed max); -1 on a bad argument. */
DLF_API int dlf_model_layer_inputs(const dlf_model *model, int index, int *from, int max);

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

DLF_API dlf_status dlf_model_summarize(const dlf_model *model, dlf_model_summary *out);

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
  /* Kernel path of the fast engine: "generic", "avx2" or "avx512", never above what this
   * CPU runs (a higher request gets the best it has). NULL or "" = the DLF_ISA environment
   * variable (same names), else the best this CPU has. Another name fails. */
  const char *isa;
} dlf_session_options;

/* Create once, run many: shapes and buffers are prepared here. The model must
 * outlive the session. opts may be NULL. */
DLF_API dlf_status dlf_session_create(const dlf_model *model, const dlf_session_options *opts,
                                      dlf_session **out);
DLF_API void dlf_session_free(dlf_session *session);

/* inputs[i] / outputs[i] point to caller-owned buffers in the order and with
 * the shapes of dlf_model_input / dlf_model_output (NCHW, C order). */
DLF_API dlf_status dlf_session_run(dlf_session *session, const void *const *inputs,
                                   void *const *outputs);

/* dlf_session_run, and also time every layer: layer_ms[i] receives the
 * wall-clock milliseconds of layer i (the order of dlf_model_layer;
 * dlf_model_num_layers entries). A clock read per layer is the only extra
 * cost. */
DLF_API dlf_status dlf_session_run_profiled(dlf_session *session, const void *const *inputs,
                                            void *const *outputs, double *layer_ms);

/* The plan a DLF_ENGINE_DEFAULT session runs (a copy owned by the session: the one
 * given in the options, or the unfused plan); NULL for a reference session. */
DLF_API const dlf_plan *dlf_session_plan(const dlf_session *session);

/* dlf_session_run, and also time every block of dlf_session_plan: block_ms[i]
 * receives block i's wall-clock milliseconds (dlf_plan_num_blocks entries). */
DLF_API dlf_status dlf_session_run_blocks(dlf_session *session, const void *const *inputs,
                                          void *const *outputs, double *block_ms);

/* Memory a session holds for running, in bytes. */
typedef struct dlf_session_memory {
  int64_t arena_bytes;   /* activations that exist in full (planned by liveness) */
  int64_t scratch_bytes; /* per-thread scratch: fused blocks' tiles, im2col, ... */
  int64_t weight_bytes;  /* packed weights */
} dlf_session_memory;
DLF_API dlf_status dlf_session_memory_usage(const dlf_session *session, dlf_session_memory *out);

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
DLF_API dlf_status dlf_session_block_stats(const dlf_session *session, int block,
                                           dlf_block_stats *out);

/* Threads the session runs on (what threads = 0 resolved to); 1 for the reference
 * executor; 0 for NULL. */
DLF_API int dlf_session_threads(const dlf_session *session);

/* Layers of the session's fast engine that run on the reference fallback path (NCHW copies
 * and the reference function: correct but slow; a fast run should have none), 0 when every
 * layer has a fast kernel, -1 for a reference-engine session. */
DLF_API int dlf_session_fallback_steps(const dlf_session *session);

/* The executor the session really runs ("reference", ...): what
 * DLF_ENGINE_DEFAULT resolved to. A static string; "" for NULL. */
DLF_API const char *dlf_session_engine_name(const dlf_session *session);

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
DLF_API dlf_status dlf_plan_load(const dlf_model *model, const char *path, dlf_plan **out);
DLF_API dlf_status dlf_plan_parse(const dlf_model *model, const char *json, size_t len,
                                  dlf_plan **out);
/* The unfused plan: one layer per block, `cores` cores each (0 = all available),
 * tile height and algorithms left to the engine. */
DLF_API dlf_status dlf_plan_unfused(const dlf_model *model, int cores, dlf_plan **out);
/* The rule-of-thumb fused plan: each natural block of the network (a VGG conv stage with
 * its pool, a ResNet basic/bottleneck block, a MobileNetV2 inverted residual, a SqueezeNet
 * fire module — found from the graph's structure, not names) fused, every other layer a
 * block of its own, all on `cores` cores (0 = all available); tile heights and algorithms
 * left to the engine. The baseline a tuned plan must beat. */
DLF_API dlf_status dlf_plan_fuse_blocks(const dlf_model *model, int cores, dlf_plan **out);
/* Write a plan as JSON (dlf_plan_load reads it back to an equal plan). */
DLF_API dlf_status dlf_plan_save(const dlf_plan *plan, const char *path);
/* The same JSON as a malloc'd NUL-terminated string (free() it); NULL on failure. */
DLF_API char *dlf_plan_to_json(const dlf_plan *plan);
DLF_API void dlf_plan_free(dlf_plan *plan);

typedef struct dlf_block_info {
  int index;
  int num_layers;
  const int *layers;             /* layer indices, ascending; valid while the plan lives */
  const char *const *algorithms; /* per layer: "auto", "im2col", "winograd", ... */
  int cores;
  int tile_rows; /* 0 = the engine's choice */
} dlf_block_info;
DLF_API int dlf_plan_num_blocks(const dlf_plan *plan);
DLF_API dlf_status dlf_plan_block(const dlf_plan *plan, int index, dlf_block_info *out);

/* --------------------------------------------------------------- targets -- */

/* What dlfusion compiles for: the host CPU (times are measured by running) or a described
 * multi-core accelerator (times are simulated by the latency model of docs/targets.md).
 * Accelerators are JSON files (targets/mlu100.json; the format is docs/targets.md), read
 * strictly: an unknown or duplicate key, a wrong type or an out-of-range value fails with a
 * one-line error naming the file and the field. */
typedef struct dlf_target dlf_target;

/* Read a target file / a JSON text of len bytes. */
DLF_API dlf_status dlf_target_load(const char *path, dlf_target **out);
DLF_API dlf_status dlf_target_parse(const char *json, size_t len, dlf_target **out);
/* The host CPU: `cores` cores (0 = all this process may use), core numbers 1..cores. */
DLF_API dlf_status dlf_target_host(int cores, dlf_target **out);
DLF_API void dlf_target_free(dlf_target *t);
/* The target as JSON (dlf_target_parse reads it back to an equal target): a malloc'd
 * NUL-terminated string (free() it); NULL on failure. */
DLF_API char *dlf_target_to_json(const dlf_target *t);

typedef struct dlf_target_info {
  const char *name;
  const char *kind; /* "cpu" or "accelerator" */
  int cores;
  int n_core_numbers;
  const int *core_numbers; /* ascending; valid while the target lives */
  uint64_t fingerprint;    /* what profiles and plans made for the target record */
  /* The accelerator model's parameters (docs/targets.md); 0 for a cpu target. */
  double clock_ghz, peak_gflops_per_core;
  int lanes;
  int64_t onchip_bytes_per_core;
  int dram_channels;
  double dram_gbps_per_channel;
  int cores_per_channel;
  double launch_us, sync_base_us, sync_per_log2_us;
} dlf_target_info;
DLF_API dlf_status dlf_target_get_info(const dlf_target *t, dlf_target_info *out);

/* Simulated latency of an accelerator target running layers[0..n) as one block (one kernel;
 * a single layer when n == 1) on `cores` cores, an allowed core number. The layers are
 * consecutive in a chain: the block reads layers[0].act_in_bytes and writes
 * layers[n-1].act_out_bytes from/to DRAM, and each other output is an intermediate that
 * stays on chip when it fits. Bytes are taken as given (dlf_model_layer's are float32).
 * Fields: see docs/targets.md. DLF_ERR_INVALID_ARG for a cpu target. */
typedef struct dlf_block_time {
  double total_us, launch_us, sync_us, compute_us, dram_us;
  int64_t dram_bytes;
  int spilled; /* 1 when some intermediate did not fit on chip */
} dlf_block_time;
DLF_API dlf_status dlf_target_block_time(const dlf_target *t, const dlf_layer_info *layers, int n,
                                         int cores, dlf_block_time *out);

/* -------------------------------------------------------------- profiles -- */

/* A target profile: latencies of synthesized layers (convs of many operation counts and
 * channel sizes, depthwise convs, pools, fully connected layers) and of fused pairs of convs
 * against the same pair unfused, on every allowed core number of a target: the data the
 * DLFusion cost model is fitted on. Measured on the host CPU (medians of interleaved runs),
 * simulated for an accelerator. The file format is JSON, docs/profile.md; it is read
 * strictly (unknown or duplicate keys, wrong types, negative or non-finite numbers fail with
 * a one-line error naming the file, the sample and the field). */
typedef struct dlf_profile dlf_profile;

/* Profile target: the full grid (under a minute on a 2-core host CPU) or, with quick, a small
 * one (seconds; for tests and CI). */
DLF_API dlf_status dlf_profile_run(const dlf_target *target, int quick, dlf_profile **out);
/* dlf_profile_run with every knob: runs = timed runs per sample on a CPU (0 = 7, 3 quick;
 * large samples get fewer, at least 3, unless runs is given), seed = the random weights and
 * inputs (0 = default). */
typedef struct dlf_profile_options {
  int quick;
  int runs;
  uint64_t seed;
} dlf_profile_options;
DLF_API dlf_status dlf_profile_run_options(const dlf_target *target,
                                           const dlf_profile_options *opts, dlf_profile **out);
/* Profile once per machine: the profile of target for this machine, from the cache when there
 * is a valid one, else made (dlf_profile_run_options with opts) and saved there. The cache is
 * dir, or (dir NULL) $XDG_CACHE_HOME/dlfusion, else $HOME/.cache/dlfusion; a file is keyed by
 * the target's fingerprint, the kernel ISA, the CPU model, the profile format and quick vs
 * full (path: dlf_profile_cache_path), and reused only when it reads back strictly and
 * records this target, machine and ISA. Accelerator targets (simulated: seconds) are never
 * cached. *reused (may be NULL) = 1 when the profile came from the cache. A cache that cannot
 * be written is not an error: the profile is returned and *reused is 0. */
DLF_API dlf_status dlf_profile_cached(const dlf_target *target, const dlf_profile_options *opts,
                                      const char *dir, dlf_profile **out, int *reused);
/* The cache file dlf_profile_cached uses for target (opts NULL = full grid), written to buf
 * (size bytes); DLF_ERR_IO when no cache directory is known (neither dir nor
 * XDG_CACHE_HOME nor HOME), DLF_ERR_LIMIT when buf is too small. */
DLF_API dlf_status dlf_profile_cache_path(const dlf_target *target, const dlf_profile_options *opts,
                                          const char *dir, char *buf, size_t size);
/* Read a profile file / a JSON text of len bytes; write one (dlf_profile_load reads it back to
 * an equal profile, every time bit for bit). */
DLF_API dlf_status dlf_profile_load(const char *path, dlf_profile **out);
DLF_API dlf_status dlf_profile_parse(const char *json, size_t len, dlf_profile **out);
DLF_API dlf_status dlf_profile_save(const dlf_profile *p, const char *path);
/* The JSON text as a malloc'd NUL-terminated string (free() it); NULL on failure. */
DLF_API char *dlf_profile_to_json(const dlf_profile *p);
DLF_API void dlf_profile_free(dlf_profile *p);
DLF_API int dlf_profile_num_samples(const dlf_profile *p);
/* Synthesized fused blocks of heterogeneous layers (format 2; accelerator profiles only):
 * what the fitted block model (dlf_tune_options.block_model = 2) is fitted on. */
DLF_API int dlf_profile_num_blocks(const dlf_profile *p);

/* Where a profile was made. Strings point into the profile. */
typedef struct dlf_profile_info {
  const char *target_name;
  const char *target_kind;     /* "cpu" or "accelerator" */
  uint64_t target_fingerprint; /* dlf_target_info.fingerprint of the target profiled */
  const char *machine;         /* CPU model string; "simulated" for an accelerator */
  const char *isa;             /* kernel ISA the samples ran on; "sim" for an accelerator */
} dlf_profile_info;
DLF_API dlf_status dlf_profile_get_info(const dlf_profile *p, dlf_profile_info *out);

/* One sample: `fused` layers of op (a conv of kernel k x k, stride, cin -> cout channels on an
 * h x w input with ReLU; "conv", "dwconv", "pool" or "gemm") run as one block on `cores` cores.
 * macs is one layer's operation count (window visits for a pool); us the block's median
 * latency; us_unfused (fused > 1) the same layers run unfused, measured interleaved, else 0. */
typedef struct dlf_profile_sample {
  const char *op; /* valid while the profile lives */
  int64_t h, w, cin, cout, k, stride;
  int fused, cores;
  double macs, us, us_unfused;
} dlf_profile_sample;
DLF_API dlf_status dlf_profile_get_sample(const dlf_profile *p, int index, dlf_profile_sample *out);

/* ---------------------------------------------------------------- tuning -- */

/* How dlf_tune decides the fusion scheme and the core numbers. DLFUSION, ORACLE and GREEDY
 * search partitions of the layers into runs of consecutive layers (runs of row-local layers)
 * with a core number each, by dynamic programming over a block cost; they differ in where the
 * cost comes from. DLFUSION and GREEDY consider runs up to max_block_layers long; the oracle
 * on an accelerator is exact over every run length, on a CPU it measures runs up to
 * max_block_layers long (its plan's "tuner" record says the cap). The values are stable: new
 * strategies are added at the end. */
typedef enum dlf_tune_strategy {
  DLF_TUNE_DLFUSION = 0, /* the cost model fitted on the target's profile (needs one):
                            the DLFusion method, well under a second */
  DLF_TUNE_ORACLE,       /* the ground truth: the simulator on an accelerator; on a CPU,
                            every candidate block measured by running it (minutes) */
  DLF_TUNE_GREEDY,       /* grow each block while the profile's model says it pays */
  DLF_TUNE_NONE,         /* no optimization: every layer alone on one core */
  DLF_TUNE_BLOCKS,       /* the network's natural blocks on all cores (dlf_plan_fuse_blocks) */
  DLF_TUNE_ALLCORES,     /* every layer alone on all cores (the largest allowed core number) */
  DLF_TUNE_VENDOR,       /* the vendor library's default: every maximal run of fusable layers
                            one block, one core number for the whole model (the allowed one
                            the target says is fastest: simulated, or measured on a CPU) */
} dlf_tune_strategy;

/* "dlfusion", "oracle", "greedy", "none", "blocks", "allcores", "vendor"; from_name returns
 * -1 if unknown. */
DLF_API const char *dlf_tune_strategy_name(dlf_tune_strategy s);
DLF_API int dlf_tune_strategy_from_name(const char *name);

typedef struct dlf_tune_options {
  dlf_tune_strategy strategy;
  const dlf_profile *profile; /* DLFUSION, GREEDY: a profile of this target */
  int max_block_layers;       /* longest fused block DLFUSION, GREEDY and the CPU ORACLE
                                 consider; 0 = 12 */
  int runs;                   /* ORACLE, VENDOR on a CPU: timed runs per measured plan; 0 = 5 */
  /* Accelerator targets: leave out the tuner record's references (none_us, vendor_us,
   * oracle_us and the ratios to them are null). The exact oracle is most of a tune's time on
   * long fusable runs (DenseNet: seconds on the detailed simulator); a caller that runs every
   * strategy itself (`dlfusion tune --compare`) has them already. 0 = computed. */
  int skip_references; /* 0 or 1 */
  /* DLFUSION on the host CPU: seconds of measured validation (0 = none: the cost model's
   * plan, the paper's method). Within the budget the blocks the search chooses are run in
   * place and their measured times replace the predictions, the search re-runs until its plan
   * is all measured; then that plan, the cost model's and the baselines (allcores, blocks,
   * the vendor's maximal runs on each core number) are timed whole, interleaved, and the
   * fastest median is the plan. The record's "validation" holds every candidate's median and
   * quartiles. */
  double validate_s;
  int block_model;            /* DLFUSION, GREEDY: how a fused block is priced: 0 = the
                                 default, 1 = layers less fused pairs' savings ("pairs"),
                                 2 = the block model fitted on the profile's synthesized
                                 blocks ("fitted"; docs/tuning.md) */
} dlf_tune_options;

typedef struct dlf_tune_result {
  double cost_us;      /* the plan's latency by the strategy's own cost (0 for NONE, ALLCORES,
                          BLOCKS) */
  double simulated_us; /* accelerator targets: the simulator's latency of the plan */
  double search_ms;    /* wall time of the decision (profiling not included) */
  int64_t evaluations; /* block costs evaluated, or measured (ORACLE, VENDOR on a CPU) */
  /* DLFUSION with validate_s on a CPU: other processes' CPU use while the candidates were
   * timed, in cores (0 = a quiet machine; the medians share any noise); -1 = not measured. */
  double others_cores;
} dlf_tune_result;

/* Decide the plan of model on target. The plan records the target (an accelerator plan is
 * simulated, not run: sessions refuse it). result may be NULL. */
DLF_API dlf_status dlf_tune(const dlf_model *model, const dlf_target *target,
                            const dlf_tune_options *opts, dlf_plan **out, dlf_tune_result *result);

/* The simulated latency in microseconds of plan (blocks of consecutive layers) on an
 * accelerator target, and per block when block_us != NULL (dlf_plan_num_blocks entries). */
DLF_API dlf_status dlf_plan_simulate(const dlf_model *model, const dlf_target *target,
                                     const dlf_plan *plan, double *total_us, double *block_us);

/* ------------------------------------------------------------- explaining -- */

/* What a plan's "tuner" record says (docs/tuning.md); NAN for what it does not know (the
 * comparisons on a CPU). strategy is a static string. DLF_ERR_INVALID_ARG when the plan has
 * no record (it was not made by dlf_tune). */
typedef struct dlf_tuner_info {
  const char *strategy;
  const char *cost; /* what the per-block costs are: "model", "simulator", "measured", or
                       "" when the record has none */
  double cost_us, simulated_us, none_us, vendor_us, oracle_us;
  int max_block_layers; /* 0: no cap */
  int n_blocks;         /* blocks with a recorded cost (0 or dlf_plan_num_blocks) */
} dlf_tuner_info;
DLF_API dlf_status dlf_plan_tuner(const dlf_plan *plan, dlf_tuner_info *out);

/* Why a plan's blocks are what they are: per block its features and its cost, by the cost the
 * tuner decides with, at every allowed core number, split at each boundary inside it and merged
 * with the next block. With a profile the cost is the DLFusion cost model fitted on it; without
 * one (accelerator targets only) the simulator. The search's block-length cap is the plan's
 * record's. These are the numbers the tuner record keeps (one computation: src/tune/explain.c),
 * so a dlfusion plan explained with the profile it was tuned on matches its record exactly. */
typedef struct dlf_explanation dlf_explanation;
typedef struct dlf_block_explanation {
  int block, first_layer, last_layer, cores;
  int64_t macs, weight_bytes;
  int64_t in_bytes, out_bytes; /* activations read from / written for outside the block */
  int64_t in_channels, out_channels;
  double cost_us; /* at `cores`; < 0: the cost cannot say */
  int n_core_numbers;
  const int *core_numbers;   /* valid while the explanation lives */
  const double *at_cores_us; /* per core number; < 0: cannot */
  int n_splits;              /* num layers - 1 */
  const double *split_us;    /* [j]: split before layer first_layer + 1 + j, each half at
                                its best core number; < 0: cannot */
  double merge_next_us;      /* fused with the next block (best core number); < 0: may not */
  double apart_next_us;      /* this and the next block apart, each at its best */
  double simulated_us;       /* accelerator: the simulator's time of the block; else -1 */
  double recorded_us;        /* the tuner record's cost of the block; -1 if none */
} dlf_block_explanation;
DLF_API dlf_status dlf_plan_explain(const dlf_model *model, const dlf_target *target,
                                    const dlf_profile *profile, const dlf_plan *plan,
                                    dlf_explanation **out);
/* "model" or "simulator": the cost the explanation's numbers are by. */
DLF_API const char *dlf_explanation_cost(const dlf_explanation *e);
DLF_API int dlf_explanation_num_blocks(const dlf_explanation *e);
DLF_API dlf_status dlf_explanation_block(const dlf_explanation *e, int block,
                                         dlf_block_explanation *out);
DLF_API void dlf_explanation_free(dlf_explanation *e);

#ifdef __cplusplus
}
#endif
#endif /* DLFUSION_H */
