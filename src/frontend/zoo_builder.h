/* zoo_builder.h — the small graph-building helpers the model zoo's
 * architecture tables are interpreted with (internal to src/frontend/zoo*.c). */
#ifndef DLF_FRONTEND_ZOO_BUILDER_H
#define DLF_FRONTEND_ZOO_BUILDER_H

#include <stdint.h>

#include "ir/ir.h"

/* A model under construction. Every helper takes the module path of the
 * layer it adds ("layer1.0.conv1"): it names the node, the output tensor and
 * (as "<path>.weight" etc.) the initializers, exactly as torchvision's
 * state_dict does. */
typedef struct zoo_b {
  ir_graph *g;
  uint64_t seed;
  /* When set, the next helper names its output tensor this ("output")
   * instead of its module path; then it is cleared. */
  const char *next_out;
} zoo_b;

/* Initialisation of the last BatchNorm of a residual branch: a small gamma
 * keeps the variance of the sum from doubling at every block (the idea of
 * torchvision's zero_init_residual, not quite zero so the branch matters). */
typedef enum zoo_bn_init { ZOO_BN_DEFAULT, ZOO_BN_RESIDUAL_LAST } zoo_bn_init;

/* Conv2d (square kernel k, stride s, symmetric padding p, groups), He-normal
 * weights; bias "<path>.bias" when bias != 0. *x is replaced by the output. */
dlf_status zoo_conv(zoo_b *z, const char *path, int *x, int cin, int cout, int k, int s, int p,
                    int groups, int bias);
/* BatchNorm2d (eps 1e-5) with weight/bias/running_mean/running_var. */
dlf_status zoo_bn(zoo_b *z, const char *path, int *x, int c, zoo_bn_init init);
dlf_status zoo_relu(zoo_b *z, const char *path, int *x);
/* ReLU6 as Clip(x, min, max) with constants "<path>.min", "<path>.max". */
dlf_status zoo_relu6(zoo_b *z, const char *path, int *x);
dlf_status zoo_maxpool(zoo_b *z, const char *path, int *x, int k, int s, int p, int ceil_mode);
dlf_status zoo_global_avgpool(zoo_b *z, const char *path, int *x);
dlf_status zoo_flatten(zoo_b *z, const char *path, int *x);
/* Linear(fin, fout) as Gemm(transB=1) with weight [fout, fin], bias [fout]. */
dlf_status zoo_linear(zoo_b *z, const char *path, int *x, int fin, int fout);
/* *x = *x + y (the residual join). */
dlf_status zoo_add(zoo_b *z, const char *path, int *x, int y);
/* *x = Concat(a, b) along channels. */
dlf_status zoo_concat2(zoo_b *z, const char *path, int *x, int a, int b);

/* Room for a module path plus ".running_mean". */
#define ZOO_PATH_MAX 96

/* Sub-module path "<prefix>.<fmt...>" into buf[ZOO_PATH_MAX]; returns buf.
 * The zoo's paths are at most ~40 characters, far below the room. */
const char *zoo_sub(char *buf, const char *prefix, const char *fmt, ...) DLF_PRINTF(3, 4);

/* The architectures (zoo_*.c). */
dlf_status zoo_alexnet(zoo_b *z, int *x);
dlf_status zoo_vgg16(zoo_b *z, int *x);
dlf_status zoo_resnet18(zoo_b *z, int *x);
dlf_status zoo_resnet50(zoo_b *z, int *x);
dlf_status zoo_mobilenet_v2(zoo_b *z, int *x);
dlf_status zoo_squeezenet1_0(zoo_b *z, int *x);

#endif
