/* cmd_plan.c — `dlfusion plan MODEL`: write a plan as JSON — the unfused plan (one layer
 * per block) or, with --fuse blocks, the rule-of-thumb fused plan — the starting point a
 * user edits (and the tuner will improve on). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion plan MODEL [-o FILE] [--fuse none|blocks] [--cores N]\n"
             "                    [--shape NAME=DIMS]... [--no-optimize]\n"
             "\n"
             "Write a plan for MODEL as JSON (tile heights and algorithms left to the engine):\n"
             "edit it, then give it to run, bench or info with --plan FILE. The format is\n"
             "described in docs/plan.md. The plan is tied to the model as loaded: use the\n"
             "same --shape and --no-optimize options.\n"
             "\n"
             "  -o, --output FILE  where to write (default: standard output)\n"
             "  --fuse none        one layer per block: the unfused plan (default)\n"
             "  --fuse blocks      fuse each natural block (VGG conv stage with its pool, ResNet\n"
             "                     block, MobileNetV2 inverted residual, SqueezeNet fire module),\n"
             "                     found from the graph's structure; other layers unfused\n"
             "  --cores N          every block's core number (0 = all cores; default 0)\n"
             "  --shape NAME=DIMS  fix an input's shape, e.g. --shape input=2x3x224x224\n"
             "  --no-optimize      plan the graph as imported (no passes)\n"
             "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
             "                     (default: $DLF_MAX_TENSOR_BYTES, else 16G)\n"
             "  --help             this text\n");
}

/* Far above any core count; the library checks the real limit. */
#define MAX_CORES 4096

int cmd_plan(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"cores", required_argument, NULL, 'c'},
      {"fuse", required_argument, NULL, 'f'},
      {"no-optimize", no_argument, NULL, CLI_OPT_NO_OPTIMIZE},
      {"shape", required_argument, NULL, CLI_OPT_SHAPE},
      {"max-tensor-bytes", required_argument, NULL, CLI_OPT_MAX_TENSOR_BYTES},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  const char *path = NULL;
  long long cores = 0;
  bool fuse = false;
  dlf_model *m = NULL;
  dlf_plan *p = NULL;
  char *json = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("plan", &mo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) goto done;
      continue;
    }
    rc = EXIT_OK;
    switch (c) {
    case 'o':
      if ((rc = cli_output_arg("plan", optarg, &path)) != EXIT_OK) goto done;
      break;
    case 'c':
      if (!cli_parse_int(optarg, &cores) || cores > MAX_CORES) {
        rc = cli_usage_error("plan", "--cores wants a number (0 = all cores), got '%s'", optarg);
        goto done;
      }
      break;
    case 'f':
      if (strcmp(optarg, "none") != 0 && strcmp(optarg, "blocks") != 0) {
        rc = cli_usage_error("plan", "--fuse wants 'none' or 'blocks', got '%s'", optarg);
        goto done;
      }
      fuse = strcmp(optarg, "blocks") == 0;
      break;
    case 'h': usage(stdout); goto done;
    default: rc = cli_option_error("plan", c, argv); goto done;
    }
  }
  if ((rc = cli_one_model("plan", argc, argv)) != EXIT_OK) goto done;
  dlf_load_options lo;
  cli_load_options(&mo, &lo);
  if (dlf_model_load(argv[optind], &lo, &m) != DLF_OK ||
      (fuse ? dlf_plan_fuse_blocks(m, (int)cores, &p) : dlf_plan_unfused(m, (int)cores, &p)) !=
          DLF_OK)
    goto fail;
  if (path) {
    if (dlf_plan_save(p, path) != DLF_OK) goto fail;
    printf("wrote %s (%d blocks)\n", path, dlf_plan_num_blocks(p));
  } else {
    if (!(json = dlf_plan_to_json(p))) goto fail;
    size_t n = strlen(json);
    /* JSON ends without a newline; a file on stdout reads better with one */
    if (fwrite(json, 1, n, stdout) != n || (n && json[n - 1] != '\n' && putchar('\n') == EOF) ||
        fflush(stdout) != 0) {
      fprintf(stderr, "dlfusion: cannot write the plan to standard output\n");
      rc = EXIT_RUNTIME;
    }
  }
  goto done;
fail:
  rc = cli_fail();
done:
  free(json);
  dlf_plan_free(p);
  dlf_model_free(m);
  cli_model_opts_free(&mo);
  return rc;
}
