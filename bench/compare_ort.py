#!/usr/bin/python3
# compare_ort.py — times dlfusion against ONNX Runtime (onnxruntime-node, via ort_time.js) on the same
# ONNX files, interleaved A/B in one run, and checks that both give the same outputs; prints markdown.
"""Usage: bench/compare_ort.py [--models "resnet18 mobilenet_v2 ..." | --set design|heldout|all]
                             [--threads "1 2"]
                             [--rounds N] [--runs R] [--ort-runs R] [--dlf-runs R] [--warmup W]
                             [--dlf-warmup W] [--dlf-mode auto|bench|run] [--dlf-bin PATH]
                             [--dlf-args "..."] [--quiet-wait S] [--ort-only]
                             [--models-dir DIR] [--report FILE] [--json FILE]

For each model and each thread count, runs --rounds rounds; a round is one ORT process
(W warm-up + R timed runs, median) and one dlfusion process (`dlfusion bench`: W warm-up + R
runs, median; or `dlfusion run --repeat R` if the CLI has no bench), the order of the two
swapped every round so slow drifts of the machine hit both alike. Reports the median of the
per-round medians of each side and the median of the per-round ratios ORT/dlfusion (> 1:
dlfusion is faster). Outputs: ORT and one untimed `dlfusion run` get the model's saved input
(bench/models/NAME/input.npy); their outputs are compared with each other and with PyTorch's (relative to the output's range; > 1e-3 is a MISMATCH and
makes the exit status 1). Progress goes to stderr, the report (markdown) to stdout.

Models are made by bench/models.sh (tests/scripts/gen_models.py), ONNX Runtime is installed by
bench/setup_ort.sh; both are called here and do nothing when already done.

--set design|heldout|all runs the model suite of tests/scripts/gen_suite.py instead (its
fixtures in tests/fixtures/gen/suite, generated here when missing; --models narrows the set,
--quick leaves out its big cases). A model dlfusion cannot run is reported as "fails: why"
and the others go on; each row says how many layers run on the reference fallback
(tests/scripts/fallback_layers.py). The report then starts with one table per family (status,
ORT and dlfusion ms and ORT/dlfusion at each thread count, output check) and the geometric
mean of ORT/dlfusion per set over the models that run (bench/suite.md)."""

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPTS = os.path.join(ROOT, "tests", "scripts")
SUITE_DIR = os.path.join(ROOT, "tests", "fixtures", "gen", "suite")
DEFAULT_MODELS = "resnet18 mobilenet_v2 squeezenet1_0 alexnet"
REL_TOL = 1e-3  # same as tests/scripts/gen_models.py (test_models.sh)


def log(msg):
  print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- machine description


def cpu_header(dlf_bin):
  """Lines that say what machine and what builds the numbers come from (top of every report)."""
  info = {}
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        k, _, v = line.partition(":")
        k = k.strip()
        if k in ("model name", "cpu family", "model", "flags") and k not in info:
          info[k] = v.strip()
  except OSError:
    pass
  flags = set(info.get("flags", "").split())
  fam = int(info.get("cpu family", "0") or 0)
  mod = int(info.get("model", "0") or 0)
  # AMD's family numbers: 0x19 is Zen 3 (models < 0x10 and 0x20-0x5f) or Zen 4, 0x1a is Zen 5.
  # The VM's model name ("AMD EPYC") does not say which, so record the numbers too.
  gen = ""
  if "AMD" in info.get("model name", ""):
    gen = {0x17: "Zen 1/2", 0x1a: "Zen 5"}.get(fam, "")
    if fam == 0x19:
      gen = "Zen 4" if (0x10 <= mod <= 0x1f or 0x60 <= mod <= 0xaf) else "Zen 3"
  avx512 = [f for f in ("avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16") if f in flags]
  lines = [
      "- CPU: `model name : %s` (family %d model %d%s), %d logical CPUs"
      % (info.get("model name", "?"), fam, mod, (", " + gen) if gen else "", os.cpu_count() or 0),
      "- AVX-512: %s; AVX2: %s; FMA: %s" % (
          ("yes (" + " ".join(avx512) + ")") if "avx512f" in flags else "no",
          "yes" if "avx2" in flags else "no", "yes" if "fma" in flags else "no"),
      "- load average at start: %s" % " ".join("%.2f" % x for x in os.getloadavg()),
      "- date: %s, kernel %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.release()),
  ]
  rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True).stdout.strip()
  dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                         capture_output=True, text=True).stdout.strip()
  tree = "git %s%s" % (rev or "?", " + local changes" if dirty else "")
  if dlf_bin:
    ver = subprocess.run([dlf_bin, "--version"], capture_output=True, text=True).stdout.strip()
    lines.append("- dlfusion: %s (%s), %s" % (ver or "?", dlf_bin, tree))
  else:
    lines.append("- dlfusion: not run (--ort-only), %s" % tree)
  return lines


