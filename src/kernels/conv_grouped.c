/* conv_grouped.c — when the direct grouped convolution applies, its weight packing, and the
 * per-ISA dispatch (the bodies: conv_grouped_body.h). */
#include "kernels/kernels_isa.h"

static int64_t vl_of(const kern_config *cfg) {
  switch (cfg->isa) {
  case KERN_ISA_AVX512: return 16;
  case KERN_ISA_AVX2: return 8;
  default: return 4;
  }
}

bool kern_conv_grouped_applies(const kern_config *cfg, const kern_conv2d_params *p) {
  const int64_t G = p->groups, VL = vl_of(cfg);
  if (G <= 1 || p->C % G || p->Cout % G || (G == p->C && G == p->Cout)) return false;
  const int64_t Cg = p->C / G, Ng = p->Cout / G;
  if (p->Cout % VL) return false;
  if (Ng < VL) return VL % Ng == 0 && Cg == Ng;
  return Ng % VL == 0;
}

size_t kern_conv_grouped_packed_floats(const kern_conv2d_params *p) {
  return (size_t)p->Cout * (size_t)(p->C / p->groups) * (size_t)(p->kh * p->kw);
}

void kern_conv_grouped_pack(const kern_config *cfg, const kern_conv2d_params *p,
                            const float *w_oihw, float *packed) {
  const int64_t VL = vl_of(cfg), Cg = p->C / p->groups, khw = p->kh * p->kw;
  for (int64_t o = 0; o < p->Cout; o++)
    for (int64_t j = 0; j < Cg; j++)
      for (int64_t t = 0; t < khw; t++)
        packed[(((o / VL) * khw + t) * Cg + j) * VL + o % VL] = w_oihw[(o * Cg + j) * khw + t];
}

void kern_conv_grouped(const kern_config *cfg, const kern_conv2d_params *p, const float *x,
                       const float *packed_w, float *y, int64_t oh0, int64_t oh1,
                       const kern_epilogue *epi) {
  kern_conv_grouped_of(cfg->isa)(p, x, packed_w, y, oh0, oh1, epi);
}
