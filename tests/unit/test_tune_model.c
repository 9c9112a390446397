/* test_tune_model.c — the DLFusion cost model (src/tune/costmodel.c): exact at the profile's
 * own samples, between neighbours in between, and, on the simulated MLU100 and the zoo
 * models, the properties that hold by construction between the strategies (the exact oracle
 * beats every plan; dlfusion's plan is optimal for its own model under its cap). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "dlfusion.h"
#include "test.h"
#include "tune/costmodel.h"
#include "tune/profile.h"
#include "tune/tune.h"

static profile_sample conv_sample(int64_t hw, int64_t c, int64_t k, int cores, double us) {
  profile_sample s;
  memset(&s, 0, sizeof s);
  strcpy(s.op, "conv");
  s.h = s.w = hw;
  s.cin = s.cout = c;
  s.k = k;
  s.stride = 1;
  s.fused = 1;
  s.cores = cores;
  s.macs = profile_sample_macs(&s);
  s.us = us;
  return s;
}

static dlf_layer_info conv_layer(int64_t hw, int64_t c, int64_t k) {
  dlf_layer_info li;
  memset(&li, 0, sizeof li);
  li.op = "Conv";
  li.ndim_in = li.ndim_out = 4;
  li.in_dims[0] = li.out_dims[0] = 1;
  li.in_dims[1] = li.out_dims[1] = c;
  li.in_dims[2] = li.in_dims[3] = li.out_dims[2] = li.out_dims[3] = hw;
  li.kernel_h = li.kernel_w = k;
  li.stride_h = li.stride_w = 1;
  li.groups = 1;
  li.in_channels = li.out_channels = c;
  li.macs = hw * hw * c * c * k * k;
  return li;
}

TEST(test_tune_model_is_exact_at_samples_and_between_neighbours) {
  profile_sample s[4] = {conv_sample(28, 32, 3, 1, 100), conv_sample(28, 64, 3, 1, 250),
                         conv_sample(14, 32, 3, 1, 40), conv_sample(14, 64, 3, 1, 90)};
  profile p;
  memset(&p, 0, sizeof p);
  p.n_samples = 4;
  p.samples = s;
  dlf_layer_info a = conv_layer(28, 64, 3), b = conv_layer(14, 32, 3), mid = conv_layer(20, 45, 3);
  CHECK_NEAR(250, tune_model_layer_us(&p, &a, 1), 1e-9);
  CHECK_NEAR(40, tune_model_layer_us(&p, &b, 1), 1e-9);
  /* Between the samples, the time per op lies between the samples' times per op. */
  double lo = 1e30, hi = 0;
  for (int i = 0; i < 4; i++) {
    double t = s[i].us / s[i].macs;
    lo = t < lo ? t : lo, hi = t > hi ? t : hi;
  }
  double t = tune_model_layer_us(&p, &mid, 1) / (double)mid.macs;
  CHECK(t >= lo && t <= hi);
  /* No samples on 2 cores, and none of a depthwise conv. */
  CHECK(tune_model_layer_us(&p, &a, 2) < 0);
  dlf_layer_info dw = a;
  dw.groups = 64;
  CHECK(tune_model_layer_us(&p, &dw, 1) < 0);
}

/* The vendor's default computed here, apart from tune_vendor: the maximal runs of row-local
 * layers (from the layer flags, not tune_can_fuse), every block on one core number, the
 * least simulated total over the allowed core numbers; *k_best the core number. */
static double vendor_reference(const tune_problem *pr, tune_accel_cost *sim, int *k_best,
                               int *n_runs) {
  const int n = pr->n_layers;
  int *starts = malloc(sizeof *starts * (size_t)(n + 1));
  int *cores = malloc(sizeof *cores * (size_t)(n + 1));
  double best = -1;
  *k_best = 0, *n_runs = 0;
  if (!starts || !cores) goto done;
  int nb = 0;
  for (int l = 0; l < n; l++)
    if (l == 0 || !pr->row_local[l] || !pr->row_local[l - 1]) starts[nb++] = l;
  *n_runs = nb;
  for (int c = 0; c < pr->n_core_numbers; c++) {
    for (int b = 0; b < nb; b++)
      cores[b] = pr->core_numbers[c];
    plan *p;
    double us;
    if (tune_make_plan(pr, nb, starts, cores, &p) != DLF_OK) goto done;
    dlf_status st = tune_plan_cost(pr, p, tune_cost_accel, sim, &us);
    plan_free(p);
    if (st != DLF_OK) goto done;
    if (best < 0 || us < best) best = us, *k_best = pr->core_numbers[c];
  }
done:
  free(starts);
  free(cores);
  return best;
}

/* On the simulated MLU100, for a zoo model, what holds by construction:
 *  - the exact oracle (the DP over the simulator with no block-length cap) is no slower than
 *    any plan: dlfusion's, the vendor's default (tune_vendor: every maximal fusable run, the
 *    best single core number), the natural blocks, each layer alone on 1 or on 32 cores;
 *  - dlfusion's plan is the least, by its own cost model, of the plans with runs up to the
 *    cap: no worse by its prediction than none, allcores or the capped oracle's plan;
 *  - its plan is valid.
 * dlfusion/oracle and dlfusion/vendor are printed, not asserted: today dlfusion is slower
 * than the vendor on squeezenet1_0 and mobilenet_v2 and 1.3x the oracle there (issue 16: the
 * block cost model has to earn those), and bounds fitted to today's numbers would only pin
 * them (bench/tune_accel.sh tables them for every model of both sets). */
