/* pool.h — NHWC max / average / global-average pooling (pool_body.h). */
#ifndef DLF_KERNELS_POOL_H
#define DLF_KERNELS_POOL_H

#include "kernels/kernels.h"

/* ---- NHWC pooling (pool_nhwc_<isa>.c) ----
 * Semantics equal the reference (src/ir/ops/pool.c): max pool propagates NaN and gives
 * -inf for a window with no input pixel; average pool divides the float sum (taken in
 * kernel row-major order) by the count of input pixels, or with count_include_pad by the
 * count of positions inside the padded input (a ceil_mode overhang is not counted);
 * an empty count gives NaN. Output rows [oh0, oh1). */
static inline void kern_maxpool2d_nhwc(const kern_config *cfg, const kern_pool2d_params *p,
                                       const float *x, float *y, int64_t oh0, int64_t oh1) {
  cfg->nhwc.maxpool2d(p, x, y, oh0, oh1);
}
static inline void kern_avgpool2d_nhwc(const kern_config *cfg, const kern_pool2d_params *p,
                                       const float *x, float *y, int64_t oh0, int64_t oh1) {
  cfg->nhwc.avgpool2d(p, x, y, oh0, oh1);
}
static inline void kern_global_avgpool_nhwc(const kern_config *cfg, int64_t HW, int64_t C,
                                            const float *x, ptrdiff_t x_stride, float *y) {
  cfg->nhwc.global_avgpool(HW, C, x, x_stride, y);
}

#endif
