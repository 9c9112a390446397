/* load.c — other processes' CPU use (load.h). */
#include "core/load.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

dlf_load_sample dlf_load_now(void) {
  dlf_load_sample s = {0};
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s.wall_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    s.self_s = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
               (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return s;
  /* "cpu  user nice system idle iowait irq softirq steal ..." in clock ticks */
  unsigned long long v[8] = {0};
  const int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                       &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  const long hz = sysconf(_SC_CLK_TCK);
  if (n < 4 || hz <= 0) return s;
  /* busy = user + nice + system + irq + softirq (not idle, iowait, steal) */
  const unsigned long long busy = v[0] + v[1] + v[2] + (n > 5 ? v[5] : 0) + (n > 6 ? v[6] : 0);
  s.busy_s = (double)busy / (double)hz;
  s.ok = true;
  return s;
}

double dlf_load_others(const dlf_load_sample *a, const dlf_load_sample *b) {
  const double wall = b->wall_s - a->wall_s;
  if (!a->ok || !b->ok || wall <= 0) return -1;
  const double others = (b->busy_s - a->busy_s) - (b->self_s - a->self_s);
  return others > 0 ? others / wall : 0;
}
