/* target.h — what dlfusion compiles for: the host CPU (measured by running) or a described
 * multi-core accelerator (simulated with the latency equations of docs/targets.md). A target
 * is read from a JSON file under targets/ (docs/targets.md is the format) or made for the
 * host; profiles and plans record the target they were made for (name + fingerprint). */
#ifndef DLF_TARGET_TARGET_H
#define DLF_TARGET_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dlfusion.h"

#define TARGET_FORMAT_VERSION 1
#define TARGET_MAX_CORE_NUMBERS 64 /* allowed core numbers listed in one file */
#define TARGET_MAX_CORES 1024      /* sanity bound on file data (= PLAN_MAX_CORES) */
#define TARGET_NAME_MAX 64

typedef enum target_kind {
  TARGET_CPU = 0,   /* this machine: times are measured by running the engine */
  TARGET_ACCEL = 1, /* a described accelerator: times come from target_accel_block_time */
} target_kind;

/* Parameters of the accelerator latency model (docs/targets.md). For one block of layers
 * on k cores:
 *   t = launch_us + sync(k) + max(compute(k), dram_bytes(k) / bw(k))
 *   sync(k)    = k > 1 ? sync_base_us + sync_per_log2_us * log2(k) : 0
 *   compute(k) = sum over layers of 2 * macs / (k_eff * peak_gflops_per_core * eff(C)),
 *                k_eff = min(k, parallel work units of the layer), eff(C) = C / roundup(C, lanes)
 *   bw(k)      = dram_gbps_per_channel * min(dram_channels, ceil(k / cores_per_channel))
 *   dram_bytes = weights + the block's external inputs and outputs + every intermediate
 *                that does not fit, with the block's weights, in k * onchip_bytes_per_core.
 * Refinements (accel_model.c, docs/targets.md has the exact text and a worked example):
 *   - sync is paid once per LAYER of the block: t = launch_us + n * sync(k) + max(...). Each
 *     layer ends with a barrier of the k cores (the next layer reads rows other cores wrote);
 *     only the launch is paid once per block. (With one barrier per block, fusing everything
 *     on one core number would always win, and that is the vendor default the tuner must beat.)
 *   - k_eff = W / ceil(W / k) for W work units (= min(k, W) when W <= k; also counts the
 *     last, partly idle round: 112 units on 32 cores take 4 rounds, k_eff = 28); W = 0 means
 *     unknown: k_eff = k. C is the layer's in_channels (the reduction dimension the lanes
 *     run along); C = 0: eff = 1.
 *   - a spilled intermediate costs 2 * its act_out_bytes (written, then read back); the fit
 *     test for the output of layer i < n-1 is  sum(weight_bytes) + act_out_bytes[i] <=
 *     k * onchip_bytes_per_core (weights are split across the cores, not replicated). */
typedef struct target_accel {
  double clock_ghz;             /* informational */
  double peak_gflops_per_core;  /* at full lane use */
  int lanes;                    /* channels processed side by side (eff(C) above) */
  int64_t onchip_bytes_per_core;
  int dram_channels;
  double dram_gbps_per_channel;
  int cores_per_channel; /* cores next to one DRAM channel (a cluster) */
  double launch_us;      /* per kernel (an unfused layer or a fused block) */
  double sync_base_us, sync_per_log2_us;
} target_accel;

/* Parameters of the detailed, tile-level simulator (accel_sim.h; docs/targets.md "The
 * detailed simulator"). A target file's optional "sim" object; when present the simulator,
 * not the first-order equations above, is the target's "hardware": profiles of synthesized
 * layers, the oracle's block costs and dlf_target_block_time all come from it. It reuses
 * target_accel's peak, lanes, on-chip bytes, DRAM, launch and sync parameters. */
typedef struct target_sim {
  bool present;                  /* the file has a "sim" object */
  int elem_bytes;                /* bytes of one activation / weight element on the part */
  double vector_elems_per_cycle; /* the vector unit (pool, eltwise, concat, residual add) */
  double dma_setup_us;           /* fixed cost of one DMA transfer (descriptor to completion) */
} target_sim;

typedef struct target {
  int version; /* TARGET_FORMAT_VERSION */
  char name[TARGET_NAME_MAX];
  target_kind kind;
  int cores;                                   /* most cores a block may use */
  int n_core_numbers;                          /* allowed core numbers, ascending, <= cores */
  int core_numbers[TARGET_MAX_CORE_NUMBERS];   /* the host: 1..cores */
  target_accel accel;                          /* kind == TARGET_ACCEL */
  target_sim sim;                              /* kind == TARGET_ACCEL, optional */
  uint64_t fingerprint; /* FNV-1a over kind, cores, core numbers and every model parameter */
} target;

/* The host CPU with `cores` cores (0 = all online CPUs), core numbers 1..cores, name "cpu".
 * (0 resolves to the CPUs this process may run on — its affinity mask — as the engine's
 * threads = 0 does. Past TARGET_MAX_CORE_NUMBERS cores, the core numbers are that many
 * values spread over 1..cores: see target_default_core_numbers.) */
