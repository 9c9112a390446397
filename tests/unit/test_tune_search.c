/* test_tune_search.c — the tuner's searches (src/tune/search.c) on a small synthetic model
 * with random additive block costs: dynamic programming finds exactly the brute-force
 * optimum over every plan, greedy never beats it, every plan they make passes plan_check,
 * whole-tensor layers never share a block, and hand-made costs give the expected plans; with
 * no block-length cap the DP equals an independent enumeration of every plan on random layer
 * tables, and the incremental block I/O equals tune_block_io. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "core/rng.h"
#include "graph_builder.h"
#include "plan/plan.h"
#include "test.h"
#include "tune/tune.h"

/* conv, conv, maxpool, conv, conv, conv, GAP, conv(1x1 on 1x1), conv: 9 layers, one of them
 * (GlobalAveragePool) needs its whole input. */
static ir_graph *nine_layers(void) {
  eg b = eg_begin();
  int64_t xd[4] = {1, 4, 12, 12}, pads[4] = {1, 1, 1, 1};
  int x = eg_input(&b, 4, xd), y[10];
  eg_conv(&b, x, 4, 8, 3, 1, pads, 1, &y[0]);
  eg_conv(&b, y[0], 8, 8, 3, 1, pads, 1, &y[1]);
  int mp = eg_node(&b, IR_OP_MAXPOOL, 1, &y[1], &y[2]);
  int64_t k[2] = {2, 2}, s[2] = {2, 2};
  ir_node_set_ints(&b.g->nodes[mp], "kernel_shape", k, 2);
  ir_node_set_ints(&b.g->nodes[mp], "strides", s, 2);
  eg_conv(&b, y[2], 8, 8, 3, 1, pads, 1, &y[3]);
  eg_conv(&b, y[3], 8, 8, 3, 1, pads, 1, &y[4]);
  eg_conv(&b, y[4], 8, 8, 1, 1, NULL, 1, &y[5]);
  eg_node(&b, IR_OP_GLOBALAVERAGEPOOL, 1, &y[5], &y[6]);
  eg_conv(&b, y[6], 8, 8, 1, 1, NULL, 1, &y[7]);
  eg_conv(&b, y[7], 8, 4, 1, 1, NULL, 1, &y[8]);
  eg_output(&b, y[8]);
  if (ir_graph_infer_shapes(b.g) != DLF_OK) {
    ir_graph_free(b.g);
    return NULL;
  }
  return b.g;
}

/* A random but fixed cost per (first, last, k): hash of the run and a seed. */
typedef struct rand_cost {
  uint64_t seed;
  int64_t calls;
} rand_cost;

static double random_cost(void *ctx, const tune_problem *pr, int first, int last, int k) {
  (void)pr;
  rand_cost *rc = ctx;
  rc->calls++;
  uint64_t h = rc->seed ^ ((uint64_t)first * 0x9e3779b97f4a7c15ULL) ^
               ((uint64_t)last * 0xc2b2ae3d27d4eb4fULL) ^ ((uint64_t)k * 0x165667b19e3779f9ULL);
  dlf_rng r = dlf_rng_make(h);
  h = dlf_rng_next(&r);
  /* Integers, so sums are exact and ties really tie. */
  return (double)(1 + h % 50) * (last - first + 1);
}

