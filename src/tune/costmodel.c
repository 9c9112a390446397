/* costmodel.c — the DLFusion cost model (costmodel.h): inverse-distance interpolation of the
 * profile's time per operation over (log2 channels, log2 ops), per op class and core number,
 * and of its fused/unfused ratios. */
#include "tune/costmodel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/cpu.h"
#include "kernels/kernels.h"
#include "core/status.h"

typedef enum op_class { CLASS_CONV3, CLASS_CONV1, CLASS_DW, CLASS_POOL, CLASS_GEMM, CLASS_NONE } op_class;

static op_class sample_class(const profile_sample *s) {
  if (!strcmp(s->op, "conv")) return s->k == 1 ? CLASS_CONV1 : CLASS_CONV3;
  if (!strcmp(s->op, "dwconv")) return CLASS_DW;
  if (!strcmp(s->op, "pool")) return CLASS_POOL;
  if (!strcmp(s->op, "gemm")) return CLASS_GEMM;
  return CLASS_NONE;
}

/* A layer's class, channel size, output/input channel ratio and operation count in the
 * profile's units. */
static op_class layer_class(const dlf_layer_info *li, double *channels, double *ratio,
                            double *ops) {
  *channels = (double)(li->in_channels > 0 ? li->in_channels : 1);
  *ratio = li->in_channels > 0 && li->out_channels > 0
               ? (double)li->out_channels / (double)li->in_channels
               : 1.0;
  *ops = (double)li->macs;
  if (!strcmp(li->op, "Conv")) {
    if (li->groups > 1 && li->groups == li->in_channels && li->groups == li->out_channels)
      return CLASS_DW;
    return li->kernel_h == 1 && li->kernel_w == 1 ? CLASS_CONV1 : CLASS_CONV3;
  }
  if (!strcmp(li->op, "Gemm") || !strcmp(li->op, "MatMul")) return CLASS_GEMM;
  /* Pooling counts window visits; other layers one visit per output element. */
  int64_t out = 1;
  for (int d = 0; d < li->ndim_out; d++)
    out *= li->out_dims[d] > 0 ? li->out_dims[d] : 1;
  if (li->ndim_out == 4) *channels = (double)(li->out_dims[1] > 0 ? li->out_dims[1] : 1);
  if (!strcmp(li->op, "MaxPool") || !strcmp(li->op, "AveragePool")) {
    *ops = (double)out * (double)(li->kernel_h > 0 ? li->kernel_h : 1) *
           (double)(li->kernel_w > 0 ? li->kernel_w : 1);
  } else {
    *ops = (double)out;
  }
  return CLASS_POOL;
}

/* Inverse squared distance over the nearest samples of class c on k cores; value(s) is what
 * is interpolated. Returns < 0 when there are no samples. */
typedef double (*sample_value)(const profile_sample *s, double ops);

static double per_op(const profile_sample *s, double ops) {
  return s->us / (s->fused > 1 ? s->fused : 1) / (ops > 0 ? ops : 1);
}

/* Microseconds one fused boundary saves: a pair's unfused minus fused time. Absolute, not a
 * ratio: on an accelerator it is mostly a launch (constant), on a CPU the traffic of one
 * intermediate (grows with the layer); negative when fusing loses (halo recomputation,
 * weights streamed per tile). */
static double fused_saving(const profile_sample *s, double ops) {
  (void)ops;
  return s->us_unfused > 0 ? (s->us_unfused - s->us) / (s->fused > 1 ? s->fused - 1 : 1) : NAN;
}

/* log_space: interpolate log(value) (values > 0; time per op spans orders of magnitude),
 * else the values themselves (any sign). Returns NAN when there are no samples. */
static double interpolate(const profile *p, op_class c, int k, bool fused, double channels,
                          double ratio, double ops, sample_value value, bool log_space) {
  double best_d[TUNE_MODEL_NEIGHBOURS], best_v[TUNE_MODEL_NEIGHBOURS];
  int found = 0;
  const double lc = log2(channels > 1 ? channels : 1), lo = log2(ops > 1 ? ops : 1);
  const double lr = log2(ratio > 0 ? ratio : 1);
  for (int i = 0; i < p->n_samples; i++) {
    const profile_sample *s = &p->samples[i];
    if (s->cores != k || (s->fused > 1) != fused || sample_class(s) != c) continue;
    const double sops = profile_sample_macs(s), v = value(s, sops);
    if (!isfinite(v) || (log_space && !(v > 0))) continue;
    const double dc = log2(s->cin > 1 ? (double)s->cin : 1) - lc;
    const double dop = log2(sops > 1 ? sops : 1) - lo;
    const double dr = (s->cin > 0 && s->cout > 0 ? log2((double)s->cout / (double)s->cin) : 0) - lr;
    const double d = dc * dc + dop * dop + dr * dr;
    /* keep the nearest TUNE_MODEL_NEIGHBOURS (insertion into a sorted array) */
    int j = found < TUNE_MODEL_NEIGHBOURS ? found++ : TUNE_MODEL_NEIGHBOURS;
    if (j == TUNE_MODEL_NEIGHBOURS) {
      if (d >= best_d[TUNE_MODEL_NEIGHBOURS - 1]) continue;
      j = TUNE_MODEL_NEIGHBOURS - 1;
    }
    while (j > 0 && best_d[j - 1] > d) {
      best_d[j] = best_d[j - 1], best_v[j] = best_v[j - 1];
      j--;
    }
    best_d[j] = d, best_v[j] = v;
  }
  if (found == 0) return NAN;
  if (best_d[0] < 1e-12) return best_v[0]; /* a sample at this very point */
  double wsum = 0, acc = 0;
  for (int j = 0; j < found; j++) {
    const double w = 1.0 / best_d[j];
    wsum += w;
    acc += w * (log_space ? log(best_v[j]) : best_v[j]);
  }
  return log_space ? exp(acc / wsum) : acc / wsum;
}

