/*
 * lock.c - the run lock (see lock.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "updater/lock.h"
#include "updater/reason.h"

static int lock_fd = -1;	/* open, and so locked, until the process exits */
static __thread char lock_why[REASON_MAX];

enum update_result lock_acquire(const char *root, const char **error_r)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/.lock", root);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lock_fd < 0) {
		reason_set(lock_why, error_r, "%s: %s", path, strerror(errno));
		return UPDATE_DISK;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;

		reason_set(lock_why, error_r, "%s: %s", path,
			   busy ? "another mxscan-update run holds the lock" : strerror(errno));
		close(lock_fd);
		lock_fd = -1;
		return busy ? UPDATE_LOCKED : UPDATE_DISK;
	}
	return UPDATE_OK;
}

int lock_is_held(const char *root)
{
	char path[PATH_MAX];
	int fd, held = 0;

	snprintf(path, sizeof(path), "%s/.lock", root);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		held = errno == EWOULDBLOCK;
	close(fd);
	return held;
}
