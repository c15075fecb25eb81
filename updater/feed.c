/*
 * feed.c - the update_feeds parser (see feed.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/xalloc.h"
#include "updater/feed.h"
#include "updater/file.h"
#include "updater/reason.h"

static __thread char feed_why[REASON_MAX];

static const char *const feed_verify_names[] = {
	[FEED_VERIFY_GPG] = "gpg",
	[FEED_VERIFY_MINISIGN] = "minisign",
	[FEED_VERIFY_SHA256] = "sha256",
	[FEED_VERIFY_CVD] = "cvd",
	[FEED_VERIFY_NONE] = "none",
};

const char *feed_verify_str(enum feed_verify verify)
{
	return feed_verify_names[verify];
}

const char *feed_sidecar(enum feed_verify verify)
{
	switch (verify) {
	case FEED_VERIFY_GPG:
		return ".sig";
	case FEED_VERIFY_MINISIGN:
		return ".minisig";
	case FEED_VERIFY_SHA256:
		return ".sha256";
	case FEED_VERIFY_CVD:
	case FEED_VERIFY_NONE:
		break;
	}
	return NULL;
}

void feed_free_all(struct feed *feeds, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct feed *f = &feeds[i];

		for (j = 0; j < f->nurls; j++)
			free(f->urls[j]);
		for (j = 0; j < f->nfiles; j++)
			free(f->files[j].name);
		free(f->urls);
		free(f->files);
		free(f->name);
		free(f->gpg_home);
		free(f->minisign_key);
	}
	free(feeds);
}

/* feed_url_ok - an absolute https, http or file URL without query or
 * fragment (file names are appended to it). */
static int feed_url_ok(const char *url)
{
	const char *rest;

	if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncmp(url, "file://", 7) == 0)
		rest = url + 7;
	else
		return 0;
	return *rest != '\0' && strpbrk(url, "?# \t") == NULL;
}

/* feed_add_url - one base URL (trailing slashes dropped). */
static int feed_add_url(struct feed *f, const char *url, size_t len, const char **error_r)
{
	char *u = xstrndup(url, len);
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	if (!feed_url_ok(u)) {
		reason_set(feed_why, error_r, "feed %s: url=%s is not an https, http or file URL",
			   f->name, u);
		free(u);
		return -1;
	}
	f->urls = xrealloc(f->urls, (f->nurls + 1) * sizeof(*f->urls));
	f->urls[f->nurls++] = u;
	return 0;
}

/* feed_add_file - one file name of FEEDS[IDX]; checked against every
 * name so far, in this feed and the others. */
static int feed_add_file(struct feed *feeds, size_t idx, const char *name, size_t len,
			 int companion, const char **error_r)
{
	struct feed *f = &feeds[idx];
	char *n = xstrndup(name, len);
	size_t i, j;

	if (!file_name_ok(n)) {
		reason_set(feed_why, error_r, "feed %s: bad file name \"%s\"", f->name, n);
		free(n);
		return -1;
	}
	for (i = 0; i <= idx; i++)
		for (j = 0; j < feeds[i].nfiles; j++)
			if (strcmp(feeds[i].files[j].name, n) == 0) {
				reason_set(feed_why, error_r, "feed %s: file %s is also in feed %s",
					   f->name, n, feeds[i].name);
				free(n);
				return -1;
			}
	f->files = xrealloc(f->files, (f->nfiles + 1) * sizeof(*f->files));
	f->files[f->nfiles].name = n;
	f->files[f->nfiles++].companion = companion;
	return 0;
}

/* feed_list - each comma-separated item of VALUE through ADD. */
static int feed_list(struct feed *feeds, size_t idx, const char *value, int kind,
		     const char **error_r)
{
	const char *p = value;

	if (*p == '\0')
		return reason_set(feed_why, error_r, "feed %s: empty list", feeds[idx].name);
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n > 0) {
			int r = kind == 'u' ? feed_add_url(&feeds[idx], p, n, error_r)
					    : feed_add_file(feeds, idx, p, n, kind == 'c', error_r);

			if (r < 0)
				return -1;
		}
		p += n;
		p += *p == ',';
	}
	return 0;
}

