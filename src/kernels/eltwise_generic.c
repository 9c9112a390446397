/* eltwise_generic.c — the elementwise kernels of eltwise_body.h in portable C, one float at a
 * time (GCC vectorizes the simple ones); sigmoid uses libm's expf, exactly as the reference. */
#include "kernels/kernels.h"

#include <math.h>

#define EL_VL 1
#define EL_NAME(stem) stem##_generic
typedef float el_vec;
static inline el_vec el_load(const float *p) { return *p; }
static inline void el_store(float *p, el_vec v) { *p = v; }
static inline el_vec el_set1(float f) { return f; }
static inline el_vec el_add(el_vec a, el_vec b) { return a + b; }
static inline el_vec el_mul(el_vec a, el_vec b) { return a * b; }
static inline el_vec el_div(el_vec a, el_vec b) { return a / b; }
/* maxps / minps semantics: the second operand unless a > b (a < b) */
static inline el_vec el_max(el_vec a, el_vec b) { return a > b ? a : b; }
static inline el_vec el_min(el_vec a, el_vec b) { return a < b ? a : b; }
static inline el_vec el_ge0_select(el_vec x, el_vec a, el_vec b) { return x >= 0.0f ? a : b; }
static inline el_vec el_exp(el_vec x) { return expf(x); }

static inline el_vec el_erf(el_vec x) { return erff(x); }

#include "kernels/eltwise_body.h"
