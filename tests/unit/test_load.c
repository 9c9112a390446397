/* test_load.c — other processes' CPU use (core/load.h): a child that spins is seen (it is
 * another process), and no elapsed time is "unknown". Robust on a loaded machine: more load
 * only raises what is seen. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/load.h"
#include "test.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TEST(test_load_sees_another_process_spinning) {
  const dlf_load_sample a = dlf_load_now();
  if (!a.ok) test_skip("no /proc/stat");
  CHECK(dlf_load_others(&a, &a) < 0); /* no time passed: unknown */
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    volatile double x = 0;
    const double end = now_s() + 0.4;
    while (now_s() < end)
      x = x + 1.0;
    _exit(x > 0 ? 0 : 1);
  }
  const dlf_load_sample s0 = dlf_load_now();
  usleep(400 * 1000);
  int status;
  waitpid(pid, &status, 0);
  const dlf_load_sample s1 = dlf_load_now();
  const double others = dlf_load_others(&s0, &s1);
  /* the child spun for ~0.4 s of the ~0.4 s window: about one core (at least half of one even
   * if it had to share its core) */
  CHECK(others >= 0.5);
}
