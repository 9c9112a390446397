/* cmd_target.c — `dlfusion target [FILE|cpu]`: check a target description and show it: cores,
 * allowed core numbers, the accelerator model's parameters and what it predicts for one conv. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion target [FILE|cpu] [--cores N] [--json]\n"
             "\n"
             "Read a target and print it: its name, kind, cores, allowed core numbers and\n"
             "fingerprint; for an accelerator, the latency model's parameters and the\n"
             "simulated time of a 3x3 convolution (56x56x64 -> 64) at each allowed core\n"
             "number. FILE is a target description (JSON, docs/targets.md; e.g.\n"
             "targets/mlu100.json); 'cpu' (the default) is this machine.\n"
             "\n"
             "  --cores N  the cpu target's cores (0 = all this process may use; default 0)\n"
             "  --json     print the target as JSON instead (the format FILE is in)\n"
             "  --help     this text\n"
             "\n"
             "Exit status: 0 the target is valid, 1 it is not (the message names the file\n"
             "and the field), 2 usage error.\n");
}

/* Far above any core count; the library checks the real limit. */
#define MAX_CORES 4096

/* The example layer: a ResNet-style 3x3 conv, stride 1, pad 1, batch 1, on a 56x56x64 input
 * (float32 bytes, as dlfusion's layer table counts them). */
static dlf_layer_info example_conv(void) {
  const int64_t h = 56, w = 56, c = 64, k = 3;
  dlf_layer_info li;
  memset(&li, 0, sizeof li);
  li.name = "conv3x3";
  li.op = "Conv";
  li.epilogue = "relu";
  li.ndim_in = li.ndim_out = 4;
  const int64_t dims[4] = {1, c, h, w};
  memcpy(li.in_dims, dims, sizeof dims);
  memcpy(li.out_dims, dims, sizeof dims);
  li.kernel_h = li.kernel_w = k;
  li.stride_h = li.stride_w = li.groups = 1;
  li.in_channels = li.out_channels = c;
  li.macs = h * w * c * c * k * k;
  li.params = c * c * k * k + c;
  li.weight_bytes = li.params * 4;
  li.act_in_bytes = li.act_out_bytes = h * w * c * 4;
  return li;
}

static void print_model(const dlf_target_info *in, const dlf_target *t) {
  char b1[32];
  printf("model (docs/targets.md):\n");
  printf("  clock_ghz              %g\n", in->clock_ghz);
  printf("  peak_gflops_per_core   %g (%g GFLOP/s on all %d cores)\n", in->peak_gflops_per_core,
         in->peak_gflops_per_core * in->cores, in->cores);
  printf("  lanes                  %d\n", in->lanes);
  printf("  onchip_bytes_per_core  %" PRId64 " (%.1f KiB; %.1f MiB on all cores)\n",
         in->onchip_bytes_per_core, in->onchip_bytes_per_core / 1024.0,
         (double)in->onchip_bytes_per_core * in->cores / (1024.0 * 1024.0));
  printf("  dram                   %d channels x %g GB/s, %d cores per channel\n",
         in->dram_channels, in->dram_gbps_per_channel, in->cores_per_channel);
  printf("  launch_us              %g per kernel\n", in->launch_us);
  printf("  sync                   %g + %g * log2(k) us per layer for k > 1\n", in->sync_base_us,
         in->sync_per_log2_us);

  dlf_layer_info conv = example_conv();
  printf("\nsimulated 3x3 conv 56x56x64 -> 64 (%s MACs, float32 bytes):\n",
         cli_human((double)conv.macs, b1, sizeof b1) /* ends in M */);
  printf("  %5s  %9s  %8s  %8s  %10s  %8s  %10s\n", "cores", "total_us", "launch", "sync",
         "compute", "dram", "dram_bytes");
  for (int i = 0; i < in->n_core_numbers; i++) {
    dlf_block_time bt;
    if (dlf_target_block_time(t, &conv, 1, in->core_numbers[i], &bt) != DLF_OK) {
      printf("  %5d  (%s)\n", in->core_numbers[i], dlf_last_error());
      continue;
    }
    printf("  %5d  %9.2f  %8.2f  %8.2f  %10.2f  %8.2f  %10" PRId64 "\n", in->core_numbers[i],
           bt.total_us, bt.launch_us, bt.sync_us, bt.compute_us, bt.dram_us, bt.dram_bytes);
  }
}

int cmd_target(int argc, char **argv) {
  static const struct option longopts[] = {
      {"cores", required_argument, NULL, 'c'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  long long cores = 0;
  bool json = false, cores_given = false;
  dlf_target *t = NULL;
  char *text = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    switch (c) {
    case 'c':
      if (!cli_parse_int(optarg, &cores) || cores > MAX_CORES)
        return cli_usage_error("target", "--cores wants a number (0 = all cores), got '%s'",
                               optarg);
      cores_given = true;
      break;
    case 'j': json = true; break;
    case 'h': usage(stdout); return EXIT_OK;
    default: return cli_option_error("target", c, argv);
    }
  }
  if (argc - optind > 1)
    return cli_usage_error("target", "one target at a time, got '%s' and '%s'", argv[optind],
                           argv[optind + 1]);
  const char *spec = optind < argc ? argv[optind] : "cpu";
  if (!spec[0]) return cli_usage_error("target", "the target is an empty string");
  bool host = strcmp(spec, "cpu") == 0;
  if (cores_given && !host)
    return cli_usage_error("target", "--cores is for the cpu target (a file lists its cores)");
  if ((host ? dlf_target_host((int)cores, &t) : dlf_target_load(spec, &t)) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  if (json) {
    if (!(text = dlf_target_to_json(t))) {
      rc = cli_fail();
      goto done;
    }
    fputs(text, stdout);
    goto done;
  }
  dlf_target_info in;
  if (dlf_target_get_info(t, &in) != DLF_OK) {
    rc = cli_fail();
    goto done;
  }
  printf("target: %s (%s)%s%s\n", in.name, in.kind, host ? "" : ", file ", host ? "" : spec);
  printf("cores: %d; allowed core numbers:", in.cores);
  for (int i = 0; i < in.n_core_numbers; i++)
    printf(" %d", in.core_numbers[i]);
  printf("\nfingerprint: %016" PRIx64 "\n", in.fingerprint);
  if (strcmp(in.kind, "accelerator") == 0)
    print_model(&in, t);
  else
    printf("times are measured by running the engine on this machine (dlfusion bench)\n");
done:
  if (fflush(stdout) != 0 && rc == EXIT_OK) {
    fprintf(stderr, "dlfusion: cannot write to standard output\n");
    rc = EXIT_RUNTIME;
  }
  free(text);
  dlf_target_free(t);
  return rc;
}
