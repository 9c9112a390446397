/* test_tune_profile.c — target profiles (src/tune/profile*.c): the file format's round trip and
 * its strict reader (bad texts with their messages), the operation counts, and a quick CPU
 * profile covering every grid point and core number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/model.h"
#include "core/status.h"
#include "dlfusion.h"
#include "graph_builder.h"
#include "target/accel_sim.h"
#include "target/target.h"
#include "test.h"
#include "tune/profile.h"

/* A valid profile: HDR, samples separated by commas, END. */
#define HDR                                                                                        \
  "{\"dlfusion_profile\": 1, \"target\": {\"name\": \"cpu\", \"kind\": \"cpu\", \"fingerprint\": " \
  "\"0123456789abcdef\"}, \"machine\": \"m\", \"isa\": \"avx2\", \"samples\": ["
#define END "]}"
#define S0                                                                                         \
  "{\"op\": \"conv\", \"h\": 7, \"w\": 7, \"cin\": 16, \"cout\": 16, \"k\": 3, \"stride\": 1, "    \
  "\"fused\": 1, \"cores\": 1, \"macs\": 112896, \"us\": 10.5, \"us_unfused\": 0}"
#define S1                                                                                         \
  "{\"op\": \"conv\", \"h\": 7, \"w\": 7, \"cin\": 16, \"cout\": 16, \"k\": 3, \"stride\": 1, "    \
  "\"fused\": 2, \"cores\": 2, \"macs\": 112896, \"us\": 18.25, \"us_unfused\": 21}"

/* text with the first occurrence of `from` replaced by `to` (malloc'd). */
static char *replace(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  if (!at) return NULL;
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *s = malloc(n);
  if (!s) return NULL;
  snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return s;
}

TEST(test_profile_file_valid_text_parses_to_its_fields) {
  const char *text = HDR S0 "," S1 END;
  profile p;
  REQUIRE_OK(profile_parse(text, strlen(text), "ok.json", &p));
  CHECK_INT(1, p.version);
  CHECK(strcmp(p.target_name, "cpu") == 0);
  CHECK_INT(TARGET_CPU, p.target_kind);
  CHECK(p.target_fingerprint == 0x0123456789abcdefull);
  CHECK(strcmp(p.machine, "m") == 0 && strcmp(p.isa, "avx2") == 0);
  REQUIRE(p.n_samples == 2);
  CHECK(strcmp(p.samples[1].op, "conv") == 0);
  CHECK_INT(2, p.samples[1].fused);
  CHECK_INT(2, p.samples[1].cores);
  CHECK(p.samples[1].us == 18.25 && p.samples[1].us_unfused == 21.0);
  CHECK(p.samples[0].macs == 112896.0);
  profile_free(&p);
}

TEST(test_profile_file_round_trip_keeps_every_double_exactly) {
  profile_sample s[3] = {
      {"conv", 56, 56, 64, 64, 3, 1, 1, 1, 115605504.0, 0.1, 0},
      {"conv", 14, 14, 32, 32, 3, 1, 2, 2, 1806336.0, 1.0 / 3.0, 2.0 / 3.0},
      {"pool", 112, 112, 64, 64, 3, 2, 1, 2, 1806336.0, 4.9406564584124654e-324,
       0}, /* the smallest subnormal */
  };
  s[0].us = 12345.678901234567;
  profile p = {.version = 1,
               .target_kind = TARGET_ACCEL,
               .target_fingerprint = ~0ull,
               .n_samples = 3,
               .samples = s};
  strcpy(p.target_name, "mlu \"100\"\\x");
  strcpy(p.machine, "tab\there\x01");
  strcpy(p.isa, "sim");
  char *json = profile_to_json(&p);
  REQUIRE(json != NULL);
  profile q;
  CHECK_OK(profile_parse(json, strlen(json), "rt", &q));
  CHECK(profile_equal(&p, &q));
  CHECK(q.samples[1].us == 1.0 / 3.0);
  /* and a second trip writes the same text */
  char *again = profile_to_json(&q);
  CHECK(again && strcmp(json, again) == 0);
  free(again);
  free(json);
  profile_free(&q);
}

