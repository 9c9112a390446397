/* ir.h — dlfusion's graph IR: tensors, nodes with ONNX-style attributes, the
 * graph, and the per-op table (ops.def). Frontends build it, passes rewrite
 * it, the reference executor gives it meaning, the runtime compiles it. */
#ifndef DLF_IR_IR_H
#define DLF_IR_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define IR_MAX_DIMS DLF_MAX_DIMS

typedef enum ir_op {
#define OP(e, onnx, stem) IR_OP_##e,
#include "ir/ops.def"
#undef OP
  IR_OP_COUNT
} ir_op;

/* The ONNX name of an op ("Conv"); ir_op_from_name returns IR_OP_COUNT when
 * dlfusion does not implement the op. */
const char *ir_op_name(ir_op op);
ir_op ir_op_from_name(const char *onnx_name);

typedef enum ir_dtype { IR_F32 = DLF_FLOAT32, IR_I64 = DLF_INT64 } ir_dtype;
size_t ir_dtype_size(ir_dtype t);
const char *ir_dtype_name(ir_dtype t);

/* A tensor of the graph: an activation (data == NULL) or a constant
 * (initializer, folded value: data != NULL, owned by the graph). */
typedef struct ir_tensor {
  char *name;
  ir_dtype dtype;
  int ndim;
  int64_t dims[IR_MAX_DIMS];
  bool shape_known; /* set by the frontend for inputs/constants, by inference otherwise */
  void *data;       /* constant payload (malloc'd, graph-owned) or NULL */
  int producer;     /* index of the producing node, -1 for inputs/constants */
} ir_tensor;

typedef enum ir_attr_kind {
  IR_ATTR_FLOAT,
  IR_ATTR_INT,
  IR_ATTR_STRING,
  IR_ATTR_FLOATS,
  IR_ATTR_INTS,
  IR_ATTR_TENSOR, /* Constant's value: index of a constant tensor in the graph */
} ir_attr_kind;

typedef struct ir_attr {
  char *name;
  ir_attr_kind kind;
  float f;
  int64_t i; /* INT value; TENSOR: tensor index */
  char *s;
  int n;     /* element count of floats / ints */
  float *floats;
  int64_t *ints;
} ir_attr;

/* Epilogue attached to a producing node by the fusion passes (internal,
 * not ONNX): out = act(op(x) [+ residual]). */
typedef enum ir_act {
  IR_ACT_NONE = 0,
  IR_ACT_RELU,
  IR_ACT_CLIP,        /* min(max(x, p0), p1): Relu6 is p0=0, p1=6 */
  IR_ACT_LEAKYRELU,   /* x >= 0 ? x : p0*x */
  IR_ACT_SIGMOID,
  IR_ACT_HARDSIGMOID, /* max(0, min(1, p0*x + p1)) */
  IR_ACT_HARDSWISH,
  IR_ACT_TANH,
  IR_ACT_SILU, /* x * sigmoid(x) (SiLU / Swish: Mul(x, Sigmoid(x)) as exported) */
  IR_ACT_ERF,  /* erf(x) (GELU's exported form) */
  IR_ACT_SQRT, /* sqrt(x) (LayerNorm's exported form) */
  IR_ACT_GELU, /* x (erf(x / sqrt 2) + 1) / 2: GELU as exported (Div, Erf, Add, Mul, Mul) */
} ir_act;

const char *ir_act_name(ir_act act);
/* Whether op is an elementwise activation node (one that ir_act_of_node maps to an ir_act:
 * Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Erf, Sqrt). */
bool ir_op_is_activation(ir_op op);
/* Apply an activation to one value (the single definition the reference
 * executor and epilogues share). */
float ir_act_apply(ir_act act, float p0, float p1, float x);


typedef struct ir_node {
  char *name;
  ir_op op;
  int opset;    /* opset version of the ai.onnx domain the node was read with */
  int n_inputs;
  int *inputs;  /* tensor indices; -1 = an optional input left empty */
  int n_outputs;
  int *outputs;
  int n_attrs;
  ir_attr *attrs;
  /* Epilogue (set by passes; IR_ACT_NONE / -1 when absent). */
  ir_act act;
  float act_p0, act_p1;
  int residual; /* tensor added before the activation, or -1 */
  bool dead;    /* removed by a pass; skipped everywhere, dropped by compaction */
} ir_node;

/* The activation an activation node (Relu, Clip, LeakyRelu, Sigmoid,
 * HardSigmoid, HardSwish, Tanh) amounts to, with its parameters, or
 * IR_ACT_NONE for any other op. From opset 11 Clip takes min/max as inputs:
 * the caller passes their values (NULL = absent, i.e. unbounded) — graph
 * constants for the fusion pass, run-time values for the reference op. The
 * single mapping both share, so fused and unfused results cannot diverge. */