/* feed_option - one key=value WORD of FEEDS[IDX]. */
static int feed_option(struct feed *feeds, size_t idx, const char *word, const char **error_r)
{
	struct feed *f = &feeds[idx];
	const char *eq = strchr(word, '='), *value = eq + 1, *err;
	size_t klen = (size_t)(eq - word);
	long long ms = 0;
	size_t i;

#define FEED_KEY(k) (klen == strlen(k) && strncmp(word, k, klen) == 0)
	if (FEED_KEY("url"))
		return feed_list(feeds, idx, value, 'u', error_r);
	if (FEED_KEY("files"))
		return feed_list(feeds, idx, value, 'f', error_r);
	if (FEED_KEY("companions"))
		return feed_list(feeds, idx, value, 'c', error_r);
	if (FEED_KEY("verify")) {
		for (i = 0; i < sizeof(feed_verify_names) / sizeof(feed_verify_names[0]); i++)
			if (strcmp(value, feed_verify_names[i]) == 0) {
				f->verify = (enum feed_verify)i;
				return 1;	/* verify= seen */
			}
		return reason_set(feed_why, error_r,
				  "feed %s: verify=%s: expected gpg, minisign, sha256, cvd or none",
				  f->name, value);
	}
	if (FEED_KEY("interval")) {
		if (config_parse_value(CONFIG_TIME, value, &ms, &err) < 0 || ms < 0)
			return reason_set(feed_why, error_r, "feed %s: interval=%s: %s", f->name,
					  value, ms < 0 ? "negative" : err);
		f->interval_ms = ms;
		return 0;
	}
	if (FEED_KEY("gpg_home") || FEED_KEY("minisign_key")) {
		char **slot = FEED_KEY("gpg_home") ? &f->gpg_home : &f->minisign_key;

		if (*value != '/')
			return reason_set(feed_why, error_r, "feed %s: %s needs an absolute path",
					  f->name, word);
		free(*slot);
		*slot = xstrdup(value);
		return 0;
	}
#undef FEED_KEY
	return reason_set(feed_why, error_r, "feed %s: unknown key in \"%s\"", f->name, word);
}

/* feed_check - what FEED needs once all its words are read. */
static int feed_check(const struct feed *f, int have_verify, const char **error_r)
{
	size_t i;

	if (!have_verify)
		return reason_set(feed_why, error_r,
				  "feed %s: verify= is required (gpg, minisign, sha256, cvd or none)",
				  f->name);
	if (f->nurls == 0)
		return reason_set(feed_why, error_r, "feed %s: url= is required", f->name);
	if (f->nfiles == 0 || f->files[0].companion)
		return reason_set(feed_why, error_r, "feed %s: files= is required", f->name);
	if (f->verify == FEED_VERIFY_GPG && f->gpg_home == NULL)
		return reason_set(feed_why, error_r,
				  "feed %s: verify=gpg needs gpg_home= (the keyring's directory)",
				  f->name);
	if (f->verify != FEED_VERIFY_GPG && f->gpg_home != NULL)
		return reason_set(feed_why, error_r, "feed %s: gpg_home= without verify=gpg",
				  f->name);
	if (f->verify != FEED_VERIFY_MINISIGN && f->minisign_key != NULL)
		return reason_set(feed_why, error_r,
				  "feed %s: minisign_key= without verify=minisign", f->name);
	for (i = 0; f->verify == FEED_VERIFY_NONE && i < f->nurls; i++)
		if (strncmp(f->urls[i], "http://", 7) == 0)
			return reason_set(feed_why, error_r,
					  "feed %s: verify=none over plain http (%s) is refused",
					  f->name, f->urls[i]);
	return 0;
}

int feed_parse(const char *text, struct feed **feeds_r, size_t *n_r, const char **error_r)
{
	struct feed *feeds = NULL;
	size_t n = 0, i;
	const char *p = text;
	int have_verify = 0, r;

	for (;;) {
		char *word;
		size_t len;

		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t\r\n");
		word = xstrndup(p, len);
		p += len;
		if (strchr(word, '=') == NULL) {
			if (n > 0 && feed_check(&feeds[n - 1], have_verify, error_r) < 0)
				goto fail_word;
			if (!file_name_ok(word)) {
				reason_set(feed_why, error_r, "update_feeds: bad feed name \"%s\"",
					   word);
				goto fail_word;
			}
			for (i = 0; i < n; i++)
				if (strcmp(feeds[i].name, word) == 0) {
					reason_set(feed_why, error_r, "update_feeds: feed %s named twice",
						   word);
					goto fail_word;
				}
			feeds = xrealloc(feeds, (n + 1) * sizeof(*feeds));
			memset(&feeds[n], 0, sizeof(*feeds));
			feeds[n].name = word;
			feeds[n].interval_ms = FEED_INTERVAL_DEFAULT_MS;
			n++;
			have_verify = 0;
			continue;
		}
		if (n == 0) {
			reason_set(feed_why, error_r, "update_feeds: \"%s\" before the first feed name",
				   word);
			goto fail_word;
		}
		r = feed_option(feeds, n - 1, word, error_r);
		if (r < 0)
			goto fail_word;
		have_verify |= r;
		free(word);
		continue;
fail_word:
		free(word);
		feed_free_all(feeds, n);
		return -1;
	}
	if (n > 0 && feed_check(&feeds[n - 1], have_verify, error_r) < 0) {
		feed_free_all(feeds, n);
		return -1;
	}
	*feeds_r = feeds;
	*n_r = n;
	return 0;
}
