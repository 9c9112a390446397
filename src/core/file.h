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

#endif
