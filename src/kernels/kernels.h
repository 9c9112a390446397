/* kernels.h — the compute kernels behind one dispatch table (kern_config), filled once
 * from CPU detection; call sites never test ISA flags. Kernels are pure: pointers, sizes,
 * strides in; no allocation, no graph types, no OS calls.
 *
 * SGEMM
 * -----
 *   C[M,N] = act( (accumulate ? C : 0) + A[M,K] * B[K,N] + bias_n[N] + bias_m[M] + R[M,N] )
 *
 * A is read in place (row stride lda, unit column stride). B is packed once into panels of
 * cfg->sgemm.nr columns (kern_sgemm_pack_b); the packed layout depends on the config, so a
 * packed B must be used with the config that packed it.
 *
 * Layout choice: the runtime should run 1x1 convolutions (and im2col'd KxK ones, and
 * fully-connected layers) in NHWC:  Y[HW, Cout] = X[HW, Cin] * W[Cin, Cout],  i.e.
 * A = activations (read in place, any row stride, so a band of image rows is a plain
 * range of M), B = weights packed once at session creation (XNNPACK's choice). Reasons:
 *   - the vector dimension is N = Cout, which in CNNs is almost always a multiple of 16
 *     or 32, so the masked edge tile is rare; the ragged dimension M = H*W is the cheap
 *     one (a smaller micro-tile, no masking);
 *   - a spatial band (DLFusion's fused-block tile: a range of output rows) is a
 *     contiguous range of M in NHWC; in NCHW it is C separate strided pieces;
 *   - weights are constant, so packing them costs nothing at run time; packing
 *     activations (what NCHW's C[Cout,HW] = W * X with B = X would need) costs a copy
 *     of every input on every run. ORT's NCHWc blocked layout gets the same properties
 *     (channel blocks as the vector dimension); NHWC is the same idea with one block.
 * NCHW is still possible with this interface (A = W[Cout,Cin] read in place, B = X packed
 * per run into a caller-provided buffer, bias per row via bias_m), but it is the slow path.
 *
 * Blocking (per config, derived from the detected caches, see config.c): the driver walks
 * N in blocks of nc columns, K in blocks of kc, M in tiles of mr rows, then the nr-wide
 * panels; the micro-kernel keeps an mr x nr tile of C in registers across kc steps.
 *
 * Threading: kern_sgemm is single-threaded. Split M by offsetting A, C, R and bias_m by
 * rows; split N at multiples of cfg->sgemm.nr using kern_sgemm_packed_b_at().
 */
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

/* Number of floats of a packed B [K, N]: ceil(N / nr) * nr * K. false on overflow. */
bool kern_sgemm_packed_b_floats(const kern_config *cfg, int64_t K, int64_t N, size_t *floats);

/* Packs B (element (k, n) at B[k * rs_k + n * cs_n]) into panels of nr columns: panel p
 * holds K rows of nr floats (columns p*nr ..), zero past N. Row-major W[K,N] is
 * (rs_k = N, cs_n = 1); ONNX Conv/Gemm-transB weights W[N,K] are (rs_k = 1, cs_n = K). */
void kern_sgemm_pack_b(const kern_config *cfg, int64_t K, int64_t N, const float *B, ptrdiff_t rs_k,
                       ptrdiff_t cs_n, float *packed);

/* The packed B seen from column j0 (a multiple of nr), to split N among threads. */
static inline const float *kern_sgemm_packed_b_at(const kern_config *cfg, const float *packed,
                                                  int64_t K, int64_t j0) {
  return packed + (j0 / cfg->sgemm.nr) * K * cfg->sgemm.nr;
}

/* C = act((accumulate ? C : 0) + A * B + bias + residual), see the top of this file.
 * M, N, K >= 0; lda >= K, ldc >= N. K == 0 writes the epilogue of an empty product.
 * Uses ~25 KiB of stack (a conflict-free copy of the current A tile, see gemm.c). */
void kern_sgemm(const kern_config *cfg, int64_t M, int64_t N, int64_t K, const float *A,
                ptrdiff_t lda, const float *packed_b, float *C, ptrdiff_t ldc,
                const kern_epilogue *epi);

/* kern_sgemm on rows [k0, k0 + K) of a packed B with more rows: packed_b points at row k0
 * of its first panel and panel_stride is the floats between panels (K_all * nr); kern_sgemm
 * is panel_stride = K * nr. Lets a caller block K outside the GEMM (Winograd's channel
 * blocks). */
