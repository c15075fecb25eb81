/*
 * NAME
 *	sweep - throughput and latency of a scanner per concurrency
 * SUMMARY
 *	For each concurrency step the load engine runs for a fixed time with
 *	freshly generated parts (unique, so no verdict cache helps), after a
 *	short warm-up.  Each step records parts/s, MB/s, latency percentiles,
 *	errors, the scanner's user and system CPU (when it runs here) and the
 *	host's CPU split.  The knee picker turns the steps into one
 *	concurrency, printed as imta.cnf maxjobs, job_controller.cnf
 *	job_limit, Postfix master.cf maxproc and scand_threads; a CSV and an
 *	SVG plot keep the data.
 * DIAGNOSTICS
 *	Exit 0 when the sweep ran (errors are reported in the table and the
 *	CSV), 1 when no step got an answer, 2 on usage or set-up errors.
 */
#include "auto-config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/config.h"
#include "common/xalloc.h"
#include "tuning/corpus.h"
#include "tuning/knee.h"
#include "tuning/load.h"
#include "tuning/plot.h"
#include "tuning/procstat.h"
#include "tuning/sweep.h"
#include "tuning/tune.h"

const char sweep_csv_header[] =
	"concurrency,requests,ok,found,errors,wrong,seconds,parts_per_s,mb_per_s,p50_ms,p95_ms,"
	"p99_ms,mean_ms,scanner_user_pct,scanner_sys_pct,host_user_pct,host_sys_pct,host_idle_pct,"
	"client_cpu_pct";

/* sweep_print_jobs - the MTA and daemon settings for CONC jobs. */
void sweep_print_jobs(FILE *fp, int conc)
{
	fprintf(fp,
		"  Sun ONE / Oracle Messaging Server (conversion channel, one part per job at a time):\n"
		"    imta.cnf            conversion pool CONV_POOL maxjobs %d\n"
		"    job_controller.cnf  [POOL=CONV_POOL]\n"
		"                        job_limit=%d\n"
		"  Postfix (after-queue content filter):\n"
		"    master.cf           scan      unix  -       -       n       -       %d      smtp\n"
		"                        (maxproc of the filter transport; the filter accepts as many)\n"
		"  mxscand (mxscan.conf):\n"
		"    scand_threads = %d  (one scan thread per MTA job: none waits in the daemon;\n"
		"                         add the jobs of every MTA that shares this daemon)\n",
		conc, conc, conc, conc);
}

/* sweep_default_steps - 1, 2, 4, ... up to MAX, and MAX itself. */
static int *sweep_default_steps(int max, size_t *n)
{
	int *v = NULL, c;

	*n = 0;
	for (c = 1; c < max; c *= 2) {
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = c;
	}
	v = xrealloc(v, (*n + 1) * sizeof(*v));
	v[(*n)++] = max;
	return v;
}

static int sweep_cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int sweep_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sweep_manifest - infected flag of NAME from DIR/MANIFEST.csv, or -1. */
static int sweep_manifest(const char *dir, const char *name)
{
	char path[4096], line[512];
	size_t len = strlen(name);
	int v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/MANIFEST.csv", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	/* name,type,bytes,infected */
	while (v < 0 && fgets(line, sizeof(line), fp) != NULL) {
		char *last = strrchr(line, ',');

		if (strncmp(line, name, len) == 0 && line[len] == ',' && last != NULL)
			v = atoi(last + 1) != 0;
	}
	fclose(fp);
	return v;
}

/*
 * sweep_dir_files - regular files of DIR except MANIFEST.csv, sorted;
 * *EXPECT gets their verdicts from the manifest (-1 where unknown).
 */
static char **sweep_dir_files(const char *dir, int **expect)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, i;

	if (d == NULL)
		tune_fatal("--corpus %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "MANIFEST.csv") == 0)
			continue;
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n == 0)
		tune_fatal("--corpus %s: no files", dir);
	v[n] = NULL;
	qsort(v, n, sizeof(*v), sweep_cmp_str);
	*expect = xcalloc(n, sizeof(**expect));
	for (i = 0; i < n; i++)
		(*expect)[i] = sweep_manifest(dir, v[i] + strlen(dir) + 1);
	return v;
}

