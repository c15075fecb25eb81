/*
 * install.c - version directories and the current link (see install.h).
 *
 * At every instant current names a complete, synced version: the new
 * version is synced and renamed into place before the link moves, and
 * the link moves by rename(2), which replaces it atomically.
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "updater/file.h"
#include "updater/install.h"
#include "updater/pause.h"
#include "updater/reason.h"

/* The current link's target is "versions/<id>"; a version being built is
 * "versions/<id>.tmp". */
#define INSTALL_LINK_PREFIX "versions/"
#define INSTALL_TMP_SUFFIX ".tmp"

static __thread char install_why[REASON_MAX];

/* install_is_tmp - whether NAME ends in INSTALL_TMP_SUFFIX (and has more). */
static int install_is_tmp(const char *name)
{
	size_t len = strlen(name), n = strlen(INSTALL_TMP_SUFFIX);

	return len > n && strcmp(name + len - n, INSTALL_TMP_SUFFIX) == 0;
}

int install_id_ok(const char *id)
{
	const char *p;

	if (*id == '\0' || *id == '.' || strlen(id) >= INSTALL_ID_MAX)
		return -1;
	for (p = id; *p; p++)
		if (*p == '/')
			return -1;
	if (install_is_tmp(id))
		return -1;
	return 0;
}

/*
 * install_split - ID as its time stamp and its number within that second:
 * "<base>-<n>" gives (base length, n); a bare id is number 1.  An id of
 * another shape is all base.
 */
static size_t install_split(const char *id, unsigned long *n_r)
{
	const char *dash = strrchr(id, '-');
	size_t len = strlen(id);

	if (install_is_tmp(id))
		len -= strlen(INSTALL_TMP_SUFFIX);
	*n_r = 1;
	if (dash == NULL || dash == id || (size_t)(dash - id) + 1 >= len ||
	    strspn(dash + 1, "0123456789") != len - (size_t)(dash - id) - 1)
		return len;
	*n_r = strtoul(dash + 1, NULL, 10);
	return (size_t)(dash - id);
}

/*
 * install_order - versions in the order they were made: by time stamp,
 * then by number within the second ("-10" after "-9", which strcmp
 * would not give).
 */
static int install_order(const char *a, const char *b)
{
	unsigned long na, nb;
	size_t la = install_split(a, &na), lb = install_split(b, &nb);
	int c = strncmp(a, b, la < lb ? la : lb);

	if (c != 0)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}

void install_new_id(const char *root, char buf[INSTALL_ID_MAX])
{
	char base[32], path[PATH_MAX], tmp[PATH_MAX];
	time_t now = time(NULL);
	unsigned long n = 1, used;
	struct dirent *de;
	struct tm tm;
	DIR *d;

	gmtime_r(&now, &tm);
	strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
	/* After every version made in this second, even one pruned since:
	 * a new version must sort after the ones it follows. */
	snprintf(path, sizeof(path), "%s/versions", root);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (install_split(de->d_name, &used) == strlen(base) &&
			    strncmp(de->d_name, base, strlen(base)) == 0 && used >= n)
				n = used + 1;
		closedir(d);
	}
	for (;; n++) {
		if (n == 1)
			snprintf(buf, INSTALL_ID_MAX, "%s", base);
		else
			snprintf(buf, INSTALL_ID_MAX, "%s-%lu", base, n);
		snprintf(path, sizeof(path), "%s/versions/%s", root, buf);
		snprintf(tmp, sizeof(tmp), "%s/versions/%s" INSTALL_TMP_SUFFIX, root, buf);
		if (access(path, F_OK) != 0 && access(tmp, F_OK) != 0)
			return;
	}
}

int install_current(const char *root, char buf[INSTALL_ID_MAX])
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *id;
	ssize_t n;

	snprintf(link, sizeof(link), "%s/current", root);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	id = target + strlen(INSTALL_LINK_PREFIX);
	if (strncmp(target, INSTALL_LINK_PREFIX, strlen(INSTALL_LINK_PREFIX)) != 0 ||
	    install_id_ok(id) < 0)
		return -1;
	snprintf(buf, INSTALL_ID_MAX, "%s", id);
	return 0;
}

int install_point(const char *root, const char *id, const char **error_r)
{
	char link[PATH_MAX], newlink[PATH_MAX], target[PATH_MAX];

	snprintf(link, sizeof(link), "%s/current", root);
	snprintf(newlink, sizeof(newlink), "%s/.current.new", root);
	snprintf(target, sizeof(target), INSTALL_LINK_PREFIX "%s", id);
	if (unlink(newlink) < 0 && errno != ENOENT)
		goto fail;
	if (symlink(target, newlink) < 0)
		goto fail;
	if (rename(newlink, link) < 0) {
		unlink(newlink);
		goto fail;
	}
	return file_fsync_path(root, error_r);
fail:
	return reason_set(install_why, error_r, "pointing %s at %s: %s", link, target,
			  strerror(errno));
}

int install_commit(const char *root, const char *id, const char **error_r)
{
	char tmp[PATH_MAX], dir[PATH_MAX], versions[PATH_MAX];

	snprintf(versions, sizeof(versions), "%s/versions", root);
	snprintf(tmp, sizeof(tmp), "%s/%s" INSTALL_TMP_SUFFIX, versions, id);
	snprintf(dir, sizeof(dir), "%s/%s", versions, id);
	if (file_fsync_tree(tmp, error_r) < 0)
		return -1;
	if (rename(tmp, dir) < 0)
		return reason_set(install_why, error_r, "rename %s to %s: %s", tmp, dir,
				  strerror(errno));
	if (file_fsync_path(versions, error_r) < 0)
		return -1;
	pause_point("swap");
	return install_point(root, id, error_r);
}

static int install_cmp(const void *a, const void *b)
{
	return install_order(*(char *const *)a, *(char *const *)b);
}

char **install_list(const char *root, size_t *n_r)
{
	char versions[PATH_MAX];
	char **ids = xcalloc(1, sizeof(char *));
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(versions, sizeof(versions), "%s/versions", root);
	d = opendir(versions);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			char path[PATH_MAX];
			struct stat st;

			if (install_id_ok(de->d_name) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", versions, de->d_name);
			if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			ids = xrealloc(ids, (n + 2) * sizeof(char *));
			ids[n++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	ids[n] = NULL;
	qsort(ids, n, sizeof(char *), install_cmp);
	*n_r = n;
	return ids;
}

void install_list_free(char **ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
}

int install_previous(const char *root, const char *cur, char buf[INSTALL_ID_MAX])
{
	size_t n, i;
	char **ids = install_list(root, &n);
	int ret = -1;

	for (i = n; i-- > 0;)
		if (install_order(ids[i], cur) < 0) {
			snprintf(buf, INSTALL_ID_MAX, "%s", ids[i]);
			ret = 0;
			break;
		}
	install_list_free(ids);
	return ret;
}

void install_clean_tmp(const char *root)
{
	char versions[PATH_MAX];
	struct dirent *de;
	const char *err;
	DIR *d;

	snprintf(versions, sizeof(versions), "%s/versions", root);
	d = opendir(versions);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (!install_is_tmp(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", versions, de->d_name);
		log_info("removing %s, left by an interrupted run", path);
		if (file_remove_tree(path, &err) < 0)
			log_warn("%s", err);
	}
	closedir(d);
}
