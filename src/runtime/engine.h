/* engine.h — the fast execution engine: compiles an optimized graph once into a list of
 * steps (NHWC kernels, packed weights, one activation arena), then runs it many times.
 *
 * Layout: inside the engine every 4-D float32 activation is NHWC; every other tensor
 * (2-D Gemm activations, int64 tensors, constants) keeps its ONNX row-major layout.
 * Graph inputs are converted NCHW -> NHWC on entry, outputs NHWC -> NCHW on exit.
 *
 * Steps: Conv 2-D (im2col+SGEMM, grouped, depthwise), MaxPool/AveragePool 2-D,
 * GlobalAveragePool, Gemm (constant B, alpha = beta = 1), Concat on channels, same-shape
 * Add/Mul, Relu/Clip/... standalone, layout-free reshapes (copies). Anything else runs a
 * generic fallback step: the op's reference function on NCHW copies of its inputs.
 * Each step runs as one parallel region on `cores` threads of the engine's pool.
 *
 * Memory: all intermediate activations live in one arena (rt_memplan); weights are packed
 * at create; per-thread im2col scratch and fallback conversion buffers are allocated at
 * create. rt_engine_run does not allocate. One run at a time per engine. */
#ifndef DLF_RUNTIME_ENGINE_H
#define DLF_RUNTIME_ENGINE_H

#include "ir/ir.h"
#include "kernels/kernels.h"
#include "plan/plan.h"

typedef struct rt_engine rt_engine;

typedef struct rt_engine_options {
  int threads;            /* pool size and default cores per step; 0 = all available CPUs */
  const kern_config *cfg; /* kernels to use; NULL = kern_config_get(). Tests pass
                           * kern_config_for_isa(isa) to run every ISA path in one process. */
  int64_t min_parallel_work; /* steps with less work (multiply-adds or element visits) run
                              * on one thread; 0 = default (2^20), negative = never (tests) */
  bool no_winograd; /* run eligible 3x3 convs with im2col instead of Winograd F(4x4,3x3) */
  /* Blocks, core numbers, tile heights and algorithms (checked against g by plan_check);
   * NULL = the unfused plan on `threads` cores with algorithms chosen by shape. Every
   * block's cores must be <= threads. Not kept: the engine copies what it needs. */
  const plan *plan;
} rt_engine_options;

/* The graph must be sorted, shape-inferred (passes applied or not) and outlive the engine. */
dlf_status rt_engine_create(const ir_graph *g, const rt_engine_options *opts, rt_engine **out);
void rt_engine_free(rt_engine *e);

/* inputs[i] / outputs[i] hold g->inputs[i] / g->outputs[i] in ONNX layout (NCHW).
 * node_ms: NULL, or g->n_nodes entries receiving each node's wall-clock ms (0 for dead
 * nodes; a fused block's time goes to its last layer's node, 0 to its other layers;
 * input/output layout conversion is not attributed to any node). block_ms: NULL, or one
 * entry per plan block. */
dlf_status rt_engine_run(rt_engine *e, const void *const *inputs, void *const *outputs,
                         double *node_ms, double *block_ms);

int rt_engine_num_blocks(const rt_engine *e);
/* Predicted traffic of block b (see dlf_block_stats). */
void rt_engine_block_stats(const rt_engine *e, int b, dlf_block_stats *out);
/* Bytes: the activation arena, all per-thread scratch (tiles, im2col, fallback copies,
 * input copies), packed weights. */
void rt_engine_memory(const rt_engine *e, int64_t *arena, int64_t *scratch, int64_t *weights);

/* "fast (avx512)" etc.: a static string. */
const char *rt_engine_name(const rt_engine *e);
int rt_engine_threads(const rt_engine *e);

/* Introspection for tests: number of steps, and how many run the reference fallback. */
int rt_engine_num_steps(const rt_engine *e);
int rt_engine_num_fallback_steps(const rt_engine *e);

#endif