static void strategies_on_mlu100(const char *zoo) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  /* The properties hold on whatever the target's "hardware" is: the detailed simulator
   * (mlu100.json's sim object) here. */
  profile prof;
  profile_options po = {0, 0, 1};
  REQUIRE_OK(profile_run(&t, &po, &prof));
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(zoo, NULL, &m));
  const ir_graph *g = m->graph;
  tune_problem pc, pu; /* capped (the fitted strategies'), uncapped (the oracle's) */
  REQUIRE_OK(tune_problem_init(g, zoo, t.cores, t.core_numbers, t.n_core_numbers, 0, &pc));
  REQUIRE_OK(
      tune_problem_init(g, zoo, t.cores, t.core_numbers, t.n_core_numbers, TUNE_UNCAPPED, &pu));
  tune_accel_cost sc, su;
  REQUIRE_OK(tune_accel_cost_init(&pc, &t, &sc));
  REQUIRE_OK(tune_accel_cost_init(&pu, &t, &su));
  tune_model model;
  REQUIRE_OK(tune_model_prepare(&prof, &t, &pc, &model));
  const int kmax = t.core_numbers[t.n_core_numbers - 1];
  plan *oracle, *oracle_capped, *tuned, *vendor, *none, *allcores, *blocks;
  tune_stats so, soc, st, sv;
  REQUIRE_OK(tune_dp(&pu, tune_cost_accel, &su, &oracle, &so));
  REQUIRE_OK(tune_dp(&pc, tune_cost_accel, &sc, &oracle_capped, &soc));
  REQUIRE_OK(tune_dp(&pc, tune_cost_model, &model, &tuned, &st));
  REQUIRE_OK(tune_vendor(&pu, tune_cost_accel, &su, &vendor, &sv));
  REQUIRE_OK(plan_unfused(g, zoo, 1, &none));
  REQUIRE_OK(plan_unfused(g, zoo, kmax, &allcores));
  REQUIRE_OK(plan_fuse_blocks(g, zoo, kmax, &blocks));
  none->target_cores = t.cores;
  CHECK_OK(plan_check(g, tuned, "tuned"));
  /* simulated microseconds */
  plan *const all[6] = {tuned, vendor, blocks, none, allcores, oracle_capped};
  double us[6];
  for (int i = 0; i < 6; i++) {
    REQUIRE_OK(tune_plan_cost(&pu, all[i], tune_cost_accel, &su, &us[i]));
    CHECK(so.cost_us <= us[i] * (1 + 1e-12));
  }
  CHECK_NEAR(sv.cost_us, us[1], 1e-9 * us[1]);
  /* the vendor strategy is the best single core number over the real maximal runs */
  int k_vendor, n_runs;
  const double vendor_ref = vendor_reference(&pu, &su, &k_vendor, &n_runs);
  CHECK_NEAR(vendor_ref, us[1], 1e-9 * vendor_ref);
  CHECK_INT(n_runs, vendor->n_blocks);
  for (int b = 0; b < vendor->n_blocks; b++)
    CHECK_INT(k_vendor, vendor->blocks[b].cores);
  CHECK(so.cost_us <= vendor_ref * (1 + 1e-12));
  /* dlfusion's own prediction: its plan is the DP optimum of that cost under the cap */
  plan *const capped[3] = {none, allcores, oracle_capped};
  for (int i = 0; i < 3; i++) {
    double pred;
    REQUIRE_OK(tune_plan_cost(&pc, capped[i], tune_cost_model, &model, &pred));
    CHECK(st.cost_us <= pred * (1 + 1e-12));
  }
  printf("  %s on mlu100: none %.0f, allcores %.0f, vendor %.0f, blocks %.0f, dlfusion %.0f, "
         "oracle %.0f us (capped at %d layers: %.0f); dlfusion/oracle %.3f, dlfusion/vendor %.3f, "
         "speedup over none %.2fx\n",
         zoo, us[3], us[4], us[1], us[2], us[0], so.cost_us, pc.max_block_layers, soc.cost_us,
         us[0] / so.cost_us, us[0] / us[1], us[3] / us[0]);
  for (int i = 0; i < 6; i++)
    plan_free(all[i]);
  plan_free(oracle);
  tune_model_free(&model);
  tune_accel_cost_free(&sc);
  tune_accel_cost_free(&su);
  tune_problem_free(&pc);
  tune_problem_free(&pu);
  dlf_model_free(m);
  profile_free(&prof);
}

TEST(test_tune_strategies_on_mlu100_resnet18) { strategies_on_mlu100("zoo:resnet18"); }
TEST(test_tune_strategies_on_mlu100_resnet50) { strategies_on_mlu100("zoo:resnet50"); }
TEST(test_tune_strategies_on_mlu100_vgg16) { strategies_on_mlu100("zoo:vgg16"); }
TEST(test_tune_strategies_on_mlu100_alexnet) { strategies_on_mlu100("zoo:alexnet"); }
TEST(test_tune_strategies_on_mlu100_squeezenet1_0) { strategies_on_mlu100("zoo:squeezenet1_0"); }
TEST(test_tune_strategies_on_mlu100_mobilenet_v2) { strategies_on_mlu100("zoo:mobilenet_v2"); }
