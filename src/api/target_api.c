/* target_api.c — the public target API (the "targets" section of dlfusion.h): load, parse,
 * the host, query, JSON, and the accelerator model's block time over dlf_layer_info. */
#include <stdlib.h>
#include <string.h>

#include "api/target_internal.h"
#include "core/checked.h"
#include "core/status.h"
#include "target/accel_sim.h"

const target *dlf_target_get(const dlf_target *t) { return t ? &t->t : NULL; }

dlf_status dlf_target_wrap(const target *t, dlf_target **out) {
  *out = NULL;
  dlf_target *d = malloc(sizeof *d);
  if (!d) return dlf_error(DLF_ERR_NOMEM, "target '%s': out of memory", t->name);
  d->t = *t;
  *out = d;
  return DLF_OK;
}

void dlf_target_free(dlf_target *t) { free(t); }

dlf_status dlf_target_load(const char *path, dlf_target **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_load: out is NULL");
  *out = NULL;
  if (!path) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_load: path is NULL");
  target t;
  DLF_TRY(target_load(path, &t));
  return dlf_target_wrap(&t, out);
}

dlf_status dlf_target_parse(const char *json, size_t len, dlf_target **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_parse: out is NULL");
  *out = NULL;
  if (!json) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_parse: json is NULL");
  target t;
  DLF_TRY(target_parse(json, len, "target", &t));
  return dlf_target_wrap(&t, out);
}

dlf_status dlf_target_host(int cores, dlf_target **out) {
  dlf_error_clear();
  if (!out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_host: out is NULL");
  *out = NULL;
  target t;
  DLF_TRY(target_host(cores, &t));
  return dlf_target_wrap(&t, out);
}

char *dlf_target_to_json(const dlf_target *t) {
  dlf_error_clear();
  if (!t) {
    dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_to_json: target is NULL");
    return NULL;
  }
  return target_to_json(&t->t);
}

dlf_status dlf_target_get_info(const dlf_target *t, dlf_target_info *out) {
  dlf_error_clear();
  if (!t || !out) return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_get_info: NULL argument");
  const target *x = &t->t;
  const target_accel *a = &x->accel;
  *out = (dlf_target_info){
      .name = x->name,
      .kind = x->kind == TARGET_ACCEL ? "accelerator" : "cpu",
      .cores = x->cores,
      .n_core_numbers = x->n_core_numbers,
      .core_numbers = x->core_numbers,
      .fingerprint = x->fingerprint,
      .clock_ghz = a->clock_ghz,
      .peak_gflops_per_core = a->peak_gflops_per_core,
      .lanes = a->lanes,
      .onchip_bytes_per_core = a->onchip_bytes_per_core,
      .dram_channels = a->dram_channels,
      .dram_gbps_per_channel = a->dram_gbps_per_channel,
      .cores_per_channel = a->cores_per_channel,
      .launch_us = a->launch_us,
      .sync_base_us = a->sync_base_us,
      .sync_per_log2_us = a->sync_per_log2_us,
  };
  return DLF_OK;
}

dlf_status dlf_target_block_time(const dlf_target *t, const dlf_layer_info *layers, int n,
                                 int cores, dlf_block_time *out) {
  dlf_error_clear();
  if (!t || !out || (n > 0 && !layers))
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_block_time: NULL argument");
  memset(out, 0, sizeof *out);
  if (n < 1)
    return dlf_error(DLF_ERR_INVALID_ARG, "dlf_target_block_time: a block needs layers (n = %d)",
                     n);
  target_layer *tl = dlf_malloc_array((size_t)n, sizeof *tl);
  if (!tl) return dlf_error(DLF_ERR_NOMEM, "dlf_target_block_time: out of memory");
  for (int i = 0; i < n; i++)
    target_layer_from_info(&t->t, &layers[i], &tl[i]);
  target_block_time bt;
  dlf_status st = target_block_time_of(&t->t, tl, n, cores, layers[0].act_in_bytes,
                                       layers[n - 1].act_out_bytes, &bt);
  free(tl);
  if (st != DLF_OK) return st;
  *out = (dlf_block_time){bt.total_us, bt.launch_us,  bt.sync_us, bt.compute_us,
                          bt.dram_us,  bt.dram_bytes, bt.spilled};
  return DLF_OK;
}
