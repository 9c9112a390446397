/* conv_grouped_avx2.c — kern_conv_grouped_avx2: conv_grouped_body.h over simd_avx2.h. */
#include "kernels/simd_avx2.h"

#include "kernels/conv_grouped_body.h"
