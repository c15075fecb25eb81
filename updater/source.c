/*
 * source.c - the check, fetch and verify stages for ClamAV databases
 * (CVDs from update_mirrors) and site bundles (update_bundles).
 *
 * Any source that cannot be checked, fetched or verified fails the run:
 * a new set is built only from sources that are all known good.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "updater/cvd.h"
#include "updater/fetch.h"
#include "updater/file.h"
#include "updater/pause.h"
#include "updater/reason.h"
#include "updater/run.h"

/* The longest database or archive name (see source_name_ok). */
#define SOURCE_NAME_MAX 99
/* The largest key (update_trusted_keys) or .minisig file read. */
#define SOURCE_KEY_FILE_MAX 65536
#define SOURCE_READ_BLOCK 65536
/* Downloads of a bundle are named "<hash of its URL>-<archive name>". */
#define SOURCE_URL_HASH_LEN 4

/* source_name_ok - a database or source name: [A-Za-z0-9._+-], no
 * leading dot. */
static int source_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || *name == '.' || strlen(name) > SOURCE_NAME_MAX)
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '+' ||
		      *p == '-'))
			return 0;
	return 1;
}

/* source_load_keys - the update_trusted_keys files. */
static enum update_result source_load_keys(struct run *r)
{
	const char *const *files;
	int n = config_list(CONF_UPDATE_TRUSTED_KEYS, &files), i;

	r->keys = xcalloc((size_t)n + 1, sizeof(*r->keys));
	for (i = 0; i < n; i++) {
		const char *err;
		char *text;
		size_t len;

		if (file_read_all(files[i], SOURCE_KEY_FILE_MAX, &text, &len, &err) < 0)
			return run_fail(r, UPDATE_CONFIG, "update_trusted_keys: %s", err);
		if (minisign_key_parse(text, &r->keys[r->nkeys], &err) < 0) {
			free(text);
			return run_fail(r, UPDATE_CONFIG, "update_trusted_keys: %s: %s", files[i],
					err);
		}
		free(text);
		r->nkeys++;
	}
	return UPDATE_OK;
}

enum update_result source_prepare(struct run *r)
{
	const char *const *names, *const *urls;
	int n, i;
	size_t j;
	char origin[FETCH_ORIGIN_MAX];

	n = config_list(CONF_UPDATE_MIRRORS, &r->mirrors);
	r->nmirrors = (size_t)n;
	for (i = 0; i < n; i++)
		if (fetch_origin(r->mirrors[i], origin, sizeof(origin)) < 0)
			return run_fail(r, UPDATE_CONFIG,
					"update_mirrors: %s is not an https, http or file URL",
					r->mirrors[i]);
	n = config_list(CONF_UPDATE_DATABASES, &names);
	if (n > 0 && r->nmirrors == 0)
		return run_fail(r, UPDATE_CONFIG, "update_databases is set but update_mirrors is empty");
	r->dbs = xcalloc((size_t)n + 1, sizeof(*r->dbs));
	for (i = 0; i < n; i++) {
		if (!source_name_ok(names[i]))
			return run_fail(r, UPDATE_CONFIG, "update_databases: bad name \"%s\"",
					names[i]);
		for (j = 0; j < r->ndbs; j++)
			if (strcmp(r->dbs[j].name, names[i]) == 0)
				return run_fail(r, UPDATE_CONFIG,
						"update_databases: %s named twice", names[i]);
		r->dbs[r->ndbs++].name = names[i];
	}
	n = config_list(CONF_UPDATE_BUNDLES, &urls);
	r->bundles = xcalloc((size_t)n + 1, sizeof(*r->bundles));
	for (i = 0; i < n; i++) {
		struct run_bundle *b = &r->bundles[r->nbundles];
		const char *base = strrchr(urls[i], '/');

		if (fetch_origin(urls[i], origin, sizeof(origin)) < 0 || base == NULL ||
		    strpbrk(urls[i], "?#") != NULL)
			return run_fail(r, UPDATE_CONFIG,
					"update_bundles: %s is not an https, http or file URL "
					"of an archive",
					urls[i]);
		b->url = urls[i];
		snprintf(b->source, sizeof(b->source), "%s", base + 1);
		if (!source_name_ok(b->source))
			return run_fail(r, UPDATE_CONFIG, "update_bundles: bad archive name in %s",
					urls[i]);
		for (j = 0; j < r->nbundles; j++)
			if (strcmp(r->bundles[j].source, b->source) == 0)
				return run_fail(r, UPDATE_CONFIG,
						"update_bundles: two bundles named %s", b->source);
		r->nbundles++;
	}
	if (r->nbundles > 0) {
		enum update_result res = source_load_keys(r);

		if (res != UPDATE_OK)
			return res;
		if (r->nkeys == 0)
			return run_fail(r, UPDATE_CONFIG,
					"update_bundles is set but update_trusted_keys is empty");
	}
	return UPDATE_OK;
}

