/* plan.h — the execution plan: the model's layers partitioned into fused blocks, each with
 * a core number, a tile height and a kernel algorithm per layer (DLFusion's two knobs plus
 * the per-layer algorithm). One struct is what the JSON reader produces, what the engine
 * executes and (later) what the tuner writes; docs/plan.md is the file format.
 *
 * Layers are the model's layers (dlf_model_layer): the live nodes of the optimized graph,
 * numbered in topological order. layer_node[] maps a layer index to its ir_graph node. */
#ifndef DLF_PLAN_PLAN_H
#define DLF_PLAN_PLAN_H

#include <stdint.h>

#include "dlfusion.h"
#include "ir/ir.h"

#define PLAN_FORMAT_VERSION 1

/* Kernel algorithm of one layer. AUTO lets the engine choose by shape (the default). */
typedef enum plan_algo {
  PLAN_ALGO_AUTO = 0,
  PLAN_ALGO_IM2COL,    /* im2col (or in-place 1x1) + packed SGEMM: any Conv */
  PLAN_ALGO_WINOGRAD,  /* Winograd F(4x4,3x3): 3x3, stride 1, dilation 1, groups 1 */
  PLAN_ALGO_DIRECT,    /* direct loops: depthwise conv, pooling, elementwise */
  PLAN_ALGO_REFERENCE, /* the op's reference function (slow; for debugging) */
  PLAN_ALGO_COUNT
} plan_algo;

/* "auto", "im2col", ...; plan_algo_from_name returns PLAN_ALGO_COUNT if unknown. */
const char *plan_algo_name(plan_algo a);
plan_algo plan_algo_from_name(const char *name);

typedef struct plan_block {
  int n_layers;
  int *layers;     /* layer indices, ascending (= topological order) */
  plan_algo *algo; /* per entry of layers[] */
  int cores;       /* k: threads the block runs on, 1..plan->target_cores */
  int tile_rows;   /* rows of the block's output per tile (per image); 0 = engine's choice */
} plan_block;

typedef struct plan {
  int version;         /* PLAN_FORMAT_VERSION */
  char *model;         /* the model spec it was made for (informational) */
  uint64_t fingerprint; /* plan_fingerprint() of the model's optimized graph */
  int target_cores;    /* cores of the target the plan was made for */
  /* "" for the host CPU; else the accelerator the plan was tuned for (its plans are
   * simulated, not run: a session refuses them). JSON: "target": {"kind": "accelerator",
   * "name": ..., "cores": ...}. */
  char target_name[64];
  int n_blocks;
  plan_block *blocks;  /* in execution order */
} plan;

void plan_free(plan *p);

/* A hash of what a plan depends on: every live node's op, attributes that change geometry
 * (kernel, stride, pads, dilation, group), epilogue and input/output shapes, in order.
 * Same model file + same load options => same fingerprint. */
uint64_t plan_fingerprint(const ir_graph *g);

/* Number of layers; with layer_node != NULL also fills layer_node[layer] = node index. */
int plan_layer_nodes(const ir_graph *g, int *layer_node);

/* One layer per block, `cores` cores each, tile height and algorithms left to the engine.
 * model: the spec recorded in the plan (NULL = g->source). */
dlf_status plan_unfused(const ir_graph *g, const char *model, int cores, plan **out);

/* plan_heuristic.c: each natural block (VGG stage, ResNet block, inverted residual, fire
 * module) fused, the rest unfused, all on `cores` cores; found from the graph structure. */
dlf_status plan_fuse_blocks(const ir_graph *g, const char *model, int cores, plan **out);

/* ---- plan_check.c: is a plan executable on a model? ---- */

/* Most cores a plan's target may declare (a sanity bound on file data, not a machine fact). */
#define PLAN_MAX_CORES 1024

/* True when n can be part of a multi-layer fused block: it computes a band of output rows
 * from a band of input rows of 4-D tensors (Conv, MaxPool, AveragePool, same-shape Add/Mul,
 * unary activations, Concat on axis 1). Layers that need their whole input (global pooling,
 * Gemm, MatMul, Flatten, Reshape, Softmax, ...) run as blocks of their own. The engine and the
 * checker share this one definition. */
bool plan_layer_row_local(const ir_graph *g, const ir_node *n);

/* True when algorithm a can run node n. Otherwise, with why != NULL, a short reason naming
 * what a needs and what n is ("winograd runs only a 3x3 Conv with stride 1, ...; this is ..."). */
bool plan_algo_supports(const ir_graph *g, const ir_node *n, plan_algo a, char *why,
                        size_t why_size);

/* Check p against the model's graph g: version, fingerprint, target cores, every layer in
 * exactly one block, layers ascending, core numbers, tile heights, algorithms, fused blocks
 * made of row-local layers, blocks convex in the graph and listed in execution order.
 * Fails with DLF_ERR_INVALID_ARG (DLF_ERR_UNSUPPORTED for another format version) and a
 * one-line message "<source>: block B: layer 'name' (#i, Op): ..." (docs/plan.md). */
dlf_status plan_check(const ir_graph *g, const plan *p, const char *source);

#endif
