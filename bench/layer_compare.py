#!/usr/bin/python3
# layer_compare.py — per-layer times of dlfusion's fast engine against ONNX Runtime's per-node profile
# on the same ONNX file, interleaved in one run; prints which layers lose and their GFLOP/s and GB/s.
"""Usage: bench/layer_compare.py [--models "mobilenet_v2 squeezenet1_0"] [--suite] [--threads 1]
                               [--rounds 3] [--runs 20] [--warmup 3] [--lib PATH] [--top N]
                               [--peak-gflops G] [--peak-gbps B]

For each model (bench/models/NAME/model.onnx, made by bench/models.sh) runs --rounds rounds; a
round is one ORT process with its profiler on (bench/ort_profile.js: W warm-up + R runs) and R
profiled dlfusion runs in this process (dlf_session_run_profiled through ctypes on
libdlfusion.so), the order swapped every round. Per layer: the median over all timed runs of
both rounds. Layers are matched by (op, input shape, output shape, kernel size); ORT nodes
with no dlfusion counterpart (ReorderInput/Output of its NCHWc layout, ...) and dlfusion layers
with none in ORT are listed unmatched. Columns: ms of each side, dlfusion GFLOP/s (2*MACs / time)
and GB/s (weights + activations in + out / time: near ~20-40 GB/s a layer is memory bound on this
machine), and the ratio ORT/dlfusion (< 1: dlfusion loses). Then the layers ranked by the ms
dlfusion loses, summed by kind (depthwise 3x3, 1x1 conv, ...).

--suite takes the models from the model suite (tests/scripts/gen_suite.py; fixtures in
tests/fixtures/gen/suite, generated when missing) instead of bench/models.

Roofline: the losses table gives, per layer, the time a layer cannot beat on this CPU,
max(2*MACs / peak FLOP/s, bytes / peak B/s) at the thread count, and what share of it each
side attains (100%: at the roof), and whether the roof is compute or memory. The peaks are
measured here: FLOP/s by bench/gemm_peak.c (the FMA peak of one core, best ISA; built into
build/gemm_peak when missing) x threads, B/s by a 256 MiB numpy copy (read + written bytes,
best of 5; one thread, which on this VM is near what two get). --peak-gflops / --peak-gbps
give them instead (per core / whole machine). The memory roof is DRAM's: a layer whose
tensors fit in L2 can beat it (over 100%), so for small layers read it as "far from the roof"
only when both sides are far below it.

Note ORT's profiler adds ~10 µs per node, so ORT's sum of nodes is above its plain latency; the
per-layer ratios of larger layers are the firm ones. Needs: built libdlfusion.so (make), ORT
(bench/setup_ort.sh, called here), the models (bench/models.sh, called here)."""

import argparse
import ctypes as C
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SUITE_DIR = os.path.join(ROOT, "tests", "fixtures", "gen", "suite")
MAX_DIMS = 8


class LayerInfo(C.Structure):
  _fields_ = [("index", C.c_int), ("name", C.c_char_p), ("op", C.c_char_p), ("epilogue", C.c_char_p),
              ("ndim_in", C.c_int), ("ndim_out", C.c_int), ("in_dims", C.c_int64 * MAX_DIMS),
              ("out_dims", C.c_int64 * MAX_DIMS), ("kernel_h", C.c_int64), ("kernel_w", C.c_int64),
              ("stride_h", C.c_int64), ("stride_w", C.c_int64), ("groups", C.c_int64),
              ("in_channels", C.c_int64), ("out_channels", C.c_int64), ("macs", C.c_int64),
              ("params", C.c_int64), ("weight_bytes", C.c_int64), ("act_in_bytes", C.c_int64),
              ("act_out_bytes", C.c_int64), ("intensity", C.c_double)]


class Tensor(C.Structure):
  _fields_ = [("name", C.c_char_p), ("dtype", C.c_int), ("ndim", C.c_int),
              ("dims", C.c_int64 * MAX_DIMS), ("data", C.c_void_p)]


class SessionOptions(C.Structure):
  _fields_ = [("engine", C.c_int), ("threads", C.c_int), ("plan", C.c_void_p)]


def log(msg):
  print(msg, file=sys.stderr, flush=True)


