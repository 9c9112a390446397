/* test_plan.c — the plan file format and its checks (docs/plan.md): round trips, names vs
 * indices, the fingerprint, and every kind of invalid plan with the error it must produce. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api/model.h"
#include "api/plan_internal.h"
#include "graph_builder.h"
#include "ir/ref_exec.h"
#include "runtime/engine.h"
#include "runtime/engine_internal.h"
#include "plan/plan_json.h"
#include "test.h"

/* Zoo models load in ~0.1 s; each is loaded once and kept (reachable, so not a leak). */
static const dlf_model *zoo(const char *name) {
  static struct {
    const char *name;
    dlf_model *m;
  } cache[8];
  for (int i = 0; i < 8; i++) {
    if (cache[i].name && strcmp(cache[i].name, name) == 0) return cache[i].m;
    if (!cache[i].name) {
      char spec[64];
      snprintf(spec, sizeof spec, "zoo:%s", name);
      if (dlf_model_load(spec, NULL, &cache[i].m) != DLF_OK) return NULL;
      cache[i].name = name;
      return cache[i].m;
    }
  }
  return NULL;
}

static bool plans_equal(const plan *a, const plan *b) {
  if (a->version != b->version || a->fingerprint != b->fingerprint ||
      a->target_cores != b->target_cores || a->n_blocks != b->n_blocks ||
      strcmp(a->model ? a->model : "", b->model ? b->model : "") != 0)
    return false;
  for (int i = 0; i < a->n_blocks; i++) {
    const plan_block *x = &a->blocks[i], *y = &b->blocks[i];
    if (x->n_layers != y->n_layers || x->cores != y->cores || x->tile_rows != y->tile_rows)
      return false;
    for (int k = 0; k < x->n_layers; k++)
      if (x->layers[k] != y->layers[k] || x->algo[k] != y->algo[k]) return false;
  }
  return true;
}

/* ------------------------------------------------- building plan texts -- */

typedef struct text {
  char *s;
  size_t len, cap;
} text;

static void add(text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->s = realloc(t->s, t->cap);
  }
  memcpy(t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}

/* Expand a plan template: %FP% is the model's fingerprint, S(a,b) the single-layer blocks of
 * layers a..b-1 ({"layers": [i], "cores": 1}, comma-separated). Caller frees. */
static char *expand(const dlf_model *m, const char *tmpl) {
  text t = {0};
  char buf[64];
  add(&t, "", 0);
  for (const char *p = tmpl; *p;) {
    int a, b, used;
    if (strncmp(p, "%FP%", 4) == 0) {
      snprintf(buf, sizeof buf, "%016llx", (unsigned long long)plan_fingerprint(m->graph));
      add(&t, buf, strlen(buf));
      p += 4;
    } else if (sscanf(p, "S(%d,%d)%n", &a, &b, &used) == 2) {
      for (int l = a; l < b; l++) {
        snprintf(buf, sizeof buf, "%s{\"layers\": [%d], \"cores\": 1}", l > a ? ", " : "", l);
        add(&t, buf, strlen(buf));
      }
      p += used;
    } else {
      add(&t, p++, 1);
    }
  }
  return t.s;
}

#define HEAD                                                                                       \
  "\"dlfusion_plan\": 1, \"fingerprint\": \"%FP%\", \"target\": {\"kind\": \"cpu\", \"cores\": 2}"

/* squeezenet1_0 has 39 layers: 0 conv 7x7/2, 1 maxpool, fire modules 2-5 (squeeze, expand1x1,
 * expand3x3, cat), 6-9, 10-13, 14 maxpool, ..., 36 classifier conv, 37 global avgpool,
 * 38 flatten. */
#define SQ_ALL "{" HEAD ", \"blocks\": [S(0,39)]}"

static dlf_status parse_tmpl(const dlf_model *m, const char *tmpl, dlf_plan **out) {
  char *s = expand(m, tmpl);
  dlf_status st = dlf_plan_parse(m, s, strlen(s), out);
  free(s);
  return st;
}

/* ----------------------------------------------------------- round trips -- */

TEST(test_plan_unfused_round_trips_through_json) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  dlf_plan *p, *q;
  REQUIRE_OK(dlf_plan_unfused(m, 3, &p));
  CHECK_INT(39, dlf_plan_num_blocks(p));
  char *json = dlf_plan_to_json(p);
  REQUIRE(json);
  dlf_status st = dlf_plan_parse(m, json, strlen(json), &q);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK(plans_equal(dlf_plan_get(p), dlf_plan_get(q)));
    char *again = dlf_plan_to_json(q);
    CHECK(again && strcmp(json, again) == 0);
    free(again);
  }
  free(json);
  dlf_plan_free(p);
  dlf_plan_free(q);
}

/* One block per MobileNetV2 inverted residual block (expand, depthwise, project[+add]),
 * with tile heights and algorithms, written to a file and read back. */
