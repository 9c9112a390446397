/* chan_norm.c — picks the per-ISA kern_chan_norm for a kernel config. */
#include "kernels/kernels_isa.h"

kern_chan_norm_fn kern_chan_norm_for(const kern_config *cfg) {
  return kern_chan_norm_of(cfg ? cfg->isa : KERN_ISA_GENERIC);
}
