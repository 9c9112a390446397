/* target.c — the host CPU as a target, the allowed-core-number test and the target
 * fingerprint (FNV-1a over everything that changes a time: kind, cores, core numbers, model). */
#include "target/target.h"

#include <string.h>

#include "core/cpu.h"
#include "core/status.h"

/* ------------------------------------------------------------ fingerprint -- */

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

/* Values are hashed as 8 little-endian bytes whatever the host's byte order, so a
 * fingerprint written on one machine matches the same target read on another. */
static uint64_t fnv_u64(uint64_t h, uint64_t v) {
  for (int i = 0; i < 8; i++) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= FNV64_PRIME;
  }
  return h;
}

static uint64_t fnv_i64(uint64_t h, int64_t v) { return fnv_u64(h, (uint64_t)v); }

static uint64_t fnv_f64(uint64_t h, double d) {
  uint64_t bits;
  if (d == 0) d = 0; /* -0.0 and 0.0 describe the same machine */
  memcpy(&bits, &d, sizeof bits);
  return fnv_u64(h, bits);
}

uint64_t target_fingerprint(const target *t) {
  uint64_t h = FNV64_OFFSET;
  h = fnv_i64(h, t->kind);
  h = fnv_i64(h, t->cores);
  h = fnv_i64(h, t->n_core_numbers);
  for (int i = 0; i < t->n_core_numbers && i < TARGET_MAX_CORE_NUMBERS; i++)
    h = fnv_i64(h, t->core_numbers[i]);
  /* The host's accel block is all zeros; hashing it anyway keeps one code path. */
  const target_accel *a = &t->accel;
  h = fnv_f64(h, a->clock_ghz);
  h = fnv_f64(h, a->peak_gflops_per_core);
  h = fnv_i64(h, a->lanes);
  h = fnv_i64(h, a->onchip_bytes_per_core);
  h = fnv_i64(h, a->dram_channels);
  h = fnv_f64(h, a->dram_gbps_per_channel);
  h = fnv_i64(h, a->cores_per_channel);
  h = fnv_f64(h, a->launch_us);
  h = fnv_f64(h, a->sync_base_us);
  h = fnv_f64(h, a->sync_per_log2_us);
  /* The detailed simulator's parameters, only when the file has them: a target without a
   * "sim" object keeps the fingerprint it had before the simulator existed. */
  const target_sim *s = &t->sim;
  if (s->present) {
    h = fnv_i64(h, 1);
    h = fnv_i64(h, s->elem_bytes);
    h = fnv_f64(h, s->vector_elems_per_cycle);
    h = fnv_f64(h, s->dma_setup_us);
  }
  return h;
}

/* ------------------------------------------------------------------- host -- */

void target_default_core_numbers(target *t) {
  int n = t->cores;
  if (n <= TARGET_MAX_CORE_NUMBERS) {
    t->n_core_numbers = n;
    for (int i = 0; i < n; i++)
      t->core_numbers[i] = i + 1;
    return;
  }
  /* More cores than a list holds: spread TARGET_MAX_CORE_NUMBERS values over 1..cores (the
   * step is > 1, so they stay distinct and ascending), ending at cores. */
  t->n_core_numbers = TARGET_MAX_CORE_NUMBERS;
  for (int i = 0; i < TARGET_MAX_CORE_NUMBERS; i++)
    t->core_numbers[i] = i == 0 ? 1 : (int)((int64_t)(i + 1) * n / TARGET_MAX_CORE_NUMBERS);
}

dlf_status target_host(int cores, target *out) {
  memset(out, 0, sizeof *out);
  if (cores < 0 || cores > TARGET_MAX_CORES)
    return dlf_error(DLF_ERR_INVALID_ARG, "host target: cores %d out of range (0 = all, 1 to %d)",
                     cores, TARGET_MAX_CORES);
  if (cores == 0) {
    /* The CPUs this process may run on (its affinity mask), as the engine's threads = 0 does. */
    cores = dlf_cpu_info_get()->n_available;
    if (cores < 1) cores = 1;
    if (cores > TARGET_MAX_CORES) cores = TARGET_MAX_CORES;
  }
  out->version = TARGET_FORMAT_VERSION;
  strcpy(out->name, "cpu");
  out->kind = TARGET_CPU;
  out->cores = cores;
  target_default_core_numbers(out);
  out->fingerprint = target_fingerprint(out);
  return DLF_OK;
}

bool target_allows_cores(const target *t, int k) {
  int lo = 0, hi = t->n_core_numbers;
  if (hi > TARGET_MAX_CORE_NUMBERS) hi = TARGET_MAX_CORE_NUMBERS;
  while (lo < hi) { /* core_numbers is strictly ascending */
    int mid = lo + (hi - lo) / 2;
    if (t->core_numbers[mid] < k)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < t->n_core_numbers && lo < TARGET_MAX_CORE_NUMBERS && t->core_numbers[lo] == k;
}

bool target_equal(const target *a, const target *b) {
  if (a->version != b->version || strcmp(a->name, b->name) != 0 || a->kind != b->kind ||
      a->cores != b->cores || a->n_core_numbers != b->n_core_numbers ||
      a->fingerprint != b->fingerprint)
    return false;
  for (int i = 0; i < a->n_core_numbers && i < TARGET_MAX_CORE_NUMBERS; i++)
    if (a->core_numbers[i] != b->core_numbers[i]) return false;
  const target_accel *x = &a->accel, *y = &b->accel;
  return x->clock_ghz == y->clock_ghz && x->peak_gflops_per_core == y->peak_gflops_per_core &&
         x->lanes == y->lanes && x->onchip_bytes_per_core == y->onchip_bytes_per_core &&
         x->dram_channels == y->dram_channels &&
         x->dram_gbps_per_channel == y->dram_gbps_per_channel &&
         x->cores_per_channel == y->cores_per_channel && x->launch_us == y->launch_us &&
         x->sync_base_us == y->sync_base_us && x->sync_per_log2_us == y->sync_per_log2_us &&
         a->sim.present == b->sim.present &&
         (!a->sim.present || (a->sim.elem_bytes == b->sim.elem_bytes &&
                              a->sim.vector_elems_per_cycle == b->sim.vector_elems_per_cycle &&
                              a->sim.dma_setup_us == b->sim.dma_setup_us));
}