void kern_sgemm_panels(const kern_config *cfg, int64_t M, int64_t N, int64_t K, const float *A,
                       ptrdiff_t lda, const float *packed_b, ptrdiff_t panel_stride, float *C,
                       ptrdiff_t ldc, const kern_epilogue *epi);

/* kern_sgemm's contract (same packed B, same epilogue) through the narrow kernel when this
 * ISA has one and N <= its max_n (N = 16 on AVX-512: twice kern_sgemm's rate, whose 32-wide
 * tile computes 16 zero columns there); false (nothing done) otherwise. Meant as the first
 * line of kern_sgemm / a 1x1 conv: if (!kern_sgemm_narrow(...)) kern_sgemm(...). */
static inline bool kern_sgemm_narrow(const kern_config *cfg, int64_t M, int64_t N, int64_t K,
                                     const float *A, ptrdiff_t lda, const float *packed_b,
                                     float *C, ptrdiff_t ldc, const kern_epilogue *epi) {
  if (!cfg->sgemm_narrow.fn || N > cfg->sgemm_narrow.max_n || N <= 0 || M <= 0) return false;
  cfg->sgemm_narrow.fn(M, (int)N, K, A, lda, packed_b, cfg->sgemm.nr, C, ldc, epi);
  return true;
}
void kern_sgemm_narrow_avx512(int64_t M, int n, int64_t K, const float *A, ptrdiff_t lda,
                              const float *b_panel, ptrdiff_t ldb, float *C, ptrdiff_t ldc,
                              const kern_epilogue *epi);

/* Micro-kernels (one per ISA file; only called through a kern_config). */
void kern_sgemm_ukernel_generic(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                                const float *b_panel, float *c, ptrdiff_t ldc,
                                const kern_tile_epilogue *epi);
void kern_sgemm_ukernel_avx2(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                             const float *b_panel, float *c, ptrdiff_t ldc,
                             const kern_tile_epilogue *epi);
void kern_sgemm_ukernel_avx512(int mr, int nr, int64_t kc, const float *a, ptrdiff_t lda,
                               const float *b_panel, float *c, ptrdiff_t ldc,
                               const kern_tile_epilogue *epi);

/* Register tiles, fixed per ISA by the register file (see each gemm_<isa>.c). */
#define KERN_SGEMM_GENERIC_MR 4
#define KERN_SGEMM_GENERIC_NR 8
#define KERN_SGEMM_AVX2_MR 6
#define KERN_SGEMM_AVX2_NR 16
#define KERN_SGEMM_AVX512_MR 12
#define KERN_SGEMM_AVX512_NR 32
#define KERN_SGEMM_MR_MAX 12  /* the largest mr above (sizes the driver's A tile copy) */
#define KERN_SGEMM_KC_MAX 512 /* the largest kc a config may choose (see config.c) */

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

/* ---- Direct NHWC convolution for few input channels (conv_small_c*.c) ----
 * The stem of a CNN (C = 3: resnet 7x7/2, alexnet 11x11/4, vgg 3x3, mobilenet 3x3/2) without
 * im2col: a register tile of output pixels x output channels accumulates over the
 * kh*kw*C taps (conv_small_c_body.h). groups == 1, any kernel / stride / dilation / pads /
 * Cout, x_stride / y_stride, bands; epilogue as kern_conv2d_nhwc (bias_n, residual with
 * pixel stride ldr (0 = Cout), act, accumulate; bias_m ignored). No scratch. Weights packed
 * as [kh][kw][C][Cout rounded up to 16] (the same for every ISA). */
bool kern_conv2d_small_c_applies(const kern_config *cfg, const kern_conv2d_params *p);
/* Floats of the packed weights. false on overflow. */
bool kern_conv2d_small_c_packed_floats(const kern_conv2d_params *p, size_t *floats);
/* Packs ONNX Conv weights W[Cout, C, kh, kw] (OIHW). */
void kern_conv2d_small_c_pack(const kern_conv2d_params *p, const float *w_oihw, float *packed);
/* Output rows [oh0, oh1) of one image. Single-threaded. cfg->conv_small_c.fn must be set
 * (kern_conv2d_small_c_applies). */
static inline void kern_conv2d_small_c(const kern_config *cfg, const kern_conv2d_params *p,
                                       const float *x, const float *packed_w, float *y,
                                       int64_t oh0, int64_t oh1, const kern_epilogue *epi) {
  cfg->conv_small_c.fn(p, x, packed_w, y, oh0, oh1, epi);
}
void kern_conv2d_small_c_generic(const kern_conv2d_params *p, const float *x,
                                 const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                                 const kern_epilogue *epi);
