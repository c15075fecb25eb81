/*
 * ignore.c - the .ign2 allow list written from update_ignore_signatures
 * (see ignore.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "updater/file.h"
#include "updater/ignore.h"
#include "updater/reason.h"

/* The largest allow list read back. */
#define IGNORE_FILE_MAX (1 << 20)

static __thread char ignore_why[REASON_MAX];

int ignore_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0')
		return 0;
	for (p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == ':')
			return 0;
	return 1;
}

char *ignore_text(const char *const *names, int n)
{
	char *out = xstrdup(""), *next;
	int i;

	for (i = 0; i < n; i++) {
		next = xasprintf("%s%s\n", out, names[i]);
		free(out);
		out = next;
	}
	return out;
}

int ignore_changed(const char *dir, const char *const *names, int n)
{
	char path[PATH_MAX], *want = ignore_text(names, n), *have = NULL;
	const char *err;
	size_t len;
	int changed;

	snprintf(path, sizeof(path), "%s/" IGNORE_FILE, dir);
	if (access(path, F_OK) != 0)
		changed = *want != '\0';
	else if (file_read_all(path, IGNORE_FILE_MAX, &have, &len, &err) < 0)
		changed = 1;
	else
		changed = strcmp(have, want) != 0;
	free(have);
	free(want);
	return changed;
}

int ignore_write(const char *dir, const char *const *names, int n, const char **error_r)
{
	char path[PATH_MAX], *text;
	FILE *fp;
	int bad;

	if (n == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/" IGNORE_FILE, dir);
	fp = fopen(path, "wx");
	if (fp == NULL)
		return reason_set(ignore_why, error_r, "create %s: %s", path, strerror(errno));
	text = ignore_text(names, n);
	fputs(text, fp);
	free(text);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad)
		return reason_set(ignore_why, error_r, "write %s: %s", path, strerror(errno));
	return 0;
}
