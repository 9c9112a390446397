/* passes.h — graph passes that turn an imported graph into the list of
 * layers the fusion tuner reasons about. Each pass keeps outputs equal (to
 * float tolerance) to the reference executor on the unpassed graph. */
#ifndef DLF_IR_PASSES_H
#define DLF_IR_PASSES_H

#include "ir/ir.h"

/* Remove Identity and inference-mode Dropout, rewiring consumers (and graph
 * outputs) to their input. */
dlf_status ir_pass_drop_identity(ir_graph *g);
/* Fold a zero constant Pad of H and W into the pads of the Convs / AveragePools that read
 * it (fold_pad.c). */
dlf_status ir_pass_fold_pad(ir_graph *g);
/* ReduceMean over H and W of a 4-D tensor -> GlobalAveragePool (+ Flatten when keepdims is
 * 0) (reduce_to_gap.c). */
dlf_status ir_pass_reduce_to_gap(ir_graph *g);
/* ShuffleNet's Reshape -> Transpose(0,2,1,3,4) -> Reshape channel shuffle -> one Gather of
 * channels with constant indices (channel_shuffle.c). */
dlf_status ir_pass_channel_shuffle(ir_graph *g);
/* Fold BatchNormalization that follows a Conv (whose output feeds nothing
 * else) into the Conv's weights and bias. A BN that cannot be folded stays. */
dlf_status ir_pass_fold_batchnorm(ir_graph *g);

/* A 2-D Conv's kernel rows / columns that read only padding are cut away, pads shrunk to keep
 * the output (drop_dead_taps.c: DeepLabV3's dilated ASPP). */
dlf_status ir_pass_drop_dead_taps(ir_graph *g);

/* LayerNorm's pre-opset-17 decomposition (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div
 * [, Mul, Add]) -> one LayerNormalization (layernorm_fuse.c). */
dlf_status ir_pass_layernorm_fuse(ir_graph *g);

/* A closed channels-last region between Transpose(0,2,3,1) and Transpose(0,3,1,2) rewritten
 * in NCHW: the transposes vanish, LayerNorm over C becomes a channel LayerNorm, MatMul a 1x1
 * Conv (channels_last.c). */
dlf_status ir_pass_channels_last(ir_graph *g);
/* Attach to a Conv (or Gemm): a following per-channel constant Add as bias, a
 * residual Add of another activation, then one activation (Relu, Clip,
 * LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh) — as node->act,
 * act_p0/p1 and node->residual — when the intermediate has no other use. */
dlf_status ir_pass_fuse_epilogue(ir_graph *g);

/* All of the above in order, followed by toposort and shape inference. */
dlf_status ir_passes_run(ir_graph *g);

#endif
