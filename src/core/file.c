/* file.c — opening input files with the checks every reader needs: a bounded whole-file
 * read for the JSON readers, a read-only map for the ONNX and .npy readers; the
 * writers' replace-on-success write (dlf_write_file). */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"

dlf_status dlf_open_regular(const char *path, int *fd, size_t *size) {
  *fd = -1;
  *size = 0;
  /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer before the check below
   * could refuse it; it changes nothing for a regular file. */
  int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f < 0) return dlf_error(DLF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(f, &sb) != 0) {
    int err = errno;
    close(f);
    return dlf_error(DLF_ERR_IO, "%s: cannot stat: %s", path, strerror(err));
  }
  /* A FIFO or a device would block or never end; a directory opens but reads fail. */
  if (!S_ISREG(sb.st_mode)) {
    close(f);
    return dlf_error(DLF_ERR_IO, "%s: not a regular file", path);
  }
  *fd = f;
  *size = (size_t)sb.st_size;
  return DLF_OK;
}

dlf_status dlf_map_file(const char *path, const void **data, size_t *size) {
  *data = NULL;
  int fd;
  DLF_TRY(dlf_open_regular(path, &fd, size));
  if (*size == 0) { /* mmap refuses length 0 */
    close(fd);
    return DLF_OK;
  }
  void *map = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  close(fd); /* the mapping stays valid */
  if (map == MAP_FAILED) {
    *size = 0;
    return dlf_error(DLF_ERR_IO, "%s: cannot map: %s", path, strerror(err));
  }
  madvise(map, *size, MADV_SEQUENTIAL); /* one front-to-back pass; a hint only */
  *data = map;
  return DLF_OK;
}

void dlf_unmap_file(const void *data, size_t size) {
  if (data && size) munmap((void *)data, size);
}

dlf_status dlf_read_file(const char *path, size_t cap, const char *what, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int fd;
  size_t ignored;
  DLF_TRY(dlf_open_regular(path, &fd, &ignored));
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    int err = errno;
    close(fd);
    return dlf_error(DLF_ERR_IO, "%s: cannot open: %s", path, strerror(err));
  }
  /* The size from fstat may change under us: read in steps and enforce the cap on bytes
   * actually read, one byte past it to tell "exactly cap" from "more". */
  size_t size = 64 * 1024, n = 0;
  char *buf = malloc(size + 1);
  dlf_status st = buf ? DLF_OK : dlf_error(DLF_ERR_NOMEM, "%s: out of memory reading", path);
  while (st == DLF_OK) {
    if (n == size) {
      if (size > cap) {
        st = dlf_error(DLF_ERR_LIMIT, "%s: %s file larger than the %zu-byte limit", path, what,
                       cap);
        break;
      }
      char *t = realloc(buf, size * 2 + 1);
      if (!t) {
        st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory reading", path);
        break;
      }
      buf = t;
      size *= 2;
    }
    size_t got = fread(buf + n, 1, size - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) st = dlf_error(DLF_ERR_IO, "%s: read error: %s", path, strerror(errno));
      break;
    }
  }
  fclose(f);
  if (st == DLF_OK && n > cap)
    st = dlf_error(DLF_ERR_LIMIT, "%s: %s file larger than the %zu-byte limit", path, what, cap);
  if (st != DLF_OK) {
    free(buf);
    return st;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return DLF_OK;
}

dlf_status dlf_write_file(const char *path, const void *const *parts, const size_t *sizes, int n,
                          const char *what) {
  static _Atomic unsigned counter;
  /* Anything but a regular file or nothing (a symlink, /dev/stdout, a FIFO) is written in
   * place: renaming over it would replace the link or the device node itself. */
  struct stat st;
  const bool direct = lstat(path, &st) == 0 && !S_ISREG(st.st_mode);
  const size_t len = strlen(path);
  char *tmp = malloc(len + 48);
  if (!tmp) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory", path);
  int fd = -1;
  if (direct) {
    snprintf(tmp, len + 48, "%s", path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  }
  for (int attempt = 0; !direct && attempt < 16 && fd < 0; attempt++) {
    snprintf(tmp, len + 48, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    const int err = errno;
    free(tmp);
    return dlf_error(DLF_ERR_IO, "%s: cannot open for writing: %s", path, strerror(err));
  }
  int err = 0;
  for (int i = 0; i < n && !err; i++) {
    const char *p = parts[i];
    size_t left = sizes[i];
    while (left > 0) {
      ssize_t w = write(fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : EIO;
        break;
      }
      p += w;
      left -= (size_t)w;
    }
  }
  if (close(fd) != 0 && !err) err = errno;
  if (!direct && !err && rename(tmp, path) != 0) err = errno;
  if (!direct && err) unlink(tmp);
  free(tmp);
  if (err) return dlf_error(DLF_ERR_IO, "%s: %s: %s", path, what, strerror(err));
  return DLF_OK;
}
