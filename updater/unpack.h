/*
 * unpack.h - unpack a verified bundle (.tar.gz) into a version directory,
 * with the checks of mxscan-update(8) BUNDLES: top-level regular files
 * only, safe names, known signature extensions, caps on entries and
 * bytes, and the SHA-256 of every file matching MANIFEST.sha256.
 */
#ifndef MX_UPDATE_UNPACK_H
#define MX_UPDATE_UNPACK_H

#include <stddef.h>

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
 * FILES gets the names written.  Returns 0; -1 with a reason in WHY when
 * the archive is refused; -2 when it does not match its manifest (or has
 * none); -3 when writing failed (disk full, I/O error).  On failure files already written stay (the caller drops DIR).
 */
int unpack_bundle(const char *archive, const char *dir, const struct unpack_limits *lim,
		  struct unpack_files *files, char *why, size_t size);

/* unpack_name_ok - 0 when NAME is acceptable as a bundle file name
 * (MANIFEST.sha256 included), -1 with a reason otherwise. */
int unpack_name_ok(const char *name, const char **error_r);

/* unpack_files_free - release FILES' names. */
void unpack_files_free(struct unpack_files *files);

#endif
