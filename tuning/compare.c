/*
 * NAME
 *	compare - mxscand against the stock ClamAV tools, side by side
 * SUMMARY
 *	One run, one database, one corpus generator, one client:
 *	1. both daemons (mxscand, clamd) load the same database, one after
 *	   the other: load time and resident memory;
 *	2. INSTREAM throughput and p99 latency per client concurrency, the
 *	   two daemons interleaved (the order alternates) over ROUNDS rounds,
 *	   each run with fresh unique parts (both daemons get the same parts);
 *	3. the conversion channel's per-part command: mxscan-conversion ->
 *	   mxscand, clamdscan -> clamd, clamscan (loads the database for each
 *	   part) and /bin/true (the cost of any process start), part by part
 *	   with the methods interleaved;
 *	4. the storm: N distinct messages with the same infected attachment,
 *	   MIMESCAN to mxscand (verdict cache) against INSTREAM of the whole
 *	   message to clamd;
 *	then one table of medians and ratios.  Every verdict is checked.
 * DIAGNOSTICS
 *	Exit 0 when every verdict was right, 1 when one was wrong or a
 *	request failed, 2 on set-up errors (missing programs, a daemon that
 *	does not start).
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/sock.h"
#include "common/xalloc.h"
#include "tuning/compare.h"
#include "tuning/corpus.h"
#include "tuning/gendb.h"
#include "tuning/load.h"
#include "tuning/procstat.h"
#include "tuning/tune.h"

extern char **environ;

enum { CMP_MX, CMP_CL, CMP_NDAEMONS };
static const char *const compare_dname[] = {"mxscand", "clamd"};

/* A daemon under test. */
struct compare_daemon {
	pid_t pid;
	char sock[PATH_MAX];
	char endpoint[PATH_MAX + 8];
	double load_s;
	long rss_kb;
};

/* compare_find - an executable next to this one (build tree or install). */
static char *compare_find(const char *const *rel, const char *fallback)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (; *rel != NULL; rel++) {
			char *p = xasprintf("%s/%s", exe, *rel);

			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup(fallback);
}

/* compare_rss_kb - VmRSS of PID. */
static long compare_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

/* compare_ping - whether ENDPOINT answers PONG. */
static int compare_ping(const char *endpoint)
{
	const char *why;
	char buf[16];
	size_t len = 0;
	int is_unix, s = sock_connect(endpoint, 2000, &is_unix, &why);
	long long deadline = sock_now_ms() + 5000;

	if (s < 0)
		return 0;
	if (sock_write_all(s, "zPING", 6, deadline, &why) == 0) {
		ssize_t r;

		while (len < sizeof(buf) &&
		       (r = sock_read_some(s, buf + len, sizeof(buf) - len, deadline, &why)) > 0)
			len += (size_t)r;
	}
	close(s);
	return len == 5 && memcmp(buf, "PONG", 5) == 0;
}

/* compare_spawn - run ARGV with ENV added, output to LOG (or /dev/null). */
static pid_t compare_spawn(char *const *argv, char *const *env, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDONLY);

		/* A daemon must not outlive a compare that died. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		for (; env != NULL && *env != NULL; env++)
			putenv(*env);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * compare_spawn_part - start ARGV for one part as the channel would: with
 * posix_spawn (this process's memory is not copied, so the corpus it
 * holds costs the timed run nothing), ENV added to the environment and
 * the standard streams on /dev/null.  The pid, or -1.
 */
static pid_t compare_spawn_part(char *const *argv, char *const *env)
{
	static posix_spawn_file_actions_t fa;
	static int nul = -1;
	size_t n = 0, k = 0;
	char **envp;
	pid_t pid;
	int rc;

	if (nul < 0) {
		if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			return -1;
		posix_spawn_file_actions_init(&fa);
		for (int i = 0; i < 3; i++)
			posix_spawn_file_actions_adddup2(&fa, nul, i);
	}
	while (environ[n] != NULL)
		n++;
	for (k = 0; env != NULL && env[k] != NULL; k++)
		;
	envp = xcalloc(n + k + 1, sizeof(*envp));
	memcpy(envp, env, k * sizeof(*envp));
	memcpy(envp + k, environ, n * sizeof(*envp));	/* ENV first: it wins */
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	free(envp);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return pid;
}

