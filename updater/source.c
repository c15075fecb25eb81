/*
 * source.c - the check, fetch and verify stages for ClamAV databases
 * (CVDs from update_mirrors) and site bundles (update_bundles).
 *
 * ClamAV databases are checked in DNS first (update_dns_txt, as freshclam
 * does): a database whose version there is not newer than the installed
 * one costs no HTTP request.  Only when DNS gives no usable answer is the
 * CVD header fetched with a range request (ClamAV's CDN counts those as
 * downloads), through fetch.c and so within the cool-down.
 *
 * A database that cannot be checked, fetched or verified keeps its
 * installed version (source_db_failed), as a feed does: the other sources
 * still update, and the new set holds that database's installed CVD.
 * Without an installed version to keep (a first set, a database newly
 * configured) its failure ends the run: no set is built without it.  A
 * bundle that cannot be checked, fetched or verified ends the run.
 *
 * Built against libclamav 1.5+ (HAVE_CL_CVDVERIFY_EX), each CVD comes
 * with its detached signature <db>-<version>.cvd.sign from the same
 * mirror, as freshclam fetches it, and must verify with it.
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
#include "updater/dns.h"
#include "updater/fetch.h"
#include "updater/file.h"
#include "updater/pause.h"
#include "updater/reason.h"
#include "updater/run.h"

/* The longest database or archive name (see file_name_ok). */
#define SOURCE_NAME_MAX FILE_NAME_MAX
/* The largest key (update_trusted_keys) or .minisig file read. */
#define SOURCE_KEY_FILE_MAX 65536
/* Downloads of a bundle are named "<hash of its URL>-<archive name>". */
#define SOURCE_URL_HASH_LEN 4

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
		if (!file_name_ok(names[i]))
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
		if (!file_name_ok(b->source))
			return run_fail(r, UPDATE_CONFIG, "update_bundles: bad archive name in %s",
					urls[i]);
		for (j = 0; j < r->nbundles; j++)
			if (strcmp(r->bundles[j].source, b->source) == 0)
				return run_fail(r, UPDATE_CONFIG,
						"update_bundles: two bundles named %s", b->source);
		r->nbundles++;
	}
	{
		/* Read even without bundles: a minisign feed may use them. */
		enum update_result res = source_load_keys(r);

		if (res != UPDATE_OK)
			return res;
		if (r->nbundles > 0 && r->nkeys == 0)
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

/* source_db_failed - database D could not be updated (RES, the reason in
 * r->why): it keeps its installed version and the run goes on
 * (UPDATE_OK); without one, the run ends with RES. */
static enum update_result source_db_failed(struct run *r, struct run_db *d,
					   enum update_result res)
{
	char why[REASON_MAX];
	size_t m;

	snprintf(why, sizeof(why), "%s", r->why);
	if (set_find_db(&r->cur_set, d->name) == NULL)
		return run_fail(r, res, "%s (%s has no installed version to keep: no set is built "
				"without it)", why, d->name);
	log_error("%s; %s keeps its installed version %u (exit status %d unless something worse "
		  "happens)", why, d->name, d->local_version, update_result_exit(res));
	run_keep(r, res, "%s", why);
	r->why[0] = '\0';
	d->changed = 0;
	/* A header checked before the failure must be checked again. */
	for (m = 0; m < r->nmirrors; m++) {
		char *url = xasprintf("%s/%s.cvd", r->mirrors[m], d->name);

		run_forget(r, url);
		free(url);
	}
	return UPDATE_OK;
}

/* source_dns_fresh - whether a record of time WHEN can be trusted. */
static int source_dns_fresh(const char *name, long long when)
{
	long long now = (long long)time(NULL);

	if (when + DNS_STALE_SECONDS >= now)
		return 1;
	log_warn("DNS: the TXT record %s is %lld s old (more than %d hours): not trusted", name,
		 now - when, DNS_STALE_SECONDS / 3600);
	return 0;
}

/* source_dns_db - DB's version from its own record <db>.<rest>; 0 when
 * unknown. */
static unsigned source_dns_db(const char *record, const char *db)
{
	char name[DNS_TXT_MAX], text[DNS_TXT_MAX + 1];
	const char *err;
	unsigned version;
	long long when;

	if (dns_db_name(record, db, name, sizeof(name)) < 0)
		return 0;
	if (dns_txt(name, config_str(CONF_UPDATE_DNS_SERVER), config_num(CONF_UPDATE_CONNECT_TIMEOUT),
		    text, sizeof(text), &err) < 0 ||
	    dns_db_parse(text, &version, &when, &err) < 0) {
		log_warn("DNS: %s", err);
		return 0;
	}
	return source_dns_fresh(name, when) ? version : 0;
}

/* source_check_dns - the versions update_dns_txt announces, into each
 * database's dns_version (left 0 where DNS gives none). */
static void source_check_dns(struct run *r)
{
	const char *record = config_str(CONF_UPDATE_DNS_TXT), *err;
	char text[DNS_TXT_MAX + 1];
	struct dns_cvd_record rec;
	size_t i;

	if (*record == '\0' || r->ndbs == 0)
		return;
	if (dns_txt(record, config_str(CONF_UPDATE_DNS_SERVER),
		    config_num(CONF_UPDATE_CONNECT_TIMEOUT), text, sizeof(text), &err) < 0 ||
	    dns_cvd_parse(text, &rec, &err) < 0) {
		log_warn("DNS: %s; checking the mirrors by range request instead", err);
		return;
	}
	if (!source_dns_fresh(record, rec.time)) {
		log_warn("DNS: checking the mirrors by range request instead");
		return;
	}
	log_info("DNS: %s says \"%s\"", record, text);
	for (i = 0; i < r->ndbs; i++) {
		struct run_db *d = &r->dbs[i];

		d->dns_version = dns_cvd_version(&rec, d->name);
		if (d->dns_version == 0)
			d->dns_version = source_dns_db(record, d->name);
	}
}

/* source_check_db - the remote version of one database: from DNS, else
 * the header on the mirrors. */
static enum update_result source_check_db(struct run *r, struct run_db *d)
{
	const struct set_db *cur = set_find_db(&r->cur_set, d->name);
	const char *why = "no mirror";
	char bad[REASON_MAX], header[CVD_HEADER_SIZE];
	int cooldowns = 0, others = 0;
	size_t m;

	d->local_version = cur != NULL ? cur->version : 0;
	if (d->dns_version > 0) {
		d->remote_version = d->dns_version;
		d->mirror = 0;
		if (d->dns_version > d->local_version ||
		    (r->opts.force && d->dns_version == d->local_version)) {
			d->changed = 1;
			log_info("%s: version %u announced in DNS (have %u)", d->name,
				 d->dns_version, d->local_version);
		} else {
			log_info("%s: up to date (version %u, DNS announces %u)", d->name,
				 d->local_version, d->dns_version);
		}
		return UPDATE_OK;
	}
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
	if (file_sha256_hex(b->archive, b->sha256, &err) < 0)
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
	source_check_dns(r);
	for (i = 0; i < r->ndbs; i++) {
		res = source_check_db(r, &r->dbs[i]);
		if (res != UPDATE_OK)
			res = source_db_failed(r, &r->dbs[i], res);
		if (res != UPDATE_OK)
			return res;
		changed |= r->dbs[i].changed;
	}
	/* Everything but a changed database, which may still fail, is
	 * kept in r->rebuild. */
	for (i = 0; i < r->nbundles; i++) {
		res = source_check_bundle(r, &r->bundles[i]);
		if (res != UPDATE_OK)
			return res;
		r->rebuild |= r->bundles[i].changed;
	}
	/* Sources dropped from the configuration also make a new set. */
	for (i = 0; i < r->cur_set.ndbs && !r->rebuild; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < r->ndbs; j++)
			found |= strcmp(r->dbs[j].name, r->cur_set.dbs[i].name) == 0;
		if (!found) {
			log_info("%s: no longer configured", r->cur_set.dbs[i].name);
			r->rebuild = 1;
		}
	}
	for (i = 0; i < r->cur_set.nbundles && !r->rebuild; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < r->nbundles; j++)
			found |= strcmp(r->bundles[j].url, r->cur_set.bundles[i].url) == 0;
		if (!found) {
			log_info("%s: no longer configured", r->cur_set.bundles[i].url);
			r->rebuild = 1;
		}
	}
	if (!r->cur_set.known && *r->cur_id == '\0' && (r->ndbs > 0 || r->nbundles > 0))
		r->rebuild = 1;
	return changed || r->rebuild ? UPDATE_OK : UPDATE_UPTODATE;
}

