/*
 * roots.c - scand_scan_roots: the directories path scans may read (see
 * roots.h).  A path is under a root when its resolved form equals the
 * root's resolved form or continues it with a '/'.  A descriptor's path
 * is the kernel's (/proc/self/fd), so it names what was opened.
 */
#include "auto-config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "scanner/roots.h"

static const char roots_denied[] = "Access denied: path outside scand_scan_roots.";

/* roots_contain - REAL (a resolved path) is under one of the roots. */
static int roots_contain(const char *real)
{
	const char *const *roots;
	char root[PATH_MAX];
	int i, n;

	n = config_list(CONF_SCAND_SCAN_ROOTS, &roots);
	for (i = 0; i < n; i++) {
		size_t len;

		if (realpath(roots[i], root) == NULL)
			continue;
		if (strcmp(root, "/") == 0)
			return 1;
		len = strlen(root);
		if (strncmp(real, root, len) == 0 && (real[len] == '\0' || real[len] == '/'))
			return 1;
	}
	return 0;
}

int roots_check_path(const char *arg, const char **why_r)
{
	char real[PATH_MAX];

	if (realpath(arg, real) == NULL) {
		*why_r = NULL;	/* caller reports errno */
		return -1;
	}
	if (roots_contain(real))
		return 0;
	*why_r = roots_denied;
	return -1;
}

int roots_check_fd(int fd, const char **why_r)
{
	char link[64], real[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n <= 0 || real[0] != '/') {	/* no /proc, or not a path: refuse */
		*why_r = roots_denied;
		return -1;
	}
	real[n] = '\0';
	if (roots_contain(real))
		return 0;
	*why_r = roots_denied;
	return -1;
}