TEST(test_profile_file_save_and_load_through_a_file) {
  profile_sample s[1] = {{"gemm", 1, 1, 512, 1000, 1, 1, 1, 1, 512000.0, 33.5, 0}};
  profile p = {.version = 1, .target_fingerprint = 42, .n_samples = 1, .samples = s};
  strcpy(p.target_name, "cpu");
  char pbuf[128];
  const char *path = test_tmp_path(pbuf, sizeof pbuf, "profile_file.json");
  REQUIRE_OK(profile_save(&p, path));
  profile q;
  REQUIRE_OK(profile_load(path, &q));
  CHECK(profile_equal(&p, &q));
  profile_free(&q);
  remove(path);
}

TEST(test_profile_file_load_names_a_missing_file) {
  profile q;
  CHECK(profile_load("/tmp/dlf_no_such_profile.json", &q) == DLF_ERR_IO);
  CHECK(strstr(dlf_last_error(), "/tmp/dlf_no_such_profile.json: cannot open") != NULL);
  CHECK_INT(0, q.n_samples);
}

TEST(test_profile_file_writer_refuses_what_the_reader_would) {
  profile_sample s[2] = {{"conv", 7, 7, 16, 16, 3, 1, 1, 1, 1.0, 1.0, 0},
                         {"conv", 7, 7, 16, 16, 3, 1, 1, 1, 1.0, -2.0, 0}};
  profile p = {.version = 1, .n_samples = 2, .samples = s};
  CHECK(profile_to_json(&p) == NULL);
  CHECK(strstr(dlf_last_error(), "sample 1: 'us' must be a finite number >= 0, got -2") != NULL);
  char pbuf[128];
  const char *bad = test_tmp_path(pbuf, sizeof pbuf, "profile_bad.json");
  CHECK(profile_save(&p, bad) == DLF_ERR_PARSE);
  CHECK(strstr(dlf_last_error(), bad) != NULL);
  s[1].us = 1;
  strcpy(s[0].op, "lstm");
  CHECK(profile_to_json(&p) == NULL);
  CHECK(strstr(dlf_last_error(), "sample 0: 'op': unknown op") != NULL);
}

typedef struct bad_case {
  const char *name;
  const char *from, *to; /* replace in HDR S0 "," S1 END; from NULL: `to` is the whole text */
  dlf_status code;
  const char *want;
} bad_case;