class Dlf:
  """libdlfusion.so through ctypes: load a model, list its layers, run it profiled."""

  def __init__(self, lib_path):
    self.lib = C.CDLL(lib_path)
    L = self.lib
    L.dlf_last_error.restype = C.c_char_p
    L.dlf_model_load.argtypes = [C.c_char_p, C.c_void_p, C.POINTER(C.c_void_p)]
    L.dlf_model_num_layers.argtypes = [C.c_void_p]
    L.dlf_model_layer.argtypes = [C.c_void_p, C.c_int, C.POINTER(LayerInfo)]
    L.dlf_model_num_inputs.argtypes = [C.c_void_p]
    L.dlf_model_num_outputs.argtypes = [C.c_void_p]
    L.dlf_model_input.argtypes = [C.c_void_p, C.c_int, C.POINTER(Tensor)]
    L.dlf_model_output.argtypes = [C.c_void_p, C.c_int, C.POINTER(Tensor)]
    L.dlf_session_create.argtypes = [C.c_void_p, C.POINTER(SessionOptions), C.POINTER(C.c_void_p)]
    L.dlf_session_run_profiled.argtypes = [C.c_void_p, C.c_void_p, C.c_void_p, C.POINTER(C.c_double)]
    L.dlf_session_engine_name.restype = C.c_char_p
    L.dlf_session_engine_name.argtypes = [C.c_void_p]

  def check(self, st, what):
    if st != 0:
      raise SystemExit("layer_compare.py: %s: %s" % (what, self.lib.dlf_last_error().decode()))

  def open(self, path, threads):
    m = C.c_void_p()
    self.check(self.lib.dlf_model_load(path.encode(), None, C.byref(m)), path)
    layers = []
    for i in range(self.lib.dlf_model_num_layers(m)):
      li = LayerInfo()
      self.check(self.lib.dlf_model_layer(m, i, C.byref(li)), "layer %d" % i)
      layers.append({
          "name": li.name.decode(), "op": li.op.decode(), "epi": (li.epilogue or b"").decode(),
          "in": list(li.in_dims[:li.ndim_in]), "out": list(li.out_dims[:li.ndim_out]),
          "k": (li.kernel_h, li.kernel_w), "s": (li.stride_h, li.stride_w), "groups": li.groups,
          "cin": li.in_channels, "macs": li.macs,
          "bytes": li.weight_bytes + li.act_in_bytes + li.act_out_bytes})
    s = C.c_void_p()
    opts = SessionOptions(0, threads, None)
    self.check(self.lib.dlf_session_create(m, C.byref(opts), C.byref(s)), "session")
    self.engine = self.lib.dlf_session_engine_name(s).decode()
    bufs = []
    rng = np.random.default_rng(0)
    for k, (n, get) in enumerate(((self.lib.dlf_model_num_inputs(m), self.lib.dlf_model_input),
                                  (self.lib.dlf_model_num_outputs(m), self.lib.dlf_model_output))):
      arr = []
      for i in range(n):
        t = Tensor()
        self.check(get(m, i, C.byref(t)), "tensor %d" % i)
        a = rng.uniform(-1, 1, size=list(t.dims[:t.ndim])).astype(np.float32)
        arr.append(a)
      bufs.append(arr)
    self.model, self.session, self.layers, self.bufs = m, s, layers, bufs
    self.inp = (C.c_void_p * len(bufs[0]))(*[a.ctypes.data for a in bufs[0]])
    self.out = (C.c_void_p * len(bufs[1]))(*[a.ctypes.data for a in bufs[1]])
    return layers

  def run_profiled(self, runs, warmup):
    """[run][layer] ms over `runs` timed runs after `warmup` untimed ones."""
    n = len(self.layers)
    ms = (C.c_double * n)()
    out = []
    for r in range(warmup):
      self.check(self.lib.dlf_session_run_profiled(self.session, self.inp, self.out, ms), "run")
    # CPU time of the process (at 1 thread: the engine runs on this thread), like ORT's cpu_ms
    c0 = time.process_time()
    for r in range(runs):
      self.check(self.lib.dlf_session_run_profiled(self.session, self.inp, self.out, ms), "run")
      out.append(list(ms))
    self.cpu_ms = (time.process_time() - c0) * 1000 / runs
    return out


def busy_fraction(sample=0.5):
  """Share of all CPUs busy (incl. steal) over `sample` seconds, from /proc/stat."""
  def busy():
    with open("/proc/stat") as f:
      v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[0:3]) + sum(v[5:8]), sum(v)
  b0, t0 = busy()
  time.sleep(sample)
  b1, t1 = busy()
  return (b1 - b0) / max(1, t1 - t0)


def wait_quiet(max_wait, threshold=0.15):
  """Waits up to max_wait s for the machine to be mostly idle (this process is idle meanwhile):
  on a shared 2-vCPU box a neighbour's compile doubles layer times and evicts the caches."""
  t0 = time.monotonic()
  while time.monotonic() - t0 < max_wait:
    if busy_fraction() < threshold:
      return
  log("layer_compare.py: machine still busy after %.0f s; measuring anyway" % max_wait)


