#!/usr/bin/python3
# gen_suite.py — the model suite of issue 15: one or more models of every CNN family torchvision
# 0.14 ships for classification and segmentation, exported to ONNX with PyTorch's reference output.
"""Usage: gen_suite.py [--out DIR] [--set design|heldout|all] [--quick] [--only NAME,...] [--force]
       gen_suite.py --list [--set S] [--quick] [--only NAME,...]   (the table, no torch needed)
       gen_suite.py --unknown-ops MODEL.onnx   (its ops that src/ir/ops.def does not list)

Writes DIR/<case>/{model.onnx,input.npy,output.npy,stamp.txt} (default DIR:
tests/fixtures/gen/suite, git-ignored). --list prints one line per case: "name set family opset
batch HxW quick|big" (what test_suite.sh and bench/compare_ort.py select from). Random weights from a fixed
seed, BatchNorm statistics calibrated by train-mode passes of random batches at the case's input
size (gen_models.calibrate_bn), then eval(); each case must be input-sensitive (two inputs'
outputs differ by >= 10x the test tolerance of the output range) or generation fails. A case is
regenerated only when its stamp (SUITE_VERSION, torch version, seed, table row) changed.

The two sets (bench/suite.md says the same):
  design   the models the team may tune choices on;
  heldout  never used for a decision: only measured, to tell whether the choices generalize.
'big' cases (more than BIG_MACS multiply-adds per run, batch included) are left out of the quick
mode of test_suite.sh and of --quick here."""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_models  # noqa: E402  (calibrate_bn, compare: one implementation of each)

DEFAULT_OUT = os.path.join(HERE, "..", "fixtures", "gen", "suite")
SEED = gen_models.SEED
REL_TOL = gen_models.REL_TOL
# Bump when the way a case is built changes (calibration, export options, input data).
SUITE_VERSION = 1
# Above this many multiply-adds per run (all images of the batch) a case is 'big': out of the
# quick mode. 5e9 keeps the quick set's `dlfusion run` + reference check near a minute on the
# 2-vCPU Sapphire Rapids VM of issue 15 (per-case times: bench/suite.md).
BIG_MACS = 5e9

# name, set, family, torchvision constructor, opset, batch, H, W, G multiply-adds per run
# (`dlfusion info`'s "model: X GMACs"; for the cases that did not load yet, torchvision's
# "GFLOPS" scaled to this input size; decides quick/big), why this variant.
SUITE = [
    # ---- design set: choices may be tuned on these
    ("resnet18", "design", "ResNet", "resnet18", 13, 1, 224, 224, 1.8, ""),
    ("resnet50", "design", "ResNet", "resnet50", 13, 1, 224, 224, 4.1, ""),
    ("vgg16", "design", "VGG", "vgg16", 13, 1, 224, 224, 15.5, ""),
    ("alexnet", "design", "AlexNet", "alexnet", 13, 1, 224, 224, 0.7, ""),
    ("squeezenet1_0", "design", "SqueezeNet", "squeezenet1_0", 13, 1, 224, 224, 0.8, ""),
    ("mobilenet_v2", "design", "MobileNetV2", "mobilenet_v2", 13, 1, 224, 224, 0.3, ""),
    ("googlenet", "design", "GoogLeNet", "googlenet", 13, 1, 224, 224, 1.5, ""),
    ("inception_v3", "design", "Inception v3", "inception_v3", 13, 1, 299, 299, 5.7, "299x299"),
    ("shufflenet_v2_x1_0", "design", "ShuffleNetV2", "shufflenet_v2_x1_0", 13, 1, 224, 224, 0.14,
     ""),
    ("resnext50_32x4d", "design", "ResNeXt", "resnext50_32x4d", 13, 1, 224, 224, 4.2, ""),
    ("mobilenet_v3_large", "design", "MobileNetV3", "mobilenet_v3_large", 13, 1, 224, 224, 0.22,
     ""),
    ("efficientnet_b0", "design", "EfficientNet", "efficientnet_b0", 13, 1, 224, 224, 0.39, ""),
    ("regnet_y_400mf", "design", "RegNet", "regnet_y_400mf", 13, 1, 224, 224, 0.4, ""),
    ("densenet121", "design", "DenseNet", "densenet121", 13, 1, 224, 224, 2.83, ""),
    ("convnext_tiny", "design", "ConvNeXt", "convnext_tiny", 13, 1, 224, 224, 4.5,
     "LayerNorm as ReduceMean/Sub/Pow/Sqrt/Div"),
    ("convnext_tiny_op17", "design", "ConvNeXt", "convnext_tiny", 17, 1, 224, 224, 4.5,
     "opset 17: LayerNorm as LayerNormalization"),
    ("fcn_resnet50", "design", "FCN", "fcn_resnet50", 13, 1, 256, 320, 46.0,
     "segmentation, dilated ResNet-50 (output stride 8), 256x320"),
    ("mnasnet1_0", "design", "MnasNet", "mnasnet1_0", 13, 1, 224, 224, 0.31, ""),
    # ---- held-out set: never used for a decision
    ("resnet34_b2", "heldout", "ResNet", "resnet34", 13, 2, 224, 224, 7.3, "batch 2"),
    ("wide_resnet50_2", "heldout", "Wide ResNet", "wide_resnet50_2", 13, 1, 224, 224, 11.4, ""),
    ("vgg11_bn", "heldout", "VGG", "vgg11_bn", 13, 1, 224, 224, 7.6, "with BatchNorm"),
    ("squeezenet1_1", "heldout", "SqueezeNet", "squeezenet1_1", 11, 1, 224, 224, 0.35,
     "opset 11"),
    ("shufflenet_v2_x0_5", "heldout", "ShuffleNetV2", "shufflenet_v2_x0_5", 13, 1, 224, 224, 0.04,
     ""),
    ("mobilenet_v3_small", "heldout", "MobileNetV3", "mobilenet_v3_small", 13, 1, 192, 256, 0.06,
     "non-square 192x256"),
    ("mnasnet0_5", "heldout", "MnasNet", "mnasnet0_5", 11, 1, 224, 224, 0.1, "opset 11"),
    ("efficientnet_v2_s", "heldout", "EfficientNet", "efficientnet_v2_s", 13, 1, 224, 224, 2.85,
     "v2 (fused MBConv), 224x224"),
    ("efficientnet_b1", "heldout", "EfficientNet", "efficientnet_b1", 17, 1, 240, 240, 0.69,
     "240x240, opset 17"),
    ("regnet_x_400mf", "heldout", "RegNet", "regnet_x_400mf", 13, 1, 224, 224, 0.41, ""),
    ("densenet169", "heldout", "DenseNet", "densenet169", 13, 1, 224, 224, 3.36, ""),
    ("lraspp_mobilenet_v3_large", "heldout", "LR-ASPP", "lraspp_mobilenet_v3_large", 11, 1, 224,
     224, 0.4, "segmentation, opset 11 (Resize with scales)"),
    ("deeplabv3_mobilenet_v3_large", "heldout", "DeepLabV3", "deeplabv3_mobilenet_v3_large", 17, 1,
     320, 320, 4.0, "segmentation, 320x320, opset 17"),
]
SETS = ("design", "heldout")