TEST(test_plan_fused_mobilenet_round_trips_through_a_file) {
  const dlf_model *m = zoo("mobilenet_v2");
  REQUIRE(m);
  const char *tmpl =
      "{" HEAD ", \"model\": \"zoo:mobilenet_v2\", \"comment\": \"hand-made\","
      " \"blocks\": [{\"layers\": [0, 1, 2], \"cores\": 2, \"tile_rows\": 8,"
      "  \"algorithms\": {\"features.1.conv.0.0\": \"direct\", \"0\": \"im2col\"}},"
      " {\"layers\": [\"features.2.conv.0.0\", \"features.2.conv.1.0\", \"features.2.conv.2\"],"
      "  \"cores\": 1, \"tile_rows\": 4}, {\"layers\": [8, 7, 6], \"cores\": 2},"
      " S(9,55)], \"tuner\": {\"predicted_ms\": [1.5, 2], \"strategy\": \"hand\"}}";
  dlf_plan *p, *q;
  REQUIRE_OK(parse_tmpl(m, tmpl, &p));
  dlf_block_info bi;
  REQUIRE_OK(dlf_plan_block(p, 0, &bi));
  CHECK_INT(3, bi.num_layers);
  CHECK_INT(8, bi.tile_rows);
  CHECK(strcmp(bi.algorithms[0], "im2col") == 0);
  CHECK(strcmp(bi.algorithms[1], "direct") == 0);
  CHECK(strcmp(bi.algorithms[2], "auto") == 0);
  REQUIRE_OK(dlf_plan_block(p, 2, &bi));
  CHECK_INT(6, bi.layers[0]); /* sorted */
  CHECK_INT(8, bi.layers[2]);
  char pbuf[128];
  const char *path = test_tmp_path(pbuf, sizeof pbuf, "plan_mobilenet.json");
  REQUIRE_OK(dlf_plan_save(p, path));
  dlf_status st = dlf_plan_load(m, path, &q);
  CHECK_OK(st);
  if (st == DLF_OK) {
    CHECK(plans_equal(dlf_plan_get(p), dlf_plan_get(q)));
    char *a = dlf_plan_to_json(p), *b = dlf_plan_to_json(q);
    CHECK(a && b && strcmp(a, b) == 0);
    CHECK(a && strstr(a, "\"comment\": \"hand-made\""));
    CHECK(a && strstr(a, "\"predicted_ms\":[1.5,2]"));
    free(a);
    free(b);
  }
  remove(path);
  dlf_plan_free(p);
  dlf_plan_free(q);
}

TEST(test_plan_copy_is_deep_and_equal) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  dlf_plan *p, *q;
  REQUIRE_OK(parse_tmpl(m,
                        "{" HEAD ", \"comment\": [1], \"blocks\": [S(0,2), {\"layers\": [2,3,4,5],"
                        " \"cores\": 2, \"algorithms\": {\"4\": \"winograd\"}}, S(6,39)]}",
                        &p));
  REQUIRE_OK(dlf_plan_copy(p, &q));
  CHECK(dlf_plan_get(p) != dlf_plan_get(q));
  CHECK(plans_equal(dlf_plan_get(p), dlf_plan_get(q)));
  char *a = dlf_plan_to_json(p);
  dlf_plan_free(p); /* q must not point into p */
  char *b = dlf_plan_to_json(q);
  CHECK(a && b && strcmp(a, b) == 0);
  CHECK_OK(dlf_plan_check_model(q, m));
  free(a);
  free(b);
  dlf_plan_free(q);
}

/* ------------------------------------------------------ names, indices -- */

TEST(test_plan_names_indices_and_digit_strings_mean_the_same_layers) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  dlf_plan *a, *b, *c;
  REQUIRE_OK(parse_tmpl(m,
                        "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [2, 3, 4, 5], \"cores\": 1,"
                        " \"algorithms\": {\"4\": \"winograd\"}}, S(6,39)]}",
                        &a));
  REQUIRE_OK(parse_tmpl(m,
                        "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [\"features.3.squeeze\","
                        " \"features.3.expand1x1\", \"features.3.expand3x3\", \"features.3.cat\"],"
                        " \"cores\": 1, \"algorithms\": {\"features.3.expand3x3\": \"winograd\"}},"
                        " S(6,39)]}",
                        &b));
  REQUIRE_OK(parse_tmpl(m,
                        "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [\"5\", \"4\", 3, \"2\"],"
                        " \"cores\": 1, \"algorithms\": {\"features.3.expand3x3\": "
                        "\"winograd\"}}, S(6,39)]}",
                        &c));
  CHECK(plans_equal(dlf_plan_get(a), dlf_plan_get(b)));
  CHECK(plans_equal(dlf_plan_get(a), dlf_plan_get(c)));
  dlf_plan_free(a);
  dlf_plan_free(b);
  dlf_plan_free(c);
}

TEST(test_plan_writer_uses_names_when_unique) {
  const dlf_model *m = zoo("resnet18");
  REQUIRE(m);
  dlf_plan *p;
  REQUIRE_OK(dlf_plan_unfused(m, 1, &p));
  char *json = dlf_plan_to_json(p);
  REQUIRE(json);
  CHECK(strstr(json, "{\"layers\": [\"layer1.0.conv1\"], \"cores\": 1, \"tile_rows\": 0}"));
  CHECK(strstr(json, "\"fingerprint\": \""));
  free(json);
  dlf_plan_free(p);
}

/* A tiny graph of Relu layers named "r", "r", "5", "", "x": duplicates, a digit name and an
 * empty one cannot be written as names. */
static ir_graph *relu_chain(void) {
  static const char *const names[] = {"r", "r", "5", "", "x"};
  ir_graph *g;
  if (ir_graph_create("chain.onnx", &g) != DLF_OK) return NULL;
  int64_t dims[4] = {1, 2, 4, 4};
  int t;
  if (ir_graph_add_tensor(g, "in", IR_F32, 4, dims, &t) != DLF_OK) goto fail;
  g->inputs = malloc(sizeof *g->inputs);
  g->outputs = malloc(sizeof *g->outputs);
  if (!g->inputs || !g->outputs) goto fail;
  g->inputs[g->n_inputs++] = t;
  g->tensors[t].shape_known = true;
  for (int i = 0; i < 5; i++) {
    char tn[8];
    int o, n;
    snprintf(tn, sizeof tn, "t%d", i);
    if (ir_graph_add_tensor(g, tn, IR_F32, 0, NULL, &o) != DLF_OK ||
        ir_graph_add_node(g, names[i], IR_OP_RELU, 1, &t, 1, &o, &n) != DLF_OK)
      goto fail;
    t = o;
  }
  g->outputs[g->n_outputs++] = t;
  free(g->nodes[3].name); /* add_node generates a name for "": an imported model may not */
  if (!(g->nodes[3].name = strdup(""))) goto fail;
  if (ir_graph_toposort(g) != DLF_OK || ir_graph_infer_shapes(g) != DLF_OK) goto fail;
  return g;
fail:
  ir_graph_free(g);
  return NULL;
}

