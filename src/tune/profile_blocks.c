/* profile_blocks.c — the synthesized BLOCKS of a profile (format 2): chains of 2 to 6
 * heterogeneous layers (inverted residuals, fire modules, basic and bottleneck residual
 * blocks, conv-conv-pool) simulated on an accelerator target, every run of 2 or more
 * consecutive layers of a chain on every allowed core number: what the fitted block model
 * (blockfit.c) learns how fusion changes latency from. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/status.h"
#include "target/accel_sim.h"
#include "tune/profile_blocks.h"

static int64_t out_size(int64_t n, int64_t k, int64_t stride) {
  return (n + 2 * ((k - 1) / 2) - k) / stride + 1;
}

void profile_layer_info(const profile_layer *l, dlf_layer_info *li) {
  const int64_t oh = out_size(l->h, l->k, l->stride), ow = out_size(l->w, l->k, l->stride);
  const bool conv = !strcmp(l->op, "conv"), dw = !strcmp(l->op, "dwconv");
  const bool pool = !strcmp(l->op, "pool"), cat = !strcmp(l->op, "concat");
  memset(li, 0, sizeof *li);
  li->op = conv || dw ? "Conv" : pool ? "MaxPool" : cat ? "Concat" : "Add";
  li->epilogue = conv || dw ? (l->residual ? "add+relu" : "relu") : "";
  li->in_channels = l->cin;
  li->out_channels = l->cout;
  li->ndim_in = li->ndim_out = 4;
  int64_t i4[4] = {1, l->cin, l->h, l->w}, o4[4] = {1, l->cout, oh, ow};
  memcpy(li->in_dims, i4, sizeof i4);
  memcpy(li->out_dims, o4, sizeof o4);
  if (conv || dw || pool) {
    li->kernel_h = li->kernel_w = l->k;
    li->stride_h = li->stride_w = l->stride;
    li->groups = dw ? l->cin : pool ? 0 : 1;
  }
  if (conv) li->macs = oh * ow * l->cout * l->cin * l->k * l->k;
  if (dw) li->macs = oh * ow * l->cout * l->k * l->k;
  if (conv) li->params = l->cout * l->cin * l->k * l->k + l->cout;
  if (dw) li->params = l->cout * l->k * l->k + l->cout;
  li->weight_bytes = 4 * li->params;
  li->act_out_bytes = 4 * oh * ow * l->cout;
  /* every activation input: a concat reads both halves, an add both operands, a residual
   * conv its skip tensor (the size of its output) */
  li->act_in_bytes = cat ? 4 * l->h * l->w * l->cout
                         : 4 * l->h * l->w * l->cin * (!strcmp(l->op, "add") ? 2 : 1) +
                               (l->residual ? li->act_out_bytes : 0);
}

/* ------------------------------------------------------------ the chains -- */

/* One layer of a chain: its shape and the chain layers it reads (-1 = the chain's input,
 * -2 = nothing). */
typedef struct chain_layer {
  profile_layer l;
  int in[2];
} chain_layer;

typedef struct chain {
  int n;
  chain_layer v[PROFILE_MAX_BLOCK_LAYERS];
  int64_t h, c; /* where the next layer starts: size and channels of the last output */
  int last;     /* index of the last output (-1: the chain's input) */
} chain;

static void add(chain *ch, const char *op, int64_t h, int64_t cin, int64_t cout, int k, int s,
                int residual, int in0, int in1) {
  chain_layer *x = &ch->v[ch->n];
  memset(x, 0, sizeof *x);
  snprintf(x->l.op, sizeof x->l.op, "%s", op);
  x->l.h = x->l.w = h;
  x->l.cin = cin, x->l.cout = cout, x->l.k = k, x->l.stride = s, x->l.residual = residual;
  x->in[0] = in0, x->in[1] = in1;
  ch->h = out_size(h, k, s), ch->c = cout, ch->last = ch->n;
  ch->n++;
}

static int64_t at_least(int64_t v, int64_t lo) { return v < lo ? lo : v; }

/* The modules, appended to a chain whose current output is (ch->h, ch->c, ch->last). */
static void inverted_residual(chain *ch, int expand, int stride) {
  const int64_t h = ch->h, c = ch->c, hid = c * expand, x = ch->last;
  const int64_t cout = stride == 1 ? c : c * 3 / 2;
  int prev = (int)x;
  if (expand > 1) add(ch, "conv", h, c, hid, 1, 1, 0, prev, -2), prev = ch->last;
  add(ch, "dwconv", h, hid, hid, 3, stride, 0, prev, -2);
  prev = ch->last;
  const int res = stride == 1;
  add(ch, "conv", ch->h, hid, cout, 1, 1, res, prev, res ? (int)x : -2);
}

static void fire(chain *ch) {
  const int64_t h = ch->h, c = ch->c, sq = at_least(c / 8, 4), e = at_least(c / 2, 8);
  const int x = ch->last;
  add(ch, "conv", h, c, sq, 1, 1, 0, x, -2);
  const int s = ch->last;
  add(ch, "conv", h, sq, e, 1, 1, 0, s, -2);
  const int e1 = ch->last;
  add(ch, "conv", h, sq, e, 3, 1, 0, s, -2);
  add(ch, "concat", h, e, 2 * e, 1, 1, 0, e1, ch->last);
}

