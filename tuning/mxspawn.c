/*
 * mxspawn.c - the per-part process timer of tuning/bench-conversion.sh.
 * This file owns that helper only: it runs a command once per part the
 * way the conversion channel does (the part's INPUT_FILE, OUTPUT_FILE,
 * OUTPUT_OPTIONS and label variables in the environment, standard input
 * and output on /dev/null), JOBS at a time, and times each run from just
 * before posix_spawn() to the moment waitpid() returns it.  A C timer
 * keeps an interpreter's own per-process cost (environment copies, pipes,
 * its fork path) out of the figures, which would otherwise be added to
 * every method alike and shrink the ratios between them.
 * Output, one CSV line per part: index (0-based), milliseconds, status
 * (exit code; 128+N killed by signal N; -1 timed out; 127 not started),
 * then "wall,SECONDS" for the whole pass.  Standard error of the runs
 * goes to OUTDIR/stderr.  Verdicts are checked by the caller.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

extern char **environ;

/* One part of the list and the state of its run. */
struct mxs_part {
	char *path;
	pid_t pid;
	double start, ms;
	int status;
};

static volatile sig_atomic_t mxs_tick;

static void mxs_alarm(int sig)
{
	(void)sig;
	mxs_tick = 1;
}

static double mxs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void mxs_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxspawn [-j JOBS] [-n LIMIT] [-a] [-t SECS] LIST OUTDIR -- COMMAND [ARG]...\n"
		"Run COMMAND once per part named in LIST (first tab-separated field), as the\n"
		"conversion channel would, and print \"index,ms,status\" per part.\n\n"
		"  -j JOBS   runs at once (default 1)\n"
		"  -n LIMIT  only the first LIMIT parts\n"
		"  -a        append the part's path to COMMAND's arguments\n"
		"  -t SECS   kill a run after SECS seconds (status -1; default 300)\n");
}

/* mxs_read_list - the first field of every line of LIST. */
static struct mxs_part *mxs_read_list(const char *list, size_t limit, size_t *n_r)
{
	struct mxs_part *parts = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL;
	FILE *fp = fopen(list, "r");

	if (fp == NULL) {
		fprintf(stderr, "mxspawn: %s: %s\n", list, strerror(errno));
		exit(2);
	}
	while (n < limit && getline(&line, &len, fp) > 0) {
		line[strcspn(line, "\t\n")] = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			parts = xrealloc(parts, cap * sizeof(*parts));
		}
		memset(&parts[n], 0, sizeof(parts[n]));
		parts[n++].path = xstrdup(line);
	}
	free(line);
	fclose(fp);
	*n_r = n;
	return parts;
}

/* mxs_base_env - the caller's environment minus the variables set per part. */
static char **mxs_base_env(size_t extra, size_t *n_r)
{
	static const char *const set[] = {"INPUT_FILE=", "OUTPUT_FILE=", "OUTPUT_OPTIONS=",
					   "INPUT_TYPE=", "INPUT_SUBTYPE=", "PART_NUMBER=",
					   "NAME=", "EICAR="};
	size_t n = 0, total = 0, i;
	char **env;

	while (environ[total] != NULL)
		total++;
	env = xcalloc(total + extra + 1, sizeof(*env));
	for (char **e = environ; *e != NULL; e++) {
		for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			if (strncmp(*e, set[i], strlen(set[i])) == 0)
				break;
		if (i == sizeof(set) / sizeof(set[0]))
			env[n++] = *e;
	}
	*n_r = n;
	return env;
}

/* mxs_start - spawn the run of part K (environment slots from BASE on). */
static void mxs_start(struct mxs_part *p, size_t k, const char *outdir, char **argv, int append,
		      char **env, size_t base, const posix_spawn_file_actions_t *fa)
{
	const char *name = strrchr(p->path, '/');
	char *vars[7];
	int argc = 0, rc;

	vars[0] = xasprintf("INPUT_FILE=%s", p->path);
	vars[1] = xasprintf("OUTPUT_FILE=%s/out%05zu", outdir, k);
	vars[2] = xasprintf("OUTPUT_OPTIONS=%s/opt%05zu", outdir, k);
	vars[3] = xstrdup("INPUT_TYPE=application");
	vars[4] = xstrdup("INPUT_SUBTYPE=octet-stream");
	vars[5] = xasprintf("PART_NUMBER=%zu", k + 1);
	vars[6] = xasprintf("NAME=%s", name ? name + 1 : p->path);
	for (int i = 0; i < 7; i++)
		env[base + (size_t)i] = vars[i];
	env[base + 7] = NULL;
	if (append) {
		while (argv[argc] != NULL)
			argc++;
		argv[argc] = p->path;
	}
	p->start = mxs_now();
	rc = posix_spawnp(&p->pid, argv[0], fa, NULL, argv, env);
	if (append)
		argv[argc] = NULL;
	for (int i = 0; i < 7; i++)
		free(vars[i]);
	if (rc != 0) {
		fprintf(stderr, "mxspawn: %s: %s\n", argv[0], strerror(rc));
		p->pid = 0;
		p->ms = mxs_now() - p->start;
		p->status = 127;
	}
}

