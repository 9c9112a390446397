/* eltwise_avx512.c — the elementwise kernels of eltwise_body.h over simd_avx512.h. */
#include "kernels/kernels.h"
#include "kernels/simd_avx512.h"

#include "kernels/eltwise_body.h"
