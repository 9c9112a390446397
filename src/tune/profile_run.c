/* profile_run.c — `dlfusion profile`: run (CPU) or simulate (accelerator) the grid of
 * synthesized layers and fused pairs on every allowed core number of a target. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/checked.h"
#include "core/cpu.h"
#include "core/rng.h"
#include "core/status.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "target/accel_sim.h"
#include "tune/measure.h"
#include "tune/profile.h"
#include "tune/profile_blocks.h"

/* ------------------------------------------------------------------ the grid --
 * The paper varies each layer's operation count and channel size; spatial size x channels
 * does both. Families are listed once here (data, not code): every size x every channel of a
 * family is a point, cout = cin * cout_mul / cout_div (or cout_fixed). Padding is (k - 1) / 2
 * ("same" for odd k). Sized so that the full grid (130 points) takes ~10 s of CPU time on a
 * 2-vCPU Zen 5 host for both core numbers (18 s wall on the shared machine), `quick` (15
 * points; tests, CI) ~0.1 s. */
typedef struct grid_family {
  const char *op;
  int k, stride, fused;
  int cout_mul, cout_div, cout_fixed;
  int sizes[8];    /* h = w; 0-terminated */
  int channels[8]; /* cin; 0-terminated */
} grid_family;

/* clang-format off */
static const grid_family full_grid[] = {
    /* the core of the model: square convs, cin = cout, over op count and channel size */
    {"conv", 3, 1, 1, 1, 1, 0, {56, 28, 14, 7}, {16, 32, 64, 128, 256, 512}},
    {"conv", 1, 1, 1, 1, 1, 0, {56, 28, 14, 7}, {16, 32, 64, 128, 256, 512}},
    /* channel counts that are not multiples of 32 (MobileNet's; SIMD remainders), and VGG's
     * large early feature maps */
    {"conv", 3, 1, 1, 1, 1, 0, {56, 14}, {24, 48, 96, 192}},
    {"conv", 1, 1, 1, 1, 1, 0, {56, 14}, {24, 48, 96, 192}},
    {"conv", 3, 1, 1, 1, 1, 0, {112}, {16, 32, 64}},
    /* fused pairs of identical 3x3 convs: what fusion gains (or loses) against unfused */
    {"conv", 3, 1, 2, 1, 1, 0, {56, 28, 14, 7}, {16, 32, 64, 128, 256}},
    {"conv", 3, 1, 2, 1, 1, 0, {14, 7}, {512}},
    /* cin != cout: ResNet downsampling (3x3 stride 2, doubling), bottleneck expand/project */
    {"conv", 3, 2, 1, 2, 1, 0, {56, 28, 14}, {64, 128}},
    {"conv", 1, 1, 1, 4, 1, 0, {56, 14}, {16, 64}},
    {"conv", 1, 1, 1, 1, 4, 0, {28, 7}, {256, 1024}},
    /* depthwise 3x3 (MobileNet), stride 1 and 2 */
    {"dwconv", 3, 1, 1, 1, 1, 0, {56, 28, 14, 7}, {32, 128, 512}},
    {"dwconv", 3, 2, 1, 1, 1, 0, {56, 28}, {64, 256}},
    /* max pooling: VGG's 2x2/2 and ResNet's 3x3/2 */
    {"pool", 2, 2, 1, 1, 1, 0, {56, 28, 14}, {64, 256}},
    {"pool", 3, 2, 1, 1, 1, 0, {112, 56}, {64}},
    /* stems (3 input channels: lanes idle), MobileNetV2's 6x expansions and projections,
     * its 112x112 depthwise and a fused pair at 112x112: layers the cost model otherwise
     * extrapolates to (a 3-channel stem was predicted 3.4x too fast on the MLU100) */
    {"conv", 3, 2, 1, 0, 1, 32, {224}, {3}},
    {"conv", 7, 2, 1, 0, 1, 64, {224}, {3}},
    {"conv", 1, 1, 1, 6, 1, 0, {112, 28}, {16, 32}},
    {"conv", 1, 1, 1, 1, 6, 0, {56, 14}, {96, 192}},
    {"dwconv", 3, 1, 1, 1, 1, 0, {112}, {32}},
    {"conv", 3, 1, 2, 1, 1, 0, {112}, {32}},
    /* classifier heads */
    {"gemm", 1, 1, 1, 0, 1, 1000, {1}, {512, 1280, 2048}},
};

