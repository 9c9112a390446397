/* test_tune_api.c — dlf_tune through the public API: every strategy on the simulated MLU100
 * gives a valid plan that records its target and that sessions refuse to run; the oracle is
 * never beaten under the simulator on any zoo model and every plan's record carries the
 * comparisons; the CPU oracle measures real blocks of a small model and its plan runs and
 * matches the reference executor (its record says its cap), the CPU vendor measures its
 * core numbers; bad options fail with clear messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "dlfusion.h"
#include "graph_builder.h"
#include "test.h"

TEST(test_tune_api_every_strategy_on_mlu100) {
  dlf_model *m;
  dlf_target *t;
  dlf_profile *prof;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &t));
  REQUIRE_OK(dlf_profile_run(t, 0, &prof));
  enum { N_STRATEGIES = DLF_TUNE_VENDOR + 1 };
  double sim[N_STRATEGIES];
  for (int s = 0; s < N_STRATEGIES; s++) {
    dlf_tune_options o = {(dlf_tune_strategy)s, prof, 0, 0, 0};
    dlf_plan *p;
    dlf_tune_result r;
    REQUIRE_OK(dlf_tune(m, t, &o, &p, &r));
    sim[s] = r.simulated_us;
    double total;
    REQUIRE_OK(dlf_plan_simulate(m, t, p, &total, NULL));
    CHECK_NEAR(r.simulated_us, total, 1e-9 * total);
    CHECK(r.search_ms < 1000);
    /* The plan names its target, survives a round trip, and is not run on this CPU. */
    char *json = dlf_plan_to_json(p);
    REQUIRE(json);
    CHECK(strstr(json, "\"kind\": \"accelerator\", \"name\": \"mlu100\"") != NULL);
    CHECK(strstr(json, "\"tuner\"") != NULL);
    dlf_plan *back;
    REQUIRE_OK(dlf_plan_parse(m, json, strlen(json), &back));
    REQUIRE_OK(dlf_plan_simulate(m, t, back, &total, NULL));
    CHECK_NEAR(r.simulated_us, total, 1e-9 * total);
    dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = 1, .plan = back};
    dlf_session *sess = NULL;
    CHECK_INT(DLF_ERR_INVALID_ARG, dlf_session_create(m, &so, &sess));
    CHECK(strstr(dlf_last_error(), "accelerator 'mlu100'") != NULL);
    free(json);
    dlf_plan_free(back);
    dlf_plan_free(p);
  }
  for (int s = 0; s < N_STRATEGIES; s++)
    CHECK(sim[DLF_TUNE_ORACLE] <= sim[s] * (1 + 1e-12));
  dlf_profile_free(prof);
  dlf_target_free(t);
  dlf_model_free(m);
}

/* A number of the plan's "tuner" record (NAN when absent or null). */
static double record_number(const char *json, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *at = json ? strstr(json, pat) : NULL;
  if (!at || !strncmp(at + strlen(pat), "null", 4)) return NAN;
  return strtod(at + strlen(pat), NULL);
}

/* Every strategy through dlf_tune on every zoo model, simulated on the MLU100: the oracle
 * (exact: no block-length cap) is never beaten; none and allcores are each layer alone on
 * the smallest and the largest allowed core number; vendor's blocks share one core number;
 * every plan's record names its strategy and carries the same none, vendor and oracle
 * latencies as those strategies' own plans, and its ratios to them. */