static dlf_status read_chain(const ir_graph *g, const char *blocks) {
  char buf[1024];
  snprintf(buf, sizeof buf,
           "{\"dlfusion_plan\": 1, \"fingerprint\": \"%016llx\", \"target\": {\"kind\": \"cpu\","
           " \"cores\": 1}, \"blocks\": [%s]}",
           (unsigned long long)plan_fingerprint(g), blocks);
  plan *p = NULL;
  dlf_status st = plan_json_read(g, "chain.json", buf, strlen(buf), &p, NULL);
  plan_free(p);
  return st;
}

TEST(test_plan_layer_names_skip_duplicate_digit_and_empty_names) {
  ir_graph *g = relu_chain();
  REQUIRE(g);
  char **names;
  int n;
  CHECK_OK(plan_json_layer_names(g, &names, &n));
  CHECK_INT(5, n);
  CHECK(names[0] == NULL && names[1] == NULL); /* "r" twice */
  CHECK(names[2] == NULL);                     /* "5" would read as index 5 */
  CHECK(names[3] == NULL);                     /* "" */
  CHECK(names[4] && strcmp(names[4], "x") == 0);
  free(names);
  ir_graph_free(g);
}

TEST(test_plan_rejects_an_ambiguous_layer_name) {
  ir_graph *g = relu_chain();
  REQUIRE(g);
  CHECK_INT(DLF_ERR_INVALID_ARG, read_chain(g, "{\"layers\": [\"r\", 2, 3, 4], \"cores\": 1}"));
  CHECK(strstr(dlf_last_error(), "chain.json: block 0: layer name 'r' is ambiguous: 2 layers "
                                 "have it (#0, #1); use the index"));
  ir_graph_free(g);
}

TEST(test_plan_rejects_a_digit_string_that_is_another_layers_name) {
  ir_graph *g = relu_chain();
  REQUIRE(g);
  /* "2" is index 2, which happens to be named "5"; "5" names layer #2 but reads as index 5 */
  CHECK_OK(read_chain(g, "{\"layers\": [0, 1, \"2\", 3, 4], \"cores\": 1}"));
  CHECK_INT(DLF_ERR_INVALID_ARG, read_chain(g, "{\"layers\": [0, 1, \"5\", 3, 4], \"cores\": 1}"));
  CHECK(strstr(dlf_last_error(), "layer index 5 out of range"));
  ir_graph *g2 = relu_chain();
  REQUIRE(g2);
  free(g2->nodes[4].name); /* now layer #4 is named "3" */
  g2->nodes[4].name = strdup("3");
  CHECK_INT(DLF_ERR_INVALID_ARG, read_chain(g2, "{\"layers\": [0, 1, 2, \"3\", 4], \"cores\": 1}"));
  CHECK(strstr(dlf_last_error(), "'3' is ambiguous: layer #4 is named '3'"));
  ir_graph_free(g);
  ir_graph_free(g2);
}

/* ---------------------------------------------------------- fingerprint -- */

TEST(test_plan_fingerprint_is_stable_across_loads) {
  dlf_model *a, *b;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &a));
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", NULL, &b));
  CHECK(plan_fingerprint(a->graph) == plan_fingerprint(b->graph));
  dlf_model_free(a);
  dlf_model_free(b);
}

TEST(test_plan_fingerprint_differs_between_models_and_batch_sizes) {
  const dlf_model *sq = zoo("squeezenet1_0"), *mb = zoo("mobilenet_v2");
  REQUIRE(sq && mb);
  dlf_load_options o = {.zoo_batch = 2};
  dlf_model *sq2;
  REQUIRE_OK(dlf_model_load("zoo:squeezenet1_0", &o, &sq2));
  CHECK(plan_fingerprint(sq->graph) != plan_fingerprint(mb->graph));
  CHECK(plan_fingerprint(sq->graph) != plan_fingerprint(sq2->graph));
  dlf_model_free(sq2);
}

TEST(test_plan_loaded_for_one_model_fails_the_check_of_another) {
  const dlf_model *sq = zoo("squeezenet1_0"), *mb = zoo("mobilenet_v2");
  REQUIRE(sq && mb);
  dlf_plan *p;
  REQUIRE_OK(dlf_plan_unfused(sq, 1, &p));
  CHECK_OK(dlf_plan_check_model(p, sq));
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_plan_check_model(p, mb));
  CHECK(strstr(dlf_last_error(), "made for a different model"));
  dlf_plan_free(p);
}

/* ------------------------------------------------------- invalid plans -- */

typedef struct bad_plan {
  const char *what;
  const char *tmpl;
  dlf_status status;
  const char *message; /* a substring of dlf_last_error() */
} bad_plan;