/* Fused pairs of memory-bound layers (1x1 and depthwise: MobileNet's blocks), CPU targets
 * only (full grid). On this CPU they are what the tuner needs to fuse MobileNetV2 and
 * SqueezeNet blocks (`dlfusion tune --compare`, quiet machine, 2 cores: mobilenet_v2
 * 4.25 -> 3.30 ms, squeezenet1_0 6.09 -> 4.77 ms with them). On the simulated MLU100 they
 * made mobilenet_v2's plan worse (dlfusion/oracle 1.27 -> 1.74): summing pair savings
 * cannot follow the simulator's max(compute, traffic) over a long on-chip block
 * (docs/tuning.md). */
static const grid_family cpu_fused_grid[] = {
    {"conv", 1, 1, 2, 1, 1, 0, {56, 28, 14}, {32, 96, 192}},
    {"dwconv", 3, 1, 2, 1, 1, 0, {56, 28, 14}, {96, 192}},
};

static const grid_family quick_grid[] = {
    {"conv", 3, 1, 1, 1, 1, 0, {28, 7}, {16, 64}},
    {"conv", 1, 1, 1, 1, 1, 0, {28, 7}, {16, 64}},
    {"conv", 3, 1, 2, 1, 1, 0, {14}, {16, 32}},
    {"conv", 3, 2, 1, 2, 1, 0, {14}, {32}},
    {"conv", 1, 1, 1, 4, 1, 0, {7}, {32}},
    {"dwconv", 3, 1, 1, 1, 1, 0, {14}, {64}},
    {"pool", 2, 2, 1, 1, 1, 0, {14}, {64}},
    {"gemm", 1, 1, 1, 0, 1, 100, {1}, {256}},
};
/* clang-format on */

#define N_FULL ((int)(sizeof full_grid / sizeof full_grid[0]))
#define N_QUICK ((int)(sizeof quick_grid / sizeof quick_grid[0]))
#define N_CPU_FUSED ((int)(sizeof cpu_fused_grid / sizeof cpu_fused_grid[0]))

/* Timed runs per sample when the caller does not say: medians of 7 (3 quick) on a noisy
 * shared machine. A sample whose runs would take longer than RUN_BUDGET_MS gets fewer, but
 * at least MIN_RUNS: large layers are stable and dominate the profile's time otherwise. */
#define DEFAULT_RUNS 7
#define QUICK_RUNS 3
#define MIN_RUNS 3
#define RUN_BUDGET_MS 300.0

static int64_t out_size(int64_t n, int64_t k, int64_t stride) {
  return (n + 2 * ((k - 1) / 2) - k) / stride + 1;
}

double profile_sample_macs(const profile_sample *s) {
  double oh = (double)out_size(s->h, s->k, s->stride), ow = (double)out_size(s->w, s->k, s->stride);
  double kk = (double)s->k * (double)s->k;
  if (strcmp(s->op, "gemm") == 0) return (double)s->cin * (double)s->cout;
  if (strcmp(s->op, "conv") == 0) return oh * ow * (double)s->cout * (double)s->cin * kk;
  return oh * ow * (double)s->cout * kk; /* dwconv: one channel per filter; pool: visits */
}

/* The samples of one grid point on one core number (fused: the point's chain). */
static void point_sample(const grid_family *f, int size, int cin, int cores, profile_sample *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->op, sizeof s->op, "%s", f->op);
  s->h = s->w = size;
  s->cin = cin;
  s->cout = f->cout_fixed ? f->cout_fixed : (int64_t)cin * f->cout_mul / f->cout_div;
  s->k = f->k;
  s->stride = f->stride;
  s->fused = f->fused;
  s->cores = cores;
  s->macs = profile_sample_macs(s);
}

