/*
 * pipeline.c - one update run: lock, check, feeds, fetch, verify, unpack,
 * selftest, install (and swap), notify, prune.  Each stage returns an
 * update_result; the first one that is not UPDATE_OK ends the run, and
 * until the swap nothing outside versions/<id>.tmp and .download/ has
 * been touched.  A database or feed that fails but has installed files
 * to keep does not end the run (run_keep): the others go on, and its
 * result is the run's at the end when nothing worse happened.
 */
#include "auto-config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "updater/cvd.h"
#include "updater/feedsrc.h"
#include "updater/fetch.h"
#include "updater/file.h"
#include "updater/ignore.h"
#include "updater/lock.h"
#include "updater/notify.h"
#include "updater/pause.h"
#include "updater/prune.h"
#include "updater/run.h"
#include "updater/selftest.h"
#include "updater/state.h"
#include "updater/unpack.h"

/* Room for "mxscan-update/<version> (UUID:<uuid>)". */
#define PIPELINE_USER_AGENT_MAX 128

enum update_result run_fail(struct run *r, enum update_result result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return result;
}

void run_keep(struct run *r, enum update_result result, const char *fmt, ...)
{
	va_list ap;

	if (r->kept_result != UPDATE_OK)
		return;
	r->kept_result = result;
	va_start(ap, fmt);
	vsnprintf(r->kept_why, sizeof(r->kept_why), fmt, ap);
	va_end(ap);
}

void run_forget(struct run *r, const char *url)
{
	size_t i = 0;

	while (i < r->nvalidators) {
		if (strcmp(r->validators[i].url, url) == 0) {
			free(r->validators[i].url);
			r->validators[i] = r->validators[--r->nvalidators];
		} else {
			i++;
		}
	}
}

void run_remember(struct run *r, const char *url, const char *etag, time_t modified)
{
	struct run_validator *v;

	r->validators = xrealloc(r->validators, (r->nvalidators + 1) * sizeof(*v));
	v = &r->validators[r->nvalidators++];
	v->url = xstrdup(url);
	snprintf(v->etag, sizeof(v->etag), "%s", etag);
	v->modified = modified;
}

/* pipeline_save_state - the validators of a good run, and the state
 * file (cool-downs are saved whatever the outcome). */
static void pipeline_save_state(struct run *r, int good)
{
	const char *err;
	size_t i;

	if (r->opts.dry_run)
		return;
	for (i = 0; good && i < r->nvalidators; i++)
		state_set_validator(r->validators[i].url, r->validators[i].etag,
				    r->validators[i].modified);
	if (good)
		feedsrc_commit(r);
	if (state_save(&err) < 0)
		log_warn("state file: %s", err);
}

/* pipeline_read_current - the current version and its description. */
static enum update_result pipeline_read_current(struct run *r)
{
	const char *err;