double tune_model_layer_us(const profile *prof, const dlf_layer_info *li, int k) {
  double channels, ratio, ops;
  op_class c = layer_class(li, &channels, &ratio, &ops);
  if (ops <= 0) return 0; /* Flatten, Reshape: no work */
  double t = interpolate(prof, c, k, false, channels, ratio, ops, per_op, true);
  return isnan(t) ? -1 : t * ops;
}

/* Microseconds fusing layer li onto the layer before it saves on k cores: the fused pairs'
 * absolute savings interpolated like the layer times (linear scale: they can be negative).
 * Measured on the simulated MLU100 against the alternatives (bench/tune_accel.sh,
 * dlfusion/oracle on resnet18, resnet50, vgg16, alexnet, squeezenet1_0, mobilenet_v2):
 * this 1.002 1.001 1.027 1.000 1.112 1.266; the saving per byte of intermediate times the
 * layer's bytes 1.016 1.015 1.098 1.000 1.094 1.185 (same geometric mean, worse on four);
 * fused/unfused ratios 1.048 . 1.101 . . 1.414; a line a + b * bytes fitted to the nearest
 * six pairs 1.41-1.72 (extrapolates wildly); one global line per core number 1.09 . 1.37. */
static double layer_saving(const profile *prof, const dlf_layer_info *li, int k) {
  double channels, ratio, ops;
  op_class c = layer_class(li, &channels, &ratio, &ops);
  /* The profile fuses conv chains; other classes inside a block take the nearest conv's
   * saving at their channel size and ops. */
  double r = interpolate(prof, c, k, true, channels, ratio, ops, fused_saving, false);
  if (isnan(r))
    r = interpolate(prof, CLASS_CONV3, k, true, channels, ratio, ops, fused_saving, false);
  return isnan(r) ? 0.0 : r;
}

void tune_layer_block_terms(const dlf_layer_info *li, double *ops, double *weight_bytes,
                            double *out_bytes, double *halo, double *log_channels) {
  double ch, ratio;
  layer_class(li, &ch, &ratio, ops);
  *weight_bytes = (double)li->weight_bytes;
  *out_bytes = (double)li->act_out_bytes;
  *halo = li->kernel_h > 1 ? (double)(li->kernel_h - 1) : 0;
  *log_channels = log((double)(li->in_channels > 0 ? li->in_channels : 1));
}

/* A small cache of per-layer predictions: the profile's blocks of one chain and core number
 * come together and share layers. */
#define FIT_CACHE 16
typedef struct fit_cache {
  profile_layer l[FIT_CACHE];
  int k[FIT_CACHE];
  double us[FIT_CACHE];
  int n, next;
} fit_cache;

static double cached_layer_us(const profile *prof, fit_cache *fc, const profile_layer *l, int k) {
  for (int i = 0; i < fc->n; i++)
    if (fc->k[i] == k && !memcmp(&fc->l[i], l, sizeof *l)) return fc->us[i];
  dlf_layer_info li;
  profile_layer_info(l, &li);
  double us = tune_model_layer_us(prof, &li, k);
  int j = fc->next;
  fc->next = (fc->next + 1) % FIT_CACHE;
  if (fc->n < FIT_CACHE) fc->n++;
  fc->l[j] = *l, fc->k[j] = k, fc->us[j] = us;
  return us;
}

