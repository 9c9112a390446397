/* chan_binary.c — picks the per-ISA kern_chan_binary for a kernel config (the family lives
 * beside kern_config rather than in it: one lookup, no table field to keep in step). */
#include "kernels/kernels_isa.h"

kern_chan_binary_fn kern_chan_binary_for(const kern_config *cfg) {
  return kern_chan_binary_of(cfg ? cfg->isa : KERN_ISA_GENERIC);
}
