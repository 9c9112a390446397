/* memplan.h — activation memory planning: every activation of a graph gets an
 * offset in one arena, chosen from tensor lifetimes (XNNPACK's memory planner). */
#ifndef DLF_RUNTIME_MEMPLAN_H
#define DLF_RUNTIME_MEMPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"

/* Offsets are multiples of this: a cache line, and the widest SIMD load
 * (AVX-512, 64 bytes) never straddles two lines at a tensor's start. */
#define RT_MEMPLAN_ALIGNMENT 64

/* A buffer to place: its size and the steps (node indices in execution
 * order) during which it must hold its value, both ends inclusive. */
typedef struct rt_memplan_item {
  int64_t bytes;
  int first, last;
} rt_memplan_item;

/* Greedy placement by size: items sorted by size (largest first, ties by
 * index), each placed at the lowest offset where it overlaps no placed item
 * whose lifetime intersects its own. Sizes are rounded up to alignment, so
 * every offset is a multiple of it. offsets[i] receives item i's offset,
 * *arena_bytes the arena size (0 for no items). Fails on negative sizes,
 * first > last, alignment 0, or an arena beyond INT64_MAX. O(n^2 log n). */
dlf_status rt_memplan_compute(const rt_memplan_item *items, int n, size_t alignment,
                              int64_t *offsets, int64_t *arena_bytes);

/* The plan of a graph's activations: tensors written by live nodes that are
 * not constants and not graph inputs (those belong to the caller). */
typedef struct rt_memplan {
  int n_items;
  rt_memplan_item *items;  /* lifetimes; steps are indices into g->nodes */
  int *tensor;             /* the graph tensor of each item */
  int64_t *offsets;        /* each item's offset in the arena */
  int64_t arena_bytes;     /* the arena the plan needs */
  int64_t total_bytes;     /* sum of the items' sizes: the cost without reuse */
  int64_t live_peak_bytes; /* max over steps of the (aligned) bytes live at
                              once: no plan can do better */
} rt_memplan;

/* Lifetimes of the activations of g (sorted and shape-inferred): an
 * activation lives from the step of its producer to the step of its last
 * consumer (a node input or epilogue residual); a graph output lives to the
 * last step; an output nobody reads lives only at its producer's step.
 * items/tensor are malloc'd (free both; NULL when *n is 0). */
dlf_status rt_memplan_lifetimes(const ir_graph *g, rt_memplan_item **items, int **tensor, int *n);

/* Lifetimes, then placement with `alignment`; release with rt_memplan_free. */
dlf_status rt_memplan_for_graph(const ir_graph *g, size_t alignment, rt_memplan *out);
void rt_memplan_free(rt_memplan *p);

#endif
