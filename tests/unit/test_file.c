/* test_file.c — the shared input-file helpers (src/core/file.h) and the run-time tensor
 * size cap's parsing and scoping (src/core/checked.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/file.h"
#include "ir/ir.h"
#include "test.h"

static void tmp_file(char *buf, size_t size, const char *tag) {
  snprintf(buf, size, "/tmp/dlf_test_file_%d_%s", (int)getpid(), tag);
}

TEST(test_file_map_reads_a_regular_file) {
  char path[256];
  tmp_file(path, sizeof path, "map");
  FILE *f = fopen(path, "wb");
  REQUIRE(f != NULL);
  fputs("hello", f);
  fclose(f);
  const void *data;
  size_t size;
  REQUIRE_OK(dlf_map_file(path, &data, &size));
  CHECK_INT(5, (int)size);
  CHECK(memcmp(data, "hello", 5) == 0);
  dlf_unmap_file(data, size);
  remove(path);
}

TEST(test_file_map_of_an_empty_file_gives_no_data) {
  char path[256];
  tmp_file(path, sizeof path, "empty");
  FILE *f = fopen(path, "wb");
  REQUIRE(f != NULL);
  fclose(f);
  const void *data = (const void *)1;
  size_t size = 7;
  REQUIRE_OK(dlf_map_file(path, &data, &size));
  CHECK(data == NULL);
  CHECK_INT(0, (int)size);
  remove(path);
}

TEST(test_file_map_refuses_a_directory_naming_it) {
  const void *data;
  size_t size;
  CHECK_INT(DLF_ERR_IO, dlf_map_file("/tmp", &data, &size));
  CHECK(strcmp(dlf_last_error(), "/tmp: not a regular file") == 0);
}

TEST(test_file_open_regular_refuses_a_fifo_without_blocking) {
  char path[256];
  tmp_file(path, sizeof path, "fifo");
  remove(path);
  REQUIRE(mkfifo(path, 0600) == 0);
  int fd = -1;
  size_t size;
  CHECK_INT(DLF_ERR_IO, dlf_open_regular(path, &fd, &size));
  CHECK(fd == -1);
  CHECK(strstr(dlf_last_error(), "not a regular file") != NULL);
  char *text;
  size_t len;
  CHECK_INT(DLF_ERR_IO, dlf_read_file(path, 100, "plan", &text, &len));
  remove(path);
}

TEST(test_file_missing_file_names_it) {
  const void *data;
  size_t size;
  CHECK_INT(DLF_ERR_IO, dlf_map_file("/nonexistent/m.onnx", &data, &size));
  CHECK(strstr(dlf_last_error(), "/nonexistent/m.onnx: cannot open: ") == dlf_last_error());
}

TEST(test_cap_parse_bytes_suffixes_are_binary) {
  int64_t v = 0;
  CHECK(dlf_parse_bytes("1", &v) && v == 1);
  CHECK(dlf_parse_bytes("4K", &v) && v == 4096);
  CHECK(dlf_parse_bytes("512m", &v) && v == (int64_t)512 << 20);
  CHECK(dlf_parse_bytes("16G", &v) && v == (int64_t)16 << 30);
  CHECK(dlf_parse_bytes("1T", &v) && v == (int64_t)1 << 40);
}

TEST(test_cap_parse_bytes_rejects_malformed_values) {
  int64_t v = 0;
  CHECK(!dlf_parse_bytes("0", &v));
  CHECK(!dlf_parse_bytes("-1", &v));
  CHECK(!dlf_parse_bytes("", &v));
  CHECK(!dlf_parse_bytes("4GB", &v));
  CHECK(!dlf_parse_bytes("G", &v));
  CHECK(!dlf_parse_bytes(" 4", &v));
  CHECK(!dlf_parse_bytes("9223372036854775807K", &v)); /* overflows */
}

/* The cap is data of the graph, not of the thread: two graphs with different caps checked
 * in turn on one thread each see their own. */
TEST(test_cap_is_the_graphs_own) {
  ir_graph *small, *big;
  REQUIRE_OK(ir_graph_create("small", &small));
  REQUIRE_OK(ir_graph_create("big", &big));
  CHECK(small->max_tensor_bytes == (int64_t)16 << 30); /* the default */
  small->max_tensor_bytes = 1000;
  big->max_tensor_bytes = 4000;
  int64_t dims[2] = {10, 50}, bytes = 0; /* 2000 bytes of float32 */
  CHECK(!ir_shape_ok(small, IR_F32, 2, dims, &bytes));
  CHECK(ir_shape_ok(big, IR_F32, 2, dims, &bytes));
  CHECK(bytes == 2000);
  CHECK(!ir_shape_ok(small, IR_F32, 2, dims, NULL)); /* checking big changed nothing */
  ir_graph_free(small);
  ir_graph_free(big);
}

TEST(test_cap_default_is_16_gib_and_the_environment_changes_it) {
  int64_t cap;
  unsetenv("DLF_MAX_TENSOR_BYTES");
  CHECK_OK(dlf_cap_resolve(0, &cap));
  CHECK(cap == (int64_t)16 << 30);
  setenv("DLF_MAX_TENSOR_BYTES", "2M", 1);
  CHECK_OK(dlf_cap_resolve(0, &cap));
  CHECK(cap == (int64_t)2 << 20);
  setenv("DLF_MAX_TENSOR_BYTES", "junk", 1); /* malformed: loads fail */
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_cap_resolve(0, &cap));
  CHECK_OK(dlf_cap_resolve(5, &cap)); /* an explicit cap does not need the environment */
  CHECK(cap == 5);
  unsetenv("DLF_MAX_TENSOR_BYTES");
}

TEST(test_cap_phrase_names_the_cap_and_how_to_raise_it) {
  char buf[DLF_CAP_PHRASE_SIZE];
  dlf_cap_phrase((int64_t)3 << 20, buf, sizeof buf);
  CHECK(strstr(buf, "the 3145728-byte limit on a tensor's size (3M)") == buf);
  CHECK(strstr(buf, "--max-tensor-bytes") != NULL);
  CHECK(strstr(buf, "DLF_MAX_TENSOR_BYTES") != NULL);
  CHECK(strstr(buf, "dlf_load_options.max_tensor_bytes") != NULL);
  dlf_cap_phrase(0, buf, sizeof buf); /* 0: the default */
  CHECK(strstr(buf, "(16G)") != NULL);
}
