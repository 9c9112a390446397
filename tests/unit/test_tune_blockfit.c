/* test_tune_blockfit.c — the fitted block model (src/tune/blockfit.c) recovers laws it can
 * represent and stays within the noise of a noisy one; profile format 2's block samples: the
 * round trip, the strict reader's messages, and a quick accelerator profile's blocks equal
 * the simulator on the same layers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "target/accel_sim.h"
#include "target/target.h"
#include "test.h"
#include "tune/blockfit.h"
#include "tune/profile.h"

/* Random features over the ranges a CNN's blocks span. */
static void random_features(dlf_rng *r, tune_block_features *f) {
  memset(f, 0, sizeof *f);
  f->n_layers = 2 + (int)(dlf_rng_range(r, 0, 4.999f));
  f->sum_us = exp(dlf_rng_range(r, 0, 8));
  f->max_us = f->sum_us / dlf_rng_range(r, 1, (float)f->n_layers);
  f->ops = exp(dlf_rng_range(r, 10, 22));
  f->io_bytes = exp(dlf_rng_range(r, 8, 18));
  f->weight_bytes = exp(dlf_rng_range(r, 6, 20));
  f->inner_bytes = exp(dlf_rng_range(r, 8, 18));
  f->halo = (double)(int)dlf_rng_range(r, 0, 6.999f);
  f->log_channels = dlf_rng_range(r, 2.7f, 7);
}

/* The law, written here independently of blockfit.c's feature code: us = 3 * S^0.7 *
 * (1 + ops)^0.05 * io^0.1 * n^-0.3 * e^(0.02 halo) * max^0.2 (weights, channels and inner bytes
 * do not matter). */
static double law(const tune_block_features *f) {
  return 3.0 * pow(f->sum_us, 0.7) * pow(1 + f->ops, 0.05) * pow(f->io_bytes, 0.1) *
         pow((double)f->n_layers, -0.3) * exp(0.02 * f->halo) * pow(f->max_us, 0.2);
}

TEST(test_block_fit_recovers_a_log_linear_law_exactly) {
  enum { N = 400 };
  tune_block_features *f = malloc(N * sizeof *f);
  double *us = malloc(N * sizeof *us), w[TUNE_BLOCK_NF];
  REQUIRE(f && us);
  dlf_rng r = dlf_rng_make(16);
  for (int i = 0; i < N; i++)
    random_features(&r, &f[i]), us[i] = law(&f[i]);
  REQUIRE(tune_block_fit(f, us, N, 1e-12, w));
  /* fresh points, not the fitted ones: the law is in the model's family, so only rounding
   * and the (1e-12) ridge stand between them */
  double worst = 0;
  for (int i = 0; i < 200; i++) {
    tune_block_features g;
    random_features(&r, &g);
    double e = fabs(tune_block_predict(w, &g) / law(&g) - 1);
    if (e > worst) worst = e;
  }
  if (worst > 1e-6) test_fail(__FILE__, __LINE__, "worst relative error %g > 1e-6", worst);
  free(f);
  free(us);
}

TEST(test_block_fit_of_a_noisy_law_is_within_its_noise) {
  /* multiplicative noise e^u, u uniform in [-0.1, 0.1]: the fitted law's predictions are
   * within 10 % of the noiseless law on fresh points (a least-squares fit over 2000 samples
   * averages the noise down far below its bound; 10 % is that bound itself). */
  enum { N = 2000 };
  tune_block_features *f = malloc(N * sizeof *f);
  double *us = malloc(N * sizeof *us), w[TUNE_BLOCK_NF];
  REQUIRE(f && us);
  dlf_rng r = dlf_rng_make(7);
  for (int i = 0; i < N; i++)
    random_features(&r, &f[i]), us[i] = law(&f[i]) * exp(dlf_rng_range(&r, -0.1f, 0.1f));
  REQUIRE(tune_block_fit(f, us, N, 1e-9, w));
  double worst = 0;
  for (int i = 0; i < 200; i++) {
    tune_block_features g;
    random_features(&r, &g);
    double e = fabs(tune_block_predict(w, &g) / law(&g) - 1);
    if (e > worst) worst = e;
  }
  if (worst > 0.10) test_fail(__FILE__, __LINE__, "worst relative error %g > 0.10", worst);
  free(f);
  free(us);
}

TEST(test_block_fit_refuses_too_few_samples) {
  tune_block_features f[3];
  double us[3] = {1, 2, 3}, w[TUNE_BLOCK_NF];
  dlf_rng r = dlf_rng_make(1);
  for (int i = 0; i < 3; i++)
    random_features(&r, &f[i]);
  CHECK(!tune_block_fit(f, us, 3, 1e-6, w));
}

/* ---------------------------------------------------- format 2: blocks -- */

