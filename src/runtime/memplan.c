/* memplan.c — activation memory planning (see memplan.h): lifetimes from the
 * graph, then greedy placement by size, as XNNPACK's src/memory-planner.c. */
#include "runtime/memplan.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"

typedef struct by_size {
  int64_t size; /* rounded up to the alignment */
  int index;
} by_size;

typedef struct span {
  int64_t begin, end;
} span;

/* Largest first; equal sizes in item order, so the plan is deterministic. */
static int cmp_by_size(const void *a, const void *b) {
  const by_size *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

static int cmp_span(const void *a, const void *b) {
  const span *x = a, *y = b;
  return (x->begin > y->begin) - (x->begin < y->begin);
}

static bool round_up(int64_t bytes, int64_t alignment, int64_t *out) {
  int64_t padded;
  if (!dlf_add_i64(bytes, alignment - 1, &padded)) return false;
  *out = padded / alignment * alignment;
  return true;
}

dlf_status rt_memplan_compute(const rt_memplan_item *items, int n, size_t alignment,
                              int64_t *offsets, int64_t *arena_bytes) {
  if (n < 0 || (n > 0 && (!items || !offsets)) || !arena_bytes)
    return dlf_error(DLF_ERR_INVALID_ARG, "memory plan: bad arguments (%d items)", n);
  if (alignment == 0 || alignment > (size_t)1 << 30)
    return dlf_error(DLF_ERR_INVALID_ARG, "memory plan: alignment %zu is not in 1..2^30",
                     alignment);
  *arena_bytes = 0;
  if (n == 0) return DLF_OK;
  by_size *order = dlf_malloc_array((size_t)n, sizeof *order);
  span *busy = dlf_malloc_array((size_t)n, sizeof *busy);
  char *placed = dlf_calloc_array((size_t)n, 1);
  dlf_status st = DLF_OK;
  if (!order || !busy || !placed) {
    st = dlf_error(DLF_ERR_NOMEM, "memory plan: out of memory for %d items", n);
    goto out;
  }
  for (int i = 0; i < n; i++) {
    if (items[i].bytes < 0 || items[i].first > items[i].last) {
      st = dlf_error(DLF_ERR_INVALID_ARG, "memory plan: item %d has %lld bytes, lifetime [%d, %d]",
                     i, (long long)items[i].bytes, items[i].first, items[i].last);
      goto out;
    }
    if (!round_up(items[i].bytes, (int64_t)alignment, &order[i].size)) {
      st = dlf_error(DLF_ERR_LIMIT, "memory plan: item %d of %lld bytes is too large", i,
                     (long long)items[i].bytes);
      goto out;
    }
    order[i].index = i;
  }
  qsort(order, (size_t)n, sizeof *order, cmp_by_size);
  int64_t arena = 0;
  for (int k = 0; k < n; k++) {
    int i = order[k].index;
    int64_t size = order[k].size;
    /* The placed items alive at the same time as i, by offset: i goes into
     * the first gap that holds it, else after the last of them. */
    int nb = 0;
    for (int j = 0; j < n && size > 0; j++)
      if (placed[j] && items[j].first <= items[i].last && items[i].first <= items[j].last) {
        int64_t jsize = 0; /* j was placed, so its rounded end did not overflow */
        (void)round_up(items[j].bytes, (int64_t)alignment, &jsize);
        busy[nb].begin = offsets[j];
        busy[nb].end = offsets[j] + jsize;
        if (busy[nb].end > busy[nb].begin) nb++;
      }
    qsort(busy, (size_t)nb, sizeof *busy, cmp_span);
    int64_t at = 0;
    for (int b = 0; b < nb; b++) {
      if (busy[b].begin >= at && busy[b].begin - at >= size) break;
      if (busy[b].end > at) at = busy[b].end;
    }
    int64_t end;
    if (!dlf_add_i64(at, size, &end)) {
      st = dlf_error(DLF_ERR_LIMIT, "memory plan: the arena exceeds 2^63 bytes");
      goto out;
    }
    offsets[i] = at;
    placed[i] = 1;
    if (end > arena) arena = end;
  }
  *arena_bytes = arena;
out:
  free(order);
  free(busy);
  free(placed);
  return st;
}

/* A tensor whose buffer the arena holds: written by a node, not a constant,
 * not a graph input. */
static bool is_activation(const ir_graph *g, int t) {
  if (t < 0 || t >= g->n_tensors || g->tensors[t].data) return false;
  for (int i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] == t) return false;
  return true;
}

static void extend(const ir_graph *g, const int *item_of, rt_memplan_item *items, int t, int step) {
  if (t < 0 || t >= g->n_tensors || item_of[t] < 0) return;
  rt_memplan_item *it = &items[item_of[t]];
  if (step > it->last) it->last = step;
}