TEST(test_tune_api_oracle_beats_every_strategy_on_the_zoo) {
  enum { N_STRATEGIES = DLF_TUNE_VENDOR + 1 };
  static const char *zoo[] = {"resnet18", "resnet50", "vgg16", "alexnet", "squeezenet1_0",
                              "mobilenet_v2"};
  dlf_target *t;
  dlf_profile *prof;
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &t));
  REQUIRE_OK(dlf_profile_run(t, 0, &prof));
  dlf_target_info ti;
  REQUIRE_OK(dlf_target_get_info(t, &ti));
  for (int z = 0; z < 6; z++) {
    char spec[64];
    snprintf(spec, sizeof spec, "zoo:%s", zoo[z]);
    dlf_model *m;
    REQUIRE_OK(dlf_model_load(spec, NULL, &m));
    const int L = dlf_model_num_layers(m);
    double sim[N_STRATEGIES];
    char *rec[N_STRATEGIES] = {0};
    for (int s = 0; s < N_STRATEGIES; s++) {
      dlf_tune_options o = {(dlf_tune_strategy)s, prof, 0, 0, 0};
      dlf_plan *p;
      dlf_tune_result r;
      REQUIRE_OK(dlf_tune(m, t, &o, &p, &r));
      sim[s] = r.simulated_us;
      rec[s] = dlf_plan_to_json(p);
      REQUIRE(rec[s]);
      char want[64];
      snprintf(want, sizeof want, "\"strategy\": \"%s\"", dlf_tune_strategy_name(s));
      CHECK(strstr(rec[s], want) != NULL);
      const int nb = dlf_plan_num_blocks(p);
      dlf_block_info b0;
      REQUIRE_OK(dlf_plan_block(p, 0, &b0));
      for (int b = 0; b < nb; b++) {
        dlf_block_info bi;
        REQUIRE_OK(dlf_plan_block(p, b, &bi));
        if (s == DLF_TUNE_NONE || s == DLF_TUNE_ALLCORES) {
          CHECK_INT(1, bi.num_layers);
          const int k = s == DLF_TUNE_NONE ? ti.core_numbers[0]
                                           : ti.core_numbers[ti.n_core_numbers - 1];
          CHECK_INT(k, bi.cores);
        }
        if (s == DLF_TUNE_VENDOR) CHECK_INT(b0.cores, bi.cores);
      }
      if (s == DLF_TUNE_NONE || s == DLF_TUNE_ALLCORES) CHECK_INT(L, nb);
      dlf_plan_free(p);
    }
    for (int s = 0; s < N_STRATEGIES; s++) {
      CHECK(sim[DLF_TUNE_ORACLE] <= sim[s] * (1 + 1e-12));
      /* the record prints 6 significant digits */
      CHECK_NEAR(sim[DLF_TUNE_NONE], record_number(rec[s], "none_us"), 1e-5 * sim[DLF_TUNE_NONE]);
      CHECK_NEAR(sim[DLF_TUNE_VENDOR], record_number(rec[s], "vendor_us"),
                 1e-5 * sim[DLF_TUNE_VENDOR]);
      CHECK_NEAR(sim[DLF_TUNE_ORACLE], record_number(rec[s], "oracle_us"),
                 1e-5 * sim[DLF_TUNE_ORACLE]);
      CHECK_NEAR(sim[s] / sim[DLF_TUNE_ORACLE], record_number(rec[s], "vs_oracle"),
                 1e-5 * sim[s] / sim[DLF_TUNE_ORACLE]);
      CHECK_NEAR(sim[s] / sim[DLF_TUNE_VENDOR], record_number(rec[s], "vs_vendor"),
                 1e-5 * sim[s] / sim[DLF_TUNE_VENDOR]);
      CHECK_NEAR(sim[DLF_TUNE_NONE] / sim[s], record_number(rec[s], "speedup_over_none"),
                 1e-5 * sim[DLF_TUNE_NONE] / sim[s]);
      /* the cap each searched with: dlfusion and greedy the default, the rest none */
      const bool capped = s == DLF_TUNE_DLFUSION || s == DLF_TUNE_GREEDY;
      CHECK(strstr(rec[s], capped ? "\"max_block_layers\": 12" : "\"max_block_layers\": null") !=
            NULL);
      free(rec[s]);
    }
    dlf_model_free(m);
  }
  dlf_profile_free(prof);
  dlf_target_free(t);
}

TEST(test_tune_api_rejects_missing_or_foreign_profiles) {
  dlf_model *m;
  dlf_target *mlu, *cpu;
  dlf_profile *prof;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &mlu));
  REQUIRE_OK(dlf_target_host(1, &cpu));
  dlf_plan *p = NULL;
  dlf_tune_options o = {DLF_TUNE_DLFUSION, NULL, 0, 0, 0};
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_tune(m, mlu, &o, &p, NULL));
  CHECK(strstr(dlf_last_error(), "needs a profile") != NULL);
  REQUIRE_OK(dlf_profile_run(mlu, 1, &prof));
  o.profile = prof;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_tune(m, cpu, &o, &p, NULL));
  CHECK(strstr(dlf_last_error(), "does not match target 'cpu'") != NULL);
  CHECK(p == NULL);
  o.strategy = (dlf_tune_strategy)17;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_tune(m, mlu, &o, &p, NULL));
  o.strategy = DLF_TUNE_DLFUSION;
  o.max_block_layers = 65;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_tune(m, mlu, &o, &p, NULL));
  CHECK_INT(-1, dlf_tune_strategy_from_name("fast"));
  CHECK_INT(DLF_TUNE_ORACLE, dlf_tune_strategy_from_name("oracle"));
  dlf_profile_free(prof);
  dlf_target_free(mlu);
  dlf_target_free(cpu);
  dlf_model_free(m);
}