def row(case):
  name, cset, family, ctor, opset, batch, h, w, gmacs, note = case
  return {"name": name, "set": cset, "family": family, "ctor": ctor, "opset": opset,
          "batch": batch, "h": h, "w": w, "gmacs": gmacs, "note": note,
          "big": gmacs * 1e9 > BIG_MACS}


def select(cset="all", quick=False, only=""):
  rows = [row(c) for c in SUITE]
  if cset != "all":
    rows = [r for r in rows if r["set"] == cset]
  if quick:
    rows = [r for r in rows if not r["big"]]
  if only:
    want = [n for n in only.replace(",", " ").split() if n]
    unknown = [n for n in want if n not in {row(c)["name"] for c in SUITE}]
    if unknown:
      raise SystemExit("gen_suite.py: unknown case(s): %s" % " ".join(unknown))
    rows = [r for r in rows if r["name"] in want]
  return rows


def line(r):
  return "%s %s %s %d %d %dx%d %s" % (r["name"], r["set"], r["family"].replace(" ", "_"),
                                      r["opset"], r["batch"], r["h"], r["w"],
                                      "big" if r["big"] else "quick")


def stamp(r):
  import torch
  # only what the files depend on: editing a case's note or size estimate regenerates nothing
  key = tuple(r[k] for k in ("name", "ctor", "opset", "batch", "h", "w"))
  return "suite=%d torch=%s seed=%d case=%r" % (SUITE_VERSION, torch.__version__, SEED, key)


class OutTensor:
  """Segmentation models return {'out': ..., 'aux': ...}: export the 'out' tensor."""

  @staticmethod
  def wrap(torch, model):
    class Out(torch.nn.Module):
      def __init__(self, m):
        super().__init__()
        self.m = m

      def forward(self, x):
        return self.m(x)["out"]
    return Out(model)


def build(r, torch, torchvision):
  tvm = torchvision.models
  ctor = r["ctor"]
  if ctor in ("fcn_resnet50", "lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"):
    m = getattr(tvm.segmentation, ctor)(weights=None, weights_backbone=None)
    return OutTensor.wrap(torch, m)
  kw = {}
  if ctor in ("googlenet", "inception_v3"):
    # No auxiliary heads (eval() ignores them; the train-mode calibration would need them fed)
    # and torchvision's truncated-normal init, as a weights=None user gets.
    kw = {"aux_logits": False, "init_weights": True}
  m = getattr(tvm, ctor)(weights=None, **kw)
  if ctor.startswith("convnext"):
    # ConvNeXt initializes its layer scale to 1e-6: each block's branch would add a millionth of
    # its value to the residual stream, so an error anywhere in the branch (depthwise 7x7,
    # LayerNorm, GELU) could not show in the output. Scales of 0.1-0.3 keep the branches visible
    # without blowing up the stream over 18 blocks.
    with torch.no_grad():
      for mod in m.modules():
        if hasattr(mod, "layer_scale"):
          mod.layer_scale.uniform_(0.1, 0.3)
  return m


