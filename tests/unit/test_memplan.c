/* test_memplan.c — activation memory planning: hand-computed placements
 * (chain, diamond, long-lived residual), lifetimes derived from graphs, a
 * randomized check of the plan's invariants, and the zoo models' peaks. */
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "frontend/frontend.h"
#include "ir/passes/passes.h"
#include "runtime/memplan.h"
#include "test.h"

#define A RT_MEMPLAN_ALIGNMENT

/* ------------------------------------------------------------- helpers -- */

static int64_t aligned(int64_t bytes, int64_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

/* Every invariant a plan must keep; the expected values are recomputed here
 * by brute force. Returns the number of violations (also reported). */
static int check_plan(const rt_memplan_item *it, int n, int64_t alignment, const int64_t *off,
                      int64_t arena) {
  int bad = test_current_failed;
  int64_t sum = 0, end_max = 0;
  int max_step = 0;
  for (int i = 0; i < n; i++) {
    int64_t size = aligned(it[i].bytes, alignment);
    sum += size;
    if (off[i] % alignment != 0)
      test_fail(__FILE__, __LINE__, "item %d: offset %lld is not aligned", i, (long long)off[i]);
    if (off[i] < 0 || off[i] + size > arena)
      test_fail(__FILE__, __LINE__, "item %d: [%lld, %lld) outside the arena of %lld", i,
                (long long)off[i], (long long)(off[i] + size), (long long)arena);
    if (off[i] + size > end_max) end_max = off[i] + size;
    if (it[i].last > max_step) max_step = it[i].last;
    for (int j = 0; j < i; j++) {
      int64_t sj = aligned(it[j].bytes, alignment);
      bool live = it[i].first <= it[j].last && it[j].first <= it[i].last;
      bool mem = off[i] < off[j] + sj && off[j] < off[i] + size && size > 0 && sj > 0;
      if (live && mem)
        test_fail(__FILE__, __LINE__,
                  "items %d [%d,%d] @%lld+%lld and %d [%d,%d] @%lld+%lld overlap", i, it[i].first,
                  it[i].last, (long long)off[i], (long long)size, j, it[j].first, it[j].last,
                  (long long)off[j], (long long)sj);
    }
  }
  if (arena != end_max)
    test_fail(__FILE__, __LINE__, "arena %lld, but the last byte used is %lld", (long long)arena,
              (long long)end_max);
  if (arena > sum)
    test_fail(__FILE__, __LINE__, "arena %lld exceeds the sum of sizes %lld", (long long)arena,
              (long long)sum);
  for (int s = 0; s <= max_step; s++) { /* the lower bound: bytes live at one step */
    int64_t live = 0;
    for (int i = 0; i < n; i++)
      if (it[i].first <= s && s <= it[i].last) live += aligned(it[i].bytes, alignment);
    if (arena < live)
      test_fail(__FILE__, __LINE__, "arena %lld below the %lld bytes live at step %d",
                (long long)arena, (long long)live, s);
  }
  return test_current_failed - bad;
}

static dlf_status add_input(ir_graph *g, const char *name, int64_t elems, int *out) {
  int64_t d[2] = {1, elems};
  DLF_TRY(ir_graph_add_tensor(g, name, IR_F32, 2, d, out));
  int *gi = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof *gi);
  if (!gi) return DLF_ERR_NOMEM;
  g->inputs = gi;
  g->inputs[g->n_inputs++] = *out;
  return DLF_OK;
}

static dlf_status add_output(ir_graph *g, int t) {
  int *go = realloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof *go);
  if (!go) return DLF_ERR_NOMEM;
  g->outputs = go;
  g->outputs[g->n_outputs++] = t;
  return DLF_OK;
}

/* out = op(a[, b]) with a new activation tensor named name. */
static dlf_status add_op(ir_graph *g, const char *name, ir_op op, int a, int b, int *out) {
  int in[2] = {a, b};
  DLF_TRY(ir_graph_add_tensor(g, name, IR_F32, 0, NULL, out));
  return ir_graph_add_node(g, name, op, b >= 0 ? 2 : 1, in, 1, out, NULL);
}

