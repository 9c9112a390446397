/* conv_nhwc.h — NHWC convolution by im2col (or in place for 1x1) + packed SGEMM (conv_nhwc.c, conv_nhwc_pack.c). */
#ifndef DLF_KERNELS_CONV_NHWC_H
#define DLF_KERNELS_CONV_NHWC_H

#include "kernels/kernels.h"

/* ---- NHWC convolution (conv_nhwc.c, conv_nhwc_pack.c) ----
 * y = act(conv(x, W) + bias_n + residual) for groups >= 1 through im2col + kern_sgemm:
 * per group, B = W packed as [kh*kw*Cg, Coutg] (row k = (ki*kw + kj)*Cg + ci), A = the
 * im2col rows of a chunk of output pixels in scratch. 1x1 unpadded convolutions read x
 * in place (no im2col). groups > 1 runs one GEMM per group on channel slices (the slow
 * path: narrow N; depthwise has its own kernel). Dilated convolutions whose taps mostly fall
 * in the padding run one GEMM per tap over its live outputs instead (conv_taps.h, no
 * scratch, same packed weights). epi: bias_n [Cout], residual with pixel stride epi->ldr
 * (0 = Cout), act, accumulate; bias_m is ignored. */

/* Floats of the packed weights of p (all groups). false on overflow. */
bool kern_conv2d_nhwc_packed_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                    size_t *floats);
/* Packs ONNX Conv weights W[Cout, C/groups, kh, kw] (OIHW) for cfg. */
void kern_conv2d_nhwc_pack(const kern_config *cfg, const kern_conv2d_params *p, const float *w_oihw,
                           float *packed);
/* Floats of scratch one kern_conv2d_nhwc call needs (0 for unpadded 1x1). Each thread
 * running a band needs its own. false on overflow. */
bool kern_conv2d_nhwc_scratch_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                     size_t *floats);
/* Output rows [oh0, oh1) of one image. Single-threaded; uses ~25 KiB of stack (kern_sgemm). */
void kern_conv2d_nhwc(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                      const float *packed_w, float *y, int64_t oh0, int64_t oh1, float *scratch,
                      const kern_epilogue *epi);

#endif
