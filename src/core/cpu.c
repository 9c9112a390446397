/* cpu.c — host CPU detection with cpuid/xgetbv (ISA, caches, name), sysfs as the cache
 * fallback. Compiled for baseline x86-64: this file must run on every CPU it probes. */
#include "core/cpu.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DLF_X86 1
#endif

/* Used only when neither cpuid nor sysfs answers: small enough to be safe on any
 * x86-64 core of the last decade (blocking for a too-small cache costs a few %,
 * blocking for a too-large one thrashes). */
#define DEFAULT_L1D_BYTES (32 * 1024)
#define DEFAULT_L2_BYTES (512 * 1024)
#define DEFAULT_L3_BYTES (8 * 1024 * 1024)

static dlf_cpu_info g_cpu;
static pthread_once_t g_cpu_once = PTHREAD_ONCE_INIT;

#ifdef DLF_X86
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  if (!__get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3])) r[0] = r[1] = r[2] = r[3] = 0;
}

/* XCR0 via xgetbv, as raw bytes so that this file needs no -mxsave. Only call
 * when CPUID.1:ECX.OSXSAVE is set (otherwise the instruction faults). */
static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

/* Leaf 4 (Intel) and 0x8000001D (AMD) share one format: walk the subleaves until
 * type 0 (no more caches). size = ways * partitions * line * sets. */
static bool caches_from_cpuid(unsigned leaf, dlf_cpu_info *c) {
  bool any = false;
  for (unsigned sub = 0; sub < 16; sub++) {
    unsigned r[4];
    cpuid(leaf, sub, r);
    unsigned type = r[0] & 0x1f, level = (r[0] >> 5) & 0x7;
    if (type == 0) break;
    int64_t ways = ((r[1] >> 22) & 0x3ff) + 1, parts = ((r[1] >> 12) & 0x3ff) + 1;
    int64_t line = (r[1] & 0xfff) + 1, sets = (int64_t)r[2] + 1;
    int64_t size = ways * parts * line * sets;
    if (level == 1 && type == 1) c->l1d_bytes = size; /* type 1: data */
    if (level == 2 && type == 3) c->l2_bytes = size;  /* type 3: unified */
    if (level == 3 && type == 3) c->l3_bytes = size;
    any = true;
  }
  return any && c->l1d_bytes > 0 && c->l2_bytes > 0;
}

static void detect_x86(dlf_cpu_info *c) {
  unsigned r[4];
  cpuid(0, 0, r);
  unsigned max_leaf = r[0];
  memcpy(c->vendor + 0, &r[1], 4); /* EBX, EDX, ECX spell the vendor */
  memcpy(c->vendor + 4, &r[3], 4);
  memcpy(c->vendor + 8, &r[2], 4);
  c->vendor[12] = '\0';

  cpuid(1, 0, r);
  unsigned base_family = (r[0] >> 8) & 0xf, base_model = (r[0] >> 4) & 0xf;
  c->family = (int)base_family + (base_family == 0xf ? (int)((r[0] >> 20) & 0xff) : 0);
  c->model = (int)base_model;
  if (base_family == 0x6 || base_family == 0xf) c->model += (int)((r[0] >> 16) & 0xf) << 4;
  c->stepping = (int)(r[0] & 0xf);
  bool sse42 = (r[2] >> 20) & 1, fma = (r[2] >> 12) & 1, osxsave = (r[2] >> 27) & 1;
  bool avx = (r[2] >> 28) & 1;

  /* The OS must save ymm (XCR0 bits 1,2) for AVX, and opmask + zmm (bits 5,6,7) for
   * AVX-512; a CPU bit alone does not make the instructions safe to use. */
  uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  bool os_ymm = (xcr0 & 0x6) == 0x6, os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0;

  bool avx2 = false, f = false, bw = false, dq = false, vl = false;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    avx2 = (r[1] >> 5) & 1;
    f = (r[1] >> 16) & 1;
    dq = (r[1] >> 17) & 1;
    bw = (r[1] >> 30) & 1;
    vl = (r[1] >> 31) & 1;
  }
  c->sse42 = sse42;
  c->avx = avx && os_ymm;
  c->fma = fma && os_ymm;
  c->avx2 = avx2 && os_ymm;
  c->avx512f = f && os_zmm;
  c->avx512bw = bw && os_zmm;
  c->avx512dq = dq && os_zmm;
  c->avx512vl = vl && os_zmm;

  cpuid(0x80000000, 0, r);
  unsigned max_ext = r[0];
  if (max_ext >= 0x80000004) {
    char brand[49];
    for (unsigned i = 0; i < 3; i++) {
      cpuid(0x80000002 + i, 0, r);
      memcpy(brand + 16 * i, r, 16);
    }
    brand[48] = '\0';
    const char *p = brand;
    while (*p == ' ')
      p++;
    snprintf(c->name, sizeof c->name, "%s", p);
    size_t n = strlen(c->name);
    while (n > 0 && c->name[n - 1] == ' ')
      c->name[--n] = '\0';
  }

  bool topoext = false;
  if (max_ext >= 0x80000001) {
    cpuid(0x80000001, 0, r);
    topoext = (r[2] >> 22) & 1;
  }
  bool ok = false;
  if (!strcmp(c->vendor, "AuthenticAMD") || !strcmp(c->vendor, "HygonGenuine")) {
    if (topoext && max_ext >= 0x8000001d) ok = caches_from_cpuid(0x8000001d, c);
    /* VMs often hide TOPOEXT (leaf 0x8000001D reads as zeros) but keep the legacy AMD
     * leaves: 0x80000005 ECX[31:24] = L1d KiB, 0x80000006 ECX[31:16] = L2 KiB,
     * EDX[31:18] = L3 in 512 KiB units (may describe the whole socket). */
    if (!ok && max_ext >= 0x80000006) {
      cpuid(0x80000005, 0, r);
      c->l1d_bytes = (int64_t)(r[2] >> 24) * 1024;
      cpuid(0x80000006, 0, r);
      c->l2_bytes = (int64_t)(r[2] >> 16) * 1024;
      c->l3_bytes = (int64_t)(r[3] >> 18) * 512 * 1024;
      ok = c->l1d_bytes > 0 && c->l2_bytes > 0;
    }
  } else if (max_leaf >= 4) {
    ok = caches_from_cpuid(4, c);
  }
  if (ok) c->cache_source = DLF_CACHE_CPUID;
}
#endif

