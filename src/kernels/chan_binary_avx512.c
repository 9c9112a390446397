/* chan_binary_avx512.c — kern_chan_binary_avx512: chan_binary_body.h over simd_avx512.h. */
#include "kernels/simd_avx512.h"

#include "kernels/chan_binary_body.h"
