/* dwconv_generic.c — kern_dwconv2d_nhwc_generic: dwconv_body.h over simd_generic.h. */
#include "kernels/simd_generic.h"

#include "kernels/dwconv_body.h"
