/* test_target.c — the target layer: the host target, the strict JSON reader (round trip and
 * one test table of invalid texts with their messages), targets/mlu100.json, the public API,
 * and the accelerator latency model against block times computed by hand. */
#include <stdlib.h>
#include <string.h>

#include "api/target_internal.h"
#include "core/cpu.h"
#include "target/target.h"
#include "test.h"

/* ------------------------------------------------------------------ host -- */

TEST(test_target_host_three_cores) {
  target t;
  REQUIRE_OK(target_host(3, &t));
  CHECK(strcmp(t.name, "cpu") == 0);
  CHECK_INT(TARGET_CPU, t.kind);
  CHECK_INT(3, t.cores);
  REQUIRE(t.n_core_numbers == 3);
  for (int i = 0; i < 3; i++)
    CHECK_INT(i + 1, t.core_numbers[i]);
  CHECK(target_allows_cores(&t, 1) && target_allows_cores(&t, 3));
  CHECK(!target_allows_cores(&t, 0) && !target_allows_cores(&t, 4) && !target_allows_cores(&t, -1));
  CHECK(t.fingerprint == target_fingerprint(&t));
}

TEST(test_target_host_zero_means_available_cpus) {
  target t;
  REQUIRE_OK(target_host(0, &t));
  CHECK_INT(dlf_cpu_info_get()->n_available, t.cores);
  CHECK_INT(t.cores, t.n_core_numbers);
}

TEST(test_target_host_out_of_range_cores_fail) {
  target t;
  CHECK(target_host(-1, &t) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "cores -1 out of range") != NULL);
  CHECK(target_host(TARGET_MAX_CORES + 1, &t) == DLF_ERR_INVALID_ARG);
}

/* More cores than a list holds: 64 values from 1 to cores, ascending. */
TEST(test_target_host_many_cores_spreads_core_numbers) {
  target t;
  REQUIRE_OK(target_host(100, &t));
  REQUIRE(t.n_core_numbers == TARGET_MAX_CORE_NUMBERS);
  CHECK_INT(1, t.core_numbers[0]);
  CHECK_INT(3, t.core_numbers[1]); /* 2 * 100 / 64 */
  CHECK_INT(100, t.core_numbers[TARGET_MAX_CORE_NUMBERS - 1]);
  for (int i = 1; i < t.n_core_numbers; i++)
    CHECK(t.core_numbers[i] > t.core_numbers[i - 1]);
  CHECK(target_allows_cores(&t, 100) && !target_allows_cores(&t, 2));
}

/* The fingerprint is recorded in profiles and plans: it must not change between runs or
 * builds. FNV-1a over 8 little-endian bytes per field: kind, cores, the count and each core
 * number, then the 10 model parameters (all 0 on a cpu), computed here byte by byte, and
 * pinned to the value it had when the format was written. */
TEST(test_target_fingerprint_of_host_4_by_hand) {
  int64_t fields[7 + 10] = {0 /* TARGET_CPU */, 4, 4, 1, 2, 3, 4};
  uint64_t h = 0xcbf29ce484222325ull;
  for (int f = 0; f < 17; f++)
    for (int b = 0; b < 8; b++) {
      h ^= ((uint64_t)fields[f] >> (8 * b)) & 0xff;
      h *= 0x100000001b3ull;
    }
  target t;
  REQUIRE_OK(target_host(4, &t));
  CHECK(t.fingerprint == h);
  CHECK(t.fingerprint == 0xe7e394122e1b79c1ull);
}

/* --------------------------------------------------------- the reader -- */

static const char toy_json[] =
    "{\"dlfusion_target\": 1, \"name\": \"toy\", \"kind\": \"accelerator\", \"cores\": 8,\n"
    " \"core_numbers\": [1, 2, 4, 8],\n"
    " \"accel\": {\"clock_ghz\": 1, \"peak_gflops_per_core\": 100, \"lanes\": 16,\n"
    "   \"onchip_bytes_per_core\": 1000, \"dram_channels\": 2, \"dram_gbps_per_channel\": 10,\n"
    "   \"cores_per_channel\": 4, \"launch_us\": 10, \"sync_base_us\": 2,\n"
    "   \"sync_per_log2_us\": 1},\n"
    " \"sim\": {\"elem_bytes\": 2, \"vector_elems_per_cycle\": 8, \"dma_setup_us\": 1},\n"
    " \"comment\": \"round numbers for hand-computed times\"}\n";

static void toy(target *t) {
  if (target_parse(toy_json, strlen(toy_json), "toy.json", t) != DLF_OK) {
    test_fail(__FILE__, __LINE__, "toy target: %s", dlf_last_error());
    memset(t, 0, sizeof *t);
  }
}

