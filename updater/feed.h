/*
 * feed.h - third-party signature feeds (update_feeds): their description
 * as configured and its parser.  Fetching, verifying and installing them
 * is feedsrc.c's.
 *
 * update_feeds holds one entry per feed, each a name followed by
 * key=value words (continuation lines are fine; lists are
 * comma-separated and a key may be repeated):
 *
 *	NAME verify=gpg|minisign|sha256|cvd|none url=BASE[,BASE...]
 *	     files=FILE[,FILE...] [companions=FILE[,...]] [interval=TIME]
 *	     [gpg_home=DIR] [minisign_key=FILE]
 *
 * Each file is fetched as BASE/FILE from the first base URL that has it;
 * its sidecar (FILE.sig, FILE.minisig, FILE.sha256) from the same base.
 */
#ifndef MX_UPDATE_FEED_H
#define MX_UPDATE_FEED_H

#include <stddef.h>

#include "updater/file.h"

/* The longest feed or file name (same rules as database names). */
#define FEED_NAME_MAX FILE_NAME_MAX
/* The default interval between two checks of a feed. */
#define FEED_INTERVAL_DEFAULT_MS (24LL * 3600 * 1000)

enum feed_verify {
	FEED_VERIFY_GPG,	/* detached OpenPGP FILE.sig, GPGME, keys in gpg_home */
	FEED_VERIFY_MINISIGN,	/* FILE.minisig, minisign_key or update_trusted_keys */
	FEED_VERIFY_SHA256,	/* FILE.sha256 from the same server: integrity only */
	FEED_VERIFY_CVD,	/* a CVD signed by ClamAV, libclamav checks it */
	FEED_VERIFY_NONE,	/* nothing: an explicit opt-in, warned on every run */
};

struct feed_file {
	char *name;
	int companion;		/* listed under companions= */
};

struct feed {
	char *name;
	enum feed_verify verify;
	long long interval_ms;
	char **urls;		/* base URLs, no trailing '/' */
	size_t nurls;
	struct feed_file *files;	/* files= first, then companions= */
	size_t nfiles;
	char *gpg_home;		/* NULL unless given */
	char *minisign_key;	/* NULL unless given */
};

/*
 * feed_parse - the feeds described by TEXT (update_feeds) into a new
 * array *FEEDS_R of *N_R entries (free with feed_free_all).  Checks names
 * (no name twice, no file in two feeds), URLs (https, http or file; none
 * not over plain http), the keys each verify= needs.  Returns 0, or -1
 * with *error_r (see reason.h) and nothing allocated.
 */
int feed_parse(const char *text, struct feed **feeds_r, size_t *n_r, const char **error_r);

/* feed_free_all - release N feeds at FEEDS (NULL is fine). */
void feed_free_all(struct feed *feeds, size_t n);

/* feed_verify_str - "gpg", "minisign", ... */
const char *feed_verify_str(enum feed_verify verify);

/* feed_sidecar - the suffix of VERIFY's sidecar file (".sig", ...), or
 * NULL when it has none (cvd, none). */
const char *feed_sidecar(enum feed_verify verify);

#endif
