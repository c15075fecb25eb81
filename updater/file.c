/*
 * file.c - file-system helpers (see file.h).
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/xalloc.h"
#include "updater/file.h"
#include "updater/reason.h"

#define FILE_COPY_BLOCK 65536

static __thread char file_why[REASON_MAX];

static int file_fail(const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* file_fail - format a reason with errno appended. */
static int file_fail(const char **error_r, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	reason_vset(file_why, error_r, fmt, ap);
	va_end(ap);
	n = strlen(file_why);
	snprintf(file_why + n, sizeof(file_why) - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int file_fsync_path(const char *path, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return file_fail(error_r, "open %s", path);
	if (fsync(fd) < 0) {
		file_fail(error_r, "fsync %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int file_fsync_tree(const char *dir, const char **error_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (d == NULL)
		return file_fail(error_r, "opendir %s", dir);
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			ret = file_fail(error_r, "lstat %s", path);
		else if (S_ISDIR(st.st_mode))
			ret = file_fsync_tree(path, error_r);
		else if (S_ISREG(st.st_mode))
			ret = file_fsync_path(path, error_r);
	}
	closedir(d);
	if (ret == 0)
		ret = file_fsync_path(dir, error_r);
	return ret;
}

/* file_dirname - the directory part of PATH into BUF. */
static void file_dirname(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, size, ".");
	else if (slash == path)
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

int file_write_atomic(const char *path, const void *buf, size_t len, const char **error_r)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return file_fail(error_r, "create %s", tmp);
	if (fd_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		file_fail(error_r, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		file_fail(error_r, "close %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		file_fail(error_r, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	file_dirname(path, dir, sizeof(dir));
	return file_fsync_path(dir, error_r);
}

int file_copy(const char *from, const char *to, const char **error_r)
{
	char buf[FILE_COPY_BLOCK];
	int in, out, ret = -1;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return file_fail(error_r, "open %s", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0) {
		file_fail(error_r, "create %s", to);
		close(in);
		return -1;
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			file_fail(error_r, "read %s", from);
			break;
		}
		if (n == 0) {
			if (fsync(out) < 0)
				file_fail(error_r, "fsync %s", to);
			else
				ret = 0;
			break;
		}
		if (fd_write_all(out, buf, (size_t)n) < 0) {
			file_fail(error_r, "write %s", to);
			break;
		}
	}
	close(in);
	if (close(out) < 0 && ret == 0)
		ret = file_fail(error_r, "close %s", to);
	if (ret < 0)
		unlink(to);
	return ret;
}

int file_link_or_copy(const char *from, const char *to, const char **error_r)
{
	if (link(from, to) == 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
		return file_fail(error_r, "link %s to %s", from, to);
	return file_copy(from, to, error_r);
}

int file_remove_tree(const char *path, const char **error_r)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : file_fail(error_r, "lstat %s", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return file_fail(error_r, "unlink %s", path);
		return 0;
	}
	d = opendir(path);
	if (d == NULL)
		return file_fail(error_r, "opendir %s", path);
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char sub[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		ret = file_remove_tree(sub, error_r);
	}
	closedir(d);
	if (ret == 0 && rmdir(path) < 0 && errno != ENOENT)
		ret = file_fail(error_r, "rmdir %s", path);
	return ret;
}

int file_read_all(const char *path, size_t max, char **buf_r, size_t *len_r,
		  const char **error_r)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_fail(error_r, "open %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errno = errno ? errno : EINVAL;
		file_fail(error_r, "not a readable file: %s", path);
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > max) {
		errno = EFBIG;
		file_fail(error_r, "%s", path);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*buf_r = buf;
	*len_r = len;
	return 0;
}

int file_mkdirs(const char *path, unsigned mode, const char **error_r)
{
	char buf[PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return file_fail(error_r, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return file_fail(error_r, "mkdir %s", buf);
	return 0;
}

int file_sha256_hex(const char *path, char hex[FILE_SHA256_HEX_LEN + 1], const char **error_r)
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES], buf[FILE_COPY_BLOCK];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return file_fail(error_r, "%s", path);
	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return file_fail(error_r, "%s", path);
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
	}
	close(fd);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, FILE_SHA256_HEX_LEN + 1, h, sizeof(h));
	return 0;
}

/* file_name_ok - a name a mirror may give (see file.h). */
int file_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || *name == '.' || strlen(name) > FILE_NAME_MAX)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '+' ||
		      *p == '-'))
			return 0;
	return 1;
}
