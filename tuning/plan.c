/*
 * NAME
 *	plan - peak load against measured capacity (Erlang C)
 * SUMMARY
 *	The peak arrival rate of parts is messages/day x parts/message /
 *	86400 x peak factor.  Each MTA job is a server; its service time
 *	comes from a sweep CSV (so a job count beyond the host's knee buys
 *	no capacity: the time per part grows) or from --service-ms (a fixed
 *	time, independent servers).  For each job count the M/M/c model
 *	gives the probability of waiting, the mean and 95th-percentile queue
 *	wait and the mean queue length; the verdict is the fewest jobs whose
 *	utilisation and mean wait stay within the bounds and whose response
 *	time is within 10% of the best such count, or, when none is within
 *	the bounds, how many hosts share the peak.
 */
#include "auto-config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tuning/erlang.h"
#include "tuning/knee.h"
#include "tuning/plan.h"
#include "tuning/procstat.h"
#include "tuning/tune.h"

static int plan_cmp_row(const void *a, const void *b)
{
	return ((const struct sweep_row *)a)->conc - ((const struct sweep_row *)b)->conc;
}

/* plan_service_s - see plan.h. */
double plan_service_s(const struct sweep_row *rows, size_t n, int c)
{
	double x;
	size_t i;

	if (n == 0)
		return NAN;
	if (c <= rows[0].conc)
		x = rows[0].pps * c / rows[0].conc;
	else if (c >= rows[n - 1].conc)
		x = rows[n - 1].pps;
	else {
		for (i = 1; i < n && rows[i].conc < c; i++)
			;
		x = rows[i - 1].pps + (rows[i].pps - rows[i - 1].pps) *
			(c - rows[i - 1].conc) / (double)(rows[i].conc - rows[i - 1].conc);
	}
	return x > 0 ? c / x : INFINITY;
}

/* A model of one host: service time per job count up to MAX jobs. */
struct plan_host {
	const struct sweep_row *rows;
	size_t n;
	double service_s;	/* --service-ms, when no rows */
	int max_jobs;
};

static double plan_s(const struct plan_host *h, int c)
{
	return h->rows != NULL ? plan_service_s(h->rows, h->n, c) : h->service_s;
}

/* plan_capacity - the highest parts/s of the host and the job count giving it. */
static double plan_capacity(const struct plan_host *h, int *at)
{
	double best = 0;
	int c;

	*at = 1;
	for (c = 1; c <= h->max_jobs; c++) {
		double x = c / plan_s(h, c);

		if (x > best * 1.0000001) {
			best = x;
			*at = c;
		}
	}
	return best;
}

/*
 * plan_fit - the job count for LAMBDA: among the counts whose utilisation
 * and mean wait are within the bounds, the fewest whose mean response
 * time (wait + service) is within 10% of the best of them; -1 if none is
 * within the bounds.  On a sweep the best is near the host's knee (more
 * jobs only slow each other down); with a fixed service time, where more
 * jobs never hurt, it stops adding jobs that gain less than 10%.
 */
static int plan_fit(const struct plan_host *h, double lambda, double max_util, double max_wait_s)
{
	double best = INFINITY;
	int c;

	for (int pass = 0; pass < 2; pass++)
		for (c = 1; c <= h->max_jobs; c++) {
			double s = plan_s(h, c), wq = erlang_wq(c, lambda, 1 / s);

			if (lambda * s / c > max_util || wq > max_wait_s)
				continue;
			if (pass == 0 && wq + s < best)
				best = wq + s;
			else if (pass == 1 && wq + s <= best * 1.1)
				return c;
		}
	return -1;
}

static void plan_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-tune plan --messages-per-day N [options] (--from CSV | --service-ms MS)\n"
		"Model the peak with M/M/c (Erlang C): MTA jobs are the servers.\n\n"
		"  -m, --messages-per-day N   messages a day (required)\n"
		"  -f, --peak-factor F        peak rate / average rate (default 3)\n"
		"  -P, --parts-per-message P  scanned parts per message (default 2)\n"
		"      --from CSV             service times from a sweep CSV (per job count)\n"
		"      --service-ms MS        or a fixed service time per part and job\n"
		"  -j, --max-jobs N           highest job count modelled (default: the sweep's\n"
		"                             highest concurrency; with --service-ms 32)\n"
		"      --max-util U           utilisation bound of a plan (default 0.8)\n"
		"      --max-wait-ms MS       mean queue wait bound of a plan (default 1000)\n"
		"  -h, --help                 this help\n");
}

