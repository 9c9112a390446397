/* pool_nhwc_generic.c — the pooling kernels of pool_body.h over simd_generic.h. */
#include "kernels/simd_generic.h"

#include "kernels/pool_body.h"
