/* chan_binary.c — picks the per-ISA kern_chan_binary for a kernel config (the family lives
 * beside kern_config rather than in it: one lookup, no table field to keep in step). */
#include "kernels/chan_binary.h"

kern_chan_binary_fn kern_chan_binary_for(const kern_config *cfg) {
  switch (cfg ? cfg->isa : KERN_ISA_GENERIC) {
  case KERN_ISA_AVX512: return kern_chan_binary_avx512;
  case KERN_ISA_AVX2: return kern_chan_binary_avx2;
  default: return kern_chan_binary_generic;
  }
}