static void sweep_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-tune sweep [options]\n"
		"Load a clamd-protocol scanner (mxscand or clamd) with INSTREAM requests at\n"
		"rising concurrency; print and record parts/s, MB/s, latency, errors and CPU,\n"
		"and recommend the MTA's job counts.\n\n"
		"  -e, --endpoint EP        unix:/path or tcp:host:port (default: the first of\n"
		"                           scanner_endpoints in mxscan.conf)\n"
		"  -c, --config FILE        mxscan.conf to read scanner_endpoints from\n"
		"  -o NAME=VALUE            override a mxscan.conf setting (repeatable)\n"
		"  -N, --max N              highest concurrency (default 16)\n"
		"  -s, --steps LIST         concurrencies, e.g. 1,2,3,4,6,8 or 1-8 (default\n"
		"                           1, 2, 4, ... up to --max, and --max)\n"
		"  -d, --duration SECS      length of each step (default 10)\n"
		"  -w, --warmup SECS        warm-up before the first step (default 2; 0: none)\n"
		"      --p99-max MS         p99 latency bound of the recommendation (default 2000)\n"
		"      --target FRAC        share of the peak throughput to reach (default 0.95)\n"
		"      --infected-ratio R   share of generated parts with EICAR (default 0.5)\n"
		"      --median-size BYTES  median generated part (default 16384)\n"
		"      --max-size BYTES     largest generated part (default 2097152)\n"
		"      --seed N             generator seed (default 1)\n"
		"      --corpus DIR         send the files of DIR instead of generated parts\n"
		"                           (they repeat, so a scanner cache may help; verdicts\n"
		"                           are checked against DIR/MANIFEST.csv if present)\n"
		"  -p, --pid PID            the scanner's pid for CPU figures (default: the\n"
		"                           local process listening on the endpoint)\n"
		"  -t, --timeout SECS       time limit of one request (default 120)\n"
		"      --csv FILE           CSV output (default mxscan-tune-sweep.csv)\n"
		"      --svg FILE           SVG plot (default mxscan-tune-sweep.svg)\n"
		"  -h, --help               this help\n");
}