dlf_status target_host(int cores, target *out);

/* FNV-1a over kind, cores, core numbers and every model parameter (not the name: renaming a
 * file does not change what it describes); what t->fingerprint holds. Stable across runs and
 * hosts (values are hashed as little-endian bytes). */
uint64_t target_fingerprint(const target *t);
/* Fills t->core_numbers with 1..t->cores (or, past TARGET_MAX_CORE_NUMBERS cores, that many
 * ascending values from 1 to t->cores): the host's list and a CPU file's default. */
void target_default_core_numbers(target *t);

/* Strict JSON reader (unknown or duplicate keys, wrong types, out-of-range values are
 * errors naming `source` and the field). Files are capped at 1 MiB. */
dlf_status target_parse(const char *json, size_t len, const char *source, target *out);
dlf_status target_load(const char *path, target *out);
/* JSON text of t (malloc'd, caller frees); target_parse(target_to_json(t)) == t. */
char *target_to_json(const target *t);

/* True when k is one of t's allowed core numbers. */
bool target_allows_cores(const target *t, int k);

/* What a layer computes, as the detailed simulator prices it: on the MAC array (conv, gemm)
 * or on the vector unit (pool, eltwise, concat), or nothing (a view: Flatten, Reshape). */
typedef enum target_op_class {
  TARGET_OP_OTHER = 0, /* a view or an op the simulator does not price: no compute */
  TARGET_OP_CONV,      /* Conv, any groups (depthwise = groups == in_channels) */
  TARGET_OP_GEMM,      /* Gemm, MatMul */
  TARGET_OP_POOL,      /* MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool */
  TARGET_OP_ELTWISE,   /* Add, Mul, Relu, ... : one vector op per input element */
  TARGET_OP_CONCAT,    /* Concat: one vector copy per output element */
} target_op_class;

/* One layer of a block as the accelerator model sees it (dlf_layer_info's fields). The
 * first-order model reads macs ... work_units; the detailed simulator also the rest. */
typedef struct target_layer {
  int64_t macs;
  int64_t in_channels, out_channels;
  int64_t weight_bytes, act_in_bytes, act_out_bytes;
  int64_t work_units; /* independent output rows x channel groups; bounds useful cores */
  /* ---- the detailed simulator's view (0 where not applicable) ---- */
  target_op_class op_class;
  int64_t kernel_h, kernel_w, stride_h, stride_w, groups;
  int64_t in_rows, out_rows; /* batch x height of the first input / the output (1 for 2-D) */
  int64_t params;            /* weight + bias elements (dlf_layer_info.params) */
  bool residual;             /* a fused residual add (epilogue "add...") */
} target_layer;

typedef struct target_block_time {
  double total_us, launch_us, sync_us, compute_us, dram_us;
  int64_t dram_bytes;
  bool spilled; /* some intermediate did not fit on chip */
} target_block_time;

/* Simulated latency of n consecutive layers run as one block on k cores (a single layer
 * when n == 1). ext_in_bytes / ext_out_bytes: bytes the block reads from / writes to DRAM
 * besides weights (its inputs from outside, its outputs used outside). t->kind must be
 * TARGET_ACCEL and k an allowed core number. */
dlf_status target_accel_block_time(const target *t, const target_layer *layers, int n, int k,
                                   int64_t ext_in_bytes, int64_t ext_out_bytes,
                                   target_block_time *out);

/* Is a equal to b field by field (name, kind, cores, core numbers, model, fingerprint)? */
bool target_equal(const target *a, const target *b);

/* The pieces of the model, for reports and tests (docs/targets.md): the barrier cost of one
 * layer on k cores, the DRAM bandwidth k cores reach (GB/s), the lane efficiency eff(C) and
 * the useful cores k_eff of a layer with work_units parallel units. */
double target_accel_sync_us(const target_accel *a, int k);
double target_accel_bw_gbps(const target_accel *a, int k);
double target_accel_lane_eff(const target_accel *a, int64_t channels);
double target_accel_useful_cores(int64_t work_units, int k);

/* work_units of a layer with `rows` independent output rows (batch x height) and
 * out_channels output channels: rows x ceil(out_channels / lanes) (lanes = 1 on a cpu). */
int64_t target_work_units(const target *t, int64_t rows, int64_t out_channels);
/* A layer of the model's layer table as t's model sees it: dlf_layer_info's MACs, channels
 * and bytes as they are (float32 bytes: the model does not rescale to the accelerator's data
 * type), work_units from the output's batch x height and channels. */
void target_layer_from_info(const target *t, const dlf_layer_info *li, target_layer *out);
/* The simulator's class of an op name of the layer table ("Conv", "MaxPool", ...). */
target_op_class target_op_class_of(const char *op);

#endif
