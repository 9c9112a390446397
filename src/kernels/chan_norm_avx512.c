/* chan_norm_avx512.c — kern_chan_norm_avx512: chan_norm_body.h over simd_avx512.h. */
#include "kernels/simd_avx512.h"

#include "kernels/chan_norm_body.h"