/* sweep_main - "mxscan-tune sweep". */
int sweep_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"endpoint", required_argument, NULL, 'e'},
		{"config", required_argument, NULL, 'c'},
		{"max", required_argument, NULL, 'N'},
		{"steps", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'w'},
		{"p99-max", required_argument, NULL, 'P'},
		{"target", required_argument, NULL, 'T'},
		{"infected-ratio", required_argument, NULL, 'r'},
		{"median-size", required_argument, NULL, 'M'},
		{"max-size", required_argument, NULL, 'x'},
		{"seed", required_argument, NULL, 'S'},
		{"corpus", required_argument, NULL, 'C'},
		{"pid", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"csv", required_argument, NULL, 'V'},
		{"svg", required_argument, NULL, 'G'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *endpoint = NULL, *config = NULL, *csv = "mxscan-tune-sweep.csv";
	const char *svg = "mxscan-tune-sweep.svg", *corpus_dir = NULL, *why;
	char **overrides = NULL, **files = NULL, *own_endpoint = NULL;
	int *expect = NULL;
	int noverrides = 0, max = 16, *steps = NULL, opt, timeout_ms = 120000, answered = 0;
	size_t nsteps = 0, i;
	double duration = 10, warmup = 2, p99_max = 2000, target = 0.95;
	struct corpus_params cp;
	struct load_source src;
	struct load_options lo;
	struct knee_point *pts;
	struct knee_result kr;
	struct load_result *res;
	double *cpu_u, *cpu_s, *h_u, *h_s, *h_i, *cli;
	pid_t pid = -1;
	FILE *fp;

	corpus_params_default(&cp);
	while ((opt = getopt_long(argc, argv, "e:c:o:N:s:d:w:p:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': endpoint = optarg; break;
		case 'c': config = optarg; break;
		case 'o':
			overrides = xrealloc(overrides, (size_t)(noverrides + 1) * sizeof(*overrides));
			overrides[noverrides++] = optarg;
			break;
		case 'N': max = (int)tune_number("--max", optarg, 1, 4096); break;
		case 's': free(steps); steps = tune_int_list("--steps", optarg, 4096, &nsteps); break;
		case 'd': duration = tune_number("--duration", optarg, 0.1, 86400); break;
		case 'w': warmup = tune_number("--warmup", optarg, 0, 3600); break;
		case 'P': p99_max = tune_number("--p99-max", optarg, 0, 1e9); break;
		case 'T': target = tune_number("--target", optarg, 0.01, 1); break;
		case 'r': cp.infected_ratio = tune_number("--infected-ratio", optarg, 0, 1); break;
		case 'M': cp.median_size = (size_t)tune_number("--median-size", optarg, 1, 1e9); break;
		case 'x': cp.max_size = (size_t)tune_number("--max-size", optarg, 1, 1e9); break;
		case 'S': cp.seed = (uint64_t)tune_number("--seed", optarg, 0, 1e18); break;
		case 'C': corpus_dir = optarg; break;
		case 'p': pid = (pid_t)tune_number("--pid", optarg, 1, 1e9); break;
		case 't': timeout_ms = (int)(tune_number("--timeout", optarg, 0.1, 86400) * 1000); break;
		case 'V': csv = optarg; break;
		case 'G': svg = optarg; break;
		case 'h': sweep_usage(stdout); return 0;
		default: sweep_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		sweep_usage(stderr);
		return 2;
	}
	if (endpoint == NULL) {
		const char *const *eps;

		if (config_load(config, overrides, noverrides, &why) < 0)
			tune_fatal("%s", why);
		if (config_list(CONF_SCANNER_ENDPOINTS, &eps) < 1)
			tune_fatal("scanner_endpoints is empty: give -e ENDPOINT");
		endpoint = own_endpoint = xstrdup(eps[0]);
		config_free();
	}
	free(overrides);
	if (cp.min_size > cp.max_size)
		cp.min_size = cp.max_size;
	if (steps == NULL)
		steps = sweep_default_steps(max, &nsteps);
	qsort(steps, nsteps, sizeof(*steps), sweep_cmp_int);
	for (i = 1; i < nsteps; i++)
		if (steps[i] == steps[i - 1])
			tune_fatal("--steps: %d is listed twice", steps[i]);
	if (corpus_dir != NULL) {
		files = sweep_dir_files(corpus_dir, &expect);
		if (load_files_source(&src, files, expect, &why) < 0)
			tune_fatal("%s", why);
		free(expect);
	} else
		load_corpus_source(&src, &cp);
	if (pid < 0)
		pid = procstat_owner(endpoint);

	memset(&lo, 0, sizeof(lo));
	lo.endpoint = endpoint;
	lo.command = "zINSTREAM";
	lo.timeout_ms = timeout_ms;
	lo.source = &src;
	printf("sweep of %s: steps", endpoint);
	for (i = 0; i < nsteps; i++)
		printf("%s%d", i ? "," : " ", steps[i]);
	printf(", %g s each; %s; %d CPUs\n", duration,
	       corpus_dir ? corpus_dir : "generated unique parts", procstat_ncpu());
	if (pid > 0)
		printf("scanner pid %ld\n", (long)pid);
	else
		printf("scanner pid unknown (not local, or no permission): no scanner CPU figures\n");
	if (warmup > 0) {
		struct load_result w;

		lo.conc = steps[0];
		lo.duration = warmup;
		lo.first_index = 1ULL << 60;	/* parts the steps never use */
		if (load_run(&lo, &w, &why) < 0)
			tune_fatal("%s", why);
		if (w.ok + w.found == 0)
			tune_fatal("warm-up: no answer from %s: %s", endpoint,
				   w.first_error[0] ? w.first_error : "?");
	}
	res = xcalloc(nsteps, sizeof(*res));
	pts = xcalloc(nsteps, sizeof(*pts));
	cpu_u = xcalloc(nsteps * 6, sizeof(double));
	cpu_s = cpu_u + nsteps;
	h_u = cpu_s + nsteps;
	h_s = h_u + nsteps;
	h_i = h_s + nsteps;
	cli = h_i + nsteps;
	printf("%5s %8s %6s %6s %6s %8s %7s %9s %9s %9s %6s %6s %6s %6s %6s\n", "conc", "requests",
	       "found", "errors", "wrong", "parts/s", "MB/s", "p50_ms", "p95_ms", "p99_ms", "scn_us",
	       "scn_sy", "hst_us", "hst_sy", "client");
	for (i = 0; i < nsteps; i++) {
		double u0 = 0, s0 = 0, u1 = 0, s1 = 0, cu0 = 0, cs0 = 0, cu1 = 0, cs1 = 0;
		struct procstat_host a, b;
		int have_cpu, have_host;

		lo.conc = steps[i];
		lo.duration = duration;
		lo.first_index = (uint64_t)(i + 1) << 32;	/* fresh parts per step */
		have_cpu = pid > 0 && procstat_cpu(pid, &u0, &s0) == 0;
		have_host = procstat_host(&a) == 0;
		procstat_cpu(getpid(), &cu0, &cs0);
		if (load_run(&lo, &res[i], &why) < 0)
			tune_fatal("%s", why);
		have_cpu = have_cpu && procstat_cpu(pid, &u1, &s1) == 0;
		have_host = have_host && procstat_host(&b) == 0;
		cpu_u[i] = cpu_s[i] = h_u[i] = h_s[i] = h_i[i] = cli[i] = NAN;
		if (procstat_cpu(getpid(), &cu1, &cs1) == 0 && res[i].seconds > 0)
			cli[i] = (cu1 + cs1 - cu0 - cs0) / res[i].seconds * 100;
		if (have_cpu && res[i].seconds > 0) {
			cpu_u[i] = (u1 - u0) / res[i].seconds * 100;
			cpu_s[i] = (s1 - s0) / res[i].seconds * 100;
		}
		if (have_host && b.total > a.total) {
			h_u[i] = (b.user - a.user) / (b.total - a.total) * 100;
			h_s[i] = (b.sys - a.sys) / (b.total - a.total) * 100;
			h_i[i] = (b.idle - a.idle) / (b.total - a.total) * 100;
		}
		pts[i].conc = steps[i];
		pts[i].tput = res[i].pps;
		pts[i].p99_ms = res[i].p99_ms;
		pts[i].errors = res[i].errors;
		answered += res[i].ok + res[i].found > 0;
		printf("%5d %8llu %6llu %6llu %6llu %8.1f %7.2f %9.1f %9.1f %9.1f %6.0f %6.0f %6.0f %6.0f %6.0f\n",
		       steps[i], res[i].requests, res[i].found, res[i].errors, res[i].wrong, res[i].pps,
		       res[i].mbps, res[i].p50_ms, res[i].p95_ms, res[i].p99_ms, cpu_u[i], cpu_s[i],
		       h_u[i], h_s[i], cli[i]);
		if (res[i].errors > 0)
			printf("      first error: %s\n", res[i].first_error);
		fflush(stdout);
	}
	printf("(scn_us/scn_sy: scanner user/system CPU, %% of one CPU; hst_us/hst_sy: whole host,\n"
	       " %% of all CPUs; client: this program's CPU (generating parts), %% of one CPU;\n"
	       " wrong: verdict other than the generated part's)\n");

	if ((fp = fopen(csv, "w")) == NULL)
		tune_fatal("%s: %s", csv, strerror(errno));
	fprintf(fp, "%s\n", sweep_csv_header);
	for (i = 0; i < nsteps; i++) {
		fprintf(fp, "%d,%llu,%llu,%llu,%llu,%llu,%.3f,%.2f,%.3f,%.2f,%.2f,%.2f,%.2f",
			steps[i], res[i].requests, res[i].ok, res[i].found, res[i].errors, res[i].wrong,
			res[i].seconds, res[i].pps, res[i].mbps, res[i].p50_ms, res[i].p95_ms,
			res[i].p99_ms, res[i].mean_ms);
		{
			const double *cols[] = {cpu_u, cpu_s, h_u, h_s, h_i, cli};

			for (size_t k = 0; k < 6; k++) {
				if (isnan(cols[k][i]))
					fputs(",", fp);
				else
					fprintf(fp, ",%.1f", cols[k][i]);
			}
		}
		fputc('\n', fp);
	}
	if (ferror(fp) | (fclose(fp) != 0))
		tune_fatal("%s: write error", csv);

	knee_pick(pts, nsteps, target, p99_max, &kr);
	{
		struct plot_data pd;
		double *tp = xcalloc(nsteps * 2, sizeof(double));
		char title[300];

		for (i = 0; i < nsteps; i++) {
			tp[i] = res[i].pps;
			tp[nsteps + i] = res[i].p99_ms;
		}
		snprintf(title, sizeof(title), "mxscan-tune sweep of %s", endpoint);
		pd.title = title;
		pd.conc = steps;
		pd.tput = tp;
		pd.p99_ms = tp + nsteps;
		pd.n = nsteps;
		pd.rec_conc = kr.status == KNEE_NO_DATA ? 0 : kr.conc;
		pd.p99_max = p99_max;
		if ((fp = fopen(svg, "w")) == NULL)
			tune_fatal("%s: %s", svg, strerror(errno));
		if (plot_svg(fp, &pd) < 0 || fclose(fp) != 0)
			tune_fatal("%s: write error", svg);
		free(tp);
	}
	printf("csv: %s\nsvg: %s\n", csv, svg);
	if (kr.status == KNEE_NO_DATA) {
		printf("no recommendation: %s\n", knee_status_str(kr.status));
	} else {
		const struct load_result *r = &res[kr.index];
		double sratio = cpu_u[kr.index] > 0 ? cpu_s[kr.index] / cpu_u[kr.index] : NAN;

		printf("\npeak %.1f parts/s at concurrency %d; recommended concurrency %d: %.1f parts/s "
		       "(%.0f%% of peak), p99 %.1f ms (bound %g ms)\n  -> %s\n",
		       kr.peak, pts[kr.peak_index].conc, kr.conc, r->pps,
		       kr.peak > 0 ? r->pps / kr.peak * 100 : 0, r->p99_ms, p99_max,
		       knee_status_str(kr.status));
		if (!isnan(sratio))
			printf("scanner system/user CPU at that step: %.2f%s\n", sratio,
			       sratio > 1.0 / 3 ? " (above 1/3: contention - locks, memory or scheduling)" : "");
		sweep_print_jobs(stdout, kr.conc);
		printf("recommend: concurrency=%d maxjobs=%d job_limit=%d maxproc=%d scand_threads=%d "
		       "status=%s peak_pps=%.2f pps=%.2f p99_ms=%.2f\n", kr.conc, kr.conc, kr.conc,
		       kr.conc, kr.conc,
		       kr.status == KNEE_OK ? "ok" : kr.status == KNEE_P99_LIMITED ? "p99-limited"
						       : "p99-exceeded",
		       kr.peak, r->pps, r->p99_ms);
	}
	load_source_fini(&src);
	if (files != NULL) {
		for (i = 0; files[i] != NULL; i++)
			free(files[i]);
		free(files);
	}
	free(steps);
	free(res);
	free(pts);
	free(cpu_u);
	free(own_endpoint);
	return answered > 0 ? 0 : 1;
}

/* sweep_csv_field - column number of NAME in the header H, or -1. */
static int sweep_csv_field(const char *h, const char *name)
{
	size_t len = strlen(name);
	int col = 0;

	for (;;) {
		if (strncmp(h, name, len) == 0 && (h[len] == ',' || h[len] == '\0' || h[len] == '\n' ||
						   h[len] == '\r'))
			return col;
		h = strchr(h, ',');
		if (h == NULL)
			return -1;
		h++;
		col++;
	}
}

/* sweep_csv_read - see sweep.h. */
int sweep_csv_read(const char *path, struct sweep_row **rows, size_t *n, const char **error_r)
{
	static char why[600];
	static const char *const names[] = {"concurrency", "parts_per_s", "mb_per_s", "p50_ms",
					    "p95_ms", "p99_ms", "mean_ms", "errors"};
	int cols[8];
	char line[4096];
	FILE *fp = fopen(path, "r");
	size_t k;

	*rows = NULL;
	*n = 0;
	*error_r = why;
	if (fp == NULL) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), fp) == NULL) {
		snprintf(why, sizeof(why), "%s: empty", path);
		fclose(fp);
		return -1;
	}
	for (k = 0; k < 8; k++)
		if ((cols[k] = sweep_csv_field(line, names[k])) < 0) {
			snprintf(why, sizeof(why), "%s: no column \"%s\" (not a sweep CSV?)", path,
				 names[k]);
			fclose(fp);
			return -1;
		}
	while (fgets(line, sizeof(line), fp) != NULL) {
		double v[32] = {0};
		char *p = line, *end;
		int col = 0;
		struct sweep_row *r;

		while (col < 32) {
			v[col++] = strtod(p, &end);
			p = strchr(end, ',');
			if (p == NULL)
				break;
			p++;
		}
		*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
		r = &(*rows)[(*n)++];
		r->conc = (int)v[cols[0]];
		r->pps = v[cols[1]];
		r->mbps = v[cols[2]];
		r->p50_ms = v[cols[3]];
		r->p95_ms = v[cols[4]];
		r->p99_ms = v[cols[5]];
		r->mean_ms = v[cols[6]];
		r->errors = (unsigned long long)v[cols[7]];
		if (r->conc < 1) {
			snprintf(why, sizeof(why), "%s: line %zu: bad concurrency", path, *n + 1);
			fclose(fp);
			free(*rows);
			*rows = NULL;
			return -1;
		}
	}
	fclose(fp);
	if (*n == 0) {
		snprintf(why, sizeof(why), "%s: no rows", path);
		return -1;
	}
	return 0;
}
