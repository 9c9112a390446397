/* conv_grouped_generic.c — kern_conv_grouped_generic: conv_grouped_body.h over simd_generic.h. */
#include "kernels/simd_generic.h"

#include "kernels/conv_grouped_body.h"