TEST(test_tune_dp_equals_brute_force_on_random_costs) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  for (int cores = 1; cores <= 3; cores++) {
    tune_problem pr;
    REQUIRE_OK(tune_problem_init(g, "nine", cores, NULL, 0, 0, &pr));
    CHECK_INT(9, pr.n_layers);
    CHECK(!pr.row_local[6]); /* the GlobalAveragePool */
    for (uint64_t seed = 1; seed <= 20; seed++) {
      rand_cost rc = {seed * 7919, 0};
      plan *dp, *bf, *gr;
      tune_stats sd, sb, sg;
      REQUIRE_OK(tune_dp(&pr, random_cost, &rc, &dp, &sd));
      REQUIRE_OK(tune_brute_force(&pr, random_cost, &rc, 10000000, &bf, &sb));
      REQUIRE_OK(tune_greedy(&pr, random_cost, &rc, &gr, &sg));
      CHECK(sb.plans >= 64);
      CHECK(sd.evaluations < sb.evaluations);
      CHECK_NEAR(sb.cost_us, sd.cost_us, 0);
      CHECK(sg.cost_us >= sd.cost_us);
      double c;
      REQUIRE_OK(tune_plan_cost(&pr, dp, random_cost, &rc, &c));
      CHECK_NEAR(sd.cost_us, c, 0);
      REQUIRE_OK(tune_plan_cost(&pr, gr, random_cost, &rc, &c));
      CHECK_NEAR(sg.cost_us, c, 0);
      CHECK_OK(plan_check(g, dp, "dp"));
      CHECK_OK(plan_check(g, bf, "bf"));
      CHECK_OK(plan_check(g, gr, "greedy"));
      /* Same cost and same tie-breaks: the same plan. */
      CHECK_INT(bf->n_blocks, dp->n_blocks);
      for (int b = 0; b < dp->n_blocks && b < bf->n_blocks; b++) {
        CHECK_INT(bf->blocks[b].layers[0], dp->blocks[b].layers[0]);
        CHECK_INT(bf->blocks[b].cores, dp->blocks[b].cores);
      }
      plan_free(dp);
      plan_free(bf);
      plan_free(gr);
    }
    tune_problem_free(&pr);
  }
  ir_graph_free(g);
}

/* Plans counted by hand: layers 0-5 may fuse in any runs (2^5 partitions), layer 6 alone,
 * layers 7-8 (2 partitions); with K core numbers each block picks one of K. With K = 1:
 * 32 x 1 x 2 = 64 plans. */
TEST(test_tune_brute_force_counts_every_plan_and_refuses_past_its_limit) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, "nine", 1, NULL, 0, 0, &pr));
  rand_cost rc = {3, 0};
  plan *p;
  tune_stats st;
  REQUIRE_OK(tune_brute_force(&pr, random_cost, &rc, 64, &p, &st));
  CHECK_INT(64, st.plans);
  plan_free(p);
  CHECK_INT(DLF_ERR_LIMIT, tune_brute_force(&pr, random_cost, &rc, 63, &p, &st));
  CHECK(p == NULL);
  tune_problem_free(&pr);
  ir_graph_free(g);
}

/* A block costs 1 + 1 per layer on one core, 1.5 + 0.6 per layer on two: the optimum is
 * every fusable run whole, on two cores, except the lone GlobalAveragePool (2 on one core
 * beats 2.1 on two). */
static double linear_cost(void *ctx, const tune_problem *pr, int first, int last, int k) {
  (void)ctx, (void)pr;
  const int n = last - first + 1;
  return k == 1 ? 1.0 + n : 1.5 + 0.6 * n;
}

TEST(test_tune_dp_fuses_whole_runs_when_blocks_cost_overhead) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, "nine", 2, NULL, 0, 0, &pr));
  plan *p;
  tune_stats st;
  REQUIRE_OK(tune_dp(&pr, linear_cost, NULL, &p, &st));
  CHECK_INT(3, p->n_blocks); /* [0..5] [6] [7..8] */
  CHECK_INT(6, p->blocks[0].n_layers);
  CHECK_INT(1, p->blocks[1].n_layers);
  CHECK_INT(6, p->blocks[1].layers[0]);
  CHECK_INT(2, p->blocks[2].n_layers);
  CHECK_INT(2, p->blocks[0].cores);
  CHECK_INT(1, p->blocks[1].cores);
  CHECK_INT(2, p->blocks[2].cores);
  /* (1.5 + 3.6) + (1 + 1) + (1.5 + 1.2) */
  CHECK_NEAR(9.8, st.cost_us, 1e-9);
  plan_free(p);
  /* With at most 2 layers per block: [0,1] [2,3] [4,5] [6] [7,8]. */
  tune_problem_free(&pr);
  REQUIRE_OK(tune_problem_init(g, "nine", 2, NULL, 0, 2, &pr));
  REQUIRE_OK(tune_dp(&pr, linear_cost, NULL, &p, &st));
  CHECK_INT(5, p->n_blocks);
  CHECK_NEAR(4 * (1.5 + 1.2) + 2, st.cost_us, 1e-9);
  plan_free(p);
  tune_problem_free(&pr);
  ir_graph_free(g);
}

