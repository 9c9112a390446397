/* kernels.h — the compute kernels behind one dispatch table (kern_config), filled once
 * from CPU detection; call sites never test ISA flags. Kernels are pure: pointers, sizes,
 * strides in; no allocation, no graph types, no OS calls.
 *
 * This header holds what every kernel family shares: the ISAs, the epilogue, the parameter
 * structs, the dispatch table and its selection. Each family has its own header (gemm.h,
 * conv_nhwc.h, conv_small_c.h, dwconv.h, pool.h, winograd.h, eltwise.h, chan_binary.h,
 * chan_norm.h, conv_grouped.h); including kernels.h includes them all. The per-ISA symbols
 * behind the table are generated from kernels.def (kernels_isa.h). */
#ifndef DLF_KERNELS_KERNELS_H
#define DLF_KERNELS_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"

/* Kernel helpers that take compile-time shape parameters (pixels per block, stride) are
 * force-inlined so each call site is specialized and fully unrolled. Sanitizer builds
 * (DLF_SANITIZE, set by `make SAN=...`) leave inlining to the compiler: instrumenting every
 * specialized copy took clang minutes per file, and the checks see the same arithmetic. */
#ifdef DLF_SANITIZE
#define KERN_INLINE static inline
#else
#define KERN_INLINE static inline __attribute__((always_inline))
#endif

typedef enum kern_isa {
  KERN_ISA_GENERIC = 0, /* portable C, correct on any CPU */
  KERN_ISA_AVX2,        /* AVX2 + FMA (ymm, 16 registers) */
  KERN_ISA_AVX512,      /* AVX-512 F/BW/DQ/VL + FMA (zmm, 32 registers, opmasks) */
  KERN_ISA_COUNT
} kern_isa;

const char *kern_isa_name(kern_isa isa);

/* Activation applied by an epilogue. Semantics equal ir_act_apply() (src/ir/graph.c):
 * NaN passes through relu and clip. */
typedef enum kern_act {
  KERN_ACT_NONE = 0,
  KERN_ACT_RELU, /* x < 0 ? 0 : x */
  KERN_ACT_CLIP, /* x < lo ? lo : (x > hi ? hi : x); Relu6 is lo = 0, hi = 6 */
} kern_act;

/* What happens when a tile of C is written. All pointers optional (NULL = absent).
 * residual must not overlap C (C holds partial sums while K blocks are accumulated). */
typedef struct kern_epilogue {
  bool accumulate;       /* C += ... (true) or C = ... (false) */
  const float *bias_n;   /* [N], one per column (NHWC: per output channel) */
  const float *bias_m;   /* [M], one per row (NCHW: per output channel) */
  const float *residual; /* R[M,N], row stride ldr, added before the activation */
  ptrdiff_t ldr;
  kern_act act;
  float act_lo, act_hi; /* KERN_ACT_CLIP bounds */
} kern_epilogue;

/* The micro-kernel's view of the epilogue for one tile: pointers already offset to the
 * tile's first row / column. */
typedef struct kern_tile_epilogue {
  bool load_c; /* add the C already in memory (accumulate, or a later K block) */
  bool last;   /* last K block: apply bias, residual and activation */
  const float *bias_n, *bias_m, *residual;
  ptrdiff_t ldr;
  kern_act act;
  float act_lo, act_hi;
} kern_tile_epilogue;

/* C tile [mr, nr] (mr <= MR, nr <= NR) from A rows (lda) over kc steps and one packed
 * B panel (kc rows of NR floats, zero-padded past nr). */
typedef void (*kern_sgemm_ukernel_fn)(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                                      const float *b_panel, float *c, ptrdiff_t ldc,
                                      const kern_tile_epilogue *epi);

typedef struct kern_sgemm_config {
  int mr;     /* rows of the register tile (rows of A / C) */
  int nr;     /* columns of the register tile = width of a packed B panel */
  int64_t kc; /* K block: the A tile (mr x kc) stays in L1 across the panels of an N block */
  int64_t nc; /* N block, a multiple of nr: kc x nc of packed B stays in L2 across M */
  kern_sgemm_ukernel_fn ukernel;
} kern_sgemm_config;

/* NHWC convolution / depthwise / pooling (conv_nhwc*.c, dwconv_*.c, pool_nhwc_*.c)
 * --------------------------------------------------------------------------------
 * One image at a time (a batch is a loop over images). Activations are NHWC with a pixel
 * stride (floats between consecutive pixels; 0 = dense, i.e. the channel count), so a
 * tensor can be a channel slice of a wider buffer (concat in place). x, y and
 * epi->residual all address their full image (row 0); a call computes only the output
 * rows [oh0, oh1) (the fusion engine's band) and reads only the input rows that band
 * needs; padding is handled by bounds, never by a padded copy. The caller computes the
 * output size (so ceil_mode and end pads live in OH/OW). */
