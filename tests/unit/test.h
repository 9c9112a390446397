/* test.h — a minimal test framework: TEST(name) registers a function;
 * CHECK* record failures with expected vs got; the runner prints
 * "N passed, N failed". One behaviour per test, named for it. */
#ifndef DLF_TEST_H
#define DLF_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn, const char *file);
void test_fail(const char *file, int line, const char *fmt, ...);
/* Marks the running test skipped (it could not run here: say why); the summary counts
 * skipped tests apart from passed ones. A test that also failed counts as failed. */
void test_skip(const char *fmt, ...);
extern int test_current_failed;

#define TEST(name)                                                                                 \
  static void name(void);                                                                          \
  __attribute__((constructor)) static void register_##name(void) {                                 \
    test_register(#name, name, __FILE__);                                                          \
  }                                                                                                \
  static void name(void)

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                        \
  } while (0)

/* Stop the test (a later step would crash). */
#define REQUIRE(cond)                                                                              \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      test_fail(__FILE__, __LINE__, "REQUIRE(%s) failed", #cond);                                 \
      return;                                                                                      \
    }                                                                                              \
  } while (0)

#define CHECK_INT(expected, got)                                                                   \
  do {                                                                                             \
    long long e_ = (long long)(expected), g_ = (long long)(got);                                   \
    if (e_ != g_)                                                                                  \
      test_fail(__FILE__, __LINE__, "%s: expected %lld, got %lld", #got, e_, g_);                  \
  } while (0)

#define CHECK_NEAR(expected, got, tol)                                                             \
  do {                                                                                             \
    double e_ = (double)(expected), g_ = (double)(got);                                            \
    if (!(fabs(e_ - g_) <= (tol)))                                                                 \
      test_fail(__FILE__, __LINE__, "%s: expected %.8g, got %.8g (tol %g)", #got, e_, g_,          \
                (double)(tol));                                                                    \
  } while (0)

/* Expect a call to succeed; on failure print dlf_last_error(). */
#define CHECK_OK(expr)                                                                             \
  do {                                                                                             \
    dlf_status s_ = (expr);                                                                        \
    if (s_ != DLF_OK) test_fail(__FILE__, __LINE__, "%s failed: %s", #expr, dlf_last_error());   \
  } while (0)

#define REQUIRE_OK(expr)                                                                           \
  do {                                                                                             \
    dlf_status s_ = (expr);                                                                        \
    if (s_ != DLF_OK) {                                                                            \
      test_fail(__FILE__, __LINE__, "%s failed: %s", #expr, dlf_last_error());                    \
      return;                                                                                      \
    }                                                                                              \
  } while (0)

/* Compare float arrays: |e-g| <= atol + rtol*|e|, reporting the first miss. */
#define CHECK_FLOATS(expected, got, n, atol, rtol)                                                 \
  test_check_floats(__FILE__, __LINE__, #got, (expected), (got), (long)(n), (atol), (rtol))
void test_check_floats(const char *file, int line, const char *what, const float *expected,
                       const float *got, long n, double atol, double rtol);

/* "/tmp/dlf_test_<pid>_<tag>" in buf: a file name no concurrent test run shares. */
const char *test_tmp_path(char *buf, size_t size, const char *tag);

#endif
