/* eltwise.h — elementwise binary and unary kernels (eltwise_body.h). */
#ifndef DLF_KERNELS_ELTWISE_H
#define DLF_KERNELS_ELTWISE_H

#include "kernels/kernels.h"

/* ---- Elementwise (eltwise_<isa>.c): see kern_eltwise_binary_fn above ----
 * Single-threaded over one range: split n among threads by offsetting all pointers (chunks
 * of a multiple of 16 floats keep every chunk on the vector path). */
static inline void kern_eltwise_binary(const kern_config *cfg, kern_binary_op op, int64_t n,
                                       const float *a, const float *b, const float *r, float *y,
                                       const kern_unary *act) {
  cfg->eltwise.binary(op, n, a, b, r, y, act);
}
static inline void kern_eltwise_unary(const kern_config *cfg, int64_t n, const float *x, float *y,
                                      const kern_unary *act) {
  cfg->eltwise.unary(n, x, y, act);
}

#endif
