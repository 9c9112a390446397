/* engine_internal.h — what the engine's files share (engine.c: create/run and blocks;
 * engine_compile.c: layers -> steps; engine_exec.c: step execution; engine_fused.c:
 * tiling of fused blocks). Not an interface: the layout of a compiled engine. */
#ifndef DLF_RUNTIME_ENGINE_INTERNAL_H
#define DLF_RUNTIME_ENGINE_INTERNAL_H

#include <stdlib.h>

#include "runtime/engine.h"
#include "kernels/chan_binary.h"
#include "kernels/chan_norm.h"
#include "runtime/threadpool.h"

typedef enum step_kind {
  STEP_CONV,        /* kern_conv2d_nhwc / kern_winograd_f43 (groups >= 1) */
  STEP_CONV_CSPLIT, /* kern_conv2d_nhwc on output-channel slices (groups == 1, unfused) */
  STEP_DWCONV,      /* kern_dwconv2d_nhwc */
  STEP_MAXPOOL,     /* kern_maxpool2d_nhwc */
  STEP_AVGPOOL,     /* kern_avgpool2d_nhwc */
  STEP_GAP,         /* kern_global_avgpool_nhwc */
  STEP_GEMM,        /* kern_sgemm with packed B */
  STEP_COPY,        /* layout-free reshape / identity: memcpy */
  STEP_TO_NCHW,     /* reshape / flatten of an NHWC tensor to a non-NHWC one: transpose */
  STEP_CONCAT,      /* channel concat of NHWC tensors */
  STEP_CHAN_GATHER, /* channels picked per pixel: Slice / Gather on axis 1, channel shuffle */
  STEP_BINARY,      /* same-shape Add / Mul (+ residual, act) */
  STEP_CHAN_BINARY, /* NHWC tensor op per-channel vector or scalar (kern_chan_binary) */
  STEP_UNARY,       /* elementwise activation */
  STEP_RESIZE,      /* nearest / bilinear resize of H and W (Resize, Upsample) */
  STEP_CHAN_NORM,   /* LayerNorm over each pixel's channels (kern_chan_norm) */
  STEP_FALLBACK,    /* reference function on NCHW copies */
} step_kind;

/* A step with less work than this (multiply-adds, or element visits) runs on one thread:
 * waking a second worker costs ~1 us when it spins, and up to a scheduler time slice on a
 * loaded machine, either way more than such a step gains. The fusion plan overrides cores. */
#define SMALL_STEP_WORK ((int64_t)1 << 20)

/* Input slots (inputs + residual) of a step inside a fused block: run_tiles' views. A layer
 * with more (DenseNet's concats, up to 49 inputs) runs as a block of its own. */
#define MAX_FUSED_SLOTS 17

typedef struct rt_step {
  int node;
  int layer; /* plan layer index */
  int block; /* index into engine->blocks */
  step_kind kind;
  rt_algo algo;
  int cores; /* threads of this step's parallel region (unfused) */
  int x, y;  /* main input / output tensor */
  int residual;
  /* Epilogue: what the kernel applies (kact) and what runs after it (post_act). */
  kern_act kact;
  float lo, hi;
  ir_act post_act;
  float p0, p1;
  /* Conv / pool geometry, batch, floats per image. */
  kern_conv2d_params cp;
  kern_pool2d_params pp;
  int64_t batch, x_img, y_img, bands, band_h;
  int64_t csplits, csplit_w; /* STEP_CONV_CSPLIT: output-channel slices (multiples of nr) */
  float *packed;             /* owned packed weights */
  int64_t packed_floats;
  const float *bias;
  float *bias_owned;
  /* Gemm: C[M,N] = A[M,K] * B + bias. */
  int64_t M, N, K, panels;
  /* Elementwise: element count; binary second input. */
  int64_t numel;
  int x2;
  ir_op op;
  /* Channel-broadcast binary: y = x OP v (or v OP x: the op is reversed). Input slot xslot is
   * the NHWC tensor (s->x), slot vslot the vector: tensor s->x2 (vimg floats per image, 0 =
   * one vector for the batch) or, when s->x2 < 0, the constant vconst. sstep 1 = one value
   * per channel, 0 = a scalar. */
  kern_chan_op chan_op;
  int xslot, vslot, sstep;
  int64_t vimg;
  const float *vconst;
  /* Channel gather: output channel c is input channel gidx[c] (owned, out C entries); when
   * gcontig, input channels gidx[0] + c (a memcpy per pixel). */
  int64_t *gidx;
  bool gcontig;
  /* Resize: per output row, then per output column, the two source rows / columns
   * (ridx[2 * i], ridx[2 * i + 1]) and the weight of the second (rw[i]); rows first (OH
   * entries), columns after (OW); owned. rlinear false: nearest (one source, a copy). */
  int64_t *ridx;
  float *rw;
  bool rlinear;
  /* Concat: inputs are the node's inputs. GAP: channel chunks per image. */
  int64_t pixels, cchunks;
  /* Fallback: scratch offsets (floats) of NCHW copies, -1 = use the tensor directly; owned,
   * one per input slot (inputs, residual) then one per output (fb_out_off = fb_in_off +
   * slots). */
  int64_t *fb_in_off, *fb_out_off;
  /* Row view of the (4-D NHWC) output: rows = H, floats per row = W * C. */
  int64_t out_h, row_floats;
  /* Fused blocks: the output lives in per-thread tile scratch at tile_off (floats), holding
   * up to tile_cap rows; materialize = also copy the rows this tile owns to the full tensor
   * (the output is read outside the block too). Unfused / block sinks: full tensor. */
  bool in_tile;
  bool materialize;
  int64_t tile_off, tile_cap;
} rt_step;

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
  const rt_block *cur_block;
};

/* engine_compile.c: fill step s for node n; *ok = false when no fast step fits (then the
 * caller compiles a fallback). force: the plan's algorithm (PLAN_ALGO_AUTO = by shape). */
dlf_status rt_compile_step(rt_engine *e, const ir_node *n, rt_step *s, int force, bool *ok);
/* Sets *floats to the NCHW scratch it needs. */
dlf_status rt_compile_fallback(rt_engine *e, const ir_node *n, rt_step *s, int64_t *floats);
/* Bands for a conv/pool step of `cores` threads (tile_rows > 0 forces the band height). */
void rt_choose_bands(rt_engine *e, rt_step *s, int64_t tile_rows);

/* engine_exec.c */
float *rt_thread_scratch(const rt_engine *e, int t);
/* Rows [lo, hi) of step s's output for one image. in[k]: per-image views of the node's
 * inputs k < n_inputs (NULL for constants) and of the residual at in[n_inputs]; y: the
 * output's per-image view. Views address row 0 of their image (see rt_row_view). */
void rt_exec_rows(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
                  int64_t lo, int64_t hi);
dlf_status rt_run_step(rt_engine *e, const rt_step *s);
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
