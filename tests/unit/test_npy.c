/* test_npy.c — .npy reading and writing: round trips, numpy's header bytes,
 * and the malformed files that must fail naming the file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlfusion.h"
#include "test.h"

/* A fresh path under /tmp for this process. */
static void tmp_path(char *buf, size_t size, const char *tag) {
  snprintf(buf, size, "/tmp/dlf_test_npy_%d_%s.npy", (int)getpid(), tag);
}

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(data, 1, n, f);
  fclose(f);
}

/* A version 1.0 file with the given header text, padded numpy-style. */
static void write_npy(const char *path, const char *dict, const void *data, size_t n) {
  unsigned char buf[4096];
  size_t dl = strlen(dict);
  size_t total = ((10 + dl + 1 + 63) / 64) * 64, hlen = total - 10;
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (unsigned char)(hlen & 0xff);
  buf[9] = (unsigned char)(hlen >> 8);
  memcpy(buf + 10, dict, dl);
  memset(buf + 10 + dl, ' ', hlen - dl - 1);
  buf[total - 1] = '\n';
  memcpy(buf + total, data, n);
  write_bytes(path, buf, total + n);
}

TEST(test_npy_round_trip_float32) {
  char path[256];
  tmp_path(path, sizeof path, "f32");
  float v[6] = {1.5f, -2.0f, 0.0f, 3.25f, 1e-20f, -7.0f};
  dlf_tensor t = {.dtype = DLF_FLOAT32, .ndim = 2, .dims = {2, 3}, .data = v};
  REQUIRE_OK(dlf_npy_save(path, &t));
  dlf_tensor r;
  REQUIRE_OK(dlf_npy_load(path, &r));
  CHECK_INT(DLF_FLOAT32, r.dtype);
  CHECK_INT(2, r.ndim);
  CHECK_INT(2, r.dims[0]);
  CHECK_INT(3, r.dims[1]);
  CHECK(r.name == NULL);
  REQUIRE(r.data != NULL);
  CHECK(memcmp(v, r.data, sizeof v) == 0);
  dlf_tensor_release(&r);
  CHECK(r.data == NULL);
  remove(path);
}

TEST(test_npy_round_trip_int64) {
  char path[256];
  tmp_path(path, sizeof path, "i64");
  int64_t v[4] = {1, -1, INT64_MAX, INT64_MIN};
  dlf_tensor t = {.dtype = DLF_INT64, .ndim = 1, .dims = {4}, .data = v};
  REQUIRE_OK(dlf_npy_save(path, &t));
  dlf_tensor r;
  REQUIRE_OK(dlf_npy_load(path, &r));
  CHECK_INT(DLF_INT64, r.dtype);
  CHECK_INT(1, r.ndim);
  CHECK_INT(4, r.dims[0]);
  CHECK(memcmp(v, r.data, sizeof v) == 0);
  dlf_tensor_release(&r);
  remove(path);
}

TEST(test_npy_round_trip_scalar) {
  char path[256];
  tmp_path(path, sizeof path, "scalar");
  float v = 42.5f;
  dlf_tensor t = {.dtype = DLF_FLOAT32, .ndim = 0, .data = &v};
  REQUIRE_OK(dlf_npy_save(path, &t));
  dlf_tensor r;
  REQUIRE_OK(dlf_npy_load(path, &r));
  CHECK_INT(0, r.ndim);
  REQUIRE(r.data != NULL);
  CHECK_NEAR(42.5, ((float *)r.data)[0], 0);
  dlf_tensor_release(&r);
  remove(path);
}

/* numpy writes version 1.0 with a header padded to 64 bytes: check our
 * bytes exactly against what numpy 1.24 emits for np.zeros((2,3),'f4'). */
TEST(test_npy_save_header_matches_numpy) {
  char path[256];
  tmp_path(path, sizeof path, "hdr");
  float v[6] = {0};
  dlf_tensor t = {.dtype = DLF_FLOAT32, .ndim = 2, .dims = {2, 3}, .data = v};
  REQUIRE_OK(dlf_npy_save(path, &t));
  unsigned char buf[256];
  FILE *f = fopen(path, "rb");
  REQUIRE(f != NULL);
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  CHECK_INT(128 + 24, n);                                   /* 128-byte header + 6 floats */
  CHECK(memcmp(buf, "\x93NUMPY\x01\x00\x76\x00", 10) == 0); /* header length 118 */
  CHECK(memcmp(buf + 10, dict, strlen(dict)) == 0);
  CHECK_INT('\n', buf[127]);
  CHECK_INT(' ', buf[126]);
  remove(path);
}

