#!/usr/bin/python3
"""make_error_inputs.py OUTDIR — writes the hostile ONNX and .npy files that
tests/cli/errors.table refers to (one bad thing each; see the table for the error
each must get). Run with Debian's /usr/bin/python3 (python3-onnx, numpy)."""
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)


def path(name):
    return os.path.join(OUT, name)


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def save(m, name):
    # No onnx.checker: every file here is invalid on purpose.
    with open(path(name), "wb") as f:
        f.write(m.SerializeToString())


def vi(name, dims, t=T.FLOAT):
    return h.make_tensor_value_info(name, t, dims)


X4 = vi("x", [1, 2, 4, 4])
Y = vi("y", None)
relu = h.make_node("Relu", ["x"], ["y"], name="relu")

# --------------------------------------------------------------- ONNX files
# A valid model to break: relu(x) + w, w a 2x1x1 initializer.
ok = model([relu, h.make_node("Add", ["y", "w"], ["z"], name="add")], [X4], [vi("z", None)],
           [nh.from_array(np.ones([2, 1, 1], np.float32), "w")])
save(ok, "ok.onnx")
raw = ok.SerializeToString()
# Cut inside the initializer's data (the last field of the file before the graph's tail).
with open(path("cut_in_initializer.onnx"), "wb") as f:
    f.write(raw[: raw.index(b"\x00\x00\x80\x3f") + 2])
# Another format's magic: a zip archive (what a PyTorch .pt file is).
with open(path("zip_magic.onnx"), "wb") as f:
    f.write(b"PK\x03\x04" + bytes(60))
# A .npy file given as a model.
with open(path("npy_as_model.onnx"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
            + b" " * 53 + b"\n" + bytes(8))

# The case: a file of < 200 bytes declaring a 10^12-element initializer.
big = T()
big.name, big.data_type = "big", T.FLOAT
big.dims.extend([1000000, 1000000])
save(model([relu], [X4], [Y], [big]), "huge_initializer.onnx")
assert os.path.getsize(path("huge_initializer.onnx")) < 200
# A graph input of 10^12 elements (nothing in the file to compare with).
save(model([relu], [vi("x", [1000000, 1000000])], [Y]), "huge_input.onnx")
# A negative dim on an initializer and on an input.
neg = T()
neg.name, neg.data_type = "neg", T.FLOAT
neg.dims.extend([-3])
save(model([relu], [X4], [Y], [neg]), "negative_dim_initializer.onnx")
save(model([relu], [vi("x", [1, -2, 4, 4])], [Y]), "negative_dim_input.onnx")
# raw_data of 3 bytes for 2 floats.
short = T()
short.name, short.data_type, short.raw_data = "w", T.FLOAT, b"\x00\x00\x80"
short.dims.extend([2])
save(model([relu, h.make_node("Add", ["y", "w"], ["z"], name="add")], [X4], [vi("z", None)],
           [short]), "short_raw_data.onnx")
# A string tensor.
s = h.make_tensor("names", T.STRING, [1], [b"a"])
save(model([relu], [X4], [Y], [s]), "string_initializer.onnx")
# A contrib-domain op.
save(model([h.make_node("FusedConv", ["x"], ["y"], name="fc", domain="com.microsoft")], [X4], [Y]),
     "other_domain_op.onnx")
# An op dlfusion does not implement (Erf is in tests/cli/run.sh; this is LSTM).
save(model([h.make_node("LSTM", ["x", "x", "x"], ["y"], name="lstm", hidden_size=2)], [X4], [Y]),
     "unsupported_lstm.onnx")
# An opset from the future.
save(model([relu], [X4], [Y], opset=99), "opset_99.onnx")
# A cycle: a = relu(b), b = relu(a).
save(model([h.make_node("Relu", ["b"], ["a"], name="ra"), h.make_node("Relu", ["a"], ["b"], name="rb"),
            h.make_node("Add", ["x", "a"], ["y"], name="add")], [X4], [Y]), "cycle.onnx")
# A node input that nothing defines.
save(model([h.make_node("Add", ["x", "ghost"], ["y"], name="add")], [X4], [Y]), "missing_input.onnx")
# Two nodes writing the same tensor.
save(model([relu, h.make_node("Sigmoid", ["x"], ["y"], name="sig")], [X4], [Y]),
     "duplicate_output.onnx")
# A graph output no node produces.
save(model([relu], [X4], [vi("nowhere", None)]), "undefined_graph_output.onnx")
# A graph input without a shape.
save(model([relu], [h.make_tensor_value_info("x", T.FLOAT, None)], [Y]), "input_without_shape.onnx")
# A model without nodes' graph: an empty ModelProto.
save(onnx.ModelProto(ir_version=7), "no_graph.onnx")
# Conv whose 5x5 kernel is larger than the 4x4 input.
save(model([h.make_node("Conv", ["x", "cw"], ["y"], name="conv5")], [X4], [Y],
           [nh.from_array(np.ones([3, 2, 5, 5], np.float32), "cw")]), "conv_kernel_too_large.onnx")
# MaxPool with a zero stride.
save(model([h.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], strides=[0, 1])],
           [X4], [Y]), "pool_zero_stride.onnx")
