"""test_python.py PREFIX DLFUSION — the installed Python package against the installed CLI, the
reference executor and PyTorch's outputs. Run with PYTHONPATH set to the installed PYTHONDIR.
Prints "ok NAME" / "FAIL NAME: why" per check, then "N passed, N failed"."""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

import dlfusion

prefix, cli, layout = sys.argv[1], sys.argv[2], sys.argv[3]
results = []


def check(name, cond, why=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {why}"))


def close(a, b, tol):
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * max(1.0, np.abs(b).max())))


tmp = tempfile.mkdtemp()

# The package loads the installed library, not a build tree's.
check("loads_installed_library", dlfusion._lib._find_library().startswith(prefix),
      dlfusion._lib._find_library())

# ctypes structs match the C compiler's layout of the installed header.
sizes = dict(l.split() for l in subprocess.run([layout], capture_output=True, text=True,
                                               check=True).stdout.splitlines())
for cname, py in dlfusion._lib.STRUCTS.items():
    import ctypes
    check(f"layout_{cname}", int(sizes[cname]) == ctypes.sizeof(py),
          f"C {sizes[cname]} bytes, ctypes {ctypes.sizeof(py)}")

# A small ONNX model against PyTorch's output.
fix = "tests/fixtures/small"
m = dlfusion.Model(f"{fix}/relu_add.onnx")
x, want = np.load(f"{fix}/relu_add_x.npy"), np.load(f"{fix}/relu_add_y.npy")
(y,) = m.session().run(x)
check("onnx_matches_pytorch", close(y, want, 1e-6), f"max diff {np.abs(y - want).max()}")
(y,) = m.session().run({m.inputs[0].name: x})
check("run_by_name", close(y, want, 1e-6))

# A zoo model: the same input through Python and the CLI, and the reference executor.
z = dlfusion.Model("zoo:squeezenet1_0")
xi = np.random.default_rng(3).standard_normal(z.inputs[0].shape, dtype=np.float32)
np.save(f"{tmp}/x.npy", xi)
subprocess.run([cli, "run", "zoo:squeezenet1_0", "--input", f"{tmp}/x.npy", "--threads", "2",
                "--output", f"{tmp}/y.npy"], check=True, capture_output=True)
y_cli = np.load(f"{tmp}/y.npy")
(y_py,) = z.session(threads=2).run(xi)
check("zoo_matches_cli", close(y_py, y_cli, 1e-6), f"max diff {np.abs(y_py - y_cli).max()}")
(y_ref,) = z.session(engine="reference").run(xi)
check("zoo_matches_reference", close(y_py, y_ref, 1e-3), f"max diff {np.abs(y_py - y_ref).max()}")
(y_gen,) = z.session(isa="generic", threads=1).run(xi)
check("isa_option", close(y_gen, y_ref, 1e-3) and z.session(isa="generic").engine_name ==
      "fast (generic)")

# The layer table agrees with the CLI's `info` totals.
info = subprocess.run([cli, "info", "zoo:squeezenet1_0"], capture_output=True, text=True,
                      check=True).stdout
tot = dict(re.findall(r"(\w+)=(\d+)", [l for l in info.splitlines() if l.startswith("total:")][0]))
layers = z.layers
check("layer_table_matches_cli", len(layers) == int(tot["layers"]) and
      sum(l.macs for l in layers) == int(tot["macs"]) == z.summary()["macs"],
      f"{len(layers)} layers / {tot}")

# Plans: fused blocks run like the unfused plan, survive JSON, and are checked.
p = z.plan_fuse_blocks(2)
(y_f,) = z.session(p, threads=2).run(xi)
check("fused_plan_matches_unfused", close(y_f, y_py, 1e-5))
p.save(f"{tmp}/p.json")
q = z.load_plan(f"{tmp}/p.json")
check("plan_round_trip", q.blocks == p.blocks and z.parse_plan(p.to_json()).blocks == p.blocks)
try:
    z.parse_plan('{"dlfusion_plan": 1}')
    check("bad_plan_raises", False, "no error")
except dlfusion.Error as e:
    check("bad_plan_raises", e.status_name == "parse error" or e.status != 0, str(e))

# Tuning on the simulated accelerator: the plan is simulated, and sessions refuse it.
mlu = dlfusion.Target.load("targets/mlu100.json")
prof = dlfusion.Profile.run(mlu, quick=True)
tp, r = dlfusion.tune(z, mlu, "dlfusion", prof)
total, per = tp.simulate(z, mlu)
check("tune_mlu100", len(tp.blocks) >= 1 and abs(total - r.simulated_us) <= 1e-9 * total and
      abs(sum(per) - total) <= 1e-6 * total, f"{r} {total}")
try:
    z.session(tp)
    check("accelerator_plan_refused", False, "no error")
except dlfusion.Error as e:
    check("accelerator_plan_refused", "accelerator 'mlu100'" in str(e), str(e))
cpu = dlfusion.Target.host(2)
tb, _ = dlfusion.tune(z, cpu, "blocks")
(y_t,) = z.session(tb, threads=2).run(xi)
check("tune_cpu_blocks_runs", close(y_t, y_py, 1e-5) and cpu.kind == "cpu")

# Errors carry the library's message: the same line the CLI prints.
try:
    dlfusion.Model(f"{tmp}/missing.onnx")
    check("error_message", False, "no error")
except dlfusion.Error as e:
    err = subprocess.run([cli, "info", f"{tmp}/missing.onnx"], capture_output=True,
                         text=True).stderr
    check("error_message", e.status_name == "i/o error" and str(e) in err, f"{e!r} vs {err!r}")
try:
    z.session().run(np.zeros((1, 3, 10, 10), np.float32))
    check("shape_checked", False, "no error")
except ValueError as e:
    check("shape_checked", "expects (1, 3, 224, 224)" in str(e), str(e))

# The README's Python example runs as written.
readme = open("README.md").read()
section = readme[readme.index("\n## Python\n"):]
example = section[section.index("```python\n") + 10:section.index("\n```", section.index("```python"))]
out = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True)
check("readme_example", out.returncode == 0 and "missing.onnx: cannot open" in out.stdout and
      re.search(r"^\d+ layers; input \(1, 3, 224, 224\)$", out.stdout, re.M), out.stdout + out.stderr)

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
