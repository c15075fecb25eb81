/*
 * feedsrc.c - signature feeds in a run (see feedsrc.h).
 *
 * Downloads go to .download/feed-<name>/; a file is fetched
 * conditionally when the current version has it, and counts as new only
 * when its SHA-256 differs from the installed one.  Only then is its
 * sidecar fetched (from the base URL that served the file) and checked.
 */
#include "auto-config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "updater/cvd.h"
#include "updater/feedsrc.h"
#include "updater/file.h"
#include "updater/gpg.h"
#include "updater/ignore.h"
#include "updater/pause.h"
#include "updater/state.h"

/* The largest sidecar or minisign key file read. */
#define FEEDSRC_SIDECAR_MAX 65536

static __thread char feedsrc_why[REASON_MAX];

enum update_result feedsrc_prepare(struct run *r)
{
	const char *const *names, *err;
	int n = config_list(CONF_UPDATE_IGNORE_SIGNATURES, &names), j;
	size_t i;

	for (j = 0; j < n; j++)
		if (!ignore_name_ok(names[j]))
			return run_fail(r, UPDATE_CONFIG,
					"update_ignore_signatures: \"%s\" is not a signature name",
					names[j]);
	if (feed_parse(config_str(CONF_UPDATE_FEEDS), &r->feeds, &r->nfeeds, &err) < 0)
		return run_fail(r, UPDATE_CONFIG, "update_feeds: %s", err);
	r->rfeeds = xcalloc(r->nfeeds + 1, sizeof(*r->rfeeds));
	for (i = 0; i < r->nfeeds; i++) {
		struct run_feed *rf = &r->rfeeds[i];
		const struct feed *f = &r->feeds[i];
		char *text;
		size_t len;
		int bad;

		rf->feed = f;
		rf->files = xcalloc(f->nfiles, sizeof(*rf->files));
		if (f->verify == FEED_VERIFY_MINISIGN && f->minisign_key == NULL && r->nkeys == 0)
			return run_fail(r, UPDATE_CONFIG,
					"feed %s: verify=minisign needs minisign_key= or "
					"update_trusted_keys", f->name);
		if (f->minisign_key == NULL)
			continue;
		if (file_read_all(f->minisign_key, FEEDSRC_SIDECAR_MAX, &text, &len, &err) < 0)
			return run_fail(r, UPDATE_CONFIG, "feed %s: %s", f->name, err);
		bad = minisign_key_parse(text, &rf->key, &err) < 0;
		free(text);
		if (bad)
			return run_fail(r, UPDATE_CONFIG, "feed %s: %s: %s", f->name,
					f->minisign_key, err);
	}
	return UPDATE_OK;
}

