/*
 * manifest.h - a bundle's MANIFEST.sha256: sha256sum(1) format, one
 * "<64 hex>  <name>" (or " *<name>") line per file, blank lines and
 * "#" comments ignored.  It must list every other file of the bundle
 * exactly once, and nothing else.
 */
#ifndef MX_UPDATE_MANIFEST_H
#define MX_UPDATE_MANIFEST_H

#include <stddef.h>

#define MANIFEST_NAME "MANIFEST.sha256"
#define MANIFEST_SHA256_SIZE 32		/* bytes of a SHA-256 */
#define MANIFEST_ENTRY_NAME_MAX 255	/* the longest file name a line may give */

struct manifest_entry {
	char *name;
	unsigned char sha256[MANIFEST_SHA256_SIZE];
	int seen;
};

struct manifest {
	struct manifest_entry *entries;
	size_t count;
};

/* manifest_parse - parse LEN bytes of TEXT into M (emptied first).
 * Returns 0, or -1 with *error_r naming the line (see reason.h). */
int manifest_parse(struct manifest *m, const char *text, size_t len, const char **error_r);

/*
 * manifest_check - the file NAME with hash SHA256 was found in the
 * bundle: 0 when the manifest lists it with that hash (first time), -1
 * with *error_r otherwise.
 */
int manifest_check(struct manifest *m, const char *name,
		   const unsigned char sha256[MANIFEST_SHA256_SIZE], const char **error_r);

/* manifest_complete - 0 when every entry was checked, else -1 naming
 * the first missing one. */
int manifest_complete(const struct manifest *m, const char **error_r);

/* manifest_free - release M's entries. */
void manifest_free(struct manifest *m);

#endif
