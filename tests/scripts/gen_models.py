#!/usr/bin/python3
# gen_models.py — exports torchvision CNNs (random weights, fixed seed, calibrated BN statistics)
# to ONNX with a fixed input and PyTorch's output, for test_models.sh to compare dlfusion against.
"""Usage: gen_models.py [--out DIR] [--big] [--force] [--only NAME,...]
       gen_models.py --compare REF.npy GOT.npy   (prints the error, exits 1 if above tolerance)

Writes DIR/<case>/{model.onnx,input.npy,output.npy} and DIR/manifest.txt (one case per line:
"name opset dynamic"). A case is regenerated only when missing or when its stamp (this script's
GEN_VERSION, torch version, table row) differs, so test_models.sh can call this unconditionally."""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "fixtures", "gen", "models")
SEED = 1234
# Bump when the way a case is built changes (calibration, export options, input data): cached
# cases are regenerated when this, the seed, the torch version or the case's table row changes.
GEN_VERSION = 1
# Relative tolerance of test_models.sh: max |got - ref| <= REL_TOL * (max(ref) - min(ref)).
REL_TOL = 1e-3

# (case name, torchvision constructor name, opset, dynamic batch, batch of the saved input)
CASES = [
    ("resnet18", "resnet18", 13, False, 1),
    # torch folds BatchNormalization into Conv when exporting in eval mode; TrainingMode.PRESERVE
    # (of a model in eval()) keeps the BN nodes, so dlfusion's own BN folding is compared too.
    ("resnet18_keepbn", "resnet18", 13, False, 1),
    ("mobilenet_v2", "mobilenet_v2", 13, False, 1),
    ("squeezenet1_0", "squeezenet1_0", 13, False, 1),
    ("alexnet", "alexnet", 13, False, 1),
    # Older opset 11: the importer's per-opset handling (e.g. Clip bounds are inputs from opset 11
    # on, as in 13; Unsqueeze/Squeeze axes are attributes before 13 — see smallcnn_..._op11).
    ("squeezenet1_0_op11", "squeezenet1_0", 11, False, 1),
    ("mobilenet_v2_op11", "mobilenet_v2", 11, False, 1),
    # Symbolic batch dimension ("batch"), fed a batch of 2 so the binding is really exercised.
    ("resnet18_dynbatch", "resnet18", 13, True, 2),
    # x.view(x.size(0), -1) under a symbolic batch exports Shape→Gather→Unsqueeze→Concat→Reshape,
    # the exporter pattern that can only be folded once the batch is bound.
    ("smallcnn_view_dynbatch", "smallcnn", 13, True, 2),
    ("smallcnn_view_dynbatch_op11", "smallcnn", 11, True, 2),
]
BIG_CASES = [
    ("resnet50", "resnet50", 13, False, 1),
    ("vgg16", "vgg16", 13, False, 1),
]


def small_cnn(torch):
  """Conv-BN-ReLU-MaxPool twice, then view(batch, -1) and a Linear layer."""
  nn = torch.nn

  class SmallCNN(nn.Module):
    def __init__(self):
      super().__init__()
      self.f = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16),
                             nn.ReLU(), nn.AdaptiveAvgPool2d(4))
      self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
      x = self.f(x)
      return self.fc(x.view(x.size(0), -1))
  return SmallCNN()


def stamp(case):
  """What a generated case depends on; a case whose stamp differs is regenerated."""
  import torch
  return "gen=%d torch=%s seed=%d case=%r" % (GEN_VERSION, torch.__version__, SEED, tuple(case))


def calibrate_bn(model, torch, batches=3, shape=(4, 3, 224, 224)):
  """Random weights with fresh BN statistics (mean 0, var 1) make activations shrink or blow up
  layer after layer; run random batches in train() mode so every BN holds the statistics of the
  activations it actually sees (momentum None = exact cumulative average), then go to eval().
  shape: of each random batch (gen_suite.py passes its case's input size)."""
  bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
  if not bns:
    return 0
  # Random affine parameters too (set first, so the statistics below account for them), so that
  # folding BN into Conv is exercised with non-trivial values.
  with torch.no_grad():
    for m in bns:
      m.weight.uniform_(0.5, 1.5)
      m.bias.uniform_(-0.2, 0.2)
  for m in bns:
    m.reset_running_stats()
    m.momentum = None
  model.train()
  with torch.no_grad():
    for _ in range(batches):
      model(torch.randn(*shape))
  for m in bns:
    m.momentum = 0.1
  return len(bns)


