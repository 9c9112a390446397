/* dwconv_avx2.c — kern_dwconv2d_nhwc_avx2: dwconv_body.h over simd_avx2.h. */
#include "kernels/simd_avx2.h"

#include "kernels/dwconv_body.h"
