/* kernels_isa.c — the selectors kern_<stem>_of(isa) of every kernel family (kernels.def):
 * the family's symbol for that ISA, NULL for a value that is no ISA. */
#include "kernels/kernels_isa.h"

#define KERN_CASE_(isa, ENUM, stem) case KERN_ISA_##ENUM: return kern_##stem##_##isa;
#define KERN_FAMILY(stem, type)                                                                   \
  type kern_##stem##_of(kern_isa isa) {                                                           \
    switch (isa) {                                                                                \
      KERN_ISA_EACH(KERN_CASE_, stem)                                                             \
    default: return NULL;                                                                         \
    }                                                                                             \
  }
#include "kernels/kernels.def"
