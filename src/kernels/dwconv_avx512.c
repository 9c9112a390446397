/* dwconv_avx512.c — kern_dwconv2d_nhwc_avx512: dwconv_body.h over simd_avx512.h. */
#include "kernels/simd_avx512.h"

#include "kernels/dwconv_body.h"
