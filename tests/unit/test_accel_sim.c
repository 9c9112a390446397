/* test_accel_sim.c — the detailed accelerator simulator (src/target/accel_sim.c) pinned on
 * hand-computed examples of each effect it models: lane efficiency (dense vs depthwise),
 * vector compute for pool / eltwise / concat, fp16 bytes, DMA setup, fill/drain, tiling to
 * on-chip memory, halos recomputed (growing with k and depth) or exchanged. Each expected
 * value is derived in the comment above it; removing the effect changes the value. */
#include <math.h>
#include <string.h>

#include "api/target_internal.h"
#include "dlfusion.h"
#include "target/accel_sim.h"
#include "target/target.h"
#include "test.h"

/* Round numbers: peak 2 GFLOP/s per core = 1000 MAC/us; lanes 4 (a 4 x 4 MAC array); clock
 * 1 GHz x 1 vector element per cycle = 1000 elements/us; 2 DRAM channels of 1 GB/s = 1000 B/us,
 * 4 cores per channel; launch 10 us; sync(k) = 2 + log2(k) for k > 1; fp16 (elem_bytes 2:
 * the layer table's float32 bytes are halved); 1 us per DMA transfer; 1 MB per core. */
static const char toy_json[] =
    "{\"dlfusion_target\": 1, \"name\": \"simtoy\", \"kind\": \"accelerator\", \"cores\": 8,\n"
    " \"core_numbers\": [1, 2, 4, 8],\n"
    " \"accel\": {\"clock_ghz\": 1, \"peak_gflops_per_core\": 2, \"lanes\": 4,\n"
    "   \"onchip_bytes_per_core\": 1000000, \"dram_channels\": 2, \"dram_gbps_per_channel\": 1,\n"
    "   \"cores_per_channel\": 4, \"launch_us\": 10, \"sync_base_us\": 2, \"sync_per_log2_us\": "
    "1},\n"
    " \"sim\": {\"elem_bytes\": 2, \"vector_elems_per_cycle\": 1, \"dma_setup_us\": 1}}\n";

static void toy(target *t) {
  if (target_parse(toy_json, strlen(toy_json), "simtoy.json", t) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "toy target: %s", dlf_last_error());
    memset(t, 0, sizeof *t);
  }
}

/* A stride-1 conv over `rows` rows; row_in / row_out: float32 bytes per row (the layer
 * table's unit). */
static target_layer conv(int64_t rows, int64_t cin, int64_t cout, int64_t kh, int64_t groups,
                         int64_t row_in, int64_t row_out, int64_t macs) {
  target_layer l = {.macs = macs,
                    .in_channels = cin,
                    .out_channels = cout,
                    .act_in_bytes = rows * row_in,
                    .act_out_bytes = rows * row_out,
                    .op_class = TARGET_OP_CONV,
                    .kernel_h = kh,
                    .kernel_w = kh,
                    .stride_h = 1,
                    .stride_w = 1,
                    .groups = groups,
                    .in_rows = rows,
                    .out_rows = rows};
  return l;
}

static target_sim_detail detail(const target *t, const target_layer *ls, int n, int k, int64_t in,
                                int64_t out, int force) {
  target_sim_detail d;
  if (target_sim_block_detail(t, ls, n, k, in, out, force, &d) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "simulator: %s", dlf_last_error());
    memset(&d, 0, sizeof d);
  }
  return d;
}

/* Lanes 4, a 4 x 4 array. Dense 4 -> 4: eff 1; 3 input channels: 3/4. Depthwise (1 x 1 per
 * group): 4 groups packed on the diagonal, 4 of 16 MACs used: 1/4. Two groups of 2 -> 2: both
 * fit, 2 * 2 * 2 = 8 of 16: 1/2. (At "full MAC efficiency" depthwise would be 1.) */
