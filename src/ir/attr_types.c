/* attr_types.c — which attributes each op reads and of which kind, so that importers can
 * refuse an attribute of the wrong type (a Conv whose kernel_shape is the string "3x3")
 * instead of the getters silently falling back to the default. */
#include <string.h>

#include "ir/ir.h"

#define K(kind) (1u << (kind))
/* What the getters accept: ir_node_float takes an INT (onnx.helper writes alpha=1 as
 * one; the value is exact), ir_node_ints a single INT as a one-element list. */
#define A_FLOAT (K(IR_ATTR_FLOAT) | K(IR_ATTR_INT))
#define A_INT K(IR_ATTR_INT)
#define A_STRING K(IR_ATTR_STRING)
#define A_INTS (K(IR_ATTR_INTS) | K(IR_ATTR_INT))
#define A_FLOATS K(IR_ATTR_FLOATS)
#define A_TENSOR K(IR_ATTR_TENSOR)
/* Constant's value_* attributes are matched by exact kind in ops/constant.c. */
#define A_FLOAT_ONLY K(IR_ATTR_FLOAT)
#define A_INTS_ONLY K(IR_ATTR_INTS)

typedef struct attr_type {
  ir_op op;
  const char *name;
  unsigned kinds;
  const char *expected; /* the ONNX AttributeType a well-formed file uses */
} attr_type;

/* Every attribute the ops in ops.def (and the passes, features and runtime) read, plus
 * the few ONNX defines for them that are read nowhere but whose type is fixed
 * (storage_order, momentum, ratio, seed). Attributes not listed are ignored. */
