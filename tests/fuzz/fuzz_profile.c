/* fuzz_profile.c — libFuzzer harness for the profile reader (src/tune/profile.c): any bytes
 * must parse or fail cleanly, and a profile that parses must write back to JSON that parses
 * to an equal profile (every double bit for bit) and writes the same text again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlfusion.h"
#include "tune/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  profile p, q;
  if (profile_parse((const char *)data, size, "fuzz", &p) != DLF_OK) {
    if (p.samples || p.n_samples) abort(); /* a failed parse leaves nothing behind */
    return 0;
  }
  char *json = profile_to_json(&p);
  if (!json || profile_parse(json, strlen(json), "again", &q) != DLF_OK || !profile_equal(&p, &q))
    abort(); /* a profile we accept must survive its own writer */
  char *again = profile_to_json(&q);
  if (!again || strcmp(json, again) != 0) abort();
  for (int i = 0; i < p.n_samples; i++)
    if (!(profile_sample_macs(&p.samples[i]) >= 0)) abort();
  /* the public handle over the same text */
  dlf_profile *d = NULL;
  if (dlf_profile_parse((const char *)data, size, &d) != DLF_OK ||
      dlf_profile_num_samples(d) != p.n_samples)
    abort();
  dlf_profile_sample s;
  if (p.n_samples && (dlf_profile_get_sample(d, p.n_samples - 1, &s) != DLF_OK ||
                      s.us != p.samples[p.n_samples - 1].us))
    abort();
  dlf_profile_free(d);
  free(again);
  free(json);
  profile_free(&p);
  profile_free(&q);
  return 0;
}