int source_changed(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->ndbs; i++)
		if (r->dbs[i].changed)
			return 1;
	return r->rebuild;
}

#ifdef HAVE_CL_CVDVERIFY_EX
/* source_fetch_sign - the detached signature of D's downloaded CVD, from
 * mirror M, beside it (where libclamav looks for it).  Nothing with an
 * empty update_cvd_certs_dir.  One the mirror lacks (404) is left for
 * source_verify to refuse. */
static enum update_result source_fetch_sign(struct run *r, struct run_db *d, size_t m)
{
	struct fetch_request rq = {.range_end = -1};
	struct cvd_info info;
	char name[SOURCE_NAME_MAX + 32];
	const char *why, *err;
	enum fetch_status st;

	d->sign[0] = '\0';
	/* An unreadable header fails in source_verify. */
	if (*config_str(CONF_UPDATE_CVD_CERTS_DIR) == '\0' ||
	    cvd_file_header(d->path, &info, &err) < 0 ||
	    cvd_sign_name(d->name, info.version, name, sizeof(name)) < 0)
		return UPDATE_OK;
	snprintf(d->sign, sizeof(d->sign), "%s/%s", r->download, name);
	unlink(d->sign);
	rq.url = xasprintf("%s/%s", r->mirrors[m], name);
	rq.dest = d->sign;
	st = fetch_retry(&rq, &why);
	free((char *)rq.url);
	if (st == FETCH_DONE)
		return UPDATE_OK;
	log_warn("%s", why);
	if (st == FETCH_NOT_FOUND)
		return UPDATE_OK;
	return source_failure(r, st == FETCH_COOLDOWN, st != FETCH_COOLDOWN, name, why);
}
#endif

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
#ifdef HAVE_CL_CVDVERIFY_EX
			return source_fetch_sign(r, d, m);
