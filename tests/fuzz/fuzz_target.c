/* fuzz_target.c — libFuzzer harness for the target reader (src/target/target_json.c) and the
 * accelerator model: any bytes must parse or fail cleanly with a one-line message; a target
 * that parses must satisfy the reader's promises, write back to JSON that parses to the same
 * target, and give finite, non-negative simulated times at every allowed core number. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/target_internal.h"
#include "dlfusion.h"
#include "target/target.h"

static void check_times(const target *t, const uint8_t *data, size_t size) {
  /* a layer shaped by the input's first bytes, so sizes vary with the corpus */
  uint64_t v = 0;
  for (size_t i = 0; i < size && i < 8; i++)
    v = v << 8 | data[i];
  target_layer ls[2];
  for (int i = 0; i < 2; i++) {
    ls[i] = (target_layer){.macs = (int64_t)(v % 1000000007u) * (i + 1),
                           .in_channels = (int64_t)(v % 517),
                           .out_channels = (int64_t)(v % 1031),
                           .weight_bytes = (int64_t)(v % 10000019u),
                           .act_in_bytes = (int64_t)(v % 4000037u),
                           .act_out_bytes = (int64_t)(v % 3000017u) * (2 - i),
                           .work_units = (int64_t)(v % 300)};
  }
  for (int c = 0; c < t->n_core_numbers; c++) {
    int k = t->core_numbers[c];
    for (int n = 1; n <= 2; n++) {
      target_block_time bt;
      if (target_accel_block_time(t, ls, n, k, ls[0].act_in_bytes, ls[n - 1].act_out_bytes, &bt) !=
          DLF_OK)
        abort(); /* valid inputs on a valid target must simulate */
      if (!isfinite(bt.total_us) || bt.total_us < 0 || bt.compute_us < 0 || bt.dram_us < 0 ||
          bt.sync_us < 0 || bt.dram_bytes < 0)
        abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  target a, b;
  if (target_parse((const char *)data, size, "fuzz.json", &a) != DLF_OK) {
    const char *msg = dlf_last_error();
    if (strncmp(msg, "fuzz.json: ", 11) != 0 || strchr(msg, '\n')) abort(); /* one line, named */
    return 0;
  }
  /* what the reader promises */
  if (a.cores < 1 || a.cores > TARGET_MAX_CORES || a.n_core_numbers < 1 ||
      a.n_core_numbers > TARGET_MAX_CORE_NUMBERS || !a.name[0] ||
      strlen(a.name) >= TARGET_NAME_MAX || a.fingerprint != target_fingerprint(&a))
    abort();
  for (int i = 0; i < a.n_core_numbers; i++)
    if (a.core_numbers[i] < 1 || a.core_numbers[i] > a.cores ||
        (i && a.core_numbers[i] <= a.core_numbers[i - 1]) ||
        !target_allows_cores(&a, a.core_numbers[i]))
      abort();
  char *json = target_to_json(&a);
  if (!json || target_parse(json, strlen(json), "again", &b) != DLF_OK || !target_equal(&a, &b))
    abort(); /* a target we accept must survive its own writer */
  free(json);
  if (a.kind == TARGET_ACCEL) check_times(&a, data, size);
  /* and the public wrapper agrees */
  dlf_target *d = NULL;
  dlf_target_info in;
  if (dlf_target_parse((const char *)data, size, &d) != DLF_OK ||
      dlf_target_get_info(d, &in) != DLF_OK || in.cores != a.cores ||
      in.fingerprint != a.fingerprint)
    abort();
  dlf_target_free(d);
  return 0;
}
