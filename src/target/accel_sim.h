/* accel_sim.h — the detailed, tile-level accelerator simulator: the "hardware" a target with
 * a "sim" object stands for (docs/targets.md "The detailed simulator"). It is not the cost
 * model's formula: the tuner reaches it only by profiling synthesized layers and by pricing
 * candidate blocks (the oracle), as it would a real part.
 *
 * A block of n layers on k cores is run in one of three ways, and the simulator (like a
 * vendor compiler) takes the fastest that fits each core's private on-chip memory:
 *   rows-recompute  the last layer's output rows are cut into k bands, one per core; each core
 *                   runs the whole block depth-first on tiles of its band, recomputing the
 *                   halo rows its tile needs from every earlier layer (no data exchange);
 *                   every core holds (or streams) all of the block's weights;
 *   rows-exchange   layer by layer, each layer's rows cut into k bands; an intermediate band
 *                   stays on chip when it fits and only its halo rows go to the neighbours
 *                   through DRAM (private memories), else it spills; a barrier per layer;
 *   channels        layer by layer, each layer on a grid of kr row bands x kc output-channel
 *                   slices (kr * kc <= k, the best per layer): weights split over the slices,
 *                   each band's input rows read by its slices' cores; outputs through DRAM,
 *                   a barrier per layer.
 * Each core runs its tiles as a DMA/compute pipeline: weights and the first tile's input
 * are loaded before any compute (fill), the last tile's output stored after (drain), and in
 * between a tile costs max(compute, load + store). DMA transfers pay a setup latency; a
 * core's bandwidth is its cluster's DRAM channel shared by the cluster's busy cores. */
#ifndef DLF_TARGET_ACCEL_SIM_H
#define DLF_TARGET_ACCEL_SIM_H

#include "target/target.h"

typedef enum target_sim_way {
  TARGET_SIM_ROWS_RECOMPUTE = 0,
  TARGET_SIM_ROWS_EXCHANGE = 1,
  TARGET_SIM_CHANNELS = 2,
} target_sim_way;

/* The simulator's account of one block (the slowest core's, except dram_bytes). */
typedef struct target_sim_detail {
  target_block_time bt; /* what target_sim_block_time returns */
  target_sim_way way;
  int cores_used;        /* cores with work (<= k) */
  int tiles;             /* tiles per core (rows-recompute; the largest layer's otherwise) */
  int64_t tile_rows;     /* output rows of the last layer per tile (rows-recompute) */
  double mac_us;         /* compute on the MAC array */
  double vector_us;      /* compute on the vector unit */
  double halo_us;        /* recomputed halo rows (rows-recompute) or halo DMA (rows-exchange) */
  double setup_us;       /* DMA setup latencies */
  int64_t transfers;     /* DMA transfers of the slowest core */
  double fill_drain_us;  /* time compute and DMA did not overlap */
  bool weights_streamed; /* the weights did not fit beside the tiles: reloaded per tile */
} target_sim_detail;

/* Simulated latency of n consecutive layers run as one block on k cores, the same contract
 * as target_accel_block_time (ext_in_bytes / ext_out_bytes in the layer table's float32
 * bytes; the simulator rescales to sim.elem_bytes). t must have a "sim" object. The
 * breakdown: launch_us, sync_us (barriers), compute_us (MAC + vector, halo recompute
 * included), dram_us (DMA time incl. setups), dram_bytes (all cores), spilled (an
 * intermediate went to DRAM, or no way fitted on chip). */
dlf_status target_sim_block_time(const target *t, const target_layer *layers, int n, int k,
                                 int64_t ext_in_bytes, int64_t ext_out_bytes,
                                 target_block_time *out);
/* The same with the full account; `force` >= 0 prices only that way (tests), -1 the best. */
dlf_status target_sim_block_detail(const target *t, const target_layer *layers, int n, int k,
                                   int64_t ext_in_bytes, int64_t ext_out_bytes, int force,
                                   target_sim_detail *out);

/* The block time a target stands for: the detailed simulator when t has one, else the
 * first-order model (target_accel_block_time). What profiles, the oracle and the public
 * dlf_target_block_time call. */
dlf_status target_block_time_of(const target *t, const target_layer *layers, int n, int k,
                                int64_t ext_in_bytes, int64_t ext_out_bytes,
                                target_block_time *out);

/* Lane efficiency of a conv / gemm on the lanes x lanes MAC array: cin_g and cout_g are the
 * input and output channels of one group, g the groups (docs/targets.md). */
double target_sim_mac_eff(int lanes, int64_t cin_g, int64_t cout_g, int64_t groups);

#endif