# Gemm with inner dims 3 and 4.
save(model([h.make_node("Gemm", ["a", "b"], ["y"], name="fc")], [vi("a", [2, 3])], [Y],
           [nh.from_array(np.ones([4, 5], np.float32), "b")]), "gemm_inner_mismatch.onnx")
# Reshape with two -1 dims.
save(model([h.make_node("Reshape", ["x", "shp"], ["y"], name="reshape")], [X4], [Y],
           [nh.from_array(np.array([-1, -1], np.int64), "shp")]), "reshape_two_minus_one.onnx")
# Concat along axis 7 of 4-d tensors.
save(model([h.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=7)], [X4], [Y]),
     "concat_bad_axis.onnx")
# Transpose whose perm repeats an axis.
save(model([h.make_node("Transpose", ["x"], ["y"], name="tr", perm=[0, 0, 1, 2])], [X4], [Y]),
     "transpose_bad_perm.onnx")
# Conv's kernel_shape given as a string.
save(model([h.make_node("Conv", ["x", "cw"], ["y"], name="convs", kernel_shape="3x3")], [X4], [Y],
           [nh.from_array(np.ones([3, 2, 3, 3], np.float32), "cw")]), "attr_wrong_type.onnx")
# External data that points outside the model's directory.
w = T()
w.name, w.data_type, w.data_location = "w", T.FLOAT, T.EXTERNAL
w.dims.extend([4])
e = w.external_data.add()
e.key, e.value = "location", "../../etc/passwd"
save(model([h.make_node("Identity", ["w"], ["y"], name="id")], [], [Y], [w]),
     "external_escape.onnx")
# External data naming a file that is not there.
e.value = "weights_absent.bin"
save(model([h.make_node("Identity", ["w"], ["y"], name="id")], [], [Y], [w]),
     "external_missing.onnx")

# ---------------------------------------------------------------- .npy files
def npy(name, header, data=b"", version=(1, 0)):
    """A .npy file with the given header dict text, padded as numpy does."""
    hb = header.encode("latin1")
    lenfmt = "<H" if version[0] == 1 else "<I"
    pre = 6 + 2 + struct.calcsize(lenfmt)
    pad = (-(pre + len(hb) + 1)) % 64
    hb = hb + b" " * pad + b"\n"
    with open(path(name), "wb") as f:
        f.write(b"\x93NUMPY" + bytes(version) + struct.pack(lenfmt, len(hb)) + hb + data)


x8 = np.arange(8, dtype=np.float32).tobytes()
npy("npy_garbled_header.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 2 }", x8)
npy("npy_complex.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", x8 * 2)
npy("npy_big_endian.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", x8)
npy("npy_fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2, 2, 2), }", x8)
npy("npy_truncated_data.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }",
    x8[:12])
npy("npy_wrong_rank.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", x8)
npy("npy_int64.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", x8 * 2)
npy("npy_huge_shape.npy",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", x8)
npy("npy_negative_dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 8), }", x8)
npy("npy_version_9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", x8,
    version=(9, 0))
# Header length field larger than the file.
with open(path("npy_header_past_end.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00\xff\xff{'descr'")

# ------------------------------------------ tensor size cap and attribute types (issue 8)
# relu(x) with an initializer w of 1024 floats (4096 bytes): loads with a cap of 4096,
# fails with 4095.
save(model([relu], [X4], [Y], [nh.from_array(np.zeros([1024], np.float32), "w")]),
     "cap_1024.onnx")
# Attributes the ops read, each of the wrong type (the string kernel_shape is above).
save(model([h.make_node("Gemm", ["a", "b"], ["y"], name="fc", transB=1.0)], [vi("a", [2, 3])], [Y],
           [nh.from_array(np.ones([3, 5], np.float32), "b")]), "attr_gemm_transb_float.onnx")
save(model([h.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode=[1, 2])], [X4], [Y],
           [nh.from_array(np.zeros([8], np.int64), "pads")]), "attr_pad_mode_ints.onnx")
save(model([h.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2],
                        strides=[1.0, 1.0])], [X4], [Y]), "attr_maxpool_strides_floats.onnx")
# alpha=1 is written as an INT by onnx.helper: read as 1.0, so accepted.
save(model([h.make_node("LeakyRelu", ["x"], ["y"], name="lrelu", alpha=1)], [X4], [Y]),
     "attr_leakyrelu_alpha_int.onnx")