/* feedsrc_fail - record why feed RF failed (RESULT); returns RESULT. */
static enum update_result feedsrc_fail(struct run_feed *rf, enum update_result result,
				       const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum update_result feedsrc_fail(struct run_feed *rf, enum update_result result,
				       const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_vset(feedsrc_why, error_r, fmt, ap);
	va_end(ap);
	rf->result = result;
	return result;
}

/* feedsrc_fetch_file - file K of RF from the first base URL that has it. */
static enum update_result feedsrc_fetch_file(struct run *r, struct run_feed *rf, size_t k,
					     const char *dir, const char **error_r)
{
	const struct feed *f = rf->feed;
	const char *name = f->files[k].name, *why = "no url";
	const struct set_feed_file *cur =
		set_feed_file(set_find_feed(&r->cur_set, f->name), name);
	struct run_feed_file *ff = &rf->files[k];
	int cooldowns = 0, others = 0;
	size_t u;

	snprintf(ff->path, sizeof(ff->path), "%s/%s", dir, name);
	for (u = 0; u < f->nurls; u++) {
		char *url = xasprintf("%s/%s", f->urls[u], name);
		struct fetch_request rq = {.url = url, .dest = ff->path, .range_end = -1,
					   .conditional = !r->opts.force && cur != NULL};
		enum fetch_status st = fetch_retry(&rq, &why);
		const char *err;

		if (st == FETCH_NOT_MODIFIED || st == FETCH_DONE) {
			ff->base = u;
			free(url);
			if (st == FETCH_NOT_MODIFIED) {
				snprintf(ff->sha256, sizeof(ff->sha256), "%s", cur->sha256);
				return UPDATE_OK;
			}
			if (file_sha256_hex(ff->path, ff->sha256, &err) < 0)
				return feedsrc_fail(rf, UPDATE_DISK, error_r, "%s", err);
			snprintf(ff->etag, sizeof(ff->etag), "%s", rq.etag);
			ff->modified = rq.modified;
			ff->fetched = r->opts.force || cur == NULL || strcmp(cur->sha256, ff->sha256) != 0;
			if (!ff->fetched)
				unlink(ff->path);
			return UPDATE_OK;
		}
		log_warn("feed %s: %s", f->name, why);
		free(url);
		if (st == FETCH_COOLDOWN)
			cooldowns++;
		else
			others++;
	}
	return feedsrc_fail(rf, cooldowns > 0 && others == 0 ? UPDATE_COOLDOWN : UPDATE_FETCH,
			    error_r, "%s%s: %s", name, f->files[k].companion ? " (companion)" : "",
			    why);
}

/* feedsrc_check_sha256 - the sidecar SIDE names the SHA-256 HEX. */
static int feedsrc_check_sha256(const char *side, const char *name, const char *hex,
				const char **error_r)
{
	char *text;
	size_t len, n;
	int ok;

	if (file_read_all(side, FEEDSRC_SIDECAR_MAX, &text, &len, error_r) < 0)
		return -1;
	for (n = 0; isxdigit((unsigned char)text[n]); n++)
		;
	ok = n == FILE_SHA256_HEX_LEN && (text[n] == '\0' || isspace((unsigned char)text[n])) &&
	     strncasecmp(text, hex, FILE_SHA256_HEX_LEN) == 0;
	free(text);
	if (!ok)
		return reason_set(feedsrc_why, error_r,
				  "%s: SHA-256 %.16s... does not match its .sha256 sidecar", name,
				  hex);
	return 0;
}

/* feedsrc_check_minisign - SIDE is a minisign signature of PATH. */
static int feedsrc_check_minisign(struct run *r, struct run_feed *rf, const char *path,
				  const char *side, const char **error_r)
{
	struct minisign_sig sig;
	char *text;
	size_t len;
	int ok, fd;

	if (file_read_all(side, FEEDSRC_SIDECAR_MAX, &text, &len, error_r) < 0)
		return -1;
	ok = minisign_sig_parse(text, &sig, error_r);
	free(text);
	if (ok < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return reason_set(feedsrc_why, error_r, "%s: %s", path, strerror(errno));
	ok = rf->feed->minisign_key != NULL
		     ? minisign_verify_fd(&rf->key, 1, &sig, fd,
					  (size_t)config_num(CONF_UPDATE_MAX_DOWNLOAD), error_r)
		     : minisign_verify_fd(r->keys, r->nkeys, &sig, fd,
					  (size_t)config_num(CONF_UPDATE_MAX_DOWNLOAD), error_r);
	close(fd);
	return ok;
}

/* feedsrc_verify_file - file K of RF (fetched) against its sidecar. */
static enum update_result feedsrc_verify_file(struct run *r, struct run_feed *rf, size_t k,
					      const char **error_r)
{
	const struct feed *f = rf->feed;
	struct run_feed_file *ff = &rf->files[k];
	const char *name = f->files[k].name, *suffix = feed_sidecar(f->verify), *why, *err;
	char fpr[GPG_FPR_MAX + 1];
	struct cvd_info info;
	int bad = 0;

	if (suffix != NULL) {
		char *url = xasprintf("%s/%s%s", f->urls[ff->base], name, suffix);
		struct fetch_request rq = {.url = url, .dest = ff->side, .range_end = -1};
		enum fetch_status st;

		snprintf(ff->side, sizeof(ff->side), "%s%s", ff->path, suffix);
		st = fetch_retry(&rq, &why);
		free(url);
		if (st != FETCH_DONE)
			return feedsrc_fail(rf, st == FETCH_COOLDOWN ? UPDATE_COOLDOWN : UPDATE_FETCH,
					    error_r, "%s%s: %s", name, suffix, why);
	}
	switch (f->verify) {
	case FEED_VERIFY_GPG:
		bad = gpg_verify(f->gpg_home, ff->path, ff->side, fpr, &err) < 0;
		if (!bad)
			log_info("feed %s: %s: good OpenPGP signature by %s", f->name, name, fpr);
		break;
	case FEED_VERIFY_MINISIGN:
		bad = feedsrc_check_minisign(r, rf, ff->path, ff->side, &err) < 0;
		if (!bad)
			log_info("feed %s: %s: good minisign signature", f->name, name);
		break;
	case FEED_VERIFY_SHA256:
		bad = feedsrc_check_sha256(ff->side, name, ff->sha256, &err) < 0;
		if (!bad)
			log_info("feed %s: %s: SHA-256 matches its sidecar (integrity only: the "
				 "sidecar comes from the same server, it proves no origin)",
				 f->name, name);
		break;
	case FEED_VERIFY_CVD:
		bad = cvd_verify(ff->path, NULL, 0, &info, &err) < 0;
		if (!bad)
			log_info("feed %s: %s: CVD version %u verified", f->name, name,
				 info.version);
		break;
	case FEED_VERIFY_NONE:
		break;
	}
	if (bad)
		return feedsrc_fail(rf, UPDATE_VERIFY, error_r, "%s", err);
	return UPDATE_OK;
}

/* feedsrc_due - whether RF is checked in this run. */
static int feedsrc_due(struct run *r, struct run_feed *rf, time_t now)
{
	const struct feed *f = rf->feed;
	const struct set_feed *cur = set_find_feed(&r->cur_set, f->name);
	time_t last = state_feed_checked(f->name);
	size_t k;

	if (r->opts.force || cur == NULL || last == 0 || last > now)
		return 1;
	for (k = 0; k < f->nfiles; k++)
		if (set_feed_file(cur, f->files[k].name) == NULL)
			return 1;	/* a file added to the feed since */
	if ((long long)(now - last) * 1000 >= f->interval_ms)
		return 1;
	log_info("feed %s: not due (checked %lld s ago, interval %lld s)", f->name,
		 (long long)(now - last), f->interval_ms / 1000);
	return 0;
}

/* feedsrc_one - check, fetch and verify one due feed. */
static enum update_result feedsrc_one(struct run *r, struct run_feed *rf, const char **error_r)
{
	const struct feed *f = rf->feed;
	enum update_result res;
	char dir[PATH_MAX];
	size_t k;

	snprintf(dir, sizeof(dir), "%s/feed-%s", r->download, f->name);
	if (file_mkdirs(dir, 0700, error_r) < 0)
		return feedsrc_fail(rf, UPDATE_DISK, error_r, "%s", *error_r);
	if (f->verify == FEED_VERIFY_NONE)
		log_warn("feed %s: verify=none: its files are installed without any check of "
			 "origin or integrity", f->name);
	for (k = 0; k < f->nfiles; k++) {
		res = feedsrc_fetch_file(r, rf, k, dir, error_r);
		if (res != UPDATE_OK)
			return res;
		rf->changed |= rf->files[k].fetched;
	}
	if (!rf->changed) {
		log_info("feed %s: up to date", f->name);
		return UPDATE_OK;
	}
	for (k = 0; k < f->nfiles; k++) {
		if (!rf->files[k].fetched)
			continue;
		res = feedsrc_verify_file(r, rf, k, error_r);
		if (res != UPDATE_OK)
			return res;
	}
	log_info("feed %s: new files verified (%s)", f->name, feed_verify_str(f->verify));
	return UPDATE_OK;
}

/* feedsrc_discard - drop RF's downloads after a failure. */
static void feedsrc_discard(struct run_feed *rf)
{
	size_t k;

	for (k = 0; k < rf->feed->nfiles; k++) {
		if (rf->files[k].path[0])
			unlink(rf->files[k].path);
		if (rf->files[k].side[0])
			unlink(rf->files[k].side);
		rf->files[k].fetched = 0;
	}
	rf->changed = 0;
}

/* feedsrc_dropped - whether the current version has feeds or feed files
 * no longer configured. */
static int feedsrc_dropped(struct run *r)
{
	size_t i, j, k;

	for (i = 0; i < r->cur_set.nfeeds; i++) {
		const struct set_feed *sf = &r->cur_set.feeds[i];
		const struct feed *f = NULL;

		for (j = 0; j < r->nfeeds && f == NULL; j++)
			if (strcmp(r->feeds[j].name, sf->name) == 0)
				f = &r->feeds[j];
		if (f == NULL) {
			log_info("feed %s: no longer configured", sf->name);
			return 1;
		}
		for (k = 0; k < sf->nfiles; k++) {
			int found = 0;

			for (j = 0; j < f->nfiles; j++)
				found |= strcmp(f->files[j].name, sf->files[k].name) == 0;
			if (!found) {
				log_info("feed %s: %s no longer configured", sf->name,
					 sf->files[k].name);
				return 1;
			}
		}
	}
	return 0;
}

enum update_result feedsrc_update(struct run *r, int *changed_r)
{
	time_t now = time(NULL);
	size_t i, k;

	pause_point("feeds");
	*changed_r = feedsrc_dropped(r);
	for (i = 0; i < r->nfeeds; i++) {
		struct run_feed *rf = &r->rfeeds[i];
		enum update_result res;
		const char *err = NULL;

		rf->due = feedsrc_due(r, rf, now);
		if (!rf->due)
			continue;
		res = feedsrc_one(r, rf, &err);
		if (res != UPDATE_OK) {
			log_error("feed %s: %s; its installed files stay as they are "
				  "(exit status %d unless something worse happens)",
				  rf->feed->name, err, update_result_exit(res));
			feedsrc_discard(rf);
			run_keep(r, res, "feed %s: %s", rf->feed->name, err);
			continue;
		}
		rf->checked = 1;
		*changed_r |= rf->changed;
		for (k = 0; k < rf->feed->nfiles; k++)
			if (rf->files[k].fetched || rf->files[k].etag[0] || rf->files[k].modified) {
				char *url = xasprintf("%s/%s", rf->feed->urls[rf->files[k].base],
						      rf->feed->files[k].name);

				run_remember(r, url, rf->files[k].etag, rf->files[k].modified);
				free(url);
			}
	}
	return UPDATE_OK;
}

/* feedsrc_place - FROM (moved, or linked from the current version) as
 * NAME in the new version; a name another source has is refused. */
static enum update_result feedsrc_place(struct run *r, const char *feed, const char *from,
					const char *name, int move)
{
	char to[PATH_MAX];
	const char *err;

	snprintf(to, sizeof(to), "%s/%s", r->tmp_dir, name);
	if (access(to, F_OK) == 0)
		return run_fail(r, UPDATE_UNPACK, "feed %s: %s: name clash with another source",
				feed, name);
	if (move) {
		if (rename(from, to) < 0)
			return run_fail(r, UPDATE_DISK, "rename %s to %s: %s", from, to,
					strerror(errno));
		return UPDATE_OK;
	}
	if (file_link_or_copy(from, to, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	return UPDATE_OK;
}

enum update_result feedsrc_unpack(struct run *r)
{
	char from[PATH_MAX];
	size_t i, k;

	for (i = 0; i < r->nfeeds; i++) {
		const struct run_feed *rf = &r->rfeeds[i];
		const struct feed *f = rf->feed;
		const struct set_feed *cur = set_find_feed(&r->cur_set, f->name);
		struct set_feed *nf;

		if (!rf->changed && cur == NULL)
			continue;	/* never installed, and not now */
		nf = set_add_feed(&r->new_set, f->name);
		for (k = 0; k < f->nfiles; k++) {
			const struct set_feed_file *cf = set_feed_file(cur, f->files[k].name);
			const struct run_feed_file *ff = &rf->files[k];
			enum update_result res;

			if (rf->changed && ff->fetched) {
				res = feedsrc_place(r, f->name, ff->path, f->files[k].name, 1);
				set_feed_add_file(nf, f->files[k].name, ff->sha256);
			} else if (cf != NULL) {
				snprintf(from, sizeof(from), "%s/%s", r->cur_dir, cf->name);
				res = feedsrc_place(r, f->name, from, cf->name, 0);
				set_feed_add_file(nf, cf->name, cf->sha256);
			} else {
				continue;	/* a failed feed's file never installed */
			}
			if (res != UPDATE_OK)
				return res;
		}
	}
	return UPDATE_OK;
}

void feedsrc_commit(struct run *r)
{
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < r->nfeeds; i++)
		if (r->rfeeds[i].checked)
			state_set_feed_checked(r->feeds[i].name, now);
}

void feedsrc_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nfeeds; i++)
		free(r->rfeeds[i].files);
	free(r->rfeeds);
	feed_free_all(r->feeds, r->nfeeds);
	r->rfeeds = NULL;
	r->feeds = NULL;
	r->nfeeds = 0;
}
