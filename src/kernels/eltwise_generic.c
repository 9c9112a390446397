/* eltwise_generic.c — the elementwise kernels of eltwise_body.h over simd_generic.h. */
#include "kernels/kernels.h"
#include "kernels/simd_generic.h"

#include "kernels/eltwise_body.h"
