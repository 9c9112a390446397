/* test_tune_record.c — the plan's "tuner" record is JSON built by the writer: a target whose
 * name needs escaping (quote, backslash) gives a plan that reads back with the name intact. */
#include <stdlib.h>
#include <string.h>

#include "dlfusion.h"
#include "test.h"

TEST(test_tune_record_escapes_the_target_name) {
  static const char target_json[] =
      "{\"dlfusion_target\": 1, \"name\": \"a\\\"b\\\\c\", \"kind\": \"accelerator\", "
      "\"cores\": 4, \"core_numbers\": [1, 4], \"accel\": {\"clock_ghz\": 1.0, "
      "\"peak_gflops_per_core\": 2000, \"lanes\": 32, \"onchip_bytes_per_core\": 786432, "
      "\"dram_channels\": 1, \"dram_gbps_per_channel\": 25.6, \"cores_per_channel\": 4, "
      "\"launch_us\": 20, \"sync_base_us\": 2, \"sync_per_log2_us\": 1.5}}";
  dlf_target *t;
  REQUIRE_OK(dlf_target_parse(target_json, strlen(target_json), &t));
  dlf_target_info ti;
  REQUIRE_OK(dlf_target_get_info(t, &ti));
  CHECK(strcmp(ti.name, "a\"b\\c") == 0);
  dlf_model *m;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &m));
  for (int s = DLF_TUNE_ORACLE; s <= DLF_TUNE_VENDOR; s++) {
    if (s == DLF_TUNE_GREEDY) continue; /* needs a profile; the record is the same code */
    dlf_tune_options o = {(dlf_tune_strategy)s, NULL, 0, 0, 0};
    dlf_plan *p, *back = NULL;
    REQUIRE_OK(dlf_tune(m, t, &o, &p, NULL));
    char *json = dlf_plan_to_json(p);
    REQUIRE(json);
    CHECK(strstr(json, "\"target\": \"a\\\"b\\\\c\"") != NULL);
    CHECK_OK(dlf_plan_parse(m, json, strlen(json), &back));
    /* the reread plan keeps the record (compacted) with the name intact */
    char *again = back ? dlf_plan_to_json(back) : NULL;
    CHECK(again && strstr(again, "\"target\":\"a\\\"b\\\\c\"") != NULL);
    free(again);
    free(json);
    dlf_plan_free(back);
    dlf_plan_free(p);
  }
  dlf_model_free(m);
  dlf_target_free(t);
}
