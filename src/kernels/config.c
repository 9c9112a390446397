/* config.c — fills the kernel dispatch tables once from CPU detection (XNNPACK gemm-config
 * style) and applies DLF_ISA=generic|avx2|avx512, clamped to what the CPU can run. */
#include "kernels/kernels_isa.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* K block bounds (floats). Below 64 the C-tile load/store per block stops being
 * amortised over the FMAs; above 512 the A tile of the widest ISA (12 rows) outgrows
 * half of a 48 KiB L1d. The value between them comes from the L1d size. */
#define KC_MIN 64
#define KC_MAX KERN_SGEMM_KC_MAX

_Static_assert(KERN_SGEMM_GENERIC_MR <= KERN_SGEMM_MR_MAX &&
                   KERN_SGEMM_AVX2_MR <= KERN_SGEMM_MR_MAX &&
                   KERN_SGEMM_AVX512_MR <= KERN_SGEMM_MR_MAX,
               "gemm.c sizes its A tile copy by KERN_SGEMM_MR_MAX");

/* Largest input-channel count the direct small-C convolution runs (kern_conv2d_small_c).
 * bench/stem_bench.c --sweep (Zen 5, AVX-512, 1 thread, 224x224 input, Cout 64): the direct
 * kernel beat im2col + SGEMM at every C from 1 to 16 (7x7/2: 1.96x at C = 1, 1.67x at 3,
 * 1.28x at 16; 3x3/1: 3.0x .. 1.56x). It stops at 4 because the zoo's small-C layers are
 * the 3-channel stems, 3x3 stride-1 convs from C = 8 go to Winograd (fewer flops), and
 * layers with 5..16 channels (deeper, smaller images, more output channels) were not
 * measured. */
#define SMALL_C_MAX_GENERIC 4
#define SMALL_C_MAX_AVX2 4
#define SMALL_C_MAX_AVX512 4

static kern_config g_configs[KERN_ISA_COUNT];
static bool g_supported[KERN_ISA_COUNT];
static kern_config g_active;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

const char *kern_isa_name(kern_isa isa) {
  switch (isa) {
  case KERN_ISA_GENERIC: return "generic";
  case KERN_ISA_AVX2: return "avx2";
  case KERN_ISA_AVX512: return "avx512";
  case KERN_ISA_COUNT: break;
  }
  return "unknown";
}

/* kc: the mr x kc tile of A is reused for every nr-wide panel of an N block, so it
 * should stay in L1d while B panels stream past it: give it half of L1d.
 * nc: the kc x nc block of packed B is reused for every mr-row tile of M, so it should
 * stay in L2: give it half of L2 (the other half holds A rows, C tiles and residuals). */
static void set_blocking(kern_sgemm_config *g, const dlf_cpu_info *cpu) {
  int64_t kc = cpu->l1d_bytes / 2 / ((int64_t)g->mr * (int64_t)sizeof(float));
  kc = kc / 16 * 16;
  if (kc < KC_MIN) kc = KC_MIN;
  if (kc > KC_MAX) kc = KC_MAX;
  int64_t nc = cpu->l2_bytes / 2 / (kc * (int64_t)sizeof(float));
  nc = nc / g->nr * g->nr;
  if (nc < g->nr) nc = g->nr;
  g->kc = kc;
  g->nc = nc;
}

/* Register tile of each ISA's SGEMM micro-kernel (kernels.h). */
static void tile_of(kern_isa isa, int *mr, int *nr) {
  switch (isa) {
  case KERN_ISA_AVX512: *mr = KERN_SGEMM_AVX512_MR, *nr = KERN_SGEMM_AVX512_NR; return;
  case KERN_ISA_AVX2: *mr = KERN_SGEMM_AVX2_MR, *nr = KERN_SGEMM_AVX2_NR; return;
  default: *mr = KERN_SGEMM_GENERIC_MR, *nr = KERN_SGEMM_GENERIC_NR; return;
  }
}

/* Largest input-channel count of each ISA's direct small-C convolution (SMALL_C_MAX_*). */
static int64_t small_c_max_of(kern_isa isa) {
  return isa == KERN_ISA_AVX512 ? SMALL_C_MAX_AVX512
         : isa == KERN_ISA_AVX2 ? SMALL_C_MAX_AVX2
                                : SMALL_C_MAX_GENERIC;
}

/* The config of isa: every kernel family's symbol for it (kernels.def, kernels_isa.h), the
 * blocking derived from the caches, and the ISA's own limits. */
