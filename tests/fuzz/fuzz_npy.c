/* fuzz_npy.c — libFuzzer harness for the .npy reader (header parser, size
 * checks, dtype conversions) through fe_npy_load_buffer, without temp files. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/checked.h"
#include "frontend/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlf_tensor t;
  if (fe_npy_load_buffer(data, size, "fuzz.npy", 0, &t) != DLF_OK) return 0;
  /* Touch every element so that a size mismatch shows as an ASan report. */
  int64_t numel = 1;
  for (int d = 0; d < t.ndim; d++)
    numel *= t.dims[d];
  size_t esize = t.dtype == DLF_INT64 ? 8 : 4;
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < (size_t)numel * esize; i++)
    sink ^= ((const uint8_t *)t.data)[i];
  (void)sink;
  dlf_tensor_release(&t);
  return 0;
}