/* conv chain with a pool, on the CPU: the oracle runs every candidate block; its plan is
 * valid, runs, and computes what the reference executor computes. */
TEST(test_tune_api_cpu_oracle_measures_blocks_and_its_plan_runs) {
  eg b = eg_begin();
  int64_t xd[4] = {1, 8, 20, 20}, pads[4] = {1, 1, 1, 1};
  int x = eg_input(&b, 4, xd), y[6];
  eg_conv(&b, x, 8, 16, 3, 1, pads, 1, &y[0]);
  eg_conv(&b, y[0], 16, 16, 3, 1, pads, 1, &y[1]);
  int mp = eg_node(&b, IR_OP_MAXPOOL, 1, &y[1], &y[2]);
  int64_t k[2] = {2, 2}, s[2] = {2, 2};
  ir_node_set_ints(&b.g->nodes[mp], "kernel_shape", k, 2);
  ir_node_set_ints(&b.g->nodes[mp], "strides", s, 2);
  eg_conv(&b, y[2], 16, 16, 3, 1, pads, 1, &y[3]);
  eg_conv(&b, y[3], 16, 8, 1, 1, NULL, 1, &y[4]);
  eg_output(&b, y[4]);
  dlf_model *m;
  REQUIRE_OK(dlf_model_from_graph(b.g, "chain", &m));
  dlf_target *cpu;
  REQUIRE_OK(dlf_target_host(2, &cpu));
  dlf_tune_options o = {DLF_TUNE_ORACLE, NULL, 3, 3, 0};
  dlf_plan *p;
  dlf_tune_result r;
  REQUIRE_OK(dlf_tune(m, cpu, &o, &p, &r));
  const int L = dlf_model_num_layers(m);
  CHECK_INT(5, L);
  /* runs of 1..3 layers at each start (all five layers are row-local), on 1 and 2 cores:
   * (5 + 4 + 3) x 2 measured blocks */
  CHECK_INT(24, r.evaluations);
  CHECK(r.cost_us > 0);
  /* the record says the oracle was capped; a CPU knows nothing of the others here */
  char *rec = dlf_plan_to_json(p);
  CHECK(rec && strstr(rec, "\"max_block_layers\": 3") != NULL);
  CHECK(rec && isnan(record_number(rec, "oracle_us")));
  free(rec);
  /* the CPU vendor: all five layers are one maximal run; one plan measured per core number */
  dlf_tune_options vo = {DLF_TUNE_VENDOR, NULL, 0, 2, 0};
  dlf_plan *pv;
  dlf_tune_result rv;
  REQUIRE_OK(dlf_tune(m, cpu, &vo, &pv, &rv));
  CHECK_INT(1, dlf_plan_num_blocks(pv));
  CHECK_INT(2, rv.evaluations);
  CHECK(rv.cost_us > 0);
  dlf_plan_free(pv);
  /* run it and compare with the reference executor */
  dlf_tensor in, out;
  REQUIRE_OK(dlf_model_input(m, 0, &in));
  REQUIRE_OK(dlf_model_output(m, 0, &out));
  const int64_t ni = 8 * 20 * 20, no = 8 * 10 * 10;
  float *xin = malloc(ni * sizeof *xin), *want = malloc(no * sizeof *want),
        *got = malloc(no * sizeof *got);
  REQUIRE(xin && want && got);
  for (int64_t i = 0; i < ni; i++)
    xin[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  dlf_session_options ro = {.engine = DLF_ENGINE_REFERENCE, .threads = 1},
                      fo = {.engine = DLF_ENGINE_DEFAULT, .threads = 2, .plan = p};
  dlf_session *rs, *fs;
  REQUIRE_OK(dlf_session_create(m, &ro, &rs));
  REQUIRE_OK(dlf_session_create(m, &fo, &fs));
  const void *ins[1] = {xin};
  void *o1[1] = {want}, *o2[1] = {got};
  REQUIRE_OK(dlf_session_run(rs, ins, o1));
  REQUIRE_OK(dlf_session_run(fs, ins, o2));
  double worst = 0, range = 0;
  for (int64_t i = 0; i < no; i++) {
    worst = fmax(worst, fabs((double)want[i] - got[i]));
    range = fmax(range, fabs((double)want[i]));
  }
  CHECK(range > 0);
  CHECK(worst <= 1e-3 * range);
  free(xin);
  free(want);
  free(got);
  dlf_session_free(rs);
  dlf_session_free(fs);
  dlf_plan_free(p);
  dlf_target_free(cpu);
  dlf_model_free(m);
}
