/* conv_grouped_avx512.c — kern_conv_grouped_avx512: conv_grouped_body.h over simd_avx512.h. */
#include "kernels/simd_avx512.h"

#include "kernels/conv_grouped_body.h"