/* Every kind of invalid plan, against squeezenet1_0, with its status and message. */
static const bad_plan bad_plans[] = {
    {"not JSON", "{\"dlfusion_plan\": 1,\n \"blocks\": [}", DLF_ERR_PARSE,
     "plan: not valid JSON (error at line 2, column"},
    {"text after the object", SQ_ALL " {}", DLF_ERR_PARSE, "text after the plan object"},
    {"not an object", "[1, 2]", DLF_ERR_PARSE, "a plan must be a JSON object, got an array"},
    {"no format tag", "{\"blocks\": []}", DLF_ERR_PARSE, "not a dlfusion plan"},
    {"unsupported version", "{\"dlfusion_plan\": 2, \"blocks\": []}", DLF_ERR_UNSUPPORTED,
     "unsupported plan format version 2 (this dlfusion reads version 1)"},
    {"version not an integer", "{\"dlfusion_plan\": 1.5}", DLF_ERR_PARSE,
     "'dlfusion_plan' must be an integer, got the number 1.5"},
    {"unknown key", "{" HEAD ", \"blcoks\": []}", DLF_ERR_PARSE,
     "unknown key 'blcoks' in the plan (expected dlfusion_plan, model, fingerprint"},
    {"duplicate key", "{" HEAD ", \"blocks\": [S(0,39)], \"blocks\": []}", DLF_ERR_PARSE,
     "key 'blocks' appears twice in the plan"},
    {"missing key", "{\"dlfusion_plan\": 1, \"fingerprint\": \"%FP%\", \"blocks\": []}",
     DLF_ERR_PARSE, "missing key 'target' in the plan"},
    {"fingerprint not hex",
     "{\"dlfusion_plan\": 1, \"fingerprint\": \"12345\", \"target\": {\"kind\": \"cpu\", "
     "\"cores\": 1}, \"blocks\": []}",
     DLF_ERR_PARSE, "'fingerprint' must be 16 hex digits, got '12345'"},
    {"another model's fingerprint",
     "{\"dlfusion_plan\": 1, \"fingerprint\": \"0123456789abcdef\", \"target\": {\"kind\": "
     "\"cpu\", \"cores\": 1}, \"blocks\": []}",
     DLF_ERR_INVALID_ARG,
     "plan: made for a different model: fingerprint 0123456789abcdef, this model "
     "(zoo:squeezenet1_0) has "},
    {"target kind",
     "{\"dlfusion_plan\": 1, \"fingerprint\": \"%FP%\", \"target\": {\"kind\": "
     "\"gpu\", \"cores\": 1}, \"blocks\": []}",
     DLF_ERR_UNSUPPORTED, "target kind 'gpu' is not supported"},
    {"target cores 0",
     "{\"dlfusion_plan\": 1, \"fingerprint\": \"%FP%\", \"target\": {\"kind\": "
     "\"cpu\", \"cores\": 0}, \"blocks\": []}",
     DLF_ERR_INVALID_ARG, "target cores 0 out of range (1 to 1024)"},
    {"target cores 2000",
     "{\"dlfusion_plan\": 1, \"fingerprint\": \"%FP%\", \"target\": "
     "{\"kind\": \"cpu\", \"cores\": 2000}, \"blocks\": []}",
     DLF_ERR_INVALID_ARG, "target cores 2000 out of range (1 to 1024)"},
    {"unknown target key",
     "{\"dlfusion_plan\": 1, \"fingerprint\": \"%FP%\", \"target\": "
     "{\"kind\": \"cpu\", \"cores\": 2, \"l2\": 1}, \"blocks\": []}",
     DLF_ERR_PARSE, "unknown key 'l2' in 'target'"},
    {"huge core number", "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1e30}, S(1,39)]}",
     DLF_ERR_PARSE, "plan: block 0: 'cores' must be an integer, got the number 1e+30"},
    {"block not an object", "{" HEAD ", \"blocks\": [S(0,39), 7]}", DLF_ERR_PARSE,
     "block 39: a block must be an object, got the number 7"},
    {"unknown block key",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1, "
     "\"tile_row\": 4}, S(1,39)]}",
     DLF_ERR_PARSE, "block 0: unknown key 'tile_row' in a block"},
    {"missing cores", "{" HEAD ", \"blocks\": [{\"layers\": [0]}, S(1,39)]}", DLF_ERR_PARSE,
     "block 0: missing key 'cores' in a block"},
    {"empty block", "{" HEAD ", \"blocks\": [{\"layers\": [], \"cores\": 1}, S(0,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: 'layers' is empty"},
    {"layer missing", "{" HEAD ", \"blocks\": [S(0,38)]}", DLF_ERR_INVALID_ARG,
     "plan: layer 'flatten' (#38, Flatten) is in no block"},
    {"layer in two blocks",
     "{" HEAD ", \"blocks\": [S(0,39), {\"layers\": [\"features.2\"], "
     "\"cores\": 1}]}",
     DLF_ERR_INVALID_ARG, "block 39: layer 'features.2' (#1, MaxPool) is already in block 1"},
    {"layer twice in a block",
     "{" HEAD ", \"blocks\": [{\"layers\": [0, \"features.0\"], "
     "\"cores\": 1}, S(1,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: layer 'features.0' (#0, Conv) is listed twice"},
    {"index out of range", "{" HEAD ", \"blocks\": [S(0,39), {\"layers\": [39], \"cores\": 1}]}",
     DLF_ERR_INVALID_ARG, "block 39: layer index 39 out of range (the model has 39 layers)"},
    {"negative index", "{" HEAD ", \"blocks\": [{\"layers\": [-1], \"cores\": 1}, S(0,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: layer index -1 out of range"},
    {"fractional index", "{" HEAD ", \"blocks\": [{\"layers\": [0.5], \"cores\": 1}, S(0,39)]}",
     DLF_ERR_PARSE, "a layer must be an integer index or a name, got the number 0.5"},
    {"layer as true", "{" HEAD ", \"blocks\": [{\"layers\": [true], \"cores\": 1}, S(0,39)]}",
     DLF_ERR_PARSE, "a layer must be an integer index or a name, got true"},
    {"unknown layer name",
     "{" HEAD ", \"blocks\": [{\"layers\": [\"features.99\"], "
     "\"cores\": 1}, S(0,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: no layer named 'features.99'"},
    {"not convex",
     "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [2, 5], \"cores\": 1}, S(3,5),"
     " S(6,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 2 is not convex: a path leaves it and re-enters it through layer "
     "'features.3.expand1x1' (#3, Conv), which layer 'features.3.cat' (#5, Concat) reads"},
    {"out of execution order", "{" HEAD ", \"blocks\": [S(0,1), S(2,3), S(1,2), S(3,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 1: layer 'features.3.squeeze' (#2, Conv) reads the output of layer 'features.2' "
     "(#1, MaxPool), which runs later in block 2"},
    {"cores 0", "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 0}, S(1,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: cores 0 out of range (1 to the target's 2 cores)"},
    {"cores above the target", "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 3}, S(1,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: cores 3 out of range (1 to the target's 2 cores)"},
    {"negative tile",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1, \"tile_rows\": -1},"
     " S(1,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: tile_rows -1 out of range"},
    {"tile above the output height",
     "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [2, 3, 4, 5], \"cores\": 1, \"tile_rows\": 55},"
     " S(6,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 2: tile_rows 55 out of range (0 = engine's choice, up to 54 = the output height of "
     "layer 'features.3.cat' (#5, Concat))"},
    {"tile on a 2-D output",
     "{" HEAD ", \"blocks\": [S(0,38), {\"layers\": [38], \"cores\": 1, "
     "\"tile_rows\": 2}]}",
     DLF_ERR_INVALID_ARG, "block 38: tile_rows 2 out of range (0 = engine's choice, up to 1 "},
    {"unknown algorithm",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1, \"algorithms\":"
     " {\"0\": \"winogard\"}}, S(1,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 0: algorithms: unknown algorithm 'winogard' for layer 'features.0' (#0, Conv) "
     "(expected "
     "auto, im2col, winograd, direct or reference)"},
    {"algorithm not a string",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1, "
     "\"algorithms\": {\"0\": 3}}, S(1,39)]}",
     DLF_ERR_PARSE, "must be a string, got the number 3"},
    {"winograd on a 1x1 conv",
     "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [2], \"cores\": 1,"
     " \"algorithms\": {\"features.3.squeeze\": \"winograd\"}}, S(3,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 2: layer 'features.3.squeeze' (#2, Conv): winograd runs only a 2-D Conv with kernel "
     "3x3, stride 1, dilation 1, group 1; this one has kernel 1x1"},
    {"winograd on a strided conv",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1,"
     " \"algorithms\": {\"0\": \"winograd\"}}, S(1,39)]}",
     DLF_ERR_INVALID_ARG, "this one has kernel 7x7, stride 2x2"},
    {"im2col on a pool",
     "{" HEAD ", \"blocks\": [S(0,1), {\"layers\": [1], \"cores\": 1,"
     " \"algorithms\": {\"1\": \"im2col\"}}, S(2,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 1: layer 'features.2' (#1, MaxPool): im2col runs only Conv, this is MaxPool"},
    {"algorithm for a layer outside the block",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1, \"algorithms\": {\"1\": \"auto\"}},"
     " S(1,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 0: algorithms: layer 'features.2' (#1, MaxPool) is not in this block"},
    {"algorithm given twice",
     "{" HEAD ", \"blocks\": [{\"layers\": [0], \"cores\": 1, "
     "\"algorithms\": {\"0\": \"auto\", \"features.0\": \"im2col\"}},"
     " S(1,39)]}",
     DLF_ERR_INVALID_ARG, "block 0: algorithms: layer 'features.0' (#0, Conv) is given twice"},
    {"global pool in a fused block",
     "{" HEAD ", \"blocks\": [S(0,36), {\"layers\": [36, 37], \"cores\": 1}, S(38,39)]}",
     DLF_ERR_INVALID_ARG,
     "block 36: layer 'classifier.3' (#37, GlobalAveragePool) needs its whole input (it is not "
     "computed band by band of rows on 4-D tensors): it must be a block of its own"},
    {"flatten in a fused block",
     "{" HEAD ", \"blocks\": [S(0,37), {\"layers\": [37, 38], "
     "\"cores\": 1}]}",
     DLF_ERR_INVALID_ARG, "must be a block of its own"},
    {"tuner not an object", "{" HEAD ", \"tuner\": [], \"blocks\": [S(0,39)]}", DLF_ERR_PARSE,
     "'tuner' must be an object, got an array"},
    {"nested too deep",
     "{" HEAD ", \"tuner\": {\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]}, \"blocks\": [S(0,39)]}",
     DLF_ERR_LIMIT, "JSON nested deeper than 32 levels"},
    {"escaped NUL in a name",
     "{" HEAD ", \"blocks\": [{\"layers\": [\"features.0\\u0000x\"], "
     "\"cores\": 1}, S(1,39)]}",
     DLF_ERR_PARSE, "a \\u0000 escape (NUL) in a string at offset"},
    {"model not a string", "{" HEAD ", \"model\": 5, \"blocks\": [S(0,39)]}", DLF_ERR_PARSE,
     "'model' must be a string, got the number 5"},
};

