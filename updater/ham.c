/*
 * ham.c - the false-positive gate's scan of update_ham_dir (see ham.h).
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/engine.h"
#include "updater/ham.h"

/* ham_dir - scan DIR at DEPTH; adds to *count; -1 with WHY set. */
static int ham_dir(const struct engine_db *db, const char *dir, int depth, long *count,
		   char *why, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), i, ret = 0;

	if (n < 0) {
		snprintf(why, size, "update_ham_dir: %s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		const char *virname = NULL, *err = NULL;
		enum engine_result r;
		struct stat st;
		int fd;

		if (ret < 0 || names[i]->d_name[0] == '.')
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (lstat(path, &st) < 0)
			goto next;
		if (S_ISDIR(st.st_mode) && depth < HAM_DEPTH_MAX) {
			ret = ham_dir(db, path, depth + 1, count, why, size);
			goto next;
		}
		if (!S_ISREG(st.st_mode))
			goto next;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			snprintf(why, size, "update_ham_dir: %s: %s", path, strerror(errno));
			ret = -1;
			goto next;
		}
		r = engine_scan_fd(db, fd, path, 0, NULL, &virname, &err);
		close(fd);
		(*count)++;
		if (r == ENGINE_VIRUS) {
			snprintf(why, size, "ham gate: %s flagged as %s", path, virname);
			ret = -1;
		} else if (r != ENGINE_CLEAN) {
			snprintf(why, size, "ham gate: %s could not be scanned: %s", path,
				 err != NULL ? err : "unknown error");
			ret = -1;
		}
next:
		free(names[i]);
	}
	free(names);
	return ret;
}

long ham_scan(const struct engine_db *db, const char *dir, char *why, size_t size)
{
	long count = 0;

	if (ham_dir(db, dir, 0, &count, why, size) < 0)
		return -1;
	return count;
}
