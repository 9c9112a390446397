/* chan_binary_avx2.c — kern_chan_binary_avx2: chan_binary_body.h over simd_avx2.h. */
#include "kernels/simd_avx2.h"

#include "kernels/chan_binary_body.h"