/* A cost that refuses two cores for every run and any run of three or more layers. */
static double picky_cost(void *ctx, const tune_problem *pr, int first, int last, int k) {
  (void)ctx, (void)pr;
  if (k == 2 || last - first >= 2) return -1;
  return 1.0;
}

static double refuse_layer4(void *ctx, const tune_problem *pr, int first, int last, int k) {
  (void)ctx, (void)pr, (void)k;
  return first <= 4 && 4 <= last ? -1 : 1;
}

TEST(test_tune_dp_skips_refused_runs_and_reports_unrunnable_layers) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, "nine", 2, NULL, 0, 0, &pr));
  plan *p;
  tune_stats st;
  REQUIRE_OK(tune_dp(&pr, picky_cost, NULL, &p, &st));
  for (int b = 0; b < p->n_blocks; b++) {
    CHECK_INT(1, p->blocks[b].cores);
    CHECK(p->blocks[b].n_layers <= 2);
  }
  CHECK_NEAR(5, st.cost_us, 0); /* [0,1] [2,3] [4,5] [6] [7,8] */
  plan_free(p);
  CHECK_INT(DLF_ERR_INVALID_ARG, tune_dp(&pr, refuse_layer4, NULL, &p, &st));
  CHECK(strstr(dlf_last_error(), "#4") != NULL);
  CHECK_INT(DLF_ERR_INVALID_ARG, tune_greedy(&pr, refuse_layer4, NULL, &p, &st));
  tune_problem_free(&pr);
  ir_graph_free(g);
}

TEST(test_tune_problem_rejects_bad_core_numbers) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  tune_problem pr;
  int bad[2] = {2, 1}, big[1] = {3}, ok[2] = {1, 2};
  CHECK_INT(DLF_ERR_INVALID_ARG, tune_problem_init(g, "m", 2, bad, 2, 0, &pr));
  CHECK_INT(DLF_ERR_INVALID_ARG, tune_problem_init(g, "m", 2, big, 1, 0, &pr));
  CHECK_INT(DLF_ERR_INVALID_ARG, tune_problem_init(g, "m", 0, NULL, 0, 0, &pr));
  REQUIRE_OK(tune_problem_init(g, "m", 4, ok, 2, 0, &pr));
  CHECK_INT(2, pr.n_core_numbers);
  CHECK_INT(4, pr.target_cores);
  tune_problem_free(&pr);
  ir_graph_free(g);
}

/* Bytes by hand: input 1x4x12x12 = 2304 B; conv outputs 1x8x12x12 = 4608 B; after the 2x2
 * pool 1x8x6x6 = 1152 B; after the GAP 1x8x1x1 = 32 B; the model output 1x4x1x1 = 16 B. */
TEST(test_tune_block_io_counts_what_crosses_the_run) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, "nine", 1, NULL, 0, 0, &pr));
  int64_t in, out;
  tune_block_io(&pr, 0, 0, &in, &out);
  CHECK_INT(2304, in);
  CHECK_INT(4608, out);
  tune_block_io(&pr, 0, 1, &in, &out);
  CHECK_INT(2304, in);
  CHECK_INT(4608, out); /* y0 stays inside; y1 goes to the pool */
  tune_block_io(&pr, 2, 2, &in, &out);
  CHECK_INT(4608, in);
  CHECK_INT(1152, out);
  tune_block_io(&pr, 2, 5, &in, &out);
  CHECK_INT(4608, in);
  CHECK_INT(1152, out); /* the 1x1 conv's output, read by the GAP */
  tune_block_io(&pr, 6, 8, &in, &out);
  CHECK_INT(1152, in);
  CHECK_INT(16, out);
  tune_block_io(&pr, 0, 8, &in, &out);
  CHECK_INT(2304, in);
  CHECK_INT(16, out);
  tune_problem_free(&pr);
  ir_graph_free(g);
}

/* A small accelerator (8 cores, core numbers 1, 2, 4, 8) with tight on-chip memory: the DP
 * over the simulator (the oracle on accelerators) equals brute force over every plan. */
