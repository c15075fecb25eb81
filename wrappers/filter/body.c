/*
 * body.c - message storage and DATA reception (see body.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/smtp_data.h"
#include "common/xalloc.h"
#include "wrappers/filter/body.h"

#define BODY_CHUNK 65536

static char *body_spool_dir;

int body_spool_init(const char *parent, const char **error_r)
{
	static char why[512];
	char *tmpl = xasprintf("%s/mxscan-filter.XXXXXX", parent);

	if (mkdtemp(tmpl) == NULL) {
		snprintf(why, sizeof(why), "cannot create a spool directory in %s: %s", parent,
			 strerror(errno));
		free(tmpl);
		*error_r = why;
		return -1;
	}
	chmod(tmpl, 0700);
	body_spool_dir = tmpl;
	return 0;
}

void body_spool_cleanup(void)
{
	if (body_spool_dir != NULL) {
		rmdir(body_spool_dir);
		free(body_spool_dir);
		body_spool_dir = NULL;
	}
}

void body_init(struct body *b)
{
	b->fd = -1;
	b->len = 0;
	b->spooled = 0;
	b->too_big = 0;
}

void body_reset(struct body *b)
{
	if (b->fd >= 0)
		close(b->fd);
	body_init(b);
}

/* body_spool_file - a new 0600 file in the spool directory, unlinked at once. */
static int body_spool_file(const char **error_r)
{
	char *path;
	int fd;

	if (body_spool_dir == NULL) {
		*error_r = "no spool directory";
		return -1;
	}
	path = xasprintf("%s/msg.XXXXXX", body_spool_dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0) {
		fchmod(fd, 0600);
		unlink(path);
	} else {
		*error_r = "cannot create a spool file";
	}
	free(path);
	return fd;
}

/* body_open - the memory file a new body starts in. */
static int body_open(struct body *b, size_t memory_max, const char **error_r)
{
	if (memory_max == 0) {
		b->fd = body_spool_file(error_r);
		b->spooled = 1;
	} else {
		b->fd = memfd_create("mxscan-body", MFD_CLOEXEC);
		if (b->fd < 0)
			*error_r = "cannot create a memory file";
	}
	return b->fd < 0 ? -1 : 0;
}

/* body_to_spool - move the memory file's bytes to a spool file. */
static int body_to_spool(struct body *b, const char **error_r)
{
	int fd = body_spool_file(error_r);

	if (fd < 0)
		return -1;
	if (body_copy_to(b, fd, error_r) < 0) {
		close(fd);
		return -1;
	}
	close(b->fd);
	b->fd = fd;
	b->spooled = 1;
	return 0;
}

/* body_append - store LEN bytes, moving to the spool past MEMORY_MAX. */
static int body_append(struct body *b, const char *buf, size_t len, size_t max,
		       size_t memory_max, const char **error_r)
{
	if (len == 0 || b->too_big)
		return 0;
	if (b->len + len > max) {
		b->too_big = 1;
		return 0;
	}
	if (!b->spooled && b->len + len > memory_max && body_to_spool(b, error_r) < 0)
		return -1;
	if (fd_write_all(b->fd, buf, len) < 0) {
		*error_r = b->spooled ? "cannot write the spool file (disk full?)" :
			   "cannot write the memory file";
		return -1;
	}
	b->len += len;
	return 0;
}

int body_receive(struct body *b, struct stream *in, size_t max, size_t memory_max,
		 enum body_status *status_r, const char **error_r)
{
	char *out = xmalloc(BODY_CHUNK + 1);
	struct smtp_unstuffer u;
	int local_failed = 0, done = 0;

	body_reset(b);
	smtp_data_unstuffer_init(&u);
	*status_r = BODY_OK;
	if (body_open(b, memory_max, error_r) < 0)
		local_failed = 1;
	while (!done) {
		const char *data;
		size_t got, used, o;

		if (stream_read_some(in, &data, &got, error_r) != STREAM_OK) {
			*status_r = BODY_CLIENT;
			free(out);
			return -1;
		}
		if (got > BODY_CHUNK)
			got = BODY_CHUNK;
		used = smtp_data_unstuff(&u, data, got, out, &o, &done);
		/* Bytes after the end marker are the next (pipelined) commands:
		 * they stay in the stream. */
		stream_consume(in, used);
		if (!local_failed && body_append(b, out, o, max, memory_max, error_r) < 0)
			local_failed = 1;
	}
	free(out);
	if (local_failed) {
		*status_r = BODY_LOCAL;
		body_reset(b);
		return 0;
	}
	if (b->too_big) {
		*status_r = BODY_TOO_BIG;
		body_reset(b);
	}
	return 0;
}

int body_set(struct body *b, const void *buf, size_t len, const char **error_r)
{
	body_reset(b);
	if (body_open(b, len + 1, error_r) < 0)
		return -1;
	if (fd_write_all(b->fd, buf, len) < 0) {
		*error_r = "cannot write the memory file";
		body_reset(b);
		return -1;
	}
	b->len = len;
	return 0;
}

int body_load_fd(struct body *b, int fd, const char **error_r)
{
	char *buf = xmalloc(BODY_CHUNK);
	ssize_t n;

	body_reset(b);
	if (body_open(b, SIZE_MAX, error_r) < 0) {
		free(buf);
		return -1;
	}
	while ((n = read(fd, buf, BODY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fd_write_all(b->fd, buf, (size_t)n) < 0) {
			*error_r = "cannot copy the message";
			free(buf);
			body_reset(b);
			return -1;
		}
		b->len += (size_t)n;
	}
	free(buf);
	return 0;
}

int body_copy_to(const struct body *b, int fd, const char **error_r)
{
	char *buf = xmalloc(BODY_CHUNK);
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = pread(b->fd, buf, BODY_CHUNK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || fd_write_all(fd, buf, (size_t)n) < 0) {
			*error_r = "cannot copy the message";
			free(buf);
			return -1;
		}
		off += (size_t)n;
	}
	free(buf);
	return 0;
}

size_t body_head(const struct body *b, char *buf, size_t size)
{
	ssize_t n = 0;

	if (b->fd >= 0 && size > 1) {
		n = pread(b->fd, buf, size - 1, 0);
		if (n < 0)
			n = 0;
	}
	if (size > 0)
		buf[n] = '\0';
	return (size_t)n;
}
