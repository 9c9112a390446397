/* accel_model.c — the simulated accelerator: latency of a block of layers on k cores from the
 * first-order equations of target.h and docs/targets.md (launch, barriers, compute vs DRAM). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/checked.h"
#include "core/status.h"
#include "target/target.h"

double target_accel_sync_us(const target_accel *a, int k) {
  return k > 1 ? a->sync_base_us + a->sync_per_log2_us * log2((double)k) : 0.0;
}

double target_accel_bw_gbps(const target_accel *a, int k) {
  int clusters = (k + a->cores_per_channel - 1) / a->cores_per_channel;
  if (clusters > a->dram_channels) clusters = a->dram_channels;
  if (clusters < 1) clusters = 1;
  return a->dram_gbps_per_channel * clusters;
}

double target_accel_lane_eff(const target_accel *a, int64_t channels) {
  if (channels <= 0 || a->lanes <= 1) return 1.0; /* no channel dimension, or scalar lanes */
  int64_t groups = channels / a->lanes + (channels % a->lanes != 0);
  return (double)channels / ((double)groups * a->lanes);
}

double target_accel_useful_cores(int64_t work_units, int k) {
  if (work_units <= 0) return k; /* unknown: assume the layer splits evenly */
  /* work units are dealt out in rounds of k: the slowest core does ceil(W/k) of them */
  int64_t rounds = work_units / k + (work_units % k != 0);
  return (double)work_units / (double)rounds;
}

int64_t target_work_units(const target *t, int64_t rows, int64_t out_channels) {
  int lanes = t->kind == TARGET_ACCEL && t->accel.lanes > 0 ? t->accel.lanes : 1;
  if (rows < 1) rows = 1;
  if (out_channels < 1) out_channels = 1;
  int64_t groups = out_channels / lanes + (out_channels % lanes != 0), w;
  return dlf_mul_i64(rows, groups, &w) ? w : INT64_MAX;
}

void target_layer_from_info(const target *t, const dlf_layer_info *li, target_layer *out) {
  memset(out, 0, sizeof *out);
  out->macs = li->macs;
  out->in_channels = li->in_channels;
  out->out_channels = li->out_channels;
  out->weight_bytes = li->weight_bytes;
  out->act_in_bytes = li->act_in_bytes;
  out->act_out_bytes = li->act_out_bytes;
  /* Output rows: batch x height for an NCHW output, the batch for (N, features). */
  int64_t rows = li->ndim_out >= 1 ? li->out_dims[0] : 1;
  if (li->ndim_out >= 3 && !dlf_mul_i64(rows, li->out_dims[2], &rows)) rows = INT64_MAX;
  out->work_units = target_work_units(t, rows, li->out_channels);
  /* the detailed simulator's view */
  out->op_class = target_op_class_of(li->op);
  out->kernel_h = li->kernel_h;
  out->kernel_w = li->kernel_w;
  out->stride_h = li->stride_h;
  out->stride_w = li->stride_w;
  out->groups = li->groups;
  out->out_rows = rows;
  int64_t in_rows = li->ndim_in >= 1 ? li->in_dims[0] : 1;
  if (li->ndim_in >= 3 && !dlf_mul_i64(in_rows, li->in_dims[2], &in_rows)) in_rows = INT64_MAX;
  out->in_rows = in_rows;
  out->params = li->params;
  out->residual = li->epilogue && strncmp(li->epilogue, "add", 3) == 0;
}

target_op_class target_op_class_of(const char *op) {
  static const struct {
    const char *name;
    target_op_class cls;
  } table[] = {
      {"Conv", TARGET_OP_CONV},          {"Gemm", TARGET_OP_GEMM},
      {"MatMul", TARGET_OP_GEMM},        {"MaxPool", TARGET_OP_POOL},
      {"AveragePool", TARGET_OP_POOL},   {"GlobalAveragePool", TARGET_OP_POOL},
      {"GlobalMaxPool", TARGET_OP_POOL}, {"Concat", TARGET_OP_CONCAT},
      {"Add", TARGET_OP_ELTWISE},        {"Sub", TARGET_OP_ELTWISE},
      {"Mul", TARGET_OP_ELTWISE},        {"Div", TARGET_OP_ELTWISE},
      {"Relu", TARGET_OP_ELTWISE},       {"Clip", TARGET_OP_ELTWISE},
      {"Sigmoid", TARGET_OP_ELTWISE},    {"HardSigmoid", TARGET_OP_ELTWISE},
      {"HardSwish", TARGET_OP_ELTWISE},  {"LeakyRelu", TARGET_OP_ELTWISE},
      {"Tanh", TARGET_OP_ELTWISE},       {"BatchNormalization", TARGET_OP_ELTWISE},
  };
  if (!op) return TARGET_OP_OTHER;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp(op, table[i].name) == 0) return table[i].cls;
  return TARGET_OP_OTHER;
}