typedef struct kern_conv2d_params {
  int64_t H, W, C;        /* input image, NHWC; C = all input channels */
  int64_t OH, OW, Cout;   /* output image */
  int64_t kh, kw;         /* kernel */
  int64_t sh, sw, dh, dw; /* strides, dilations (>= 1) */
  int64_t pad_t, pad_l;   /* begin pads; end pads only shape OH/OW (reads past H/W are zero) */
  int64_t groups;         /* >= 1, divides C and Cout; depthwise: groups == C == Cout */
  ptrdiff_t x_stride;     /* floats between input pixels (0 = C) */
  ptrdiff_t y_stride;     /* floats between output pixels (0 = Cout) */
  /* Scratch per call (bytes) a kernel may use beyond its config's cache-sized default, 0 =
   * none: the caller's allowance (the engine's: a share of the model's largest layer I/O).
   * Only Winograd reads it (kern_winograd_f43); it changes how, not what, is computed. */
  int64_t scratch_bytes;
} kern_conv2d_params;

/* Depthwise micro-driver of one ISA: y rows [oh0, oh1) from packed_w [kh*kw, C]. */
typedef void (*kern_dwconv2d_fn)(const kern_conv2d_params *p, const float *x, const float *packed_w,
                                 float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);

typedef struct kern_pool2d_params {
  int64_t H, W, C, OH, OW;
  int64_t kh, kw, sh, sw, dh, dw;
  int64_t pad_t, pad_l, pad_b, pad_r; /* end pads: count_include_pad counts up to them */
  bool count_include_pad;             /* average pool divisor (see pool_nhwc_generic.c) */
  ptrdiff_t x_stride, y_stride;       /* floats between pixels (0 = C) */
} kern_pool2d_params;

typedef void (*kern_pool2d_fn)(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                               int64_t oh1);
/* y[c] = mean over the HW pixels of x[., c] (pixel stride x_stride, 0 = C). */
typedef void (*kern_global_avgpool_fn)(int64_t HW, int64_t C, const float *x, ptrdiff_t x_stride,
                                       float *y);

typedef struct kern_nhwc_config {
  int64_t im2col_bytes; /* budget of one im2col chunk (half of L2, see config.c) */
  kern_dwconv2d_fn dwconv2d;
  kern_pool2d_fn maxpool2d, avgpool2d;
  kern_global_avgpool_fn global_avgpool;
} kern_nhwc_config;

/* Winograd F(4x4, 3x3) tile transforms of one ISA (winograd_xform.h, see the Winograd
 * section below). input: V = B^T d B of one 6x6 tile for channels [0, C): px[i*6+j] is
 * input pixel (i, j) (a zero row of C floats where it falls in the padding); position q
 * goes to v + q*vs (C floats). output: Y = A^T m A from m + q*ms (q < 36, Cout floats),
 * then the epilogue (bias_n must be non-NULL, residual pixels rpx or NULL, accumulate,
 * act; epi->residual / ldr unused), written to ypx[i*4+j] (Cout floats each). */
typedef void (*kern_winograd_input_fn)(int64_t C, const float *const px[36], float *v,
                                       ptrdiff_t vs);
typedef void (*kern_winograd_output_fn)(int64_t Cout, const float *m, ptrdiff_t ms,
                                        float *const ypx[16], const float *const *rpx,
                                        const kern_epilogue *epi);
typedef struct kern_winograd_config {
  int64_t chunk_bytes; /* default bound of one chunk's V + M (see config.c) */
  kern_winograd_input_fn input;
  kern_winograd_output_fn output;
  int64_t cached_bytes; /* transformed weights up to this size stay in cache between chunks */
} kern_winograd_config;

/* Elementwise kernels (eltwise_<isa>.c, eltwise_body.h)
 * -----------------------------------------------------
 * Activations of the elementwise kernels: the same list, order and parameters (p0, p1) as
 * ir_act / ir_act_apply (src/ir/ir.h), so an engine maps one to the other member by member.
 * kern_act above is the subset the conv / GEMM epilogues apply. */
typedef enum kern_unary_op {
  KERN_UNARY_NONE = 0,
  KERN_UNARY_RELU,        /* x < 0 ? 0 : x (NaN passes) */
  KERN_UNARY_CLIP,        /* x < p0 ? p0 : (x > p1 ? p1 : x) */
  KERN_UNARY_LEAKYRELU,   /* x >= 0 ? x : p0 * x */
  KERN_UNARY_SIGMOID,     /* 1 / (1 + e^-x): vector exp on avx2/avx512 (~1e-7 relative) */
  KERN_UNARY_HARDSIGMOID, /* max(0, min(1, p0 * x + p1)) */
  KERN_UNARY_HARDSWISH,   /* x * max(0, min(1, x / 6 + 0.5)) */
  KERN_UNARY_TANH,        /* libm tanhf per element (no vector version) */
  KERN_UNARY_SILU,        /* x * (1 / (1 + e^-x)): sigmoid's vector exp */
  KERN_UNARY_ERF,         /* erf: simd_erf on avx2/avx512 (~2e-7 absolute), libm's generic */
  KERN_UNARY_SQRT,        /* libm sqrtf per element */
  KERN_UNARY_GELU,        /* x (erf(x / sqrt 2) + 1) / 2 (exact GELU as exported) */
} kern_unary_op;