/* compare_start - start a daemon and wait for PONG (load time). */
static void compare_start(struct compare_daemon *d, char *const *argv, const char *log,
			  double timeout)
{
	double t0 = tune_now();
	int status;

	d->pid = compare_spawn(argv, NULL, log);
	if (d->pid < 0)
		tune_fatal("fork: %s", strerror(errno));
	while (!compare_ping(d->endpoint)) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid)
			tune_fatal("%s exited before it was ready; see %s", argv[0], log);
		if (tune_now() - t0 > timeout) {
			kill(d->pid, SIGTERM);
			tune_fatal("%s not ready after %g s; see %s", argv[0], timeout, log);
		}
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);	/* probe interval */
	}
	d->load_s = tune_now() - t0;
	d->rss_kb = compare_rss_kb(d->pid);
}

/* compare_stop - SIGTERM and reap. */
static void compare_stop(struct compare_daemon *d)
{
	int status;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, &status, 0);
		d->pid = 0;
	}
}

static int compare_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* compare_median - median of V[N] (sorts V); NAN when empty. */
static double compare_median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), compare_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* compare_read - the whole small file PATH (NUL-terminated) into BUF. */
static void compare_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Per-part methods. */
enum { PP_CONV, PP_CLAMDSCAN, PP_CLAMSCAN, PP_TRUE, PP_N };
static const char *const compare_ppname[] = {
	"mxscan-conversion -> mxscand", "clamdscan --fdpass -> clamd", "clamscan (loads the database)",
	"/bin/true (process start only)",
};

/*
 * compare_part - run method M on part PATH; its wall time in ms, and
 * *verdict 1 infected, 0 clean, -1 error.
 */
static double compare_part(int m, const char *path, const char *work, int k, char *const *conv,
			   const char *clconf, const char *db, int *verdict)
{
	char in[PATH_MAX + 16], out[PATH_MAX + 16], opt[PATH_MAX + 24], part_no[32], opts[1024];
	char outp[PATH_MAX], optp[PATH_MAX], cfarg[PATH_MAX + 16], dbarg[PATH_MAX];
	char *env[] = {in, out, opt, part_no, "INPUT_TYPE=application", "INPUT_SUBTYPE=octet-stream",
		       NULL};
	char *argv[8];
	double t0, ms;
	pid_t pid;
	int status = 0;

	snprintf(outp, sizeof(outp), "%s/out-%d", work, k);
	snprintf(optp, sizeof(optp), "%s/opt-%d", work, k);
	unlink(outp);
	unlink(optp);
	snprintf(in, sizeof(in), "INPUT_FILE=%s", path);
	snprintf(out, sizeof(out), "OUTPUT_FILE=%s", outp);
	snprintf(opt, sizeof(opt), "OUTPUT_OPTIONS=%s", optp);
	snprintf(part_no, sizeof(part_no), "PART_NUMBER=%d", k + 1);
	switch (m) {
	case PP_CONV:
		argv[0] = conv[0];
		argv[1] = "-c";
		argv[2] = conv[1];
		argv[3] = NULL;
		break;
	case PP_CLAMDSCAN:
		snprintf(cfarg, sizeof(cfarg), "--config-file=%s", clconf);
		argv[0] = "clamdscan";
		argv[1] = "--fdpass";
		argv[2] = "--no-summary";
		argv[3] = cfarg;
		argv[4] = (char *)path;
		argv[5] = NULL;
		break;
	case PP_CLAMSCAN:
		snprintf(dbarg, sizeof(dbarg), "%s", db);
		argv[0] = "clamscan";
		argv[1] = "--no-summary";
		argv[2] = "-d";
		argv[3] = dbarg;
		argv[4] = (char *)path;
		argv[5] = NULL;
		break;
	default:
		argv[0] = "/bin/true";
		argv[1] = NULL;
	}
	t0 = tune_now();
	pid = compare_spawn_part(argv, m == PP_CONV ? env : NULL);
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		*verdict = -1;
		return NAN;
	}
	ms = (tune_now() - t0) * 1000;
	if (!WIFEXITED(status)) {
		*verdict = -1;
		return ms;
	}
	if (m == PP_TRUE)
		*verdict = 0;
	else if (m != PP_CONV)
		*verdict = WEXITSTATUS(status) == 0 ? 0 : WEXITSTATUS(status) == 1 ? 1 : -1;
	else {
		compare_read(optp, opts, sizeof(opts));
		if (WEXITSTATUS(status) != 0 || strstr(opts, "STATUS=") != NULL)
			*verdict = -1;
		else
			*verdict = strstr(opts, "OUTPUT_TYPE=text") != NULL;
	}
	unlink(outp);
	unlink(optp);
	return ms;
}