/* Parses sysfs sizes like "48K", "1024K", "32M". */
static int64_t parse_size(const char *s) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (v <= 0) return 0;
  if (*end == 'K')
    v *= 1024;
  else if (*end == 'M')
    v *= 1024 * 1024;
  return v;
}

static bool read_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  bool ok = fgets(buf, (int)n, f) != NULL;
  fclose(f);
  if (ok) buf[strcspn(buf, "\n")] = '\0';
  return ok;
}

static bool caches_from_sysfs(dlf_cpu_info *c) {
  bool any = false;
  for (int i = 0; i < 16; i++) {
    char path[128], level[16], type[32], size[32];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    if (!read_line(path, level, sizeof level)) break;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    if (!read_line(path, type, sizeof type)) continue;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (!read_line(path, size, sizeof size)) continue;
    int lv = atoi(level);
    int64_t bytes = parse_size(size);
    if (lv == 1 && !strcmp(type, "Data")) c->l1d_bytes = bytes;
    if (lv == 2 && !strcmp(type, "Unified")) c->l2_bytes = bytes;
    if (lv == 3 && !strcmp(type, "Unified")) c->l3_bytes = bytes;
    any = true;
  }
  return any && c->l1d_bytes > 0 && c->l2_bytes > 0;
}

static void detect(void) {
  dlf_cpu_info *c = &g_cpu;
  memset(c, 0, sizeof *c);
  c->cache_source = DLF_CACHE_DEFAULT;
#ifdef DLF_X86
  detect_x86(c);
#endif
  if (c->cache_source != DLF_CACHE_CPUID) {
    c->l1d_bytes = c->l2_bytes = c->l3_bytes = 0;
    if (caches_from_sysfs(c)) c->cache_source = DLF_CACHE_SYSFS;
  }
  if (c->l1d_bytes <= 0) c->l1d_bytes = DEFAULT_L1D_BYTES;
  if (c->l2_bytes <= 0) c->l2_bytes = DEFAULT_L2_BYTES;
  if (c->l3_bytes <= 0) c->l3_bytes = DEFAULT_L3_BYTES;
  if (!c->name[0]) snprintf(c->name, sizeof c->name, "unknown CPU");

  long online = sysconf(_SC_NPROCESSORS_ONLN);
  c->n_logical = online > 0 ? (int)online : 1;
  cpu_set_t set;
  CPU_ZERO(&set);
  c->n_available = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : c->n_logical;
  if (c->n_available < 1) c->n_available = 1;
}

const dlf_cpu_info *dlf_cpu_info_get(void) {
  pthread_once(&g_cpu_once, detect);
  return &g_cpu;
}

bool dlf_cpu_has_avx2(const dlf_cpu_info *cpu) { return cpu->avx && cpu->avx2 && cpu->fma; }

bool dlf_cpu_has_avx512(const dlf_cpu_info *cpu) {
  return dlf_cpu_has_avx2(cpu) && cpu->avx512f && cpu->avx512bw && cpu->avx512dq && cpu->avx512vl;
}

const char *dlf_cache_source_name(dlf_cache_source src) {
  switch (src) {
  case DLF_CACHE_CPUID: return "cpuid";
  case DLF_CACHE_SYSFS: return "sysfs";
  case DLF_CACHE_DEFAULT: return "default";
  }
  return "unknown";
}