/* The features of a profile block (its layers' predictions from the same profile). */
static bool profile_block_features(const profile *prof, fit_cache *fc, const profile_block *b,
                                   tune_block_features *f) {
  memset(f, 0, sizeof *f);
  f->n_layers = b->n_layers;
  f->io_bytes = (double)(b->in_bytes + b->out_bytes);
  double out_sum = 0;
  for (int i = 0; i < b->n_layers; i++) {
    const double us = cached_layer_us(prof, fc, &b->layers[i], b->cores);
    if (us < 0) return false;
    dlf_layer_info li;
    profile_layer_info(&b->layers[i], &li);
    double ops, wb, ob, halo, lc;
    tune_layer_block_terms(&li, &ops, &wb, &ob, &halo, &lc);
    if (us > f->max_us) f->max_us = us;
    f->sum_us += us, f->ops += ops, f->weight_bytes += wb, f->halo += halo;
    f->log_channels += lc / b->n_layers;
    out_sum += ob;
  }
  f->inner_bytes = out_sum > (double)b->out_bytes ? out_sum - (double)b->out_bytes : 0;
  return true;
}

static dlf_status fit_blocks(const profile *prof, const tune_problem *pr, tune_model *m) {
  const size_t nk = (size_t)pr->n_core_numbers;
  m->fitted = dlf_calloc_array(nk, sizeof *m->fitted);
  m->w = dlf_calloc_array(nk, sizeof *m->w);
  tune_block_features *f = dlf_calloc_array((size_t)prof->n_blocks + 1, sizeof *f);
  double *us = dlf_calloc_array((size_t)prof->n_blocks + 1, sizeof *us);
  fit_cache *fc = calloc(1, sizeof *fc);
  dlf_status st = DLF_OK;
  if (!m->fitted || !m->w || !f || !us || !fc) {
    st = dlf_error(DLF_ERR_NOMEM, "out of memory fitting the block model");
    goto done;
  }
  for (size_t c = 0; c < nk; c++) {
    int n = 0;
    for (int i = 0; i < prof->n_blocks; i++) {
      const profile_block *b = &prof->blocks[i];
      if (b->cores != pr->core_numbers[c]) continue;
      if (profile_block_features(prof, fc, b, &f[n])) us[n++] = b->us;
    }
    m->fitted[c] = tune_block_fit(f, us, n, TUNE_BLOCK_RIDGE, m->w[c]);
    if (m->fitted[c]) m->n_fit_samples += n;
  }
done:
  free(f);
  free(us);
  free(fc);
  return st;
}

static dlf_status prefix_sums(const tune_problem *pr, tune_model *m) {
  const size_t n = (size_t)pr->n_layers + 1;
  double **arr[5] = {&m->pre_ops, &m->pre_wb, &m->pre_out, &m->pre_halo, &m->pre_lnch};
  for (int i = 0; i < 5; i++)
    if (!(*arr[i] = dlf_calloc_array(n, sizeof **arr[i])))
      return dlf_error(DLF_ERR_NOMEM, "out of memory preparing the block model");
  for (int l = 0; l < pr->n_layers; l++) {
    double ops, wb, ob, halo, lc;
    tune_layer_block_terms(&pr->info[l], &ops, &wb, &ob, &halo, &lc);
    m->pre_ops[l + 1] = m->pre_ops[l] + ops;
    m->pre_wb[l + 1] = m->pre_wb[l] + wb;
    m->pre_out[l + 1] = m->pre_out[l] + ob;
    m->pre_halo[l + 1] = m->pre_halo[l] + halo;
    m->pre_lnch[l + 1] = m->pre_lnch[l] + lc;
  }
  return tune_io_iter_init(pr, &m->io);
}

void tune_model_block_features(tune_model *m, const tune_problem *pr, int first, int last, int c,
                               tune_block_features *f) {
  int64_t in, out;
  tune_io_iter_get(&m->io, first, last, &in, &out);
  const int n = last - first + 1;
  f->n_layers = n;
  f->sum_us = f->max_us = 0;
  for (int l = first; l <= last; l++) {
    const double us = m->layer_us[l * m->n_k + c];
    f->sum_us += us;
    if (us > f->max_us) f->max_us = us;
  }
  f->ops = m->pre_ops[last + 1] - m->pre_ops[first];
  f->weight_bytes = m->pre_wb[last + 1] - m->pre_wb[first];
  f->halo = m->pre_halo[last + 1] - m->pre_halo[first];
  f->log_channels = (m->pre_lnch[last + 1] - m->pre_lnch[first]) / n;
  f->io_bytes = (double)(in + out);
  const double inner = m->pre_out[last + 1] - m->pre_out[first] - (double)out;
  f->inner_bytes = inner > 0 ? inner : 0;
}

dlf_status tune_model_prepare(const profile *prof, const target *t, const tune_problem *pr,
                              tune_model *out) {
  return tune_model_prepare_with(prof, t, pr, TUNE_BLOCK_DEFAULT, out);
}

