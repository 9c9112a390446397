/* frontend.h — ways into the graph IR: ONNX files (protobuf-c over the
 * official onnx.proto) and the built-in model zoo; and back out to ONNX. */
#ifndef DLF_FRONTEND_H
#define DLF_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

/* Import an ONNX model file. Initializers (raw_data, typed fields, external
 * data files next to the model) become graph constants; graph inputs that are
 * not initializers become g->inputs, with symbolic dims set to 1. Nodes are
 * mapped through ops.def; an op outside it fails with "path: node 'n'
 * (OpType): unsupported operator". The graph is not yet sorted or inferred.
 * max_tensor_bytes caps every declared tensor (0 = DLF_DEFAULT_MAX_TENSOR_BYTES) and becomes
 * the graph's max_tensor_bytes. */
dlf_status fe_onnx_import(const char *path, int64_t max_tensor_bytes, ir_graph **out);

/* The same from bytes in memory (fuzzing, tests). base_dir locates external
 * data files (NULL: none allowed); name is used in messages. */
dlf_status fe_onnx_import_buffer(const void *data, size_t size, const char *name,
                                 const char *base_dir, int64_t max_tensor_bytes, ir_graph **out);

/* Read .npy bytes in memory (fuzzing, tests) into out, whose data this call
 * allocates (release with dlf_tensor_release); name is used in messages.
 * dlf_npy_load maps the file and calls this. max_tensor_bytes: 0 = the default cap. */
dlf_status fe_npy_load_buffer(const void *data, size_t size, const char *name,
                              int64_t max_tensor_bytes, dlf_tensor *out);

/* Write a graph as an ONNX model (opset g->opset, ir_version 8), constants as
 * raw_data initializers. Epilogues attached by passes are not representable:
 * export the graph before passes. */
dlf_status fe_onnx_export(const ir_graph *g, const char *path);

/* Build a zoo model: torchvision's architecture exactly (layer shapes, MACs,
 * parameter counts), weights deterministic from seed, initializer names equal
 * to torchvision's state_dict keys ("layer1.0.conv1.weight"), BN running
 * statistics included ("bn1.running_mean"). Input "input" [batch,3,224,224]
 * (alexnet, vgg16, resnets, mobilenet_v2, squeezenet1_0), output "output"
 * [batch,1000] logits. max_tensor_bytes: as fe_onnx_import's. */
dlf_status fe_zoo_build(const char *name, uint64_t seed, int batch, int64_t max_tensor_bytes,
                        ir_graph **out);
const char *const *fe_zoo_names(void); /* NULL-terminated */

#endif