/* The item of graph tensor t in p, or -1. */
static int item_of(const rt_memplan *p, int t) {
  for (int k = 0; k < p->n_items; k++)
    if (p->tensor[k] == t) return k;
  return -1;
}

/* ---------------------------------------------------- rt_memplan_compute -- */

/* a -> b -> c: a and c never live together, so c reuses a's bytes; the arena
 * is the larger adjacent pair, rounded: max(128 + 256, 256 + 64) = 384. */
TEST(test_memplan_chain_reuses_memory) {
  rt_memplan_item it[3] = {{100, 0, 1}, {200, 1, 2}, {50, 2, 3}};
  int64_t off[3], arena;
  REQUIRE_OK(rt_memplan_compute(it, 3, A, off, &arena));
  CHECK_INT(384, arena);
  CHECK_INT(0, off[1]);   /* the largest goes first, at 0 */
  CHECK_INT(256, off[0]); /* after b */
  CHECK_INT(256, off[2]); /* a's place: a died at step 1 */
  CHECK_INT(0, check_plan(it, 3, A, off, arena));
}

/* x feeds b and c, d = b + c: at steps 2 and 3 three 64-byte tensors live,
 * and d takes x's place (x died at step 2). */
TEST(test_memplan_diamond) {
  rt_memplan_item it[4] = {{64, 0, 2}, {64, 1, 3}, {64, 2, 3}, {64, 3, 3}};
  int64_t off[4], arena;
  REQUIRE_OK(rt_memplan_compute(it, 4, A, off, &arena));
  CHECK_INT(192, arena);
  CHECK_INT(0, off[0]);
  CHECK_INT(64, off[1]);
  CHECK_INT(128, off[2]);
  CHECK_INT(0, off[3]);
  CHECK_INT(0, check_plan(it, 4, A, off, arena));
}

/* A residual x lives from step 0 to its add at step 4 while a, b, c (128 B
 * each) pass by: a and c share [0,128), b sits at [128,256), x stays at
 * 256 for its whole life, and y fills b's old place. */
TEST(test_memplan_long_lived_residual_keeps_its_place) {
  rt_memplan_item it[5] = {{64, 0, 4}, {128, 1, 2}, {128, 2, 3}, {128, 3, 4}, {64, 4, 4}};
  int64_t off[5], arena;
  REQUIRE_OK(rt_memplan_compute(it, 5, A, off, &arena));
  CHECK_INT(320, arena); /* = x + a + b, all live at step 2 */
  CHECK_INT(256, off[0]);
  CHECK_INT(0, off[1]);
  CHECK_INT(128, off[2]);
  CHECK_INT(0, off[3]);
  CHECK_INT(128, off[4]);
  CHECK_INT(0, check_plan(it, 5, A, off, arena));
}

/* A small tensor fits into a gap between two larger ones rather than above. */
TEST(test_memplan_fills_the_lowest_gap) {
  /* big0 [0,0] and big1 [0,2] are placed first: 0..256, 256..512. mid [1,2]
   * reuses big0's [0,256) (big0 died); small [0,0] lives with big0 and
   * big1 only, so it goes above both at 512. */
  rt_memplan_item it[4] = {{256, 0, 0}, {256, 0, 2}, {128, 1, 2}, {64, 0, 0}};
  int64_t off[4], arena;
  REQUIRE_OK(rt_memplan_compute(it, 4, A, off, &arena));
  CHECK_INT(0, off[0]);
  CHECK_INT(256, off[1]);
  CHECK_INT(0, off[2]);
  CHECK_INT(512, off[3]);
  CHECK_INT(576, arena);
  /* now a gap: mid2 [1,1] of 64 bytes goes to 128, between mid and big1 */
  rt_memplan_item it2[5] = {{256, 0, 0}, {256, 0, 2}, {128, 1, 2}, {64, 0, 0}, {64, 1, 1}};
  int64_t off2[5];
  REQUIRE_OK(rt_memplan_compute(it2, 5, A, off2, &arena));
  CHECK_INT(128, off2[4]);
  CHECK_INT(576, arena);
  CHECK_INT(0, check_plan(it2, 5, A, off2, arena));
}