def ort_profile(model, threads, runs, warmup):
  cmd = ["node", os.path.join(HERE, "ort_profile.js"), model, "--threads", str(threads), "--runs",
         str(runs), "--warmup", str(warmup), "--prefix", "/tmp/layer_compare_ort"]
  p = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
  if p.returncode != 0:
    raise SystemExit("layer_compare.py: %s failed:\n%s" % (" ".join(cmd), p.stderr))
  return json.loads(p.stdout.strip().splitlines()[-1])


def measure_peak_gflops():
  """One core's FMA peak (GFLOP/s) from bench/gemm_peak.c: its best 'measured FMA peak' line."""
  exe = os.path.join(ROOT, "build", "gemm_peak")
  if not os.access(exe, os.X_OK):
    lib = os.path.join(ROOT, "build", "libdlfusion.a")
    subprocess.run(["gcc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "include"),
                    "-I" + os.path.join(ROOT, "src"), os.path.join(HERE, "gemm_peak.c"), lib,
                    "-lm", "-lpthread", "-o", exe], check=True)
  out = subprocess.run([exe, "64"], capture_output=True, text=True, check=True).stdout
  peaks = [float(m) for m in re.findall(r"measured FMA peak, \w+:\s*([0-9.]+) GFLOP/s", out)]
  if not peaks:
    raise SystemExit("layer_compare.py: no 'measured FMA peak' line from %s:\n%s" % (exe, out))
  return max(peaks)


def measure_peak_gbps():
  """Copy bandwidth (GB/s, bytes read + written) of a 256 MiB float32 copy, best of 5."""
  a = np.ones(64 << 20, dtype=np.float32)
  b = np.empty_like(a)
  best = float("inf")
  for _ in range(5):
    t = time.perf_counter()
    np.copyto(b, a)
    best = min(best, time.perf_counter() - t)
  return 2 * a.nbytes / best / 1e9


def roof_ms(macs, nbytes, gflops, gbps):
  """The roofline's bound on a layer's time (ms), and which roof it is."""
  tc = 2 * macs / (gflops * 1e6) if gflops > 0 else 0.0
  tm = nbytes / (gbps * 1e6) if gbps > 0 else 0.0
  return max(tc, tm), "compute" if tc >= tm else "memory"


def same_dims(dlf, ort):
  """dlfusion's NCHW dims against ORT's: equal, except that ORT's NCHWc layout rounds the channel
  dim of blocked tensors up to its block (8 or 16: mobilenet_v2's 24 channels are 32 there)."""
  if len(dlf) != len(ort):
    return False
  for i, (a, b) in enumerate(zip(dlf, ort)):
    if a != b and not (i == 1 and len(dlf) == 4 and b > a and b - a < 16 and b % 8 == 0):
      return False
  return True


def same_layer(l, n):
  """Whether dlfusion layer l and ORT node n are the same layer: op, first input and output
  shape, and for Conv the kernel size (squeezenet's expand1x1 and expand3x3 have the same
  input and output shapes)."""
  ins, outs = n["in"], n["out"]
  if n["op"] != l["op"] or not ins or not outs:
    return False
  if not same_dims(l["in"], ins[0]) or not same_dims(l["out"], outs[0]):
    return False
  if l["op"] == "Conv" and len(ins) > 1 and len(ins[1]) == 4 and tuple(ins[1][2:]) != tuple(l["k"]):
    return False
  return True


def match(layers, nodes):
  """Pairs (dlf layer index or None, ORT node index or None): each dlfusion layer, in order,
  takes the first not-yet-taken ORT node that is the same layer (not necessarily in the same
  order: ORT runs squeezenet's expand3x3 before expand1x1); ORT nodes left over come last."""
  pairs, used = [], set()
  for i, l in enumerate(layers):
    k = next((k for k in range(len(nodes)) if k not in used and same_layer(l, nodes[k])), None)
    if k is not None:
      used.add(k)
    pairs.append((i, k))
  pairs += [(None, k) for k in range(len(nodes)) if k not in used]
  return pairs