/* mxs_reap - wait for one run; 0 when one ended, -1 on EINTR. */
static int mxs_reap(struct mxs_part *parts, size_t n)
{
	int st;
	pid_t pid = waitpid(-1, &st, 0);
	double t = mxs_now();

	if (pid < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (parts[k].pid != pid)
			continue;
		parts[k].ms = t - parts[k].start;
		if (parts[k].status != -1)
			parts[k].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		parts[k].pid = 0;
		return 0;
	}
	return 0;
}

/* mxs_kill_late - kill the runs older than TIMEOUT_MS (status -1). */
static void mxs_kill_late(struct mxs_part *parts, size_t n, double timeout_ms)
{
	double now = mxs_now();

	for (size_t k = 0; k < n; k++)
		if (parts[k].pid > 0 && parts[k].status != -1 && now - parts[k].start > timeout_ms) {
			parts[k].status = -1;
			kill(parts[k].pid, SIGKILL);
		}
}

int main(int argc, char **argv)
{
	size_t limit = (size_t)-1, n, base, next = 0, running = 0;
	int jobs = 1, append = 0, opt, nul, err;
	double timeout_ms = 300e3, t0;
	posix_spawn_file_actions_t fa;
	struct sigaction sa;
	struct mxs_part *parts;
	char **env, **cmd, *errpath;

	while ((opt = getopt(argc, argv, "+j:n:at:h")) != -1) {
		switch (opt) {
		case 'j': jobs = atoi(optarg); break;
		case 'n': limit = (size_t)strtoull(optarg, NULL, 10); break;
		case 'a': append = 1; break;
		case 't': timeout_ms = atof(optarg) * 1e3; break;
		case 'h': mxs_usage(stdout); return 0;
		default: mxs_usage(stderr); return 2;
		}
	}
	if (argc - optind < 3 || jobs < 1 || timeout_ms <= 0) {
		mxs_usage(stderr);
		return 2;
	}
	parts = mxs_read_list(argv[optind], limit, &n);
	env = mxs_base_env(8, &base);
	errpath = xasprintf("%s/stderr", argv[optind + 1]);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	err = open(errpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (nul < 0 || err < 0) {
		fprintf(stderr, "mxspawn: %s: %s\n", nul < 0 ? "/dev/null" : errpath, strerror(errno));
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, nul, 0);
	posix_spawn_file_actions_adddup2(&fa, nul, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	/* The watchdog: a tick a second interrupts waitpid to look for late runs. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mxs_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	cmd = xcalloc((size_t)(argc - optind), sizeof(char *));	/* room for -a's path */
	for (int i = optind + 2, j = 0; i < argc; i++)
		if (j > 0 || strcmp(argv[i], "--") != 0)
			cmd[j++] = argv[i];
	t0 = mxs_now();
	while (next < n || running > 0) {
		while (next < n && running < (size_t)jobs) {
			mxs_start(&parts[next], next, argv[optind + 1], cmd, append, env, base, &fa);
			if (parts[next].pid > 0)
				running++;
			next++;
		}
		if (running == 0)
			continue;
		if (mxs_reap(parts, n) == 0) {
			running--;
		} else if (mxs_tick) {
			mxs_tick = 0;
			mxs_kill_late(parts, n, timeout_ms);
			alarm(1);
		}
	}
	for (size_t k = 0; k < n; k++) {
		printf("%zu,%.3f,%d\n", k, parts[k].ms, parts[k].status);
		free(parts[k].path);
	}
	printf("wall,%.6f\n", (mxs_now() - t0) / 1e3);
	posix_spawn_file_actions_destroy(&fa);
	free(parts);
	free(env);
	free(cmd);
	free(errpath);
	return 0;
}
