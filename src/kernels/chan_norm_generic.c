/* chan_norm_generic.c — kern_chan_norm_generic: chan_norm_body.h over simd_generic.h. */
#include "kernels/simd_generic.h"

#include "kernels/chan_norm_body.h"
