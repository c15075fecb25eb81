/*
 * set.h - what one version directory holds, recorded in its hidden file
 * .mxscan-set: the CVDs (name, version), the bundles (URL, SHA-256 of
 * the archive as fetched, the files it provided) and the signature count
 * the self-test loaded.  Lines:
 *
 *	mxscan-set 1
 *	signatures <count>
 *	db <name> <version> <header sigs>
 *	bundle <sha256 hex> <source name> <url>
 *	file <source name> <file name>
 *	feed <feed name>
 *	feedfile <feed name> <sha256 hex> <file name>
 */
#ifndef MX_UPDATE_SET_H
#define MX_UPDATE_SET_H

#include <stddef.h>

#define SET_FILE ".mxscan-set"
#define SET_SOURCES ".sources"

/* The longest field of each kind, without its NUL. */
#define SET_DB_NAME_MAX 63
#define SET_SHA256_HEX_LEN 64		/* a SHA-256 in hex */
#define SET_SOURCE_MAX 127
#define SET_URL_MAX 4095		/* a URL, or a file name */

struct set_db {
	char name[SET_DB_NAME_MAX + 1];
	unsigned version;
	unsigned sigs;
};

struct set_bundle {
	char sha256[SET_SHA256_HEX_LEN + 1];
	char source[SET_SOURCE_MAX + 1];	/* the archive's name under .sources/ */
	char *url;
	char **files;
	size_t nfiles;
};

struct set_feed_file {
	char sha256[SET_SHA256_HEX_LEN + 1];
	char *name;
};

struct set_feed {
	char name[SET_SOURCE_MAX + 1];
	struct set_feed_file *files;
	size_t nfiles;
};

struct set {
	int known;		/* SET_FILE was read */
	unsigned long long signatures;
	struct set_db *dbs;
	size_t ndbs;
	struct set_bundle *bundles;
	size_t nbundles;
	struct set_feed *feeds;
	size_t nfeeds;
};

/* set_read - S from DIR/.mxscan-set; a missing file gives an empty S with
 * known = 0 and returns 0.  -1 with *error_r on a read error. */
int set_read(const char *dir, struct set *s, const char **error_r);

/* set_write - DIR/.mxscan-set from S (plain write: DIR is not live yet). */
int set_write(const char *dir, const struct set *s, const char **error_r);

struct set_db *set_add_db(struct set *s, const char *name);
struct set_bundle *set_add_bundle(struct set *s, const char *url);
void set_bundle_add_file(struct set_bundle *b, const char *name);
struct set_feed *set_add_feed(struct set *s, const char *name);
void set_feed_add_file(struct set_feed *f, const char *name, const char *sha256);

/* set_find_db, set_find_bundle - lookups; NULL when absent. */
const struct set_db *set_find_db(const struct set *s, const char *name);
const struct set_bundle *set_find_bundle(const struct set *s, const char *url);
const struct set_feed *set_find_feed(const struct set *s, const char *name);
/* set_feed_file - FEED's entry for file NAME, or NULL (FEED may be NULL). */
const struct set_feed_file *set_feed_file(const struct set_feed *feed, const char *name);

/* set_free - release S's contents. */
void set_free(struct set *s);

#endif
