/* test_tune_model.c — the DLFusion cost model (src/tune/costmodel.c): exact at the profile's
 * own samples, between neighbours in between, and, on the simulated MLU100, the plans the
 * search finds over the fitted model land near the oracle (the DP over the simulator
 * itself) and far ahead of no optimization — the paper's claim, measured on zoo models. */
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

/* DLFusion (DP over the model fitted on a simulated profile) vs the oracle (DP over the
 * simulator) vs no optimization (each layer alone on one core, the paper's baseline) and
 * the vendor default (every maximal fusable run on all cores), all priced by the simulator. */
static void near_oracle(const char *zoo, double max_gap) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  /* These gaps were measured on the first-order model, so it is the "hardware" here; on the
   * detailed simulator (mlu100.json's sim object) the figures are bench/tune_accel.sh's, and
   * the tests that hold there are issue 16's properties, not today's gaps. */
  t.sim.present = false;
  t.fingerprint = target_fingerprint(&t);
  profile prof;
  profile_options po = {0, 0, 1};
  REQUIRE_OK(profile_run(&t, &po, &prof));
  dlf_model *m;
  REQUIRE_OK(dlf_model_load(zoo, NULL, &m));
  const ir_graph *g = m->graph;
  tune_problem pr;
  REQUIRE_OK(tune_problem_init(g, zoo, t.cores, t.core_numbers, t.n_core_numbers, 0, &pr));
  tune_accel_cost sim;
  REQUIRE_OK(tune_accel_cost_init(&pr, &t, &sim));
  tune_model model;
  REQUIRE_OK(tune_model_prepare(&prof, &t, &pr, &model));
  plan *oracle, *tuned, *none, *vendor;
  tune_stats so, st;
  REQUIRE_OK(tune_dp(&pr, tune_cost_accel, &sim, &oracle, &so));
  REQUIRE_OK(tune_dp(&pr, tune_cost_model, &model, &tuned, &st));
  CHECK_OK(plan_check(g, tuned, "tuned"));
  double c_tuned, c_none;
  REQUIRE_OK(tune_plan_cost(&pr, tuned, tune_cost_accel, &sim, &c_tuned));
  REQUIRE_OK(plan_unfused(g, zoo, 1, &none));
  none->target_cores = t.cores;
  REQUIRE_OK(tune_plan_cost(&pr, none, tune_cost_accel, &sim, &c_none));
  REQUIRE_OK(plan_fuse_blocks(g, zoo, t.cores, &vendor));
  double c_blocks;
  REQUIRE_OK(tune_plan_cost(&pr, vendor, tune_cost_accel, &sim, &c_blocks));
  CHECK(so.cost_us <= c_tuned * (1 + 1e-12));
  CHECK(c_tuned <= so.cost_us * (1 + max_gap));
  CHECK(c_none / c_tuned > 2.0);
  CHECK(c_tuned <= c_blocks * (1 + 1e-9) || c_tuned <= so.cost_us * (1 + max_gap));
  printf("  %s on mlu100: none %.0f us, natural blocks %.0f us, dlfusion %.0f us, oracle %.0f us"
         " (dlfusion/oracle %.3f, speedup over none %.2fx)\n",
         zoo, c_none, c_blocks, c_tuned, so.cost_us, c_tuned / so.cost_us, c_none / c_tuned);
  plan_free(oracle);
  plan_free(tuned);
  plan_free(none);
  plan_free(vendor);
  tune_model_free(&model);
  tune_accel_cost_free(&sim);
  tune_problem_free(&pr);
  dlf_model_free(m);
  profile_free(&prof);
}

TEST(test_tune_dlfusion_near_oracle_on_mlu100_resnet18) { near_oracle("zoo:resnet18", 0.02); }
TEST(test_tune_dlfusion_near_oracle_on_mlu100_mobilenet_v2) {
  near_oracle("zoo:mobilenet_v2", 0.30);
}
TEST(test_tune_dlfusion_near_oracle_on_mlu100_vgg16) { near_oracle("zoo:vgg16", 0.05); }
