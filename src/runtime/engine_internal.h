/* engine_internal.h — what the engine's files share (engine.c: create/run and blocks; step.h
 * and the step_*.c files: the step classes, layers -> steps and their execution;
 * engine_fused.c: tiling of fused blocks). Not an interface: the layout of a compiled engine. */
#ifndef DLF_RUNTIME_ENGINE_INTERNAL_H
#define DLF_RUNTIME_ENGINE_INTERNAL_H

#include <stdlib.h>

#include "runtime/engine.h"
#include "runtime/step.h"
#include "runtime/threadpool.h"

/* A block of the plan: steps [first, first + n) run as one parallel region. A block of one
 * step runs that step's own decomposition (bands, channel slices, chunks); a fused block
 * runs tiles: item = (image, tile), and per tile every step computes rows
 * rows[(tile * n + j) * 2 + {0,1}] of its output (see engine_fused.c). */
typedef struct rt_block {
  int first, n;
  int cores;
  int64_t tiles;   /* tiles per image (fused) */
  int64_t batch;
  int64_t *rows;   /* fused: tiles * n * 2 row bounds; owned */
  int64_t *owned;  /* fused: tiles * n * 2 rows each tile copies out (materialized steps) */
} rt_block;

struct rt_engine {
  const ir_graph *g;
  const kern_config *cfg;
  int threads;
  int64_t min_parallel_work;
  bool winograd;
  int64_t conv_scratch_bytes; /* per-thread scratch a conv may use (kern_conv2d_params) */
  rt_pool *pool;
  int n_steps, n_fallback;
  rt_step *steps;
  int n_blocks;
  rt_block *blocks;
  int *tensor_step; /* per tensor: index of the step that writes it, -1 */
  void **ptr;       /* per tensor: where its value lives during a run */
  bool *nhwc;       /* per tensor: stored NHWC (4-D float activation) */
  float *arena;     /* intermediate activations */
  int64_t arena_bytes;
  float *inbuf; /* NHWC copies of 4-D graph inputs */
  int64_t *in_off;
  float *scratch; /* threads x scratch_floats (im2col, Winograd) */
  int64_t scratch_floats;
  float *tile;    /* threads x tile_floats (fused blocks' intermediate rows) */
  int64_t tile_floats;
  float *fb; /* fallback NCHW copies */
  int64_t fb_floats;
  const rt_step *cur;  /* the step the pool is running (unfused blocks) */
  rt_image_rows_fn cur_rows; /* its per-image row body (rt_run_image_rows) */
  const rt_block *cur_block;
};

/* step.c: step s for node n by the first class that applies (algo: the plan's, AUTO
 * = by shape), else a fallback step (n's reference function on NCHW copies). */
dlf_status rt_compile_step(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo);

/* step.c: thread t's im2col / Winograd scratch (NULL when no step needs any); the
 * unfused step s; rows [lo, hi) of one image of s (what fused tiles call). */
float *rt_thread_scratch(const rt_engine *e, int t);
dlf_status rt_run_step(rt_engine *e, const rt_step *s);
void rt_exec_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                  int64_t lo, int64_t hi);

/* step_fallback.c: layout conversion of 4-D tensors (graph inputs and outputs, fallbacks). */
void rt_nchw_to_nhwc(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W);
void rt_nhwc_to_nchw(const float *src, float *dst, int64_t N, int64_t C, int64_t H, int64_t W);

/* engine_fused.c: the tile schedule of fused block b (rows, owned, tile buffers), and its
 * execution. */
dlf_status rt_fused_compile(rt_engine *e, rt_block *b, int64_t tile_rows);
dlf_status rt_fused_run(rt_engine *e, const rt_block *b);

/* 64-byte aligned floats (at least one), for packed weights, arenas and scratch. */
static inline void *rt_alloc_floats(int64_t n) {
  size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  return aligned_alloc(64, bytes);
}

/* The tensor of input slot k of node n: its inputs, then (k == n_inputs) its residual. */
static inline int rt_slot_tensor(const ir_node *n, int k) {
  return k < n->n_inputs ? n->inputs[k] : n->residual;
}

/* A pointer p such that p + r * row_floats is row r of a buffer that holds rows
 * [row0, ...) starting at buf: the kernels address whole images from row 0, a tile buffer
 * holds only some rows. Only rows inside the buffer are ever accessed (the tile schedule
 * guarantees it); the arithmetic goes through uintptr_t so that no out-of-bounds pointer
 * is formed by C pointer arithmetic here. */
static inline float *rt_row_view(float *buf, int64_t row0, int64_t row_floats) {
  return (float *)((uintptr_t)buf - (uintptr_t)(row0 * row_floats) * sizeof(float));
}

#endif