def export_case(r, out_dir):
  import torch
  import torchvision
  import onnx
  t0 = time.time()
  torch.manual_seed(SEED)
  np.random.seed(SEED)
  model = build(r, torch, torchvision)
  shape = (r["batch"], 3, r["h"], r["w"])
  n_bn = gen_models.calibrate_bn(model, torch, shape=(4, 3, r["h"], r["w"]))
  model.eval()
  x = torch.from_numpy(np.random.RandomState(SEED).standard_normal(shape).astype(np.float32))
  x2 = torch.from_numpy(np.random.RandomState(SEED + 1).standard_normal(shape).astype(np.float32))
  with torch.no_grad():
    y = model(x).numpy()
    y2 = model(x2).numpy()
  rng = float(y.max() - y.min())
  diff = float(np.abs(y - y2).max())
  print("  %s: bn=%d output %s range %.4g (std %.4g), |y(x1)-y(x2)|max %.4g (%.1f%% of range)"
        % (r["name"], n_bn, "x".join(map(str, y.shape)), rng, float(y.std()), diff,
           100.0 * diff / max(rng, 1e-30)), flush=True)
  # Same rule as gen_models.py: an executor that lost the input signal cannot pass.
  if not np.isfinite(y).all() or rng < 1e-6 or diff < 10 * REL_TOL * rng:
    raise SystemExit("gen_suite.py: %s: output does not change with the input "
                     "(range %g, diff %g): activations vanished" % (r["name"], rng, diff))
  os.makedirs(out_dir, exist_ok=True)
  path = os.path.join(out_dir, "model.onnx")
  torch.onnx.export(model, x, path, opset_version=r["opset"], do_constant_folding=True,
                    input_names=["input"], output_names=["output"])
  m = onnx.load(path)
  onnx.checker.check_model(m)
  ops = sorted({n.op_type for n in m.graph.node})
  np.save(os.path.join(out_dir, "input.npy"), x.numpy())
  np.save(os.path.join(out_dir, "output.npy"), y.astype(np.float32))
  with open(os.path.join(out_dir, "stamp.txt"), "w") as f:
    f.write(stamp(r) + "\n")
  print("  %s: opset %d, %d nodes, ops: %s; %.1f s" % (r["name"], r["opset"], len(m.graph.node),
                                                     " ".join(ops), time.time() - t0), flush=True)


def up_to_date(out_dir, r):
  try:
    with open(os.path.join(out_dir, "stamp.txt")) as f:
      st = f.read().strip()
  except OSError:
    return False
  return st == stamp(r) and all(os.path.exists(os.path.join(out_dir, f))
                               for f in ("model.onnx", "input.npy", "output.npy"))


def unknown_ops(path):
  """The ONNX op types of a model that dlfusion's op table (src/ir/ops.def) does not list: the
  importer names only the first unsupported node, the lead wants them all."""
  import re
  import onnx
  with open(os.path.join(HERE, "..", "..", "src", "ir", "ops.def")) as f:
    known = set(re.findall(r'^OP\(\w+,\s*"(\w+)"', f.read(), re.M))
  m = onnx.load(path, load_external_data=False)
  return sorted({n.op_type for n in m.graph.node} - known)


def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  ap.add_argument("--out", default=DEFAULT_OUT)
  ap.add_argument("--set", default="all", choices=SETS + ("all",))
  ap.add_argument("--quick", action="store_true", help="leave out the big cases")
  ap.add_argument("--only", default="", help="comma- or space-separated case names")
  ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
  ap.add_argument("--list", action="store_true", help="print the selected cases and exit")
  ap.add_argument("--unknown-ops", metavar="MODEL", help="print the model's ops dlfusion lacks")
  a = ap.parse_args()
  if a.unknown_ops:
    print(" ".join(unknown_ops(a.unknown_ops)) or "none")
    return 0
  rows = select(a.set, a.quick, a.only)
  if a.list:
    for r in rows:
      print(line(r))
    return 0
  import torch
  torch.set_num_threads(max(1, os.cpu_count() or 1))
  out = os.path.abspath(a.out)
  os.makedirs(out, exist_ok=True)
  for r in rows:
    d = os.path.join(out, r["name"])
    if not a.force and up_to_date(d, r):
      print("  %s: up to date" % r["name"])
      continue
    export_case(r, d)
  return 0


if __name__ == "__main__":
  sys.exit(main())
