/* zoo_plain.c — the zoo's plain feed-forward CNNs as tables: AlexNet, VGG-16
 * (no BN) and SqueezeNet 1.0, exactly as torchvision 0.14 defines them. */
#include <stdio.h>

#include "frontend/zoo_builder.h"

/* One entry of a torchvision nn.Sequential "features" list. The entry's
 * index in the list is its module path ("features.<i>"), so Dropout and
 * ReLU entries keep their places even where they add nothing. */
typedef enum { L_CONV, L_RELU, L_MAXPOOL, L_FIRE } layer_kind;

typedef struct seq_layer {
  layer_kind kind;
  int a, b, c; /* CONV: cout, k, stride; FIRE: squeeze, expand1x1, expand3x3 */
  int p;       /* CONV: padding; MAXPOOL: k=a, stride=b, pad=p, ceil_mode=c */
} seq_layer;

/* SqueezeNet's Fire module: squeeze 1x1 → ReLU → [expand1x1 → ReLU,
 * expand3x3 (pad 1) → ReLU] → concat. Returns the output channel count. */
static dlf_status fire(zoo_b *z, const char *path, int *x, int cin, int sq, int e1, int e3,
                       int *cout) {
  char p[ZOO_PATH_MAX];
  zoo_sub(p, path, "squeeze");
  DLF_TRY(zoo_conv(z, p, x, cin, sq, 1, 1, 0, 1, 1));
  zoo_sub(p, path, "squeeze_activation");
  DLF_TRY(zoo_relu(z, p, x));
  int a = *x, b = *x;
  zoo_sub(p, path, "expand1x1");
  DLF_TRY(zoo_conv(z, p, &a, sq, e1, 1, 1, 0, 1, 1));
  zoo_sub(p, path, "expand1x1_activation");
  DLF_TRY(zoo_relu(z, p, &a));
  zoo_sub(p, path, "expand3x3");
  DLF_TRY(zoo_conv(z, p, &b, sq, e3, 3, 1, 1, 1, 1));
  zoo_sub(p, path, "expand3x3_activation");
  DLF_TRY(zoo_relu(z, p, &b));
  zoo_sub(p, path, "cat");
  DLF_TRY(zoo_concat2(z, p, x, a, b));
  *cout = e1 + e3;
  return DLF_OK;
}

/* Interpret a "features" table; *c is the channel count in and out. */
static dlf_status sequential(zoo_b *z, const char *prefix, const seq_layer *t, int n, int *x,
                             int *c) {
  char p[ZOO_PATH_MAX];
  for (int i = 0; i < n; i++) {
    const seq_layer *l = &t[i];
    zoo_sub(p, prefix, "%d", i);
    switch (l->kind) {
    case L_CONV:
      DLF_TRY(zoo_conv(z, p, x, *c, l->a, l->b, l->c, l->p, 1, 1));
      *c = l->a;
      break;
    case L_RELU: DLF_TRY(zoo_relu(z, p, x)); break;
    case L_MAXPOOL: DLF_TRY(zoo_maxpool(z, p, x, l->a, l->b, l->p, l->c)); break;
    case L_FIRE: DLF_TRY(fire(z, p, x, *c, l->a, l->b, l->c, c)); break;
    }
  }
  return DLF_OK;
}

/* The classifier of AlexNet and VGG: Dropout, Linear, ReLU, Dropout,
 * Linear, ReLU, Linear — Dropouts omitted (inference), indices kept: at[]
 * are the indices of the three Linears (AlexNet and VGG order them differently). */
static dlf_status mlp_classifier(zoo_b *z, int *x, int fin, int hidden, const int at[3]) {
  DLF_TRY(zoo_flatten(z, "flatten", x));
  char p[ZOO_PATH_MAX];
  snprintf(p, sizeof p, "classifier.%d", at[0]);
  DLF_TRY(zoo_linear(z, p, x, fin, hidden));
  snprintf(p, sizeof p, "classifier.%d", at[0] + 1);
  DLF_TRY(zoo_relu(z, p, x));
  snprintf(p, sizeof p, "classifier.%d", at[1]);
  DLF_TRY(zoo_linear(z, p, x, hidden, hidden));
  snprintf(p, sizeof p, "classifier.%d", at[1] + 1);
  DLF_TRY(zoo_relu(z, p, x));
  z->next_out = "output";
  snprintf(p, sizeof p, "classifier.%d", at[2]);
  return zoo_linear(z, p, x, hidden, 1000);
}