static const bad_case bad_cases[] = {
    {"not_json", NULL, "nope", DLF_ERR_PARSE, "bad.json: not valid JSON (error at line 1"},
    {"array_root", NULL, "[]", DLF_ERR_PARSE, "bad.json: a profile must be a JSON object"},
    {"no_version", "\"dlfusion_profile\": 1", "\"dlfusion\": 1", DLF_ERR_PARSE,
     "no \"dlfusion_profile\" key"},
    {"version_3", "\"dlfusion_profile\": 1", "\"dlfusion_profile\": 3", DLF_ERR_UNSUPPORTED,
     "bad.json: unsupported profile format version 3"},
    {"version_string", "\"dlfusion_profile\": 1", "\"dlfusion_profile\": \"1\"", DLF_ERR_PARSE,
     "'dlfusion_profile' must be an integer, got a string"},
    {"unknown_top_key", "\"isa\"", "\"extra\": 1, \"isa\"", DLF_ERR_PARSE,
     "bad.json: unknown key 'extra' in the profile"},
    {"duplicate_top_key", "\"isa\"", "\"isa\": \"x\", \"isa\"", DLF_ERR_PARSE,
     "key 'isa' appears twice in the profile"},
    {"missing_machine", "\"machine\": \"m\", ", "", DLF_ERR_PARSE,
     "missing key 'machine' in the profile"},
    {"machine_too_long", "\"machine\": \"m\"",
     "\"machine\": \"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
     "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"",
     DLF_ERR_PARSE, "'machine' is 150 bytes long, more than 127"},
    {"bad_fingerprint", "0123456789abcdef", "0123456789abcdeg", DLF_ERR_PARSE,
     "'fingerprint' must be 16 hex digits, got '0123456789abcdeg'"},
    {"kind_gpu", "\"kind\": \"cpu\"", "\"kind\": \"gpu\"", DLF_ERR_PARSE,
     "target 'kind' must be \"cpu\" or \"accelerator\", got 'gpu'"},
    {"unknown_target_key", "\"kind\": \"cpu\"", "\"kind\": \"cpu\", \"cores\": 2", DLF_ERR_PARSE,
     "unknown key 'cores' in 'target'"},
    {"samples_object", NULL,
     "{\"dlfusion_profile\": 1, \"target\": {\"name\": \"cpu\", \"kind\": \"cpu\", "
     "\"fingerprint\": \"0123456789abcdef\"}, \"machine\": \"m\", \"isa\": \"avx2\", "
     "\"samples\": {}}",
     DLF_ERR_PARSE, "'samples' must be an array, got an object"},
    {"sample_not_object", "[{\"op\"", "[7, {\"op\"", DLF_ERR_PARSE,
     "bad.json: sample 0: a sample must be an object, got 7"},
    {"cores_zero", "\"cores\": 2", "\"cores\": 0", DLF_ERR_PARSE,
     "bad.json: sample 1: 'cores' 0 out of range (1 to 1024)"},
    {"us_negative", "\"us\": 10.5", "\"us\": -1", DLF_ERR_PARSE,
     "bad.json: sample 0: 'us' must be a finite number >= 0, got -1"},
    {"us_infinite", "\"us\": 10.5", "\"us\": 1e999", DLF_ERR_PARSE,
     "sample 0: 'us' must be a finite number >= 0, got inf"},
    {"macs_string", "\"macs\": 112896", "\"macs\": \"many\"", DLF_ERR_PARSE,
     "sample 0: 'macs' must be a number, got a string"},
    {"op_unknown", "\"op\": \"conv\"", "\"op\": \"lstm\"", DLF_ERR_PARSE,
     "sample 0: 'op': unknown op 'lstm' (expected conv, dwconv, pool or gemm)"},
    {"h_fraction", "\"h\": 7", "\"h\": 2.5", DLF_ERR_PARSE,
     "sample 0: 'h' must be an integer, got 2.5"},
    {"cin_string", "\"cin\": 16", "\"cin\": \"16\"", DLF_ERR_PARSE,
     "sample 0: 'cin' must be an integer, got a string"},
    {"stride_zero", "\"stride\": 1", "\"stride\": 0", DLF_ERR_PARSE,
     "sample 0: 'stride' 0 out of range (1 to 1048576)"},
    {"fused_zero", "\"fused\": 2", "\"fused\": 0", DLF_ERR_PARSE,
     "sample 1: 'fused' 0 out of range (1 to 64)"},
    {"sample_duplicate_key", "\"k\": 3", "\"k\": 3, \"k\": 3", DLF_ERR_PARSE,
     "sample 0: key 'k' appears twice in a sample"},
    {"sample_unknown_key", "\"k\": 3", "\"kk\": 3, \"k\": 3", DLF_ERR_PARSE,
     "sample 0: unknown key 'kk' in a sample"},
    {"sample_missing_key", ", \"us_unfused\": 0}", "}", DLF_ERR_PARSE,
     "sample 0: missing key 'us_unfused' in a sample"},
    {"unfused_with_us_unfused", "\"us_unfused\": 0", "\"us_unfused\": 3", DLF_ERR_PARSE,
     "sample 0: 'us_unfused' must be 0 for an unfused sample (fused 1), got 3"},
    {"dwconv_channels_differ", "\"op\": \"conv\", \"h\": 7, \"w\": 7, \"cin\": 16, \"cout\": 16",
     "\"op\": \"dwconv\", \"h\": 7, \"w\": 7, \"cin\": 16, \"cout\": 32", DLF_ERR_PARSE,
     "sample 0: 'cout' 32 differs from 'cin' 16 for a dwconv"},
    {"text_after", "]}", "]} {}", DLF_ERR_PARSE,
     "bad.json: not valid JSON: text after the value at line 1"},
    {"nul_escape", "\"isa\": \"avx2\"", "\"isa\": \"av\\u0000x2\"", DLF_ERR_PARSE,
     "a \\u0000 escape (NUL) in a string"},
    {"too_deep", "\"isa\": \"avx2\"", "\"isa\": [[[[[[[[[1]]]]]]]]]", DLF_ERR_LIMIT,
     "JSON nested deeper than 8 levels"},
};

