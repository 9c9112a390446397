#!/usr/bin/python3
# zoo_check.py — proves dlfusion's built-in zoo equals torchvision 0.14: MAC and parameter totals
# of `dlfusion info`, state_dict names, and outputs of `dlfusion run` vs PyTorch on the same weights.
"""Usage: /usr/bin/python3 tests/scripts/zoo_check.py [--bin BUILD/dlfusion] [--all] [MODEL ...]

For every zoo model:
  totals   `dlfusion info zoo:NAME` last line "total: layers=.. macs=.. params=.. weight_bytes=.."
           against MACs counted with forward hooks (Conv2d: N*Cout*Hout*Wout*Cin/groups*kh*kw,
           Linear: rows*in*out) and sum(p.numel() for p in model.parameters()).
  names    `dlfusion export zoo:NAME` initializers: every state_dict key except
           num_batches_tracked is provided with its shape; the only extras are Clip bounds.
  depends  with dlfusion's weights loaded, PyTorch's logits for two different inputs differ
           clearly, and their spread is not tiny next to their mean.
  output   `dlfusion run zoo:NAME` on a fixed input equals PyTorch's eval() output
           (max abs error <= 1e-3 * output range). Default: resnet18, mobilenet_v2,
           squeezenet1_0; --all adds alexnet, vgg16, resnet50 (slow in the reference executor).
Prints "PASS ..."/"FAIL ..." per check and ends with "N passed, N failed".
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torchvision

ALL = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2", "squeezenet1_0"]
OUTPUT_CHECKED = ["resnet18", "mobilenet_v2", "squeezenet1_0"]
TIMEOUT = int(os.environ.get("DLF_ZOO_TIMEOUT", "900"))

results = {"pass": 0, "fail": 0}


def report(ok, what, detail):
    results["pass" if ok else "fail"] += 1
    print(("PASS " if ok else "FAIL ") + what + ": " + detail, flush=True)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError("%s exited with %d: %s" % (" ".join(cmd), p.returncode,
                                                      p.stderr.strip()[:400]))
    return p.stdout


def torch_totals(model):
    """MACs of Conv2d and Linear layers (forward hooks, batch 1, 224x224) and parameters."""
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            n, c, h, w = out.shape
            kh, kw = mod.kernel_size
            macs[0] += n * c * h * w * (mod.in_channels // mod.groups) * kh * kw
        else:
            macs[0] += out.shape[0] * mod.in_features * mod.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    for h in handles:
        h.remove()
    return macs[0], sum(p.numel() for p in model.parameters())


def check_totals(binary, name, model):
    macs, params = torch_totals(model)
    try:
        out = run([binary, "info", "zoo:" + name])
    except Exception as e:  # noqa: BLE001 - reported as a failure
        report(False, name + " totals", str(e))
        return
    lines = out.strip().splitlines()
    m = re.fullmatch(r"total: layers=(\d+) macs=(\d+) params=(\d+) weight_bytes=(\d+)",
                     lines[-1].strip() if lines else "")
    if not m:
        report(False, name + " totals", "last line of info is not 'total: ...': %r"
               % (lines[-1] if lines else ""))
        return
    got_macs, got_params = int(m.group(2)), int(m.group(3))
    report(got_macs == macs and got_params == params, name + " totals",
           "macs %d (torchvision %d), params %d (torchvision %d)"
           % (got_macs, macs, got_params, params))


def load_exported(binary, name, model, tmp):
    """Export zoo:NAME, check its initializer names/shapes, load them into model."""
    path = os.path.join(tmp, name + ".onnx")
    run([binary, "export", "zoo:" + name, "-o", path])
    graph = onnx.load(path).graph
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    os.remove(path)  # VGG-16's file is 0.55 GB
    sd = model.state_dict()
    keys = [k for k in sd if not k.endswith("num_batches_tracked")]
    missing = [k for k in keys if k not in inits]
    wrong = [k for k in keys if k in inits and tuple(inits[k].shape) != tuple(sd[k].shape)]
    extra = [k for k in inits if k not in sd and not re.search(r"\.(min|max)$", k)]
    io_ok = ([i.name for i in graph.input if i.name not in inits] == ["input"]
             and [o.name for o in graph.output] == ["output"])
    report(not missing and not wrong and not extra and io_ok, name + " names",
           "%d state_dict keys; missing %s, wrong shape %s, unexpected %s, io %s"
           % (len(keys), missing[:3], wrong[:3], extra[:3], "ok" if io_ok else "wrong"))
    if missing or wrong:
        return False
    model.load_state_dict({k: torch.from_numpy(np.array(inits[k])) for k in keys}, strict=False)
    model.eval()
    return True


def check_depends(name, model):
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.standard_normal((2, 3, 224, 224)).astype(np.float32))
    with torch.no_grad():
        y = model(x).numpy().astype(np.float64)
    mean, std = y[0].mean(), y[0].std()
    diff = np.abs(y[0] - y[1]).mean()
    ok = np.isfinite(y).all() and std > 0.1 and std > 0.2 * abs(mean) and diff > 0.05 * std
    report(ok, name + " depends", "logits mean %.3g std %.3g; mean |y(x1)-y(x2)| %.3g (%.1f%% of std)"
           % (mean, std, diff, 100 * diff / std if std else 0))


def check_output(binary, name, model, tmp):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
    xp, yp = os.path.join(tmp, name + ".x.npy"), os.path.join(tmp, name + ".y.npy")
    np.save(xp, x)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    try:
        run([binary, "run", "zoo:" + name, "--input", "input=" + xp, "--output", "output=" + yp])
        y = np.load(yp)
    except Exception as e:  # noqa: BLE001
        report(False, name + " output", str(e))
        return
    if y.shape != ref.shape:
        report(False, name + " output", "shape %s, torchvision %s" % (y.shape, ref.shape))
        return
    err = float(np.abs(y.astype(np.float64) - ref).max())
    rng_ = float(ref.max() - ref.min())
    report(err <= 1e-3 * rng_, name + " output",
           "max abs error %.3g, output range %.3g (tolerance %.3g)" % (err, rng_, 1e-3 * rng_))


def main(argv):
    binary = os.environ.get("DLF_BIN", "build/dlfusion")
    names, everything = [], False
    i = 0
    while i < len(argv):
        if argv[i] == "--bin":
            binary = argv[i + 1]
            i += 1
        elif argv[i] == "--all":
            everything = True
        elif argv[i] in ALL:
            names.append(argv[i])
        else:
            print(__doc__)
            return 2
        i += 1
    names = names or ALL
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            model = getattr(torchvision.models, name)().eval()
            check_totals(binary, name, model)
            try:
                loaded = load_exported(binary, name, model, tmp)
            except Exception as e:  # noqa: BLE001
                report(False, name + " names", str(e))
                loaded = False
            if not loaded:
                continue
            check_depends(name, model)
            if everything or name in OUTPUT_CHECKED:
                check_output(binary, name, model, tmp)
    print("%d passed, %d failed" % (results["pass"], results["fail"]))
    return 0 if results["fail"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
