"""_lib.py — the C library through ctypes: finding libdlfusion.so, the structs of dlfusion.h
and the prototypes of the functions the package calls. Nothing here is public."""
import ctypes
import ctypes.util
import os

MAX_DIMS = 8


def _find_library():
    # 1. an explicit path (tests of a build tree); 2. the one `make install` recorded next to
    # this package; 3. the loader's search path.
    path = os.environ.get("DLFUSION_LIBRARY")
    if path:
        return path
    try:
        from . import _installed

        if os.path.exists(_installed.LIBRARY):
            return _installed.LIBRARY
    except ImportError:
        pass
    return ctypes.util.find_library("dlfusion") or "libdlfusion.so.0"


lib = ctypes.CDLL(_find_library())

c_int, c_int64, c_uint64, c_double = ctypes.c_int, ctypes.c_int64, ctypes.c_uint64, ctypes.c_double
c_char_p, c_void_p, c_size_t = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t
POINTER, Structure = ctypes.POINTER, ctypes.Structure


class Tensor(Structure):  # dlf_tensor
    _fields_ = [("name", c_char_p), ("dtype", c_int), ("ndim", c_int),
                ("dims", c_int64 * MAX_DIMS), ("data", c_void_p)]


class LoadOptions(Structure):  # dlf_load_options
    _fields_ = [("zoo_seed", c_uint64), ("zoo_batch", c_int), ("bindings", POINTER(Tensor)),
                ("num_bindings", c_int), ("strict_shapes", c_int), ("no_optimize", c_int),
                ("max_tensor_bytes", c_int64)]


class LayerInfo(Structure):  # dlf_layer_info
    _fields_ = [("index", c_int), ("name", c_char_p), ("op", c_char_p), ("epilogue", c_char_p),
                ("ndim_in", c_int), ("ndim_out", c_int), ("in_dims", c_int64 * MAX_DIMS),
                ("out_dims", c_int64 * MAX_DIMS)] + [
                   (f, c_int64) for f in ("kernel_h", "kernel_w", "stride_h", "stride_w",
                                          "groups", "in_channels", "out_channels", "macs",
                                          "params", "weight_bytes", "act_in_bytes",
                                          "act_out_bytes")] + [("intensity", c_double)]


class ModelSummary(Structure):  # dlf_model_summary
    _fields_ = [("layers", c_int)] + [
        (f, c_int64) for f in ("macs", "params", "weight_bytes", "act_peak_bytes",
                               "act_total_bytes")]


class SessionOptions(Structure):  # dlf_session_options
    _fields_ = [("engine", c_int), ("threads", c_int), ("plan", c_void_p), ("isa", c_char_p)]


class BlockInfo(Structure):  # dlf_block_info
    _fields_ = [("index", c_int), ("num_layers", c_int), ("layers", POINTER(c_int)),
                ("algorithms", POINTER(c_char_p)), ("cores", c_int), ("tile_rows", c_int)]


class TargetInfo(Structure):  # dlf_target_info
    _fields_ = [("name", c_char_p), ("kind", c_char_p), ("cores", c_int),
                ("n_core_numbers", c_int), ("core_numbers", POINTER(c_int)),
                ("fingerprint", c_uint64), ("clock_ghz", c_double),
                ("peak_gflops_per_core", c_double), ("lanes", c_int),
                ("onchip_bytes_per_core", c_int64), ("dram_channels", c_int),
                ("dram_gbps_per_channel", c_double), ("cores_per_channel", c_int),
                ("launch_us", c_double), ("sync_base_us", c_double),
                ("sync_per_log2_us", c_double)]


class ProfileOptions(Structure):  # dlf_profile_options
    _fields_ = [("quick", c_int), ("runs", c_int), ("seed", c_uint64)]


class TuneOptions(Structure):  # dlf_tune_options
    _fields_ = [("strategy", c_int), ("profile", c_void_p), ("max_block_layers", c_int),
                ("runs", c_int), ("skip_references", c_int),
                ("validate_s", c_double), ("block_model", c_int)]


class TuneResult(Structure):  # dlf_tune_result
    _fields_ = [("cost_us", c_double), ("simulated_us", c_double), ("search_ms", c_double),
                ("evaluations", c_int64), ("others_cores", c_double)]


