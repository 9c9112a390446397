/* zoo_mobilenet.c — MobileNetV2 (width 1.0) from its inverted-residual
 * table (t, c, n, s), with torchvision 0.14's module paths and ReLU6. */
#include <stdio.h>

#include "frontend/zoo_builder.h"

/* Expansion t, output channels c, repeats n, first stride s (the paper's
 * Table 2; at width 1.0 every c is already a multiple of 8). */
static const int mobilenet_v2_setting[7][4] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};

/* torchvision's Conv2dNormActivation: conv (no bias, pad (k-1)/2) →
 * BN → ReLU6 at "<path>.0", "<path>.1", "<path>.2". */
static dlf_status conv_bn_relu6(zoo_b *z, const char *path, int *x, int cin, int cout, int k,
                                int s, int groups) {
  char p[ZOO_PATH_MAX];
  zoo_sub(p, path, "0");
  DLF_TRY(zoo_conv(z, p, x, cin, cout, k, s, (k - 1) / 2, groups, 0));
  zoo_sub(p, path, "1");
  DLF_TRY(zoo_bn(z, p, x, cout, ZOO_BN_DEFAULT));
  zoo_sub(p, path, "2");
  return zoo_relu6(z, p, x);
}

/* InvertedResidual at "features.<i>": [1x1 expand] → 3x3 depthwise →
 * 1x1 linear projection (conv, BN, no activation) [+ input]. The sub-module
 * indices of "conv" shift by one when there is no expansion (t == 1). */
static dlf_status inverted_residual(zoo_b *z, const char *path, int *x, int cin, int cout,
                                    int stride, int t) {
  int hidden = cin * t, in = *x, i = 0;
  char p[ZOO_PATH_MAX];
  if (t != 1) {
    zoo_sub(p, path, "conv.%d", i++);
    DLF_TRY(conv_bn_relu6(z, p, x, cin, hidden, 1, 1, 1));
  }
  zoo_sub(p, path, "conv.%d", i++);
  DLF_TRY(conv_bn_relu6(z, p, x, hidden, hidden, 3, stride, hidden));
  zoo_sub(p, path, "conv.%d", i++);
  DLF_TRY(zoo_conv(z, p, x, hidden, cout, 1, 1, 0, 1, 0));
  zoo_sub(p, path, "conv.%d", i++);
  int residual = stride == 1 && cin == cout;
  DLF_TRY(zoo_bn(z, p, x, cout, residual ? ZOO_BN_RESIDUAL_LAST : ZOO_BN_DEFAULT));
  if (!residual) return DLF_OK;
  zoo_sub(p, path, "add");
  return zoo_add(z, p, x, in);
}

dlf_status zoo_mobilenet_v2(zoo_b *z, int *x) {
  int c = 32, f = 0;
  char p[ZOO_PATH_MAX];
  snprintf(p, sizeof p, "features.%d", f++);
  DLF_TRY(conv_bn_relu6(z, p, x, 3, c, 3, 2, 1));
  for (int r = 0; r < 7; r++) {
    const int *s = mobilenet_v2_setting[r];
    for (int j = 0; j < s[2]; j++) {
      snprintf(p, sizeof p, "features.%d", f++);
      DLF_TRY(inverted_residual(z, p, x, c, s[1], j == 0 ? s[3] : 1, s[0]));
      c = s[1];
    }
  }
  snprintf(p, sizeof p, "features.%d", f++);
  DLF_TRY(conv_bn_relu6(z, p, x, c, 1280, 1, 1, 1));
  /* forward: adaptive_avg_pool2d(x, (1, 1)), flatten, classifier =
   * Dropout(0.2) (omitted) → Linear(1280, 1000) at "classifier.1" */
  DLF_TRY(zoo_global_avgpool(z, "avgpool", x));
  DLF_TRY(zoo_flatten(z, "flatten", x));
  z->next_out = "output";
  return zoo_linear(z, "classifier.1", x, 1280, 1000);
}
