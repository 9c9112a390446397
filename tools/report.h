/* report.h — what cmd_report.c shares with the figures of report_figs.c: the palette and the
 * characterization figures drawn from a target profile. */
#ifndef DLF_TOOLS_REPORT_H
#define DLF_TOOLS_REPORT_H

#include <stdio.h>

#include "dlfusion.h"

/* Okabe-Ito: distinguishable with every common colour-vision deficiency. */
#define REPORT_N_PALETTE 7
extern const char *const report_palette[REPORT_N_PALETTE];

/* The DLFusion study's two characterization figures from the profile's samples, as inline
 * SVG into f: speedup against core number by operation count (single convs), and fusion
 * benefit (unfused over fused time of the fused pairs) against channel size, per core number.
 * With csv_dir, also their numbers as characterization_speedup.csv and
 * characterization_fusion.csv there. EXIT_OK or EXIT_RUNTIME (printed). */
int report_characterization(FILE *f, const dlf_profile *p, const char *csv_dir);

/* An accelerator plan's timeline as inline SVG: blocks one after another in time (their
 * simulated microseconds, block_us), each as tall as the cores it runs on, split into its
 * launch, its barrier (synchronisation) and compute / DRAM in the proportions
 * dlf_target_block_time gives for its layers. EXIT_OK or EXIT_RUNTIME (printed). */
int report_timeline(FILE *f, const dlf_model *m, const dlf_target *t, const dlf_plan *p,
                    const double *block_us);

#endif