TEST(test_plan_invalid_plans_fail_with_their_message) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  int n = (int)(sizeof bad_plans / sizeof *bad_plans);
  CHECK(n >= 40);
  for (int i = 0; i < n; i++) {
    dlf_plan *p = (dlf_plan *)1;
    dlf_status st = parse_tmpl(m, bad_plans[i].tmpl, &p);
    if (st != bad_plans[i].status)
      test_fail(__FILE__, __LINE__, "%s: expected status %d, got %d (%s)", bad_plans[i].what,
                (int)bad_plans[i].status, (int)st, dlf_last_error());
    else if (!strstr(dlf_last_error(), bad_plans[i].message))
      test_fail(__FILE__, __LINE__, "%s: expected message containing\n    %s\n  got\n    %s",
                bad_plans[i].what, bad_plans[i].message, dlf_last_error());
    if (p) test_fail(__FILE__, __LINE__, "%s: *out not NULL on failure", bad_plans[i].what);
    if (st == DLF_OK) dlf_plan_free(p);
  }
}

TEST(test_plan_good_variants_of_the_bad_cases_pass) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  static const char *const good[] = {
      SQ_ALL,
      /* a fire module fused, with winograd on its 3x3 expand and a full-height tile */
      "{" HEAD ", \"blocks\": [S(0,2), {\"layers\": [2, 3, 4, 5], \"cores\": 2, \"tile_rows\": 54,"
      " \"algorithms\": {\"4\": \"winograd\", \"3\": \"im2col\", \"5\": \"direct\"}}, S(6,39)]}",
      /* whole-input layers alone, with tile 1 on the 2-D output; reference on anything */
      "{" HEAD ", \"blocks\": [S(0,37), {\"layers\": [37], \"cores\": 1, \"tile_rows\": 1},"
      " {\"layers\": [38], \"cores\": 2, \"tile_rows\": 1, \"algorithms\": {\"38\": "
      "\"reference\"}}]}",
      /* conv + pool + squeeze chain, comment of any JSON type, integral double 2.0 */
      "{" HEAD ", \"comment\": {\"why\": \"test\"}, \"model\": \"x\", \"blocks\": ["
      "{\"layers\": [0, 1, 2], \"cores\": 2.0}, S(3,39)]}",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    dlf_plan *p;
    dlf_status st = parse_tmpl(m, good[i], &p);
    if (st != DLF_OK)
      test_fail(__FILE__, __LINE__, "good plan %zu: %s", i, dlf_last_error());
    else
      dlf_plan_free(p);
  }
}