TEST(test_npy_load_parses_handwritten_header) {
  char path[256];
  tmp_path(path, sizeof path, "hand");
  /* Key order and spacing as an older numpy might write them; version 2.0. */
  const char *dict = "{'shape':(3,),'fortran_order':False,'descr':'<i8'}";
  unsigned char buf[256];
  size_t dl = strlen(dict), hlen = 64 - 12;
  memcpy(buf, "\x93NUMPY\x02\x00", 8);
  buf[8] = (unsigned char)hlen;
  buf[9] = buf[10] = buf[11] = 0;
  memcpy(buf + 12, dict, dl);
  memset(buf + 12 + dl, ' ', hlen - dl - 1);
  buf[63] = '\n';
  int64_t v[3] = {7, 8, -9};
  memcpy(buf + 64, v, sizeof v);
  write_bytes(path, buf, 64 + sizeof v);
  dlf_tensor r;
  REQUIRE_OK(dlf_npy_load(path, &r));
  CHECK_INT(DLF_INT64, r.dtype);
  CHECK_INT(1, r.ndim);
  CHECK_INT(3, r.dims[0]);
  CHECK_INT(-9, ((int64_t *)r.data)[2]);
  dlf_tensor_release(&r);
  remove(path);
}

TEST(test_npy_load_converts_f8_and_i4) {
  char path[256];
  tmp_path(path, sizeof path, "conv");
  double d[3] = {0.5, -1.25, 3.0};
  write_npy(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, sizeof d);
  dlf_tensor r;
  REQUIRE_OK(dlf_npy_load(path, &r));
  CHECK_INT(DLF_FLOAT32, r.dtype);
  const float ef[3] = {0.5f, -1.25f, 3.0f};
  CHECK_FLOATS(ef, (float *)r.data, 3, 0, 0);
  dlf_tensor_release(&r);
  int32_t i[3] = {-5, 0, 2147483647};
  write_npy(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", i, sizeof i);
  REQUIRE_OK(dlf_npy_load(path, &r));
  CHECK_INT(DLF_INT64, r.dtype);
  CHECK_INT(-5, ((int64_t *)r.data)[0]);
  CHECK_INT(2147483647, ((int64_t *)r.data)[2]);
  dlf_tensor_release(&r);
  remove(path);
}

TEST(test_npy_load_truncated_data_fails_naming_file) {
  char path[256];
  tmp_path(path, sizeof path, "trunc");
  float v[5] = {0};
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", v, sizeof v);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_PARSE, dlf_npy_load(path, &r));
  CHECK(strstr(dlf_last_error(), path) != NULL);
  CHECK(strstr(dlf_last_error(), "truncated") != NULL);
  CHECK(r.data == NULL);
  remove(path);
}

TEST(test_npy_load_bad_magic_fails) {
  char path[256];
  tmp_path(path, sizeof path, "magic");
  write_bytes(path, "PK\x03\x04 this is a zip, not npy", 28);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_PARSE, dlf_npy_load(path, &r));
  CHECK(strstr(dlf_last_error(), path) != NULL);
  CHECK(strstr(dlf_last_error(), "magic") != NULL);
  remove(path);
}

TEST(test_npy_load_fortran_order_is_unsupported) {
  char path[256];
  tmp_path(path, sizeof path, "fortran");
  float v[6] = {0};
  write_npy(path, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", v, sizeof v);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_UNSUPPORTED, dlf_npy_load(path, &r));
  CHECK(strstr(dlf_last_error(), "fortran_order") != NULL);
  CHECK(strstr(dlf_last_error(), path) != NULL);
  remove(path);
}

TEST(test_npy_load_unsupported_dtype_names_it) {
  char path[256];
  tmp_path(path, sizeof path, "dtype");
  uint16_t v[2] = {0};
  write_npy(path, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", v, sizeof v);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_UNSUPPORTED, dlf_npy_load(path, &r));
  CHECK(strstr(dlf_last_error(), "'<f2'") != NULL);
  write_npy(path, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", v, 4);
  CHECK_INT(DLF_ERR_UNSUPPORTED, dlf_npy_load(path, &r));
  remove(path);
}

TEST(test_npy_load_huge_shape_fails_before_allocating) {
  char path[256];
  tmp_path(path, sizeof path, "huge");
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", "", 0);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_LIMIT, dlf_npy_load(path, &r));
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
            "", 0);
  CHECK(dlf_npy_load(path, &r) != DLF_OK);
  remove(path);
}

TEST(test_npy_load_missing_file_names_it) {
  dlf_tensor r;
  CHECK_INT(DLF_ERR_IO, dlf_npy_load("/nonexistent/dir/x.npy", &r));
  CHECK(strstr(dlf_last_error(), "/nonexistent/dir/x.npy: cannot open") != NULL);
}

TEST(test_npy_success_clears_previous_error) {
  dlf_tensor r;
  CHECK(dlf_npy_load("/nonexistent/x.npy", &r) != DLF_OK);
  char path[256];
  tmp_path(path, sizeof path, "clear");
  int64_t v = 3;
  dlf_tensor t = {.dtype = DLF_INT64, .ndim = 0, .data = &v};
  REQUIRE_OK(dlf_npy_save(path, &t));
  CHECK_INT(0, strlen(dlf_last_error()));
  remove(path);
}

TEST(test_npy_load_capped_rejects_a_tensor_just_above_the_cap) {
  char path[256];
  tmp_path(path, sizeof path, "cap_above");
  float x[6] = {0};
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, sizeof x);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_LIMIT, dlf_npy_load_capped(path, 23, &r));
  CHECK(strstr(dlf_last_error(), path) != NULL);
  CHECK(strstr(dlf_last_error(), "2x3 needs 24 bytes, above the 23-byte limit") != NULL);
  CHECK(strstr(dlf_last_error(), "--max-tensor-bytes") != NULL);
  CHECK(r.data == NULL);
  REQUIRE_OK(dlf_npy_load_capped(path, 24, &r)); /* exactly at the cap */
  CHECK_INT(2, r.ndim);
  dlf_tensor_release(&r);
  remove(path);
}