static dlf_status bad(const target *t, const char *fmt, const char *what, long long v) {
  char msg[160];
  snprintf(msg, sizeof msg, fmt, what, v);
  return dlf_error(DLF_ERR_INVALID_ARG, "target '%s': accelerator model: %s", t->name, msg);
}

dlf_status target_accel_block_time(const target *t, const target_layer *layers, int n, int k,
                                   int64_t ext_in_bytes, int64_t ext_out_bytes,
                                   target_block_time *out) {
  memset(out, 0, sizeof *out);
  if (t->kind != TARGET_ACCEL)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "target '%s' is a cpu target: its times are measured, not simulated", t->name);
  if (!target_allows_cores(t, k))
    return dlf_error(DLF_ERR_INVALID_ARG, "target '%s': %d is not an allowed core number", t->name,
                     k);
  if (n < 1 || !layers) return bad(t, "a block needs layers (%s %lld)", "n =", n);
  if (ext_in_bytes < 0) return bad(t, "%s %lld is negative", "ext_in_bytes", ext_in_bytes);
  if (ext_out_bytes < 0) return bad(t, "%s %lld is negative", "ext_out_bytes", ext_out_bytes);
  const target_accel *a = &t->accel;
  int64_t weights = 0, bytes = 0;
  double flop_time = 0; /* microseconds */
  for (int i = 0; i < n; i++) {
    const target_layer *l = &layers[i];
    const int64_t *f[] = {&l->macs, &l->weight_bytes, &l->act_in_bytes, &l->act_out_bytes,
                          &l->work_units};
    static const char *const names[] = {"macs", "weight_bytes", "act_in_bytes", "act_out_bytes",
                                        "work_units"};
    for (int j = 0; j < 5; j++)
      if (*f[j] < 0) return bad(t, "layer field %s is negative (%lld)", names[j], *f[j]);
    if (!dlf_add_i64(weights, l->weight_bytes, &weights))
      return dlf_error(DLF_ERR_LIMIT, "target '%s': the block's weight bytes overflow", t->name);
    /* 2 FLOP per MAC; GFLOP/s x 1e3 = FLOP per microsecond */
    flop_time += 2.0 * (double)l->macs /
                 (target_accel_useful_cores(l->work_units, k) * a->peak_gflops_per_core * 1e3 *
                  target_accel_lane_eff(a, l->in_channels));
  }
  /* An intermediate (output of layer i < n-1, read by the next layer) stays on chip when it
   * fits beside the block's weights in the k cores' memory; otherwise it is written to DRAM
   * and read back. */
  double capacity = (double)k * (double)a->onchip_bytes_per_core;
  int64_t spill = 0;
  for (int i = 0; i + 1 < n; i++) {
    int64_t b = layers[i].act_out_bytes;
    if ((double)weights + (double)b <= capacity) continue;
    out->spilled = true;
    if (!dlf_add_i64(spill, b, &spill) || !dlf_add_i64(spill, b, &spill))
      return dlf_error(DLF_ERR_LIMIT, "target '%s': the block's spilled bytes overflow", t->name);
  }
  if (!dlf_add_i64(weights, ext_in_bytes, &bytes) || !dlf_add_i64(bytes, ext_out_bytes, &bytes) ||
      !dlf_add_i64(bytes, spill, &bytes))
    return dlf_error(DLF_ERR_LIMIT, "target '%s': the block's DRAM bytes overflow", t->name);
  out->dram_bytes = bytes;
  out->launch_us = a->launch_us;
  /* every layer ends with a barrier of the block's cores (the next layer reads rows other
   * cores wrote); one launch per kernel, fused or not */
  out->sync_us = n * target_accel_sync_us(a, k);
  out->compute_us = flop_time;
  out->dram_us = (double)bytes / (target_accel_bw_gbps(a, k) * 1e3); /* GB/s x 1e3 = B/us */
  out->total_us = out->launch_us + out->sync_us +
                  (out->compute_us > out->dram_us ? out->compute_us : out->dram_us);
  return DLF_OK;
}