/* source_failure - the run's result for a source that no mirror served:
 * cool-down when that was the only reason. */
static enum update_result source_failure(struct run *r, int cooldowns, int others,
					 const char *what, const char *why)
{
	if (cooldowns > 0 && others == 0)
		return run_fail(r, UPDATE_COOLDOWN, "%s: %s", what, why);
	return run_fail(r, UPDATE_FETCH, "%s: %s", what, why);
}

/* source_check_db - the remote header of one database. */
static enum update_result source_check_db(struct run *r, struct run_db *d)
{
	const struct set_db *cur = set_find_db(&r->cur_set, d->name);
	const char *why = "no mirror";
	char bad[REASON_MAX], header[CVD_HEADER_SIZE];
	int cooldowns = 0, others = 0;
	size_t m;

	d->local_version = cur != NULL ? cur->version : 0;
	for (m = 0; m < r->nmirrors; m++) {
		char *url = xasprintf("%s/%s.cvd", r->mirrors[m], d->name);
		struct fetch_request rq = {
			.url = url,
			.mem = header,
			.mem_size = sizeof(header),
			.range_end = CVD_HEADER_SIZE - 1,
			.conditional = !r->opts.force && d->local_version > 0,
		};
		enum fetch_status st = fetch_retry(&rq, &why);
		struct cvd_info info;
		const char *err;

		if (st == FETCH_NOT_MODIFIED) {
			log_info("%s: not modified since the last check (version %u)", d->name,
				 d->local_version);
			free(url);
			return UPDATE_OK;
		}
		if (st == FETCH_DONE) {
			if (cvd_header_parse(header, rq.mem_len, &info, &err) < 0) {
				snprintf(bad, sizeof(bad), "%s: %s", url, err);
				why = bad;
				log_warn("%s", why);
				others++;
				free(url);
				continue;
			}
			run_remember(r, url, rq.etag, rq.modified);
			free(url);
			d->remote_version = info.version;
			d->mirror = m;
			if (info.version > d->local_version ||
			    (r->opts.force && info.version == d->local_version)) {
				d->changed = 1;
				log_info("%s: version %u available (have %u)", d->name, info.version,
					 d->local_version);
			} else {
				log_info("%s: up to date (version %u, mirror has %u)", d->name,
					 d->local_version, info.version);
			}
			return UPDATE_OK;
		}
		free(url);
		log_warn("%s", why);
		if (st == FETCH_COOLDOWN)
			cooldowns++;
		else
			others++;
	}
	return source_failure(r, cooldowns, others, d->name, why);
}

/* source_sha256_file - SHA-256 of PATH as hex into HEX, streamed. */
static int source_sha256_file(const char *path, char hex[SET_SHA256_HEX_LEN + 1],
			      const char **error_r)
{
	static __thread char why[REASON_MAX];
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES], buf[SOURCE_READ_BLOCK];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		goto fail;
	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			goto fail;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
	}
	close(fd);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, SET_SHA256_HEX_LEN + 1, h, sizeof(h));
	return 0;
fail:
	return reason_set(why, error_r, "%s: %s", path, strerror(errno));
}

/* source_check_bundle - fetch one bundle archive (conditionally). */
static enum update_result source_check_bundle(struct run *r, struct run_bundle *b)
{
	const struct set_bundle *cur = set_find_bundle(&r->cur_set, b->url);
	struct fetch_request rq = {.range_end = -1, .resume = 1};
	const char *why, *err;
	enum fetch_status st;
	unsigned char uh[SOURCE_URL_HASH_LEN];
	char uhex[2 * SOURCE_URL_HASH_LEN + 1];