static void basic(chain *ch, int stride) {
  const int64_t h = ch->h, c = ch->c, cout = stride == 1 ? c : 2 * c;
  const int x = ch->last;
  add(ch, "conv", h, c, cout, 3, stride, 0, x, -2);
  const int a = ch->last;
  int skip = x;
  if (stride != 1) add(ch, "conv", h, c, cout, 1, stride, 0, x, -2), skip = ch->last;
  add(ch, "conv", out_size(h, 3, stride), cout, cout, 3, 1, 1, a, skip);
}

static void bottleneck(chain *ch, int stride) {
  const int64_t h = ch->h, c = ch->c, mid = at_least(stride == 1 ? c / 4 : c / 2, 8);
  const int64_t cout = stride == 1 ? c : 2 * c;
  const int x = ch->last;
  add(ch, "conv", h, c, mid, 1, 1, 0, x, -2);
  add(ch, "conv", h, mid, mid, 3, stride, 0, ch->last, -2);
  const int b = ch->last;
  int skip = x;
  if (stride != 1) add(ch, "conv", h, c, cout, 1, stride, 0, x, -2), skip = ch->last;
  add(ch, "conv", out_size(h, 3, stride), mid, cout, 1, 1, 1, b, skip);
}

static void conv_conv_pool(chain *ch) {
  const int64_t h = ch->h, c = ch->c;
  add(ch, "conv", h, c, c, 3, 1, 0, ch->last, -2);
  add(ch, "conv", h, c, c, 3, 1, 0, ch->last, -2);
  add(ch, "pool", h, c, c, 2, 2, 0, ch->last, -2);
}

typedef enum family {
  FAM_IR1,       /* inverted residual, expansion 1 (dw + project, residual) */
  FAM_IR6,       /* inverted residual, expansion 6, stride 1 (residual) */
  FAM_IR6_S2,    /* expansion 6, stride 2, 1.5x channels */
  FAM_IR6_IR6,   /* two stride-1 expansion-6 blocks: runs across the module boundary */
  FAM_FIRE,      /* squeeze, expand 1x1 + 3x3, concat */
  FAM_FIRE_POOL, /* a fire module then 3x3/2 max pooling */
  FAM_BASIC,     /* two 3x3 convs + identity */
  FAM_BASIC2,    /* two basic blocks */
  FAM_BASIC_DS,  /* stride 2, 1x1 downsample, 2x channels */
  FAM_BOTTLE,    /* 1x1 c->c/4, 3x3, 1x1 -> c + identity */
  FAM_BOTTLE_DS, /* stride 2 with downsample */
  FAM_CCP,       /* conv 3x3, conv 3x3, max pool 2x2/2 */
  N_FAMILIES
} family;

static void build_chain(family f, int64_t size, int64_t c, chain *ch) {
  memset(ch, 0, sizeof *ch);
  ch->h = size, ch->c = c, ch->last = -1;
  switch (f) {
  case FAM_IR1: inverted_residual(ch, 1, 1); break;
  case FAM_IR6: inverted_residual(ch, 6, 1); break;
  case FAM_IR6_S2: inverted_residual(ch, 6, 2); break;
  case FAM_IR6_IR6: inverted_residual(ch, 6, 1), inverted_residual(ch, 6, 1); break;
  case FAM_FIRE: fire(ch); break;
  case FAM_FIRE_POOL:
    fire(ch);
    add(ch, "pool", ch->h, ch->c, ch->c, 3, 2, 0, ch->last, -2);
    break;
  case FAM_BASIC: basic(ch, 1); break;
  case FAM_BASIC2: basic(ch, 1), basic(ch, 1); break;
  case FAM_BASIC_DS: basic(ch, 2); break;
  case FAM_BOTTLE: bottleneck(ch, 1); break;
  case FAM_BOTTLE_DS: bottleneck(ch, 2); break;
  case FAM_CCP: conv_conv_pool(ch); break;
  case N_FAMILIES: break;
  }
}

/* The grid's rule (not the zoo's shapes): input sizes round(9 * 12^(j/4)), j = 0..4 (9, 17,
 * 31, 58, 108: log-spaced over 7..112), module input channels round(16 * 64^(i/5)),
 * i = 0..5 (16, 37, 84, 194, 446, 1024: log-spaced over 16..1024), every family at every
 * (size, channels) point except those with a tensor of more than GRID_MAX_TENSOR elements or
 * a layer of more than GRID_MAX_WEIGHTS weights (a 108 x 108 x 1024 map, 6144-channel
 * expansions: no CNN runs such blocks at batch 1). Chosen before any measurement; nothing in
 * it was tuned on a model. */
