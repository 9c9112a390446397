/* winograd.h — Winograd F(4x4, 3x3) NHWC convolution (winograd.c, winograd_xform.h). */
#ifndef DLF_KERNELS_WINOGRAD_H
#define DLF_KERNELS_WINOGRAD_H

#include "kernels/kernels.h"

/* ---- Winograd F(4x4, 3x3) NHWC convolution (winograd.c, winograd_xform.h) ----
 * For 3x3, stride 1, dilation 1, groups 1 (kern_winograd_f43_applies), any pads / sizes.
 * Output tiles of 4x4 pixels from 6x6 input tiles; per chunk of tiles: V[36][tiles][C]
 * (input transform), then 36 GEMMs M[q][tiles, Cout] = V[q] * U[q] with U[q] [C, Cout]
 * the transformed weights in kern_sgemm_pack_b's layout, then the output transform with
 * the epilogue (bias_n, residual with pixel stride ldr (0 = Cout), act, accumulate;
 * bias_m ignored). Same x / y / band conventions as kern_conv2d_nhwc. Accuracy: max error
 * ~1e-5 of the output's max magnitude on uniform random data, C up to 512 (the transforms
 * scale by up to 8x; the issue allows 1e-3). Use it for C >= ~8: at C = 3 im2col is as fast. */
bool kern_winograd_f43_applies(const kern_conv2d_params *p);
/* Floats of the packed transformed weights: 36 packed B [C, Cout]. false on overflow. */
bool kern_winograd_f43_packed_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                     size_t *floats);
/* Transforms (in double) and packs ONNX weights W[Cout, C, 3, 3] for cfg. */
void kern_winograd_f43_pack(const kern_config *cfg, const kern_conv2d_params *p,
                            const float *w_oihw, float *packed);
/* Floats of scratch one call needs (per thread), with p or any narrower p->Cout (a column
 * slice). Chunks of tiles and slices / blocks of channels keep it within the larger of the
 * config's chunk_bytes (half of L2) and p->scratch_bytes, unless all of C for half a register
 * tile of tiles is already more (winograd.c, blocking()). false on overflow. */
bool kern_winograd_f43_scratch_floats(const kern_config *cfg, const kern_conv2d_params *p,
                                      size_t *floats);
/* Output rows [oh0, oh1) of one image; rows of a partial tile outside the band are
 * computed but not written. Single-threaded; ~25 KiB of stack (kern_sgemm). */
void kern_winograd_f43(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                       const float *packed_w, float *y, int64_t oh0, int64_t oh1, float *scratch,
                       const kern_epilogue *epi);
/* kern_winograd_f43 on a column slice, to split Cout among threads: p->Cout is the slice's
 * width, packed_w points at the slice's first panel of transformed matrix 0 (see
 * kern_sgemm_packed_b_at with K = C), per is the floats between the 36 transformed matrices
 * of the whole layer (kern_sgemm_packed_b_floats(C, all Cout)); y, bias_n and the residual
 * point at the slice's first channel, with y_stride / ldr the whole layer's channels.
 * Scratch: kern_winograd_f43_scratch_floats of the slice's params. */
void kern_winograd_f43_strided(const kern_config *cfg, const kern_conv2d_params *p,
                               const float *x, const float *packed_w, size_t per, float *y,
                               int64_t oh0, int64_t oh1, float *scratch,
                               const kern_epilogue *epi);

#endif
