/* cmd_profile.c — `dlfusion profile`: profile the synthesized layers on a target (the host CPU
 * or an accelerator file) and print/write the profile, or check an existing profile file. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: dlfusion profile [--target FILE|cpu] [--quick] [--runs N] [-o FILE]\n"
             "       dlfusion profile --check FILE [--target FILE|cpu]\n"
             "\n"
             "Profile a grid of synthesized layers (convs over operation count and channel\n"
             "size, depthwise convs, pools, fully connected layers) and fused pairs of 3x3\n"
             "convs against the same pair unfused, on every allowed core number of the\n"
             "target: the data DLFusion's cost model is fitted on. On the host CPU the\n"
             "layers run (medians of interleaved runs; under a minute on 2 cores, seconds\n"
             "with --quick); an accelerator is simulated. Prints one row per sample; the\n"
             "file format (-o) is described in docs/profile.md.\n"
             "\n"
             "  --target FILE|cpu  an accelerator description (targets/*.json) or 'cpu',\n"
             "                     this machine (default)\n"
             "  --quick            a small grid and 3 runs per sample (tests, CI)\n"
             "  --runs N           timed runs per CPU sample (default 7, fewer for large\n"
             "                     layers)\n"
             "  -o, --output FILE  write the profile as JSON\n"
             "  --check FILE       read a profile file and summarize it (with --target: also\n"
             "                     check it was made for that target)\n"
             "  --help             this text\n"
             "\n"
             "Exit status: 0 success, 1 a runtime error or an invalid profile (the message\n"
             "names the file, the sample and the field), 2 usage error.\n");
}

/* Far above any sane count; the library checks the real limit. */
#define MAX_RUNS 100000

/* "3x3/1 56x56x64->64" */
static const char *shape_str(const dlf_profile_sample *s, char *buf, size_t size) {
  if (!strcmp(s->op, "gemm"))
    snprintf(buf, size, "%" PRId64 "->%" PRId64, s->cin, s->cout);
  else
    snprintf(buf, size,
             "%" PRId64 "x%" PRId64 "/%" PRId64 " %" PRId64 "x%" PRId64 "x%" PRId64 "->%" PRId64,
             s->k, s->k, s->stride, s->h, s->w, s->cin, s->cout);
  return buf;
}

static void print_table(const dlf_profile *p) {
  printf("%-7s %-26s %5s %5s %12s %9s %12s %10s\n", "op", "shape", "fused", "cores", "us",
         "GFLOP/s", "us_unfused", "fused_gain");
  for (int i = 0; i < dlf_profile_num_samples(p); i++) {
    dlf_profile_sample s;
    char shape[96], gf[32] = "-", unf[32] = "-", gain[32] = "-";
    if (dlf_profile_get_sample(p, i, &s) != DLF_OK) continue;
    /* a pool's operation count is window visits, not multiply-adds: no GFLOP/s */
    if (strcmp(s.op, "pool") != 0 && s.us > 0)
      snprintf(gf, sizeof gf, "%.1f", 2.0 * s.macs * s.fused / (s.us * 1e3));
    if (s.fused > 1) {
      snprintf(unf, sizeof unf, "%.1f", s.us_unfused);
      if (s.us > 0) snprintf(gain, sizeof gain, "%.2fx", s.us_unfused / s.us);
    }
    printf("%-7s %-26s %5d %5d %12.1f %9s %12s %10s\n", s.op, shape_str(&s, shape, sizeof shape),
           s.fused, s.cores, s.us, gf, unf, gain);
  }
}

/* --check: a summary of a valid profile (the reader has checked every field). */
static void print_summary(const char *path, const dlf_profile *p) {
  dlf_profile_info in;
  dlf_profile_get_info(p, &in);
  int n = dlf_profile_num_samples(p), fused = 0, faster = 0, min_c = 0, max_c = 0;
  double total_us = 0;
  static const char *const ops[] = {"conv", "dwconv", "pool", "gemm"};
  int per_op[4] = {0};
  for (int i = 0; i < n; i++) {
    dlf_profile_sample s;
    if (dlf_profile_get_sample(p, i, &s) != DLF_OK) continue;
    for (int o = 0; o < 4; o++)
      per_op[o] += !strcmp(s.op, ops[o]);
    if (s.fused > 1) {
      fused++;
      faster += s.us < s.us_unfused;
    }
    if (!min_c || s.cores < min_c) min_c = s.cores;
    if (s.cores > max_c) max_c = s.cores;
    total_us += s.us;
  }
  printf("%s: a valid profile\n", path);
  printf("  target   %s (%s, fingerprint %016" PRIx64 ")\n", in.target_name, in.target_kind,
         in.target_fingerprint);
  printf("  machine  %s, isa %s\n", in.machine, in.isa);
  printf("  samples  %d: %d conv, %d dwconv, %d pool, %d gemm; cores %d to %d\n", n, per_op[0],
         per_op[1], per_op[2], per_op[3], min_c, max_c);
  printf("  fused    %d samples, faster than unfused in %d\n", fused, faster);
  printf("  blocks   %d synthesized blocks (runs of heterogeneous layers)\n",
         dlf_profile_num_blocks(p));
  printf("  time     %.1f us summed over samples\n", total_us);
}