TEST(test_tune_accel_oracle_dp_equals_brute_force) {
  static const char *json =
      "{\"dlfusion_target\": 1, \"name\": \"tiny\", \"kind\": \"accelerator\", \"cores\": 8,"
      " \"core_numbers\": [1, 2, 4, 8], \"accel\": {\"clock_ghz\": 1, \"peak_gflops_per_core\": 4,"
      " \"lanes\": 16, \"onchip_bytes_per_core\": 4096, \"dram_channels\": 2,"
      " \"dram_gbps_per_channel\": 2, \"cores_per_channel\": 4, \"launch_us\": 3,"
      " \"sync_base_us\": 1, \"sync_per_log2_us\": 0.5}}";
  target t;
  REQUIRE_OK(target_parse(json, strlen(json), "tiny.json", &t));
  ir_graph *g = nine_layers();
  REQUIRE(g);
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, "nine", t.cores, t.core_numbers, t.n_core_numbers, 0, &pr));
  tune_accel_cost ac;
  REQUIRE_OK(tune_accel_cost_init(&pr, &t, &ac));
  plan *dp, *bf, *none;
  tune_stats sd, sb;
  REQUIRE_OK(tune_dp(&pr, tune_cost_accel, &ac, &dp, &sd));
  REQUIRE_OK(tune_brute_force(&pr, tune_cost_accel, &ac, 100000000, &bf, &sb));
  CHECK_NEAR(sb.cost_us, sd.cost_us, 1e-9 * sb.cost_us);
  CHECK_OK(plan_check(g, dp, "dp"));
  /* The oracle beats "no optimization" (every layer alone on one core) by fusing. */
  REQUIRE_OK(plan_unfused(g, "nine", 1, &none));
  none->target_cores = t.cores;
  double c_none;
  REQUIRE_OK(tune_plan_cost(&pr, none, tune_cost_accel, &ac, &c_none));
  CHECK(sd.cost_us < c_none);
  CHECK(dp->n_blocks < none->n_blocks);
  plan_free(dp);
  plan_free(bf);
  plan_free(none);
  tune_accel_cost_free(&ac);
  tune_problem_free(&pr);
  ir_graph_free(g);
}

/* ---- the exact oracle: the uncapped DP against an enumeration of its own ---- */

/* A chain of n layers on a 1x8x8x8 input: 3x3 convs (row-local), a GlobalAveragePool at layer
 * `gap` (none when gap < 0) that must stand alone, 1x1 convs on the 1x1 map after it. */
static ir_graph *chain(int n, int gap) {
  eg b = eg_begin();
  int64_t xd[4] = {1, 8, 8, 8}, pads[4] = {1, 1, 1, 1};
  int y = eg_input(&b, 4, xd);
  for (int l = 0; l < n; l++) {
    int next;
    if (l == gap)
      eg_node(&b, IR_OP_GLOBALAVERAGEPOOL, 1, &y, &next);
    else if (gap >= 0 && l > gap)
      eg_conv(&b, y, 8, 8, 1, 1, NULL, 1, &next);
    else
      eg_conv(&b, y, 8, 8, 3, 1, pads, 1, &next);
    y = next;
  }
  eg_output(&b, y);
  if (ir_graph_infer_shapes(b.g) != DLF_OK) {
    ir_graph_free(b.g);
    return NULL;
  }
  return b.g;
}

#define TABLE_MAX_LAYERS 16

/* A random layer table priced by the accelerator model (a random target): the block cost
 * the oracle searches with, on layers that are not the graph's (the DP only sees the cost). */
typedef struct table_cost {
  target t;
  target_layer layer[TABLE_MAX_LAYERS];
} table_cost;

static double table_block_us(void *ctx, const tune_problem *pr, int first, int last, int k) {
  (void)pr;
  const table_cost *c = ctx;
  target_block_time bt;
  if (target_accel_block_time(&c->t, c->layer + first, last - first + 1, k,
                              c->layer[first].act_in_bytes, c->layer[last].act_out_bytes,
                              &bt) != DLF_OK)
    return -1;
  return bt.total_us;
}

static double log_uniform(dlf_rng *r, double lo, double hi) {
  return exp(log(lo) + dlf_rng_uniform(r) * (log(hi) - log(lo)));
}

