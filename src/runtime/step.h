/* step.h — what a compiled layer is: a step, and the class that knows how to build and run
 * it. One table entry per step kind (rt_step_class_of) holds everything the engine asks of a
 * kind — does it apply to a node with an algorithm and how is it built (compile), which input
 * rows a band of output rows reads (rows_in), how it runs unfused (run) and inside a fused
 * tile (rows), its parallel decomposition (bands), its work per row and what it owns
 * (release) — so engine.c, the tiler (engine_fused.c) and the block statistics never switch on
 * a kind. Per-kind parameters live in a tagged union (rt_step.u, tag = kind).
 *
 * The classes live one family per file: step_conv.c (Conv: im2col/SGEMM, Winograd, small-C
 * direct, depthwise), step_pool.c, step_gemm.c, step_eltwise.c (binary, unary, per-channel
 * binary, BatchNormalization), step_layout.c (copy, to-NCHW, concat, channel gather, resize),
 * step_norm.c (LayerNorm over channels), step_fallback.c (the reference on NCHW copies).
 * Which algorithm may run a node is one predicate, plan_algo_supports (plan_check.c): a
 * plan's algorithm reaches a class only after it passed it. */
#ifndef DLF_RUNTIME_STEP_H
#define DLF_RUNTIME_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"
#include "kernels/chan_binary.h"
#include "kernels/chan_norm.h"
#include "kernels/kernels.h"
#include "plan/plan.h"

typedef struct rt_engine rt_engine;

typedef enum step_kind {
  STEP_CONV,        /* kern_conv2d_nhwc / kern_winograd_f43 / kern_conv2d_small_c */
  STEP_CONV_CSPLIT, /* the same kernels on output-channel slices (groups == 1, unfused) */
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
  STEP_KIND_COUNT
} step_kind;

/* A step with less work than this (multiply-adds, or element visits) runs on one thread:
 * waking a second worker costs ~1 us when it spins, and up to a scheduler time slice on a
 * loaded machine, either way more than such a step gains. The fusion plan overrides cores. */
#define SMALL_STEP_WORK ((int64_t)1 << 20)

/* Input slots (inputs + residual) of a step inside a fused block: the tiles' views. A layer
 * with more (DenseNet's concats, up to 49 inputs) runs as a block of its own. */
#define MAX_FUSED_SLOTS 17

typedef struct rt_span {
  int64_t lo, hi;
} rt_span;

/* Per-kind parameters (rt_step.u; the member is named after the kind). */
typedef struct step_conv {      /* CONV, CONV_CSPLIT, DWCONV */
  kern_conv2d_params p;
  int64_t csplits, csplit_w;    /* CONV_CSPLIT: output-channel slices (multiples of nr) */
} step_conv;
typedef struct step_gemm {      /* C[M,N] = A[M,K] * B + bias */
  int64_t M, N, K, panels;
} step_gemm;
typedef struct step_binary {    /* BINARY: y = x op x2 */
  ir_op op;
  int x2;
} step_binary;
/* CHAN_BINARY: y = x OP v (or v OP x: the op is reversed). Input slot xslot is the NHWC
 * tensor (s->x), slot vslot the vector: tensor x2 (vimg floats per image, 0 = one vector
 * for the batch) or, when x2 < 0, the constant v. sstep 1 = one value per channel, 0 = a
 * scalar. */
typedef struct step_chan_binary {
  kern_chan_op op;
  int xslot, vslot, sstep, x2;
  int64_t vimg;
  const float *v;
} step_chan_binary;
/* CHAN_GATHER: output channel c is input channel idx[c] (owned, out C entries); when contig,
 * input channels idx[0] + c (a memcpy per pixel). */
typedef struct step_gather {
  int64_t *idx;
  bool contig;
} step_gather;
/* RESIZE: per output row, then per output column, the two source rows / columns
 * (idx[2 * i], idx[2 * i + 1]) and the weight of the second (w[i]); rows first (OH entries),
 * columns after (OW); owned. linear false: nearest (one source, a copy). */
typedef struct step_resize {
  int64_t *idx;
  float *w;
  bool linear;
} step_resize;
typedef struct step_norm {      /* CHAN_NORM: per pixel, (x - mean) / sqrt(var + eps) * scale + bias */
  const float *scale, *bias;
  float eps;
} step_norm;
/* FALLBACK: scratch offsets (floats) of NCHW copies, -1 = use the tensor directly; owned,
 * one per input slot (inputs, residual) then one per output (out_off = in_off + slots). */
typedef struct step_fallback {
  int64_t *in_off, *out_off;
} step_fallback;

typedef struct rt_step {
  int node;
  int layer; /* plan layer index */
  int block; /* index into engine->blocks */
  step_kind kind;
  plan_algo algo; /* the algorithm that runs it: never AUTO (REFERENCE for a fallback) */
  int cores;      /* threads of this step's parallel region (unfused) */
  int x, y;       /* main input / output tensor */
  int residual;
  /* Epilogue: what the kernel applies (kact) and what runs after it (post_act). */
  kern_act kact;
  float lo, hi;
  ir_act post_act;
  float p0, p1;
  int64_t batch, x_img, y_img; /* images; floats per input / output image */
  int64_t numel;               /* output elements (COPY: bytes) */
  float *packed;               /* owned packed weights */
  int64_t packed_floats;
  const float *bias;
  float *bias_owned;
  /* Unfused decomposition of a windowed step: bands of band_h output rows per image. */
  int64_t bands, band_h;
  /* Row view of the (4-D NHWC) output: rows = H, floats per row = W * C. */
  int64_t out_h, row_floats;
  /* The kernel computes whole groups of row_align output rows (aligned to row 0), though it
   * writes only the rows asked: Winograd's 4-row tiles. 1 for every other step. */
  int row_align;
  /* Fused blocks: the output lives in per-thread tile scratch at tile_off (floats), holding
   * up to tile_cap rows; materialize = also copy the rows this tile owns to the full tensor
   * (the output is read outside the block too). Unfused / block sinks: full tensor. */
  bool in_tile;
  bool materialize;
  int64_t tile_off, tile_cap;
  union {
    step_conv conv;
    kern_pool2d_params pool;
    int64_t gap_cchunks; /* GAP: 64-channel chunks per image */
    step_gemm gemm;
    step_binary binary;
    step_chan_binary chan;
    step_gather gather;
    step_resize resize;
    step_norm norm;
    int64_t concat_pixels; /* CONCAT: pixels of the batch */
    step_fallback fb;
  } u;
} rt_step;