/* Every (family, size, channel, core number) of the grid, in that order. */
static dlf_status build_samples(const target *t, int quick, profile *out) {
  const grid_family *grids[2] = {quick ? quick_grid : full_grid, cpu_fused_grid};
  const int nfs[2] = {quick ? N_QUICK : N_FULL, !quick && t->kind == TARGET_CPU ? N_CPU_FUSED : 0};
  int n = 0;
  for (int pass = 0; pass < 2; pass++) {
    n = 0;
    for (int gi = 0; gi < 2; gi++)
      for (int f = 0; f < nfs[gi]; f++) {
        const grid_family *fam = &grids[gi][f];
        for (int si = 0; fam->sizes[si]; si++)
          for (int ci = 0; fam->channels[ci]; ci++)
            for (int k = 0; k < t->n_core_numbers; k++) {
              if (pass)
                point_sample(fam, fam->sizes[si], fam->channels[ci], t->core_numbers[k],
                             &out->samples[n]);
              n++;
            }
      }
    if (!pass && !(out->samples = dlf_calloc_array((size_t)n + 1, sizeof *out->samples)))
      return dlf_error(DLF_ERR_NOMEM, "profile: out of memory for %d samples", n);
  }
  out->n_samples = n;
  return DLF_OK;
}

/* --------------------------------------------------------- the accelerator -- */

/* The layer table's entry (dlf_model_layer) of one synthesized layer of s, float32: what the
 * tuner will hand the accelerator model for a real layer of this shape. Pooling has no
 * multiply-adds there (macs 0), whatever the sample's operation count says. */
static void sample_layer_info(const profile_sample *s, dlf_layer_info *li) {
  int64_t oh = out_size(s->h, s->k, s->stride), ow = out_size(s->w, s->k, s->stride);
  bool gemm = strcmp(s->op, "gemm") == 0, pool = strcmp(s->op, "pool") == 0;
  memset(li, 0, sizeof *li);
  li->macs = pool ? 0 : (int64_t)profile_sample_macs(s);
  li->in_channels = s->cin;
  li->out_channels = s->cout;
  if (strcmp(s->op, "conv") == 0)
    li->weight_bytes = 4 * (s->cout * s->cin * s->k * s->k + s->cout);
  else if (strcmp(s->op, "dwconv") == 0)
    li->weight_bytes = 4 * (s->cout * s->k * s->k + s->cout);
  else if (gemm)
    li->weight_bytes = 4 * (s->cout * s->cin + s->cout);
  li->act_in_bytes = 4 * s->h * s->w * s->cin;
  li->act_out_bytes = 4 * oh * ow * s->cout;
  li->ndim_out = gemm ? 2 : 4;
  int64_t d4[4] = {1, s->cout, oh, ow}, d2[2] = {1, s->cout};
  memcpy(li->out_dims, gemm ? d2 : d4, (size_t)li->ndim_out * sizeof *li->out_dims);
  /* what the detailed simulator also reads: op, window, groups, input shape, parameters */
  li->ndim_in = gemm ? 2 : 4;
  int64_t i4[4] = {1, s->cin, s->h, s->w}, i2[2] = {1, s->cin};
  memcpy(li->in_dims, gemm ? i2 : i4, (size_t)li->ndim_in * sizeof *li->in_dims);
  li->op = gemm ? "Gemm" : pool ? "MaxPool" : "Conv";
  li->epilogue = pool ? "" : "relu";
  if (!gemm) {
    li->kernel_h = li->kernel_w = s->k;
    li->stride_h = li->stride_w = s->stride;
    li->groups = strcmp(s->op, "dwconv") == 0 ? s->cin : pool ? 0 : 1;
  }
  li->params = li->weight_bytes / 4;
}

/* A chain of `fused` identical layers (the grid fuses only same-shape layers: stride 1,
 * cin = cout) as one block, and each alone (reading and writing its tensors in DRAM). */
static dlf_status simulate(const target *t, profile_sample *s) {
  target_layer chain[PROFILE_MAX_FUSED];
  dlf_layer_info li;
  if (s->fused < 1 || s->fused > PROFILE_MAX_FUSED)
    return dlf_error(DLF_ERR_INVALID_ARG, "profile: a chain of %d layers", s->fused);
  sample_layer_info(s, &li);
  target_layer_from_info(t, &li, &chain[0]);
  target_block_time bt;
  double unfused = 0;
  for (int i = 0; i < s->fused; i++) {
    chain[i] = chain[0];
    DLF_TRY(target_block_time_of(t, chain, 1, s->cores, li.act_in_bytes, li.act_out_bytes, &bt));
    unfused += bt.total_us;
  }
  if (s->fused == 1) {
    s->us = unfused;
    return DLF_OK;
  }
  DLF_TRY(
      target_block_time_of(t, chain, s->fused, s->cores, li.act_in_bytes, li.act_out_bytes, &bt));
  s->us = bt.total_us;
  s->us_unfused = unfused;
  return DLF_OK;
}

