/* zoo_resnet.c — ResNet-18 (BasicBlock) and ResNet-50 (Bottleneck, v1.5:
 * the stride sits in the 3x3 conv) as block-count tables, as torchvision 0.14. */
#include <stdio.h>

#include "frontend/zoo_builder.h"

typedef struct resnet_cfg {
  int bottleneck;   /* 0: BasicBlock (expansion 1), 1: Bottleneck (expansion 4) */
  int blocks[4];    /* blocks per stage layer1..layer4 */
} resnet_cfg;

/* conv → bn [→ relu]: the unit every block is made of. conv_name/bn_name
 * are suffixes of the block path ("conv1", "bn1"). */
static dlf_status conv_bn(zoo_b *z, const char *block, const char *conv_name, const char *bn_name,
                          int *x, int cin, int cout, int k, int s, zoo_bn_init init) {
  char p[ZOO_PATH_MAX];
  zoo_sub(p, block, "%s", conv_name);
  DLF_TRY(zoo_conv(z, p, x, cin, cout, k, s, k / 2, 1, 0));
  zoo_sub(p, block, "%s", bn_name);
  return zoo_bn(z, p, x, cout, init);
}

/* One residual block at path `block` ("layer2.0"). Node names follow the
 * module paths; the ReLU module is applied twice in torchvision's forward,
 * so its second use is "<block>.relu_1" and the join is "<block>.add". */
static dlf_status block(zoo_b *z, const char *blk, int bottleneck, int *x, int cin, int planes,
                        int stride) {
  int expansion = bottleneck ? 4 : 1, cout = planes * expansion;
  int identity = *x;
  char p[ZOO_PATH_MAX];
  zoo_sub(p, blk, "relu");
  if (bottleneck) {
    DLF_TRY(conv_bn(z, blk, "conv1", "bn1", x, cin, planes, 1, 1, ZOO_BN_DEFAULT));
    DLF_TRY(zoo_relu(z, p, x));
    DLF_TRY(conv_bn(z, blk, "conv2", "bn2", x, planes, planes, 3, stride, ZOO_BN_DEFAULT));
    zoo_sub(p, blk, "relu_1");
    DLF_TRY(zoo_relu(z, p, x));
    DLF_TRY(conv_bn(z, blk, "conv3", "bn3", x, planes, cout, 1, 1, ZOO_BN_RESIDUAL_LAST));
  } else {
    DLF_TRY(conv_bn(z, blk, "conv1", "bn1", x, cin, planes, 3, stride, ZOO_BN_DEFAULT));
    DLF_TRY(zoo_relu(z, p, x));
    DLF_TRY(conv_bn(z, blk, "conv2", "bn2", x, planes, cout, 3, 1, ZOO_BN_RESIDUAL_LAST));
  }
  if (stride != 1 || cin != cout)
    DLF_TRY(conv_bn(z, blk, "downsample.0", "downsample.1", &identity, cin, cout, 1, stride,
                    ZOO_BN_DEFAULT));
  zoo_sub(p, blk, "add");
  DLF_TRY(zoo_add(z, p, x, identity));
  zoo_sub(p, blk, "%s", bottleneck ? "relu_2" : "relu_1");
  return zoo_relu(z, p, x);
}

static dlf_status resnet(zoo_b *z, int *x, const resnet_cfg *cfg) {
  DLF_TRY(zoo_conv(z, "conv1", x, 3, 64, 7, 2, 3, 1, 0));
  DLF_TRY(zoo_bn(z, "bn1", x, 64, ZOO_BN_DEFAULT));
  DLF_TRY(zoo_relu(z, "relu", x));
  DLF_TRY(zoo_maxpool(z, "maxpool", x, 3, 2, 1, 0));
  int c = 64, expansion = cfg->bottleneck ? 4 : 1;
  char blk[ZOO_PATH_MAX];
  for (int stage = 0; stage < 4; stage++) {
    int planes = 64 << stage;
    for (int b = 0; b < cfg->blocks[stage]; b++) {
      snprintf(blk, sizeof blk, "layer%d.%d", stage + 1, b);
      int stride = stage > 0 && b == 0 ? 2 : 1;
      DLF_TRY(block(z, blk, cfg->bottleneck, x, c, planes, stride));
      c = planes * expansion;
    }
  }
  DLF_TRY(zoo_global_avgpool(z, "avgpool", x)); /* AdaptiveAvgPool2d((1, 1)) */
  DLF_TRY(zoo_flatten(z, "flatten", x));
  z->next_out = "output";
  return zoo_linear(z, "fc", x, c, 1000);
}

dlf_status zoo_resnet18(zoo_b *z, int *x) {
  static const resnet_cfg cfg = {0, {2, 2, 2, 2}};
  return resnet(z, x, &cfg);
}

dlf_status zoo_resnet50(zoo_b *z, int *x) {
  static const resnet_cfg cfg = {1, {3, 4, 6, 3}};
  return resnet(z, x, &cfg);
}
