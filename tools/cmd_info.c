/* cmd_info.c — `dlfusion info MODEL`: the layer table of a model (shapes, kernel,
 * channels, MACs, parameters, bytes), its memory and totals; with --plan, the plan's blocks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion info MODEL [--no-optimize] [--shape NAME=DIMS]... [--plan FILE]\n"
             "\n"
             "Print the model's layers (after graph passes), its activation memory and totals.\n"
             "The last two lines are machine-readable:\n"
             "  memory: peak_bytes=N largest_layer_io_bytes=N ratio=R (layer 'NAME')\n"
             "  total: layers=N macs=N params=N weight_bytes=N\n"
             "peak_bytes is the planned activation arena (with --plan: the session's arena +\n"
             "scratch), largest_layer_io_bytes the largest input + output of one layer.\n"
             "\n"
             "  --no-optimize      show the graph as imported (no BN folding or fusion)\n"
             "  --shape NAME=DIMS  fix an input's shape, e.g. --shape input=2x3x224x224\n"
             "  --max-tensor-bytes N[K|M|G]  largest tensor the model may declare\n"
             "                     (default: $DLF_MAX_TENSOR_BYTES, else 16G)\n"
             "  --plan FILE        also print the plan's blocks: layers, cores, tile rows,\n"
             "                     algorithms, and the memory a session with it holds\n"
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

/* The plan's blocks, then the memory a session running it holds next to the unfused
 * arena; *peak receives the session's arena + scratch. */
static int print_plan(const dlf_model *m, const char *path, const dlf_plan *p,
                      const dlf_model_summary *sum, int64_t *peak) {
  dlf_session *s = NULL;
  int rc = EXIT_OK;
  int nb = dlf_plan_num_blocks(p), fused = 0;
  dlf_session_options so = {.engine = DLF_ENGINE_DEFAULT, .threads = 0, .plan = p};
  dlf_session_memory mem;
  if (dlf_session_create(m, &so, &s) != DLF_OK || dlf_session_memory_usage(s, &mem) != DLF_OK)
    return cli_fail();
  printf("\nplan %s:\n", path);
  printf("%4s  %-40s %3s %5s %5s %6s %9s %9s %9s %8s %6s  %s\n", "#", "layers (first..last)",
         "n", "cores", "tile", "tiles", "dram_B", "cache_B", "saved_B", "scratch", "recomp",
         "algorithms");
  for (int b = 0; b < nb; b++) {
    dlf_block_info bi;
    dlf_block_stats st;
    if (dlf_plan_block(p, b, &bi) != DLF_OK || dlf_session_block_stats(s, b, &st) != DLF_OK) {
      rc = cli_fail();
      goto out;
    }
    fused += bi.num_layers > 1;
    char names[128], tile[16], dram[24], cache[24], saved[24], scratch[24];
    cli_human((double)(st.dram_read_bytes + st.dram_write_bytes), dram, sizeof dram);
    cli_human((double)st.cache_bytes, cache, sizeof cache);
    cli_human((double)st.saved_bytes, saved, sizeof saved);
    cli_human((double)st.scratch_bytes, scratch, sizeof scratch);
    if (bi.tile_rows > 0)
      snprintf(tile, sizeof tile, "%d", bi.tile_rows);
    else
      snprintf(tile, sizeof tile, "auto");
    printf("%4d  %-40.40s %3d %5d %5s %6lld %9s %9s %9s %8s %6.2f  ", b,
           cli_block_layers(m, &bi, names, sizeof names), bi.num_layers, bi.cores, tile,
           (long long)st.tiles, dram, cache, saved, scratch, st.recompute);
    for (int l = 0; l < bi.num_layers; l++)
      printf("%s%s", l ? "," : "", bi.algorithms[l]);
    printf("%s\n", st.scratch_bytes > st.l2_bytes / 2 && st.l2_bytes > 0 ? "  (scratch > L2/2)"
                                                                          : "");
  }
  printf("blocks: %d (%d fused); dram_B = activations read from outside the block + packed "
         "weights + tensors written in full; cache_B = intermediate rows written and read in "
         "tile scratch; saved_B = DRAM traffic of the intermediates fusion keeps out of memory; "
         "recomp = work with halo rows / work unfused\n",
         nb, fused);
  *peak = mem.arena_bytes + mem.scratch_bytes;
  printf("activation memory with the plan: arena %lld B + scratch %lld B = %lld B; unfused "
         "arena %lld B\n",
         (long long)mem.arena_bytes, (long long)mem.scratch_bytes, (long long)*peak,
         (long long)sum->act_peak_bytes);
out:
  dlf_session_free(s);
  return rc;
}

int cmd_info(int argc, char **argv) {
  static const struct option longopts[] = {
      CLI_MODEL_LONGOPTS,
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  cli_model_opts mo = {0};
  dlf_model *m = NULL;
  dlf_plan *plan = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((rc = cli_model_option("info", &mo, c, optarg)) != CLI_NOT_MINE) {
      if (rc != EXIT_OK) goto done;
      continue;
    }
    if (c == 'h') {
      usage(stdout);
      rc = EXIT_OK;
      goto done;
    }
    rc = cli_option_error("info", c, argv);
    goto done;
  }
  if ((rc = cli_one_model("info", argc, argv)) != EXIT_OK) goto done;
  const char *spec = argv[optind];
  dlf_load_options lo;
  cli_load_options(&mo, &lo);
  if (dlf_model_load(spec, &lo, &m) != DLF_OK) goto fail;
  /* the plan is checked before anything is printed */
  if (mo.plan_path && (rc = cli_plan_load(m, mo.plan_path, &plan)) != EXIT_OK) goto done;
  printf("%4s  %-28s %-18s %-16s %-16s %-9s %-10s %8s %10s %12s\n", "#", "name", "op", "input",
         "output", "kernel/s", "channels", "MACs", "params", "weight_B");
  dlf_layer_info l;
  for (int i = 0; i < dlf_model_num_layers(m); i++) {
    if (dlf_model_layer(m, i, &l) != DLF_OK) goto fail;
    print_layer(&l);
  }
  dlf_model_summary s;
  if (dlf_model_summarize(m, &s) != DLF_OK) goto fail;
  int64_t peak = s.act_peak_bytes;
  if (plan && (rc = print_plan(m, mo.plan_path, plan, &s, &peak)) != EXIT_OK) goto done;
  char name[256];
  printf("%s: %.2f GMACs, %.1f M params, peak activations %.1f MB\n",
         short_name(spec, name, sizeof name), (double)s.macs / 1e9, (double)s.params / 1e6,
         (double)s.act_peak_bytes / 1e6);
  if ((rc = cli_print_memory_line(m, peak)) != EXIT_OK) goto done;
  printf("total: layers=%d macs=%lld params=%lld weight_bytes=%lld\n", s.layers, (long long)s.macs,
         (long long)s.params, (long long)s.weight_bytes);
  goto done;
fail:
  rc = cli_fail();
done:
  dlf_plan_free(plan);
  dlf_model_free(m);
  cli_model_opts_free(&mo);
  return rc;
}