TEST(test_target_parse_toy_fields) {
  target t;
  REQUIRE_OK(target_parse(toy_json, strlen(toy_json), "toy.json", &t));
  CHECK(strcmp(t.name, "toy") == 0);
  CHECK_INT(TARGET_ACCEL, t.kind);
  CHECK_INT(8, t.cores);
  CHECK_INT(4, t.n_core_numbers);
  CHECK_INT(8, t.core_numbers[3]);
  CHECK_NEAR(100, t.accel.peak_gflops_per_core, 0);
  CHECK_INT(16, t.accel.lanes);
  CHECK_INT(1000, t.accel.onchip_bytes_per_core);
  CHECK_INT(2, t.accel.dram_channels);
  CHECK_NEAR(10, t.accel.dram_gbps_per_channel, 0);
  CHECK_INT(4, t.accel.cores_per_channel);
  CHECK_NEAR(1, t.accel.sync_per_log2_us, 0);
  CHECK(t.sim.present);
  CHECK_INT(2, t.sim.elem_bytes);
  CHECK_NEAR(8, t.sim.vector_elems_per_cycle, 0);
  CHECK_NEAR(1, t.sim.dma_setup_us, 0);
  CHECK(target_allows_cores(&t, 4) && !target_allows_cores(&t, 3));
}

static void check_round_trip(const target *a) {
  char *json = target_to_json(a);
  if (!json) {
    test_fail(__FILE__, __LINE__, "target_to_json failed: %s", dlf_last_error());
    return;
  }
  target b;
  if (target_parse(json, strlen(json), "again", &b) != DLF_OK)
    test_fail(__FILE__, __LINE__, "re-reading failed: %s\n%s", dlf_last_error(), json);
  else if (!target_equal(a, &b) || a->fingerprint != b.fingerprint)
    test_fail(__FILE__, __LINE__, "round trip changed the target:\n%s", json);
  free(json);
}

TEST(test_target_round_trip_accelerator) {
  target t;
  toy(&t);
  check_round_trip(&t);
}

/* Values that print badly with %g (0.1, 1/3) and a name with quotes, a backslash and UTF-8. */
TEST(test_target_round_trip_awkward_values) {
  target t;
  toy(&t);
  t.accel.clock_ghz = 0.1;
  t.accel.peak_gflops_per_core = 1.0 / 3.0;
  t.accel.dram_gbps_per_channel = 25.6;
  t.accel.sync_per_log2_us = 1e-7;
  t.accel.onchip_bytes_per_core = (int64_t)1 << 40;
  strcpy(t.name, "a \"b\" \\c \xc3\xa9");
  t.fingerprint = target_fingerprint(&t);
  check_round_trip(&t);
}

TEST(test_target_round_trip_host) {
  target t;
  REQUIRE_OK(target_host(5, &t));
  check_round_trip(&t);
}

TEST(test_target_cpu_file_defaults_core_numbers) {
  const char *s = "{\"dlfusion_target\": 1, \"name\": \"laptop\", \"kind\": \"cpu\", \"cores\": 4}";
  target t, h;
  REQUIRE_OK(target_parse(s, strlen(s), "laptop.json", &t));
  CHECK_INT(TARGET_CPU, t.kind);
  REQUIRE(t.n_core_numbers == 4);
  CHECK_INT(4, t.core_numbers[3]);
  /* the same machine description as the host's: same fingerprint, whatever the name */
  REQUIRE_OK(target_host(4, &h));
  CHECK(t.fingerprint == h.fingerprint);
}

TEST(test_target_cpu_file_with_core_numbers) {
  const char *s = "{\"dlfusion_target\": 1, \"name\": \"big\", \"kind\": \"cpu\", \"cores\": 16, "
                  "\"core_numbers\": [1, 2, 4, 16]}";
  target t;
  REQUIRE_OK(target_parse(s, strlen(s), "big.json", &t));
  CHECK_INT(4, t.n_core_numbers);
  CHECK(target_allows_cores(&t, 16) && !target_allows_cores(&t, 8));
  check_round_trip(&t);
}