# The structs whose layout the tests compare with the C compiler's (sizeof in dlfusion.h).
STRUCTS = {"dlf_tensor": Tensor, "dlf_load_options": LoadOptions, "dlf_layer_info": LayerInfo,
           "dlf_model_summary": ModelSummary, "dlf_session_options": SessionOptions,
           "dlf_block_info": BlockInfo, "dlf_target_info": TargetInfo,
           "dlf_profile_options": ProfileOptions, "dlf_tune_options": TuneOptions,
           "dlf_tune_result": TuneResult}

H = c_void_p  # every handle is an opaque pointer
_PROTOTYPES = {
    "dlf_status_string": (c_char_p, [c_int]),
    "dlf_last_error": (c_char_p, []),
    "dlf_zoo_names": (POINTER(c_char_p), []),
    "dlf_model_load": (c_int, [c_char_p, POINTER(LoadOptions), POINTER(H)]),
    "dlf_model_free": (None, [H]),
    "dlf_model_num_inputs": (c_int, [H]),
    "dlf_model_num_outputs": (c_int, [H]),
    "dlf_model_input": (c_int, [H, c_int, POINTER(Tensor)]),
    "dlf_model_output": (c_int, [H, c_int, POINTER(Tensor)]),
    "dlf_model_num_layers": (c_int, [H]),
    "dlf_model_layer": (c_int, [H, c_int, POINTER(LayerInfo)]),
    "dlf_model_summarize": (c_int, [H, POINTER(ModelSummary)]),
    "dlf_session_create": (c_int, [H, POINTER(SessionOptions), POINTER(H)]),
    "dlf_session_free": (None, [H]),
    "dlf_session_run": (c_int, [H, POINTER(c_void_p), POINTER(c_void_p)]),
    "dlf_session_engine_name": (c_char_p, [H]),
    "dlf_session_threads": (c_int, [H]),
    "dlf_plan_load": (c_int, [H, c_char_p, POINTER(H)]),
    "dlf_plan_parse": (c_int, [H, c_char_p, c_size_t, POINTER(H)]),
    "dlf_plan_unfused": (c_int, [H, c_int, POINTER(H)]),
    "dlf_plan_fuse_blocks": (c_int, [H, c_int, POINTER(H)]),
    "dlf_plan_save": (c_int, [H, c_char_p]),
    "dlf_plan_to_json": (c_void_p, [H]),  # malloc'd: freed with libc free
    "dlf_plan_free": (None, [H]),
    "dlf_plan_num_blocks": (c_int, [H]),
    "dlf_plan_block": (c_int, [H, c_int, POINTER(BlockInfo)]),
    "dlf_plan_simulate": (c_int, [H, H, H, POINTER(c_double), POINTER(c_double)]),
    "dlf_target_load": (c_int, [c_char_p, POINTER(H)]),
    "dlf_target_parse": (c_int, [c_char_p, c_size_t, POINTER(H)]),
    "dlf_target_host": (c_int, [c_int, POINTER(H)]),
    "dlf_target_free": (None, [H]),
    "dlf_target_get_info": (c_int, [H, POINTER(TargetInfo)]),
    "dlf_profile_run_options": (c_int, [H, POINTER(ProfileOptions), POINTER(H)]),
    "dlf_profile_load": (c_int, [c_char_p, POINTER(H)]),
    "dlf_profile_save": (c_int, [H, c_char_p]),
    "dlf_profile_free": (None, [H]),
    "dlf_profile_num_samples": (c_int, [H]),
    "dlf_tune_strategy_from_name": (c_int, [c_char_p]),
    "dlf_tune": (c_int, [H, H, POINTER(TuneOptions), POINTER(H), POINTER(TuneResult)]),
}
for _name, (_res, _args) in _PROTOTYPES.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args

_libc = ctypes.CDLL(None)
_libc.free.argtypes = [c_void_p]


def take_string(p):
    """A malloc'd C string (or NULL) as str; the C memory is freed."""
    if not p:
        return None
    try:
        return ctypes.string_at(p).decode()
    finally:
        _libc.free(p)