TEST(test_plan_depthwise_conv_accepts_direct_and_rejects_winograd) {
  const dlf_model *m = zoo("mobilenet_v2");
  REQUIRE(m);
  dlf_plan *p;
  /* layer 1: depthwise 3x3/1, 32 channels */
  CHECK_OK(parse_tmpl(m,
                      "{" HEAD ", \"blocks\": [S(0,1), {\"layers\": [1], \"cores\": 1, "
                      "\"algorithms\": {\"1\": \"direct\"}}, S(2,55)]}",
                      &p));
  dlf_plan_free(p);
  CHECK_INT(DLF_ERR_INVALID_ARG, parse_tmpl(m,
                                            "{" HEAD ", \"blocks\": [S(0,1), {\"layers\": [1],"
                                            " \"cores\": 1, \"algorithms\": {\"1\": "
                                            "\"winograd\"}}, S(2,55)]}",
                                            &p));
  CHECK(strstr(dlf_last_error(), "group 32, channels 32->32"));
}

TEST(test_plan_residual_read_outside_the_block_keeps_it_convex) {
  /* resnet18 layer2.0: conv1 (#6), downsample (#7), conv2+add (#8) reads #7 as its residual.
   * {6, 8} is convex (no path from 6 through 7), but 7 must run before it. */
  const dlf_model *m = zoo("resnet18");
  REQUIRE(m);
  dlf_plan *p;
  CHECK_OK(parse_tmpl(m,
                      "{" HEAD ", \"blocks\": [S(0,6), S(7,8), {\"layers\": [6, 8], "
                      "\"cores\": 2}, S(9,24)]}",
                      &p));
  dlf_plan_free(p);
  CHECK_INT(DLF_ERR_INVALID_ARG,
            parse_tmpl(m,
                       "{" HEAD ", \"blocks\": [S(0,6), {\"layers\": [6, 8], \"cores\": 2},"
                       " S(7,8), S(9,24)]}",
                       &p));
  CHECK(strstr(dlf_last_error(), "reads the output of layer 'layer2.0.downsample.0' (#7, Conv), "
                                 "which runs later in block 7"));
}

TEST(test_plan_mobilenet_residual_skipping_the_middle_is_not_convex) {
  const dlf_model *m = zoo("mobilenet_v2");
  REQUIRE(m);
  dlf_plan *p;
  /* features.3: 6 expand -> 7 depthwise -> 8 project + add(input of 6); {6, 8} without 7 */
  CHECK_INT(DLF_ERR_INVALID_ARG,
            parse_tmpl(m,
                       "{" HEAD ", \"blocks\": [S(0,6), {\"layers\": [6, 8], \"cores\": 1},"
                       " S(7,8), S(9,55)]}",
                       &p));
  CHECK(strstr(dlf_last_error(), "block 6 is not convex: a path leaves it and re-enters it "
                                 "through layer 'features.3.conv.1.0' (#7, Conv)"));
}

TEST(test_plan_load_missing_file_is_an_io_error) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  dlf_plan *p;
  CHECK_INT(DLF_ERR_IO, dlf_plan_load(m, "/nonexistent/plan.json", &p));
  CHECK(strstr(dlf_last_error(), "/nonexistent/plan.json: cannot open"));
  CHECK(p == NULL);
}

TEST(test_plan_larger_than_the_limit_is_refused_before_parsing) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  size_t n = PLAN_JSON_MAX_BYTES + 1;
  char *big = malloc(n);
  REQUIRE(big);
  memset(big, ' ', n);
  dlf_plan *p;
  CHECK_INT(DLF_ERR_LIMIT, dlf_plan_parse(m, big, n, &p));
  CHECK(strstr(dlf_last_error(), "more than the 4194304-byte limit"));
  free(big);
}

TEST(test_plan_nul_byte_is_a_parse_error) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  const char text[] = "{\"dlfusion_plan\": 1\0}";
  dlf_plan *p;
  CHECK_INT(DLF_ERR_PARSE, dlf_plan_parse(m, text, sizeof text - 1, &p));
  CHECK(strstr(dlf_last_error(), "a NUL byte at offset 19"));
}