	set_free(&r->cur_set);
	r->cur_dir[0] = '\0';
	if (install_current(r->root, r->cur_id) < 0) {
		r->cur_id[0] = '\0';
		return UPDATE_OK;
	}
	snprintf(r->cur_dir, sizeof(r->cur_dir), "%s/%s", r->versions, r->cur_id);
	if (set_read(r->cur_dir, &r->cur_set, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	return UPDATE_OK;
}

enum update_result pipeline_open(struct run *r)
{
	enum update_result res;
	const char *err;

	r->root = config_str(CONF_DATABASE_ROOT);
	snprintf(r->versions, sizeof(r->versions), "%s/versions", r->root);
	snprintf(r->download, sizeof(r->download), "%s/.download", r->root);
	pause_point("lock");
	if (file_mkdirs(r->root, 0755, &err) < 0)
		return run_fail(r, UPDATE_CONFIG, "database_root: %s", err);
	res = lock_acquire(r->root, &err);
	if (res != UPDATE_OK)
		return run_fail(r, res, "%s", err);
	if (file_mkdirs(r->versions, 0755, &err) < 0 || file_mkdirs(r->download, 0700, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	install_clean_tmp(r->root);
	if (state_load(r->root, &err) < 0)
		log_warn("state file ignored: %s", err);
	{
		/* Static: the fetches keep pointing at it. */
		static char ua[PIPELINE_USER_AGENT_MAX];
		struct fetch_options fo = {
			.connect_timeout_ms = config_num(CONF_UPDATE_CONNECT_TIMEOUT),
			.low_speed_time_s = (long)((config_num(CONF_UPDATE_LOW_SPEED_TIME) + 999) / 1000),
			.low_speed_limit = (long)config_num(CONF_UPDATE_LOW_SPEED_LIMIT),
			.retries = (int)config_num(CONF_UPDATE_RETRIES),
			.retry_delay_ms = config_num(CONF_UPDATE_RETRY_DELAY),
			.cooldown_s = config_num(CONF_UPDATE_COOLDOWN) / 1000,
			.max_download = config_num(CONF_UPDATE_MAX_DOWNLOAD),
			.ca_file = config_str(CONF_UPDATE_CA_FILE),
			.ca_path = config_str(CONF_UPDATE_CA_PATH),
			.user_agent = ua,
		};

		snprintf(ua, sizeof(ua), "mxscan-update/%s (UUID:%s)", PACKAGE_VERSION, state_uuid());
		if (fetch_init(&fo, &err) < 0)
			return run_fail(r, UPDATE_INTERNAL, "%s", err);
	}
	return pipeline_read_current(r);
}

/* pipeline_place - put FROM (a download, moved) or a file of the current
 * version (linked) into the new version as NAME. */
static enum update_result pipeline_place(struct run *r, const char *from, const char *name,
					 int move)
{
	char to[PATH_MAX];
	const char *err;

	snprintf(to, sizeof(to), "%s/%s", r->tmp_dir, name);
	if (move) {
		if (rename(from, to) < 0)
			return run_fail(r, UPDATE_DISK, "rename %s to %s: %s", from, to,
					strerror(errno));
		return UPDATE_OK;
	}
	if (file_link_or_copy(from, to, &err) < 0)
		return run_fail(r, errno == EEXIST ? UPDATE_UNPACK : UPDATE_DISK, "%s", err);
	return UPDATE_OK;
}

#ifdef HAVE_CL_CVDVERIFY_EX
/* pipeline_place_sign - the detached signature of D's CVD (version
 * VERSION) beside it in the new version, where libclamav 1.5 looks for it
 * when it loads the set: the one verified in this run, or the current
 * version's, when there is one. */
static enum update_result pipeline_place_sign(struct run *r, const struct run_db *d,
					      unsigned version)
{
	char name[PATH_MAX], from[PATH_MAX];

	if (cvd_sign_name(d->name, version, name, sizeof(name)) < 0)
		return run_fail(r, UPDATE_INTERNAL, "%s: name too long", d->name);
	if (d->changed)
		return d->sign[0] != '\0' ? pipeline_place(r, d->sign, name, 1) : UPDATE_OK;
	snprintf(from, sizeof(from), "%s/%s", r->cur_dir, name);
	return access(from, F_OK) == 0 ? pipeline_place(r, from, name, 0) : UPDATE_OK;
}
#endif

/* pipeline_unpack_db - one CVD into the new version. */
static enum update_result pipeline_unpack_db(struct run *r, const struct run_db *d)
{
	const struct set_db *cur = set_find_db(&r->cur_set, d->name);
	char name[SET_DB_NAME_MAX + sizeof(".cvd")], from[PATH_MAX];
	struct set_db *nd;
	enum update_result res;

	snprintf(name, sizeof(name), "%s.cvd", d->name);
	nd = set_add_db(&r->new_set, d->name);
	if (d->changed) {
		nd->version = d->remote_version;
		nd->sigs = d->sigs;
		res = pipeline_place(r, d->path, name, 1);
	} else {
		if (cur == NULL)
			return run_fail(r, UPDATE_DISK, "%s: not in the current version", name);
		*nd = *cur;
		snprintf(from, sizeof(from), "%s/%s", r->cur_dir, name);
		res = pipeline_place(r, from, name, 0);
	}
#ifdef HAVE_CL_CVDVERIFY_EX
	if (res == UPDATE_OK)
		res = pipeline_place_sign(r, d, nd->version);
#endif
	return res;
}

/* pipeline_unpack_bundle - one bundle into the new version. */
static enum update_result pipeline_unpack_bundle(struct run *r, struct run_bundle *b)
{
	const struct set_bundle *cur = set_find_bundle(&r->cur_set, b->url);
	struct set_bundle *nb = set_add_bundle(&r->new_set, b->url);
	char from[PATH_MAX], name[PATH_MAX];
	enum update_result res;
	size_t i;

	snprintf(nb->source, sizeof(nb->source), "%s", b->source);
	if (b->changed) {
		struct unpack_limits lim = {config_num(CONF_UPDATE_MAX_ENTRIES),
					    config_num(CONF_UPDATE_MAX_UNPACKED)};
		struct unpack_files files = {0};
		enum unpack_status u;
		const char *err;

		snprintf(nb->sha256, sizeof(nb->sha256), "%s", b->sha256);
		u = unpack_bundle(b->archive, r->tmp_dir, &lim, &files, &err);
		if (u != UNPACK_OK) {
			unpack_files_free(&files);
			res = u == UNPACK_MISMATCH ? UPDATE_VERIFY
			      : u == UNPACK_WRITE_FAILED ? UPDATE_DISK : UPDATE_UNPACK;
			return run_fail(r, res, "%s", err);
		}
		for (i = 0; i < files.count; i++)
			set_bundle_add_file(nb, files.names[i]);
		unpack_files_free(&files);
		snprintf(name, sizeof(name), SET_SOURCES "/%s", b->source);
		res = pipeline_place(r, b->archive, name, 1);
		snprintf(name, sizeof(name), SET_SOURCES "/%s.minisig", b->source);
		return res != UPDATE_OK ? res : pipeline_place(r, b->sig, name, 1);
	}
	if (cur == NULL)
		return run_fail(r, UPDATE_DISK, "%s: not in the current version", b->url);
	snprintf(nb->sha256, sizeof(nb->sha256), "%s", cur->sha256);
	for (i = 0; i < cur->nfiles; i++) {
		set_bundle_add_file(nb, cur->files[i]);
		snprintf(from, sizeof(from), "%s/%s", r->cur_dir, cur->files[i]);
		res = pipeline_place(r, from, cur->files[i], 0);
		if (res != UPDATE_OK)
			return res == UPDATE_UNPACK
				       ? run_fail(r, res, "%s: name clash with another source",
						  cur->files[i])
				       : res;
	}
	snprintf(from, sizeof(from), "%s/" SET_SOURCES "/%s", r->cur_dir, b->source);
	snprintf(name, sizeof(name), SET_SOURCES "/%s", b->source);
	res = pipeline_place(r, from, name, 0);
	snprintf(from, sizeof(from), "%s/" SET_SOURCES "/%s.minisig", r->cur_dir, b->source);
	snprintf(name, sizeof(name), SET_SOURCES "/%s.minisig", b->source);
	return res != UPDATE_OK ? res : pipeline_place(r, from, name, 0);
}

/* pipeline_unpack - build versions/<id>.tmp. */
static enum update_result pipeline_unpack(struct run *r)
{
	enum update_result res;
	char sources[PATH_MAX];
	size_t i;

	pause_point("unpack");
	install_new_id(r->root, r->new_id);
	snprintf(r->tmp_dir, sizeof(r->tmp_dir), "%s/%s.tmp", r->versions, r->new_id);
	snprintf(sources, sizeof(sources), "%s/" SET_SOURCES, r->tmp_dir);
	if (mkdir(r->tmp_dir, 0755) < 0 || mkdir(sources, 0755) < 0)
		return run_fail(r, UPDATE_DISK, "mkdir %s: %s", r->tmp_dir, strerror(errno));
	for (i = 0; i < r->ndbs; i++) {
		res = pipeline_unpack_db(r, &r->dbs[i]);
		if (res != UPDATE_OK)
			return res;
	}
	for (i = 0; i < r->nbundles; i++) {
		res = pipeline_unpack_bundle(r, &r->bundles[i]);
		if (res != UPDATE_OK)
			return res;
	}
	res = feedsrc_unpack(r);
	if (res != UPDATE_OK)
		return res;
	{
		const char *const *names, *err;
		int n = config_list(CONF_UPDATE_IGNORE_SIGNATURES, &names);

		if (ignore_write(r->tmp_dir, names, n, &err) < 0)
			return run_fail(r, UPDATE_DISK, "%s", err);
	}
	return UPDATE_OK;
}

/* pipeline_selftest - prove the new set in a child. */
static enum update_result pipeline_selftest(struct run *r)
{
	struct selftest_options so = {
		.timeout_ms = config_num(CONF_UPDATE_SELFTEST_TIMEOUT),
		.current_sigs = r->cur_set.signatures,
		.drop_max_percent = (int)config_num(CONF_UPDATE_SIGNATURE_DROP_MAX),
		.force = r->opts.force,
		.ham_dir = config_str(CONF_UPDATE_HAM_DIR),
	};
	unsigned long long sigs = 0;
	const char *err;

	pause_point("selftest");
	if (selftest_run(r->tmp_dir, &so, &sigs, &err) < 0)
		return run_fail(r, UPDATE_SELFTEST, "%s", err);
	log_info("self-test passed: %llu signatures, EICAR detected, clean controls clean", sigs);
	if (*so.ham_dir)
		log_info("ham gate passed: %ld messages in %s scanned clean", selftest_ham_count(),
			 so.ham_dir);
	r->new_set.signatures = sigs;
	if (set_write(r->tmp_dir, &r->new_set, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	return UPDATE_OK;
}

/* pipeline_install - fsync, rename, swap current. */
static enum update_result pipeline_install(struct run *r)
{
	const char *err;

	pause_point("install");
	if (install_commit(r->root, r->new_id, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	log_info("installed version %s (%llu signatures)", r->new_id, r->new_set.signatures);
	return UPDATE_OK;
}

/* pipeline_put_back - after a rejection: current back to the previous
 * version (or no current at all), and drop the rejected one. */
static enum update_result pipeline_put_back(struct run *r, const char *bad_id,
					    const char *prev_id)
{
	char dir[PATH_MAX], link[PATH_MAX];
	const char *err;

	if (*prev_id) {
		if (install_point(r->root, prev_id, &err) < 0) {
			log_error("putting back version %s: %s", prev_id, err);
			return UPDATE_ROLLBACK_FAILED;
		}
	} else {
		snprintf(link, sizeof(link), "%s/current", r->root);
		if (unlink(link) < 0 || file_fsync_path(r->root, &err) < 0) {
			log_error("removing %s: %s", link, strerror(errno));
			return UPDATE_ROLLBACK_FAILED;
		}
	}
	log_warn("current is back at %s", *prev_id ? prev_id : "(none)");
	if (notify_send_reload(&err) != 0)
		log_warn("%s", err);
	snprintf(dir, sizeof(dir), "%s/%s", r->versions, bad_id);
	if (file_remove_tree(dir, &err) < 0)
		log_warn("%s", err);
	return UPDATE_REJECTED;
}

/* pipeline_notify - RELOAD and watch HEALTH; put back on rejection. */
static enum update_result pipeline_notify(struct run *r, const char *id, const char *prev_id)
{
	char dir[PATH_MAX];
	enum notify_status st;
	const char *err;

	pause_point("notify");
	snprintf(dir, sizeof(dir), "%s/%s", r->versions, id);
	st = notify_reload(dir, config_num(CONF_UPDATE_RELOAD_TIMEOUT), &err);
	/* The reason is the run's: putting back sends RELOAD again. */
	if (st != NOTIFY_LOADED)
		snprintf(r->why, sizeof(r->why), "%s", err);
	switch (st) {
	case NOTIFY_LOADED:
		log_info("the daemon serves version %s", id);
		return UPDATE_OK;
	case NOTIFY_NODAEMON:
		log_warn("version %s stays installed but no daemon reloaded it: %s", id, r->why);
		return UPDATE_NODAEMON;
	case NOTIFY_REJECTED:
	case NOTIFY_TIMEOUT:
		break;
	}
	log_error("%s", r->why);
	return pipeline_put_back(r, id, prev_id);
}

/* pipeline_catch_up - nothing new, but a run killed after the swap may
 * have left the daemon on the previous set: tell it now. */
static enum update_result pipeline_catch_up(struct run *r)
{
	char dir[PATH_MAX], prev[INSTALL_ID_MAX] = "";
	enum update_result res;

	if (!*r->cur_id)
		return UPDATE_UPTODATE;
	snprintf(dir, sizeof(dir), "%s/%s", r->versions, r->cur_id);
	if (notify_serving(dir) != 0)
		return UPDATE_UPTODATE;	/* served, or no daemon to tell */
	log_info("the daemon does not serve current version %s yet; reloading it", r->cur_id);
	if (install_previous(r->root, r->cur_id, prev) < 0)
		prev[0] = '\0';
	res = pipeline_notify(r, r->cur_id, prev);
	return res == UPDATE_OK ? UPDATE_UPTODATE : res;
}

/* pipeline_feeds - the feeds' stage after source_check gave RES: a new
 * set is also built (r->rebuild) for a feed that changed or a changed
 * allow list. */
static enum update_result pipeline_feeds(struct run *r, enum update_result res)
{
	const char *const *names;
	int n = config_list(CONF_UPDATE_IGNORE_SIGNATURES, &names), changed = 0;
	enum update_result fres = feedsrc_update(r, &changed);

	if (fres != UPDATE_OK)
		return fres;
	if (*r->cur_id && ignore_changed(r->cur_dir, names, n)) {
		log_info("update_ignore_signatures changed");
		changed = 1;
	}
	r->rebuild |= changed;
	return res == UPDATE_UPTODATE && changed ? UPDATE_OK : res;
}

/* pipeline_kept_result - the run's result RES, or that of the first
 * source that failed and kept its files, when the run itself went well
 * (the other sources were installed). */
static enum update_result pipeline_kept_result(struct run *r, enum update_result res)
{
	if (r->kept_result != UPDATE_OK && (res == UPDATE_OK || res == UPDATE_UPTODATE)) {
		snprintf(r->why, sizeof(r->why), "%s", r->kept_why);
		return r->kept_result;
	}
	return res;
}

enum update_result pipeline_run(struct run *r)
{
	enum update_result res;
	const char *err;
	char prev[INSTALL_ID_MAX];

	res = source_prepare(r);
	if (res == UPDATE_OK)
		res = feedsrc_prepare(r);
	if (res == UPDATE_OK)
		res = pipeline_open(r);
	if (res == UPDATE_OK)
		res = source_check(r);
	if (res == UPDATE_OK || res == UPDATE_UPTODATE)
		res = pipeline_feeds(r, res);
	if (res == UPDATE_OK)
		res = source_fetch(r);
	if (res == UPDATE_OK)
		res = source_verify(r);
	if (res == UPDATE_OK && !source_changed(r)) {
		log_info("nothing to install: the databases that changed failed, nothing else "
			 "is new");
		res = UPDATE_UPTODATE;
	} else if (res == UPDATE_UPTODATE) {
		log_info("nothing new%s", *r->cur_id ? "" : " (and no current version)");
	}
	if (res == UPDATE_UPTODATE) {
		pipeline_save_state(r, 1);
		res = r->opts.dry_run ? res : pipeline_catch_up(r);
		return pipeline_kept_result(r, res);
	}
	if (res == UPDATE_OK)
		res = pipeline_unpack(r);
	if (res == UPDATE_OK)
		res = pipeline_selftest(r);
	if (res == UPDATE_OK && r->opts.dry_run) {
		log_info("dry run: version %s passed its self-test; not installed", r->new_id);
		if (file_remove_tree(r->tmp_dir, &err) < 0)
			log_warn("%s", err);
		return pipeline_kept_result(r, UPDATE_OK);
	}
	if (res == UPDATE_OK)
		res = pipeline_install(r);
	if (res != UPDATE_OK) {
		if (*r->tmp_dir && file_remove_tree(r->tmp_dir, &err) < 0)
			log_warn("%s", err);
		if (res != UPDATE_LOCKED && res != UPDATE_CONFIG)
			pipeline_save_state(r, 0);
		return res;
	}
	/* Validators are kept only once the daemon took the set (or there is
	 * none): a rejected version is looked at again by the next run. */
	pipeline_save_state(r, 0);
	snprintf(prev, sizeof(prev), "%s", r->cur_id);
	res = pipeline_notify(r, r->new_id, prev);
	pipeline_save_state(r, res == UPDATE_OK || res == UPDATE_NODAEMON);
	if (res == UPDATE_OK || res == UPDATE_NODAEMON) {
		pause_point("prune");
		prune_versions(r->root, r->new_id, (int)config_num(CONF_UPDATE_KEEP_VERSIONS));
	}
	return pipeline_kept_result(r, res);
}

void pipeline_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nvalidators; i++)
		free(r->validators[i].url);
	free(r->validators);
	free(r->dbs);
	free(r->bundles);
	free(r->keys);
	feedsrc_free(r);
	set_free(&r->cur_set);
	set_free(&r->new_set);
	state_free();
	memset(r, 0, sizeof(*r));
}
