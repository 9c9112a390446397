"""dlfusion — Python bindings of the dlfusion C library (an auto-tuning layer-fusion compiler
and runtime for CNN inference), over libdlfusion.so with ctypes; numpy arrays in and out.

    model = dlfusion.Model("zoo:squeezenet1_0")      # or a path to an .onnx file
    session = model.session(plan=model.plan_fuse_blocks())
    (y,) = session.run(x)                            # x: a float32 array of model.inputs[0].shape

Every failure of the library raises dlfusion.Error carrying its message (file, node, values)."""
import ctypes
from collections import namedtuple

import numpy as np

from . import _lib
from ._lib import lib

__all__ = ["Error", "Model", "Plan", "Session", "Target", "Profile", "tune", "zoo_names",
           "TensorInfo", "Layer", "Block", "TuneResult"]

_DTYPES = {1: np.float32, 7: np.int64}  # dlf_dtype
_ENGINES = {"default": 0, "reference": 1, "ref": 1}


class Error(Exception):
    """A failed dlfusion call: str(e) is the library's message, e.status its dlf_status code
    and e.status_name the status' name ("parse error", ...)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.status_name = lib.dlf_status_string(status).decode()


def _check(status):
    if status != 0:
        raise Error(status, lib.dlf_last_error().decode())


def _b(s):
    return None if s is None else str(s).encode()


def _s(p):
    return p.decode() if p else ""


TensorInfo = namedtuple("TensorInfo", "name dtype shape")
Layer = namedtuple("Layer", "index name op epilogue in_shape out_shape kernel stride groups "
                            "in_channels out_channels macs params weight_bytes act_in_bytes "
                            "act_out_bytes intensity")
Block = namedtuple("Block", "index layers algorithms cores tile_rows")
TuneResult = namedtuple("TuneResult", "cost_us simulated_us search_ms evaluations")


def zoo_names():
    """The built-in zoo's model names (load them as "zoo:NAME")."""
    names, p, i = [], lib.dlf_zoo_names(), 0
    while p[i]:
        names.append(p[i].decode())
        i += 1
    return names


class _Handle:
    _free = None
    _h = None  # a constructor that failed leaves nothing to free

    def __init__(self, handle):
        self._h = handle

    def close(self):
        if self._h:
            type(self)._free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Model(_Handle):
    """A loaded model: spec is a path to an .onnx file or "zoo:NAME". shapes={"input": (2, 3,
    224, 224)} fixes input shapes (e.g. a symbolic batch); batch and seed are a zoo model's;
    max_tensor_bytes caps every tensor (0 = $DLF_MAX_TENSOR_BYTES, else 16 GiB)."""
    _free = lib.dlf_model_free

    def __init__(self, spec, *, batch=0, seed=0, shapes=None, no_optimize=False,
                 max_tensor_bytes=0):
        shapes = shapes or {}
        binds = (_lib.Tensor * max(1, len(shapes)))()
        names = []
        for b, (name, dims) in zip(binds, shapes.items()):
            names.append(_b(name))
            b.name, b.ndim = names[-1], len(dims)
            for d, v in enumerate(dims):
                b.dims[d] = int(v)
        o = _lib.LoadOptions(zoo_seed=seed, zoo_batch=batch, bindings=binds,
                             num_bindings=len(shapes), no_optimize=int(no_optimize),
                             max_tensor_bytes=max_tensor_bytes)
        h = _lib.H()
        _check(lib.dlf_model_load(_b(spec), ctypes.byref(o), ctypes.byref(h)))
        super().__init__(h)
        self.spec = spec

    def _tensors(self, count, get):
        out = []
        for i in range(count(self._h)):
            t = _lib.Tensor()
            _check(get(self._h, i, ctypes.byref(t)))
            out.append(TensorInfo(_s(t.name), np.dtype(_DTYPES[t.dtype]),
                                  tuple(t.dims[:t.ndim])))
        return out

    @property
    def inputs(self):
        return self._tensors(lib.dlf_model_num_inputs, lib.dlf_model_input)

    @property
    def outputs(self):
        return self._tensors(lib.dlf_model_num_outputs, lib.dlf_model_output)

    @property
    def layers(self):
        """The layer table: the units the tuner fuses (after BN folding and epilogue fusion)."""
        out = []
        for i in range(lib.dlf_model_num_layers(self._h)):
            l = _lib.LayerInfo()
            _check(lib.dlf_model_layer(self._h, i, ctypes.byref(l)))
            out.append(Layer(l.index, _s(l.name), _s(l.op), _s(l.epilogue),
                             tuple(l.in_dims[:l.ndim_in]), tuple(l.out_dims[:l.ndim_out]),
                             (l.kernel_h, l.kernel_w), (l.stride_h, l.stride_w), l.groups,
                             l.in_channels, l.out_channels, l.macs, l.params, l.weight_bytes,
                             l.act_in_bytes, l.act_out_bytes, l.intensity))
        return out

    def summary(self):
        """Totals: layers, macs, params, weight_bytes, act_peak_bytes, act_total_bytes."""
        s = _lib.ModelSummary()
        _check(lib.dlf_model_summarize(self._h, ctypes.byref(s)))
        return {f: getattr(s, f) for f, _ in _lib.ModelSummary._fields_}

    def _plan(self, make, *args):
        h = _lib.H()
        _check(make(self._h, *args, ctypes.byref(h)))
        return Plan(h)

    def plan_unfused(self, cores=0):
        return self._plan(lib.dlf_plan_unfused, cores)

    def plan_fuse_blocks(self, cores=0):
        """The rule-of-thumb plan: the network's natural blocks fused, on `cores` cores."""
        return self._plan(lib.dlf_plan_fuse_blocks, cores)

    def load_plan(self, path):
        return self._plan(lib.dlf_plan_load, _b(path))

    def parse_plan(self, text):
        data = _b(text)
        return self._plan(lib.dlf_plan_parse, data, len(data))

    def session(self, plan=None, *, threads=0, engine="default", isa=None):
        """A session that runs the model: with plan (None = unfused), on `threads` threads (0 =
        all), engine "default" (fast) or "reference", isa "generic"/"avx2"/"avx512" (None =
        $DLF_ISA, else the best this CPU has)."""
        return Session(self, plan, threads, engine, isa)