TEST(test_sim_lane_efficiency_dense_vs_depthwise) {
  CHECK_NEAR(1.0, target_sim_mac_eff(4, 4, 4, 1), 1e-12);
  CHECK_NEAR(0.75, target_sim_mac_eff(4, 3, 4, 1), 1e-12);
  CHECK_NEAR(0.25, target_sim_mac_eff(4, 1, 1, 64), 1e-12);
  CHECK_NEAR(0.5, target_sim_mac_eff(4, 2, 2, 2), 1e-12);
  CHECK_NEAR(0.5 * 0.75, target_sim_mac_eff(4, 2, 3, 1), 1e-12); /* 2/4 in, 3/4 out */
}

/* The same 1000 MACs on one core, no bytes: dense 4 -> 4 runs at 1000 MAC/us = 1 us;
 * depthwise over 4 channels (groups 4) at 1/4 of it = 4 us. */
TEST(test_sim_depthwise_runs_at_its_reduction_width) {
  target t;
  toy(&t);
  t.sim.dma_setup_us = 0;
  target_layer dense = conv(1, 4, 4, 3, 1, 0, 0, 1000), dw = conv(1, 4, 4, 3, 4, 0, 0, 1000);
  target_sim_detail a = detail(&t, &dense, 1, 1, 0, 0, -1), b = detail(&t, &dw, 1, 1, 0, 0, -1);
  CHECK_NEAR(1.0, a.mac_us, 1e-12);
  CHECK_NEAR(4.0, b.mac_us, 1e-12);
  CHECK_NEAR(10 + 4.0, b.bt.total_us, 1e-12);
}

/* Vector unit, 1000 elements/us, one core, no bytes, rows-recompute:
 *   MaxPool 3x3 with 100 output elements (400 float32 bytes): 100 * 9 = 900 -> 0.9 us;
 *   Add of two 100-element inputs (800 bytes in): 200 -> 0.2 us;
 *   Concat to 200 elements (800 bytes out): 200 copies -> 0.2 us;
 *   a conv with a fused residual add: 100 output elements -> 0.1 us on top of its MACs. */
TEST(test_sim_pool_eltwise_concat_cost_vector_time) {
  target t;
  toy(&t);
  t.sim.dma_setup_us = 0;
  target_layer pool = {.op_class = TARGET_OP_POOL,
                       .kernel_h = 3,
                       .kernel_w = 3,
                       .stride_h = 1,
                       .stride_w = 1,
                       .in_rows = 1,
                       .out_rows = 1,
                       .act_out_bytes = 400,
                       .out_channels = 4};
  target_layer add = {.op_class = TARGET_OP_ELTWISE,
                      .in_rows = 1,
                      .out_rows = 1,
                      .act_in_bytes = 800,
                      .out_channels = 4};
  target_layer cat = {.op_class = TARGET_OP_CONCAT,
                      .in_rows = 1,
                      .out_rows = 1,
                      .act_out_bytes = 800,
                      .out_channels = 8};
  target_layer res = conv(1, 4, 4, 1, 1, 0, 400, 1000);
  res.residual = true;
  CHECK_NEAR(0.9, detail(&t, &pool, 1, 1, 0, 0, 0).vector_us, 1e-12);
  CHECK_NEAR(0.2, detail(&t, &add, 1, 1, 0, 0, 0).vector_us, 1e-12);
  CHECK_NEAR(0.2, detail(&t, &cat, 1, 1, 0, 0, 0).vector_us, 1e-12);
  target_sim_detail d = detail(&t, &res, 1, 1, 0, 0, 0);
  CHECK_NEAR(1.0, d.mac_us, 1e-12);
  CHECK_NEAR(0.1, d.vector_us, 1e-12);
  CHECK_NEAR(1.1, d.bt.compute_us, 1e-12);
}

/* One row in, one row out (no tiling possible): 4000 float32 bytes each way are 2000 fp16
 * bytes, 2 us at 1000 B/us + 1 us setup = 3 us to load, 3 to store; 10000 MACs = 10 us.
 * Nothing overlaps with a single tile (fill = the load, drain = the store):
 *   t = 10 (launch) + 3 + 10 + 3 = 26 us   (perfect overlap would be 10 + max(10, 6) = 20).
 * DMA setup: 2 transfers, 2 us; without it 24. fp16: at 4 bytes per element, 1 + 4 = 5 us
 * each way: 10 + 5 + 10 + 5 = 30. */
