/* op_table.c — the shape-inference and reference functions of every op,
 * indexed by ir_op, generated from ops.def. */
#include "ir/ir.h"

static const ir_shape_fn g_shape_fns[] = {
#define OP(e, onnx, stem) ir_op_##stem##_shape,
#include "ir/ops.def"
#undef OP
};

static const ir_ref_fn g_ref_fns[] = {
#define OP(e, onnx, stem) ir_op_##stem##_ref,
#include "ir/ops.def"
#undef OP
};

ir_shape_fn ir_op_shape_fn(ir_op op) { return (unsigned)op < IR_OP_COUNT ? g_shape_fns[op] : 0; }
ir_ref_fn ir_op_ref_fn(ir_op op) { return (unsigned)op < IR_OP_COUNT ? g_ref_fns[op] : 0; }