dlf_status rt_memplan_lifetimes(const ir_graph *g, rt_memplan_item **items_out, int **tensor_out,
                                int *n_out) {
  *items_out = NULL;
  *tensor_out = NULL;
  *n_out = 0;
  int cap = 0, last_step = -1;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead) {
      cap += g->nodes[i].n_outputs;
      last_step = i;
    }
  int *item_of = dlf_malloc_array((size_t)g->n_tensors, sizeof *item_of);
  rt_memplan_item *items = dlf_malloc_array((size_t)cap, sizeof *items);
  int *tensor = dlf_malloc_array((size_t)cap, sizeof *tensor);
  if (!item_of || !items || !tensor) {
    free(item_of);
    free(items);
    free(tensor);
    return dlf_error(DLF_ERR_NOMEM, "%s: out of memory planning activations", g->source);
  }
  for (int t = 0; t < g->n_tensors; t++)
    item_of[t] = -1;
  int n = 0;
  dlf_status st = DLF_OK;
  for (int i = 0; i < g->n_nodes && st == DLF_OK; i++) {
    const ir_node *node = &g->nodes[i];
    if (node->dead) continue;
    /* Reads first: a node's inputs are live during its step. */
    for (int k = 0; k < node->n_inputs; k++)
      extend(g, item_of, items, node->inputs[k], i);
    extend(g, item_of, items, node->residual, i);
    for (int o = 0; o < node->n_outputs; o++) {
      int t = node->outputs[o];
      if (!is_activation(g, t) || item_of[t] >= 0) continue;
      const ir_tensor *tt = &g->tensors[t];
      int64_t numel, bytes;
      if (!tt->shape_known) {
        st =
            ir_node_error(g, node, DLF_ERR_INTERNAL, "output '%s' has no inferred shape", tt->name);
        break;
      }
      if (!dlf_numel(tt->dims, tt->ndim, &numel) ||
          !dlf_mul_i64(numel, (int64_t)ir_dtype_size(tt->dtype), &bytes) ||
          bytes > dlf_cap_or_default(g->max_tensor_bytes)) {
        st = ir_node_error(g, node, DLF_ERR_LIMIT, "output '%s' is too large", tt->name);
        break;
      }
      item_of[t] = n;
      tensor[n] = t;
      items[n].bytes = bytes;
      items[n].first = items[n].last = i;
      n++;
    }
  }
  for (int j = 0; j < g->n_outputs && st == DLF_OK; j++)
    extend(g, item_of, items, g->outputs[j], last_step);
  free(item_of);
  if (st != DLF_OK || n == 0) {
    free(items);
    free(tensor);
    return st;
  }
  *items_out = items;
  *tensor_out = tensor;
  *n_out = n;
  return DLF_OK;
}

void rt_memplan_free(rt_memplan *p) {
  if (!p) return;
  free(p->items);
  free(p->tensor);
  free(p->offsets);
  memset(p, 0, sizeof *p);
}

/* The most (aligned) bytes alive at one step: a sweep over lifetime ends. */
static dlf_status live_peak(const ir_graph *g, const rt_memplan *p, size_t alignment,
                            int64_t *out) {
  int64_t *delta = dlf_calloc_array((size_t)g->n_nodes + 1, sizeof *delta);
  if (!delta) return dlf_error(DLF_ERR_NOMEM, "%s: out of memory planning activations", g->source);
  for (int k = 0; k < p->n_items; k++) {
    int64_t size = 0;
    (void)round_up(p->items[k].bytes, (int64_t)alignment, &size); /* checked by the plan */
    delta[p->items[k].first] += size;
    delta[p->items[k].last + 1] -= size;
  }
  int64_t live = 0, peak = 0;
  for (int s = 0; s < g->n_nodes; s++) {
    live += delta[s];
    if (live > peak) peak = live;
  }
  free(delta);
  *out = peak;
  return DLF_OK;
}

dlf_status rt_memplan_for_graph(const ir_graph *g, size_t alignment, rt_memplan *out) {
  memset(out, 0, sizeof *out);
  dlf_status st = rt_memplan_lifetimes(g, &out->items, &out->tensor, &out->n_items);
  if (st == DLF_OK && out->n_items > 0) {
    out->offsets = dlf_malloc_array((size_t)out->n_items, sizeof *out->offsets);
    if (!out->offsets)
      st = dlf_error(DLF_ERR_NOMEM, "%s: out of memory planning activations", g->source);
  }
  if (st == DLF_OK)
    st = rt_memplan_compute(out->items, out->n_items, alignment, out->offsets, &out->arena_bytes);
  for (int k = 0; k < out->n_items && st == DLF_OK; k++)
    if (!dlf_add_i64(out->total_bytes, out->items[k].bytes, &out->total_bytes))
      st = dlf_error(DLF_ERR_LIMIT, "%s: activations exceed 2^63 bytes", g->source);
  if (st == DLF_OK) st = live_peak(g, out, alignment, &out->live_peak_bytes);
  if (st != DLF_OK) {
    if (strncmp(dlf_last_error(), g->source, strlen(g->source)) != 0)
      dlf_error_prefix(st, "%s", g->source);
    rt_memplan_free(out);
  }
  return st;
}