ir_act ir_act_of_node(const ir_node *n, const float *clip_min, const float *clip_max, float *p0,
                      float *p1);

typedef struct ir_graph {
  char *source; /* file name or "zoo:NAME": the first word of every error */
  int n_tensors, cap_tensors;
  ir_tensor *tensors;
  int n_nodes, cap_nodes;
  ir_node *nodes;
  int n_inputs;
  int *inputs; /* graph inputs that are not constants */
  int n_outputs;
  int *outputs;
  int opset;   /* default-domain opset of the model */
  /* Largest tensor (bytes) the graph may declare or its users allocate: set by the importer
   * from the load's options (ir_graph_create: DLF_DEFAULT_MAX_TENSOR_BYTES); read by shape
   * inference, constant folding, the memory planner and the executors. */
  int64_t max_tensor_bytes;
  /* Name -> tensor index (open addressing); rebuilt on growth. */
  int *name_index;
  int name_index_cap;
} ir_graph;

/* ------------------------------------------------------------ graph API -- */

dlf_status ir_graph_create(const char *source, ir_graph **out);
void ir_graph_free(ir_graph *g);

/* Add a tensor (name copied; NULL or "" names get a generated unique name).
 * Fails on a duplicate name. Returns the index in *out. */
dlf_status ir_graph_add_tensor(ir_graph *g, const char *name, ir_dtype dtype, int ndim,
                               const int64_t *dims, int *out);
/* Add a constant: takes ownership of data (malloc'd, numel*dtype size bytes). */
dlf_status ir_graph_add_constant(ir_graph *g, const char *name, ir_dtype dtype, int ndim,
                                 const int64_t *dims, void *data, int *out);
/* Add a node (name copied). inputs/outputs are tensor indices (copied). */
dlf_status ir_graph_add_node(ir_graph *g, const char *name, ir_op op, int n_inputs,
                             const int *inputs, int n_outputs, const int *outputs, int *out);
/* Index of the tensor with this name, or -1. */
int ir_graph_find_tensor(const ir_graph *g, const char *name);

/* Attributes (names and payloads copied). */
dlf_status ir_node_set_int(ir_node *n, const char *name, int64_t v);
dlf_status ir_node_set_float(ir_node *n, const char *name, float v);
dlf_status ir_node_set_string(ir_node *n, const char *name, const char *v);
dlf_status ir_node_set_ints(ir_node *n, const char *name, const int64_t *v, int count);
dlf_status ir_node_set_floats(ir_node *n, const char *name, const float *v, int count);
/* A TENSOR attribute (Constant's value): tensor is the index of a graph constant. */
dlf_status ir_node_set_tensor(ir_node *n, const char *name, int tensor);
const ir_attr *ir_node_attr(const ir_node *n, const char *name);
int64_t ir_node_int(const ir_node *n, const char *name, int64_t dflt);
float ir_node_float(const ir_node *n, const char *name, float dflt);
const char *ir_node_string(const ir_node *n, const char *name, const char *dflt);
/* Copies up to max ints into v; returns the count, or -1 if absent. */
int ir_node_ints(const ir_node *n, const char *name, int64_t *v, int max);
/* The kinds an attribute `name` of op may have, as a mask of (1u << ir_attr_kind) — what
 * the getters above read meaningfully — and in *expected the ONNX type a well-formed file
 * uses ("INTS"); 0 when op reads no such attribute (importers ignore those). */
unsigned ir_op_attr_kinds(ir_op op, const char *name, const char **expected);

/* The i-th input tensor of n, or NULL if absent/empty. */
ir_tensor *ir_node_input(const ir_graph *g, const ir_node *n, int i);
ir_tensor *ir_node_output(const ir_graph *g, const ir_node *n, int i);
/* Read a constant int64 (or float, converted) input as ints: returns the
 * count, -1 if the input is absent, -2 if it is not a constant. */
int ir_node_const_ints(const ir_graph *g, const ir_node *n, int i, int64_t *v, int max);
/* A Slice whose starts/ends/axes/steps are known (attributes or constants): per dim of its
 * input, the first index, the step and the output length (arrays of IR_MAX_DIMS), as the
 * reference computes them (ONNX clamping). False for anything else. */
bool ir_slice_geometry(const ir_graph *g, const ir_node *n, int64_t *start, int64_t *step,
                       int64_t *len);

/* A LayerNormalization in the channels_last pass's internal form: over axis 1 of a 4-D tensor
 * alone (attribute dlf_channels = 1; ops/layernorm.c). */
bool ir_layernorm_channels(const ir_node *n);

