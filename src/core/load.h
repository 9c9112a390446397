/* load.h — how busy the machine is with other work: the CPU time every process but this one
 * used between two samples (/proc/stat's busy jiffies minus this process's own, getrusage), in
 * cores. Timings on a shared 2-vCPU VM are only comparable when this is near 0; the tuner
 * records it next to what it measured and the CLI warns when it is not. */
#ifndef DLF_CORE_LOAD_H
#define DLF_CORE_LOAD_H

#include <stdbool.h>

typedef struct dlf_load_sample {
  bool ok;          /* /proc/stat was readable */
  double busy_s;    /* every CPU's busy time since boot, seconds */
  double self_s;    /* this process's user + system time, seconds */
  double wall_s;    /* monotonic clock */
} dlf_load_sample;

dlf_load_sample dlf_load_now(void);
/* Other processes' CPU use between a and b, in cores (0.5 = half a core busy on average);
 * negative when unknown (no /proc/stat, or no time passed). */
double dlf_load_others(const dlf_load_sample *a, const dlf_load_sample *b);

#endif
