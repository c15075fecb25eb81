/*
 * sweep.h - load a scanner at rising concurrency and recommend MTA job
 * counts; the CSV it writes is read back by "plan".
 */
#ifndef MX_SWEEP_H
#define MX_SWEEP_H

#include <stddef.h>

/* One step of a sweep as kept in the CSV (the columns plan needs). */
struct sweep_row {
	int conc;
	double pps, mbps, p50_ms, p95_ms, p99_ms, mean_ms;
	unsigned long long errors;
};

/* The CSV header line (without the newline). */
extern const char sweep_csv_header[];

/*
 * sweep_csv_read - the rows of a sweep CSV at PATH (columns found by
 * name); *ROWS is allocated (free it).  0 or -1 with *error_r.
 */
int sweep_csv_read(const char *path, struct sweep_row **rows, size_t *n, const char **error_r);

/* sweep_print_jobs - the MTA settings for CONC concurrent jobs. */
void sweep_print_jobs(FILE *fp, int conc);

/* sweep_main - "mxscan-tune sweep". */
int sweep_main(int argc, char **argv);

#endif