def export_case(name, ctor, opset, dynamic, batch, out_dir):
  import torch
  import torchvision
  import onnx
  torch.manual_seed(SEED)
  np.random.seed(SEED)
  if ctor == "smallcnn":
    model = small_cnn(torch)
  else:
    model = getattr(torchvision.models, ctor)(weights=None)
  n_bn = calibrate_bn(model, torch)
  model.eval()

  x = torch.from_numpy(np.random.RandomState(SEED).standard_normal((batch, 3, 224, 224))
                       .astype(np.float32))
  x2 = torch.from_numpy(np.random.RandomState(SEED + 1).standard_normal((batch, 3, 224, 224))
                        .astype(np.float32))
  with torch.no_grad():
    y = model(x).numpy()
    y2 = model(x2).numpy()
  rng = float(y.max() - y.min())
  diff = float(np.abs(y - y2).max())
  print("  %s: bn=%d output range %.4g (std %.4g), |y(x1)-y(x2)|max %.4g (%.1f%% of range)"
        % (name, n_bn, rng, float(y.std()), diff, 100.0 * diff / max(rng, 1e-30)))
  # The comparison is only meaningful if the network's output depends on its input: require the
  # two inputs' outputs to differ by 10x the test tolerance, so an executor that lost the input
  # signal somewhere cannot pass.
  if not np.isfinite(y).all() or rng < 1e-6 or diff < 10 * REL_TOL * rng:
    raise SystemExit("gen_models.py: %s: output does not change with the input "
                     "(range %g, diff %g): activations vanished" % (name, rng, diff))

  os.makedirs(out_dir, exist_ok=True)
  path = os.path.join(out_dir, "model.onnx")
  kwargs = {}
  if name.endswith("_keepbn"):
    kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
  if dynamic:
    kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
  torch.onnx.export(model, x, path, opset_version=opset, do_constant_folding=True,
                    input_names=["input"], output_names=["output"], **kwargs)
  m = onnx.load(path)
  onnx.checker.check_model(m)
  ops = sorted({n.op_type for n in m.graph.node})
  print("  %s: opset %d, %d nodes, ops: %s" % (name, opset, len(m.graph.node), " ".join(ops)))
  np.save(os.path.join(out_dir, "input.npy"), x.numpy())
  np.save(os.path.join(out_dir, "output.npy"), y.astype(np.float32))
  with open(os.path.join(out_dir, "stamp.txt"), "w") as f:
    f.write(stamp((name, ctor, opset, dynamic, batch)) + "\n")


def up_to_date(out_dir, case):
  try:
    with open(os.path.join(out_dir, "stamp.txt")) as f:
      st = f.read().strip()
  except OSError:
    return False
  return st == stamp(case) and all(os.path.exists(os.path.join(out_dir, f))
                               for f in ("model.onnx", "input.npy", "output.npy"))


def compare(ref_path, got_path):
  ref = np.load(ref_path)
  got = np.load(got_path)
  if ref.shape != got.shape:
    print("shape %s, expected %s" % (got.shape, ref.shape))
    return 1
  rng = float(ref.max() - ref.min())
  err = float(np.abs(got.astype(np.float64) - ref.astype(np.float64)).max())
  if not np.isfinite(got).all():
    err = float("inf")
  tol = REL_TOL * rng
  print("max-abs-err %.3g (tol %.3g, range %.4g)" % (err, tol, rng))
  return 0 if err <= tol else 1


def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  ap.add_argument("--out", default=DEFAULT_OUT)
  ap.add_argument("--big", action="store_true", help="also resnet50 and vgg16 (slow)")
  ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
  ap.add_argument("--only", default="", help="comma-separated case names")
  ap.add_argument("--compare", nargs=2, metavar=("REF", "GOT"))
  a = ap.parse_args()
  if a.compare:
    return compare(*a.compare)

  import torch
  torch.set_num_threads(max(1, os.cpu_count() or 1))
  cases = CASES + (BIG_CASES if a.big else [])
  if a.only:
    want = set(a.only.split(","))
    cases = [c for c in cases if c[0] in want]
  out = os.path.abspath(a.out)
  os.makedirs(out, exist_ok=True)
  for name, ctor, opset, dynamic, batch in cases:
    d = os.path.join(out, name)
    if not a.force and up_to_date(d, (name, ctor, opset, dynamic, batch)):
      print("  %s: up to date" % name)
      continue
    export_case(name, ctor, opset, dynamic, batch, d)
  with open(os.path.join(out, "manifest.txt"), "w") as f:
    for name, _, opset, dynamic, _ in cases:
      f.write("%s %d %d\n" % (name, opset, int(dynamic)))
  return 0


if __name__ == "__main__":
  sys.exit(main())
