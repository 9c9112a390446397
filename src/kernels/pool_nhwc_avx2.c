/* pool_nhwc_avx2.c — the pooling kernels of pool_body.h over simd_avx2.h. */
#include "kernels/simd_avx2.h"

#include "kernels/pool_body.h"
