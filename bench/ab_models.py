#!/usr/bin/python3
# ab_models.py — whole-model A/B of two dlfusion binaries (e.g. a baseline build of another
# revision and this tree's), interleaved A,B,A,B... per model; prints medians and the ratio.
"""Usage: bench/ab_models.py --a BIN_A --b BIN_B [--models "resnet18 vgg16"] [--threads 1]
                           [--rounds 7] [--runs 5]

Each round runs `BIN bench MODEL --threads T --runs R` once per binary, the order swapped every
round; a run's figure is the median it prints. Per model: the median over rounds of A and B, and
the median of the per-round ratios A/B (> 1: B is faster). Models are suite cases
(tests/fixtures/gen/suite/NAME/model.onnx, made by tests/scripts/gen_suite.py) or zoo:NAME.
A baseline binary: `git worktree add /tmp/base REV && make -C /tmp/base BUILD=build -j2`."""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = os.path.join(ROOT, "tests", "fixtures", "gen", "suite")


def model_path(name):
  if name.startswith("zoo:") or name.endswith(".onnx"):
    return name
  return os.path.join(SUITE, name, "model.onnx")


def one(binary, model, threads, runs):
  out = subprocess.run([binary, "bench", model, "--threads", str(threads), "--runs", str(runs)],
                       capture_output=True, text=True, check=True).stdout
  m = re.search(r"^median ([0-9.]+) ms", out, re.M)
  if not m:
    sys.exit("ab_models.py: no median in the output of %s bench %s" % (binary, model))
  return float(m.group(1))


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--a", required=True)
  ap.add_argument("--b", required=True)
  ap.add_argument("--models", default="resnet18 resnet50 vgg16 alexnet squeezenet1_0 googlenet")
  ap.add_argument("--threads", type=int, default=1)
  ap.add_argument("--rounds", type=int, default=7)
  ap.add_argument("--runs", type=int, default=5)
  args = ap.parse_args()
  print("| model | A ms | B ms | A/B |")
  print("|---|---|---|---|")
  for name in args.models.split():
    path = model_path(name)
    a, b, r = [], [], []
    for i in range(args.rounds):
      if i % 2:
        tb = one(args.b, path, args.threads, args.runs)
        ta = one(args.a, path, args.threads, args.runs)
      else:
        ta = one(args.a, path, args.threads, args.runs)
        tb = one(args.b, path, args.threads, args.runs)
      a.append(ta)
      b.append(tb)
      r.append(ta / tb)
    print("| %s | %.2f | %.2f | %.3f |" % (name, statistics.median(a), statistics.median(b),
                                          statistics.median(r)), flush=True)


if __name__ == "__main__":
  main()