static void fill(kern_isa isa, const dlf_cpu_info *cpu) {
  kern_config *c = &g_configs[isa];
  memset(c, 0, sizeof *c);
  c->isa = isa;
  c->name = kern_isa_name(isa);
  tile_of(isa, &c->sgemm.mr, &c->sgemm.nr);
  c->sgemm.ukernel = kern_sgemm_ukernel_of(isa);
  set_blocking(&c->sgemm, cpu);
  /* im2col chunk budget: half of L2, so that the chunk of A rows and the kc x nc block of
   * packed B (the other half, see set_blocking) stay in L2 together. Measured on Zen 5
   * (AVX-512, 1 thread, ResNet/VGG 3x3 layers 56x56x64 .. 28x28x512): chunks of 48 to 384
   * pixels are within noise of each other; 576+ pixels (past L2) lose 3-10%. */
  kern_nhwc_config *n = &c->nhwc;
  n->im2col_bytes = cpu->l2_bytes / 2;
  if (n->im2col_bytes < 64 * 1024) n->im2col_bytes = 64 * 1024;
  n->dwconv2d = kern_dwconv2d_nhwc_of(isa);
  n->maxpool2d = kern_maxpool2d_nhwc_of(isa);
  n->avgpool2d = kern_avgpool2d_nhwc_of(isa);
  n->global_avgpool = kern_global_avgpool_nhwc_of(isa);
  /* Winograd chunk budget: half of L2 for one chunk's V [36][tiles][C] + M [36][tiles][Cout],
   * so that the input transform's writes are still in L2 when the 36 GEMMs read them (and M
   * when the output transform reads it); the other half holds the streamed weights. */
  kern_winograd_config *w = &c->winograd;
  w->chunk_bytes = cpu->l2_bytes / 2;
  if (w->chunk_bytes < 64 * 1024) w->chunk_bytes = 64 * 1024;
  w->input = kern_winograd_f43_input_of(isa);
  w->output = kern_winograd_f43_output_of(isa);
  /* Weights up to the L3 slice are re-read from L3 by every chunk, larger ones from DRAM (see
   * winograd.c's blocking()). */
  w->cached_bytes = cpu->l3_bytes;
  c->eltwise = (kern_eltwise_config){kern_eltwise_binary_of(isa), kern_eltwise_unary_of(isa)};
  /* Direct small-C convolution: used up to max_c input channels, where it beat im2col +
   * SGEMM in bench/stem_bench.c (see there for the sweep). */
  c->conv_small_c = (kern_conv_small_c_config){small_c_max_of(isa), kern_conv2d_small_c_of(isa)};
}

kern_isa kern_isa_choose(kern_isa best, const char *request, char *note, size_t note_size) {
  if (note_size) note[0] = '\0';
  if (!request || !request[0]) return best;
  kern_isa want = KERN_ISA_COUNT;
  for (int i = 0; i < KERN_ISA_COUNT; i++)
    if (!strcmp(request, kern_isa_name((kern_isa)i))) want = (kern_isa)i;
  if (want == KERN_ISA_COUNT) {
    snprintf(note, note_size, "DLF_ISA=%s is not one of generic|avx2|avx512; using %s", request,
             kern_isa_name(best));
    return best;
  }
  if (want > best) {
    snprintf(note, note_size, "DLF_ISA=%s is not supported by this CPU; using %s", request,
             kern_isa_name(best));
    return best;
  }
  return want;
}

static void build(void) {
  const dlf_cpu_info *cpu = dlf_cpu_info_get();
  for (int i = 0; i < KERN_ISA_COUNT; i++)
    fill((kern_isa)i, cpu);
  /* Narrow SGEMM: AVX-512 only, where N <= 16 wastes half of the 32-wide tile. (AVX2's
   * 16-wide tile wastes half at N <= 8, which CNNs do not have.) */
  g_configs[KERN_ISA_AVX512].sgemm_narrow =
      (kern_sgemm_narrow_config){KERN_SGEMM_AVX512_NR / 2, kern_sgemm_narrow_avx512};
  g_supported[KERN_ISA_GENERIC] = true;
  g_supported[KERN_ISA_AVX2] = dlf_cpu_has_avx2(cpu);
  g_supported[KERN_ISA_AVX512] = dlf_cpu_has_avx512(cpu);
  kern_isa best = g_supported[KERN_ISA_AVX512] ? KERN_ISA_AVX512
                  : g_supported[KERN_ISA_AVX2] ? KERN_ISA_AVX2
                                               : KERN_ISA_GENERIC;
  char note[sizeof g_active.note];
  kern_isa isa = kern_isa_choose(best, getenv("DLF_ISA"), note, sizeof note);
  g_active = g_configs[isa];
  memcpy(g_active.note, note, sizeof note);
}

const kern_config *kern_config_get(void) {
  pthread_once(&g_once, build);
  return &g_active;
}

const kern_config *kern_config_for_isa(kern_isa isa) {
  pthread_once(&g_once, build);
  if ((int)isa < 0 || isa >= KERN_ISA_COUNT || !g_supported[isa]) return NULL;
  return &g_configs[isa];
}