TEST(test_target_fingerprint_changes_with_every_parameter) {
  target a, b;
  toy(&a);
  uint64_t base = target_fingerprint(&a);
  double *dbl[] = {
      &b.accel.clock_ghz, &b.accel.peak_gflops_per_core, &b.accel.dram_gbps_per_channel,
      &b.accel.launch_us, &b.accel.sync_base_us,         &b.accel.sync_per_log2_us};
  for (int i = 0; i < 6; i++) {
    b = a;
    *dbl[i] *= 1.0 + 1e-15;
    CHECK(target_fingerprint(&b) != base);
  }
  int *ints[] = {&b.accel.lanes, &b.accel.dram_channels, &b.accel.cores_per_channel, &b.cores,
                 &b.core_numbers[1]};
  for (int i = 0; i < 5; i++) {
    b = a;
    *ints[i] += 1;
    CHECK(target_fingerprint(&b) != base);
  }
  b = a;
  b.accel.onchip_bytes_per_core++;
  CHECK(target_fingerprint(&b) != base);
  /* the detailed simulator's parameters, and whether the file has them */
  b = a;
  b.sim.elem_bytes++;
  CHECK(target_fingerprint(&b) != base);
  b = a;
  b.sim.vector_elems_per_cycle *= 1.0 + 1e-15;
  CHECK(target_fingerprint(&b) != base);
  b = a;
  b.sim.dma_setup_us *= 1.0 + 1e-15;
  CHECK(target_fingerprint(&b) != base);
  b = a;
  b.sim.present = false;
  CHECK(target_fingerprint(&b) != base);
  /* without a "sim" object its fields are not hashed (old fingerprints stay) */
  target c = b;
  c.sim.dma_setup_us = 99;
  CHECK(target_fingerprint(&c) == target_fingerprint(&b));
  b = a;
  b.kind = TARGET_CPU;
  CHECK(target_fingerprint(&b) != base);
  b = a;
  strcpy(b.name, "renamed"); /* the name is not part of it */
  CHECK(target_fingerprint(&b) == base);
}

TEST(test_target_mlu100_file_loads) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  CHECK(strcmp(t.name, "mlu100") == 0);
  CHECK_INT(TARGET_ACCEL, t.kind);
  CHECK_INT(32, t.cores);
  static const int want[] = {1, 4, 8, 16, 32};
  REQUIRE(t.n_core_numbers == 5);
  for (int i = 0; i < 5; i++)
    CHECK_INT(want[i], t.core_numbers[i]);
  /* the published figures (docs/targets.md) */
  CHECK_NEAR(64000, t.accel.peak_gflops_per_core * t.cores, 0);
  CHECK_NEAR(102.4, t.accel.dram_gbps_per_channel * t.accel.dram_channels, 1e-9);
  CHECK_INT(8, t.accel.cores_per_channel);
  check_round_trip(&t);
}

TEST(test_target_edge_npu8_file_loads) {
  target t;
  REQUIRE_OK(target_load("targets/edge_npu8.json", &t));
  CHECK(strcmp(t.name, "edge_npu8") == 0);
  CHECK_INT(8, t.cores);
  REQUIRE(t.n_core_numbers == 4);
  CHECK_INT(8, t.core_numbers[3]);
  CHECK(t.sim.present);
  CHECK_INT(1, t.sim.elem_bytes); /* int8 */
  check_round_trip(&t);
}

TEST(test_target_round_trip_without_sim) {
  target t;
  toy(&t);
  t.sim = (target_sim){0};
  t.fingerprint = target_fingerprint(&t);
  check_round_trip(&t);
  char *json = target_to_json(&t);
  REQUIRE(json);
  CHECK(strstr(json, "\"sim\"") == NULL);
  free(json);
}

TEST(test_target_load_missing_file_names_it) {
  target t;
  CHECK(target_load("targets/no_such_target.json", &t) == DLF_ERR_IO);
  CHECK(strstr(dlf_last_error(), "targets/no_such_target.json: cannot open") != NULL);
}

/* One invalid text per row: the valid toy text with one substring replaced, and a piece of
 * the one-line message it must get ("bad.json: " is checked on every row). */
typedef struct bad_case {
  const char *from, *to; /* from == NULL: `to` is the whole text */
  const char *msg;
} bad_case;