int cmd_profile(int argc, char **argv) {
  static const struct option longopts[] = {
      {"target", required_argument, NULL, 't'},
      {"quick", no_argument, NULL, 'q'},
      {"runs", required_argument, NULL, 'r'},
      {"output", required_argument, NULL, 'o'},
      {"check", required_argument, NULL, 'c'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *target_arg = NULL, *out_path = NULL, *check_path = NULL;
  long long runs = 0;
  bool quick = false;
  dlf_target *t = NULL;
  dlf_profile *p = NULL;
  int c, rc = EXIT_OK;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
    switch (c) {
    case 't':
      if (!optarg[0]) return cli_usage_error("profile", "--target wants a file name or 'cpu'");
      target_arg = optarg;
      break;
    case 'q': quick = true; break;
    case 'r':
      if (!cli_parse_int(optarg, &runs) || runs < 1 || runs > MAX_RUNS)
        return cli_usage_error("profile", "--runs wants a number from 1 to %d, got '%s'", MAX_RUNS,
                               optarg);
      break;
    case 'o':
      if (cli_output_arg("profile", optarg, &out_path) != EXIT_OK) return EXIT_USAGE;
      break;
    case 'c':
      if (!optarg[0]) return cli_usage_error("profile", "--check wants a file name");
      check_path = optarg;
      break;
    case 'h': usage(stdout); return EXIT_OK;
    default: return cli_option_error("profile", c, argv);
    }
  }
  if (optind < argc) return cli_usage_error("profile", "unexpected argument '%s'", argv[optind]);
  if (check_path && (quick || runs || out_path))
    return cli_usage_error("profile", "--check reads a profile; it takes no --quick, --runs or -o");

  dlf_status st = target_arg && strcmp(target_arg, "cpu") != 0 ? dlf_target_load(target_arg, &t)
                                                               : dlf_target_host(0, &t);
  if (st != DLF_OK) goto fail;
  dlf_target_info ti;
  if (dlf_target_get_info(t, &ti) != DLF_OK) goto fail;

  if (check_path) {
    if (dlf_profile_load(check_path, &p) != DLF_OK) goto fail;
    dlf_profile_info pi;
    if (dlf_profile_get_info(p, &pi) != DLF_OK) goto fail;
    /* only an explicit --target is a claim to check against */
    if (target_arg && pi.target_fingerprint != ti.fingerprint) {
      fprintf(stderr,
              "dlfusion: %s: made for target '%s' (%s, fingerprint %016" PRIx64 "), not for "
              "'%s' (%s, fingerprint %016" PRIx64 ")\n",
              check_path, pi.target_name, pi.target_kind, pi.target_fingerprint, ti.name, ti.kind,
              ti.fingerprint);
      rc = EXIT_RUNTIME;
      goto done;
    }
    print_summary(check_path, p);
    goto done;
  }

  fprintf(stderr, "profiling target '%s' (%s) on core numbers", ti.name, ti.kind);
  for (int i = 0; i < ti.n_core_numbers; i++)
    fprintf(stderr, "%s%d", i ? ", " : " ", ti.core_numbers[i]);
  fprintf(stderr, "%s...\n", quick ? " (quick)" : "");
  double t0 = cli_now_ms();
  dlf_profile_options po = {.quick = quick, .runs = (int)runs};
  if (dlf_profile_run_options(t, &po, &p) != DLF_OK) goto fail;
  double secs = (cli_now_ms() - t0) / 1e3;
  dlf_profile_info pi;
  dlf_profile_get_info(p, &pi);
  printf("# target %s (%s, fingerprint %016" PRIx64 "), machine %s, isa %s\n", pi.target_name,
         pi.target_kind, pi.target_fingerprint, pi.machine, pi.isa);
  print_table(p);
  printf("# %d samples in %.1f s\n", dlf_profile_num_samples(p), secs);
  if (out_path) {
    if (dlf_profile_save(p, out_path) != DLF_OK) goto fail;
    printf("wrote %s\n", out_path);
  }
  goto done;
fail:
  rc = cli_fail();
done:
  dlf_profile_free(p);
  dlf_target_free(t);
  return rc;
}
