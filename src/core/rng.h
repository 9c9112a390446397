/* rng.h — a small deterministic random number generator (SplitMix64) for zoo
 * weights, synthesized inputs and randomized tests. Same seed, same numbers,
 * on every machine. */
#ifndef DLF_CORE_RNG_H
#define DLF_CORE_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct dlf_rng {
  uint64_t state;
} dlf_rng;

static inline dlf_rng dlf_rng_make(uint64_t seed) {
  dlf_rng r = {seed};
  return r;
}

static inline uint64_t dlf_rng_next(dlf_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 24 random bits (exact in float). */
static inline float dlf_rng_uniform(dlf_rng *r) {
  return (float)(dlf_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform in [lo, hi). */
static inline float dlf_rng_range(dlf_rng *r, float lo, float hi) {
  return lo + (hi - lo) * dlf_rng_uniform(r);
}

/* Standard normal (Box-Muller; one value per call, simple over fast). */
static inline float dlf_rng_normal(dlf_rng *r) {
  double u1 = ((double)(dlf_rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
  double u2 = (double)(dlf_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

#endif
