/* cmd_export.c — `dlfusion export MODEL -o FILE.onnx`: write a zoo model
 * (architecture and weights, before passes) as an ONNX file. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion export MODEL -o FILE.onnx [--seed N] [--batch N]\n"
             "\n"
             "Write a zoo model (zoo:NAME) with its weights as an ONNX file.\n"
             "\n"
             "  -o, --output FILE  where to write (required)\n"
             "  --seed N           seed of the zoo weights (default 1)\n"
             "  --batch N          batch size (default 1)\n"
             "  --help             this text\n");
}

int cmd_export(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'},
      {"seed", required_argument, NULL, 'S'},
      {"batch", required_argument, NULL, 'b'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *path = NULL;
  long long seed = 0, batch = 0;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
    switch (c) {
    case 'o': path = optarg; break;
    case 'S':
      if (!cli_parse_int(optarg, &seed)) return cli_usage_error("export", "--seed wants a number");
      break;
    case 'b':
      if (!cli_parse_int(optarg, &batch) || batch < 1 || batch > 1 << 20)
        return cli_usage_error("export", "--batch wants a positive number");
      break;
    case 'h': usage(stdout); return EXIT_OK;
    case ':': return cli_usage_error("export", "option '%s' needs an argument", argv[optind - 1]);
    default: return cli_usage_error("export", "unrecognized option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) return cli_usage_error("export", "missing MODEL (zoo:NAME)");
  if (optind + 1 < argc)
    return cli_usage_error("export", "unexpected argument '%s'", argv[optind + 1]);
  if (!path) return cli_usage_error("export", "missing -o FILE.onnx");
  dlf_load_options lo = {0};
  lo.zoo_seed = (uint64_t)seed;
  lo.zoo_batch = (int)batch;
  lo.no_optimize = 1; /* export writes the graph as built */
  dlf_model *m;
  if (dlf_model_load(argv[optind], &lo, &m) != DLF_OK) return cli_fail();
  dlf_status st = dlf_model_save_onnx(m, path);
  dlf_model_free(m);
  if (st != DLF_OK) return cli_fail();
  printf("wrote %s\n", path);
  return EXIT_OK;
}
