/* profile_blocks.h — the synthesized blocks of a profile (format 2): chains of heterogeneous
 * layers simulated on an accelerator as fused runs on every allowed core number. */
#ifndef DLF_TUNE_PROFILE_BLOCKS_H
#define DLF_TUNE_PROFILE_BLOCKS_H

#include "tune/profile.h"

/* Fills out->blocks / n_blocks (t: an accelerator target). quick: three small chains. */
dlf_status profile_blocks_run(const target *t, int quick, profile *out);

#endif