static const bad_case bad_cases[] = {
    {NULL, "nope", "not valid JSON (error at line 1, column 1)"},
    {NULL, "", "not valid JSON: the text is empty"},
    {NULL, "[1, 2]", "a target must be a JSON object, got an array"},
    {"\"dlfusion_target\": 1, ", "", "not a dlfusion target: no \"dlfusion_target\" key"},
    {"\"dlfusion_target\": 1", "\"dlfusion_target\": 2", "unsupported target format version 2"},
    {"\"dlfusion_target\": 1", "\"dlfusion_target\": \"1\"",
     "dlfusion_target (the format version) must be an integer, got a string"},
    {"\"name\"", "\"nmae\"", "unknown key 'nmae' in the target (expected dlfusion_target, name"},
    {"\"cores\": 8,", "\"cores\": 8, \"cores\": 8,", "key 'cores' appears twice in the target"},
    {"\"name\": \"toy\", ", "", "missing key 'name'"},
    {"\"lanes\"", "\"lane\"", "unknown key 'lane' in accel"},
    {"\"lanes\": 16,", "\"lanes\": 16, \"lanes\": 16,", "key 'lanes' appears twice in accel"},
    {"\"launch_us\": 10, ", "", "missing key 'accel.launch_us'"},
    {"\"dram_gbps_per_channel\": 10", "\"dram_gbps_per_channel\": -3",
     "accel.dram_gbps_per_channel must be a positive number, got -3"},
    {"\"peak_gflops_per_core\": 100", "\"peak_gflops_per_core\": 0",
     "accel.peak_gflops_per_core must be a positive number, got 0"},
    {"\"peak_gflops_per_core\": 100", "\"peak_gflops_per_core\": 1e999",
     "accel.peak_gflops_per_core must be a positive number, got inf"},
    {"\"peak_gflops_per_core\": 100", "\"peak_gflops_per_core\": \"fast\"",
     "accel.peak_gflops_per_core must be a positive number, got a string"},
    {"\"peak_gflops_per_core\": 100", "\"peak_gflops_per_core\": 1e10",
     "accel.peak_gflops_per_core 10000000000 out of range (0.001 to 1000000000)"},
    {"\"clock_ghz\": 1", "\"clock_ghz\": null",
     "accel.clock_ghz must be a positive number, got null"},
    {"\"lanes\": 16", "\"lanes\": 2.5", "accel.lanes must be an integer, got 2.5"},
    {"\"lanes\": 16", "\"lanes\": 0", "accel.lanes must be a positive integer, got 0"},
    {"\"lanes\": 16", "\"lanes\": true", "accel.lanes must be an integer, got true"},
    {"\"onchip_bytes_per_core\": 1000", "\"onchip_bytes_per_core\": 1e20",
     "accel.onchip_bytes_per_core 1e+20 out of range (1 to 1099511627776)"},
    {"\"launch_us\": 10", "\"launch_us\": -1",
     "accel.launch_us must be a non-negative number, got -1"},
    {"\"cores_per_channel\": 4", "\"cores_per_channel\": 9",
     "accel.cores_per_channel 9 is more than the target's 8 cores"},
    {"\"cores\": 8", "\"cores\": 0", "cores must be a positive integer, got 0"},
    {"\"cores\": 8", "\"cores\": 2000", "cores 2000 out of range (1 to 1024)"},
    {"\"cores\": 8", "\"cores\": 8.5", "cores must be an integer, got 8.5"},
    {"[1, 2, 4, 8]", "[1, 4, 2, 8]",
     "core_numbers must be strictly ascending: core_numbers[2] = 2 follows 4"},
    {"[1, 2, 4, 8]", "[1, 2, 2, 8]", "core_numbers must be strictly ascending"},
    {"[1, 2, 4, 8]", "[1, 2, 4, 16]", "core_numbers[3] 16 out of range (1 to 8)"},
    {"[1, 2, 4, 8]", "[]", "core_numbers must not be empty"},
    {"[1, 2, 4, 8]", "[1, \"2\"]", "core_numbers[1] must be an integer, got a string"},
    {"[1, 2, 4, 8]", "8", "core_numbers must be an array of integers, got 8"},
    {" \"core_numbers\": [1, 2, 4, 8],\n", "", "missing key 'core_numbers'"},
    {"\"accelerator\"", "\"gpu\"", "kind must be \"accelerator\" or \"cpu\", got 'gpu'"},
    {"\"accelerator\"", "\"cpu\"", "accel is only for kind \"accelerator\""},
    {"\"toy\"", "\"\"", "name must not be empty"},
    {"\"toy\"", "\"0123456789012345678901234567890123456789012345678901234567890123456789\"",
     "is 70 bytes long (at most 63)"},
    {"\"toy\"", "\"to\\ny\"", "name 'to?y' has a control character (byte 0x0a at offset 2)"},
    {"\"toy\"", "\"to\\u0000y\"", "a \\u0000 escape (NUL) in a string"},
    {"\"toy\"", "7", "name must be a string, got 7"},
    {"\"accel\": {", "\"accel\": [{", "not valid JSON"},
    {"\"dma_setup_us\"", "\"dma_setup\"", "unknown key 'dma_setup' in sim"},
    {"\"elem_bytes\": 2,", "\"elem_bytes\": 2, \"elem_bytes\": 2,",
     "key 'elem_bytes' appears twice in sim"},
    {"\"elem_bytes\": 2, ", "", "missing key 'sim.elem_bytes'"},
    {"\"elem_bytes\": 2", "\"elem_bytes\": 0", "sim.elem_bytes must be a positive integer, got 0"},
    {"\"elem_bytes\": 2", "\"elem_bytes\": 16", "sim.elem_bytes 16 out of range (1 to 8)"},
    {"\"elem_bytes\": 2", "\"elem_bytes\": 1.5", "sim.elem_bytes must be an integer, got 1.5"},
    {"\"vector_elems_per_cycle\": 8", "\"vector_elems_per_cycle\": -1",
     "sim.vector_elems_per_cycle must be a positive number, got -1"},
    {"\"dma_setup_us\": 1", "\"dma_setup_us\": -1",
     "sim.dma_setup_us must be a non-negative number, got -1"},
    {"\"dma_setup_us\": 1", "\"dma_setup_us\": \"slow\"",
     "sim.dma_setup_us must be a non-negative number, got a string"},
    {"\"sim\": {\"elem_bytes\": 2, \"vector_elems_per_cycle\": 8, \"dma_setup_us\": 1}",
     "\"sim\": 3", "sim must be an object, got 3"},
    {"\"round numbers for hand-computed times\"", "5", "comment must be a string, got 5"},
    {"\"round numbers for hand-computed times\"}", "\"x\"} {}",
     "not valid JSON: text after the value at line 8"},
    {"\"round numbers for hand-computed times\"", "[[[[[[[[[1]]]]]]]]]",
     "JSON nested deeper than 8 levels"},
};

