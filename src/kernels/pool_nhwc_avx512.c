/* pool_nhwc_avx512.c — the pooling kernels of pool_body.h over simd_avx512.h. */
#include "kernels/simd_avx512.h"

#include "kernels/pool_body.h"
