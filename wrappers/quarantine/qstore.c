/*
 * qstore.c - the quarantine store on disk (see qstore.h).
 */
#include "auto-config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/xalloc.h"
#include "wrappers/quarantine/qstore.h"

static __thread char qstore_why[512];

static int qstore_fail(const char **error_r, const char *what, const char *arg)
{
	snprintf(qstore_why, sizeof(qstore_why), "%s %s: %s", what, arg, strerror(errno));
	*error_r = qstore_why;
	return -1;
}

int qstore_init_dir(const char *dir, const char **error_r)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return qstore_fail(error_r, "mkdir", dir);
	if (stat(dir, &st) < 0)
		return qstore_fail(error_r, "stat", dir);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return qstore_fail(error_r, "quarantine", dir);
	}
	if (access(dir, W_OK | X_OK) < 0)
		return qstore_fail(error_r, "access", dir);
	return 0;
}

int qstore_valid_id(const char *id)
{
	size_t i, n = strlen(id);

	if (n != 15 + 1 + 12 || id[8] != 'T' || id[15] != '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 15)
			continue;
		if (!(isdigit((unsigned char)id[i]) || (i > 15 && id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	}
	return 1;
}

/*
 * qstore_new_id - the second of NOW, then 12 hexadecimal digits: the
 * microsecond within it (5 digits, so ids sort in quarantining order)
 * and 28 random bits (so ids made in the same microsecond differ).
 */
static void qstore_new_id(char *id, const struct timespec *now)
{
	unsigned char rnd[4] = {0};
	time_t t = now->tv_sec;
	struct tm tm;
	size_t n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		long long x = (long long)getpid() ^ (long long)clock();

		memcpy(rnd, &x, sizeof(rnd));
	}
	gmtime_r(&t, &tm);
	n = strftime(id, QSTORE_ID_MAX, "%Y%m%dT%H%M%S-", &tm);
	snprintf(id + n, QSTORE_ID_MAX - n, "%05lx%07lx", (unsigned long)(now->tv_nsec / 1000),
		 ((unsigned long)rnd[0] << 24 | (unsigned long)rnd[1] << 16 |
		  (unsigned long)rnd[2] << 8 | rnd[3]) & 0xfffffffUL);
}

/* qstore_put_file - write DATA (or the file SRC) to DIR/NAME via a temporary name. */
static int qstore_put_file(const char *dir, const char *name, const char *data, int src,
			   const char **error_r)
{
	char *tmp = xasprintf("%s/.%s.tmp", dir, name), *final = xasprintf("%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), ret = -1;

	if (fd < 0) {
		qstore_fail(error_r, "create", tmp);
		goto out;
	}
	if (data != NULL) {
		if (fd_write_all(fd, data, strlen(data)) < 0) {
			qstore_fail(error_r, "write", tmp);
			goto fail;
		}
	} else {
		char buf[65536];
		off_t off = 0;
		ssize_t n;

		while ((n = pread(src, buf, sizeof(buf), off)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 || fd_write_all(fd, buf, (size_t)n) < 0) {
				qstore_fail(error_r, "write", tmp);
				goto fail;
			}
			off += n;
		}
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		qstore_fail(error_r, "fsync", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, final) < 0) {
		qstore_fail(error_r, "rename", tmp);
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(final);
	return ret;
}

/* qstore_add - append "key: value\n" with VALUE cut at any line break. */
static void qstore_add(char **text, const char *key, const char *value)
{
	char *old = *text;
	size_t n = strcspn(value ? value : "", "\r\n");

	*text = xasprintf("%s%s: %.*s\n", old, key, (int)n, value ? value : "");
	free(old);
}

int qstore_put(const char *dir, struct qstore_entry *e, int fd, const char **error_r)
{
	char *env = xstrdup(""), num[32], *msgname, *envname;
	struct timespec now;
	int i, ret = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	e->time = (long long)now.tv_sec;
	qstore_new_id(e->id, &now);
	qstore_add(&env, "id", e->id);
	snprintf(num, sizeof(num), "%lld", e->time);
	qstore_add(&env, "time", num);
	snprintf(num, sizeof(num), "%lld", e->size);
	qstore_add(&env, "size", num);
	qstore_add(&env, "client", e->client);
	qstore_add(&env, "queue_id", e->queue_id);
	qstore_add(&env, "signature", e->signature);
	qstore_add(&env, "mail", e->mail);
	for (i = 0; i < e->nrcpt; i++)
		qstore_add(&env, "rcpt", e->rcpt[i]);
	msgname = xasprintf("%s.msg", e->id);
	envname = xasprintf("%s.env", e->id);
	if (qstore_put_file(dir, msgname, NULL, fd, error_r) == 0) {
		if (qstore_put_file(dir, envname, env, -1, error_r) == 0) {
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
			ret = 0;
		} else {
			char *p = xasprintf("%s/%s", dir, msgname);

			unlink(p);
			free(p);
		}
	}
	free(msgname);
	free(envname);
	free(env);
	return ret;
}

int qstore_get(const char *dir, const char *id, struct qstore_entry *e, const char **error_r)
{
	char *path, line[8192];
	FILE *fp;

	memset(e, 0, sizeof(*e));
	if (!qstore_valid_id(id)) {
		*error_r = "not a quarantine id";
		return -1;
	}
	path = xasprintf("%s/%s.env", dir, id);
	fp = fopen(path, "re");
	if (fp == NULL) {
		qstore_fail(error_r, "open", path);
		free(path);
		return -1;
	}
	free(path);
	snprintf(e->id, sizeof(e->id), "%s", id);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *colon = strchr(line, ':'), *v;

		line[strcspn(line, "\n")] = '\0';
		if (colon == NULL)
			continue;
		*colon = '\0';
		v = colon[1] == ' ' ? colon + 2 : colon + 1;
		if (strcmp(line, "time") == 0)
			e->time = atoll(v);
		else if (strcmp(line, "size") == 0)
			e->size = atoll(v);
		else if (strcmp(line, "client") == 0 && e->client == NULL)
			e->client = xstrdup(v);
		else if (strcmp(line, "queue_id") == 0 && e->queue_id == NULL)
			e->queue_id = xstrdup(v);
		else if (strcmp(line, "signature") == 0 && e->signature == NULL)
			e->signature = xstrdup(v);
		else if (strcmp(line, "mail") == 0 && e->mail == NULL)
			e->mail = xstrdup(v);
		else if (strcmp(line, "rcpt") == 0 && e->nrcpt < 100000) {
			e->rcpt = xrealloc(e->rcpt, (size_t)(e->nrcpt + 2) * sizeof(char *));
			e->rcpt[e->nrcpt++] = xstrdup(v);
			e->rcpt[e->nrcpt] = NULL;
		}
	}
	fclose(fp);
	if (e->mail == NULL || e->nrcpt == 0) {
		qstore_entry_free(e);
		*error_r = "incomplete envelope";
		return -1;
	}
	return 0;
}

int qstore_open_message(const char *dir, const char *id, const char **error_r)
{
	char *path;
	int fd;

	if (!qstore_valid_id(id)) {
		*error_r = "not a quarantine id";
		return -1;
	}
	path = xasprintf("%s/%s.msg", dir, id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		qstore_fail(error_r, "open", path);
	free(path);
	return fd;
}

int qstore_delete(const char *dir, const char *id, const char **error_r)
{
	char *env, *msg;
	int ret = 0;

	if (!qstore_valid_id(id)) {
		*error_r = "not a quarantine id";
		return -1;
	}
	env = xasprintf("%s/%s.env", dir, id);
	msg = xasprintf("%s/%s.msg", dir, id);
	/* The envelope goes first: an entry without it is no longer listed. */
	if (unlink(env) < 0)
		ret = qstore_fail(error_r, "unlink", env);
	else if (unlink(msg) < 0 && errno != ENOENT)
		ret = qstore_fail(error_r, "unlink", msg);
	free(env);
	free(msg);
	return ret;
}

static int qstore_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int qstore_list(const char *dir, char ***ids_r, const char **error_r)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **ids = NULL;
	int n = 0;

	if (d == NULL)
		return qstore_fail(error_r, "opendir", dir);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char id[QSTORE_ID_MAX];

		if (len < 5 || len - 4 >= sizeof(id) || strcmp(de->d_name + len - 4, ".env") != 0)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(len - 4), de->d_name);
		if (!qstore_valid_id(id))
			continue;
		ids = xrealloc(ids, (size_t)(n + 2) * sizeof(char *));
		ids[n++] = xstrdup(id);
	}
	closedir(d);
	if (ids == NULL)
		ids = xcalloc(1, sizeof(char *));
	ids[n] = NULL;
	qsort(ids, (size_t)n, sizeof(char *), qstore_cmp);
	*ids_r = ids;
	return n;
}

void qstore_entry_free(struct qstore_entry *e)
{
	int i;

	for (i = 0; i < e->nrcpt; i++)
		free(e->rcpt[i]);
	free(e->rcpt);
	free(e->mail);
	free(e->client);
	free(e->queue_id);
	free(e->signature);
	memset(e, 0, sizeof(*e));
}
