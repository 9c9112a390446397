/* cmd_dot.c — `dlfusion dot MODEL [--plan P]`: the model's layer graph as Graphviz text (one
 * node per layer with its op and output shape, one edge per activation it reads), each block of
 * the plan a `subgraph cluster_N` labelled with its core number and tile height. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion dot MODEL [--plan FILE] [-o FILE] [--shape NAME=DIMS]...\n"
             "                   [--no-optimize]\n"
             "\n"
             "Write MODEL's layer graph in Graphviz's dot language: a node per layer (name,\n"
             "op, epilogue, output shape), an edge per activation it reads. With --plan each\n"
             "block of the plan is a cluster labelled with its core number and tile height.\n"
             "Render it with `dot -Tsvg model.dot -o model.svg`.\n"
             "\n"
             "  --plan FILE        the plan whose blocks to draw (dlfusion tune -o FILE)\n"
             "  -o, --output FILE  where to write (default: standard output)\n"
             "  --shape NAME=DIMS  fix an input's shape, e.g. --shape input=2x3x224x224\n"
             "  --no-optimize      the graph as imported (no passes)\n"
             "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
             "                     (default: $DLF_MAX_TENSOR_BYTES, else 16G)\n"
             "  --help             this text\n");
}

/* A dot string's body: '"' and '\' escaped, control characters dropped. */
static void put_escaped(FILE *f, const char *s) {
  for (; s && *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s >= 0x20) fputc(*s, f);
  }
}

static void put_layer(FILE *f, const dlf_layer_info *li, const char *indent) {
  char shape[96];
  fprintf(f, "%sL%d [label=\"", indent, li->index);
  put_escaped(f, li->name);
  fprintf(f, "\\n%s", li->op);
  if (li->kernel_h > 0) fprintf(f, " %lldx%lld", (long long)li->kernel_h, (long long)li->kernel_w);
  if (li->epilogue && li->epilogue[0]) fprintf(f, " +%s", li->epilogue);
  fprintf(f, "\\n%s\"];\n", cli_dims(li->out_dims, li->ndim_out, shape, sizeof shape));
}

/* Writes the graph; EXIT_OK or EXIT_RUNTIME (printed). */
static int write_dot(FILE *f, const dlf_model *m, const char *spec, const dlf_plan *p) {
  const int n = dlf_model_num_layers(m);
  int *from = NULL, cap = 0;
  fprintf(f, "digraph \"");
  put_escaped(f, spec);
  fprintf(f, "\" {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, "
             "fontname=\"Helvetica\", fontsize=10];\n  edge [color=\"#555555\"];\n");
  if (p) {
    for (int b = 0; b < dlf_plan_num_blocks(p); b++) {
      dlf_block_info bi;
      if (dlf_plan_block(p, b, &bi) != DLF_OK) return cli_fail();
      char tile[32];
      if (bi.tile_rows > 0)
        snprintf(tile, sizeof tile, "tile %d rows", bi.tile_rows);
      else
        snprintf(tile, sizeof tile, "tile auto");
      /* Okabe-Ito light tints, alternating, so neighbouring blocks differ for every reader. */
      static const char *const fill[] = {"#e6f0fa", "#fdf0d5", "#e3f4ec", "#f6e4ee"};
      fprintf(f,
              "  subgraph cluster_%d {\n    label=\"block %d: %d core%s, %s\";\n"
              "    style=filled; color=\"#666666\"; fillcolor=\"%s\"; fontname=\"Helvetica\";\n",
              b, b, bi.cores, bi.cores == 1 ? "" : "s", tile, fill[b % 4]);
      for (int j = 0; j < bi.num_layers; j++) {
        dlf_layer_info li;
        if (dlf_model_layer(m, bi.layers[j], &li) != DLF_OK) return cli_fail();
        put_layer(f, &li, "    ");
      }
      fprintf(f, "  }\n");
    }
  } else {
    for (int l = 0; l < n; l++) {
      dlf_layer_info li;
      if (dlf_model_layer(m, l, &li) != DLF_OK) return cli_fail();
      put_layer(f, &li, "  ");
    }
  }
  int rc = EXIT_OK;
  for (int l = 0; l < n && rc == EXIT_OK; l++) {
    int k = dlf_model_layer_inputs(m, l, from, cap);
    if (k > cap) {
      free(from);
      cap = k;
      if (!(from = malloc((size_t)cap * sizeof *from))) {
        fprintf(stderr, "dlfusion: out of memory\n");
        return EXIT_RUNTIME;
      }
      k = dlf_model_layer_inputs(m, l, from, cap);
    }
    if (k < 0) rc = cli_fail();
    for (int j = 0; j < k; j++)
      fprintf(f, "  L%d -> L%d;\n", from[j], l);
  }
  free(from);
  fprintf(f, "}\n");
  return rc;
}

int cmd_dot(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      CLI_MODEL_LONGOPTS,
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  const char *path = NULL;
  dlf_model *m = NULL;
  dlf_plan *p = NULL;
  FILE *f = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("dot", &mo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) goto done;
      continue;
    }
    rc = EXIT_OK;
    switch (c) {
    case 'o':
      if ((rc = cli_output_arg("dot", optarg, &path)) != EXIT_OK) goto done;
      break;
    case 'h': usage(stdout); goto done;
    default: rc = cli_option_error("dot", c, argv); goto done;
    }
  }
  if ((rc = cli_one_model("dot", argc, argv)) != EXIT_OK) goto done;
  dlf_load_options lo;
  cli_load_options(&mo, &lo);
  if (dlf_model_load(argv[optind], &lo, &m) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  if (mo.plan_path && (rc = cli_plan_load(m, mo.plan_path, &p)) != EXIT_OK) goto done;
  if (!(f = path ? fopen(path, "w") : stdout)) {
    fprintf(stderr, "dlfusion: %s: cannot open for writing\n", path);
    rc = EXIT_RUNTIME;
    goto done;
  }
  rc = write_dot(f, m, argv[optind], p);
  if ((path ? fclose(f) : fflush(f)) != 0 && rc == EXIT_OK) {
    fprintf(stderr, "dlfusion: %s: write failed\n", path ? path : "standard output");
    rc = EXIT_RUNTIME;
  }
  if (rc == EXIT_OK && path) fprintf(stderr, "wrote %s\n", path);
done:
  dlf_plan_free(p);
  dlf_model_free(m);
  cli_model_opts_free(&mo);
  return rc;
}