void kern_conv2d_small_c_avx2(const kern_conv2d_params *p, const float *x, const float *packed_w,
                              float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);
void kern_conv2d_small_c_avx512(const kern_conv2d_params *p, const float *x,
                                const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                                const kern_epilogue *epi);

/* ---- Depthwise NHWC convolution (dwconv_<isa>.c) ----
 * groups == C == Cout (channel multiplier 1), any kernel/stride/dilation/pads,
 * vectorized over channels. Weights packed as [kh*kw, C]. Same epilogue as above. */
size_t kern_dwconv2d_nhwc_packed_floats(const kern_conv2d_params *p);
/* Packs ONNX depthwise weights W[C, 1, kh, kw]. */
void kern_dwconv2d_nhwc_pack(const kern_conv2d_params *p, const float *w_oihw, float *packed);
static inline void kern_dwconv2d_nhwc(const kern_config *cfg, const kern_conv2d_params *p,
                                      const float *x, const float *packed_w, float *y, int64_t oh0,
                                      int64_t oh1, const kern_epilogue *epi) {
  cfg->nhwc.dwconv2d(p, x, packed_w, y, oh0, oh1, epi);
}
void kern_dwconv2d_nhwc_generic(const kern_conv2d_params *p, const float *x, const float *packed_w,
                                float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);
void kern_dwconv2d_nhwc_avx2(const kern_conv2d_params *p, const float *x, const float *packed_w,
                             float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);
void kern_dwconv2d_nhwc_avx512(const kern_conv2d_params *p, const float *x, const float *packed_w,
                               float *y, int64_t oh0, int64_t oh1, const kern_epilogue *epi);

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
void kern_maxpool2d_nhwc_generic(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                 int64_t oh1);
void kern_avgpool2d_nhwc_generic(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                 int64_t oh1);
void kern_global_avgpool_nhwc_generic(int64_t HW, int64_t C, const float *x, ptrdiff_t x_stride,
                                      float *y);
void kern_maxpool2d_nhwc_avx2(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                              int64_t oh1);
void kern_avgpool2d_nhwc_avx2(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                              int64_t oh1);
void kern_global_avgpool_nhwc_avx2(int64_t HW, int64_t C, const float *x, ptrdiff_t x_stride,
                                   float *y);
void kern_maxpool2d_nhwc_avx512(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                int64_t oh1);
void kern_avgpool2d_nhwc_avx512(const kern_pool2d_params *p, const float *x, float *y, int64_t oh0,
                                int64_t oh1);
void kern_global_avgpool_nhwc_avx512(int64_t HW, int64_t C, const float *x, ptrdiff_t x_stride,
                                     float *y);

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
void kern_winograd_f43_input_generic(int64_t C, const float *const px[36], float *v, ptrdiff_t vs);
void kern_winograd_f43_input_avx2(int64_t C, const float *const px[36], float *v, ptrdiff_t vs);
void kern_winograd_f43_input_avx512(int64_t C, const float *const px[36], float *v, ptrdiff_t vs);
void kern_winograd_f43_output_generic(int64_t Cout, const float *m, ptrdiff_t ms,
                                      float *const ypx[16], const float *const *rpx,
                                      const kern_epilogue *epi);
void kern_winograd_f43_output_avx2(int64_t Cout, const float *m, ptrdiff_t ms, float *const ypx[16],
                                   const float *const *rpx, const kern_epilogue *epi);
void kern_winograd_f43_output_avx512(int64_t Cout, const float *m, ptrdiff_t ms,
                                     float *const ypx[16], const float *const *rpx,
                                     const kern_epilogue *epi);

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
void kern_eltwise_binary_generic(kern_binary_op op, int64_t n, const float *a, const float *b,
                                 const float *r, float *y, const kern_unary *act);
void kern_eltwise_binary_avx2(kern_binary_op op, int64_t n, const float *a, const float *b,
                              const float *r, float *y, const kern_unary *act);
void kern_eltwise_binary_avx512(kern_binary_op op, int64_t n, const float *a, const float *b,
                                const float *r, float *y, const kern_unary *act);
void kern_eltwise_unary_generic(int64_t n, const float *x, float *y, const kern_unary *act);
void kern_eltwise_unary_avx2(int64_t n, const float *x, float *y, const kern_unary *act);
void kern_eltwise_unary_avx512(int64_t n, const float *x, float *y, const kern_unary *act);

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

#endif
