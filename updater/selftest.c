/*
 * selftest.c - the self-test child (see selftest.h).
 *
 * The child loads DIR with the daemon's engine settings and writes one
 * line to a pipe: "OK <signatures> <ham messages>" or "FAIL <reason>".  The parent
 * waits for that line until the deadline, then for the child.
 */
#include "auto-config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/sock.h"
#include "updater/ham.h"
#include "updater/reason.h"
#include "updater/selftest.h"

/* The child's one line: "OK <signatures>" or "FAIL <reason>", whose
 * reason (libclamav's, or a clean control's) the parent passes on. */
#define SELFTEST_OK "OK "
#define SELFTEST_FAIL "FAIL "
#define SELFTEST_LINE_MAX 1024
/* The longest poll(2) wait while the deadline is further away. */
#define SELFTEST_POLL_MAX_MS 60000

static __thread char selftest_why[REASON_MAX];
static long selftest_hams;

/* selftest_printable - names and paths in LINE come from the database
 * and the ham folder: keep them printable. */
static void selftest_printable(char *line)
{
	for (char *p = line; *p && p[1]; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

/* Small clean buffers a sane database must not flag. */
static const char selftest_clean_text[] = "Hello, world.\nThis is a clean control file.\n";
static const char selftest_clean_mail[] =
	"From: a@example.org\r\nTo: b@example.org\r\nSubject: control\r\n"
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	"Nothing to see here.\r\n";

/* selftest_child - the child's work; writes its line to FD, returns the
 * exit status. */
static int selftest_child(const char *dir, const char *ham_dir, int fd)
{
	struct engine_settings s;
	static char zeros[4096];
	const struct {
		const void *buf;
		size_t len;
		const char *name;
	} clean[] = {
		{selftest_clean_text, sizeof(selftest_clean_text) - 1, "text"},
		{selftest_clean_mail, sizeof(selftest_clean_mail) - 1, "mail"},
		{zeros, sizeof(zeros), "zeros"},
	};
	const char *err = NULL, *virname = NULL;
	struct engine_db *db;
	char line[SELFTEST_LINE_MAX];
	long hams = 0;
	size_t i;

	engine_settings_from_config(&s, NULL);
	if (engine_init(&err) < 0 || (db = engine_load(dir, &s, &err)) == NULL) {
		dprintf(fd, SELFTEST_FAIL "%s\n", err);
		return 1;
	}
	if (engine_selftest(db, &err) < 0) {
		dprintf(fd, SELFTEST_FAIL "%s\n", err);
		return 1;
	}
	for (i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		enum engine_result r =
			engine_scan_mem(db, clean[i].buf, clean[i].len, 0, NULL, &virname, &err);

		if (r != ENGINE_CLEAN) {
			snprintf(line, sizeof(line), SELFTEST_FAIL "clean control \"%s\" %s %s\n",
				 clean[i].name, r == ENGINE_VIRUS ? "flagged as" : "failed:",
				 r == ENGINE_VIRUS ? virname : err);
			selftest_printable(line);
			dprintf(fd, "%s", line);
			return 1;
		}
	}
	if (ham_dir != NULL && *ham_dir) {
		char why[SELFTEST_LINE_MAX - sizeof(SELFTEST_FAIL) - 1];

		hams = ham_scan(db, ham_dir, why, sizeof(why));
		if (hams < 0) {
			snprintf(line, sizeof(line), SELFTEST_FAIL "%s\n", why);
			selftest_printable(line);
			dprintf(fd, "%s", line);
			return 1;
		}
	}
	dprintf(fd, SELFTEST_OK "%u %ld\n", db->sigs, hams);
	engine_free(db);
	return 0;
}

int selftest_run(const char *dir, const struct selftest_options *opts,
		 unsigned long long *sigs_r, const char **error_r)
{
	long long deadline = sock_now_ms() + opts->timeout_ms;
	char line[SELFTEST_LINE_MAX + 1];
	size_t len = 0;
	int fds[2], status = 0, timed_out = 0;
	pid_t pid, parent;

	if (pipe(fds) < 0)
		return reason_set(selftest_why, error_r, "pipe: %s", strerror(errno));
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		reason_set(selftest_why, error_r, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
#ifdef __linux__
		/* Die with the updater: a killed run must not leave a child
		 * holding the lock descriptor. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
#endif
		close(fds[0]);
		_exit(selftest_child(dir, opts->ham_dir, fds[1]));
	}
	close(fds[1]);
	while (len < sizeof(line) - 1) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		long long left = deadline - sock_now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		r = poll(&pfd, 1, left > SELFTEST_POLL_MAX_MS ? SELFTEST_POLL_MAX_MS : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(fds[0], line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len) != NULL)
			break;
	}
	close(fds[0]);
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return reason_set(selftest_why, error_r,
				  "self-test took longer than update_selftest_timeout (%lld ms)",
				  opts->timeout_ms);
	if (strncmp(line, SELFTEST_FAIL, strlen(SELFTEST_FAIL)) == 0)
		return reason_set(selftest_why, error_r, "%s", line + strlen(SELFTEST_FAIL));
	if (strncmp(line, SELFTEST_OK, strlen(SELFTEST_OK)) != 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			return reason_set(selftest_why, error_r, "self-test child killed by signal %d",
					  WTERMSIG(status));
		*error_r = "self-test child failed without a reason";
		return -1;
	}
	{
		char *end;

		*sigs_r = strtoull(line + strlen(SELFTEST_OK), &end, 10);
		selftest_hams = strtol(end, NULL, 10);
	}
	if (!opts->force && opts->current_sigs > 0 &&
	    *sigs_r * 100 < opts->current_sigs * (unsigned long long)(100 - opts->drop_max_percent)) {
		return reason_set(selftest_why, error_r,
				  "%llu signatures, more than update_signature_drop_max (%d%%) below "
				  "the current %llu (use --force to accept)",
				  *sigs_r, opts->drop_max_percent, opts->current_sigs);
	}
	return 0;
}

long selftest_ham_count(void)
{
	return selftest_hams;
}
