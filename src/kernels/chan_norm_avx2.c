/* chan_norm_avx2.c — kern_chan_norm_avx2: chan_norm_body.h over simd_avx2.h. */
#include "kernels/simd_avx2.h"

#include "kernels/chan_norm_body.h"
