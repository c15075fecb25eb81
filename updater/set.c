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
#include "updater/reason.h"
#include "updater/set.h"

/* The largest .mxscan-set read. */
#define SET_FILE_MAX (16 << 20)

/* SET_WIDTH - a field's *_MAX as the width of a sscanf conversion. */
#define SET_WIDTH(max) SET_WIDTH_(max)
#define SET_WIDTH_(max) #max

/* The lines set_read() knows (see set.h). */
#define SET_SCAN_DB "db %" SET_WIDTH(SET_DB_NAME_MAX) "s %llu %llu"
#define SET_SCAN_BUNDLE                         \
	"bundle %" SET_WIDTH(SET_SHA256_HEX_LEN) "s" \
	" %" SET_WIDTH(SET_SOURCE_MAX) "s"           \
	" %" SET_WIDTH(SET_URL_MAX) "s"
#define SET_SCAN_FEED "feed %" SET_WIDTH(SET_SOURCE_MAX) "s"
#define SET_SCAN_FEED_FILE                        \
	"feedfile %" SET_WIDTH(SET_SOURCE_MAX) "s" \
	" %" SET_WIDTH(SET_SHA256_HEX_LEN) "s"     \
	" %" SET_WIDTH(SET_URL_MAX) "s"
#define SET_SCAN_FILE "file %" SET_WIDTH(SET_SOURCE_MAX) "s %" SET_WIDTH(SET_URL_MAX) "s"

static __thread char set_why[REASON_MAX];

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

struct set_feed *set_add_feed(struct set *s, const char *name)
{
	struct set_feed *f;

	s->feeds = xrealloc(s->feeds, (s->nfeeds + 1) * sizeof(*s->feeds));
	f = &s->feeds[s->nfeeds++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

void set_feed_add_file(struct set_feed *f, const char *name, const char *sha256)
{
	f->files = xrealloc(f->files, (f->nfiles + 1) * sizeof(*f->files));
	snprintf(f->files[f->nfiles].sha256, sizeof(f->files[f->nfiles].sha256), "%s", sha256);
	f->files[f->nfiles++].name = xstrdup(name);
}

const struct set_feed *set_find_feed(const struct set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nfeeds; i++)
		if (strcmp(s->feeds[i].name, name) == 0)
			return &s->feeds[i];
	return NULL;
}

const struct set_feed_file *set_feed_file(const struct set_feed *feed, const char *name)
{
	size_t i;

	for (i = 0; feed != NULL && i < feed->nfiles; i++)
		if (strcmp(feed->files[i].name, name) == 0)
			return &feed->files[i];
	return NULL;
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
	if (file_read_all(path, SET_FILE_MAX, &buf, &len, error_r) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char a[SET_URL_MAX + 1], b[SET_URL_MAX + 1], c[SET_URL_MAX + 1];
		unsigned long long n1, n2;

		if (sscanf(line, "signatures %llu", &n1) == 1)
			s->signatures = n1;
		else if (sscanf(line, SET_SCAN_DB, a, &n1, &n2) == 3) {
			struct set_db *d = set_add_db(s, a);

			d->version = (unsigned)n1;
			d->sigs = (unsigned)n2;
		} else if (sscanf(line, SET_SCAN_BUNDLE, a, b, c) == 3) {
			struct set_bundle *bu = set_add_bundle(s, c);

			snprintf(bu->sha256, sizeof(bu->sha256), "%s", a);
			snprintf(bu->source, sizeof(bu->source), "%s", b);
		} else if (sscanf(line, SET_SCAN_FEED_FILE, a, b, c) == 3) {
			for (i = 0; i < s->nfeeds; i++)
				if (strcmp(s->feeds[i].name, a) == 0)
					set_feed_add_file(&s->feeds[i], c, b);
		} else if (sscanf(line, SET_SCAN_FEED, a) == 1) {
			set_add_feed(s, a);
		} else if (sscanf(line, SET_SCAN_FILE, a, b) == 2) {
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
	if (fp == NULL)
		return reason_set(set_why, error_r, "create %s: %s", path, strerror(errno));
	fprintf(fp, "mxscan-set 1\nsignatures %llu\n", s->signatures);
	for (i = 0; i < s->ndbs; i++)
		fprintf(fp, "db %s %u %u\n", s->dbs[i].name, s->dbs[i].version, s->dbs[i].sigs);
	for (i = 0; i < s->nbundles; i++) {
		const struct set_bundle *b = &s->bundles[i];

		fprintf(fp, "bundle %s %s %s\n", b->sha256, b->source, b->url);
		for (j = 0; j < b->nfiles; j++)
			fprintf(fp, "file %s %s\n", b->source, b->files[j]);
	}
	for (i = 0; i < s->nfeeds; i++) {
		const struct set_feed *f = &s->feeds[i];

		fprintf(fp, "feed %s\n", f->name);
		for (j = 0; j < f->nfiles; j++)
			fprintf(fp, "feedfile %s %s %s\n", f->name, f->files[j].sha256,
				f->files[j].name);
	}
	if (ferror(fp) | fclose(fp))
		return reason_set(set_why, error_r, "write %s: %s", path, strerror(errno));
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
	for (i = 0; i < s->nfeeds; i++) {
		for (j = 0; j < s->feeds[i].nfiles; j++)
			free(s->feeds[i].files[j].name);
		free(s->feeds[i].files);
	}
	free(s->dbs);
	free(s->bundles);
	free(s->feeds);
	memset(s, 0, sizeof(*s));
}