static dlf_status random_table(uint64_t seed, int n, table_cost *c) {
  dlf_rng r = dlf_rng_make(seed);
  char json[1024];
  snprintf(json, sizeof json,
           "{\"dlfusion_target\": 1, \"name\": \"rand\", \"kind\": \"accelerator\", \"cores\": 8,"
           " \"core_numbers\": [1, 8], \"accel\": {\"clock_ghz\": 1,"
           " \"peak_gflops_per_core\": %.3f, \"lanes\": %d, \"onchip_bytes_per_core\": %d,"
           " \"dram_channels\": %d, \"dram_gbps_per_channel\": %.3f, \"cores_per_channel\": %d,"
           " \"launch_us\": %.3f, \"sync_base_us\": %.3f, \"sync_per_log2_us\": %.3f}}",
           log_uniform(&r, 50, 2000), 8 << (dlf_rng_next(&r) % 4),
           (int)log_uniform(&r, 16384, 1 << 20), 1 + (int)(dlf_rng_next(&r) % 4),
           log_uniform(&r, 2, 30), 1 + (int)(dlf_rng_next(&r) % 8), log_uniform(&r, 0.5, 40),
           log_uniform(&r, 0.1, 5), log_uniform(&r, 0.05, 3));
  DLF_TRY(target_parse(json, strlen(json), "rand.json", &c->t));
  int64_t act = (int64_t)log_uniform(&r, 1e3, 1e6);
  for (int l = 0; l < n; l++) {
    target_layer *y = &c->layer[l];
    memset(y, 0, sizeof *y);
    y->macs = (int64_t)log_uniform(&r, 1e4, 1e8);
    y->in_channels = 1 + (int64_t)(dlf_rng_next(&r) % 256);
    y->out_channels = 1 + (int64_t)(dlf_rng_next(&r) % 256);
    y->weight_bytes = (int64_t)log_uniform(&r, 1e2, 1e6);
    y->act_in_bytes = act;
    y->act_out_bytes = act = (int64_t)log_uniform(&r, 1e3, 1e6);
    y->work_units = 1 + (int64_t)(dlf_rng_next(&r) % 300);
  }
  return DLF_OK;
}

/* Every partition into blocks (a block of two or more layers only over row-local layers: the
 * rule of plans, written here without tune_can_fuse) times every core number per block, from
 * a table of block costs; the least total and the longest block of a least plan. */
typedef struct enumeration {
  const tune_problem *pr;
  const double *cost; /* [(first * n + last) * K + c], < 0 = cannot */
  double best;
  int best_longest, longest;
  int64_t plans;
} enumeration;

static void enumerate(enumeration *e, int pos, double acc) {
  const int n = e->pr->n_layers, K = e->pr->n_core_numbers;
  if (pos == n) {
    e->plans++;
    if (e->plans == 1 || acc < e->best) e->best = acc, e->best_longest = e->longest;
    return;
  }
  for (int last = pos; last < n; last++) {
    if (last > pos && (!e->pr->row_local[pos] || !e->pr->row_local[last])) break;
    const int saved = e->longest;
    if (last - pos + 1 > e->longest) e->longest = last - pos + 1;
    for (int c = 0; c < K; c++) {
      double t = e->cost[((size_t)pos * n + last) * K + c];
      if (t >= 0) enumerate(e, last + 1, acc + t);
    }
    e->longest = saved;
  }
}

/* The oracle's claim, exact over the whole space: with no block-length cap the DP's least
 * cost is the least over all K x (K + 1)^(L - 1) plans (14 layers, 2 core numbers: 3.2 M
 * plans for a chain with nothing standing alone). Seeds where the optimum has a block longer
 * than TUNE_DEFAULT_MAX_BLOCK_LAYERS must occur, or the test could not see a cap come back:
 * with a cap in tune_dp or tune_can_fuse for uncapped problems it fails on those seeds. */