#define CONV(cout, k, s, p) {L_CONV, cout, k, s, p}
#define RELU {L_RELU, 0, 0, 0, 0}
#define MAXPOOL(k, s, ceil) {L_MAXPOOL, k, s, ceil, 0}
#define FIRE(sq, e1, e3) {L_FIRE, sq, e1, e3, 0}

static const seq_layer alexnet_features[] = {
    CONV(64, 11, 4, 2),  RELU, MAXPOOL(3, 2, 0), CONV(192, 5, 1, 2), RELU,
    MAXPOOL(3, 2, 0),    CONV(384, 3, 1, 1), RELU, CONV(256, 3, 1, 1), RELU,
    CONV(256, 3, 1, 1),  RELU, MAXPOOL(3, 2, 0),
};

dlf_status zoo_alexnet(zoo_b *z, int *x) {
  int c = 3;
  DLF_TRY(sequential(z, "features", alexnet_features,
                     (int)(sizeof alexnet_features / sizeof alexnet_features[0]), x, &c));
  /* avgpool = AdaptiveAvgPool2d((6, 6)) on the 6x6 map a 224 input gives:
   * each output cell averages exactly one input cell, an identity — omitted
   * (the zoo's input size is fixed at 224). */
  static const int at[3] = {1, 4, 6};
  return mlp_classifier(z, x, 256 * 6 * 6, 4096, at);
}

/* VGG configuration "D": output channels of 3x3 convs, 0 = 2x2 max pool. */
static const int vgg16_cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0,
                                512, 512, 512, 0, 512, 512, 512, 0};

dlf_status zoo_vgg16(zoo_b *z, int *x) {
  /* expand the cfg into torchvision's features list: conv, relu | pool */
  seq_layer t[2 * sizeof vgg16_cfg / sizeof vgg16_cfg[0]];
  int n = 0;
  for (size_t i = 0; i < sizeof vgg16_cfg / sizeof vgg16_cfg[0]; i++) {
    if (vgg16_cfg[i] == 0) {
      t[n++] = (seq_layer)MAXPOOL(2, 2, 0);
    } else {
      t[n++] = (seq_layer)CONV(vgg16_cfg[i], 3, 1, 1);
      t[n++] = (seq_layer)RELU;
    }
  }
  int c = 3;
  DLF_TRY(sequential(z, "features", t, n, x, &c));
  /* avgpool = AdaptiveAvgPool2d((7, 7)) on the 7x7 map of a 224 input: an
   * identity, omitted (see alexnet). */
  static const int at[3] = {0, 3, 6};
  return mlp_classifier(z, x, 512 * 7 * 7, 4096, at);
}

/* SqueezeNet 1.0: pools use ceil_mode=True (111 → 55 → 27 → 13). */
static const seq_layer squeezenet1_0_features[] = {
    CONV(96, 7, 2, 0),     RELU, MAXPOOL(3, 2, 1),     FIRE(16, 64, 64),
    FIRE(16, 64, 64),      FIRE(32, 128, 128),         MAXPOOL(3, 2, 1),
    FIRE(32, 128, 128),    FIRE(48, 192, 192),         FIRE(48, 192, 192),
    FIRE(64, 256, 256),    MAXPOOL(3, 2, 1),           FIRE(64, 256, 256),
};

dlf_status zoo_squeezenet1_0(zoo_b *z, int *x) {
  int c = 3;
  DLF_TRY(sequential(z, "features", squeezenet1_0_features,
                     (int)(sizeof squeezenet1_0_features / sizeof squeezenet1_0_features[0]), x,
                     &c));
  /* classifier: Dropout (omitted), Conv 1x1 → 1000, ReLU, AdaptiveAvgPool(1) */
  DLF_TRY(zoo_conv(z, "classifier.1", x, c, 1000, 1, 1, 0, 1, 1));
  DLF_TRY(zoo_relu(z, "classifier.2", x));
  DLF_TRY(zoo_global_avgpool(z, "classifier.3", x));
  z->next_out = "output";
  return zoo_flatten(z, "flatten", x);
}
