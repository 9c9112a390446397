/* gemm.h — SGEMM: the packed-B driver and its micro-kernels (gemm.c, gemm_body.h, gemm_narrow_avx512.c).
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
#ifndef DLF_KERNELS_GEMM_H
#define DLF_KERNELS_GEMM_H

#include "kernels/kernels.h"

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

/* Register tiles, fixed per ISA by the register file (see each gemm_<isa>.c). */
#define KERN_SGEMM_GENERIC_MR 4
#define KERN_SGEMM_GENERIC_NR 8
#define KERN_SGEMM_AVX2_MR 6
#define KERN_SGEMM_AVX2_NR 16
#define KERN_SGEMM_AVX512_MR 12
#define KERN_SGEMM_AVX512_NR 32
#define KERN_SGEMM_MR_MAX 12  /* the largest mr above (sizes the driver's A tile copy) */
#define KERN_SGEMM_KC_MAX 512 /* the largest kc a config may choose (see config.c) */

#endif