/* Resize / Upsample geometry (ops/resize.c): per axis the input and output size and the
 * scale (out / in, or the scales input), the mode and the coordinate transformation. */
typedef struct ir_resize {
  bool linear;  /* false: nearest */
  int coord;    /* half_pixel, pytorch_half_pixel, align_corners, asymmetric,
                 * tf_half_pixel_for_nearest, half_pixel_symmetric (0..5) */
  int nearest;  /* round_prefer_floor, round_prefer_ceil, floor, ceil, simple (0..4) */
  int rank;
  int64_t in[IR_MAX_DIMS], out[IR_MAX_DIMS];
  double scale[IR_MAX_DIMS];
} ir_resize;
/* The geometry of a Resize / Upsample whose scales or sizes are constants: DLF_OK, or a status
 * and the reason in why. ir_resize_geometry: the same as a yes / no. */
dlf_status ir_resize_setup(const ir_graph *g, const ir_node *n, ir_resize *r, char *why,
                           size_t cap);
bool ir_resize_geometry(const ir_graph *g, const ir_node *n, ir_resize *r);
/* The input coordinate output index o of axis d maps to (before clamping). */
double ir_resize_source(const ir_resize *r, int d, int64_t o);
/* Output index o of axis d reads input indices i0 and i1 with weights 1 - w1 and w1
 * (nearest: i0 == i1, w1 == 0). */
void ir_resize_taps(const ir_resize *r, int d, int64_t o, int64_t *i0, int64_t *i1, float *w1);

/* Sort nodes topologically (stable for already-sorted graphs), drop dead
 * nodes, recompute producers. Fails (naming a node) on a cycle or a tensor
 * with two producers. */
dlf_status ir_graph_toposort(ir_graph *g);

/* Check structural invariants: every input defined before use, every node's
 * arity legal for its op, graph outputs produced. Names the offending node. */
dlf_status ir_graph_validate(const ir_graph *g);

/* Infer dtypes and shapes of every tensor in topological order; fold nodes
 * whose inputs are all constant (and Shape of a known shape) into constants.
 * Errors name the node: "model.onnx: node 'conv1' (Conv): ...". */
dlf_status ir_graph_infer_shapes(ir_graph *g);

/* True when a shape is safe to allocate and index in g: no negative dim, no dim
 * above the byte cap (a zero dim must not license a huge one: shape
 * arithmetic on it would overflow), and numel * dtype size within
 * g->max_tensor_bytes. The byte count goes to *bytes when not NULL. */
bool ir_shape_ok(const ir_graph *g, ir_dtype dtype, int ndim, const int64_t *dims,
                 int64_t *bytes);

/* Number of elements of a tensor (its shape must be known). */
int64_t ir_tensor_numel(const ir_tensor *t);
/* "1x3x224x224" into buf. */
const char *ir_dims_str(const int64_t *dims, int ndim, char *buf, size_t size);

/* Fail with "<source>: node '<name>' (<Op>): <message>". */
dlf_status ir_node_error(const ir_graph *g, const ir_node *n, dlf_status code, const char *fmt,
                         ...) DLF_PRINTF(4, 5);

/* ------------------------------------------------------ values and ops -- */

/* A view of a tensor's value: what reference implementations compute on.
 * data is NULL for an absent optional input. */
typedef struct ir_value {
  ir_dtype dtype;
  int ndim;
  int64_t dims[IR_MAX_DIMS];
  void *data;
} ir_value;

int64_t ir_value_numel(const ir_value *v);

/* Shape functions set dtype, ndim and dims of n's outputs (inputs are known;
 * constant inputs have data). Reference functions compute out from in; the
 * executor has allocated every out[i].data with the inferred shape. When
 * n->residual >= 0 the executor passes the residual tensor as one extra
 * trailing input (n_in == n->n_inputs + 1); n->act is applied last. */
typedef dlf_status (*ir_shape_fn)(ir_graph *g, ir_node *n);
typedef dlf_status (*ir_ref_fn)(const ir_node *n, const ir_value *in, int n_in, ir_value *out,
                                int n_out);

#define OP(e, onnx, stem)                                                                          \
  dlf_status ir_op_##stem##_shape(ir_graph *g, ir_node *n);                                        \
  dlf_status ir_op_##stem##_ref(const ir_node *n, const ir_value *in, int n_in, ir_value *out,     \
                                int n_out);
#include "ir/ops.def"
#undef OP

ir_shape_fn ir_op_shape_fn(ir_op op);
ir_ref_fn ir_op_ref_fn(ir_op op);

/* Multidirectional (numpy) broadcasting of two shapes; false if they do not
 * broadcast. */
bool ir_broadcast_shape(const int64_t *a, int na, const int64_t *b, int nb, int64_t *out,
                        int *nout);

#endif