TEST(test_profile_file_bad_texts_fail_with_messages_naming_file_sample_and_field) {
  const char *good = HDR S0 "," S1 END;
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const bad_case *c = &bad_cases[i];
    char *text = c->from ? replace(good, c->from, c->to) : strdup(c->to);
    if (!text) {
      test_fail(__FILE__, __LINE__, "%s: '%s' is not in the good text", c->name, c->from);
      continue;
    }
    profile p;
    dlf_status st = profile_parse(text, strlen(text), "bad.json", &p);
    if (st != c->code || !strstr(dlf_last_error(), c->want))
      test_fail(__FILE__, __LINE__, "%s: expected status %d and '%s', got %d: '%s'", c->name,
                (int)c->code, c->want, (int)st, dlf_last_error());
    if (st != DLF_OK) CHECK(p.samples == NULL && p.n_samples == 0);
    if (st == DLF_OK) profile_free(&p);
    free(text);
  }
}

TEST(test_profile_file_nul_byte_and_sample_limit_are_refused) {
  const char text[] = "{\"dlfusion_profile\": 1\0}";
  profile p;
  CHECK(profile_parse(text, sizeof text - 1, "nul.json", &p) == DLF_ERR_PARSE);
  CHECK(strstr(dlf_last_error(), "nul.json: not valid JSON: a NUL byte at offset 22") != NULL);
  /* PROFILE_MAX_SAMPLES + 1 (empty) samples: refused by count before any sample is read */
  size_t n = (size_t)PROFILE_MAX_SAMPLES + 1, len = strlen(HDR) + 3 * n + 8;
  char *big = malloc(len);
  REQUIRE(big);
  size_t at = (size_t)snprintf(big, len, "%s", HDR);
  for (size_t i = 0; i < n; i++)
    at += (size_t)snprintf(big + at, len - at, i ? ",{}" : "{}");
  snprintf(big + at, len - at, "%s", END);
  CHECK(profile_parse(big, strlen(big), "big.json", &p) == DLF_ERR_LIMIT);
  CHECK(strstr(dlf_last_error(), "big.json: 100001 samples, more than the limit of 100000") !=
        NULL);
  free(big);
}

TEST(test_profile_sample_macs_are_hand_computed_operation_counts) {
  profile_sample s = {"conv", 56, 56, 64, 64, 3, 1, 1, 1, 0, 0, 0};
  CHECK(profile_sample_macs(&s) == 56.0 * 56 * 64 * 64 * 9); /* 115605504 */
  s.stride = 2, s.cout = 128;                                /* (56 + 2 - 3) / 2 + 1 = 28 */
  CHECK(profile_sample_macs(&s) == 28.0 * 28 * 128 * 64 * 9);
  profile_sample d = {"dwconv", 14, 14, 64, 64, 3, 1, 1, 1, 0, 0, 0};
  CHECK(profile_sample_macs(&d) == 14.0 * 14 * 64 * 9);
  profile_sample pl = {"pool", 14, 14, 64, 64, 2, 2, 1, 1, 0, 0, 0}; /* 7x7 out, 4 visits */
  CHECK(profile_sample_macs(&pl) == 7.0 * 7 * 64 * 4);
  profile_sample r3 = {"pool", 112, 112, 64, 64, 3, 2, 1, 1, 0, 0, 0}; /* 56x56, 9 visits */
  CHECK(profile_sample_macs(&r3) == 56.0 * 56 * 64 * 9);
  profile_sample g = {"gemm", 1, 1, 512, 1000, 1, 1, 1, 1, 0, 0, 0};
  CHECK(profile_sample_macs(&g) == 512000.0);
}

