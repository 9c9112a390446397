/* chan_norm.c — picks the per-ISA kern_chan_norm for a kernel config. */
#include "kernels/chan_norm.h"

kern_chan_norm_fn kern_chan_norm_for(const kern_config *cfg) {
  switch (cfg ? cfg->isa : KERN_ISA_GENERIC) {
  case KERN_ISA_AVX512: return kern_chan_norm_avx512;
  case KERN_ISA_AVX2: return kern_chan_norm_avx2;
  default: return kern_chan_norm_generic;
  }
}