TEST(test_plan_file_error_names_the_file) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  char pbuf[128];
  const char *path = test_tmp_path(pbuf, sizeof pbuf, "plan_bad.json");
  char *s = expand(m, "{" HEAD ", \"blocks\": [S(0,38)]}");
  FILE *f = fopen(path, "w");
  REQUIRE(f);
  fputs(s, f);
  fclose(f);
  free(s);
  dlf_plan *p;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_plan_load(m, path, &p));
  char want[256];
  snprintf(want, sizeof want, "%s: layer 'flatten' (#38, Flatten) is in no block", path);
  CHECK(strstr(dlf_last_error(), want));
  remove(path);
}

TEST(test_plan_block_query_checks_its_index) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  dlf_plan *p;
  REQUIRE_OK(dlf_plan_unfused(m, 2, &p));
  dlf_block_info bi;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_plan_block(p, 39, &bi));
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_plan_block(p, -1, &bi));
  CHECK_OK(dlf_plan_block(p, 38, &bi));
  CHECK_INT(38, bi.layers[0]);
  CHECK_INT(2, bi.cores);
  CHECK_INT(0, bi.tile_rows);
  CHECK(strcmp(bi.algorithms[0], "auto") == 0);
  CHECK_INT(0, dlf_plan_num_blocks(NULL));
  dlf_plan_free(p);
}

TEST(test_plan_unfused_rejects_a_negative_core_count) {
  const dlf_model *m = zoo("squeezenet1_0");
  REQUIRE(m);
  dlf_plan *p;
  CHECK_INT(DLF_ERR_INVALID_ARG, dlf_plan_unfused(m, -1, &p));
  CHECK(strstr(dlf_last_error(), "core count -1 out of range"));
  REQUIRE_OK(dlf_plan_unfused(m, 0, &p)); /* 0 = all available cores */
  CHECK(dlf_plan_get(p)->target_cores >= 1);
  dlf_plan_free(p);
}

/* --------------------------------------------------- random valid plans -- */

/* Random partitions of the model into runs of consecutive layers (multi-layer runs only of
 * row-local layers), random cores, tiles and supported algorithms: every one passes
 * plan_check and round-trips through JSON unchanged. */
static void random_plans(const char *model, int count) {
  const dlf_model *m = zoo(model);
  REQUIRE(m);
  const ir_graph *g = m->graph;
  int n = plan_layer_nodes(g, NULL);
  int *node = malloc(sizeof *node * (size_t)n);
  REQUIRE(node);
  plan_layer_nodes(g, node);
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
#define NEXT() (rng = rng * 6364136223846793005ULL + 1442695040888963407ULL, (rng >> 33))
  for (int iter = 0; iter < count; iter++) {
    plan *p;
    int cores = 1 + (int)(NEXT() % 4);
    if (plan_unfused(g, m->spec, cores, &p) != DLF_OK) break;
    /* merge runs of row-local layers in place */
    int nb = 0;
    for (int l = 0; l < n;) {
      int len = 1;
      int want = 1 + (int)(NEXT() % 5);
      while (len < want && l + len < n && plan_layer_row_local(g, &g->nodes[node[l]]) &&
             plan_layer_row_local(g, &g->nodes[node[l + len]]))
        len++;
      plan_block *b = &p->blocks[nb];
      free(b->layers);
      free(b->algo);
      b->layers = malloc(sizeof *b->layers * (size_t)len);
      b->algo = calloc((size_t)len, sizeof *b->algo);
      b->n_layers = len;
      b->cores = 1 + (int)(NEXT() % (uint64_t)cores);
      for (int k = 0; k < len; k++) {
        b->layers[k] = l + k;
        plan_algo a = (plan_algo)(NEXT() % PLAN_ALGO_COUNT);
        b->algo[k] = plan_algo_supports(g, &g->nodes[node[l + k]], a, NULL, 0) ? a : 0;
      }
      const ir_tensor *y = ir_node_output(g, &g->nodes[node[l + len - 1]], 0);
      int64_t h = y->ndim == 4 ? y->dims[2] : 1;
      b->tile_rows = (int)(NEXT() % (uint64_t)(h + 1));
      nb++;
      l += len;
    }
    for (int b = nb; b < p->n_blocks; b++) {
      free(p->blocks[b].layers);
      free(p->blocks[b].algo);
    }
    p->n_blocks = nb;
    dlf_plan *d, *e;
    dlf_status st = dlf_plan_wrap_model(m, p, "random", &d);
    if (st != DLF_OK) {
      test_fail(__FILE__, __LINE__, "%s plan %d: %s", model, iter, dlf_last_error());
      break;
    }
    char *json = dlf_plan_to_json(d);
    st = json ? dlf_plan_parse(m, json, strlen(json), &e) : DLF_ERR_NOMEM;
    if (st != DLF_OK) {
      test_fail(__FILE__, __LINE__, "%s plan %d reread: %s", model, iter, dlf_last_error());
    } else {
      CHECK(plans_equal(dlf_plan_get(d), dlf_plan_get(e)));
      dlf_plan_free(e);
    }
    free(json);
    dlf_plan_free(d);
  }
#undef NEXT
  free(node);
}

TEST(test_plan_random_valid_plans_check_and_round_trip_mobilenet) {
  random_plans("mobilenet_v2", 50);
}
TEST(test_plan_random_valid_plans_check_and_round_trip_squeezenet) {
  random_plans("squeezenet1_0", 50);
}
TEST(test_plan_random_valid_plans_check_and_round_trip_resnet18) { random_plans("resnet18", 50); }

/* "direct" runs a group-1 Conv (the small-channel kernel) or a depthwise one, never a
 * grouped non-depthwise Conv; the plan checker and the engine agree, and a plan forcing it
 * on a dense conv computes what the reference executor computes. */