static void compare_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-tune compare [options]\n"
		"mxscand against clamd (same database, corpus and client), the conversion\n"
		"command against clamdscan and clamscan per part, and a worm storm; one\n"
		"table of medians and ratios.  Needs clamd, clamdscan and clamscan (Debian's\n"
		"clamav-daemon, clamdscan, clamav) and, for clamd, root.\n\n"
		"      --db DIR             use this database (default: generate one)\n"
		"      --hashes N           generated hash signatures (default 1000000)\n"
		"      --bodies N           generated body signatures (default 100000)\n"
		"      --threads N          scan threads of both daemons (default 4)\n"
		"      --conc LIST          client concurrencies (default 1,2,4)\n"
		"      --parts N            parts per throughput run (default 300)\n"
		"      --rounds R           interleaved rounds; medians reported (default 2)\n"
		"      --conversion-parts N parts for the per-part commands (default 30)\n"
		"      --clamscan-parts N   of those, parts also given to clamscan (default 3)\n"
		"      --storm N            storm messages per daemon and round (default 300)\n"
		"      --storm-conc N       client concurrency of the storm (default 4)\n"
		"      --infected-ratio R   infected share of the parts (default 0.5)\n"
		"      --mxscand PATH       mxscand binary (default: next to this program)\n"
		"      --conversion PATH    mxscan-conversion binary (default: likewise)\n"
		"      --work DIR           work directory (default: a new /tmp/mxscan-tune-compare.*)\n"
		"      --keep               keep the work directory\n"
		"  -h, --help               this help\n");
}