TEST(test_sim_single_tile_pays_fill_and_drain) {
  target t;
  toy(&t);
  target_layer l = conv(1, 4, 4, 1, 1, 4000, 4000, 10000);
  target_sim_detail d = detail(&t, &l, 1, 1, 4000, 4000, -1);
  CHECK_NEAR(26.0, d.bt.total_us, 1e-9);
  CHECK_INT(1, d.tiles);
  CHECK_INT(2, d.transfers);
  CHECK_NEAR(2.0, d.setup_us, 1e-12);
  CHECK_INT(4000, d.bt.dram_bytes);       /* 2000 + 2000 fp16 bytes */
  CHECK_NEAR(6.0, d.fill_drain_us, 1e-9); /* 3 + 10 + 3 - max(10, 6) */
}

TEST(test_sim_dma_setup_per_transfer) {
  target t;
  toy(&t);
  target_layer l = conv(1, 4, 4, 1, 1, 4000, 4000, 10000);
  t.sim.dma_setup_us = 0;
  CHECK_NEAR(24.0, detail(&t, &l, 1, 1, 4000, 4000, -1).bt.total_us, 1e-9);
  t.sim.dma_setup_us = 2.5; /* 2 transfers */
  CHECK_NEAR(24.0 + 5.0, detail(&t, &l, 1, 1, 4000, 4000, -1).bt.total_us, 1e-9);
}

TEST(test_sim_fp16_bytes_on_the_part) {
  target t;
  toy(&t);
  target_layer l = conv(1, 4, 4, 1, 1, 4000, 4000, 10000);
  t.sim.elem_bytes = 4;
  target_sim_detail d = detail(&t, &l, 1, 1, 4000, 4000, -1);
  CHECK_NEAR(30.0, d.bt.total_us, 1e-9);
  CHECK_INT(8000, d.bt.dram_bytes);
}

/* 10 rows of a 1x1 conv on one core, 1000 MACs (1 us) per row, 1000 float32 = 500 fp16 bytes
 * per row in and out. Tiles of t rows (T = ceil(10 / t)): load = store = 1 + 0.5 t us,
 * pipeline = load + c + (T - 1) max(c, load + store) + store:
 *   t = 1: 1.5 + 1 + 9 * 3 + 1.5 = 31;   t = 2: 2 + 2 + 4 * 4 + 2 = 22;
 *   t = 3: 2.5 + 3 + 3 * 5 + 2.5 = 23;   t = 4: 3 + 4 + 2 * 6 + 3 = 22;
 *   t = 5: 3.5 + 5 + 1 * 7 + 3.5 = 19 (the best);  t = 6..9: 22 or more;  t = 10: 6 + 10 + 6 = 22.
 * With 1 MB per core t = 5 wins (19 + 10 launch). With 3000 bytes per core the live set,
 * double-buffered input and output tiles = 2 (500 t + 500 t) = 2000 t, allows t = 1 only:
 * 31 + 10. With 1999 bytes not even one row fits: rows are split in two along the width,
 * 20 tiles of half a row (live 1000): load = store = 1 + 0.25, c = 0.5:
 * 1.25 + 0.5 + 19 * 2.5 + 1.25 = 50.5 + 10. With 30 bytes not even 1/64 of a row fits
 * (2000 / 64 = 31.25): the block cannot run. */
