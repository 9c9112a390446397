/* conv_small_c_avx512.c — direct NHWC convolution for few input channels with AVX-512 (see
 * conv_small_c_body.h); compiled with -mavx512*, only reached through a config that checked. */
#include "kernels/kernels.h"

#include <immintrin.h>

/* Register tiles: 32 zmm. Up to 4 vectors (64 channels) per chunk; pixels so that the
 * accumulators stay at <= 24 (+ NV weight vectors + broadcasts <= 32 registers): 6 x 4, 8 x 3,
 * 12 x 2 (and 12 x 1). Per tap, 6 x 4 costs 4 weight loads + 6 broadcasts for 24 FMAs. */
/* Flat tap loop: one loop exit per tile (3x3 stems: 27 taps in 3 rows of 9). */
#define SC_FLAT 1
#define SC_VL 16
#define SC_NV_MAX 4
#define SC_NP_MAX 12
#define SC_NP(nv) ((nv) <= 2 ? 12 : (nv) == 3 ? 8 : 6)
#define SC_NAME kern_conv2d_small_c_avx512

typedef __m512 sc_vec;
static inline __mmask16 sc_mask(int n) { return (__mmask16)((1u << n) - 1); }
static inline sc_vec sc_zero(void) { return _mm512_setzero_ps(); }
static inline sc_vec sc_set1(float v) { return _mm512_set1_ps(v); }
static inline sc_vec sc_bcast(const float *p) { return _mm512_set1_ps(*p); }
static inline sc_vec sc_load(const float *p) { return _mm512_loadu_ps(p); }
static inline sc_vec sc_load_n(const float *p, int n) {
  return _mm512_maskz_loadu_ps(sc_mask(n), p);
}
static inline void sc_store(float *p, sc_vec v) { _mm512_storeu_ps(p, v); }
static inline void sc_store_n(float *p, sc_vec v, int n) {
  _mm512_mask_storeu_ps(p, sc_mask(n), v);
}
static inline sc_vec sc_fma(sc_vec a, sc_vec b, sc_vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline sc_vec sc_add(sc_vec a, sc_vec b) { return _mm512_add_ps(a, b); }
static inline sc_vec sc_max(sc_vec a, sc_vec b) { return _mm512_max_ps(a, b); }
static inline sc_vec sc_min(sc_vec a, sc_vec b) { return _mm512_min_ps(a, b); }

#include "kernels/conv_small_c_body.h"