TEST(test_npy_load_cap_counts_the_converted_size) {
  /* '<i4' becomes int64: 3 elements are 12 bytes in the file, 24 in the tensor. */
  char path[256];
  tmp_path(path, sizeof path, "cap_i4");
  int32_t x[3] = {1, 2, 3};
  write_npy(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", x, sizeof x);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_LIMIT, dlf_npy_load_capped(path, 23, &r));
  REQUIRE_OK(dlf_npy_load_capped(path, 24, &r));
  CHECK_INT(3, (int)((int64_t *)r.data)[2]);
  dlf_tensor_release(&r);
  remove(path);
}

TEST(test_npy_load_reads_the_cap_from_the_environment) {
  char path[256];
  tmp_path(path, sizeof path, "cap_env");
  float x[6] = {0};
  write_npy(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, sizeof x);
  dlf_tensor r;
  setenv("DLF_MAX_TENSOR_BYTES", "23", 1);
  CHECK_INT(DLF_ERR_LIMIT, dlf_npy_load(path, &r));
  CHECK_OK(dlf_npy_load_capped(path, 24, &r)); /* the argument wins */
  dlf_tensor_release(&r);
  unsetenv("DLF_MAX_TENSOR_BYTES");
  CHECK_OK(dlf_npy_load(path, &r));
  dlf_tensor_release(&r);
  remove(path);
}

TEST(test_npy_load_fifo_fails_without_blocking) {
  char path[256];
  tmp_path(path, sizeof path, "fifo");
  remove(path);
  REQUIRE(mkfifo(path, 0600) == 0);
  dlf_tensor r;
  CHECK_INT(DLF_ERR_IO, dlf_npy_load(path, &r)); /* would hang in open() without O_NONBLOCK */
  CHECK(strstr(dlf_last_error(), "not a regular file") != NULL);
  remove(path);
}

/* A save that fails part way (here: a file size limit of 64 KiB, as a full disk would) leaves
 * the previous file whole and no temporary beside it; the same save then succeeds. */
TEST(test_npy_failed_save_keeps_the_old_file) {
  char dir[] = "/tmp/dlf_test_npy_atomic_XXXXXX";
  REQUIRE(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/y.npy", dir);
  float small[4] = {1, 2, 3, 4};
  dlf_tensor t = {.name = "y", .dtype = DLF_FLOAT32, .ndim = 1, .dims = {4}, .data = small};
  REQUIRE(dlf_npy_save(path, &t) == DLF_OK);
  float *big = calloc(1 << 16, sizeof *big); /* 256 KiB */
  REQUIRE(big);
  dlf_tensor tb = {.name = "y", .dtype = DLF_FLOAT32, .ndim = 1, .dims = {1 << 16}, .data = big};
  struct rlimit old;
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG */
  struct rlimit lim = {64 * 1024, old.rlim_max};
  REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  dlf_status st = dlf_npy_save(path, &tb);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, prev);
  CHECK_INT(DLF_ERR_IO, st);
  CHECK(strstr(dlf_last_error(), "y.npy: write failed") != NULL);
  dlf_tensor back = {0};
  REQUIRE(dlf_npy_load(path, &back) == DLF_OK);
  CHECK_INT(1, back.ndim);
  CHECK_INT(4, back.dims[0]);
  CHECK(back.data && ((const float *)back.data)[3] == 4.0f);
  dlf_tensor_release(&back);
  DIR *d = opendir(dir);
  int entries = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    entries += e->d_name[0] != '.';
  if (d) closedir(d);
  CHECK_INT(1, entries); /* y.npy alone: the temporary was removed */
  CHECK(dlf_npy_save(path, &tb) == DLF_OK);
  REQUIRE(dlf_npy_load(path, &back) == DLF_OK);
  CHECK_INT(1 << 16, back.dims[0]);
  dlf_tensor_release(&back);
  free(big);
  unlink(path);
  rmdir(dir);
}
