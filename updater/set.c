/*
 * set.c - the .mxscan-set description of a version (see set.h).
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
#include "updater/set.h"

static char set_why[PATH_MAX + 64];

struct set_db *set_add_db(struct set *s, const char *name)
{
	struct set_db *d;

	s->dbs = xrealloc(s->dbs, (s->ndbs + 1) * sizeof(*s->dbs));
	d = &s->dbs[s->ndbs++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

struct set_bundle *set_add_bundle(struct set *s, const char *url)
{
	struct set_bundle *b;

	s->bundles = xrealloc(s->bundles, (s->nbundles + 1) * sizeof(*s->bundles));
	b = &s->bundles[s->nbundles++];
	memset(b, 0, sizeof(*b));
	b->url = xstrdup(url);
	return b;
}

void set_bundle_add_file(struct set_bundle *b, const char *name)
{
	b->files = xrealloc(b->files, (b->nfiles + 1) * sizeof(*b->files));
	b->files[b->nfiles++] = xstrdup(name);
}

const struct set_db *set_find_db(const struct set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ndbs; i++)
		if (strcmp(s->dbs[i].name, name) == 0)
			return &s->dbs[i];
	return NULL;
}

const struct set_bundle *set_find_bundle(const struct set *s, const char *url)
{
	size_t i;

	for (i = 0; i < s->nbundles; i++)
		if (strcmp(s->bundles[i].url, url) == 0)
			return &s->bundles[i];
	return NULL;
}

int set_read(const char *dir, struct set *s, const char **error_r)
{
	char path[PATH_MAX], *buf, *line, *save = NULL;
	size_t len, i;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/" SET_FILE, dir);
	if (access(path, F_OK) != 0)
		return 0;
	if (file_read_all(path, 16 << 20, &buf, &len, error_r) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char a[4096], b[4096], c[4096];
		unsigned long long n1, n2;

		if (sscanf(line, "signatures %llu", &n1) == 1)
			s->signatures = n1;
		else if (sscanf(line, "db %63s %llu %llu", a, &n1, &n2) == 3) {
			struct set_db *d = set_add_db(s, a);

			d->version = (unsigned)n1;
			d->sigs = (unsigned)n2;
		} else if (sscanf(line, "bundle %64s %127s %4095s", a, b, c) == 3) {
			struct set_bundle *bu = set_add_bundle(s, c);

			snprintf(bu->sha256, sizeof(bu->sha256), "%s", a);
			snprintf(bu->source, sizeof(bu->source), "%s", b);
		} else if (sscanf(line, "file %127s %4095s", a, b) == 2) {
			for (i = 0; i < s->nbundles; i++)
				if (strcmp(s->bundles[i].source, a) == 0)
					set_bundle_add_file(&s->bundles[i], b);
		}
	}
	free(buf);
	s->known = 1;
	return 0;
}

int set_write(const char *dir, const struct set *s, const char **error_r)
{
	char path[PATH_MAX];
	size_t i, j;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/" SET_FILE, dir);
	fp = fopen(path, "wx");
	if (fp == NULL) {
		snprintf(set_why, sizeof(set_why), "create %s: %s", path, strerror(errno));
		*error_r = set_why;
		return -1;
	}
	fprintf(fp, "mxscan-set 1\nsignatures %llu\n", s->signatures);
	for (i = 0; i < s->ndbs; i++)
		fprintf(fp, "db %s %u %u\n", s->dbs[i].name, s->dbs[i].version, s->dbs[i].sigs);
	for (i = 0; i < s->nbundles; i++) {
		const struct set_bundle *b = &s->bundles[i];

		fprintf(fp, "bundle %s %s %s\n", b->sha256, b->source, b->url);
		for (j = 0; j < b->nfiles; j++)
			fprintf(fp, "file %s %s\n", b->source, b->files[j]);
	}
	if (ferror(fp) | fclose(fp)) {
		snprintf(set_why, sizeof(set_why), "write %s: %s", path, strerror(errno));
		*error_r = set_why;
		return -1;
	}
	return 0;
}

void set_free(struct set *s)
{
	size_t i, j;

	for (i = 0; i < s->nbundles; i++) {
		for (j = 0; j < s->bundles[i].nfiles; j++)
			free(s->bundles[i].files[j]);
		free(s->bundles[i].files);
		free(s->bundles[i].url);
	}
	free(s->dbs);
	free(s->bundles);
	memset(s, 0, sizeof(*s));
}
