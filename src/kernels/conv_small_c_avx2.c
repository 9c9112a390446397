/* conv_small_c_avx2.c — direct NHWC convolution for few input channels with AVX2 + FMA (see
 * conv_small_c_body.h); compiled with -mavx2 -mfma, only reached through a config that checked. */
#include "kernels/kernels.h"

#include <immintrin.h>

/* Register tiles: 16 ymm. Up to 2 vectors (16 channels) per chunk: 6 pixels x 2 = 12
 * accumulators + 2 weight vectors + 1 broadcast = 15 registers (the 6 x 16 tile of
 * gemm_avx2.c); 12 x 1 with one vector. */
/* Flat tap loop: vs per-row loops, resnet18 stem 77 -> 90 GFLOP/s (bench/stem_bench.c). */
#define SC_FLAT 1
#define SC_VL 8
#define SC_NV_MAX 2
#define SC_NP_MAX 12
#define SC_NP(nv) ((nv) == 1 ? 12 : 6)
#define SC_NAME kern_conv2d_small_c_avx2

typedef __m256 sc_vec;
static inline __m256i sc_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline sc_vec sc_zero(void) { return _mm256_setzero_ps(); }
static inline sc_vec sc_set1(float v) { return _mm256_set1_ps(v); }
static inline sc_vec sc_bcast(const float *p) { return _mm256_broadcast_ss(p); }
static inline sc_vec sc_load(const float *p) { return _mm256_loadu_ps(p); }
static inline sc_vec sc_load_n(const float *p, int n) { return _mm256_maskload_ps(p, sc_mask(n)); }
static inline void sc_store(float *p, sc_vec v) { _mm256_storeu_ps(p, v); }
static inline void sc_store_n(float *p, sc_vec v, int n) { _mm256_maskstore_ps(p, sc_mask(n), v); }
static inline sc_vec sc_fma(sc_vec a, sc_vec b, sc_vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline sc_vec sc_add(sc_vec a, sc_vec b) { return _mm256_add_ps(a, b); }
static inline sc_vec sc_max(sc_vec a, sc_vec b) { return _mm256_max_ps(a, b); }
static inline sc_vec sc_min(sc_vec a, sc_vec b) { return _mm256_min_ps(a, b); }

#include "kernels/conv_small_c_body.h"