static char *replace(const char *s, const char *from, const char *to) {
  const char *at = strstr(s, from);
  if (!at) return NULL;
  size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  if (!out) return NULL;
  size_t head = (size_t)(at - s);
  memcpy(out, s, head);
  strcpy(out + head, to);
  strcat(out, at + strlen(from));
  return out;
}

TEST(test_target_invalid_texts_each_get_their_message) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const bad_case *c = &bad_cases[i];
    char *text = c->from ? replace(toy_json, c->from, c->to) : strdup(c->to);
    if (!text) {
      test_fail(__FILE__, __LINE__, "case %zu: '%s' is not in the toy text", i, c->from);
      continue;
    }
    target t;
    dlf_status st = target_parse(text, strlen(text), "bad.json", &t);
    const char *msg = dlf_last_error();
    if (st == DLF_OK)
      test_fail(__FILE__, __LINE__, "case %zu (%s): accepted:\n%s", i, c->msg, text);
    else if (strncmp(msg, "bad.json: ", 10) != 0 || !strstr(msg, c->msg) || strchr(msg, '\n'))
      test_fail(__FILE__, __LINE__, "case %zu: expected '%s' in '%s'", i, c->msg, msg);
    free(text);
  }
}

TEST(test_target_cpu_with_sim_refused) {
  const char *s =
      "{\"dlfusion_target\": 1, \"name\": \"laptop\", \"kind\": \"cpu\", \"cores\": 4, "
      "\"sim\": {\"elem_bytes\": 2, \"vector_elems_per_cycle\": 8, \"dma_setup_us\": 1}}";
  target t;
  CHECK(target_parse(s, strlen(s), "cpu.json", &t) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "cpu.json: sim is only for kind \"accelerator\"") != NULL);
}

TEST(test_target_nul_byte_refused) {
  char text[sizeof toy_json];
  memcpy(text, toy_json, sizeof toy_json);
  text[40] = '\0';
  target t;
  CHECK(target_parse(text, sizeof toy_json - 1, "nul.json", &t) == DLF_ERR_PARSE);
  CHECK(strstr(dlf_last_error(), "nul.json: not valid JSON: a NUL byte at offset 40") != NULL);
}

TEST(test_target_too_many_core_numbers_refused) {
  char list[600] = "[";
  for (int i = 1; i <= TARGET_MAX_CORE_NUMBERS + 1; i++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i > 1 ? ", " : "", i);
  strcat(list, "]");
  char *a = replace(toy_json, "[1, 2, 4, 8]", list);
  char *b = a ? replace(a, "\"cores\": 8", "\"cores\": 1024") : NULL;
  REQUIRE(b);
  target t;
  CHECK(target_parse(b, strlen(b), "many.json", &t) == DLF_ERR_LIMIT);
  CHECK(strstr(dlf_last_error(), "many.json: core_numbers lists 65 values (at most 64)") != NULL);
  free(a);
  free(b);
}

TEST(test_target_file_over_1mib_refused) {
  size_t n = ((size_t)1 << 20) + 1;
  char *big = malloc(n);
  REQUIRE(big);
  memset(big, ' ', n);
  target t;
  CHECK(target_parse(big, n, "big.json", &t) == DLF_ERR_LIMIT);
  CHECK(strstr(dlf_last_error(), "big.json: target is 1048577 bytes, more than the") != NULL);
  free(big);
}

/* ------------------------------------------------- the accelerator model -- */
/* The toy target: peak 100 GFLOP/s per core = 1e5 FLOP/us, lanes 16, 1000 on-chip bytes per
 * core, 2 DRAM channels of 10 GB/s = 1e4 B/us, 4 cores per channel, launch 10 us,
 * sync(k) = 2 + log2(k) us (k > 1). */

static target_layer layer(int64_t macs, int64_t cin, int64_t w, int64_t in, int64_t out,
                          int64_t units) {
  target_layer l = {.macs = macs,
                    .in_channels = cin,
                    .out_channels = 16,
                    .weight_bytes = w,
                    .act_in_bytes = in,
                    .act_out_bytes = out,
                    .work_units = units};
  return l;
}

