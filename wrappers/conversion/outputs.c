/*
 * outputs.c - write OUTPUT_FILE and OUTPUT_OPTIONS (see outputs.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fd.h"
#include "wrappers/conversion/outputs.h"

#define OUTPUTS_COPY_BLOCK 65536		/* read/write copy, when copy_file_range cannot */
#define OUTPUTS_COPY_RANGE_MAX (1 << 30)	/* one copy_file_range call */

static __thread char outputs_why[512];

static int outputs_fail(const char **error_r, const char *what, const char *path)
{
	snprintf(outputs_why, sizeof(outputs_why), "%s %s: %s", what, path, strerror(errno));
	*error_r = outputs_why;
	return -1;
}

/* outputs_finish - close FD, reporting a failed close as a write error. */
static int outputs_finish(int fd, const char *path, int failed, const char **error_r)
{
	if (failed) {
		outputs_fail(error_r, "cannot write", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return outputs_fail(error_r, "cannot write", path);
	return 0;
}

int outputs_copy(int in, const char *output_file, const char **error_r)
{
	char buf[OUTPUTS_COPY_BLOCK];
	int out, failed = 0;

	if (lseek(in, 0, SEEK_SET) < 0)
		return outputs_fail(error_r, "cannot rewind", "INPUT_FILE");
	out = open(output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return outputs_fail(error_r, "cannot create", output_file);
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, OUTPUTS_COPY_RANGE_MAX, 0);

		if (n > 0)
			continue;
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		/* Not supported between these files: copy by hand. */
		for (;;) {
			n = read(in, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				failed = 1;
				break;
			}
			if (n == 0 || fd_write_all(out, buf, (size_t)n) < 0) {
				failed = n != 0;
				break;
			}
		}
		break;
	}
	return outputs_finish(out, output_file, failed, error_r);
}

int outputs_notice(const struct part *p, const char *virname, const char *rule,
		   const char *output_file, const char **error_r)
{
	char name[256], type[128], sub[128], sig[256], why[320], when[64], host[128] = "";
	char *text;
	time_t now = time(NULL);
	struct tm tm;
	int out, failed, n;

	part_safe_text(name, sizeof(name), *p->name ? p->name : "(no name)");
	part_safe_text(type, sizeof(type), *p->type ? p->type : "application");
	part_safe_text(sub, sizeof(sub), *p->subtype ? p->subtype : "octet-stream");
	part_safe_text(sig, sizeof(sig), virname);
	gethostname(host, sizeof(host) - 1);
	part_safe_text(host, sizeof(host), host);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", localtime_r(&now, &tm));
	if (rule != NULL && *rule != '\0')
		n = asprintf(&text,
			     "This part of the message was removed by the mail policy.\n"
			     "\n"
			     "  File:    %s\n"
			     "  Type:    %s/%s\n"
			     "  Reason:  %s\n"
			     "  Rule:    %s\n"
			     "  Scanned: %s by mxscan-conversion on %s\n"
			     "\n"
			     "The rest of the message was delivered unchanged.\n",
			     name, type, sub, sig, part_safe_text(why, sizeof(why), rule), when,
			     host);
	else
		n = asprintf(&text,
			     "This part of the message was removed because it contains a virus.\n"
			     "\n"
			     "  File:    %s\n"
			     "  Type:    %s/%s\n"
			     "  Virus:   %s\n"
			     "  Scanned: %s by mxscan-conversion on %s\n"
			     "\n"
			     "The rest of the message was delivered unchanged.\n",
			     name, type, sub, sig, when, host);
	if (n < 0) {
		*error_r = "out of memory";
		return -1;
	}
	out = open(output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		free(text);
		return outputs_fail(error_r, "cannot create", output_file);
	}
	failed = fd_write_all(out, text, (size_t)n) < 0;
	free(text);
	return outputs_finish(out, output_file, failed, error_r);
}

int outputs_options(const char *path, const char *text, const char **error_r)
{
	char tmp[PATH_MAX];
	int fd, failed;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.mxscan.%ld", path, (long)getpid()) >=
	    sizeof(tmp)) {
		*error_r = "OUTPUT_OPTIONS path too long";
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return outputs_fail(error_r, "cannot create", tmp);
	failed = fd_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0;
	if (outputs_finish(fd, tmp, failed, error_r) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		outputs_fail(error_r, "cannot rename to", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
