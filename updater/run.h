/*
 * run.h - the context of one updater run, shared by the stages
 * (pipeline.c orchestrates; source.c checks, fetches and verifies the
 * sources; admin.c serves --status, --rollback and --publish).
 */
#ifndef MX_UPDATE_RUN_H
#define MX_UPDATE_RUN_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "updater/feed.h"
#include "updater/fetch.h"
#include "updater/install.h"
#include "updater/minisign.h"
#include "updater/reason.h"
#include "updater/result.h"
#include "updater/set.h"

struct run_options {
	int dry_run;
	int force;
	const char *publish;	/* NULL: no --publish */
};

/* A validator to remember once the run has succeeded. */
struct run_validator {
	char *url;
	char etag[FETCH_ETAG_MAX];
	time_t modified;
};

struct run_db {
	const char *name;
	int changed;
	unsigned local_version;		/* 0: none */
	unsigned remote_version;
	size_t mirror;			/* index of the mirror that answered */
	char path[PATH_MAX];		/* the downloaded .cvd */
	char sign[PATH_MAX];		/* its downloaded .cvd.sign; "": none */
	int resumed;
	unsigned sigs;			/* header count of the verified file */
	unsigned dns_version;		/* the version DNS announced; 0: none */
};

struct run_bundle {
	const char *url;
	char source[SET_SOURCE_MAX + 1]; /* basename of the URL */
	int changed;
	char archive[PATH_MAX];		/* downloaded archive */
	char sig[PATH_MAX];		/* downloaded .minisig */
	char sha256[SET_SHA256_HEX_LEN + 1];
	int resumed;			/* the archive continued a .part */
};

/* One file of a feed in this run. */
struct run_feed_file {
	char path[PATH_MAX];		/* the download */
	char side[PATH_MAX];		/* its sidecar (.sig, .minisig, .sha256) */
	size_t base;			/* the base URL that served it */
	int fetched;			/* new contents in PATH */
	char sha256[SET_SHA256_HEX_LEN + 1]; /* of the file installed */
	char etag[FETCH_ETAG_MAX];
	time_t modified;
};

/* One configured feed in this run. */
struct run_feed {
	const struct feed *feed;
	struct run_feed_file *files;	/* one per feed->files */
	struct minisign_key key;	/* minisign_key=, when given */
	int due;			/* checked in this run */
	int checked;			/* checked without trouble (state) */
	int changed;			/* verified new files to install */
	enum update_result result;	/* UPDATE_OK, or why this feed failed */
};

struct run {
	struct run_options opts;
	const char *root;
	char versions[PATH_MAX];
	char download[PATH_MAX];
	char cur_id[INSTALL_ID_MAX];	/* "" when there is no current version */
	char cur_dir[PATH_MAX];
	struct set cur_set;
	char new_id[INSTALL_ID_MAX];
	char tmp_dir[PATH_MAX];
	struct set new_set;
	struct run_db *dbs;
	size_t ndbs;
	struct run_bundle *bundles;
	size_t nbundles;
	const char *const *mirrors;
	size_t nmirrors;
	struct minisign_key *keys;
	size_t nkeys;
	struct run_validator *validators;
	size_t nvalidators;
	struct feed *feeds;		/* update_feeds as parsed */
	struct run_feed *rfeeds;	/* one per feed */
	size_t nfeeds;
	int rebuild;			/* a new set is due whatever the CVDs (see source_changed) */
	/* The first source (database or feed) that failed and kept its
	 * installed files, while the run went on: its result and reason. */
	enum update_result kept_result;
	char kept_why[REASON_MAX];
	char why[REASON_MAX];		/* reason of the failing stage */
};

/* run_fail - set R's reason; returns RESULT. */
enum update_result run_fail(struct run *r, enum update_result result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* run_keep - a source failed with RESULT (reason FMT) and keeps its
 * installed files while the run goes on: RESULT becomes the run's exit
 * status unless an earlier source failed so, or a stage fails later. */
void run_keep(struct run *r, enum update_result result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* run_remember - keep URL's validators for the end of a good run. */
void run_remember(struct run *r, const char *url, const char *etag, time_t modified);

/* run_forget - drop what run_remember kept for URL (its source failed:
 * the next run must look at it again). */
void run_forget(struct run *r, const char *url);

/* source_prepare - check names, URLs and key files of the configuration
 * into R (UPDATE_CONFIG on trouble). */
enum update_result source_prepare(struct run *r);

/*
 * source_check - which databases and bundles changed; UPDATE_UPTODATE
 * when nothing did.  A database that cannot be checked, fetched or
 * verified (here, in source_fetch or in source_verify) keeps its
 * installed version through run_keep, and the run goes on; one without
 * an installed version (a first set, a database newly configured) ends
 * the run with that stage's result instead: no set is built without it.
 * A bundle's failure always ends the run.
 */
enum update_result source_check(struct run *r);

/* source_fetch - download the changed CVDs and the bundles' .minisig. */
enum update_result source_fetch(struct run *r);

/* source_verify - verify what source_fetch got. */
enum update_result source_verify(struct run *r);

/* source_changed - whether a new set is still due after source_verify:
 * a database changed (and did not fail since) or R->rebuild. */
int source_changed(const struct run *r);

/* admin_status - print --status. */
enum update_result admin_status(const char *root);

/* admin_rollback - --rollback [ID]. */
enum update_result admin_rollback(struct run *r, const char *id);

/* admin_publish - --publish DIR: the current set as a private mirror. */
enum update_result admin_publish(struct run *r, const char *dir);

/* pipeline_run - one update run; pipeline_free - release R. */
enum update_result pipeline_run(struct run *r);
void pipeline_free(struct run *r);

/* pipeline_open - take the lock and read the current version (the start
 * of a run, and of --rollback). */
enum update_result pipeline_open(struct run *r);

#endif