/* A step class: what the engine asks of one kind. Hooks that a kind does not need are NULL. */
typedef struct rt_step_class {
  const char *name;
  /* Build s for node n when this class runs it with the plan's algorithm `algo` (AUTO = by
   * shape), else leave *ok false (and own nothing). s arrives with node, layer, block, cores
   * and residual = -1 set; compile sets kind (one of the class's kinds), algo and the rest. */
  dlf_status (*compile)(rt_engine *e, const ir_node *n, rt_step *s, plan_algo algo, bool *ok);
  /* The unfused step on s->cores threads. */
  dlf_status (*run)(rt_engine *e, const rt_step *s);
  /* Rows [lo, hi) of the output for one image: in[k] are per-image views of the node's
   * inputs k < n_inputs (NULL for constants) and of the residual at in[n_inputs]; y the
   * output's (views address row 0 of their image, see rt_row_view). NULL: the kind needs
   * whole tensors and is never fused. */
  void (*rows)(rt_engine *e, const rt_step *s, int t, const float *const *in, float *y,
               int64_t lo, int64_t hi);
  /* Rows of input slot k read for output rows r (already widened to row_align). NULL: slot k
   * is row-aligned with the output. */
  rt_span (*rows_in)(const rt_engine *e, const rt_step *s, int k, rt_span r);
  /* Unfused decomposition (bands, channel slices) for a block of one step; tile_rows > 0
   * forces the band height. NULL: the kind has one fixed decomposition. */
  void (*bands)(rt_engine *e, rt_step *s, int64_t tile_rows);
  /* Work per output row (multiply-adds; NULL = element visits, row_floats). */
  double (*work_per_row)(const rt_step *s);
  /* Frees what s owns beyond packed / bias_owned. */
  void (*release)(rt_step *s);
} rt_step_class;

const rt_step_class *rt_step_class_of(step_kind k);

/* The classes, one per kind (defined in the step_*.c files). */
extern const rt_step_class rt_class_conv, rt_class_conv_csplit, rt_class_dwconv,
    rt_class_maxpool, rt_class_avgpool, rt_class_gap, rt_class_gemm, rt_class_copy,
    rt_class_to_nchw, rt_class_concat, rt_class_chan_gather, rt_class_binary,
    rt_class_chan_binary, rt_class_unary, rt_class_resize, rt_class_chan_norm,
    rt_class_fallback;

/* ---- shared by the classes (step_common.c) ---- */

bool rt_is_const(const ir_graph *g, int t);
/* An activation the fast steps can read: present, not a constant, float32. */
bool rt_is_act_f32(const ir_graph *g, int t);
bool rt_same_dims(const ir_tensor *a, const ir_tensor *b);
/* NHWC and NCHW hold the same bytes when C == 1 or H*W == 1. */
bool rt_layout_free(const rt_engine *e, int t);
/* Split n's epilogue (act, residual) between the kernel (kact) and a post pass. */
void rt_set_epilogue(rt_step *s, const ir_node *n);
/* Everything after the main op in a post pass (steps whose kernel applies no activation). */
void rt_set_post_epilogue(rt_step *s, const ir_node *n);
/* One thread when the step has less work than the engine's min_parallel_work. */
void rt_limit_small(const rt_engine *e, rt_step *s, int64_t work);
/* Raise the per-thread scratch to at least `floats` (rounded to 16). */
void rt_need_scratch(rt_engine *e, int64_t floats);
/* Apply s's post activation to y[0, count) in place. */
void rt_post_act(const rt_engine *e, const rt_step *s, float *y, int64_t count);
kern_unary rt_unary_of(const rt_step *s);
/* Input rows a kh-tall window (stride sh, top pad, dilation dh) reads for output rows r of a
 * tensor with H rows. */
rt_span rt_window_rows(rt_span r, int64_t sh, int64_t pad, int64_t kh, int64_t dh, int64_t H);
/* Unfused row bands of a windowed step with OH output rows (tile_rows > 0: that height). */
void rt_choose_row_bands(rt_step *s, int64_t OH, int64_t tile_rows);
/* The unfused run of a windowed step: items = (image, band of band_h rows), each through the
 * class's rows (step_conv.c; conv and pooling classes). */
dlf_status rt_run_bands(rt_engine *e, const rt_step *s);
/* Body of run_image_rows: rows [lo, hi) of one image, x and y at row 0 of the image. */
typedef void (*rt_image_rows_fn)(const rt_engine *e, const rt_step *s, const float *x, float *y,
                                 int64_t lo, int64_t hi);
/* The unfused step as items = rows of every image (N * out_h), each range handed to fn. */
dlf_status rt_run_image_rows(rt_engine *e, const rt_step *s, rt_image_rows_fn fn);

#endif