#else
			return UPDATE_OK;
#endif
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
			res = source_db_failed(r, &r->dbs[i], res);
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
	if (file_sha256_hex(b->archive, b->sha256, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	b->resumed = 0;
	return source_verify_bundle(r, b);
}

enum update_result source_verify(struct run *r)
{
	const char *certs = config_str(CONF_UPDATE_CVD_CERTS_DIR);
	enum update_result res;
	size_t i;

	if (*certs == '\0')
		certs = NULL;

	pause_point("verify");
	for (i = 0; i < r->ndbs; i++) {
		struct run_db *d = &r->dbs[i];
		struct cvd_info info;
		const char *err;
		unsigned want;
		int bad;

		if (!d->changed)
			continue;
		/* A version from DNS may run ahead of the mirror: the file
		 * must then only be newer than the installed one. */
		want = d->dns_version > 0 && !r->opts.force ? d->local_version + 1
							    : d->remote_version;
		bad = cvd_verify(d->path, certs, want, &info, &err) < 0;
		if (bad && d->resumed) {
			/* A resumed file may join two versions: once more, whole. */
			log_warn("%s; downloading it again in full", err);
			unlink(d->path);
			res = source_fetch_db(r, d, 0);
			if (res != UPDATE_OK) {
				res = source_db_failed(r, d, res);
				if (res != UPDATE_OK)
					return res;
				continue;
			}
			bad = cvd_verify(d->path, certs, want, &info, &err) < 0;
		}
		if (bad) {
			unlink(d->path);
			if (d->sign[0] != '\0')
				unlink(d->sign);
			res = source_db_failed(r, d, run_fail(r, UPDATE_VERIFY, "%s", err));
			if (res != UPDATE_OK)
				return res;
			continue;
		}
		if (d->dns_version > info.version)
			log_warn("%s: the mirror has version %u, DNS announced %u (mirror not yet "
				 "in sync)", d->name, info.version, d->dns_version);
		d->remote_version = info.version;
		d->sigs = info.sigs;
		log_info("%s.cvd version %u verified (%u signatures)%s", d->name, info.version,
			 info.sigs, d->sign[0] != '\0' ? ", with its detached signature" : "");
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