typedef struct kern_unary {
  kern_unary_op op;
  float p0, p1;
} kern_unary;

typedef enum kern_binary_op { KERN_BINARY_ADD = 0, KERN_BINARY_MUL } kern_binary_op;

/* y[i] = act((a[i] op b[i]) + r[i]) for i < n; r NULL = absent, act NULL = none. y may be the
 * same array as a, b or r (each element is read before it is written); no other overlap. */
typedef void (*kern_eltwise_binary_fn)(kern_binary_op op, int64_t n, const float *a,
                                       const float *b, const float *r, float *y,
                                       const kern_unary *act);
/* y[i] = act(x[i]); y may be x. */
typedef void (*kern_eltwise_unary_fn)(int64_t n, const float *x, float *y, const kern_unary *act);

typedef struct kern_eltwise_config {
  kern_eltwise_binary_fn binary;
  kern_eltwise_unary_fn unary;
} kern_eltwise_config;

/* Narrow SGEMM (gemm_narrow_<isa>.c): C[M, n] for n <= max_n, from the first packed panel of
 * B (K rows of ldb = sgemm.nr floats, kern_sgemm_pack_b's layout), epilogue as kern_sgemm
 * (all of kern_epilogue; residual row stride ldr, 0 = ldc). */
typedef void (*kern_sgemm_narrow_fn)(int64_t M, int n, int64_t K, const float *A, ptrdiff_t lda,
                                     const float *b_panel, ptrdiff_t ldb, float *C, ptrdiff_t ldc,
                                     const kern_epilogue *epi);
typedef struct kern_sgemm_narrow_config {
  int max_n; /* widest N it computes (0: this ISA has none) */
  kern_sgemm_narrow_fn fn;
} kern_sgemm_narrow_config;

/* Direct NHWC convolution for few input channels (conv_small_c*.c): groups == 1 and
 * C <= max_c (the measured crossover with im2col + SGEMM, see config.c); fn = NULL: none. */
typedef void (*kern_conv2d_direct_fn)(const kern_conv2d_params *p, const float *x,
                                      const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                                      const kern_epilogue *epi);
typedef struct kern_conv_small_c_config {
  int64_t max_c;
  kern_conv2d_direct_fn fn;
} kern_conv_small_c_config;

typedef struct kern_config {
  kern_isa isa;
  const char *name;
  kern_sgemm_config sgemm;
  kern_nhwc_config nhwc;
  /* Why the active ISA differs from the request (DLF_ISA above what the CPU has, or an
   * unknown value), "" otherwise. The library never prints: callers may show it. */
  char note[160];
  kern_winograd_config winograd; /* appended: kern_winograd_f43 (winograd.c) */
  kern_eltwise_config eltwise;   /* appended: kern_eltwise_binary / kern_eltwise_unary */
  kern_sgemm_narrow_config sgemm_narrow; /* appended: kern_sgemm_narrow */
  kern_conv_small_c_config conv_small_c; /* appended: kern_conv2d_small_c */
} kern_config;

/* The active config: the best ISA of this CPU, or DLF_ISA=generic|avx2|avx512 (read once,
 * on the first call) clamped to what the CPU has. Thread-safe; never NULL. */
const kern_config *kern_config_get(void);

/* The config of one ISA (so tests and benchmarks can run every path), or NULL when this
 * CPU cannot run it. */
const kern_config *kern_config_for_isa(kern_isa isa);

/* Pure selection logic behind kern_config_get: the ISA to use given the best one the
 * CPU supports and a request string (NULL or "" = best). Writes a note (or "") when
 * the request is unknown or above `best`. */
kern_isa kern_isa_choose(kern_isa best, const char *request, char *note, size_t note_size);

/* The taps k in [0, K) of one output coordinate o whose input coordinate
 * o*s - pad + k*d lies in [lo, hi): they are [*k0, *k1) (empty when *k0 >= *k1). */
static inline void kern_tap_range(int64_t o, int64_t s, int64_t pad, int64_t d, int64_t K,
                                  int64_t lo, int64_t hi, int64_t *k0, int64_t *k1) {
  int64_t base = o * s - pad;
  int64_t a, b;
  if (d == 1) { /* the common case, without two 64-bit divisions per output pixel */
    a = base >= lo ? 0 : lo - base;
    b = base >= hi ? 0 : hi - base;
  } else {
    a = base >= lo ? 0 : (lo - base + d - 1) / d;
    b = base >= hi ? 0 : (hi - base + d - 1) / d;
  }
  *k0 = a;
  *k1 = b < K ? b : K;
}

/* Every family's header (each includes this one first; the guards make the order free). */
#include "kernels/chan_binary.h"
#include "kernels/chan_norm.h"
#include "kernels/conv_grouped.h"
#include "kernels/conv_nhwc.h"
#include "kernels/conv_small_c.h"
#include "kernels/dwconv.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "kernels/pool.h"
#include "kernels/winograd.h"

#endif