TEST(test_memplan_rounds_sizes_to_the_alignment) {
  rt_memplan_item it[2] = {{1, 0, 0}, {1, 0, 0}};
  int64_t off[2], arena;
  REQUIRE_OK(rt_memplan_compute(it, 2, A, off, &arena));
  CHECK_INT(0, off[0]);
  CHECK_INT(64, off[1]);
  CHECK_INT(128, arena);
  REQUIRE_OK(rt_memplan_compute(it, 2, 1, off, &arena)); /* alignment 1: packed */
  CHECK_INT(2, arena);
}

TEST(test_memplan_empty_and_zero_sized_items) {
  int64_t arena = -1;
  REQUIRE_OK(rt_memplan_compute(NULL, 0, A, NULL, &arena));
  CHECK_INT(0, arena);
  rt_memplan_item it[2] = {{0, 0, 5}, {64, 0, 5}};
  int64_t off[2];
  REQUIRE_OK(rt_memplan_compute(it, 2, A, off, &arena));
  CHECK_INT(64, arena); /* an empty tensor takes no bytes */
  CHECK_INT(0, off[1]);
}

TEST(test_memplan_rejects_bad_items) {
  int64_t off[1], arena;
  rt_memplan_item neg = {-1, 0, 0};
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_memplan_compute(&neg, 1, A, off, &arena));
  CHECK(strstr(dlf_last_error(), "item 0 has -1 bytes") != NULL);
  rt_memplan_item backwards = {8, 3, 2};
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_memplan_compute(&backwards, 1, A, off, &arena));
  CHECK(strstr(dlf_last_error(), "lifetime [3, 2]") != NULL);
  rt_memplan_item ok = {8, 0, 0};
  CHECK_INT(DLF_ERR_INVALID_ARG, rt_memplan_compute(&ok, 1, 0, off, &arena));
  CHECK(strstr(dlf_last_error(), "alignment 0") != NULL);
}

TEST(test_memplan_overflow_fails_cleanly) {
  int64_t off[2], arena;
  rt_memplan_item huge = {INT64_MAX - 10, 0, 0}; /* rounding up overflows */
  CHECK_INT(DLF_ERR_LIMIT, rt_memplan_compute(&huge, 1, A, off, &arena));
  CHECK(strstr(dlf_last_error(), "too large") != NULL);
  /* each fits, but two live together do not */
  rt_memplan_item two[2] = {{INT64_MAX / 2 + 64, 0, 0}, {INT64_MAX / 2 + 64, 0, 0}};
  CHECK_INT(DLF_ERR_LIMIT, rt_memplan_compute(two, 2, A, off, &arena));
  CHECK(strstr(dlf_last_error(), "arena exceeds") != NULL);
}

/* Random lifetimes and sizes (odd sizes, zeros, odd alignments): the plan
 * keeps every invariant and is never worse than no reuse. */
TEST(test_memplan_random_plans_keep_invariants) {
  dlf_rng r = dlf_rng_make(2026);
  static const size_t aligns[] = {1, 8, 64, 100};
  for (int trial = 0; trial < 300; trial++) {
    int n = 1 + (int)(dlf_rng_next(&r) % 60);
    int steps = 1 + (int)(dlf_rng_next(&r) % 30);
    size_t al = aligns[trial % 4];
    rt_memplan_item it[60];
    int64_t off[60], arena;
    for (int i = 0; i < n; i++) {
      int a = (int)(dlf_rng_next(&r) % (uint64_t)steps);
      int b = (int)(dlf_rng_next(&r) % (uint64_t)steps);
      it[i].first = a < b ? a : b;
      it[i].last = a < b ? b : a;
      it[i].bytes = dlf_rng_next(&r) % 7 == 0 ? 0 : (int64_t)(dlf_rng_next(&r) % 5000);
    }
    REQUIRE_OK(rt_memplan_compute(it, n, al, off, &arena));
    if (check_plan(it, n, (int64_t)al, off, arena)) {
      test_fail(__FILE__, __LINE__, "trial %d (n %d, alignment %zu) broke an invariant", trial, n,
                al);
      return;
    }
  }
}