def kind(l):
  if l["op"] != "Conv":
    return l["op"]
  k = "%dx%d" % l["k"]
  s = "s%d" % l["s"][0]
  if l["groups"] > 1 and l["groups"] == l["cin"]:
    return "dwconv %s %s" % (k, s)
  if l["groups"] > 1:  # grouped (ResNeXt, RegNet): channels per group say which kernel fits
    return "gconv %s %s %dch/g" % (k, s, l["cin"] // l["groups"])
  return "conv %s %s" % (k, s)


def shape_str(d):
  return "x".join(str(x) for x in d[1:]) if len(d) > 1 else "x".join(map(str, d))


def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  ap.add_argument("--models", default="mobilenet_v2 squeezenet1_0")
  ap.add_argument("--suite", action="store_true",
                  help="models from the model suite (tests/scripts/gen_suite.py), not bench/models")
  ap.add_argument("--peak-gflops", type=float, help="one core's peak (default: bench/gemm_peak.c)")
  ap.add_argument("--peak-gbps", type=float, help="memory bandwidth (default: measured here)")
  ap.add_argument("--threads", type=int, default=1)
  ap.add_argument("--rounds", type=int, default=3)
  ap.add_argument("--runs", type=int, default=20)
  ap.add_argument("--warmup", type=int, default=3)
  ap.add_argument("--lib", default=os.environ.get("DLF_LIB", os.path.join(ROOT, "build", "libdlfusion.so")),
                  help="libdlfusion.so ($DLF_LIB, else build/libdlfusion.so)")
  ap.add_argument("--top", type=int, default=12, help="rows of the 'largest losses' table")
  ap.add_argument("--json", help="write the per-layer medians as JSON to this file")
  ap.add_argument("--quiet-wait", type=float, default=0, metavar="S",
                  help="before each side of each round, wait up to S s for the CPUs to be "
                  "< 15%% busy (0: do not wait)")
  a = ap.parse_args()
  if not os.path.exists(a.lib):
    raise SystemExit("layer_compare.py: no %s (build it: make BUILD=build -j2, or --lib)" % a.lib)
  models = a.models.split()
  subprocess.run([os.path.join(HERE, "setup_ort.sh")], check=True, stdout=sys.stderr)
  if a.suite:
    subprocess.run([os.path.join(HERE, "models.sh"), "--suite"] + models, check=True,
                   stdout=sys.stderr)
  else:
    subprocess.run([os.path.join(HERE, "models.sh")] + models, check=True, stdout=sys.stderr)
  core_gflops = a.peak_gflops or measure_peak_gflops()
  gbps = a.peak_gbps or measure_peak_gbps()
  gflops = core_gflops * a.threads
  print("roofline: peak %.1f GFLOP/s (%.1f per core x %d thread(s)%s), %.1f GB/s (%s)" % (
      gflops, core_gflops, a.threads, ", given" if a.peak_gflops else ", bench/gemm_peak.c",
      gbps, "given" if a.peak_gbps else "256 MiB numpy copy, read + written"))
  dlf = Dlf(os.path.abspath(a.lib))
  report = {}
  for name in models:
    path = os.path.join(SUITE_DIR if a.suite else os.path.join(HERE, "models"), name, "model.onnx")
    layers = dlf.open(path, a.threads)
    dlf_ms = [[] for _ in layers]
    ort_us, nodes, ort_run, dlf_run, ort_cpu, dlf_cpu = None, None, [], [], [], []
    for r in range(a.rounds):
      order = ("ort", "dlf") if r % 2 == 0 else ("dlf", "ort")
      for side in order:
        if a.quiet_wait > 0:
          wait_quiet(a.quiet_wait)
        if side == "ort":
          prof = ort_profile(path, a.threads, a.runs, a.warmup)
          if nodes is None:
            nodes = prof["nodes"]
            ort_us = [[] for _ in nodes]
          names = [n["name"] for n in nodes]
          for n in prof["nodes"]:
            if n["name"] in names:
              ort_us[names.index(n["name"])] += n["us"]
          ort_run += prof["run_ms"]
          ort_cpu.append(prof["cpu_ms"])
        else:
          runs = dlf.run_profiled(a.runs, a.warmup)
          dlf_cpu.append(dlf.cpu_ms)
          for run in runs:
            dlf_run.append(sum(run))
            for i, v in enumerate(run):
              dlf_ms[i].append(v)
      log("%s: round %d/%d done" % (name, r + 1, a.rounds))
    dmed = [float(np.median(v)) for v in dlf_ms]
    omed = [float(np.median(v)) / 1000 if v else float("nan") for v in ort_us]
    pairs = match(layers, nodes)
    print("\n## %s, %d thread(s), dlfusion %s, ORT per-node profile\n" % (name, a.threads, dlf.engine))
    print("median of run totals: dlfusion %.2f ms (sum of layers), ORT %.2f ms (profiled run); "
          "ratio ORT/dlfusion %.2f\n" % (np.median(dlf_run), np.median(ort_run),
                                         np.median(ort_run) / np.median(dlf_run)))
    print("CPU time per run (immune to preemption on a shared box; median of rounds): dlfusion "
          "%.2f ms, ORT %.2f ms; ratio ORT/dlfusion %.2f\n" % (
              np.median(dlf_cpu), np.median(ort_cpu), np.median(ort_cpu) / np.median(dlf_cpu)))
    print("| # | layer | kind | in -> out (CxHxW) | dlf ms | ORT ms | ORT/dlf | dlf GFLOP/s | ORT GFLOP/s | dlf GB/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for i, k in pairs:
      if i is None:
        n = nodes[k]
        print("| | (ORT only) %s | %s | %s -> %s | | %.3f | | | | |" % (
            n["name"][-40:], n["op"], shape_str(n["in"][0] if n["in"] else []),
            shape_str(n["out"][0] if n["out"] else []), omed[k]))
        rows.append({"ort_only": n["name"], "op": n["op"], "ort_ms": omed[k]})
        continue
      l = layers[i]
      d = dmed[i]
      o = omed[k] if k is not None else float("nan")
      gf = lambda t: "%.1f" % (2 * l["macs"] / (t * 1e6)) if l["macs"] and t > 0 else "-"
      print("| %d | %s | %s%s | %s -> %s | %.3f | %s | %s | %s | %s | %.1f |" % (
          i, l["name"][-40:], kind(l), "+" + l["epi"] if l["epi"] else "", shape_str(l["in"]),
          shape_str(l["out"]), d, "%.3f" % o if k is not None else "-",
          "%.2f" % (o / d) if k is not None and d > 0 else "-", gf(d),
          gf(o) if k is not None else "-", l["bytes"] / (d * 1e6) if d > 0 else 0))
      rows.append({"layer": i, "name": l["name"], "kind": kind(l), "in": l["in"], "out": l["out"],
                   "dlf_ms": d, "ort_ms": o if k is not None else None, "macs": l["macs"],
                   "bytes": l["bytes"]})
    lose = sorted((r for r in rows if r.get("ort_ms") is not None and "layer" in r),
                  key=lambda r: r["ort_ms"] - r["dlf_ms"])
    print("\nLargest losses (dlf ms - ORT ms); roof: the roofline's bound on the layer's time "
          "at %d thread(s), and the share of it each side attains:\n" % a.threads)
    print("| # | kind | in -> out | dlf ms | ORT ms | lost ms | dlf GFLOP/s | dlf GB/s | roof ms "
          "(bound) | dlf % of roof | ORT % of roof |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in lose[:a.top]:
      if r["dlf_ms"] <= r["ort_ms"]:
        break
      rm, bound = roof_ms(r["macs"], r["bytes"], gflops, gbps)
      pct = lambda t: "%.0f%%" % (100 * rm / t) if t > 0 else "-"
      print("| %d | %s | %s -> %s | %.3f | %.3f | %.3f | %.1f | %.1f | %.3f (%s) | %s | %s |" % (
          r["layer"], r["kind"], shape_str(r["in"]), shape_str(r["out"]), r["dlf_ms"], r["ort_ms"],
          r["dlf_ms"] - r["ort_ms"], 2 * r["macs"] / (r["dlf_ms"] * 1e6) if r["dlf_ms"] > 0 else 0,
          r["bytes"] / (r["dlf_ms"] * 1e6) if r["dlf_ms"] > 0 else 0, rm, bound,
          pct(r["dlf_ms"]), pct(r["ort_ms"])))
    by = {}
    for r in rows:
      if "layer" in r and r["ort_ms"] is not None:
        b = by.setdefault(r["kind"], [0.0, 0.0, 0])
        b[0] += r["dlf_ms"]
        b[1] += r["ort_ms"]
        b[2] += 1
    extra = sum(r["ort_ms"] for r in rows if "ort_only" in r)
    print("\nBy kind (matched layers):\n")
    print("| kind | layers | dlf ms | ORT ms | ORT/dlf |")
    print("|---|---|---|---|---|")
    for kname, (d, o, c) in sorted(by.items(), key=lambda kv: -(kv[1][0] - kv[1][1])):
      print("| %s | %d | %.3f | %.3f | %.2f |" % (kname, c, d, o, o / d if d else 0))
    print("| ORT-only nodes (layout reorders, ...) | | | %.3f | |" % extra)
    report[name] = rows
  if a.json:
    with open(a.json, "w") as f:
      json.dump(report, f, indent=1)


if __name__ == "__main__":
  main()