/* 2e6 FLOP on 4 cores: 2e6 / 4e5 = 5 us; 2000 B over 1 channel: 0.2 us; sync(4) = 4. */
TEST(test_accel_compute_bound_layer) {
  target t;
  toy(&t);
  target_layer l = layer(1000000, 32, 0, 1000, 1000, 0);
  target_block_time bt;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 4, 1000, 1000, &bt));
  CHECK_NEAR(5.0, bt.compute_us, 1e-9);
  CHECK_NEAR(0.2, bt.dram_us, 1e-9);
  CHECK_NEAR(4.0, bt.sync_us, 1e-9);
  CHECK_NEAR(10.0, bt.launch_us, 0);
  CHECK_NEAR(19.0, bt.total_us, 1e-9);
  CHECK_INT(2000, bt.dram_bytes);
  CHECK(!bt.spilled);
}

/* 100000 weight bytes: on 8 cores (2 channels, 2e4 B/us) 5 us; on 1 core (1 channel) 10 us. */
TEST(test_accel_dram_bound_layer) {
  target t;
  toy(&t);
  target_layer l = layer(1000, 32, 100000, 0, 0, 0);
  target_block_time bt;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 8, 0, 0, &bt));
  CHECK_NEAR(5.0, bt.dram_us, 1e-9);
  CHECK_NEAR(2000.0 / 8e5, bt.compute_us, 1e-12);
  CHECK_NEAR(10 + 5 + 5, bt.total_us, 1e-9); /* sync(8) = 2 + 3 */
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 1, 0, 0, &bt));
  CHECK_NEAR(10.0, bt.dram_us, 1e-9);
  CHECK_NEAR(0.0, bt.sync_us, 0);
  CHECK_NEAR(20.0, bt.total_us, 1e-9);
}

/* 3 input channels on 16 lanes: eff = 3/16; 6e5 FLOP / (1e5 * 3/16) = 32 us on one core. */
TEST(test_accel_few_channels_waste_lanes) {
  target t;
  toy(&t);
  target_layer l = layer(300000, 3, 0, 0, 0, 0);
  target_block_time bt;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 1, 0, 0, &bt));
  CHECK_NEAR(32.0, bt.compute_us, 1e-9);
  l.in_channels = 17; /* 17 / 32 */
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 1, 0, 0, &bt));
  CHECK_NEAR(6e5 / (1e5 * 17.0 / 32.0), bt.compute_us, 1e-9);
}

/* 3 work units cannot use 8 cores (k_eff 3); 12 units on 8 cores take 2 rounds (k_eff 6). */
TEST(test_accel_work_units_bound_useful_cores) {
  target t;
  toy(&t);
  target_layer l = layer(1000000, 16, 0, 0, 0, 3);
  target_block_time bt;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 8, 0, 0, &bt));
  CHECK_NEAR(2e6 / 3e5, bt.compute_us, 1e-9);
  l.work_units = 12;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 8, 0, 0, &bt));
  CHECK_NEAR(2e6 / 6e5, bt.compute_us, 1e-9);
  l.work_units = 16;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 8, 0, 0, &bt));
  CHECK_NEAR(2e6 / 8e5, bt.compute_us, 1e-9);
}

/* Two layers on 1 core (1000 on-chip bytes), 200 weight bytes: an 800-byte intermediate fits
 * exactly (200 + 800 = 1000); a 900-byte one spills and costs 2 x 900 DRAM bytes; on 2 cores
 * (2000 bytes) it fits again. */
TEST(test_accel_intermediate_spills_when_it_does_not_fit) {
  target t;
  toy(&t);
  target_layer ls[2] = {layer(1000, 16, 100, 500, 800, 0), layer(1000, 16, 100, 800, 500, 0)};
  target_block_time bt;
  REQUIRE_OK(target_accel_block_time(&t, ls, 2, 1, 500, 500, &bt));
  CHECK(!bt.spilled);
  CHECK_INT(200 + 500 + 500, bt.dram_bytes);
  ls[0].act_out_bytes = ls[1].act_in_bytes = 900;
  REQUIRE_OK(target_accel_block_time(&t, ls, 2, 1, 500, 500, &bt));
  CHECK(bt.spilled);
  CHECK_INT(200 + 500 + 500 + 2 * 900, bt.dram_bytes);
  CHECK_NEAR((200 + 1000 + 1800) / 1e4, bt.dram_us, 1e-12);
  REQUIRE_OK(target_accel_block_time(&t, ls, 2, 2, 500, 500, &bt));
  CHECK(!bt.spilled);
  CHECK_INT(1200, bt.dram_bytes);
}