TEST(test_tune_dp_uncapped_equals_enumeration_on_random_layer_tables) {
  const int n = 14;
  int long_optima = 0;
  for (uint64_t seed = 1; seed <= 8; seed++) {
    const int gap = seed % 2 ? -1 : 2 + (int)(seed % 9);
    ir_graph *g = chain(n, gap);
    REQUIRE(g);
    table_cost tc;
    REQUIRE_OK(random_table(seed * 104729, n, &tc));
    tune_problem pr;
    REQUIRE_OK(tune_problem_init(g, "chain", tc.t.cores, tc.t.core_numbers, tc.t.n_core_numbers,
                                 TUNE_UNCAPPED, &pr));
    REQUIRE(pr.n_layers == n);
    CHECK(pr.max_block_layers >= n);
    const int K = pr.n_core_numbers;
    double *cost = malloc(sizeof *cost * (size_t)n * n * K);
    REQUIRE(cost);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        for (int c = 0; c < K; c++)
          cost[((size_t)i * n + j) * K + c] =
              j < i ? -1 : table_block_us(&tc, &pr, i, j, pr.core_numbers[c]);
    enumeration e = {&pr, cost, 0, 0, 0, 0};
    enumerate(&e, 0, 0);
    plan *p;
    tune_stats st;
    REQUIRE_OK(tune_dp(&pr, table_block_us, &tc, &p, &st));
    CHECK_NEAR(e.best, st.cost_us, 1e-9 * e.best);
    double again;
    REQUIRE_OK(tune_plan_cost(&pr, p, table_block_us, &tc, &again));
    CHECK_NEAR(st.cost_us, again, 1e-9 * again);
    CHECK_OK(plan_check(g, p, "dp"));
    /* O(L^2 K) evaluations: every run [i, j] of fusable layers on every core number, once */
    int64_t runs = 0;
    for (int i = 0; i < n; i++)
      for (int j = i; j < n && (j == i || (pr.row_local[i] && pr.row_local[j])); j++)
        runs++;
    CHECK_INT(runs * K, st.evaluations);
    if (gap < 0) CHECK(e.plans == (int64_t)K * (int64_t)pow(K + 1, n - 1));
    if (e.best_longest > TUNE_DEFAULT_MAX_BLOCK_LAYERS) long_optima++;
    plan_free(p);
    free(cost);
    tune_problem_free(&pr);
    ir_graph_free(g);
  }
  CHECK(long_optima >= 1);
}

/* tune_io_iter gives tune_block_io's bytes for every run, asked in the DP's order (runs ending
 * at j, start moving back) and in a random order, on graphs with a concat (fire modules), a
 * residual add (ResNet) and a whole-tensor layer (the nine-layer graph). */
static void io_iter_matches(const ir_graph *g, const char *name) {
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, name, 1, NULL, 0, TUNE_UNCAPPED, &pr));
  tune_io_iter it;
  REQUIRE_OK(tune_io_iter_init(&pr, &it));
  const int n = pr.n_layers;
  int bad = 0;
  for (int j = 0; j < n; j++)
    for (int i = j; i >= 0; i--)
      for (int rep = 0; rep < 2; rep++) { /* the same run twice: every core number asks */
        int64_t a, b, c, d;
        tune_block_io(&pr, i, j, &a, &b);
        tune_io_iter_get(&it, i, j, &c, &d);
        if (a != c || b != d) {
          if (!bad++)
            test_fail(__FILE__, __LINE__,
                      "%s [%d, %d]: block_io in %lld out %lld, iterator %lld %lld", name, i, j, (long long)a, (long long)b, (long long)c, (long long)d);
        }
      }
  dlf_rng r = dlf_rng_make(99);
  for (int q = 0; q < 2000; q++) {
    int i = (int)(dlf_rng_next(&r) % (uint64_t)n), j = (int)(dlf_rng_next(&r) % (uint64_t)n);
    if (i > j) {
      int s = i;
      i = j, j = s;
    }
    int64_t a, b, c, d;
    tune_block_io(&pr, i, j, &a, &b);
    tune_io_iter_get(&it, i, j, &c, &d);
    if ((a != c || b != d) && !bad++)
      test_fail(__FILE__, __LINE__,
                "%s [%d, %d] (random order): block_io %lld %lld, iterator %lld %lld", name, i, j, (long long)a, (long long)b, (long long)c, (long long)d);
  }
  CHECK_INT(0, bad);
  tune_io_iter_free(&it);
  tune_problem_free(&pr);
}

TEST(test_tune_io_iter_matches_block_io) {
  ir_graph *g = nine_layers();
  REQUIRE(g);
  io_iter_matches(g, "nine");
  ir_graph_free(g);
  const char *zoo[] = {"zoo:squeezenet1_0", "zoo:resnet18", "zoo:mobilenet_v2"};
  for (int z = 0; z < 3; z++) {
    dlf_model *m;
    REQUIRE_OK(dlf_model_load(zoo[z], NULL, &m));
    io_iter_matches(m->graph, zoo[z]);
    dlf_model_free(m);
  }
}