	/* Downloads are named after the URL too, so a .part is only ever
	 * resumed from the same URL. */
	crypto_generichash(uh, sizeof(uh), (const unsigned char *)b->url, strlen(b->url), NULL, 0);
	sodium_bin2hex(uhex, sizeof(uhex), uh, sizeof(uh));
	snprintf(b->archive, sizeof(b->archive), "%s/%s-%s", r->download, uhex, b->source);
	rq.url = b->url;
	rq.dest = b->archive;
	rq.conditional = !r->opts.force && cur != NULL;
	st = fetch_retry(&rq, &why);
	b->resumed = rq.resumed;
	if (st == FETCH_NOT_MODIFIED) {
		log_info("%s: not modified", b->url);
		return UPDATE_OK;
	}
	if (st != FETCH_DONE)
		return source_failure(r, st == FETCH_COOLDOWN, st != FETCH_COOLDOWN, b->source,
				      why);
	if (source_sha256_file(b->archive, b->sha256, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	run_remember(r, b->url, rq.etag, rq.modified);
	if (!r->opts.force && cur != NULL && strcmp(cur->sha256, b->sha256) == 0) {
		log_info("%s: unchanged (same SHA-256)", b->url);
		unlink(b->archive);
		return UPDATE_OK;
	}
	b->changed = 1;
	log_info("%s: new archive (SHA-256 %.16s...)", b->url, b->sha256);
	return UPDATE_OK;
}

enum update_result source_check(struct run *r)
{
	enum update_result res;
	size_t i;
	int changed = 0;

	pause_point("check");
	for (i = 0; i < r->ndbs; i++) {
		res = source_check_db(r, &r->dbs[i]);
		if (res != UPDATE_OK)
			return res;
		changed |= r->dbs[i].changed;
	}
	for (i = 0; i < r->nbundles; i++) {
		res = source_check_bundle(r, &r->bundles[i]);
		if (res != UPDATE_OK)
			return res;
		changed |= r->bundles[i].changed;
	}
	/* Sources dropped from the configuration also make a new set. */
	for (i = 0; i < r->cur_set.ndbs && !changed; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < r->ndbs; j++)
			found |= strcmp(r->dbs[j].name, r->cur_set.dbs[i].name) == 0;
		if (!found) {
			log_info("%s: no longer configured", r->cur_set.dbs[i].name);
			changed = 1;
		}
	}
	for (i = 0; i < r->cur_set.nbundles && !changed; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < r->nbundles; j++)
			found |= strcmp(r->bundles[j].url, r->cur_set.bundles[i].url) == 0;
		if (!found) {
			log_info("%s: no longer configured", r->cur_set.bundles[i].url);
			changed = 1;
		}
	}
	if (!r->cur_set.known && *r->cur_id == '\0' && (r->ndbs > 0 || r->nbundles > 0))
		changed = 1;
	return changed ? UPDATE_OK : UPDATE_UPTODATE;
}

/* source_fetch_db - the full CVD, from the mirror that answered first. */
static enum update_result source_fetch_db(struct run *r, struct run_db *d, int resume)
{
	const char *why = "no mirror";
	int cooldowns = 0, others = 0;
	size_t k;

	snprintf(d->path, sizeof(d->path), "%s/%s.cvd", r->download, d->name);
	for (k = 0; k < r->nmirrors; k++) {
		size_t m = (d->mirror + k) % r->nmirrors;
		char *url = xasprintf("%s/%s.cvd", r->mirrors[m], d->name);
		struct fetch_request rq = {.url = url, .dest = d->path, .range_end = -1,
					   .resume = resume};
		enum fetch_status st = fetch_retry(&rq, &why);

		free(url);
		if (st == FETCH_DONE) {
			d->resumed = rq.resumed;
			d->mirror = m;
			return UPDATE_OK;
		}
		log_warn("%s", why);
		if (st == FETCH_COOLDOWN)
			cooldowns++;
		else
			others++;
	}
	return source_failure(r, cooldowns, others, d->name, why);
}

enum update_result source_fetch(struct run *r)
{
	enum update_result res;
	size_t i;