class Plan(_Handle):
    """Which layers run fused and on how many cores (docs/plan.md)."""
    _free = lib.dlf_plan_free

    @property
    def blocks(self):
        out = []
        for i in range(lib.dlf_plan_num_blocks(self._h)):
            b = _lib.BlockInfo()
            _check(lib.dlf_plan_block(self._h, i, ctypes.byref(b)))
            out.append(Block(b.index, [b.layers[k] for k in range(b.num_layers)],
                             [b.algorithms[k].decode() for k in range(b.num_layers)],
                             b.cores, b.tile_rows))
        return out

    def to_json(self):
        text = _lib.take_string(lib.dlf_plan_to_json(self._h))
        if text is None:  # the writer ran out of memory
            raise Error(6, lib.dlf_last_error().decode() or "out of memory writing a plan")
        return text

    def save(self, path):
        _check(lib.dlf_plan_save(self._h, _b(path)))

    def simulate(self, model, target):
        """Simulated microseconds on an accelerator target: (total, [per block])."""
        total = ctypes.c_double()
        per = (ctypes.c_double * max(1, len(self.blocks)))()
        _check(lib.dlf_plan_simulate(model._h, target._h, self._h, ctypes.byref(total), per))
        return total.value, list(per[:len(self.blocks)])


class Session(_Handle):
    _free = lib.dlf_session_free

    def __init__(self, model, plan, threads, engine, isa):
        if engine not in _ENGINES:
            raise ValueError(f"engine must be 'default' or 'reference', not {engine!r}")
        o = _lib.SessionOptions(engine=_ENGINES[engine], threads=threads,
                                plan=plan._h if plan is not None else None, isa=_b(isa))
        h = _lib.H()
        _check(lib.dlf_session_create(model._h, ctypes.byref(o), ctypes.byref(h)))
        super().__init__(h)
        self._model = model  # the model must outlive the session
        self._inputs, self._outputs = model.inputs, model.outputs

    @property
    def engine_name(self):
        return _s(lib.dlf_session_engine_name(self._h))

    @property
    def threads(self):
        return lib.dlf_session_threads(self._h)

    def run(self, *inputs):
        """Run on numpy arrays (one per model input, NCHW; or one dict by name); returns the
        outputs as new arrays, in the model's order."""
        if len(inputs) == 1 and isinstance(inputs[0], dict):
            given = inputs[0]
            missing = [t.name for t in self._inputs if t.name not in given]
            if missing:
                raise ValueError(f"{self._model.spec}: no array for input(s) {missing}")
            inputs = [given[t.name] for t in self._inputs]
        if len(inputs) != len(self._inputs):
            raise ValueError(f"{self._model.spec}: {len(inputs)} arrays given, the model has "
                             f"{len(self._inputs)} inputs")
        arrays = []
        for a, t in zip(inputs, self._inputs):
            a = np.ascontiguousarray(a, dtype=t.dtype)
            if a.shape != t.shape:
                raise ValueError(f"{self._model.spec}: input '{t.name}' has shape {a.shape}, "
                                 f"the model expects {t.shape}")
            arrays.append(a)
        outs = [np.empty(t.shape, dtype=t.dtype) for t in self._outputs]
        pin = (ctypes.c_void_p * max(1, len(arrays)))(*[a.ctypes.data for a in arrays])
        pout = (ctypes.c_void_p * max(1, len(outs)))(*[o.ctypes.data for o in outs])
        _check(lib.dlf_session_run(self._h, pin, pout))
        return outs