TEST(test_sim_tiles_fit_the_cores_memory) {
  target t;
  toy(&t);
  target_layer l = conv(10, 4, 4, 1, 1, 1000, 1000, 10000);
  target_sim_detail d = detail(&t, &l, 1, 1, 10000, 10000, -1);
  CHECK_INT(5, d.tile_rows);
  CHECK_INT(2, d.tiles);
  CHECK_NEAR(29.0, d.bt.total_us, 1e-9);
  t.accel.onchip_bytes_per_core = 3000;
  d = detail(&t, &l, 1, 1, 10000, 10000, -1);
  CHECK_INT(1, d.tile_rows);
  CHECK_INT(10, d.tiles);
  CHECK_NEAR(41.0, d.bt.total_us, 1e-9);
  t.accel.onchip_bytes_per_core = 1999;
  d = detail(&t, &l, 1, 1, 10000, 10000, -1);
  CHECK_INT(20, d.tiles);
  CHECK_NEAR(60.5, d.bt.total_us, 1e-9);
  t.accel.onchip_bytes_per_core = 30;
  target_block_time bt;
  CHECK(target_sim_block_time(&t, &l, 1, 1, 10000, 10000, &bt) == DLF_ERR_LIMIT);
}

/* Weights count against the live set: 2000 float32 params are 4000 fp16 bytes; beside a
 * one-row tile (2 * (500 + 500) = 2000 live bytes with double buffers) they fit in 6000 bytes
 * of memory and are loaded once (1 transfer); in 5000 bytes they do not, and are streamed
 * through the 3000 bytes left in chunks of 1500 (two in flight): 3 chunks per tile. */
TEST(test_sim_weights_resident_or_streamed) {
  target t;
  toy(&t);
  target_layer l = conv(10, 4, 4, 1, 1, 1000, 1000, 10000);
  l.params = 2000;
  t.accel.onchip_bytes_per_core = 6000;
  target_sim_detail d = detail(&t, &l, 1, 1, 10000, 10000, 0);
  CHECK(!d.weights_streamed);
  CHECK_INT(1, d.tile_rows);
  CHECK_INT(1 + 10 * 2, d.transfers);
  t.accel.onchip_bytes_per_core = 5000;
  d = detail(&t, &l, 1, 1, 10000, 10000, 0);
  CHECK(d.weights_streamed);
  CHECK_INT(1, d.tile_rows);
  CHECK_INT(10 * (2 + 3), d.transfers);
}

/* A chain of 3x3 stride-1 convs over 8 rows, 1000 MACs (1 us) per row per layer, no bytes,
 * no setup: rows-recompute on k cores gives each core a band of 8 / k rows of the last layer
 * and it recomputes 2 more rows of every earlier layer (capped at 8):
 *   n = 2, k = 2: rows 6 + 4 = 10 us against a fair 16 / 2 = 8: halo 2 (25 %)
 *   n = 2, k = 4: rows 4 + 2 = 6 against 4: halo 2 (50 %)
 *   n = 2, k = 8: rows 3 + 1 = 4 against 2: halo 2 (100 %)
 *   n = 3, k = 4: rows 6 + 4 + 2 = 12 against 6: halo 6 (100 %)
 *   n = 3, k = 2: rows 8 + 6 + 4 = 18 against 12: halo 6 (50 %). */
TEST(test_sim_halo_recompute_grows_with_cores_and_depth) {
  target t;
  toy(&t);
  t.sim.dma_setup_us = 0;
  target_layer ls[3];
  for (int i = 0; i < 3; i++)
    ls[i] = conv(8, 4, 4, 3, 1, 0, 0, 8000);
  static const struct {
    int n, k;
    double compute, halo;
  } want[] = {{1, 1, 8, 0}, {2, 2, 10, 2}, {2, 4, 6, 2},
              {2, 8, 4, 2}, {3, 4, 12, 6}, {3, 2, 18, 6}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    target_sim_detail d = detail(&t, ls, want[i].n, want[i].k, 0, 0, TARGET_SIM_ROWS_RECOMPUTE);
    CHECK_NEAR(want[i].compute, d.bt.compute_us, 1e-9);
    CHECK_NEAR(want[i].halo, d.halo_us, 1e-9);
    CHECK_INT(1, d.tiles);
  }
}