/* ----------------------------------------------------------------- the CPU -- */

/* A synthesized model: input [1, cin, h, w], `fused` layers of the sample's op (with bias and
 * ReLU for convs, which the passes fold into one layer each), output "output". Weights are
 * uniform with He's scale so activations neither vanish nor blow up through a chain. */
static dlf_status build_graph(const profile_sample *s, uint64_t seed, ir_graph **out) {
  *out = NULL;
  char name[96];
  snprintf(name, sizeof name,
           "profile:%s%" PRId64 "x%" PRId64 "_%" PRId64 "to%" PRId64 "_k%" PRId64 "s%" PRId64
           "_x%d",
           s->op, s->h, s->w, s->cin, s->cout, s->k, s->stride, s->fused);
  ir_graph *g;
  DLF_TRY(ir_graph_create(name, &g));
  *out = g;
  g->opset = 13;
  g->inputs = malloc(sizeof *g->inputs);
  g->outputs = malloc(sizeof *g->outputs);
  if (!g->inputs || !g->outputs) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", name);
  bool gemm = strcmp(s->op, "gemm") == 0;
  int64_t in_dims[4] = {1, s->cin, s->h, s->w}, in2[2] = {1, s->cin};
  int x;
  DLF_TRY(ir_graph_add_tensor(g, "input", IR_F32, gemm ? 2 : 4, gemm ? in2 : in_dims, &x));
  g->inputs[0] = x;
  g->n_inputs = 1;
  dlf_rng rng = dlf_rng_make(seed);
  int64_t pad = (s->k - 1) / 2;
  for (int layer = 0; layer < s->fused; layer++) {
    char lname[32];
    snprintf(lname, sizeof lname, "l%d", layer);
    bool conv = strcmp(s->op, "conv") == 0, dw = strcmp(s->op, "dwconv") == 0;
    int in[3] = {x, -1, -1}, n_in = 1, y, idx;
    if (conv || dw || gemm) {
      int64_t wd[4] = {s->cout, conv ? s->cin : 1, s->k, s->k}, gd[2] = {s->cout, s->cin};
      int64_t fan_in = gemm ? s->cin : wd[1] * s->k * s->k,
              numel = gemm ? s->cout * s->cin : s->cout * fan_in;
      float *w = dlf_malloc_array((size_t)numel, sizeof *w);
      float *b = dlf_malloc_array((size_t)s->cout, sizeof *b);
      if (!w || !b) {
        free(w);
        free(b);
        return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for weights", name);
      }
      float bound = (float)sqrt(6.0 / (double)fan_in);
      for (int64_t i = 0; i < numel; i++)
        w[i] = dlf_rng_range(&rng, -bound, bound);
      for (int64_t i = 0; i < s->cout; i++)
        b[i] = dlf_rng_range(&rng, -0.05f, 0.05f);
      char wn[48], bn[48];
      snprintf(wn, sizeof wn, "%s.weight", lname);
      snprintf(bn, sizeof bn, "%s.bias", lname);
      dlf_status st = ir_graph_add_constant(g, wn, IR_F32, gemm ? 2 : 4, gemm ? gd : wd, w, &in[1]);
      if (st != DLF_OK) {
        free(b);
        return st;
      }
      int64_t bd[1] = {s->cout};
      DLF_TRY(ir_graph_add_constant(g, bn, IR_F32, 1, bd, b, &in[2]));
      n_in = 3;
    }
    ir_op op = gemm ? IR_OP_GEMM : strcmp(s->op, "pool") == 0 ? IR_OP_MAXPOOL : IR_OP_CONV;
    DLF_TRY(ir_graph_add_tensor(g, NULL, IR_F32, 0, NULL, &y));
    DLF_TRY(ir_graph_add_node(g, lname, op, n_in, in, 1, &y, &idx));
    ir_node *n = &g->nodes[idx];
    if (gemm) {
      DLF_TRY(ir_node_set_int(n, "transB", 1));
    } else {
      int64_t kk[2] = {s->k, s->k}, st[2] = {s->stride, s->stride}, pads[4] = {pad, pad, pad, pad};
      DLF_TRY(ir_node_set_ints(n, "kernel_shape", kk, 2));
      DLF_TRY(ir_node_set_ints(n, "strides", st, 2));
      DLF_TRY(ir_node_set_ints(n, "pads", pads, 4));
      if (dw) DLF_TRY(ir_node_set_int(n, "group", s->cin));
    }
    x = y;
    if (op != IR_OP_MAXPOOL) { /* ReLU, folded into the layer's epilogue by the passes */
      snprintf(lname, sizeof lname, "l%d.relu", layer);
      int rin[1] = {x};
      DLF_TRY(ir_graph_add_tensor(g, NULL, IR_F32, 0, NULL, &y));
      DLF_TRY(ir_graph_add_node(g, lname, IR_OP_RELU, 1, rin, 1, &y, &idx));
      x = y;
    }
  }
  g->outputs[0] = x;
  g->n_outputs = 1;
  return DLF_OK;
}

