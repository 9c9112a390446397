/* report.h — the parts of `dlfusion report` outside cmd_report.c: the palette, the SVG helpers
 * (report_svg.c), the characterization figures and the timeline (report_figs.c). */
#ifndef DLF_TOOLS_REPORT_H
#define DLF_TOOLS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "dlfusion.h"

/* Okabe-Ito: distinguishable with every common colour-vision deficiency. */
#define REPORT_N_PALETTE 7
extern const char *const report_palette[REPORT_N_PALETTE];

/* Predicted bars are blue, measured / simulated ones vermillion (Okabe-Ito). */
#define REPORT_COL_PRED "#0072B2"
#define REPORT_COL_MEAS "#D55E00"

/* s as HTML text (<, >, &, quotes escaped; control characters dropped). */
void report_esc(FILE *f, const char *s);
/* At most n characters of s escaped, an ellipsis where cut; tail: keep the end (exported
 * names are paths whose end tells them apart). */
void report_esc_cut(FILE *f, const char *s, size_t n, bool tail);
/* Horizontal bars, one row per label: a[i] (blue, a_name) and, when b != NULL, b[i]
 * (vermillion, b_name) beside it; negative values are not drawn; the x axis from 0 in
 * `unit`, with a legend. Labels are cut to 16 characters. */
void report_bar_chart(FILE *f, const char *title, const char *unit, int n,
                      const char *const *labels, const double *a, const char *a_name,
                      const double *b, const char *b_name);

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