#define GRID_MAX_TENSOR ((int64_t)1 << 23)
#define GRID_MAX_WEIGHTS ((int64_t)1 << 22)
static const int64_t grid_sizes[] = {9, 17, 31, 58, 108};
static const int64_t grid_channels[] = {16, 37, 84, 194, 446, 1024};
/* quick (tests, CI): two small points of three families */
static const int64_t quick_sizes[] = {17};
static const int64_t quick_channels[] = {37};
static const family quick_families[] = {FAM_IR6, FAM_FIRE, FAM_BASIC_DS};

static bool chain_fits(const chain *ch) {
  for (int i = 0; i < ch->n; i++) {
    dlf_layer_info li;
    profile_layer_info(&ch->v[i].l, &li);
    if (li.act_out_bytes / 4 > GRID_MAX_TENSOR || li.act_in_bytes / 4 > 2 * GRID_MAX_TENSOR ||
        li.params > GRID_MAX_WEIGHTS)
      return false;
  }
  return true;
}

/* tune_block_io for a run [f, l] of the chain: tensors read from before f (each once), and
 * outputs of the run read after l or the chain's last output. */
static void run_io(const chain *ch, int f, int l, int64_t in_bytes0, int64_t *in, int64_t *out) {
  int64_t bytes[PROFILE_MAX_BLOCK_LAYERS];
  for (int i = 0; i < ch->n; i++) {
    dlf_layer_info li;
    profile_layer_info(&ch->v[i].l, &li);
    bytes[i] = li.act_out_bytes;
  }
  bool seen[PROFILE_MAX_BLOCK_LAYERS + 1] = {0}; /* [0]: the chain input, [1 + j]: layer j */
  *in = *out = 0;
  for (int i = f; i <= l; i++)
    for (int j = 0; j < 2; j++) {
      const int p = ch->v[i].in[j];
      if (p == -2 || (p >= f && p <= l) || seen[p + 1]) continue;
      seen[p + 1] = true;
      *in += p == -1 ? in_bytes0 : bytes[p];
    }
  for (int i = f; i <= l; i++) {
    bool used = i == ch->n - 1;
    for (int r = l + 1; r < ch->n && !used; r++)
      used = ch->v[r].in[0] == i || ch->v[r].in[1] == i;
    if (used) *out += bytes[i];
  }
}

/* Every run of >= 2 layers of ch on every core number, appended to *out (grown). */
static dlf_status chain_blocks(const target *t, const chain *ch, profile_block **blocks, int *n,
                               int *cap) {
  target_layer tl[PROFILE_MAX_BLOCK_LAYERS];
  for (int i = 0; i < ch->n; i++) {
    dlf_layer_info li;
    profile_layer_info(&ch->v[i].l, &li);
    target_layer_from_info(t, &li, &tl[i]);
  }
  const profile_layer *l0 = &ch->v[0].l;
  const int64_t in0 = 4 * l0->h * l0->w * l0->cin;
  for (int c = 0; c < t->n_core_numbers; c++)
    for (int f = 0; f < ch->n; f++)
      for (int l = f + 1; l < ch->n; l++) {
        if (*n == *cap) {
          int nc = *cap ? 2 * *cap : 1024;
          profile_block *g = realloc(*blocks, (size_t)nc * sizeof *g);
          if (!g) return dlf_error(DLF_ERR_NOMEM, "profile: out of memory for %d blocks", nc);
          *blocks = g, *cap = nc;
        }
        profile_block *b = &(*blocks)[*n];
        memset(b, 0, sizeof *b);
        b->n_layers = l - f + 1;
        for (int i = f; i <= l; i++)
          b->layers[i - f] = ch->v[i].l;
        b->cores = t->core_numbers[c];
        run_io(ch, f, l, in0, &b->in_bytes, &b->out_bytes);
        target_block_time bt;
        DLF_TRY(
            target_block_time_of(t, tl + f, b->n_layers, b->cores, b->in_bytes, b->out_bytes, &bt));
        b->us = bt.total_us;
        (*n)++;
      }
  return DLF_OK;
}

dlf_status profile_blocks_run(const target *t, int quick, profile *out) {
  const int64_t *sizes = quick ? quick_sizes : grid_sizes,
                *chans = quick ? quick_channels : grid_channels;
  const int ns = quick ? 1 : (int)(sizeof grid_sizes / sizeof *grid_sizes);
  const int nc = quick ? 1 : (int)(sizeof grid_channels / sizeof *grid_channels);
  const int nf = quick ? (int)(sizeof quick_families / sizeof *quick_families) : N_FAMILIES;
  profile_block *blocks = NULL;
  int n = 0, cap = 0;
  dlf_status st = DLF_OK;
  for (int fi = 0; fi < nf && st == DLF_OK; fi++)
    for (int si = 0; si < ns && st == DLF_OK; si++)
      for (int ci = 0; ci < nc && st == DLF_OK; ci++) {
        chain ch;
        build_chain(quick ? quick_families[fi] : (family)fi, sizes[si], chans[ci], &ch);
        if (chain_fits(&ch)) st = chain_blocks(t, &ch, &blocks, &n, &cap);
      }
  if (st != DLF_OK) {
    free(blocks);
    return st;
  }
  out->blocks = blocks;
  out->n_blocks = n;
  return DLF_OK;
}
