/*
 * NAME
 *	plot - SVG plot of a sweep
 * SUMMARY
 *	An 800x480 SVG: concurrency on a log2 x axis, parts/s on the left
 *	axis (blue line), p99 latency in ms on the right axis (red line),
 *	grid and tick labels, the p99 bound as a dashed red line and the
 *	recommended concurrency as a dashed grey vertical line.  Every
 *	element is plain SVG 1.1 (svg, title, rect, line, polyline, circle,
 *	text), no scripts or styles sheets, so any browser or XML parser
 *	reads it.
 */
#include "auto-config.h"

#include <math.h>
#include <stdio.h>

#include "tuning/plot.h"

#define PLOT_W 800
#define PLOT_H 480
#define PLOT_L 80	/* margins */
#define PLOT_R 80
#define PLOT_T 50
#define PLOT_B 60

double plot_nice_max(double v)
{
	static const double steps[] = {1, 2, 2.5, 5, 10};
	double mag;
	size_t i;

	if (!(v > 0))
		return 1;
	mag = pow(10, floor(log10(v)));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] * mag >= v)
			return steps[i] * mag;
	return 10 * mag;
}

/* plot_x - x pixel of concurrency C on a log2 axis from C0 to C1. */
static double plot_x(double c, double c0, double c1)
{
	double span = log2(c1) - log2(c0);

	return PLOT_L + (span > 0 ? (log2(c) - log2(c0)) / span : 0.5) * (PLOT_W - PLOT_L - PLOT_R);
}

/* plot_y - y pixel of V on an axis from 0 to MAX. */
static double plot_y(double v, double max)
{
	return PLOT_H - PLOT_B - (max > 0 ? v / max : 0) * (PLOT_H - PLOT_T - PLOT_B);
}

/* plot_escape - TEXT with XML's special characters escaped. */
static void plot_escape(FILE *fp, const char *text)
{
	for (; *text != '\0'; text++) {
		switch (*text) {
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '&': fputs("&amp;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default: fputc(*text, fp);
		}
	}
}

/* plot_series - one polyline with a circle per point. */
static void plot_series(FILE *fp, const struct plot_data *d, const double *v, double max,
			const char *color, const char *name)
{
	double c0 = d->conc[0], c1 = d->conc[d->n - 1];
	size_t i;

	fprintf(fp, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
		name, color);
	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s%.1f,%.1f", i ? " " : "", plot_x(d->conc[i], c0, c1), plot_y(v[i], max));
	fputs("\"/>\n", fp);
	for (i = 0; i < d->n; i++)
		fprintf(fp, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", name,
			plot_x(d->conc[i], c0, c1), plot_y(v[i], max), color);
}

/* plot_svg - see plot.h. */
int plot_svg(FILE *fp, const struct plot_data *d)
{
	double tmax = 0, lmax = 0, c0, c1;
	size_t i;
	int k;

	for (i = 0; i < d->n; i++) {
		if (d->tput[i] > tmax)
			tmax = d->tput[i];
		if (d->p99_ms[i] > lmax)
			lmax = d->p99_ms[i];
	}
	if (d->p99_max > lmax)
		lmax = d->p99_max;
	tmax = plot_nice_max(tmax * 1.05);
	lmax = plot_nice_max(lmax * 1.05);
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
		PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	plot_escape(fp, d->title);
	fprintf(fp, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", PLOT_W, PLOT_H);
	fprintf(fp, "<text x=\"%d\" y=\"25\" text-anchor=\"middle\" font-size=\"15\">", PLOT_W / 2);
	plot_escape(fp, d->title);
	fputs("</text>\n", fp);
	if (d->n == 0)
		return fputs("</svg>\n", fp) == EOF || ferror(fp) ? -1 : 0;
	c0 = d->conc[0];
	c1 = d->conc[d->n - 1];
	/* Horizontal grid with both axes' labels: five divisions. */
	for (k = 0; k <= 5; k++) {
		double y = plot_y(tmax * k / 5, tmax);

		fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
			PLOT_L, y, PLOT_W - PLOT_R, y);
		fprintf(fp, "<text class=\"ytick-left\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
			"fill=\"#1f5fbf\">%g</text>\n", PLOT_L - 6, y + 4, tmax * k / 5);
		fprintf(fp, "<text class=\"ytick-right\" x=\"%d\" y=\"%.1f\" fill=\"#c0392b\">%g</text>\n",
			PLOT_W - PLOT_R + 6, y + 4, lmax * k / 5);
	}
	/* Vertical ticks at every measured concurrency. */
	for (i = 0; i < d->n; i++) {
		double x = plot_x(d->conc[i], c0, c1);

		fprintf(fp, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n", x,
			PLOT_T, x, PLOT_H - PLOT_B);
		fprintf(fp, "<text class=\"xtick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
			x, PLOT_H - PLOT_B + 18, d->conc[i]);
	}
	fprintf(fp, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		PLOT_L, PLOT_H - PLOT_B, PLOT_W - PLOT_R, PLOT_H - PLOT_B);
	fprintf(fp, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f5fbf\"/>\n",
		PLOT_L, PLOT_T, PLOT_L, PLOT_H - PLOT_B);
	fprintf(fp, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c0392b\"/>\n",
		PLOT_W - PLOT_R, PLOT_T, PLOT_W - PLOT_R, PLOT_H - PLOT_B);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">concurrency (MTA jobs scanning "
		"at once, log2 scale)</text>\n", PLOT_W / 2, PLOT_H - 15);
	fprintf(fp, "<text x=\"20\" y=\"%d\" text-anchor=\"middle\" fill=\"#1f5fbf\" "
		"transform=\"rotate(-90 20 %d)\">throughput (parts/s)</text>\n", PLOT_H / 2, PLOT_H / 2);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#c0392b\" "
		"transform=\"rotate(90 %d %d)\">p99 latency (ms)</text>\n", PLOT_W - 20, PLOT_H / 2,
		PLOT_W - 20, PLOT_H / 2);
	if (d->p99_max > 0) {
		double y = plot_y(d->p99_max, lmax);

		fprintf(fp, "<line class=\"p99-bound\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#c0392b\" stroke-dasharray=\"6,4\"/>\n", PLOT_L, y, PLOT_W - PLOT_R, y);
	}
	if (d->rec_conc > 0) {
		double x = plot_x(d->rec_conc, c0, c1);

		fprintf(fp, "<line class=\"recommended\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#555\" stroke-dasharray=\"4,4\"/>\n", x, PLOT_T, x, PLOT_H - PLOT_B);
		fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">"
			"recommended: %d</text>\n", x, PLOT_T - 6, d->rec_conc);
	}
	plot_series(fp, d, d->tput, tmax, "#1f5fbf", "throughput");
	plot_series(fp, d, d->p99_ms, lmax, "#c0392b", "p99");
	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"#1f5fbf\"/>"
		"<text x=\"%d\" y=\"%d\">throughput</text>\n", PLOT_L + 10, PLOT_T + 6, PLOT_L + 26,
		PLOT_T + 11);
	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"#c0392b\"/>"
		"<text x=\"%d\" y=\"%d\">p99 latency</text>\n", PLOT_L + 10, PLOT_T + 22, PLOT_L + 26,
		PLOT_T + 27);
	fputs("</svg>\n", fp);
	return ferror(fp) ? -1 : 0;
}
