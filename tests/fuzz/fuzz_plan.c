/* fuzz_plan.c — libFuzzer harness for the plan reader (src/plan/plan_json.c, plan_check.c)
 * against a fixed model: any bytes must parse or fail cleanly, and a plan that parses must
 * write back to JSON that parses to the same plan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/plan_internal.h"
#include "dlfusion.h"

/* squeezenet1_0: 39 layers with fire modules (Concat), pooling, a global pool and Flatten —
 * every kind of layer the checks distinguish; loads in ~0.1 s, once. */
static dlf_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (dlf_model_load("zoo:squeezenet1_0", NULL, &model) != DLF_OK) abort();
  return 0;
}

static int same_plan(const plan *a, const plan *b) {
  if (a->fingerprint != b->fingerprint || a->target_cores != b->target_cores ||
      a->n_blocks != b->n_blocks || strcmp(a->model, b->model) != 0)
    return 0;
  for (int i = 0; i < a->n_blocks; i++) {
    const plan_block *x = &a->blocks[i], *y = &b->blocks[i];
    if (x->n_layers != y->n_layers || x->cores != y->cores || x->tile_rows != y->tile_rows)
      return 0;
    for (int k = 0; k < x->n_layers; k++)
      if (x->layers[k] != y->layers[k] || x->algo[k] != y->algo[k]) return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlf_plan *p = NULL, *q = NULL, *c = NULL;
  if (dlf_plan_parse(model, (const char *)data, size, &p) != DLF_OK) return 0;
  char *json = dlf_plan_to_json(p);
  if (!json || dlf_plan_parse(model, json, strlen(json), &q) != DLF_OK ||
      !same_plan(dlf_plan_get(p), dlf_plan_get(q)))
    abort(); /* a plan we accept must survive its own writer */
  if (dlf_plan_copy(q, &c) != DLF_OK || !same_plan(dlf_plan_get(p), dlf_plan_get(c))) abort();
  dlf_block_info bi;
  for (int b = 0; b < dlf_plan_num_blocks(c); b++)
    if (dlf_plan_block(c, b, &bi) != DLF_OK || !bi.algorithms[bi.num_layers - 1]) abort();
  free(json);
  dlf_plan_free(p);
  dlf_plan_free(q);
  dlf_plan_free(c);
  return 0;
}