/* compare_ratio - A/B or "-". */
static const char *compare_ratio(double a, double b, char *buf, size_t size)
{
	if (isnan(a) || isnan(b) || b <= 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f", a / b);
	return buf;
}

/* compare_main - "mxscan-tune compare". */
int compare_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'D'},
		{"hashes", required_argument, NULL, 'H'},
		{"bodies", required_argument, NULL, 'B'},
		{"threads", required_argument, NULL, 'T'},
		{"conc", required_argument, NULL, 'c'},
		{"parts", required_argument, NULL, 'n'},
		{"rounds", required_argument, NULL, 'r'},
		{"conversion-parts", required_argument, NULL, 'P'},
		{"clamscan-parts", required_argument, NULL, 'S'},
		{"storm", required_argument, NULL, 's'},
		{"storm-conc", required_argument, NULL, 'C'},
		{"infected-ratio", required_argument, NULL, 'i'},
		{"mxscand", required_argument, NULL, 'm'},
		{"conversion", required_argument, NULL, 'v'},
		{"work", required_argument, NULL, 'w'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const mx_rel[] = {"../scanner/mxscand", "../sbin/mxscand", NULL};
	static const char *const cv_rel[] = {"../wrappers/conversion/mxscan-conversion",
					     "../libexec/mxscan-conversion", NULL};
	const char *dbdir = NULL, *why;
	char *mxscand = NULL, *conversion = NULL, *work = NULL, path[PATH_MAX + 64];
	size_t hashes = 1000000, bodies = 100000, nconc = 0, ci;
	int threads = 4, *conc = NULL, rounds = 2, nparts = 300, conv_parts = 30, clamscan_parts = 3;
	int storm = 300, storm_conc = 4, keep = 0, opt, r, bad = 0, generated_db = 0;
	struct compare_daemon d[CMP_NDAEMONS];
	struct corpus_params cp;
	char mxconf[PATH_MAX + 32], clconf[PATH_MAX + 32], cvconf[PATH_MAX + 32], log[2][PATH_MAX + 32];
	double *pps, *p99, *storm_mps, *pp;
	int *pp_n;
	FILE *fp;

	corpus_params_default(&cp);
	cp.seed = (uint64_t)time(NULL);	/* fresh content every run */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D': dbdir = optarg; break;
		case 'H': hashes = (size_t)tune_number("--hashes", optarg, 0, 1e9); break;
		case 'B': bodies = (size_t)tune_number("--bodies", optarg, 0, 1e8); break;
		case 'T': threads = (int)tune_number("--threads", optarg, 1, 512); break;
		case 'c': free(conc); conc = tune_int_list("--conc", optarg, 1024, &nconc); break;
		case 'n': nparts = (int)tune_number("--parts", optarg, 1, 1e7); break;
		case 'r': rounds = (int)tune_number("--rounds", optarg, 1, 100); break;
		case 'P': conv_parts = (int)tune_number("--conversion-parts", optarg, 0, 1e6); break;
		case 'S': clamscan_parts = (int)tune_number("--clamscan-parts", optarg, 0, 1e6); break;
		case 's': storm = (int)tune_number("--storm", optarg, 0, 1e7); break;
		case 'C': storm_conc = (int)tune_number("--storm-conc", optarg, 1, 1024); break;
		case 'i': cp.infected_ratio = tune_number("--infected-ratio", optarg, 0, 1); break;
		case 'm': mxscand = xstrdup(optarg); break;
		case 'v': conversion = xstrdup(optarg); break;
		case 'w': work = xstrdup(optarg); break;
		case 'k': keep = 1; break;
		case 'h': compare_usage(stdout); return 0;
		default: compare_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		compare_usage(stderr);
		return 2;
	}
	if (conc == NULL)
		conc = tune_int_list("--conc", "1,2,4", 1024, &nconc);
	if (mxscand == NULL)
		mxscand = compare_find(mx_rel, "mxscand");
	if (conversion == NULL)
		conversion = compare_find(cv_rel, "mxscan-conversion");
	{
		const char *p = getenv("PATH");
		char *np = xasprintf("PATH=%s:/usr/sbin:/sbin", p ? p : "/usr/bin:/bin");

		putenv(np);	/* clamd lives in /usr/sbin; kept for the process */
	}
	if (work == NULL) {
		char tmpl[] = "/tmp/mxscan-tune-compare.XXXXXX";

		if (mkdtemp(tmpl) == NULL)
			tune_fatal("mkdtemp: %s", strerror(errno));
		work = xstrdup(tmpl);
	} else if (tune_mkdirs(work) < 0)
		tune_fatal("%s: %s", work, strerror(errno));
	chmod(work, 0755);
	memset(d, 0, sizeof(d));

	/* 1. database and daemons */
	if (dbdir == NULL) {
		double t0 = tune_now();

		snprintf(path, sizeof(path), "%s/db", work);
		printf("generating %zu hash + %zu body signatures in %s ...", hashes, bodies, path);
		fflush(stdout);
		if (gendb_write(path, hashes, bodies, 1, &why) < 0)
			tune_fatal("%s", why);
		printf(" %.1f s\n", tune_now() - t0);
		dbdir = xstrdup(path);
		generated_db = 1;
	}
	snprintf(d[CMP_MX].sock, sizeof(d[CMP_MX].sock), "%s/mxscand.sock", work);
	snprintf(d[CMP_CL].sock, sizeof(d[CMP_CL].sock), "%s/clamd.sock", work);
	snprintf(d[CMP_MX].endpoint, sizeof(d[CMP_MX].endpoint), "unix:%s/mxscand.sock", work);
	snprintf(d[CMP_CL].endpoint, sizeof(d[CMP_CL].endpoint), "unix:%s/clamd.sock", work);
	snprintf(mxconf, sizeof(mxconf), "%s/mxscan.conf", work);
	snprintf(clconf, sizeof(clconf), "%s/clamd.conf", work);
	snprintf(cvconf, sizeof(cvconf), "%s/conversion.conf", work);
	snprintf(log[CMP_MX], sizeof(log[0]), "%s/mxscand.log", work);
	snprintf(log[CMP_CL], sizeof(log[1]), "%s/clamd.log", work);
	if ((fp = fopen(mxconf, "w")) == NULL)
		tune_fatal("%s: %s", mxconf, strerror(errno));
	fprintf(fp, "database_root = %s\nscand_socket = %s\nscand_user =\nscand_temp_dir = %s\n"
		"scand_threads = %d\n", dbdir, d[CMP_MX].sock, work, threads);
	fclose(fp);
	if ((fp = fopen(clconf, "w")) == NULL)
		tune_fatal("%s: %s", clconf, strerror(errno));
	fprintf(fp, "Foreground yes\nLocalSocket %s\nDatabaseDirectory %s\nUser root\n"
		"LogFile %s/clamd-own.log\nTemporaryDirectory %s\nPidFile %s/clamd.pid\n"
		"MaxThreads %d\nStreamMaxLength 100M\n", d[CMP_CL].sock, dbdir, work, work, work,
		threads);
	fclose(fp);
	if ((fp = fopen(cvconf, "w")) == NULL)
		tune_fatal("%s: %s", cvconf, strerror(errno));
	fprintf(fp, "scanner_endpoints = unix:%s\n", d[CMP_MX].sock);
	fclose(fp);
	{
		char *mxargv[] = {mxscand, "-f", "-c", mxconf, NULL};
		char *clargv[] = {"clamd", "-c", clconf, NULL};

		printf("starting %s ...", mxscand);
		fflush(stdout);
		compare_start(&d[CMP_MX], mxargv, log[CMP_MX], 900);
		printf(" ready in %.1f s; starting clamd ...", d[CMP_MX].load_s);
		fflush(stdout);
		compare_start(&d[CMP_CL], clargv, log[CMP_CL], 900);
		printf(" ready in %.1f s\n", d[CMP_CL].load_s);
	}

	/* 2. throughput, interleaved */
	pps = xcalloc(nconc * CMP_NDAEMONS * (size_t)rounds * 2, sizeof(double));
	p99 = pps + nconc * CMP_NDAEMONS * (size_t)rounds;
	{
		struct load_source src;
		struct load_options lo;

		load_corpus_source(&src, &cp);
		memset(&lo, 0, sizeof(lo));
		lo.command = "zINSTREAM";
		lo.timeout_ms = 300000;
		lo.source = &src;
		lo.count = (uint64_t)nparts;
		for (r = 0; r < rounds; r++)
			for (ci = 0; ci < nconc; ci++) {
				int k;

				for (k = 0; k < CMP_NDAEMONS; k++) {
					int dm = (k + r + (int)ci) % 2;
					size_t at = (ci * CMP_NDAEMONS + (size_t)dm) * (size_t)rounds + (size_t)r;
					struct load_result res;

					lo.endpoint = d[dm].endpoint;
					lo.conc = conc[ci];
					lo.first_index = ((uint64_t)r * 1024 + ci + 1) << 32;	/* same parts for both */
					if (load_run(&lo, &res, &why) < 0)
						tune_fatal("%s", why);
					pps[at] = res.pps;
					p99[at] = res.p99_ms;
					printf("  round %d conc %-3d %-8s %8.1f parts/s  p99 %8.1f ms%s%s\n",
					       r + 1, conc[ci], compare_dname[dm], res.pps, res.p99_ms,
					       res.errors || res.wrong ? "  ERRORS/WRONG: " : "",
					       res.errors ? res.first_error : res.wrong ? "wrong verdicts" : "");
					if (res.errors || res.wrong)
						bad = 1;
					fflush(stdout);
				}
			}
	}

	/* 3. per-part commands */
	pp = xcalloc((size_t)PP_N * (size_t)(conv_parts + 1), sizeof(double));
	pp_n = xcalloc(PP_N, sizeof(int));
	if (conv_parts > 0) {
		struct corpus_part part = {0};
		char *cv[] = {conversion, cvconf};
		int k;

		snprintf(path, sizeof(path), "%s/parts", work);
		tune_mkdirs(path);
		for (k = 0; k < conv_parts; k++) {
			char file[PATH_MAX + 80];
			int j;

			corpus_make(&cp, (1ULL << 48) + (uint64_t)k, &part);
			snprintf(file, sizeof(file), "%s/part-%d.%s", path, k, corpus_type_ext(part.type));
			if (tune_write_file(file, part.data, part.len) < 0)
				tune_fatal("%s: %s", file, strerror(errno));
			for (j = 0; j < PP_N; j++) {
				int m = (j + k) % PP_N, verdict;
				double ms;

				if (m == PP_CLAMSCAN && k >= clamscan_parts)
					continue;
				ms = compare_part(m, file, work, k, cv, clconf, dbdir, &verdict);
				if (m != PP_TRUE && verdict != part.infected) {
					printf("  part %d (%s, %zu bytes): %s gave %s, expected %s\n", k,
					       corpus_type_name(part.type), part.len, compare_ppname[m],
					       verdict < 0 ? "an error" : verdict ? "infected" : "clean",
					       part.infected ? "infected" : "clean");
					bad = 1;
				}
				if (!isnan(ms))
					pp[m * (conv_parts + 1) + pp_n[m]++] = ms;
			}
		}
		corpus_part_free(&part);
		printf("  per-part commands: %d parts done\n", conv_parts);
	}

	/* 4. storm */
	storm_mps = xcalloc((size_t)CMP_NDAEMONS * (size_t)rounds, sizeof(double));
	if (storm > 0) {
		struct load_source src;
		struct load_options lo;
		uint64_t seed = cp.seed;

		load_storm_source(&src, &seed);
		memset(&lo, 0, sizeof(lo));
		lo.timeout_ms = 300000;
		lo.source = &src;
		lo.count = (uint64_t)storm;
		lo.conc = storm_conc;
		for (r = 0; r < rounds; r++) {
			int k;

			for (k = 0; k < CMP_NDAEMONS; k++) {
				int dm = (k + r) % 2;
				struct load_result res;

				lo.endpoint = d[dm].endpoint;
				lo.command = dm == CMP_MX ? "zMIMESCAN" : "zINSTREAM";
				lo.first_index = (uint64_t)r << 32;
				if (load_run(&lo, &res, &why) < 0)
					tune_fatal("%s", why);
				storm_mps[dm * rounds + r] = res.pps;
				printf("  storm round %d %-8s %8.1f messages/s%s%s\n", r + 1,
				       compare_dname[dm], res.pps, res.errors || res.wrong ? "  ERRORS/WRONG: " : "",
				       res.errors ? res.first_error : res.wrong ? "wrong verdicts" : "");
				if (res.errors || res.wrong)
					bad = 1;
				fflush(stdout);
			}
		}
	}
	for (r = 0; r < CMP_NDAEMONS; r++)
		if (compare_rss_kb(d[r].pid) < 0 || waitpid(d[r].pid, NULL, WNOHANG) == d[r].pid) {
			printf("  %s died during the run\n", compare_dname[r]);
			bad = 1;
		}
	{
		long rss_after[CMP_NDAEMONS] = {compare_rss_kb(d[CMP_MX].pid), compare_rss_kb(d[CMP_CL].pid)};
		char b1[32];

		compare_stop(&d[CMP_MX]);
		compare_stop(&d[CMP_CL]);

		/* 5. the table */
		printf("\nmxscan-tune compare: %d CPUs; %d scan threads each; %d round%s, medians\n",
		       procstat_ncpu(), threads, rounds, rounds > 1 ? "s" : "");
		if (generated_db)
			printf("database: generated, %zu hash + %zu body signatures + EICAR\n", hashes,
			       bodies);
		else
			printf("database: %s\n", dbdir);
		printf("corpus: generated unique parts, %.0f%% infected, log-normal sizes (median %zu B)\n\n",
		       cp.infected_ratio * 100, cp.median_size);
		printf("%-40s %12s %12s %14s\n", "", "mxscand", "clamd", "mxscand/clamd");
		printf("%-40s %12.1f %12.1f %14s\n", "database load to first PONG, s", d[CMP_MX].load_s,
		       d[CMP_CL].load_s, compare_ratio(d[CMP_MX].load_s, d[CMP_CL].load_s, b1, sizeof(b1)));
		printf("%-40s %12.0f %12.0f %14s\n", "RSS after load, MB", d[CMP_MX].rss_kb / 1024.0,
		       d[CMP_CL].rss_kb / 1024.0,
		       compare_ratio((double)d[CMP_MX].rss_kb, (double)d[CMP_CL].rss_kb, b1, sizeof(b1)));
		printf("%-40s %12.0f %12.0f %14s\n", "RSS at the end, MB", rss_after[CMP_MX] / 1024.0,
		       rss_after[CMP_CL] / 1024.0,
		       compare_ratio((double)rss_after[CMP_MX], (double)rss_after[CMP_CL], b1, sizeof(b1)));
		for (ci = 0; ci < nconc; ci++) {
			double m[CMP_NDAEMONS], l[CMP_NDAEMONS];
			char label[64];
			int k;

			for (k = 0; k < CMP_NDAEMONS; k++) {
				m[k] = compare_median(&pps[(ci * CMP_NDAEMONS + (size_t)k) * (size_t)rounds],
						      (size_t)rounds);
				l[k] = compare_median(&p99[(ci * CMP_NDAEMONS + (size_t)k) * (size_t)rounds],
						      (size_t)rounds);
			}
			snprintf(label, sizeof(label), "INSTREAM parts/s, %d client%s", conc[ci],
				 conc[ci] > 1 ? "s" : "");
			printf("%-40s %12.1f %12.1f %14s\n", label, m[0], m[1],
			       compare_ratio(m[0], m[1], b1, sizeof(b1)));
			snprintf(label, sizeof(label), "INSTREAM p99 ms, %d client%s", conc[ci],
				 conc[ci] > 1 ? "s" : "");
			printf("%-40s %12.1f %12.1f %14s\n", label, l[0], l[1],
			       compare_ratio(l[0], l[1], b1, sizeof(b1)));
		}
		if (storm > 0) {
			double m0 = compare_median(storm_mps, (size_t)rounds);
			double m1 = compare_median(storm_mps + rounds, (size_t)rounds);
			char label[80];

			snprintf(label, sizeof(label), "storm messages/s (%d msgs, %d clients)", storm,
				 storm_conc);
			printf("%-40s %12.1f %12.1f %14s\n", label, m0, m1,
			       compare_ratio(m0, m1, b1, sizeof(b1)));
			printf("  (mxscand: MIMESCAN, per-part verdict cache; clamd: INSTREAM of the message)\n");
		}
		if (conv_parts > 0) {
			double med[PP_N];
			int m;

			for (m = 0; m < PP_N; m++)
				med[m] = compare_median(&pp[m * (conv_parts + 1)], (size_t)pp_n[m]);
			printf("\nper-part command, one part at a time (conversion channel), median wall ms:\n");
			printf("%-40s %8s %8s %22s\n", "", "parts", "ms", "x mxscan-conversion");
			for (m = 0; m < PP_N; m++)
				if (pp_n[m] > 0)
					printf("%-40s %8d %8.1f %22s\n", compare_ppname[m], pp_n[m], med[m],
					       compare_ratio(med[m], med[PP_CONV], b1, sizeof(b1)));
		}
		printf("\nverdicts: %s\n", bad ? "SOME WRONG OR FAILED (see above)" : "all as expected");
	}
	if (!keep) {
		char *rmargv[] = {"rm", "-rf", work, NULL};
		pid_t pid = compare_spawn(rmargv, NULL, NULL);

		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else
		printf("work directory kept: %s\n", work);
	free(pps);
	free(pp);
	free(pp_n);
	free(storm_mps);
	free(conc);
	free(mxscand);
	free(conversion);
	free(work);
	if (generated_db)
		free((char *)dbdir);
	return bad ? 1 : 0;
}
