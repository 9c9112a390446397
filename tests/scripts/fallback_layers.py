#!/usr/bin/python3
# fallback_layers.py — which layers of a model the fast engine runs on the reference fallback
# (NCHW copies + the op's reference function): what test_suite.sh asserts is empty.
"""Usage: fallback_layers.py [--lib build/libdlfusion.so] MODEL.onnx

Prints one line: "fallback N/L [Op xK, ...]: #i name (Op), ..." (N of the model's L layers;
the ops by count), or
"error: MESSAGE" (exit 2) when the model does not load or no session can be created.

How it finds them (until the runtime marks fallback layers in `dlfusion info`; then
find_fallbacks() below is the one function to switch to parsing that mark): the library's
dlf_session_fallback_steps() (include/dlfusion.h) counts a
session's fallback steps. A plan that forces the 'reference' algorithm on a set S of layers makes
every layer of S a fallback, so count(S forced) - count(none forced) = |S| - (fallbacks in S):
the number of fallbacks in any set. Halving the sets that hold some finds each of the k fallback
layers of an L-layer model in about 2k log2(L) session creations."""

import argparse
import ctypes as C
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX_DIMS = 8


class LayerInfo(C.Structure):  # dlf_layer_info (include/dlfusion.h); same as bench/layer_compare.py
  _fields_ = [("index", C.c_int), ("name", C.c_char_p), ("op", C.c_char_p), ("epilogue", C.c_char_p),
              ("ndim_in", C.c_int), ("ndim_out", C.c_int), ("in_dims", C.c_int64 * MAX_DIMS),
              ("out_dims", C.c_int64 * MAX_DIMS), ("kernel_h", C.c_int64), ("kernel_w", C.c_int64),
              ("stride_h", C.c_int64), ("stride_w", C.c_int64), ("groups", C.c_int64),
              ("in_channels", C.c_int64), ("out_channels", C.c_int64), ("macs", C.c_int64),
              ("params", C.c_int64), ("weight_bytes", C.c_int64), ("act_in_bytes", C.c_int64),
              ("act_out_bytes", C.c_int64), ("intensity", C.c_double)]


class SessionOptions(C.Structure):
  _fields_ = [("engine", C.c_int), ("threads", C.c_int), ("plan", C.c_void_p)]


class Error(Exception):
  pass


class Lib:
  def __init__(self, path):
    L = self.L = C.CDLL(path)
    L.dlf_last_error.restype = C.c_char_p
    L.dlf_model_load.argtypes = [C.c_char_p, C.c_void_p, C.POINTER(C.c_void_p)]
    L.dlf_model_free.argtypes = [C.c_void_p]
    L.dlf_model_num_layers.argtypes = [C.c_void_p]
    L.dlf_model_layer.argtypes = [C.c_void_p, C.c_int, C.POINTER(LayerInfo)]
    L.dlf_plan_unfused.argtypes = [C.c_void_p, C.c_int, C.POINTER(C.c_void_p)]
    L.dlf_plan_to_json.argtypes = [C.c_void_p]
    L.dlf_plan_to_json.restype = C.c_void_p  # malloc'd: freed with libc free
    L.dlf_plan_parse.argtypes = [C.c_void_p, C.c_char_p, C.c_size_t, C.POINTER(C.c_void_p)]
    L.dlf_plan_free.argtypes = [C.c_void_p]
    L.dlf_session_create.argtypes = [C.c_void_p, C.POINTER(SessionOptions), C.POINTER(C.c_void_p)]
    L.dlf_session_free.argtypes = [C.c_void_p]
    L.dlf_session_fallback_steps.argtypes = [C.c_void_p]
    self.libc = C.CDLL(None)
    self.libc.free.argtypes = [C.c_void_p]

  def check(self, st, what):
    if st != 0:
      raise Error("%s: %s" % (what, self.L.dlf_last_error().decode(errors="replace")))


def find_fallbacks(lib, path):
  """[(index, name, op)] of the layers the fast engine runs on the reference fallback, and the
  number of layers."""
  L = lib.L
  m = C.c_void_p()
  lib.check(L.dlf_model_load(path.encode(), None, C.byref(m)), path)
  try:
    layers = []
    for i in range(L.dlf_model_num_layers(m)):
      li = LayerInfo()
      lib.check(L.dlf_model_layer(m, i, C.byref(li)), "layer %d" % i)
      layers.append((i, li.name.decode(), li.op.decode()))
    p = C.c_void_p()
    lib.check(L.dlf_plan_unfused(m, 1, C.byref(p)), "unfused plan")
    js = L.dlf_plan_to_json(p)
    L.dlf_plan_free(p)
    if not js:
      raise Error("dlf_plan_to_json failed")
    plan = json.loads(C.string_at(js).decode())
    lib.libc.free(js)

    def count(forced):
      """Fallback steps of a 1-thread session with the layers `forced` on 'reference'."""
      for b in plan["blocks"]:
        b.pop("algorithms", None)
        (ref,) = b["layers"]  # unfused: one layer per block
        idx = ref if isinstance(ref, int) else None
        if idx is None:
          idx = next(i for i, n, _ in layers if n == ref)
        if idx in forced:
          b["algorithms"] = {str(idx) if isinstance(ref, int) else ref: "reference"}
      text = json.dumps(plan).encode()
      q = C.c_void_p()
      lib.check(L.dlf_plan_parse(m, text, len(text), C.byref(q)), "plan")
      s = C.c_void_p()
      try:
        lib.check(L.dlf_session_create(m, C.byref(SessionOptions(0, 1, q)), C.byref(s)),
                  "session")
        return L.dlf_session_fallback_steps(s)
      finally:
        L.dlf_session_free(s)
        L.dlf_plan_free(q)

    base = count(set())
    found = []

    def search(lo, hi, k):  # layers [lo, hi) hold k fallbacks
      if k == 0:
        return
      if hi - lo == k:
        found.extend(range(lo, hi))
        return
      mid = (lo + hi) // 2
      k_left = (mid - lo) - (count(set(range(lo, mid))) - base)
      search(lo, mid, k_left)
      search(mid, hi, k - k_left)

    search(0, len(layers), base)
    return [layers[i] for i in sorted(found)], len(layers)
  finally:
    L.dlf_model_free(m)


def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  ap.add_argument("--lib", default=os.environ.get("DLF_LIB", os.path.join(
      os.path.dirname(os.environ.get("DLF_BIN", os.path.join(ROOT, "build", "dlfusion"))),
      "libdlfusion.so")))
  ap.add_argument("model")
  a = ap.parse_args()
  try:
    fb, n = find_fallbacks(Lib(os.path.abspath(a.lib)), a.model)
  except Error as e:
    print("error: %s" % e)
    return 2
  by_op = {}
  for _, _, op in fb:
    by_op[op] = by_op.get(op, 0) + 1
  ops = ", ".join("%s x%d" % kv for kv in sorted(by_op.items(), key=lambda kv: (-kv[1], kv[0])))
  print("fallback %d/%d%s%s" % (len(fb), n, (" [%s]: " % ops) if fb else "",
                                ", ".join("#%d %s (%s)" % f for f in fb)))
  return 0


if __name__ == "__main__":
  sys.exit(main())