/* The quick grid, as documented in docs/profile.md: op, size, cin, cout, k, stride, fused. */
typedef struct point {
  const char *op;
  int h, cin, cout, k, stride, fused;
} point;
static const point quick_points[] = {
    {"conv", 28, 16, 16, 3, 1, 1},   {"conv", 28, 64, 64, 3, 1, 1}, {"conv", 7, 16, 16, 3, 1, 1},
    {"conv", 7, 64, 64, 3, 1, 1},    {"conv", 28, 16, 16, 1, 1, 1}, {"conv", 28, 64, 64, 1, 1, 1},
    {"conv", 7, 16, 16, 1, 1, 1},    {"conv", 7, 64, 64, 1, 1, 1},  {"conv", 14, 16, 16, 3, 1, 2},
    {"conv", 14, 32, 32, 3, 1, 2},   {"conv", 14, 32, 64, 3, 2, 1}, {"conv", 7, 32, 128, 1, 1, 1},
    {"dwconv", 14, 64, 64, 3, 1, 1}, {"pool", 14, 64, 64, 2, 2, 1}, {"gemm", 1, 256, 100, 1, 1, 1},
};

static int find_sample(const profile *p, const point *q, int cores) {
  int found = -1, count = 0;
  for (int i = 0; i < p->n_samples; i++) {
    const profile_sample *s = &p->samples[i];
    if (!strcmp(s->op, q->op) && s->h == q->h && s->w == q->h && s->cin == q->cin &&
        s->cout == q->cout && s->k == q->k && s->stride == q->stride && s->fused == q->fused &&
        s->cores == cores)
      found = i, count++;
  }
  return count == 1 ? found : -1;
}

TEST(test_profile_quick_cpu_run_covers_every_point_and_core_number) {
  target t;
  REQUIRE_OK(target_host(0, &t));
  profile_options o = {.quick = 1, .runs = 1, .seed = 7};
  profile p;
  REQUIRE_OK(profile_run(&t, &o, &p));
  int n_points = (int)(sizeof quick_points / sizeof quick_points[0]);
  CHECK_INT(n_points * t.n_core_numbers, p.n_samples);
  CHECK(strcmp(p.target_name, "cpu") == 0);
  CHECK(p.target_fingerprint == t.fingerprint);
  CHECK(p.machine[0] != '\0' && p.isa[0] != '\0');
  for (int i = 0; i < n_points; i++) {
    for (int c = 0; c < t.n_core_numbers; c++) {
      int k = find_sample(&p, &quick_points[i], t.core_numbers[c]);
      if (k < 0) {
        test_fail(__FILE__, __LINE__, "no single sample for point %d on %d cores", i,
                  t.core_numbers[c]);
        continue;
      }
      const profile_sample *s = &p.samples[k];
      CHECK(s->us > 0);
      CHECK(s->fused > 1 ? s->us_unfused > 0 : s->us_unfused == 0);
      CHECK(s->macs == profile_sample_macs(s));
    }
  }
  /* two hand-computed operation counts of the grid */
  int a = find_sample(&p, &quick_points[0], 1), b = find_sample(&p, &quick_points[10], 1);
  REQUIRE(a >= 0 && b >= 0);
  CHECK(p.samples[a].macs == 28.0 * 28 * 16 * 16 * 9); /* 1806336 */
  CHECK(p.samples[b].macs == 7.0 * 7 * 64 * 32 * 9);   /* stride 2: 14 -> 7 */
  /* what it measured, it can write and read back */
  char *json = profile_to_json(&p);
  profile q;
  CHECK(json && profile_parse(json, strlen(json), "run", &q) == DLF_OK && profile_equal(&p, &q));
  free(json);
  profile_free(&q);
  profile_free(&p);
}

TEST(test_profile_run_refuses_bad_arguments) {
  target t;
  REQUIRE_OK(target_host(1, &t));
  profile_options o = {.runs = -1};
  profile p;
  CHECK(profile_run(&t, &o, &p) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "runs -1 out of range") != NULL);
  CHECK(profile_run(NULL, &o, &p) == DLF_ERR_INVALID_ARG);
  CHECK_INT(0, p.n_samples);
}

/* The independent path for an accelerator sample: the same layers built as a graph (tests'
 * graph builder), made a model, their layer-table entries handed to the target's block time
 * (mlu100.json: the detailed simulator, which also reads op, window, groups and input shape). */
