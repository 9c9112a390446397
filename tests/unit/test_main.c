/* test_main.c — runs every registered test (or those whose name contains
 * argv[1]) and ends with "N passed, N failed, N skipped". */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define MAX_TESTS 4096

static struct {
  const char *name, *file;
  test_fn fn;
} g_tests[MAX_TESTS];
static int g_count;
int test_current_failed;
static int g_current_skipped;
static const char *g_current;

void test_register(const char *name, test_fn fn, const char *file) {
  if (g_count < MAX_TESTS) {
    g_tests[g_count].name = name;
    g_tests[g_count].file = file;
    g_tests[g_count].fn = fn;
    g_count++;
  }
}

void test_fail(const char *file, int line, const char *fmt, ...) {
  if (test_current_failed < 5) { /* the first few failures of a test say enough */
    fprintf(stderr, "  %s:%d: %s: ", file, line, g_current);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  }
  test_current_failed++;
}

void test_skip(const char *fmt, ...) {
  printf("  skip %s: ", g_current);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  g_current_skipped = 1;
}

void test_check_floats(const char *file, int line, const char *what, const float *expected,
                       const float *got, long n, double atol, double rtol) {
  for (long i = 0; i < n; i++) {
    double e = expected[i], g = got[i];
    if (isnan(e) && isnan(g)) continue;
    if (!(fabs(e - g) <= atol + rtol * fabs(e))) {
      test_fail(file, line, "%s[%ld]: expected %.8g, got %.8g", what, i, e, g);
      return;
    }
  }
}


int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : NULL;
  int passed = 0, failed = 0, skipped = 0;
  for (int i = 0; i < g_count; i++) {
    if (filter && !strstr(g_tests[i].name, filter) && !strstr(g_tests[i].file, filter)) continue;
    g_current = g_tests[i].name;
    test_current_failed = 0;
    g_current_skipped = 0;
    g_tests[i].fn();
    if (test_current_failed) {
      failed++;
      printf("FAIL %s\n", g_tests[i].name);
    } else if (g_current_skipped) {
      skipped++;
    } else {
      passed++;
    }
    fflush(stdout);
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}

const char *test_tmp_path(char *buf, size_t size, const char *tag) {
  snprintf(buf, size, "/tmp/dlf_test_%ld_%s", (long)getpid(), tag);
  return buf;
}
