/* file.h — reading a whole (small) input file into memory with the checks every reader
 * needs: a regular file (a FIFO or a device would block or never end), a size cap, and
 * errors that name the file. Shared by the plan, target and profile readers (whole-file
 * reads) and the ONNX and .npy readers (maps). */
#ifndef DLF_CORE_FILE_H
#define DLF_CORE_FILE_H

#include <stddef.h>

#include "dlfusion.h"

/* Opens path read-only and checks that it is a regular file; its descriptor goes to *fd
 * (the caller closes it) and its size to *size. Errors name the file: "<path>: cannot
 * open: <reason>", "<path>: cannot stat: <reason>", "<path>: not a regular file". */
dlf_status dlf_open_regular(const char *path, int *fd, size_t *size);

/* Maps a regular file read-only (readers that parse a large file once, front to back:
 * ONNX models, .npy tensors). *data is NULL for an empty file (*size 0). Errors as
 * dlf_open_regular's, and "<path>: cannot map: <reason>". Release with dlf_unmap_file. */
dlf_status dlf_map_file(const char *path, const void **data, size_t *size);
void dlf_unmap_file(const void *data, size_t size);

/* Reads path into *out (malloc'd, NUL-terminated; *len excludes the NUL). Files larger than
 * cap bytes fail with DLF_ERR_LIMIT: "<path>: <what> file larger than the <cap>-byte limit". */
dlf_status dlf_read_file(const char *path, size_t cap, const char *what, char **out, size_t *len);

/* Writes the n parts (sizes[i] bytes at parts[i]) to path through a new file beside it
 * ("<path>.tmp.<pid>.<k>", mode 0666 less the umask), renamed over path only once everything
 * is written and closed: a failed write (disk full, a file size limit, an I/O error) leaves
 * the old file, or none, never a truncated one, and removes the temporary. A path that exists
 * and is not a regular file (a symlink, /dev/stdout, a FIFO) is written in place. Errors:
 * "<path>: cannot open for writing: <reason>", "<path>: <what>: <reason>". */
dlf_status dlf_write_file(const char *path, const void *const *parts, const size_t *sizes, int n,
                          const char *what);

#endif