static dlf_status accel_reference(const target *t, const point *q, int cores, double *us,
                                  double *us_unfused) {
  eg b = eg_begin();
  int64_t dims[4] = {1, q->cin, q->h, q->h}, pad = (q->k - 1) / 2;
  int64_t pads[4] = {pad, pad, pad, pad};
  int x = eg_input(&b, 4, dims), y;
  for (int l = 0; l < q->fused; l++) {
    eg_conv(&b, x, q->cin, q->cout, q->k, q->stride, pads, 1, &y);
    int in[1] = {y};
    eg_node(&b, IR_OP_RELU, 1, in, &x);
  }
  eg_output(&b, x);
  dlf_model *m;
  DLF_TRY(dlf_model_from_graph(b.g, NULL, &m));
  target_layer tl[4];
  dlf_layer_info li[4];
  int n = dlf_model_num_layers(m);
  dlf_status st = n == q->fused ? DLF_OK : dlf_error(DLF_ERR_INTERNAL, "%d layers", n);
  for (int l = 0; l < n && st == DLF_OK; l++) {
    st = dlf_model_layer(m, l, &li[l]);
    target_layer_from_info(t, &li[l], &tl[l]);
  }
  target_block_time bt;
  *us_unfused = 0;
  for (int l = 0; l < n && st == DLF_OK && n > 1; l++) {
    st = target_block_time_of(t, &tl[l], 1, cores, li[l].act_in_bytes, li[l].act_out_bytes, &bt);
    *us_unfused += bt.total_us;
  }
  if (st == DLF_OK)
    st = target_block_time_of(t, tl, n, cores, li[0].act_in_bytes, li[n - 1].act_out_bytes, &bt);
  *us = bt.total_us;
  dlf_model_free(m);
  return st;
}

TEST(test_profile_accelerator_samples_equal_the_accelerator_model_on_real_layers) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  profile_options o = {.quick = 1};
  profile p;
  REQUIRE_OK(profile_run(&t, &o, &p));
  int n_points = (int)(sizeof quick_points / sizeof quick_points[0]);
  CHECK_INT(n_points * t.n_core_numbers, p.n_samples);
  CHECK(p.target_kind == TARGET_ACCEL && p.target_fingerprint == t.fingerprint);
  CHECK(strcmp(p.machine, "simulated") == 0 && strcmp(p.isa, "sim") == 0);
  /* a single conv (3x3 stride 2, cin != cout) and a fused pair, on every core number */
  const point *single = &quick_points[10], *pair = &quick_points[9];
  for (int c = 0; c < t.n_core_numbers; c++) {
    int k = t.core_numbers[c];
    int a = find_sample(&p, single, k), f = find_sample(&p, pair, k);
    REQUIRE(a >= 0 && f >= 0);
    double us, unf;
    REQUIRE_OK(accel_reference(&t, single, k, &us, &unf));
    CHECK(p.samples[a].us == us);
    CHECK(p.samples[a].us_unfused == 0);
    REQUIRE_OK(accel_reference(&t, pair, k, &us, &unf));
    CHECK(p.samples[f].us == us);
    CHECK(p.samples[f].us_unfused == unf);
  }
  /* simulated: the same profile every time */
  profile q;
  REQUIRE_OK(profile_run(&t, &o, &q));
  CHECK(profile_equal(&p, &q));
  profile_free(&q);
  profile_free(&p);
}

TEST(test_profile_public_api_runs_saves_loads_and_queries) {
  dlf_target *t;
  REQUIRE_OK(dlf_target_host(1, &t));
  dlf_profile_options o = {.quick = 1, .runs = 1};
  dlf_profile *p = NULL, *q = NULL;
  REQUIRE_OK(dlf_profile_run_options(t, &o, &p));
  int n = dlf_profile_num_samples(p);
  CHECK_INT(15, n); /* the quick grid's points on one core */
  CHECK_INT(0, dlf_profile_num_blocks(p)); /* blocks are profiled on accelerators only */
  char pbuf[128];
  const char *path = test_tmp_path(pbuf, sizeof pbuf, "profile_api.json");
  CHECK_OK(dlf_profile_save(p, path));
  CHECK_OK(dlf_profile_load(path, &q));
  CHECK_INT(n, dlf_profile_num_samples(q));
  dlf_profile_sample a, b;
  for (int i = 0; q && i < n; i++) {
    CHECK_OK(dlf_profile_get_sample(p, i, &a));
    CHECK_OK(dlf_profile_get_sample(q, i, &b));
    CHECK(strcmp(a.op, b.op) == 0 && a.us == b.us && a.macs == b.macs && b.cores == 1);
  }
  dlf_profile_info pi;
  dlf_target_info ti;
  CHECK_OK(dlf_profile_get_info(q, &pi));
  CHECK_OK(dlf_target_get_info(t, &ti));
  CHECK(strcmp(pi.target_kind, "cpu") == 0 && pi.target_fingerprint == ti.fingerprint);
  CHECK(dlf_profile_get_sample(q, n, &b) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "sample 15 out of range (the profile has 15)") != NULL);
  dlf_profile *r = NULL;
  CHECK(dlf_profile_parse("{}", 2, &r) == DLF_ERR_PARSE && r == NULL);
  CHECK(strstr(dlf_last_error(), "profile: not a dlfusion profile") != NULL);
  CHECK(dlf_profile_run(NULL, 1, &r) == DLF_ERR_INVALID_ARG && r == NULL);
  remove(path);
  dlf_profile_free(p);
  dlf_profile_free(q);
  dlf_target_free(t);
}