# ---------------------------------------------------------------- contention


def busy_seconds():
  """CPU time all CPUs spent not idle (incl. the hypervisor's steal), from /proc/stat."""
  try:
    with open("/proc/stat") as f:
      v = [int(x) for x in f.readline().split()[1:]]
  except (OSError, ValueError):
    return None
  # user nice system idle iowait irq softirq steal ...
  return (sum(v[0:3]) + sum(v[5:8])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
  r = resource.getrusage(resource.RUSAGE_CHILDREN)
  return r.ru_utime + r.ru_stime


def run_measured(cmd):
  """subprocess.run(cmd), plus the share of the machine that *other* processes used meanwhile:
  (busy CPU time of all CPUs - the child's CPU time) / (wall time x CPUs). On this shared 2-vCPU
  box a neighbour's compile makes a 2-thread run 2-4x slower (a descheduled worker stalls the
  other), so every row says how busy the machine was while it was measured."""
  b0, c0, t0 = busy_seconds(), children_cpu_seconds(), time.monotonic()
  p = subprocess.run(cmd, capture_output=True, text=True)
  b1, c1, t1 = busy_seconds(), children_cpu_seconds(), time.monotonic()
  others = None
  if b0 is not None and b1 is not None and t1 > t0:
    others = max(0.0, ((b1 - b0) - (c1 - c0)) / ((t1 - t0) * (os.cpu_count() or 1)))
  return p, others


def wait_quiet(max_wait, threshold=0.10, sample=0.5):
  """Waits (at most max_wait seconds) until other processes use less than threshold of the CPUs
  over a sample-second window. Returns the seconds waited (max_wait if never quiet)."""
  t0 = time.monotonic()
  while True:
    b0, s0 = busy_seconds(), time.monotonic()
    time.sleep(sample)
    b1, s1 = busy_seconds(), time.monotonic()
    if b0 is None or (b1 - b0) / ((s1 - s0) * (os.cpu_count() or 1)) < threshold:
      return time.monotonic() - t0
    if time.monotonic() - t0 >= max_wait:
      return max_wait


# ---------------------------------------------------------------- the two runtimes


def ort_version():
  out = subprocess.run(["node", "-e", "console.log(require('onnxruntime-node/package.json').version)"],
                       cwd=HERE, capture_output=True, text=True)
  return out.stdout.strip() or "?"


def ort_time(model, inp, threads, runs, warmup, out_npy=None):
  """One ORT process: W warm-up + R timed runs. Returns its JSON report (median_ms, min_ms, ...)."""
  cmd = ["node", os.path.join(HERE, "ort_time.js"), model, "--threads", str(threads),
         "--runs", str(runs), "--warmup", str(warmup), "--input", inp]
  if out_npy:
    cmd += ["--output", out_npy]
  p, others = run_measured(cmd)
  if p.returncode != 0:
    raise SystemExit("compare_ort.py: %s failed:\n%s" % (" ".join(map(shlex.quote, cmd)), p.stderr))
  j = json.loads(p.stdout.strip().splitlines()[-1])
  j["others"] = others
  return j


def dlf_has_bench(dlf_bin):
  """Whether this dlfusion CLI has the `bench` command (warm-up + timed runs)."""
  p = subprocess.run([dlf_bin, "bench", "--help"], capture_output=True, text=True)
  return p.returncode == 0 and "usage: dlfusion bench" in p.stdout


def dlf_command(dlf_bin, mode, extra, model, inp, threads, runs, warmup):
  """The dlfusion command line that times one model (the only place that knows the CLI).
  mode "bench": `dlfusion bench` (W warm-up + R runs on random data, like ort_time.js);
  mode "run": `dlfusion run --repeat R` on the saved input (no warm-up: the first run counts)."""
  if mode == "bench":
    return [dlf_bin, "bench", model, "--runs", str(runs), "--warmup", str(warmup),
            "--threads", str(threads)] + extra
  return [dlf_bin, "run", model, "--input", inp, "--repeat", str(runs), "--threads",
          str(threads)] + extra


def parse_dlf_time(text):
  """dlfusion's timing from its stdout, in any of the forms it prints: a JSON line with
  "median_ms"; `bench`'s "median X ms  min Y ms  p90 Z ms" (+ "engine: E, threads: N");
  `run`'s "time: X ms (median of R runs, engine E)". Returns {"median_ms", "min_ms", "engine"}
  (min_ms None when not printed)."""
  for line in text.splitlines():
    line = line.strip()
    if line.startswith("{") and '"median_ms"' in line:
      try:
        j = json.loads(line)
        return {"median_ms": float(j["median_ms"]), "min_ms": j.get("min_ms"),
                "engine": j.get("engine")}
      except (ValueError, KeyError):
        pass
  m = re.search(r"^median\s+([0-9.eE+-]+)\s*ms\s+min\s+([0-9.eE+-]+)\s*ms", text, re.M)
  if m:
    e = re.search(r"^engine:\s*(.*?),\s*threads:", text, re.M)
    engine = e.group(1).strip() if e else None
    if engine and engine.startswith("reference"):
      engine = "reference"  # drop "(naive loops, not the fast runtime)"
    return {"median_ms": float(m.group(1)), "min_ms": float(m.group(2)), "engine": engine}
  m = re.search(r"^time:\s*([0-9.eE+-]+)\s*ms\s*\(median of (\d+) runs?(?:,\s*engine\s*(\w+))?",
                text, re.M)
  if m:
    return {"median_ms": float(m.group(1)), "min_ms": None, "engine": m.group(3)}
  raise ValueError("no timing line (JSON median_ms, 'median X ms  min Y ms', or 'time: X ms') "
                   "in dlfusion's output:\n" + text)


class RunFailed(SystemExit):
  """dlfusion exited non-zero; .why is its first line of stderr (suite mode reports it)."""

  def __init__(self, msg, why):
    super().__init__(msg)
    self.why = why


def run_checked(cmd):
  p, others = run_measured(cmd)
  if p.returncode != 0:
    why = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[0]
    raise RunFailed("compare_ort.py: %s failed (exit %d):\n%s%s" % (
        " ".join(map(shlex.quote, cmd)), p.returncode, p.stdout[-2000:], p.stderr[-2000:]), why)
  return p, others


def dlf_time(dlf_bin, mode, extra, model, inp, threads, runs, warmup):
  p, others = run_checked(dlf_command(dlf_bin, mode, extra, model, inp, threads, runs, warmup))
  j = parse_dlf_time(p.stdout)
  j["others"] = others
  return j


def dlf_output(dlf_bin, extra, model, inp, threads, out_npy):
  """One `dlfusion run` on the saved input that writes the output (for the correctness check)."""
  run_checked([dlf_bin, "run", model, "--input", inp, "--threads", str(threads), "--output",
               out_npy] + extra)


# ---------------------------------------------------------------- outputs


def rel_err(ref_path, got_path):
  """max |got - ref| / (max(ref) - min(ref)); inf on shape mismatch or non-finite values."""
  ref = np.load(ref_path).astype(np.float64)
  got = np.load(got_path).astype(np.float64)
  if ref.shape != got.shape or not np.isfinite(got).all():
    return float("inf")
  rng = float(ref.max() - ref.min())
  return float(np.abs(got - ref).max()) / max(rng, 1e-30)


def median(xs):
  """Median of the per-round medians (mean of the middle two for an even number of rounds)."""
  s = sorted(xs)
  n = len(s)
  if not n:
    return float("nan")
  return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def fmt_ms(x):
  return "%.1f" % x if x >= 10 else "%.2f" % x


def measure(a, name, model, inp, torch_out, threads, dlf_bin, mode, ort_runs, dlf_runs,
            dlf_warmup, tmp, results, checks):
  """The interleaved rounds of one model at each thread count: appends to results, checks."""
  for k, nt in enumerate(threads):
    ort_meds, dlf_meds, ort_mins, ort_cpu, others, engine = [], [], [], [], [], None
    extra = shlex.split(a.dlf_args)
    if dlf_bin and a.plan != "none":
      plan_path = os.path.join(tmp, "%s.t%d.plan.json" % (name, nt))
      run_checked([dlf_bin, "plan", model, "--fuse", a.plan, "--cores", str(nt), "-o",
                   plan_path])
      extra += ["--plan", plan_path]
    for r in range(a.rounds):
      # the first round of the first thread count also writes both outputs for the check
      first = k == 0 and r == 0
      ort_out = os.path.join(tmp, name + ".ort.npy") if first else None
      if first and dlf_bin:  # not timed: one plain run that writes the output
        dlf_out = os.path.join(tmp, name + ".dlf.npy")
        dlf_output(dlf_bin, extra, model, inp, nt, dlf_out)
      order = ("ort", "dlf") if r % 2 == 0 else ("dlf", "ort")
      round_others = []
      if a.quiet_wait > 0:
        w = wait_quiet(a.quiet_wait)
        if w >= a.quiet_wait:
          log("  (the machine stayed busy for %.0f s; measuring anyway)" % w)
      for side in order:
        if side == "ort":
          j = ort_time(model, inp, nt, ort_runs, a.warmup, ort_out)
          ort_meds.append(j["median_ms"])
          ort_mins.append(j["min_ms"])
          ort_cpu.append(j.get("cpu_ms", float("nan")))
        elif dlf_bin:
          j = dlf_time(dlf_bin, mode, extra, model, inp, nt, dlf_runs, dlf_warmup)
          dlf_meds.append(j["median_ms"])
          engine = j.get("engine")
        else:
          continue
        if j["others"] is not None:
          round_others.append(j["others"])
      others += round_others
      log("  %-14s threads %d round %d: ORT %s ms%s; others used %.0f%% of the CPUs" % (
          name, nt, r + 1, fmt_ms(ort_meds[-1]),
          (", dlfusion %s ms" % fmt_ms(dlf_meds[-1])) if dlf_meds else "",
          100 * max(round_others or [0])))
      if first:
        c = {"model": name, "ort_vs_torch": rel_err(torch_out, ort_out)}
        if dlf_bin:
          c["dlf_vs_ort"] = rel_err(ort_out, dlf_out)
          c["dlf_vs_torch"] = rel_err(torch_out, dlf_out)
        checks.append(c)
    res = {"model": name, "threads": nt, "ort_round_medians_ms": ort_meds,
           "ort_median_ms": median(ort_meds), "ort_best_round_ms": min(ort_meds),
           "ort_min_ms": min(ort_mins), "ort_cpu_ms": median(ort_cpu), "others_max": max(others) if others else None,
           "others_median": median(others) if others else None}
    if dlf_bin:
      # The two sides of a round ran back to back, so their ratio is what interleaving buys:
      # contention that slows one round slows both sides of it alike.
      res.update({"dlf_round_medians_ms": dlf_meds, "dlf_engine": engine,
                  "dlf_median_ms": median(dlf_meds),
                  "round_ratios": [o / d for o, d in zip(ort_meds, dlf_meds)]})
      res["ratio"] = median(res["round_ratios"])
    results.append(res)


# ---------------------------------------------------------------- the model suite


def suite_cases(cset, quick, only):
  """The cases of tests/scripts/gen_suite.py's table (its --list), as dicts."""
  cmd = ["/usr/bin/python3", os.path.join(SCRIPTS, "gen_suite.py"), "--list", "--set", cset]
  cmd += ["--quick"] if quick else []
  cmd += ["--only", only] if only else []
  p = subprocess.run(cmd, capture_output=True, text=True)
  if p.returncode != 0:
    raise SystemExit(p.stderr.strip() or "compare_ort.py: gen_suite.py --list failed")
  keys = ("name", "set", "family", "opset", "batch", "size", "kind")
  cases = [dict(zip(keys, line.split())) for line in p.stdout.splitlines() if line.strip()]
  for c in cases:
    c["family"] = c["family"].replace("_", " ")
  return cases


def suite_status(dlf_bin, model):
  """"runs", "runs, N fallback layers (ops)" or "fails: why", from loading the model and
  creating sessions in this process (tests/scripts/fallback_layers.py, libdlfusion.so next to
  the CLI). The one place that says whether a suite model runs."""
  sys.path.insert(0, SCRIPTS)
  import fallback_layers
  lib = os.path.join(os.path.dirname(dlf_bin), "libdlfusion.so")
  try:
    fb, n = fallback_layers.find_fallbacks(fallback_layers.Lib(lib), model)
  except fallback_layers.Error as e:
    return "fails: " + str(e).replace(model + ": ", "")
  if not fb:
    return "runs"
  by_op = {}
  for _, _, op in fb:
    by_op[op] = by_op.get(op, 0) + 1
  return "runs, %d of %d layers on the fallback (%s)" % (len(fb), n, ", ".join(
      "%s x%d" % kv for kv in sorted(by_op.items(), key=lambda kv: (-kv[1], kv[0]))))


def geomean(xs):
  xs = [x for x in xs if x and x > 0 and x == x]
  return float(np.exp(np.mean(np.log(xs)))) if xs else float("nan")


def suite_report(suite, status, results, checks, threads):
  """One table per family (models in table order), then the geometric mean per set."""
  by = {(r["model"], r["threads"]): r for r in results}
  chk = {c["model"]: c for c in checks}
  out = ["## Model suite: ORT/dlfusion per family", "",
         "ORT/dlfusion > 1: dlfusion is faster. status: whether dlfusion runs the model and how "
         "many of its layers run on the reference fallback; check: dlfusion's output against "
         "ORT's on the saved input (max |a - b| / range, tolerance %g)." % REL_TOL, ""]
  head = "| model | set | input | status |" + "".join(
      " ORT ms %dt | dlf ms %dt | ORT/dlf %dt |" % (t, t, t) for t in threads) + " check |"
  sep = "|---|---|---|---|" + "---|---|---|" * len(threads) + "---|"
  families = []
  for c in suite:
    if c["family"] not in families:
      families.append(c["family"])
  for fam in families:
    out += ["### " + fam, "", head, sep]
    for c in (c for c in suite if c["family"] == fam):
      n = c["name"]
      cells = []
      for t in threads:
        r = by.get((n, t))
        cells += ([fmt_ms(r["ort_median_ms"]), fmt_ms(r["dlf_median_ms"]), "%.2f" % r["ratio"]]
                  if r else ["", "", ""])
      ck = chk.get(n)
      check = ("ok %.1g" % ck["dlf_vs_ort"] if ck["dlf_vs_ort"] <= REL_TOL else
               "MISMATCH %.2g" % ck["dlf_vs_ort"]) if ck else ""
      inp = c["size"] + (" x%s" % c["batch"] if c["batch"] != "1" else "")
      out.append("| %s | %s | %s | %s | %s | %s |" % (n, c["set"], inp, status.get(n, "?"),
                                                      " | ".join(cells), check))
    out.append("")
  out += ["### Geometric mean of ORT/dlfusion per set", "",
          "| set | models | run | fail |" + "".join(" geomean %dt | below 1.0 at %dt |" % (t, t)
                                                   for t in threads),
          "|---|---|---|---|" + "---|---|" * len(threads)]
  for cset in ("design", "heldout", "all"):
    cs = [c for c in suite if cset == "all" or c["set"] == cset]
    if not cs:
      continue
    ran = [c["name"] for c in cs if (c["name"], threads[0]) in by]
    cells = []
    for t in threads:
      ratios = {n: by[(n, t)]["ratio"] for n in ran if (n, t) in by}
      cells += ["%.2f" % geomean(ratios.values()),
                "%d (%s)" % (sum(v < 1 for v in ratios.values()),
                             " ".join(n for n, v in ratios.items() if v < 1)) if ratios else ""]
    out.append("| %s | %d | %d | %d | %s |" % (cset, len(cs), len(ran), len(cs) - len(ran),
                                               " | ".join(cells)))
  return out + [""]


# ---------------------------------------------------------------- main


def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  ap.add_argument("--models", help='space-separated (default "%s"; with --set: all of the set)'
                  % DEFAULT_MODELS)
  ap.add_argument("--set", choices=("design", "heldout", "all"),
                  help="the model suite's cases (tests/scripts/gen_suite.py) instead of the zoo models")
  ap.add_argument("--quick", action="store_true", help="with --set: leave out the big cases")
  ap.add_argument("--threads", default="1 2", help='space-separated thread counts ("1 2")')
  ap.add_argument("--rounds", type=int, default=3, help="A/B rounds per model and thread count (3)")
  ap.add_argument("--runs", type=int, default=10, help="timed runs per process, both sides (10)")
  ap.add_argument("--ort-runs", type=int, help="timed runs per ORT process (default --runs)")
  ap.add_argument("--dlf-runs", type=int,
                  help="runs per dlfusion process (default --runs; 1-2 for the reference engine)")
  ap.add_argument("--warmup", type=int, default=3, help="warm-up runs per process, both sides (3)")
  ap.add_argument("--dlf-warmup", type=int,
                  help="dlfusion warm-up runs (default --warmup; 0 for the reference engine)")
  ap.add_argument("--dlf-bin", default=os.environ.get("DLF_BIN", os.path.join(ROOT, "build", "dlfusion")),
                  help="dlfusion CLI ($DLF_BIN, else build/dlfusion)")
  ap.add_argument("--dlf-mode", choices=("auto", "bench", "run"), default="auto",
                  help="time dlfusion with `dlfusion bench` (warm-up like ORT) or `dlfusion run` "
                  "(no warm-up); auto: bench if the CLI has it")
  ap.add_argument("--dlf-args", default="", help='extra dlfusion arguments, e.g. "--engine ref"')
  ap.add_argument("--plan", choices=("none", "blocks"), default="none",
                  help="dlfusion's plan: none = unfused (default); blocks = `dlfusion plan MODEL "
                       "--fuse blocks --cores N`, made per model and thread count")
  ap.add_argument("--quiet-wait", type=float, default=0, metavar="S",
                  help="before each round, wait up to S s for the others' CPU use to drop "
                  "below 10%% (0: do not wait)")
  ap.add_argument("--ort-only", action="store_true", help="time ORT only (no dlfusion, no output check)")
  ap.add_argument("--models-dir", help="default bench/models; with --set tests/fixtures/gen/suite")
  ap.add_argument("--report", help="also write the markdown report to this file")
  ap.add_argument("--json", help="write all measurements as JSON to this file")
  a = ap.parse_args()
  suite = suite_cases(a.set, a.quick, a.models) if a.set else None
  models = [c["name"] for c in suite] if suite else (a.models or DEFAULT_MODELS).split()
  if a.models_dir is None:
    a.models_dir = SUITE_DIR if suite else os.path.join(HERE, "models")
  threads = [int(t) for t in a.threads.split()]
  ort_runs = a.ort_runs or a.runs
  dlf_runs = a.dlf_runs or a.runs
  dlf_warmup = a.warmup if a.dlf_warmup is None else a.dlf_warmup
  extra = shlex.split(a.dlf_args)
  if a.rounds < 1 or ort_runs < 1 or dlf_runs < 1 or not models or not threads:
    ap.error("--rounds, --runs, --models and --threads must not be empty or zero")
  dlf_bin = None if a.ort_only else os.path.abspath(a.dlf_bin)
  if dlf_bin and not os.access(dlf_bin, os.X_OK):
    raise SystemExit("compare_ort.py: no dlfusion CLI at %s (build it: make BUILD=build -j2, or set "
                     "DLF_BIN / --dlf-bin)" % dlf_bin)

  mode = a.dlf_mode
  if dlf_bin and mode == "auto":
    mode = "bench" if dlf_has_bench(dlf_bin) else "run"

  subprocess.run([os.path.join(HERE, "setup_ort.sh")], check=True, stdout=sys.stderr)
  if suite:
    subprocess.run([os.path.join(HERE, "models.sh"), "--suite", "--out", a.models_dir] + models,
                   check=True, stdout=sys.stderr)
  else:
    subprocess.run([os.path.join(HERE, "models.sh"), "--out", a.models_dir] + models, check=True,
                   stdout=sys.stderr)

  header = cpu_header(dlf_bin)
  header.insert(len(header) - 1, "- ONNX Runtime: onnxruntime-node %s, CPU EP, graph optimization "
                "'all', intra-op threads = N, inter-op 1, sequential" % ort_version())
  for line in header:
    log(line)

  tmp = tempfile.mkdtemp(prefix="compare_ort.")
  results, checks = [], []
  t_start = time.time()
  status = {}
  for name in models:
    d = os.path.join(a.models_dir, name)
    model, inp, torch_out = (os.path.join(d, f) for f in ("model.onnx", "input.npy", "output.npy"))
    if suite and dlf_bin:
      status[name] = suite_status(dlf_bin, model)
      log("  %-14s %s" % (name, status[name]))
      if status[name].startswith("fails"):
        continue
    try:
      measure(a, name, model, inp, torch_out, threads, dlf_bin, mode, ort_runs, dlf_runs,
              dlf_warmup, tmp, results, checks)
    except RunFailed as e:
      if not suite:
        raise
      results[:] = [r for r in results if r["model"] != name]
      checks[:] = [c for c in checks if c["model"] != name]
      status[name] = "fails: " + e.why
      log("  %-14s %s" % (name, status[name]))
  elapsed = time.time() - t_start
  shutil.rmtree(tmp, ignore_errors=True)

  def busy(r):
    if r["others_max"] is None:
      return "?"
    return "%.0f / %.0f%%" % (100 * r["others_median"], 100 * r["others_max"])

  out = ["## dlfusion vs ONNX Runtime", ""] + header + [
      "- load average at end: %s; %d rounds per row, ORT %d warm-up + %d runs per round%s; "
      "%.0f s in all"
      % (" ".join("%.2f" % x for x in os.getloadavg()), a.rounds, a.warmup, ort_runs,
         (", dlfusion `%s` %s%d run(s) per round%s" % (
             mode, ("%d warm-up + " % dlf_warmup) if mode == "bench" else "", dlf_runs,
             (" (" + a.dlf_args + ")") if a.dlf_args else "") +
          ("; plan: `dlfusion plan --fuse %s --cores N`" % a.plan if a.plan != "none" else
           "; plan: unfused")) if dlf_bin else "", elapsed),
      "- median: of the per-round medians; ORT/dlfusion: median of the per-round ratios (> 1: "
      "dlfusion is faster); others' CPU: share of all CPUs used by other processes while a "
      "side ran, median / max over the row's processes (above ~10%, distrust the row, "
      "2-thread rows most)" + ("" if dlf_bin else "; ORT CPU ms/run: the ORT process's CPU "
      "time per run, median over rounds (1 thread: the latency minus the time others took the "
      "core; 2 threads: both threads, spinning included)"), ""]
  n_head = len(out)
  if dlf_bin:
    out += ["| model | threads | ORT median ms | ORT round medians | dlfusion median ms | "
            "dlfusion round medians | engine | ORT/dlfusion | others' CPU |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
      out.append("| %s | %d | %s | %s | %s | %s | %s | %.3g | %s |" % (
          r["model"], r["threads"], fmt_ms(r["ort_median_ms"]),
          " ".join(fmt_ms(x) for x in r["ort_round_medians_ms"]), fmt_ms(r["dlf_median_ms"]),
          " ".join(fmt_ms(x) for x in r["dlf_round_medians_ms"]), r["dlf_engine"] or "?",
          r["ratio"], busy(r)))
  else:
    out += ["| model | threads | ORT median ms | ORT round medians | best round ms | min run ms | "
            "ORT CPU ms/run | others' CPU |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
      out.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
          r["model"], r["threads"], fmt_ms(r["ort_median_ms"]),
          " ".join(fmt_ms(x) for x in r["ort_round_medians_ms"]), fmt_ms(r["ort_best_round_ms"]),
          fmt_ms(r["ort_min_ms"]), fmt_ms(r["ort_cpu_ms"]), busy(r)))
  out += ["", "Outputs on the saved input, max |a - b| / range(b) (> %g: MISMATCH):" % REL_TOL, ""]
  bad = False
  if dlf_bin:
    out += ["| model | dlfusion vs ORT | dlfusion vs PyTorch | ORT vs PyTorch | |", "|---|---|---|---|---|"]
  else:
    out += ["| model | ORT vs PyTorch | |", "|---|---|---|"]
  for c in checks:
    errs = [c["dlf_vs_ort"], c["dlf_vs_torch"], c["ort_vs_torch"]] if dlf_bin else [c["ort_vs_torch"]]
    ok = all(e <= REL_TOL for e in errs)
    bad |= not ok
    out.append("| %s | %s | %s |" % (c["model"], " | ".join("%.2g" % e for e in errs),
                                     "ok" if ok else "MISMATCH"))
  if suite:  # the per-family tables first, the per-round details after them
    out = out[:n_head] + suite_report(suite, status, results, checks, threads) + \
        ["## Per model and thread count", ""] + out[n_head:]
  report = "\n".join(out) + "\n"
  sys.stdout.write(report)
  if a.report:
    with open(a.report, "w") as f:
      f.write(report)
  if a.json:
    with open(a.json, "w") as f:
      json.dump({"header": header, "results": results, "checks": checks, "status": status,
                 "suite": suite}, f, indent=1)
  return 1 if bad else 0


if __name__ == "__main__":
  sys.exit(main())