#define HDR2                                                                                       \
  "{\"dlfusion_profile\": 2, \"target\": {\"name\": \"x\", \"kind\": \"accelerator\", "            \
  "\"fingerprint\": \"0123456789abcdef\"}, \"machine\": \"simulated\", \"isa\": \"sim\", "         \
  "\"samples\": [], \"blocks\": ["
#define B0                                                                                         \
  "{\"layers\": [{\"op\": \"conv\", \"h\": 17, \"w\": 17, \"cin\": 37, \"cout\": 222, \"k\": 1, "  \
  "\"stride\": 1, \"residual\": 0}, {\"op\": \"dwconv\", \"h\": 17, \"w\": 17, \"cin\": 222, "     \
  "\"cout\": 222, \"k\": 3, \"stride\": 1, \"residual\": 0}], \"cores\": 4, \"in_bytes\": 42772, " \
  "\"out_bytes\": 256632, \"us\": 12.5}"

static char *replace(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  if (!at) return NULL;
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *s = malloc(n);
  if (!s) return NULL;
  snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return s;
}

TEST(test_profile_blocks_round_trip_and_version_1_still_reads) {
  const char *text = HDR2 B0 "]}";
  profile p;
  REQUIRE_OK(profile_parse(text, strlen(text), "b.json", &p));
  CHECK_INT(2, p.version);
  REQUIRE(p.n_blocks == 1);
  CHECK_INT(2, p.blocks[0].n_layers);
  CHECK(strcmp(p.blocks[0].layers[1].op, "dwconv") == 0);
  CHECK_INT(4, p.blocks[0].cores);
  CHECK(p.blocks[0].in_bytes == 42772 && p.blocks[0].out_bytes == 256632);
  p.blocks[0].us = 1.0 / 3.0; /* every bit survives */
  char *json = profile_to_json(&p);
  REQUIRE(json);
  profile q;
  CHECK_OK(profile_parse(json, strlen(json), "rt", &q));
  CHECK(profile_equal(&p, &q));
  char *again = profile_to_json(&q);
  CHECK(again && strcmp(json, again) == 0);
  free(again);
  free(json);
  profile_free(&q);
  profile_free(&p);
  /* a version-1 file (no blocks) still reads */
  const char *v1 = "{\"dlfusion_profile\": 1, \"target\": {\"name\": \"x\", \"kind\": \"cpu\", "
                   "\"fingerprint\": \"0123456789abcdef\"}, \"machine\": \"m\", \"isa\": \"avx2\", "
                   "\"samples\": []}";
  REQUIRE_OK(profile_parse(v1, strlen(v1), "v1.json", &p));
  CHECK_INT(1, p.version);
  CHECK_INT(0, p.n_blocks);
  profile_free(&p);
}

typedef struct bad_block {
  const char *name, *from, *to, *want;
} bad_block;

static const bad_block bad_blocks[] = {
    {"blocks_in_version_1", "\"dlfusion_profile\": 2", "\"dlfusion_profile\": 1",
     "unknown key 'blocks' in the profile"},
    {"version_3", "\"dlfusion_profile\": 2", "\"dlfusion_profile\": 3",
     "unsupported profile format version 3 (this dlfusion reads versions 1 to 2)"},
    {"block_not_object", "\"blocks\": [", "\"blocks\": [7, ", "block 0: a block must be an object"},
    {"one_layer",
     "{\"op\": \"conv\", \"h\": 17, \"w\": 17, \"cin\": 37, \"cout\": 222, \"k\": 1, "
     "\"stride\": 1, \"residual\": 0}, ",
     "", "block 0: 1 layers, expected 2 to 8"},
    {"layer_op_unknown", "\"op\": \"dwconv\"", "\"op\": \"lstm\"",
     "block 0: layer 1: 'op' must be conv, dwconv, pool, concat or add, got lstm"},
    {"layer_h_zero", "\"h\": 17", "\"h\": 0", "block 0: layer 0: 'h' 0 out of range"},
    {"layer_missing_residual", ", \"residual\": 0}]", "}]",
     "block 0: layer 1: missing key 'residual'"},
    {"layer_unknown_key", "\"k\": 3", "\"kk\": 3, \"k\": 3",
     "block 0: layer 1: unknown key 'kk' in a layer"},
    {"dwconv_channels_differ", "\"cin\": 222, \"cout\": 222", "\"cin\": 222, \"cout\": 111",
     "block 0: layer 1: 'cout' 111 differs from 'cin' 222 for a dwconv"},
    {"residual_on_dwconv", "\"k\": 3, \"stride\": 1, \"residual\": 0",
     "\"k\": 3, \"stride\": 1, \"residual\": 1",
     "block 0: layer 1: 'residual' is 0 or 1, and 1 only on a conv"},
    {"cores_zero", "\"cores\": 4", "\"cores\": 0", "block 0: 'cores' 0 out of range"},
    {"in_bytes_zero", "\"in_bytes\": 42772", "\"in_bytes\": 0",
     "block 0: 'in_bytes' 0 out of range"},
    {"us_zero", "\"us\": 12.5", "\"us\": 0", "block 0: 'us' must be a finite number > 0, got 0"},
    {"us_string", "\"us\": 12.5", "\"us\": \"fast\"",
     "block 0: 'us' must be a number, got a string"},
    {"block_missing_cores", "\"cores\": 4, ", "", "block 0: missing key 'cores'"},
};