/* The same chain with 2000 float32 = 1000 fp16 bytes per row, rows-exchange: the
 * intermediate stays on chip; the second layer's band of 8 / k rows needs 8 / k + 2 input
 * rows, 2 of them (1 per side) from the neighbours. Each core writes its 2 edge rows (2
 * transfers, 2000 bytes) and reads 2, with a barrier between: 2 * dma(2000 B, 2) + sync(k).
 * Bandwidth: k cores of one cluster share its 1000 B/us.
 *   k = 2: 500 B/us: 2 * (2 + 4) + sync(2) = 3 -> 15 us
 *   k = 4: 250 B/us: 2 * (2 + 8) + sync(4) = 4 -> 24 us
 *   k = 8: 2 clusters, 4 cores each, 250 B/us: 2 * (2 + 8) + sync(8) = 5 -> 25 us
 * and a 3-layer chain has two boundaries: twice that. */
TEST(test_sim_halo_exchange_grows_with_cores_and_depth) {
  target t;
  toy(&t);
  target_layer ls[3];
  for (int i = 0; i < 3; i++)
    ls[i] = conv(8, 4, 4, 3, 1, 2000, 2000, 8000);
  static const struct {
    int n, k;
    double halo;
  } want[] = {{2, 2, 15}, {2, 4, 24}, {2, 8, 25}, {3, 2, 30}, {3, 4, 48}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    target_sim_detail d =
        detail(&t, ls, want[i].n, want[i].k, 16000, 16000, TARGET_SIM_ROWS_EXCHANGE);
    CHECK_NEAR(want[i].halo, d.halo_us, 1e-9);
    CHECK(!d.bt.spilled);
  }
}

/* The public entry and the dispatcher agree, and a target without "sim" keeps the
 * first-order model. */
TEST(test_sim_dispatch_follows_the_target_file) {
  target t;
  toy(&t);
  target_layer l = conv(1, 4, 4, 1, 1, 4000, 4000, 10000);
  target_block_time a, b;
  REQUIRE_OK(target_sim_block_time(&t, &l, 1, 1, 4000, 4000, &a));
  REQUIRE_OK(target_block_time_of(&t, &l, 1, 1, 4000, 4000, &b));
  CHECK_NEAR(a.total_us, b.total_us, 0);
  t.sim.present = false;
  REQUIRE_OK(target_block_time_of(&t, &l, 1, 1, 4000, 4000, &b));
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 1, 4000, 4000, &a));
  CHECK_NEAR(a.total_us, b.total_us, 0);
  CHECK(target_sim_block_time(&t, &l, 1, 1, 4000, 4000, &a) == DLF_ERR_INVALID_ARG);
}

/* A fully connected layer (one row) can only split its output channels. 8000 MACs over 4 -> 8
 * channels (eff 1), 8000 float32 bytes in (4000 fp16) and out. k = 1: load 1 + 4000 / 1000 = 5,
 * compute 8, store 5: 18 + 10 launch = 28 us. k = 2: each core its 4 channels (4 us), but
 * reads the whole input over a channel now shared by 2 cores (500 B/us): load 1 + 8 = 9,
 * store 1 + 2000 / 500 = 5: 9 + 4 + 5 + sync(2) 3 + 10 = 31 us; the DRAM traffic is
 * 2 * (4000 + 2000) bytes (the input read twice: private memories, no broadcast). */
TEST(test_sim_channel_split_reads_the_input_on_every_core) {
  target t;
  toy(&t);
  target_layer fc = {.macs = 8000,
                     .in_channels = 4,
                     .out_channels = 8,
                     .act_in_bytes = 8000,
                     .act_out_bytes = 8000,
                     .op_class = TARGET_OP_GEMM,
                     .in_rows = 1,
                     .out_rows = 1};
  target_sim_detail d1 = detail(&t, &fc, 1, 1, 8000, 8000, TARGET_SIM_CHANNELS);
  CHECK_NEAR(28.0, d1.bt.total_us, 1e-9);
  target_sim_detail d2 = detail(&t, &fc, 1, 2, 8000, 8000, TARGET_SIM_CHANNELS);
  CHECK_NEAR(31.0, d2.bt.total_us, 1e-9);
  CHECK_NEAR(4.0, d2.mac_us, 1e-12);
  CHECK_INT(12000, d2.bt.dram_bytes);
}

