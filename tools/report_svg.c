/* report_svg.c — the small SVG vocabulary of `dlfusion report` (report.h): escaping text for
 * HTML, cutting labels to the width they are given, and horizontal grouped bar charts. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

void report_esc(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default:
      if ((unsigned char)*s >= 0x20) fputc(*s, f);
    }
  }
}

/* At most n characters of s escaped, with an ellipsis where cut: a box holds a fixed number
 * of characters, so labels never run into their neighbours. tail: keep the end (exported
 * names are paths, /features/denseblock1/denselayer3/conv2/Conv: the end tells them apart). */
void report_esc_cut(FILE *f, const char *s, size_t n, bool tail) {
  char buf[128];
  size_t len = strlen(s);
  if (len <= n) {
    report_esc(f, s);
    return;
  }
  if (n > sizeof buf - 1) n = sizeof buf - 1;
  if (tail) {
    fputs("\xe2\x80\xa6", f);
    report_esc(f, s + len - (n - 1));
    return;
  }
  memcpy(buf, s, n - 1);
  buf[n - 1] = '\0';
  report_esc(f, buf);
  fputs("\xe2\x80\xa6", f);
}
static double maxd(const double *v, int n) {
  double m = 0;
  for (int i = 0; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

/* A "nice" axis step (1, 2 or 5 times a power of ten) for about `ticks` ticks up to hi. */
static double nice_step(double hi, int ticks) {
  double raw = hi / ticks, p = pow(10, floor(log10(raw > 0 ? raw : 1)));
  double r = raw / p;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * p;
}

/* Horizontal grouped bars: rows[i] with values a[i] (predicted) and b[i] (actual); x axis
 * labelled `unit`. Labels are at most 14 characters, rows 14 px apart. */
void report_bar_chart(FILE *f, const char *title, const char *unit, int n,
                      const char *const *labels, const double *a, const char *a_name,
                      const double *b, const char *b_name) {
  const int left = 110, width = 560, row = b ? 16 : 12, top = 40;
  double hi = fmax(maxd(a, n), b ? maxd(b, n) : 0);
  if (hi <= 0) hi = 1;
  const double step = nice_step(hi, 5);
  hi = ceil(hi / step) * step;
  const int h = top + n * row + 50;
  fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
          left + width + 40, h);
  report_esc(f, title);
  fprintf(f, "\"><text x=\"%d\" y=\"16\" class=\"ttl\">", left);
  report_esc(f, title);
  fprintf(f, "</text>");
  /* legend */
  fprintf(f,
          "<rect x=\"%d\" y=\"24\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" "
          "y=\"33\">%s</text>",
          left, REPORT_COL_PRED, left + 14, a_name);
  if (b)
    fprintf(f,
            "<rect x=\"%d\" y=\"24\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" "
            "y=\"33\">%s</text>",
            left + 200, REPORT_COL_MEAS, left + 214, b_name);
  for (double v = 0; v <= hi + step / 2; v += step) {
    const double x = left + v / hi * width;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>", x, top, x,
            top + n * row);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>", x, top + n * row + 14,
            v);
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", left + width / 2,
          top + n * row + 32, unit);
  for (int i = 0; i < n; i++) {
    const int y = top + i * row;
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, y + row - 4);
    report_esc_cut(f, labels[i], 16, false);
    fprintf(f, "</text>");
    const int bh = b ? (row - 4) / 2 : row - 3;
    if (a[i] >= 0)
      fprintf(f,
              "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s "
              "%.1f</title></rect>",
              left, y + 1, a[i] / hi * width, bh, REPORT_COL_PRED, a_name, a[i]);
    if (b && b[i] >= 0)
      fprintf(f,
              "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s "
              "%.1f</title></rect>",
              left, y + 1 + bh, b[i] / hi * width, bh, REPORT_COL_MEAS, b_name, b[i]);
  }
  fprintf(f, "</svg>\n");
}
