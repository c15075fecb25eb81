/*
 * unpack.h - unpack a verified bundle (.tar.gz) into a version directory,
 * with the checks of mxscan-update(8) BUNDLES: top-level regular files
 * only, safe names, known signature extensions, caps on entries and
 * bytes, and the SHA-256 of every file matching MANIFEST.sha256.
 */
#ifndef MX_UPDATE_UNPACK_H
#define MX_UPDATE_UNPACK_H

#include <stddef.h>

/* The longest name a bundle file may have. */
#define UNPACK_NAME_MAX 200

enum unpack_status {
	UNPACK_OK,
	UNPACK_REFUSED,		/* the archive breaks a rule (entry, name, cap) */
	UNPACK_MISMATCH,	/* it does not match its manifest, or has none */
	UNPACK_WRITE_FAILED,	/* writing failed (disk full, I/O error) */
};

struct unpack_limits {
	long long max_entries;
	long long max_bytes;
};

struct unpack_files {
	char **names;		/* the files written, MANIFEST excluded */
	size_t count;
};

/*
 * unpack_bundle - unpack ARCHIVE into the directory DIR (files are
 * created exclusively: a name clash with a file already there fails).
 * FILES gets the names written.  Returns UNPACK_OK, or another status
 * with *error_r (see reason.h).  On failure files already written stay
 * (the caller drops DIR).
 */
enum unpack_status unpack_bundle(const char *archive, const char *dir,
				 const struct unpack_limits *lim, struct unpack_files *files,
				 const char **error_r);

/* unpack_name_ok - 0 when NAME is acceptable as a bundle file name
 * (MANIFEST.sha256 included), -1 with a reason otherwise. */
int unpack_name_ok(const char *name, const char **error_r);

/* unpack_files_free - release FILES' names. */
void unpack_files_free(struct unpack_files *files);

#endif