TEST(test_profile_blocks_bad_texts_fail_naming_block_layer_and_field) {
  const char *good = HDR2 B0 "]}";
  for (size_t i = 0; i < sizeof bad_blocks / sizeof bad_blocks[0]; i++) {
    const bad_block *c = &bad_blocks[i];
    char *text = replace(good, c->from, c->to);
    if (!text) {
      test_fail(__FILE__, __LINE__, "%s: '%s' is not in the good text", c->name, c->from);
      continue;
    }
    profile p;
    dlf_status st = profile_parse(text, strlen(text), "bad.json", &p);
    if (st == DLF_OK || !strstr(dlf_last_error(), c->want))
      test_fail(__FILE__, __LINE__, "%s: expected '%s', got %d: '%s'", c->name, c->want, (int)st,
                dlf_last_error());
    if (st == DLF_OK)
      profile_free(&p);
    else
      CHECK(p.blocks == NULL && p.n_blocks == 0);
    free(text);
  }
}

TEST(test_profile_quick_accelerator_blocks_are_the_simulator_on_their_layers) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  profile_options o = {.quick = 1};
  profile p;
  REQUIRE_OK(profile_run(&t, &o, &p));
  CHECK_INT(PROFILE_FORMAT_VERSION, p.version);
  REQUIRE(p.n_blocks > 0);
  int per_core[TARGET_MAX_CORE_NUMBERS] = {0};
  for (int i = 0; i < p.n_blocks; i++) {
    const profile_block *b = &p.blocks[i];
    target_layer tl[PROFILE_MAX_BLOCK_LAYERS];
    for (int l = 0; l < b->n_layers; l++) {
      dlf_layer_info li;
      profile_layer_info(&b->layers[l], &li);
      target_layer_from_info(&t, &li, &tl[l]);
    }
    target_block_time bt;
    REQUIRE_OK(target_block_time_of(&t, tl, b->n_layers, b->cores, b->in_bytes, b->out_bytes, &bt));
    if (bt.total_us != b->us)
      test_fail(__FILE__, __LINE__, "block %d: %g us recorded, the simulator says %g", i, b->us,
                bt.total_us);
    for (int c = 0; c < t.n_core_numbers; c++)
      per_core[c] += t.core_numbers[c] == b->cores;
  }
  for (int c = 0; c < t.n_core_numbers; c++)
    CHECK(per_core[c] == per_core[0]); /* every run on every core number */
  profile_free(&p);
}

/* The fitted model inside the tuner, through the public API: the DP over it returns a plan
 * with a positive predicted and simulated cost; an unknown block_model is refused. */
TEST(test_fitted_block_model_prices_every_candidate_and_tunes_a_model) {
  dlf_tensor shape = {.name = "input", .dtype = DLF_FLOAT32, .ndim = 4, .dims = {1, 3, 64, 64}};
  dlf_load_options lo = {0};
  lo.bindings = &shape;
  lo.num_bindings = 1;
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:mobilenet_v2", &lo, &m));
  dlf_target *t;
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &t));
  dlf_profile *p;
  REQUIRE_OK(dlf_profile_run(t, 0, &p));
  /* the blocks survive a save and a load through the public API */
  char pbuf[128];
  const char *path = test_tmp_path(pbuf, sizeof pbuf, "profile_blocks.json");
  dlf_profile *q = NULL;
  CHECK_OK(dlf_profile_save(p, path));
  CHECK_OK(dlf_profile_load(path, &q));
  CHECK(dlf_profile_num_blocks(p) > 1000);
  CHECK_INT(dlf_profile_num_blocks(p), dlf_profile_num_blocks(q));
  dlf_profile_free(q);
  remove(path);
  dlf_plan *plan = NULL;
  dlf_tune_result res;
  dlf_tune_options o = {.strategy = DLF_TUNE_DLFUSION, .profile = p, .block_model = 2};
  CHECK_OK(dlf_tune(m, t, &o, &plan, &res));
  CHECK(res.simulated_us > 0 && res.cost_us > 0);
  dlf_plan_free(plan);
  o.block_model = 3;
  CHECK(dlf_tune(m, t, &o, &plan, &res) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "block_model 3 out of range") != NULL);
  dlf_profile_free(p);
  dlf_target_free(t);
  dlf_model_free(m);
}
