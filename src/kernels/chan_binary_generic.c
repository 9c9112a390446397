/* chan_binary_generic.c — kern_chan_binary_generic: chan_binary_body.h over simd_generic.h. */
#include "kernels/simd_generic.h"

#include "kernels/chan_binary_body.h"