/* One barrier per layer: sync(k) = 2 + log2(k), 0 on one core; a 3-layer block pays it 3x. */
TEST(test_accel_sync_grows_with_k_and_layers) {
  target t;
  toy(&t);
  target_layer ls[3] = {layer(0, 16, 0, 0, 0, 0), layer(0, 16, 0, 0, 0, 0),
                        layer(0, 16, 0, 0, 0, 0)};
  static const int ks[] = {1, 2, 4, 8};
  static const double per_layer[] = {0, 3, 4, 5};
  target_block_time bt;
  for (int i = 0; i < 4; i++) {
    REQUIRE_OK(target_accel_block_time(&t, ls, 1, ks[i], 0, 0, &bt));
    CHECK_NEAR(per_layer[i], bt.sync_us, 1e-12);
    CHECK_NEAR(10 + per_layer[i], bt.total_us, 1e-12);
    REQUIRE_OK(target_accel_block_time(&t, ls, 3, ks[i], 0, 0, &bt));
    CHECK_NEAR(3 * per_layer[i], bt.sync_us, 1e-12);
  }
}

/* Two layers of 2e5 FLOP each on 8 cores with a 6000-byte intermediate (fits in 8000).
 * Unfused: each 10 + 5 + max(0.25, (4000 + 6000) / 2e4 = 0.5) = 15.5 us, 31 in all.
 * Fused: 10 + 2 * 5 + max(0.5, (4000 + 4000) / 2e4 = 0.4) = 20.5 us. */
TEST(test_accel_fused_pair_keeps_intermediate_on_chip) {
  target t;
  toy(&t);
  target_layer ls[2] = {layer(100000, 16, 0, 4000, 6000, 0), layer(100000, 16, 0, 6000, 4000, 0)};
  target_block_time a, b, f;
  REQUIRE_OK(target_accel_block_time(&t, &ls[0], 1, 8, 4000, 6000, &a));
  REQUIRE_OK(target_accel_block_time(&t, &ls[1], 1, 8, 6000, 4000, &b));
  CHECK_NEAR(15.5, a.total_us, 1e-9);
  CHECK_NEAR(15.5, b.total_us, 1e-9);
  REQUIRE_OK(target_accel_block_time(&t, ls, 2, 8, 4000, 4000, &f));
  CHECK(!f.spilled);
  CHECK_INT(8000, f.dram_bytes);
  CHECK_NEAR(10.0, f.sync_us, 1e-12);
  CHECK_NEAR(0.5, f.compute_us, 1e-12);
  CHECK_NEAR(20.5, f.total_us, 1e-9);
}

TEST(test_accel_refuses_cpu_target_and_disallowed_cores) {
  target t, h;
  toy(&t);
  REQUIRE_OK(target_host(2, &h));
  target_layer l = layer(1, 1, 0, 0, 0, 0);
  target_block_time bt;
  CHECK(target_accel_block_time(&h, &l, 1, 1, 0, 0, &bt) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "target 'cpu' is a cpu target") != NULL);
  CHECK(target_accel_block_time(&t, &l, 1, 3, 0, 0, &bt) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "target 'toy': 3 is not an allowed core number") != NULL);
  CHECK(target_accel_block_time(&t, &l, 0, 1, 0, 0, &bt) == DLF_ERR_INVALID_ARG);
  l.macs = -1;
  CHECK(target_accel_block_time(&t, &l, 1, 1, 0, 0, &bt) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "layer field macs is negative (-1)") != NULL);
  l.macs = 1;
  CHECK(target_accel_block_time(&t, &l, 1, 1, -5, 0, &bt) == DLF_ERR_INVALID_ARG);
}

/* mlu100, 1 core vs 32 on the example conv of `dlfusion target` (docs/targets.md): hand
 * numbers from the doc's worked example. */
TEST(test_accel_mlu100_worked_example) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  dlf_layer_info li;
  memset(&li, 0, sizeof li);
  li.ndim_out = 4;
  li.out_dims[0] = 1;
  li.out_dims[1] = 64;
  li.out_dims[2] = li.out_dims[3] = 56;
  li.in_channels = li.out_channels = 64;
  li.macs = 56 * 56 * 64 * 64 * 9;
  li.weight_bytes = (64 * 64 * 9 + 64) * 4;
  li.act_in_bytes = li.act_out_bytes = 56 * 56 * 64 * 4;
  target_layer l;
  target_layer_from_info(&t, &li, &l);
  CHECK_INT(112, l.work_units); /* 56 rows x ceil(64 / 32) */
  target_block_time bt;
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 32, li.act_in_bytes, li.act_out_bytes, &bt));
  CHECK_INT(147712 + 2 * 802816, bt.dram_bytes);
  CHECK_NEAR(231211008.0 / (28 * 2000e3), bt.compute_us, 1e-9); /* k_eff = 112 / 4 */
  CHECK_NEAR(1753344.0 / 102.4e3, bt.dram_us, 1e-9);
  CHECK_NEAR(2 + 1.5 * 5, bt.sync_us, 1e-12);
  CHECK_NEAR(20 + 9.5 + 1753344.0 / 102.4e3, bt.total_us, 1e-9);
  REQUIRE_OK(target_accel_block_time(&t, &l, 1, 1, li.act_in_bytes, li.act_out_bytes, &bt));
  CHECK_NEAR(20 + 231211008.0 / 2000e3, bt.total_us, 1e-9);
}