/* --------------------------------------------------- lifetimes of graphs -- */

/* x -> r1 -> r2 -> r3 (output): each activation lives from its producer to
 * its consumer; the output to the last step. The input is not planned. */
TEST(test_memplan_graph_chain_lifetimes) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("chain", &g));
  int x, r1, r2, r3;
  REQUIRE_OK(add_input(g, "x", 16, &x));
  REQUIRE_OK(add_op(g, "r1", IR_OP_RELU, x, -1, &r1));
  REQUIRE_OK(add_op(g, "r2", IR_OP_RELU, r1, -1, &r2));
  REQUIRE_OK(add_op(g, "r3", IR_OP_RELU, r2, -1, &r3));
  REQUIRE_OK(add_output(g, r3));
  REQUIRE_OK(ir_graph_toposort(g));
  REQUIRE_OK(ir_graph_infer_shapes(g));
  rt_memplan p;
  REQUIRE_OK(rt_memplan_for_graph(g, A, &p));
  CHECK_INT(3, p.n_items);
  CHECK_INT(-1, item_of(&p, x));
  int k1 = item_of(&p, r1), k2 = item_of(&p, r2), k3 = item_of(&p, r3);
  REQUIRE(k1 >= 0 && k2 >= 0 && k3 >= 0);
  CHECK_INT(64, p.items[k1].bytes);
  CHECK_INT(0, p.items[k1].first);
  CHECK_INT(1, p.items[k1].last);
  CHECK_INT(1, p.items[k2].first);
  CHECK_INT(2, p.items[k2].last);
  CHECK_INT(2, p.items[k3].first);
  CHECK_INT(2, p.items[k3].last);
  CHECK_INT(128, p.arena_bytes); /* two live at a time */
  CHECK_INT(192, p.total_bytes);
  CHECK_INT(128, p.live_peak_bytes);
  CHECK(p.offsets[k1] == p.offsets[k3]); /* r3 reuses r1 */
  rt_memplan_free(&p);
  ir_graph_free(g);
}

/* A graph output that later nodes also read lives to the end, and an
 * epilogue's residual counts as a read at its node. */
TEST(test_memplan_graph_output_and_residual_lifetimes) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("res", &g));
  int x, a, b, c, d;
  REQUIRE_OK(add_input(g, "x", 16, &x));
  REQUIRE_OK(add_op(g, "a", IR_OP_RELU, x, -1, &a)); /* step 0 */
  REQUIRE_OK(add_op(g, "b", IR_OP_RELU, a, -1, &b)); /* step 1; a is also an output */
  REQUIRE_OK(add_op(g, "c", IR_OP_RELU, b, -1, &c)); /* step 2 */
  REQUIRE_OK(add_op(g, "d", IR_OP_RELU, c, -1, &d)); /* step 3, + residual b */
  REQUIRE_OK(add_output(g, a));
  REQUIRE_OK(add_output(g, d));
  REQUIRE_OK(ir_graph_toposort(g));
  REQUIRE_OK(ir_graph_infer_shapes(g));
  g->nodes[3].residual = b; /* as fuse_epilogue would set it */
  rt_memplan p;
  REQUIRE_OK(rt_memplan_for_graph(g, A, &p));
  CHECK_INT(4, p.n_items);
  int ka = item_of(&p, a), kb = item_of(&p, b);
  REQUIRE(ka >= 0 && kb >= 0);
  CHECK_INT(3, p.items[ka].last);   /* graph output: to the last step */
  CHECK_INT(3, p.items[kb].last);   /* residual read at step 3 */
  CHECK_INT(4 * 64, p.arena_bytes); /* step 3: a, b, c, d all live */
  CHECK_INT(0, check_plan(p.items, p.n_items, A, p.offsets, p.arena_bytes));
  rt_memplan_free(&p);
  ir_graph_free(g);
}