TEST(test_plan_direct_accepts_dense_and_depthwise_conv_not_grouped) {
  eg b = eg_begin();
  int64_t xd[4] = {2, 8, 9, 7}, pads[4] = {1, 1, 1, 1};
  int x = eg_input(&b, 4, xd), y[3];
  int dense = eg_conv(&b, x, 8, 8, 3, 1, pads, 1, &y[0]);
  int grouped = eg_conv(&b, y[0], 8, 8, 3, 1, pads, 2, &y[1]);
  int dw = eg_conv(&b, y[1], 8, 8, 3, 1, pads, 8, &y[2]);
  eg_output(&b, y[2]);
  REQUIRE_OK(ir_graph_infer_shapes(b.g));
  char why[400];
  CHECK(plan_algo_supports(b.g, &b.g->nodes[dense], PLAN_ALGO_DIRECT, why, sizeof why));
  CHECK(plan_algo_supports(b.g, &b.g->nodes[dw], PLAN_ALGO_DIRECT, why, sizeof why));
  CHECK(!plan_algo_supports(b.g, &b.g->nodes[grouped], PLAN_ALGO_DIRECT, why, sizeof why));
  CHECK(strstr(why, "not a grouped Conv; this one has") != NULL);
  /* run: the dense conv forced to direct, on 1 and 2 cores, against the reference */
  const int64_t ni = 2 * 8 * 9 * 7;
  float *in = malloc(sizeof *in * ni), *want = malloc(sizeof *want * ni),
        *got = malloc(sizeof *got * ni);
  REQUIRE(in && want && got);
  for (int64_t i = 0; i < ni; i++)
    in[i] = (float)((i * 29) % 53) / 26.0f - 1.0f;
  const void *ins[1] = {in};
  void *o1[1] = {want}, *o2[1] = {got};
  ir_ref_exec *rx;
  REQUIRE_OK(ir_ref_exec_create(b.g, &rx));
  REQUIRE_OK(ir_ref_exec_run(rx, ins, o1));
  ir_ref_exec_free(rx);
  for (int threads = 1; threads <= 2; threads++) {
    plan *p;
    REQUIRE_OK(plan_unfused(b.g, "g", threads, &p));
    p->blocks[0].algo[0] = PLAN_ALGO_DIRECT;
    CHECK_OK(plan_check(b.g, p, "g"));
    rt_engine_options o = {threads, kern_config_get(), -1, false, p};
    rt_engine *e;
    REQUIRE_OK(rt_engine_create(b.g, &o, &e));
    CHECK_INT(PLAN_ALGO_DIRECT, e->steps[0].algo);
    REQUIRE_OK(rt_engine_run(e, ins, o2, NULL, NULL));
    double worst = 0, range = 0;
    for (int64_t i = 0; i < ni; i++) {
      worst = fmax(worst, fabs((double)want[i] - got[i]));
      range = fmax(range, fabs((double)want[i]));
    }
    CHECK(range > 0 && worst <= 1e-4 * range);
    rt_engine_free(e);
    plan_free(p);
  }
  free(in);
  free(want);
  free(got);
  ir_graph_free(b.g);
}

/* The engine asks the checker's own rule (plan_algo_supports) before a step class sees a plan's
 * algorithm: a plan built in C that never passed plan_check and forces Winograd on a grouped
 * conv is refused with the checker's reason, not silently run another way. */
TEST(test_engine_refuses_an_algorithm_the_checker_refuses) {
  eg b = eg_begin();
  int64_t xd[4] = {1, 8, 6, 6}, pads[4] = {1, 1, 1, 1};
  int x = eg_input(&b, 4, xd), y;
  eg_conv(&b, x, 8, 8, 3, 1, pads, 2, &y);
  eg_output(&b, y);
  REQUIRE_OK(ir_graph_infer_shapes(b.g));
  plan *p;
  REQUIRE_OK(plan_unfused(b.g, "g", 1, &p));
  p->blocks[0].algo[0] = PLAN_ALGO_WINOGRAD;
  CHECK(plan_check(b.g, p, "g") == DLF_ERR_INVALID_ARG);
  rt_engine_options o = {1, kern_config_get(), -1, false, p};
  rt_engine *e = NULL;
  CHECK(rt_engine_create(b.g, &o, &e) == DLF_ERR_INVALID_ARG);
  CHECK(e == NULL);
  CHECK(strstr(dlf_last_error(), "winograd runs only a 2-D Conv with kernel 3x3") != NULL);
  plan_free(p);
  ir_graph_free(b.g);
}

/* Every step kind has a class that can run it; the kinds a fused block may hold (a class with
 * rows) are exactly the ones the tiler was built for. */
TEST(test_step_class_table_covers_every_kind) {
  int fusable = 0;
  for (int k = 0; k < STEP_KIND_COUNT; k++) {
    const rt_step_class *c = rt_step_class_of((step_kind)k);
    CHECK(c != NULL && c->name != NULL && c->run != NULL);
    CHECK(k == STEP_CONV_CSPLIT || c->compile != NULL);
    fusable += c->rows != NULL;
  }
  CHECK(rt_step_class_of(STEP_CONV)->rows && rt_step_class_of(STEP_DWCONV)->rows &&
        rt_step_class_of(STEP_MAXPOOL)->rows && rt_step_class_of(STEP_AVGPOOL)->rows &&
        rt_step_class_of(STEP_BINARY)->rows && rt_step_class_of(STEP_CHAN_BINARY)->rows &&
        rt_step_class_of(STEP_CHAN_GATHER)->rows && rt_step_class_of(STEP_UNARY)->rows &&
        rt_step_class_of(STEP_CONCAT)->rows && rt_step_class_of(STEP_CHAN_NORM)->rows);
  CHECK_INT(10, fusable);
}