/* plan_main - "mxscan-tune plan". */
int plan_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"messages-per-day", required_argument, NULL, 'm'},
		{"peak-factor", required_argument, NULL, 'f'},
		{"parts-per-message", required_argument, NULL, 'P'},
		{"from", required_argument, NULL, 'F'},
		{"service-ms", required_argument, NULL, 'S'},
		{"max-jobs", required_argument, NULL, 'j'},
		{"max-util", required_argument, NULL, 'u'},
		{"max-wait-ms", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double per_day = -1, peak = 3, parts = 2, service_ms = -1, max_util = 0.8, max_wait_ms = 1000;
	double lambda, cap, s;
	const char *from = NULL, *why;
	struct sweep_row *rows = NULL;
	struct plan_host h = {0};
	size_t n = 0;
	int opt, max_jobs = 0, c, fit, cap_at, hosts;

	while ((opt = getopt_long(argc, argv, "m:f:P:j:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': per_day = tune_number("--messages-per-day", optarg, 0, 1e12); break;
		case 'f': peak = tune_number("--peak-factor", optarg, 1, 1e6); break;
		case 'P': parts = tune_number("--parts-per-message", optarg, 0.01, 1e6); break;
		case 'F': from = optarg; break;
		case 'S': service_ms = tune_number("--service-ms", optarg, 0.001, 1e9); break;
		case 'j': max_jobs = (int)tune_number("--max-jobs", optarg, 1, 10000); break;
		case 'u': max_util = tune_number("--max-util", optarg, 0.01, 0.999); break;
		case 'w': max_wait_ms = tune_number("--max-wait-ms", optarg, 0, 1e9); break;
		case 'h': plan_usage(stdout); return 0;
		default: plan_usage(stderr); return 2;
		}
	}
	if (optind != argc || per_day < 0 || (from == NULL) == (service_ms < 0)) {
		fprintf(stderr, "mxscan-tune plan: %s\n", optind != argc ? "unexpected argument"
			: per_day < 0 ? "--messages-per-day is required"
			: "give exactly one of --from CSV and --service-ms MS");
		plan_usage(stderr);
		return 2;
	}
	if (from != NULL) {
		if (sweep_csv_read(from, &rows, &n, &why) < 0)
			tune_fatal("%s", why);
		qsort(rows, n, sizeof(*rows), plan_cmp_row);
		h.rows = rows;
		h.n = n;
		h.max_jobs = max_jobs > 0 ? max_jobs : rows[n - 1].conc;
	} else {
		h.service_s = service_ms / 1000;
		h.max_jobs = max_jobs > 0 ? max_jobs : 32;
	}
	lambda = per_day * parts / 86400.0 * peak;
	cap = plan_capacity(&h, &cap_at);
	printf("peak load: %.0f messages/day x %g parts x peak factor %g = %.2f parts/s "
	       "(average %.2f)\n", per_day, parts, peak, lambda, lambda / peak);
	if (from != NULL) {
		struct knee_point *kp = xcalloc(n, sizeof(*kp));
		struct knee_result kr;
		size_t i;

		for (i = 0; i < n; i++) {
			kp[i].conc = rows[i].conc;
			kp[i].tput = rows[i].pps;
			kp[i].p99_ms = rows[i].p99_ms;
			kp[i].errors = rows[i].errors;
		}
		knee_pick(kp, n, 0.95, 0, &kr);
		printf("service times from %s: %zu steps, concurrency %d..%d; peak %.2f parts/s; "
		       "95%% of it from concurrency %d\n", from, n, rows[0].conc, rows[n - 1].conc,
		       kr.peak, kr.conc);
		free(kp);
	} else
		printf("fixed service time %g ms per part and job (independent jobs)\n", service_ms);
	printf("host capacity: %.2f parts/s (at %d jobs); at utilisation %.0f%%: %.2f parts/s, "
	       "%.0f messages/day at this peak factor\n\n", cap, cap_at, max_util * 100,
	       cap * max_util, cap * max_util * 86400 / parts / peak);
	printf("%5s %10s %8s %7s %10s %12s %12s %10s %12s\n", "jobs", "service_ms", "load_erl",
	       "util", "P(wait)", "mean_wait_ms", "p95_wait_ms", "queue_len", "response_ms");
	for (c = 1; c <= h.max_jobs; c++) {
		double mu, a, wq;

		s = plan_s(&h, c);
		mu = 1 / s;
		a = lambda * s;
		wq = erlang_wq(c, lambda, mu);
		if (isinf(wq)) {
			printf("%5d %10.1f %8.2f %6.0f%% %10s %12s %12s %10s %12s\n", c, s * 1000, a,
			       a / c * 100, "1", "overload", "overload", "grows", "-");
			continue;
		}
		printf("%5d %10.1f %8.2f %6.0f%% %10.4f %12.1f %12.1f %10.2f %12.1f\n", c, s * 1000, a,
		       a / c * 100, erlang_c(c, a), wq * 1000,
		       erlang_wait_quantile(c, lambda, mu, 0.95) * 1000, erlang_lq(c, lambda, mu),
		       (wq + s) * 1000);
	}
	fit = plan_fit(&h, lambda, max_util, max_wait_ms / 1000);
	printf("\n(load_erl = offered load in erlangs = busy jobs on average; queue_len = parts\n"
	       " waiting for a job on average; response = queue wait + scan)\n");
	if (fit > 0) {
		s = plan_s(&h, fit);
		printf("verdict: this host carries the peak with %d jobs: utilisation %.0f%%, "
		       "P(wait) %.3f, mean wait %.1f ms, %.2f parts queued on average\n", fit,
		       lambda * s / fit * 100, erlang_c(fit, lambda * s),
		       erlang_wq(fit, lambda, 1 / s) * 1000, erlang_lq(fit, lambda, 1 / s));
		hosts = 1;
		sweep_print_jobs(stdout, fit);
	} else {
		int per;

		hosts = cap > 0 ? (int)ceil(lambda / (cap * max_util)) : 0;
		if (hosts < 2)
			hosts = 2;
		/* More hosts until each one's share fits the bounds. */
		while ((per = plan_fit(&h, lambda / hosts, max_util, max_wait_ms / 1000)) < 0 &&
		       hosts < 100000)
			hosts++;
		printf("verdict: this host does NOT carry the peak (%.2f parts/s needed, %.2f at "
		       "%.0f%% utilisation); %d hosts do, each with %d jobs at %.2f parts/s\n",
		       lambda, cap * max_util, max_util * 100, hosts, per, lambda / hosts);
		fit = per;
		sweep_print_jobs(stdout, per);
	}
	printf("plan: lambda_pps=%.3f capacity_pps=%.3f carries=%s jobs=%d hosts=%d\n", lambda, cap,
	       hosts == 1 ? "yes" : "no", fit, hosts);
	free(rows);
	return 0;
}
