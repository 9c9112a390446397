/* test_explain_api.c — dlf_plan_explain, dlf_plan_tuner and dlf_model_layer_inputs: explaining a
 * tuned plan gives, block by block, the costs its tuner record kept and the ones the search
 * compared (each block no worse than its best split and than merging with its neighbour, by
 * the cost it was searched with); the record reads back; a layer's inputs are its producers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlfusion.h"
#include "test.h"

TEST(test_explain_api_dlfusion_plan_is_optimal_by_its_own_costs) {
  dlf_model *m;
  dlf_target *t;
  dlf_profile *prof;
  REQUIRE_OK(dlf_model_load("zoo:resnet18", NULL, &m));
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &t));
  REQUIRE_OK(dlf_profile_run(t, 0, &prof));
  dlf_tune_options o = {.strategy = DLF_TUNE_DLFUSION, .profile = prof};
  dlf_plan *p;
  dlf_tune_result r;
  REQUIRE_OK(dlf_tune(m, t, &o, &p, &r));
  dlf_tuner_info tu;
  REQUIRE_OK(dlf_plan_tuner(p, &tu));
  CHECK(!strcmp(tu.strategy, "dlfusion"));
  CHECK(!strcmp(tu.cost, "model"));
  CHECK(tu.n_blocks == dlf_plan_num_blocks(p));
  CHECK(tu.max_block_layers == 12);
  CHECK(tu.oracle_us > 0 && tu.oracle_us <= tu.simulated_us * (1 + 1e-9));
  dlf_explanation *e;
  REQUIRE_OK(dlf_plan_explain(m, t, prof, p, &e));
  CHECK(!strcmp(dlf_explanation_cost(e), "model"));
  REQUIRE(dlf_explanation_num_blocks(e) == dlf_plan_num_blocks(p));
  double sum = 0, sim = 0;
  for (int b = 0; b < dlf_explanation_num_blocks(e); b++) {
    dlf_block_explanation x;
    REQUIRE_OK(dlf_explanation_block(e, b, &x));
    sum += x.cost_us;
    sim += x.simulated_us;
    /* the record printed %.6g */
    CHECK_NEAR(x.cost_us, x.recorded_us, 1e-5 * x.cost_us);
    /* the DP chose this block at this core number: nothing it compared was cheaper */
    for (int c = 0; c < x.n_core_numbers; c++)
      CHECK(x.at_cores_us[c] < 0 || x.cost_us <= x.at_cores_us[c] + 1e-9);
    for (int j = 0; j < x.n_splits; j++)
      CHECK(x.split_us[j] < 0 || x.cost_us <= x.split_us[j] + 1e-9);
    if (x.merge_next_us >= 0) CHECK(x.apart_next_us <= x.merge_next_us + 1e-9);
    CHECK(x.n_splits == x.last_layer - x.first_layer);
  }
  CHECK_NEAR(sum, r.cost_us, 1e-9 * sum);
  CHECK_NEAR(sim, r.simulated_us, 1e-9 * sim);
  dlf_block_explanation x;
  CHECK(dlf_explanation_block(e, dlf_explanation_num_blocks(e), &x) == DLF_ERR_INVALID_ARG);
  dlf_explanation_free(e);
  dlf_plan_free(p);
  dlf_profile_free(prof);
  dlf_target_free(t);
  dlf_model_free(m);
}

TEST(test_explain_api_cpu_plan_without_profile_or_record_fails_clearly) {
  dlf_model *m;
  dlf_target *t;
  dlf_plan *p;
  REQUIRE_OK(dlf_model_load("zoo:resnet18", NULL, &m));
  REQUIRE_OK(dlf_target_host(0, &t));
  REQUIRE_OK(dlf_plan_unfused(m, 0, &p));
  dlf_tuner_info tu;
  CHECK(dlf_plan_tuner(p, &tu) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "no tuner record") != NULL);
  dlf_explanation *e = (dlf_explanation *)1;
  CHECK(dlf_plan_explain(m, t, NULL, p, &e) == DLF_ERR_INVALID_ARG);
  CHECK(e == NULL);
  CHECK(strstr(dlf_last_error(), "needs the profile") != NULL);
  dlf_plan_free(p);
  dlf_target_free(t);
  dlf_model_free(m);
}

TEST(test_explain_api_layer_inputs_are_the_producers) {
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:resnet18", NULL, &m));
  int from[4];
  CHECK(dlf_model_layer_inputs(m, 0, from, 4) == 0); /* conv1 reads the graph input */
  REQUIRE(dlf_model_layer_inputs(m, 1, from, 4) == 1);
  CHECK(from[0] == 0);
  /* layer1.0.conv2 (layer 3) reads layer1.0.conv1 (2) and adds the maxpool's output (1) */
  REQUIRE(dlf_model_layer_inputs(m, 3, from, 4) == 2);
  CHECK(from[0] == 1 && from[1] == 2);
  CHECK(dlf_model_layer_inputs(m, 3, from, 1) == 2); /* the count, though one fits */
  CHECK(dlf_model_layer_inputs(m, dlf_model_num_layers(m), from, 4) == -1);
  CHECK(dlf_model_layer_inputs(NULL, 0, from, 4) == -1);
  dlf_model_free(m);
}