/* x feeds two branches that an Add joins: four tensors, three live at once. */
TEST(test_memplan_graph_diamond) {
  ir_graph *g;
  REQUIRE_OK(ir_graph_create("diamond", &g));
  int x, s, l, r, y;
  REQUIRE_OK(add_input(g, "x", 32, &x));
  REQUIRE_OK(add_op(g, "s", IR_OP_RELU, x, -1, &s));
  REQUIRE_OK(add_op(g, "l", IR_OP_RELU, s, -1, &l));
  REQUIRE_OK(add_op(g, "r", IR_OP_SIGMOID, s, -1, &r));
  REQUIRE_OK(add_op(g, "y", IR_OP_ADD, l, r, &y));
  REQUIRE_OK(add_output(g, y));
  REQUIRE_OK(ir_graph_toposort(g));
  REQUIRE_OK(ir_graph_infer_shapes(g));
  rt_memplan p;
  REQUIRE_OK(rt_memplan_for_graph(g, A, &p));
  CHECK_INT(4, p.n_items);
  CHECK_INT(3 * 128, p.arena_bytes); /* s, l, r at step 2; l, r, y at step 3 */
  CHECK_INT(3 * 128, p.live_peak_bytes);
  CHECK_INT(4 * 128, p.total_bytes);
  CHECK(p.offsets[item_of(&p, y)] == p.offsets[item_of(&p, s)]);
  rt_memplan_free(&p);
  ir_graph_free(g);
}

/* ------------------------------------------------------------ zoo models -- */

/* The requirement: peak activation memory <= 2x the largest single
 * layer's input + output bytes (inputs read from the graph: activations and
 * residual, not constants). Prints the numbers for the report. */
TEST(test_memplan_zoo_peak_within_twice_the_largest_layer) {
  for (const char *const *name = fe_zoo_names(); *name; name++) {
    ir_graph *g;
    REQUIRE_OK(fe_zoo_build(*name, 1, 1, 0, &g));
    dlf_status st = ir_graph_toposort(g);
    if (st == DLF_OK) st = ir_graph_validate(g);
    if (st == DLF_OK) st = ir_graph_infer_shapes(g);
    if (st == DLF_OK) st = ir_graph_toposort(g);
    if (st == DLF_OK) st = ir_passes_run(g);
    if (st == DLF_OK) st = ir_graph_toposort(g);
    rt_memplan p = {0};
    if (st == DLF_OK) st = rt_memplan_for_graph(g, A, &p);
    if (st != DLF_OK) {
      test_fail(__FILE__, __LINE__, "%s: %s", *name, dlf_last_error());
      ir_graph_free(g);
      return;
    }
    int64_t largest = 0;
    for (int i = 0; i < g->n_nodes; i++) {
      const ir_node *n = &g->nodes[i];
      int64_t io = 0;
      for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && !g->tensors[n->inputs[k]].data)
          io += ir_tensor_numel(&g->tensors[n->inputs[k]]) * 4;
      if (n->residual >= 0) io += ir_tensor_numel(&g->tensors[n->residual]) * 4;
      for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0) io += ir_tensor_numel(&g->tensors[n->outputs[k]]) * 4;
      if (io > largest) largest = io;
    }
    printf("  %-14s arena %10lld B  live peak %10lld B  sum of activations %11lld B  "
           "largest layer in+out %10lld B  arena/largest %.2f\n",
           *name, (long long)p.arena_bytes, (long long)p.live_peak_bytes, (long long)p.total_bytes,
           (long long)largest, (double)p.arena_bytes / (double)largest);
    CHECK(p.arena_bytes <= 2 * largest);
    CHECK(p.arena_bytes >= p.live_peak_bytes);
    CHECK_INT(0, check_plan(p.items, p.n_items, A, p.offsets, p.arena_bytes));
    rt_memplan_free(&p);
    ir_graph_free(g);
  }
}