/* Profile once per machine (dlf_profile_cached): the first call profiles and writes the cache,
 * the second reads it back (same samples, bit for bit); a corrupt file or one recording
 * another machine is not reused but profiled again and rewritten; an accelerator is never
 * cached. Quick grids (seconds), in a directory of this test's own. */
TEST(test_profile_cache_reuses_only_this_machines_valid_profile) {
  char dir[512], path[4096];
  test_tmp_path(dir, sizeof dir, "profile-cache");
  dlf_target *t, *accel;
  REQUIRE_OK(dlf_target_host(1, &t));
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &accel));
  const dlf_profile_options quick = {.quick = 1, .runs = 1};
  REQUIRE_OK(dlf_profile_cache_path(t, &quick, dir, path, sizeof path));
  CHECK(strncmp(path, dir, strlen(dir)) == 0 && strstr(path, "-quick.json") != NULL);
  unlink(path);
  dlf_profile *a, *b, *c;
  int reused = -1;
  REQUIRE_OK(dlf_profile_cached(t, &quick, dir, &a, &reused));
  CHECK_INT(0, reused);
  CHECK(access(path, R_OK) == 0);
  REQUIRE_OK(dlf_profile_cached(t, &quick, dir, &b, &reused));
  CHECK_INT(1, reused);
  char *ja = dlf_profile_to_json(a), *jb = dlf_profile_to_json(b);
  REQUIRE(ja && jb);
  CHECK(strcmp(ja, jb) == 0);
  /* another machine's profile under this key (a copied cache): profiled again */
  char *other = strstr(ja, "\"machine\": \"");
  REQUIRE(other);
  other[12] = other[12] == 'Z' ? 'Y' : 'Z';
  FILE *f = fopen(path, "w");
  REQUIRE(f);
  fputs(ja, f);
  fclose(f);
  REQUIRE_OK(dlf_profile_cached(t, &quick, dir, &c, &reused));
  CHECK_INT(0, reused);
  dlf_profile_free(c);
  /* a truncated file: profiled again, and the cache is valid afterwards */
  f = fopen(path, "w");
  REQUIRE(f);
  fputs("{\"dlfusion_profile\": 1, ", f);
  fclose(f);
  REQUIRE_OK(dlf_profile_cached(t, &quick, dir, &c, &reused));
  CHECK_INT(0, reused);
  dlf_profile_free(c);
  REQUIRE_OK(dlf_profile_cached(t, &quick, dir, &c, &reused));
  CHECK_INT(1, reused);
  dlf_profile_free(c);
  /* an accelerator is simulated, never cached */
  REQUIRE_OK(dlf_profile_cached(accel, &quick, dir, &c, &reused));
  CHECK_INT(0, reused);
  dlf_profile_free(c);
  REQUIRE_OK(dlf_profile_cached(accel, &quick, dir, &c, &reused));
  CHECK_INT(0, reused);
  dlf_profile_free(c);
  unlink(path);
  rmdir(dir);
  free(ja), free(jb);
  dlf_profile_free(a), dlf_profile_free(b);
  dlf_target_free(t), dlf_target_free(accel);
}
