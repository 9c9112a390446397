/* cpu.h — what the host CPU can do: ISA features the OS lets us use (cpuid + xgetbv),
 * logical core count, cache sizes and a name string. Detected once; read-only after. */
#ifndef DLF_CORE_CPU_H
#define DLF_CORE_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* Where the cache sizes came from (cpuid first: sysfs is absent in many containers/VMs). */
typedef enum dlf_cache_source {
  DLF_CACHE_CPUID = 0, /* leaf 0x8000001D (AMD, with TOPOEXT; else 0x80000005/6) or 4 (Intel) */
  DLF_CACHE_SYSFS,     /* /sys/devices/system/cpu/cpu0/cache/index*\/ */
  DLF_CACHE_DEFAULT,   /* nothing answered: conservative defaults (32K/512K/8M) */
} dlf_cache_source;

typedef struct dlf_cpu_info {
  char vendor[13];             /* "AuthenticAMD", "GenuineIntel", ... ("" off x86) */
  char name[49];               /* brand string, leading spaces trimmed */
  int family, model, stepping; /* display family/model (base + extended) */

  /* ISA features: true only when the CPU has them AND the OS saves the
   * register state (XCR0), so code using them is safe to run. */
  bool sse42, avx, fma, avx2;
  bool avx512f, avx512bw, avx512dq, avx512vl;

  int n_logical;   /* logical CPUs online */
  int n_available; /* logical CPUs this process may run on (affinity mask) */

  int64_t l1d_bytes, l2_bytes, l3_bytes; /* per core (L1d, L2) and per L3 slice/CCX (L3) */
  dlf_cache_source cache_source;
} dlf_cpu_info;

/* The host CPU, detected on the first call (thread-safe); never NULL. */
const dlf_cpu_info *dlf_cpu_info_get(void);

/* True when every feature the AVX2 kernels use is usable (AVX2 + FMA + OS ymm state). */
bool dlf_cpu_has_avx2(const dlf_cpu_info *cpu);
/* True when every feature the AVX-512 kernels use is usable (F+BW+DQ+VL, FMA, OS zmm state). */
bool dlf_cpu_has_avx512(const dlf_cpu_info *cpu);

const char *dlf_cache_source_name(dlf_cache_source src);

#endif
