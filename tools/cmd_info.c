/* cmd_info.c — `dlfusion info MODEL`: the layer table of a model (shapes,
 * kernel, channels, MACs, parameters, bytes) and its totals. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion info MODEL [--no-optimize] [--shape NAME=DIMS]...\n"
             "\n"
             "Print the model's layers (after graph passes) and totals. The last line is\n"
             "  total: layers=N macs=N params=N weight_bytes=N\n"
             "\n"
             "  --no-optimize      show the graph as imported (no BN folding or fusion)\n"
             "  --shape NAME=DIMS  fix an input's shape, e.g. --shape input=2x3x224x224\n"
             "  --help             this text\n");
}

/* "resnet18" for zoo:resnet18, "model" for dir/model.onnx */
static const char *short_name(const char *spec, char *buf, size_t size) {
  const char *s = strncmp(spec, "zoo:", 4) == 0 ? spec + 4 : spec;
  const char *slash = strrchr(s, '/');
  if (slash) s = slash + 1;
  snprintf(buf, size, "%s", s);
  char *dot = strrchr(buf, '.');
  if (dot && strcmp(dot, ".onnx") == 0) *dot = '\0';
  return buf;
}

static void print_layer(const dlf_layer_info *l) {
  char op[48], in[64], out[64], ks[32], ch[32], macs[16];
  snprintf(op, sizeof op, "%s%s%s", l->op, l->epilogue && l->epilogue[0] ? "+" : "",
           l->epilogue ? l->epilogue : "");
  if (l->kernel_h)
    snprintf(ks, sizeof ks, "%lldx%lld/%lld", (long long)l->kernel_h, (long long)l->kernel_w,
             (long long)l->stride_h);
  else
    snprintf(ks, sizeof ks, "-");
  if (l->in_channels || l->out_channels)
    snprintf(ch, sizeof ch, "%lld>%lld", (long long)l->in_channels, (long long)l->out_channels);
  else
    snprintf(ch, sizeof ch, "-");
  printf("%4d  %-28.28s %-18.18s %-16s %-16s %-9s %-10s %8s %10lld %12lld\n", l->index, l->name, op,
         cli_dims(l->in_dims, l->ndim_in, in, sizeof in),
         cli_dims(l->out_dims, l->ndim_out, out, sizeof out), ks, ch,
         cli_human((double)l->macs, macs, sizeof macs), (long long)l->params,
         (long long)l->weight_bytes);
}

int cmd_info(int argc, char **argv) {
  static const struct option longopts[] = {
      {"no-optimize", no_argument, NULL, 'O'},
      {"shape", required_argument, NULL, 's'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case 'O': mo.no_optimize = 1; break;
    case 's':
      if ((rc = cli_add_shape("info", &mo, optarg)) != EXIT_OK) goto done;
      break;
    case 'h': usage(stdout); goto done;
    case ':':
      rc = cli_usage_error("info", "option '%s' needs an argument", argv[optind - 1]);
      goto done;
    default: rc = cli_usage_error("info", "unrecognized option '%s'", argv[optind - 1]); goto done;
    }
  }
  if (optind >= argc) {
    rc = cli_usage_error("info", "missing MODEL (a .onnx path or zoo:NAME)");
    goto done;
  }
  if (optind + 1 < argc) {
    rc = cli_usage_error("info", "unexpected argument '%s'", argv[optind + 1]);
    goto done;
  }
  const char *spec = argv[optind];
  dlf_load_options lo = {0};
  lo.no_optimize = mo.no_optimize;
  lo.bindings = mo.shapes;
  lo.num_bindings = mo.n_shapes;
  dlf_model *m;
  if (dlf_model_load(spec, &lo, &m) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  printf("%4s  %-28s %-18s %-16s %-16s %-9s %-10s %8s %10s %12s\n", "#", "name", "op", "input",
         "output", "kernel/s", "channels", "MACs", "params", "weight_B");
  dlf_layer_info l;
  for (int i = 0; i < dlf_model_num_layers(m); i++) {
    if (dlf_model_layer(m, i, &l) != DLF_OK) {
      rc = cli_fail();
      dlf_model_free(m);
      goto done;
    }
    print_layer(&l);
  }
  dlf_model_summary s;
  if (dlf_model_summarize(m, &s) != DLF_OK) {
    rc = cli_fail();
    dlf_model_free(m);
    goto done;
  }
  char name[256];
  printf("%s: %.2f GMACs, %.1f M params, peak activations %.1f MB\n",
         short_name(spec, name, sizeof name), (double)s.macs / 1e9, (double)s.params / 1e6,
         (double)s.act_peak_bytes / 1e6);
  printf("total: layers=%d macs=%lld params=%lld weight_bytes=%lld\n", s.layers, (long long)s.macs,
         (long long)s.params, (long long)s.weight_bytes);
  dlf_model_free(m);
done:
  cli_model_opts_free(&mo);
  return rc;
}
