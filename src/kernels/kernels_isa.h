/* kernels_isa.h — every per-ISA kernel symbol, generated from the family x ISA lists of
 * kernels.def: the prototype of kern_<stem>_<isa> for each family and ISA, and the selector
 * kern_<stem>_of(isa) that the dispatch tables (config.c) and the families' own entry points
 * use. A per-ISA file includes this so that its definition is checked against the family's
 * type; nothing else should name a kern_*_<isa> symbol. */
#ifndef DLF_KERNELS_KERNELS_ISA_H
#define DLF_KERNELS_KERNELS_ISA_H

#include "kernels/chan_binary.h"
#include "kernels/chan_norm.h"
#include "kernels/conv_grouped.h"
#include "kernels/kernels.h"

#define KERN_PROTO_(isa, ENUM, stem, type) extern __typeof__(*(type)0) kern_##stem##_##isa;
#define KERN_FAMILY(stem, type)                                                                   \
  KERN_ISA_EACH(KERN_PROTO_, stem, type)                                                          \
  type kern_##stem##_of(kern_isa isa);
#include "kernels/kernels.def"
#undef KERN_PROTO_

#endif