static const attr_type g_attrs[] = {
    {IR_OP_CONV, "auto_pad", A_STRING, "STRING"},
    {IR_OP_CONV, "dilations", A_INTS, "INTS"},
    {IR_OP_CONV, "group", A_INT, "INT"},
    {IR_OP_CONV, "kernel_shape", A_INTS, "INTS"},
    {IR_OP_CONV, "pads", A_INTS, "INTS"},
    {IR_OP_CONV, "strides", A_INTS, "INTS"},
    {IR_OP_CONVTRANSPOSE, "auto_pad", A_STRING, "STRING"},
    {IR_OP_CONVTRANSPOSE, "dilations", A_INTS, "INTS"},
    {IR_OP_CONVTRANSPOSE, "group", A_INT, "INT"},
    {IR_OP_CONVTRANSPOSE, "kernel_shape", A_INTS, "INTS"},
    {IR_OP_CONVTRANSPOSE, "output_padding", A_INTS, "INTS"},
    {IR_OP_CONVTRANSPOSE, "output_shape", A_INTS, "INTS"},
    {IR_OP_CONVTRANSPOSE, "pads", A_INTS, "INTS"},
    {IR_OP_CONVTRANSPOSE, "strides", A_INTS, "INTS"},
    {IR_OP_GEMM, "alpha", A_FLOAT, "FLOAT"},
    {IR_OP_GEMM, "beta", A_FLOAT, "FLOAT"},
    {IR_OP_GEMM, "transA", A_INT, "INT"},
    {IR_OP_GEMM, "transB", A_INT, "INT"},
    {IR_OP_BATCHNORM, "epsilon", A_FLOAT, "FLOAT"},
    {IR_OP_BATCHNORM, "momentum", A_FLOAT, "FLOAT"},
    {IR_OP_BATCHNORM, "spatial", A_INT, "INT"},
    {IR_OP_BATCHNORM, "training_mode", A_INT, "INT"},
    {IR_OP_BATCHNORM, "is_test", A_INT, "INT"},
    {IR_OP_CLIP, "min", A_FLOAT, "FLOAT"},
    {IR_OP_CLIP, "max", A_FLOAT, "FLOAT"},
    {IR_OP_LEAKYRELU, "alpha", A_FLOAT, "FLOAT"},
    {IR_OP_HARDSIGMOID, "alpha", A_FLOAT, "FLOAT"},
    {IR_OP_HARDSIGMOID, "beta", A_FLOAT, "FLOAT"},
    {IR_OP_DROPOUT, "ratio", A_FLOAT, "FLOAT"},
    {IR_OP_DROPOUT, "seed", A_INT, "INT"},
    {IR_OP_DROPOUT, "is_test", A_INT, "INT"},
    {IR_OP_CONCAT, "axis", A_INT, "INT"},
    {IR_OP_SPLIT, "axis", A_INT, "INT"},
    {IR_OP_SPLIT, "split", A_INTS, "INTS"},
    {IR_OP_SPLIT, "num_outputs", A_INT, "INT"},
    {IR_OP_SLICE, "starts", A_INTS, "INTS"},
    {IR_OP_SLICE, "ends", A_INTS, "INTS"},
    {IR_OP_SLICE, "axes", A_INTS, "INTS"},
    {IR_OP_TRANSPOSE, "perm", A_INTS, "INTS"},
    {IR_OP_RESHAPE, "allowzero", A_INT, "INT"},
    {IR_OP_RESHAPE, "shape", A_INTS, "INTS"},
    {IR_OP_FLATTEN, "axis", A_INT, "INT"},
    {IR_OP_SQUEEZE, "axes", A_INTS, "INTS"},
    {IR_OP_UNSQUEEZE, "axes", A_INTS, "INTS"},
    {IR_OP_MAXPOOL, "auto_pad", A_STRING, "STRING"},
    {IR_OP_MAXPOOL, "ceil_mode", A_INT, "INT"},
    {IR_OP_MAXPOOL, "dilations", A_INTS, "INTS"},
    {IR_OP_MAXPOOL, "kernel_shape", A_INTS, "INTS"},
    {IR_OP_MAXPOOL, "pads", A_INTS, "INTS"},
    {IR_OP_MAXPOOL, "storage_order", A_INT, "INT"},
    {IR_OP_MAXPOOL, "strides", A_INTS, "INTS"},
    {IR_OP_AVERAGEPOOL, "auto_pad", A_STRING, "STRING"},
    {IR_OP_AVERAGEPOOL, "ceil_mode", A_INT, "INT"},
    {IR_OP_AVERAGEPOOL, "count_include_pad", A_INT, "INT"},
    {IR_OP_AVERAGEPOOL, "dilations", A_INTS, "INTS"},
    {IR_OP_AVERAGEPOOL, "kernel_shape", A_INTS, "INTS"},
    {IR_OP_AVERAGEPOOL, "pads", A_INTS, "INTS"},
    {IR_OP_AVERAGEPOOL, "strides", A_INTS, "INTS"},
    {IR_OP_REDUCEMEAN, "axes", A_INTS, "INTS"},
    {IR_OP_REDUCEMEAN, "keepdims", A_INT, "INT"},
    {IR_OP_REDUCEMEAN, "noop_with_empty_axes", A_INT, "INT"},
    {IR_OP_SOFTMAX, "axis", A_INT, "INT"},
    {IR_OP_LAYERNORM, "axis", A_INT, "INT"},
    {IR_OP_LAYERNORM, "epsilon", A_FLOAT, "FLOAT"},
    {IR_OP_LAYERNORM, "stash_type", A_INT, "INT"},
    {IR_OP_LRN, "alpha", A_FLOAT, "FLOAT"},
    {IR_OP_LRN, "beta", A_FLOAT, "FLOAT"},
    {IR_OP_LRN, "bias", A_FLOAT, "FLOAT"},
    {IR_OP_LRN, "size", A_INT, "INT"},
    {IR_OP_PAD, "mode", A_STRING, "STRING"},
    {IR_OP_PAD, "pads", A_INTS, "INTS"},
    {IR_OP_PAD, "paddings", A_INTS, "INTS"},
    {IR_OP_PAD, "value", A_FLOAT, "FLOAT"},
    {IR_OP_RESIZE, "mode", A_STRING, "STRING"},
    {IR_OP_RESIZE, "coordinate_transformation_mode", A_STRING, "STRING"},
    {IR_OP_RESIZE, "nearest_mode", A_STRING, "STRING"},
    {IR_OP_RESIZE, "cubic_coeff_a", A_FLOAT, "FLOAT"},
    {IR_OP_RESIZE, "exclude_outside", A_INT, "INT"},
    {IR_OP_RESIZE, "extrapolation_value", A_FLOAT, "FLOAT"},
    {IR_OP_RESIZE, "antialias", A_INT, "INT"},
    {IR_OP_RESIZE, "axes", A_INTS, "INTS"},
    {IR_OP_RESIZE, "keep_aspect_ratio_policy", A_STRING, "STRING"},
    {IR_OP_UPSAMPLE, "mode", A_STRING, "STRING"},
    {IR_OP_UPSAMPLE, "scales", A_FLOATS, "FLOATS"},
    {IR_OP_CONSTANT, "value", A_TENSOR, "TENSOR"},
    {IR_OP_CONSTANT, "value_float", A_FLOAT_ONLY, "FLOAT"},
    {IR_OP_CONSTANT, "value_floats", A_FLOATS, "FLOATS"},
    {IR_OP_CONSTANT, "value_int", A_INT, "INT"},
    {IR_OP_CONSTANT, "value_ints", A_INTS_ONLY, "INTS"},
    {IR_OP_SHAPE, "start", A_INT, "INT"},
    {IR_OP_SHAPE, "end", A_INT, "INT"},
    {IR_OP_GATHER, "axis", A_INT, "INT"},
    {IR_OP_CAST, "to", A_INT, "INT"},
    {IR_OP_CONSTANTOFSHAPE, "value", A_TENSOR, "TENSOR"},
};

unsigned ir_op_attr_kinds(ir_op op, const char *name, const char **expected) {
  for (size_t i = 0; i < sizeof g_attrs / sizeof g_attrs[0]; i++)
    if (g_attrs[i].op == op && strcmp(g_attrs[i].name, name) == 0) {
      if (expected) *expected = g_attrs[i].expected;
      return g_attrs[i].kinds;
    }
  return 0;
}
