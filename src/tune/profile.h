/* profile.h — a target profile: latencies of synthesized layers, synthesized fused pairs and
 * (format 2) synthesized heterogeneous blocks measured on a target for every allowed core
 * number; the data the DLFusion cost model is fitted on (latency as a function of operation
 * count, channel size and core number). Written by `dlfusion profile`, read by the tuner;
 * docs/profile.md is the format. */
#ifndef DLF_TUNE_PROFILE_H
#define DLF_TUNE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dlfusion.h"
#include "target/target.h"

/* Version 2 adds the optional "blocks" list; version 1 files (no blocks) still read. */
#define PROFILE_FORMAT_VERSION 2
#define PROFILE_MIN_FORMAT_VERSION 1
/* Layers of one block sample: the grid's chains have 2 to 6; room for a few more. */
#define PROFILE_MAX_BLOCK_LAYERS 8
#define PROFILE_MAX_SAMPLES 100000 /* sanity bound on file data */
/* Sanity bounds on sample fields (file data, not machine facts): 2^20 rows or channels is far
 * beyond any CNN layer; a fused chain of more than 64 layers is not a block anyone runs. */
#define PROFILE_MAX_DIM ((int64_t)1 << 20)
#define PROFILE_MAX_FUSED 64

/* One synthesized layer (fused == 1) or chain of `fused` identical-shape layers run as one
 * fused block, on `cores` cores: a conv of kernel k x k, stride s, cin -> cout channels on
 * an h x w input (batch 1), with ReLU; op "conv", "dwconv", "pool" or "gemm". */
typedef struct profile_sample {
  char op[16];
  int64_t h, w, cin, cout, k, stride;
  int fused;    /* layers in the block (1 = unfused) */
  int cores;
  double macs;  /* per layer */
  double us;    /* median latency of the whole block */
  double us_unfused; /* fused > 1: the same layers unfused, measured interleaved; else 0 */
} profile_sample;

/* The operation count of one layer of s, the `macs` the profiler records: multiply-adds for
 * conv (oh*ow*cout*cin*k*k), dwconv (oh*ow*cout*k*k) and gemm (cin*cout); window visits for
 * pool (oh*ow*cout*k*k), where dlf_layer_info.macs is 0. oh = (h + 2*((k-1)/2) - k)/stride + 1. */
double profile_sample_macs(const profile_sample *s);

/* One layer of a synthesized block (format 2): op "conv" (dense, groups 1), "dwconv"
 * (groups = cin = cout), "pool" (max pooling, cin = cout), "concat" (cin: its first input's
 * channels, cout: the concatenation's) or "add" (a residual join that is a layer of its own,
 * cin = cout); residual: a conv whose epilogue adds a skip tensor ("Conv+add"). The same
 * shape rules as a profile_sample: square k, stride, padding (k - 1) / 2. */
typedef struct profile_layer {
  char op[8];
  int64_t h, w, cin, cout, k, stride;
  int residual;
} profile_layer;

/* A run of consecutive layers of a synthesized chain (an inverted residual, a fire module, a
 * residual block, ...) run as one fused block on `cores` cores: its layers, the bytes it
 * reads from outside the run and writes for outside it (tune_block_io's numbers for the same
 * run of the chain's graph), and its latency. */
typedef struct profile_block {
  int n_layers;
  profile_layer layers[PROFILE_MAX_BLOCK_LAYERS];
  int cores;
  int64_t in_bytes, out_bytes;
  double us;
} profile_block;

/* The layer table entry (dlf_layer_info, float32) of a synthesized layer: what a real layer
 * of that shape looks like to the tuner. in_dims/out_dims are filled; op and epilogue point
 * to static strings. */
void profile_layer_info(const profile_layer *l, dlf_layer_info *li);

typedef struct profile {
  int version;
  char target_name[TARGET_NAME_MAX];
  target_kind target_kind;
  uint64_t target_fingerprint;
  char machine[128]; /* CPU model string ("simulated" for accelerators) */
  char isa[16];      /* kernel ISA the samples ran on ("sim" for accelerators) */
  int n_samples;
  profile_sample *samples;
  int n_blocks; /* format 2; 0 in a version-1 profile */
  profile_block *blocks;
} profile;

void profile_free(profile *p);

dlf_status profile_parse(const char *json, size_t len, const char *source, profile *out);
dlf_status profile_load(const char *path, profile *out);
char *profile_to_json(const profile *p); /* malloc'd; parse(to_json(p)) == p */
dlf_status profile_save(const profile *p, const char *path);
/* Every field equal (doubles compared with ==): what a round trip through the file keeps. */
bool profile_equal(const profile *a, const profile *b);

typedef struct profile_options {
  int quick;    /* fewer shapes and runs (tests, CI) */
  int runs;     /* timed runs per sample on the CPU (0 = default) */
  uint64_t seed;
} profile_options;

/* Measure (CPU) or simulate (accelerator) the synthesized layers on t. */
dlf_status profile_run(const target *t, const profile_options *o, profile *out);

#endif