/* One block of every layer of m on k cores, the engine's tile height and algorithms. */
static dlf_status fused_plan(const model *m, int k, plan **out) {
  plan *p;
  DLF_TRY(plan_unfused(m->graph, m->spec, k, &p));
  plan_block *b0 = &p->blocks[0];
  int n = m->n_layers;
  int *layers = dlf_malloc_array((size_t)n, sizeof *layers);
  plan_algo *algo = dlf_calloc_array((size_t)n, sizeof *algo);
  if (!layers || !algo) {
    free(layers);
    free(algo);
    plan_free(p);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for a plan", m->spec);
  }
  for (int l = 0; l < n; l++)
    layers[l] = l;
  for (int b = 1; b < p->n_blocks; b++) { /* the blocks past the first go */
    free(p->blocks[b].layers);
    free(p->blocks[b].algo);
  }
  free(b0->layers);
  free(b0->algo);
  b0->layers = layers;
  b0->algo = algo;
  b0->n_layers = n;
  p->n_blocks = 1;
  *out = p;
  return DLF_OK;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A bench of plan p (owned from here on) on k threads, its input filled from seed, and a
 * buffer for the times of `runs` timed runs. */
typedef struct timed {
  tune_bench b;
  double *runs_ms; /* per timed run: the sum of the block times */
} timed;

static void timed_free(timed *t) {
  tune_bench_close(&t->b);
  free(t->runs_ms);
  memset(t, 0, sizeof *t);
}

static dlf_status timed_open(const model *m, plan *p, int k, int runs, uint64_t seed, timed *t) {
  memset(t, 0, sizeof *t);
  dlf_status st = tune_bench_open(m->graph, p, k, NULL, &t->b);
  plan_free(p);
  DLF_TRY(st);
  t->runs_ms = dlf_calloc_array((size_t)runs, sizeof *t->runs_ms);
  if (!t->runs_ms) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory for timings", m->spec);
  /* the same random input for every bench of a point (the graph's one float input) */
  const ir_tensor *x = &m->graph->tensors[m->graph->inputs[0]];
  dlf_rng r = dlf_rng_make(seed ^ 0x5eed);
  float *in = t->b.in[0];
  for (int64_t i = 0, n = ir_tensor_numel(x); i < n; i++)
    in[i] = dlf_rng_range(&r, -1.0f, 1.0f);
  return DLF_OK;
}

/* The samples of one grid point, s[0..n_cores): every core number. */
static dlf_status measure_point(const profile_options *o, profile_sample *s, int n_cores) {
  const uint64_t seed = o->seed ? o->seed : 1;
  ir_graph *g = NULL;
  dlf_status st = build_graph(&s[0], seed, &g);
  if (st != DLF_OK) {
    ir_graph_free(g);
    return st;
  }
  model *m = NULL;
  DLF_TRY(model_build(NULL, g, NULL, &m));
  if (m->n_layers != s[0].fused || m->graph->n_inputs != 1) {
    st = dlf_error(DLF_ERR_INTERNAL, "%s: %d layers after the passes, expected %d", m->spec,
                   m->n_layers, s[0].fused);
    model_free(m);
    return st;
  }
  int max_runs = o->runs > 0 ? o->runs : o->quick ? QUICK_RUNS : DEFAULT_RUNS;
  for (int c = 0; c < n_cores && st == DLF_OK; c++) {
    int k = s[c].cores;
    bool fused = s[c].fused > 1;
    plan *pu = NULL, *pf = NULL;
    timed tu = {0}, tf = {0};
    st = plan_unfused(m->graph, m->spec, k, &pu);
    if (st == DLF_OK && fused) st = fused_plan(m, k, &pf);
    if (st == DLF_OK) st = timed_open(m, pu, k, max_runs, seed, &tu), pu = NULL;
    if (st == DLF_OK && fused) st = timed_open(m, pf, k, max_runs, seed, &tf), pf = NULL;
    /* warm-up: pages of the arena and scratch, caches, the thread pool awake */
    double warm = 0, ms;
    if (st == DLF_OK) st = tune_bench_run(&tu.b, &ms);
    if (st == DLF_OK && fused) st = tune_bench_run(&tf.b, &ms);
    double t0 = now_ms();
    if (st == DLF_OK) st = tune_bench_run(&tu.b, &ms);
    if (st == DLF_OK && fused) st = tune_bench_run(&tf.b, &ms);
    warm = now_ms() - t0;
    int runs = max_runs;
    if (o->runs <= 0 && warm * runs > RUN_BUDGET_MS) {
      runs = (int)(RUN_BUDGET_MS / (warm > 0 ? warm : 1));
      if (runs < MIN_RUNS) runs = MIN_RUNS;
      if (runs > max_runs) runs = max_runs;
    }
    /* interleaved (unfused, fused, unfused, ...): both see the same machine noise */
    for (int i = 0; i < runs && st == DLF_OK; i++) {
      st = tune_bench_run(&tu.b, &tu.runs_ms[i]);
      if (st == DLF_OK && fused) st = tune_bench_run(&tf.b, &tf.runs_ms[i]);
    }
    if (st == DLF_OK) {
      double mu = median(tu.runs_ms, runs) * 1e3;
      if (fused) {
        s[c].us = median(tf.runs_ms, runs) * 1e3;
        s[c].us_unfused = mu;
      } else {
        s[c].us = mu;
      }
    }
    timed_free(&tu);
    timed_free(&tf);
    plan_free(pu);
    plan_free(pf);
  }
  model_free(m);
  return st;
}

/* ------------------------------------------------------------------- driver -- */

dlf_status profile_run(const target *t, const profile_options *o, profile *out) {
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "profile_run: out is NULL");
  memset(out, 0, sizeof *out);
  if (!t || !o)
    return dlf_error(DLF_ERR_INVALID_ARG, "profile_run: %s is NULL", t ? "options" : "target");
  if (t->n_core_numbers < 1 || t->n_core_numbers > TARGET_MAX_CORE_NUMBERS)
    return dlf_error(DLF_ERR_INVALID_ARG, "target '%s': %d core numbers", t->name,
                     t->n_core_numbers);
  if (o->runs < 0 || o->runs > 100000)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "profile: runs %d out of range (0 = default, up to "
                     "100000)",
                     o->runs);
  out->version = PROFILE_FORMAT_VERSION;
  snprintf(out->target_name, sizeof out->target_name, "%s", t->name);
  out->target_kind = t->kind;
  out->target_fingerprint = t->fingerprint;
  if (t->kind == TARGET_ACCEL) {
    snprintf(out->machine, sizeof out->machine, "simulated");
    snprintf(out->isa, sizeof out->isa, "sim");
  } else {
    snprintf(out->machine, sizeof out->machine, "%s", dlf_cpu_info_get()->name);
    snprintf(out->isa, sizeof out->isa, "%s", kern_isa_name(kern_config_get()->isa));
  }
  dlf_status st = build_samples(t, o->quick, out);
  int nc = t->n_core_numbers;
  for (int i = 0; st == DLF_OK && i < out->n_samples; i += nc) {
    if (t->kind == TARGET_ACCEL)
      for (int c = 0; c < nc && st == DLF_OK; c++)
        st = simulate(t, &out->samples[i + c]);
    else
      st = measure_point(o, &out->samples[i], nc);
  }
  /* Blocks: accelerators only (simulated, ~a second); on a CPU each would be a measured
   * model, minutes on this 2-vCPU host. */
  if (st == DLF_OK && t->kind == TARGET_ACCEL) st = profile_blocks_run(t, o->quick, out);
  if (st != DLF_OK) profile_free(out);
  return st;
}