class Target(_Handle):
    """What dlfusion compiles for: the host CPU or a described accelerator (JSON)."""
    _free = lib.dlf_target_free

    @classmethod
    def host(cls, cores=0):
        h = _lib.H()
        _check(lib.dlf_target_host(cores, ctypes.byref(h)))
        return cls(h)

    @classmethod
    def load(cls, path):
        h = _lib.H()
        _check(lib.dlf_target_load(_b(path), ctypes.byref(h)))
        return cls(h)

    @classmethod
    def parse(cls, text):
        data, h = _b(text), _lib.H()
        _check(lib.dlf_target_parse(data, len(data), ctypes.byref(h)))
        return cls(h)

    def _info(self):
        i = _lib.TargetInfo()
        _check(lib.dlf_target_get_info(self._h, ctypes.byref(i)))
        return i

    @property
    def name(self):
        return _s(self._info().name)

    @property
    def kind(self):
        return _s(self._info().kind)

    @property
    def core_numbers(self):
        i = self._info()
        return [i.core_numbers[k] for k in range(i.n_core_numbers)]


class Profile(_Handle):
    """Latencies of synthesized layers on a target: what the cost model is fitted on."""
    _free = lib.dlf_profile_free

    @classmethod
    def run(cls, target, quick=False, runs=0, seed=0):
        o, h = _lib.ProfileOptions(int(quick), runs, seed), _lib.H()
        _check(lib.dlf_profile_run_options(target._h, ctypes.byref(o), ctypes.byref(h)))
        return cls(h)

    @classmethod
    def load(cls, path):
        h = _lib.H()
        _check(lib.dlf_profile_load(_b(path), ctypes.byref(h)))
        return cls(h)

    def save(self, path):
        _check(lib.dlf_profile_save(self._h, _b(path)))

    def __len__(self):
        return lib.dlf_profile_num_samples(self._h)


def tune(model, target, strategy="dlfusion", profile=None, max_block_layers=0, runs=0):
    """Choose the plan of model on target: strategy "dlfusion" (needs a profile of the target),
    "oracle", "greedy" (profile), "none", "allcores", "vendor" or "blocks". Returns
    (Plan, TuneResult)."""
    s = lib.dlf_tune_strategy_from_name(_b(strategy))
    if s < 0:
        raise ValueError(f"unknown strategy {strategy!r} "
                         "(dlfusion, oracle, greedy, none, allcores, vendor, blocks)")
    o = _lib.TuneOptions(s, profile._h if profile is not None else None, max_block_layers, runs)
    h, r = _lib.H(), _lib.TuneResult()
    _check(lib.dlf_tune(model._h, target._h, ctypes.byref(o), ctypes.byref(h), ctypes.byref(r)))
    return Plan(h), TuneResult(r.cost_us, r.simulated_us, r.search_ms, r.evaluations)