	pause_point("fetch");
	for (i = 0; i < r->ndbs; i++) {
		if (!r->dbs[i].changed)
			continue;
		res = source_fetch_db(r, &r->dbs[i], 1);
		if (res != UPDATE_OK)
			return res;
	}
	for (i = 0; i < r->nbundles; i++) {
		struct run_bundle *b = &r->bundles[i];
		struct fetch_request rq = {.range_end = -1};
		const char *why;
		enum fetch_status st;

		if (!b->changed)
			continue;
		rq.url = xasprintf("%s.minisig", b->url);
		snprintf(b->sig, sizeof(b->sig), "%s.minisig", b->archive);
		rq.dest = b->sig;
		st = fetch_retry(&rq, &why);
		free((char *)rq.url);
		if (st != FETCH_DONE)
			return source_failure(r, st == FETCH_COOLDOWN, st != FETCH_COOLDOWN,
					      b->source, why);
	}
	return UPDATE_OK;
}

/* source_verify_bundle - the minisign signature of one archive. */
static enum update_result source_verify_bundle(struct run *r, struct run_bundle *b)
{
	struct minisign_sig sig;
	char *text;
	size_t len;
	const char *err;
	int ok, fd;

	if (file_read_all(b->sig, SOURCE_KEY_FILE_MAX, &text, &len, &err) < 0)
		return run_fail(r, UPDATE_VERIFY, "%s: %s", b->source, err);
	ok = minisign_sig_parse(text, &sig, &err);
	free(text);
	if (ok < 0)
		return run_fail(r, UPDATE_VERIFY, "%s.minisig: %s", b->url, err);
	fd = open(b->archive, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return run_fail(r, UPDATE_DISK, "%s: %s", b->archive, strerror(errno));
	ok = minisign_verify_fd(r->keys, r->nkeys, &sig, fd,
				(size_t)config_num(CONF_UPDATE_MAX_DOWNLOAD), &err);
	close(fd);
	if (ok < 0)
		return run_fail(r, UPDATE_VERIFY, "%s: %s", b->url, err);
	log_info("%s: signature good (trusted comment: %s)", b->source, sig.trusted);
	return UPDATE_OK;
}

/* source_refetch_bundle - a resumed archive failed: fetch it whole and
 * verify that. */
static enum update_result source_refetch_bundle(struct run *r, struct run_bundle *b)
{
	struct fetch_request rq = {.url = b->url, .dest = b->archive, .range_end = -1};
	enum fetch_status st;
	const char *why, *err;

	log_warn("%s; it continued a partial download: fetching it again in full", r->why);
	unlink(b->archive);
	st = fetch_retry(&rq, &why);
	if (st != FETCH_DONE)
		return source_failure(r, st == FETCH_COOLDOWN, st != FETCH_COOLDOWN, b->source,
				      why);
	run_remember(r, b->url, rq.etag, rq.modified);
	if (source_sha256_file(b->archive, b->sha256, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	b->resumed = 0;
	return source_verify_bundle(r, b);
}

enum update_result source_verify(struct run *r)
{
	enum update_result res;
	size_t i;

	pause_point("verify");
	for (i = 0; i < r->ndbs; i++) {
		struct run_db *d = &r->dbs[i];
		struct cvd_info info;
		const char *err;
		int bad;

		if (!d->changed)
			continue;
		bad = cvd_verify(d->path, d->remote_version, &info, &err) < 0;
		if (bad && d->resumed) {
			/* A resumed file may join two versions: once more, whole. */
			log_warn("%s; downloading it again in full", err);
			unlink(d->path);
			res = source_fetch_db(r, d, 0);
			if (res != UPDATE_OK)
				return res;
			bad = cvd_verify(d->path, d->remote_version, &info, &err) < 0;
		}
		if (bad) {
			unlink(d->path);
			return run_fail(r, UPDATE_VERIFY, "%s", err);
		}
		d->remote_version = info.version;
		d->sigs = info.sigs;
		log_info("%s.cvd version %u verified (%u signatures)", d->name, info.version,
			 info.sigs);
	}
	for (i = 0; i < r->nbundles; i++) {
		if (!r->bundles[i].changed)
			continue;
		res = source_verify_bundle(r, &r->bundles[i]);
		if (res == UPDATE_VERIFY && r->bundles[i].resumed)
			res = source_refetch_bundle(r, &r->bundles[i]);
		if (res != UPDATE_OK) {
			unlink(r->bundles[i].archive);
			unlink(r->bundles[i].sig);
			return res;
		}
	}
	return UPDATE_OK;
}