/* docs/targets.md's fused pair: two such convs on 32 cores keep the intermediate on chip.
 * (The first-order model: mlu100.json also has a "sim" object, which dlf_target_block_time
 * prices with; test_accel_sim.c pins that.) */
TEST(test_accel_mlu100_worked_example_fused_pair) {
  target t;
  REQUIRE_OK(target_load("targets/mlu100.json", &t));
  dlf_layer_info li[2];
  memset(li, 0, sizeof li);
  for (int i = 0; i < 2; i++) {
    li[i].ndim_out = 4;
    li[i].out_dims[0] = 1;
    li[i].out_dims[1] = 64;
    li[i].out_dims[2] = li[i].out_dims[3] = 56;
    li[i].in_channels = li[i].out_channels = 64;
    li[i].macs = 115605504;
    li[i].weight_bytes = 147712;
    li[i].act_in_bytes = li[i].act_out_bytes = 802816;
  }
  target_layer tl[2];
  target_layer_from_info(&t, &li[0], &tl[0]);
  target_layer_from_info(&t, &li[1], &tl[1]);
  target_block_time one, two;
  CHECK_OK(target_accel_block_time(&t, tl, 1, 32, 802816, 802816, &one));
  CHECK_OK(target_accel_block_time(&t, tl, 2, 32, 802816, 802816, &two));
  CHECK(!two.spilled);
  CHECK_INT(1901056, two.dram_bytes);
  CHECK_NEAR(20 + 2 * 9.5 + 1901056 / 102.4e3, two.total_us, 1e-9);
  CHECK_NEAR(46.62, one.total_us, 0.01);
  CHECK_NEAR(57.57, two.total_us, 0.01);
}

/* ------------------------------------------------------------ public API -- */

TEST(test_target_api_load_and_info) {
  dlf_target *t = NULL;
  REQUIRE_OK(dlf_target_load("targets/mlu100.json", &t));
  dlf_target_info in;
  REQUIRE_OK(dlf_target_get_info(t, &in));
  CHECK(strcmp(in.name, "mlu100") == 0 && strcmp(in.kind, "accelerator") == 0);
  CHECK_INT(32, in.cores);
  REQUIRE(in.n_core_numbers == 5);
  CHECK_INT(16, in.core_numbers[3]);
  CHECK_INT(32, in.lanes);
  CHECK(in.fingerprint == dlf_target_get(t)->fingerprint);
  char *json = dlf_target_to_json(t);
  REQUIRE(json);
  dlf_target *u = NULL;
  CHECK_OK(dlf_target_parse(json, strlen(json), &u));
  CHECK(u && target_equal(dlf_target_get(t), dlf_target_get(u)));
  free(json);
  dlf_target_free(u);
  dlf_target_free(t);
}

TEST(test_target_api_host_and_block_time_refused_on_cpu) {
  dlf_target *t = NULL;
  REQUIRE_OK(dlf_target_host(2, &t));
  dlf_target_info in;
  REQUIRE_OK(dlf_target_get_info(t, &in));
  CHECK(strcmp(in.kind, "cpu") == 0 && in.cores == 2 && in.n_core_numbers == 2);
  CHECK_NEAR(0, in.peak_gflops_per_core, 0);
  dlf_layer_info li;
  memset(&li, 0, sizeof li);
  dlf_block_time bt;
  CHECK(dlf_target_block_time(t, &li, 1, 1, &bt) == DLF_ERR_INVALID_ARG);
  dlf_target_free(t);
  CHECK(dlf_target_load("targets/mlu100.json", NULL) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_target_parse(NULL, 0, &t) == DLF_ERR_INVALID_ARG && t == NULL);
  CHECK(dlf_target_get_info(NULL, &in) == DLF_ERR_INVALID_ARG);
  CHECK(dlf_target_to_json(NULL) == NULL);
  dlf_target_free(NULL);
}

TEST(test_target_api_parse_error_names_target) {
  dlf_target *t = NULL;
  const char *s = "{\"dlfusion_target\": 1, \"name\": \"x\", \"kind\": \"cpu\", \"cores\": -2}";
  CHECK(dlf_target_parse(s, strlen(s), &t) == DLF_ERR_INVALID_ARG);
  CHECK(strstr(dlf_last_error(), "target: cores must be a positive integer, got -2") != NULL);
  CHECK(t == NULL);
}