dlf_status tune_model_prepare_with(const profile *prof, const target *t, const tune_problem *pr,
                                   tune_block_model bm, tune_model *out) {
  memset(out, 0, sizeof *out);
  out->io.counted = NULL;
  if (bm == TUNE_BLOCK_DEFAULT) bm = TUNE_DEFAULT_BLOCK_MODEL;
  if (bm != TUNE_BLOCK_PAIRS && bm != TUNE_BLOCK_FITTED)
    return dlf_error(DLF_ERR_INVALID_ARG, "unknown block model %d", (int)bm);
  out->block_model = bm;
  if (prof->target_kind != t->kind || prof->target_fingerprint != t->fingerprint)
    return dlf_error(DLF_ERR_INVALID_ARG,
                     "profile of target '%s' (fingerprint %016llx) does not match target '%s' "
                     "(fingerprint %016llx): profile this target with `dlfusion profile`",
                     prof->target_name, (unsigned long long)prof->target_fingerprint, t->name,
                     (unsigned long long)t->fingerprint);
  /* A CPU profile holds this machine's times: another CPU model or kernel path (a profile
   * copied from elsewhere, or DLF_ISA set differently) would tune for the wrong machine. */
  if (t->kind == TARGET_CPU) {
    const char *name = dlf_cpu_info_get()->name, *isa = kern_isa_name(kern_config_get()->isa);
    if (strcmp(prof->machine, name) != 0 || strcmp(prof->isa, isa) != 0)
      return dlf_error(DLF_ERR_INVALID_ARG,
                       "profile was measured on '%s' (%s kernels), this is '%s' (%s kernels): "
                       "profile this machine with `dlfusion profile`",
                       prof->machine, prof->isa, name, isa);
  }
  for (int c = 0; c < pr->n_core_numbers; c++) {
    bool any = false;
    for (int i = 0; i < prof->n_samples && !any; i++)
      any = prof->samples[i].cores == pr->core_numbers[c];
    if (!any)
      return dlf_error(DLF_ERR_INVALID_ARG,
                       "profile of target '%s' has no samples on %d cores: profile again with "
                       "that core number",
                       prof->target_name, pr->core_numbers[c]);
  }
  out->prof = prof;
  out->n_layers = pr->n_layers;
  out->n_k = pr->n_core_numbers;
  size_t n = (size_t)pr->n_layers * (size_t)pr->n_core_numbers + 1;
  out->layer_us = dlf_malloc_array(n, sizeof *out->layer_us);
  out->fuse_saving = dlf_malloc_array(n, sizeof *out->fuse_saving);
  if (!out->layer_us || !out->fuse_saving) {
    tune_model_free(out);
    return dlf_error(DLF_ERR_NOMEM, "out of memory preparing the cost model");
  }
  for (int l = 0; l < pr->n_layers; l++)
    for (int c = 0; c < pr->n_core_numbers; c++) {
      const int k = pr->core_numbers[c];
      out->layer_us[l * out->n_k + c] = tune_model_layer_us(prof, &pr->info[l], k);
      out->fuse_saving[l * out->n_k + c] = layer_saving(prof, &pr->info[l], k);
    }
  if (bm == TUNE_BLOCK_FITTED && prof->n_blocks > 0) {
    dlf_status st = fit_blocks(prof, pr, out);
    if (st == DLF_OK) st = prefix_sums(pr, out);
    if (st != DLF_OK) {
      tune_model_free(out);
      return st;
    }
  }
  return DLF_OK;
}

void tune_model_free(tune_model *m) {
  free(m->layer_us);
  free(m->fuse_saving);
  free(m->fitted);
  free(m->w);
  free(m->pre_ops);
  free(m->pre_wb);
  free(m->pre_out);
  free(m->pre_halo);
  free(m->pre_lnch);
  tune_io_iter_free(&m->io);
  memset(m, 0, sizeof *m);
}

double tune_cost_model(void *ctx, const tune_problem *pr, int first, int last, int k) {
  tune_model *m = ctx;
  int c = 0;
  while (c < pr->n_core_numbers && pr->core_numbers[c] != k)
    c++;
  if (c == pr->n_core_numbers) return -1;
  if (first < last && m->fitted && m->fitted[c]) {
    for (int l = first; l <= last; l++)
      if (m->layer_us[l * m->n_k + c] < 0) return -1;
    tune_block_features f;
    tune_model_block_features(m, pr, first, last, c, &f);
    return tune_block_predict(m->w[c], &f);
  }
  /* A block: its layers' unfused times less what each boundary inside it saves (the
   * saving interpolated at the layer after the boundary), never below the slowest layer's
   * share of its compute. */
  double sum = 0, floor = 0;
  for (int l = first; l <= last; l++) {
    double t = m->layer_us[l * m->n_k + c];
    if (t < 0) return -1;
    sum += t;
    if (l > first) sum -= m->fuse_saving[l * m->n_k + c];
    if (t > floor) floor = t;
  }
  return sum > 0.5 * floor ? sum : 0.5 * floor;
}