/* The tuner prices plans on the simulator, not on the first-order model: squeezenet1_0's
 * "no optimization" plan (each layer alone on one core) costs, in dlf_tune's result, the sum
 * of the simulator's times of its layers, each reading and writing its own tensors. */
TEST(test_sim_is_what_the_tuner_prices_on_mlu100) {
  dlf_model *m;
  dlf_target *dt;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &dt));
  const target *t = dlf_target_get(dt);
  REQUIRE(t->sim.present);
  dlf_tune_options o = {DLF_TUNE_NONE, NULL, 0, 0, 0};
  dlf_plan *p = NULL;
  dlf_tune_result r;
  REQUIRE_OK(dlf_tune(m, dt, &o, &p, &r));
  double sim = 0, first_order = 0;
  for (int i = 0; i < dlf_model_num_layers(m); i++) {
    dlf_layer_info li;
    REQUIRE_OK(dlf_model_layer(m, i, &li));
    target_layer l;
    target_layer_from_info(t, &li, &l);
    target_block_time bt;
    REQUIRE_OK(target_sim_block_time(t, &l, 1, 1, li.act_in_bytes, li.act_out_bytes, &bt));
    sim += bt.total_us;
    REQUIRE_OK(target_accel_block_time(t, &l, 1, 1, li.act_in_bytes, li.act_out_bytes, &bt));
    first_order += bt.total_us;
  }
  CHECK_NEAR(sim, r.simulated_us, 1e-9 * sim);
  CHECK(fabs(first_order - r.simulated_us) > 0.01 * sim);
  dlf_plan_free(p);
  dlf_target_free(dt);
  dlf_model_free(m);
}

/* A skip input is live from the block's start. Two 1x1 convs over 4 rows, 1 us of MACs per
 * row each, fp16 bytes per row: layer 0 reads 3000 and writes 1000; layer 1 reads that 1000
 * plus a 1000-byte residual from outside (held while layer 0 runs), writes 1000 and adds
 * (500 elements: 0.5 us). For tiles of t rows the live set peaks at layer 0: 3000 t in + 1000 t
 * out + 1000 t held = 5000 t, plus the double buffers of the block's input (4000 t) and output
 * (1000 t) when T > 1. Per tile: load 2 setups + 4000 t / 1000, store 1 + t, compute 2.5 t:
 *   t = 1 (T = 4): 6 + 2.5 + 3 * max(2.5, 8) + 2 = 34.5;  t = 2 (T = 2): 10 + 5 + 13 + 3 = 31;
 *   t = 4 (T = 1): 18 + 10 + 5 = 33;  t = 3 (T = 2): 14 + 7.5 + 18 + 4 = 43.5.
 * With 1 MB t = 2 wins (41 us with the launch). With 19999 bytes t = 2 needs 10000 + 10000:
 * only t = 1 fits (44.5 us); without the held residual t = 2 would fit (8000 + 10000). */
TEST(test_sim_skip_inputs_are_held_in_the_live_set) {
  target t;
  toy(&t);
  target_layer ls[2] = {conv(4, 4, 4, 1, 1, 6000, 2000, 4000),
                        conv(4, 4, 4, 1, 1, 4000, 2000, 4000)};
  ls[1].residual = true;
  int64_t ext_in = 4 * 6000 + 4 * 2000, ext_out = 4 * 2000;
  target_sim_detail d = detail(&t, ls, 2, 1, ext_in, ext_out, TARGET_SIM_ROWS_RECOMPUTE);
  CHECK_INT(2, d.tile_rows);
  CHECK_NEAR(41.0, d.bt.total_us, 1e-9);
  t.accel.onchip_bytes_per_core = 19999;
  d = detail(&t, ls, 2, 1, ext_in, ext_out, TARGET_SIM_ROWS_RECOMPUTE);
  CHECK_INT(1, d.tile_rows);
  CHECK_NEAR(44.5, d.bt.total_us, 1e-9);
}
