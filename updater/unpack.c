/*
 * unpack.c - bundle extraction (see unpack.h).
 *
 * libarchive reads the archive (tar in gzip only); the updater writes
 * each entry itself with openat(O_CREAT | O_EXCL | O_NOFOLLOW) inside the
 * version directory, hashing on the way.  Because only plain top-level
 * names that passed unpack_name_ok() are ever created, nothing the
 * archive says can reach outside the directory: this is stricter than
 * libarchive's ARCHIVE_EXTRACT_SECURE_{NODOTDOT,SYMLINKS,NOABSOLUTEPATHS}
 * and needs no chdir.
 */
#include "auto-config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "updater/manifest.h"
#include "updater/reason.h"
#include "updater/unpack.h"

/* The extensions libclamav loads as signature files that a site may
 * ship; the signed containers (.cvd .cld .cud) and .info are left to
 * ClamAV's own databases. */
static const char *const unpack_exts[] = {
	"hdb", "hdu", "hsb", "hsu", "mdb", "mdu", "msb", "msu", "ndb", "ndu", "ldb",
	"ldu", "sdb", "cdb", "fp",  "sfp", "ign", "ign2", "idb", "ftm", "pdb", "wdb",
	"gdb", "crb", "cbc", "cat", "cfg", "imp", "yar", "yara", "pwdb", NULL,
};

#define UNPACK_MANIFEST_MAX (1 << 20)
#define UNPACK_BLOCK_SIZE 65536	/* libarchive's read block, and our copy buffer */
#define UNPACK_LOG_NAME_MAX 128	/* an entry name in a reason, cut */

static __thread char unpack_why[REASON_MAX];

/* unpack_aerr - libarchive's reason, never NULL. */
static const char *unpack_aerr(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s != NULL ? s : "damaged archive";
}

int unpack_name_ok(const char *name, const char **error_r)
{
	const char *p, *dot;
	size_t i;

	if (strcmp(name, MANIFEST_NAME) == 0)
		return 0;
	if (*name == '\0' || strlen(name) > UNPACK_NAME_MAX) {
		*error_r = "empty or over-long name";
		return -1;
	}
	if (*name == '.') {
		*error_r = "name starts with a dot";
		return -1;
	}
	for (p = name; *p; p++) {
		if (*p == '/') {
			*error_r = "not at the top level (contains /)";
			return -1;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '+' ||
		      *p == '-')) {
			*error_r = "character not allowed in a name";
			return -1;
		}
	}
	dot = strrchr(name, '.');
	if (dot != NULL && dot != name)
		for (i = 0; unpack_exts[i] != NULL; i++)
			if (strcasecmp(dot + 1, unpack_exts[i]) == 0)
				return 0;
	*error_r = "not a known signature file extension";
	return -1;
}

void unpack_files_free(struct unpack_files *files)
{
	size_t i;

	for (i = 0; i < files->count; i++)
		free(files->names[i]);
	free(files->names);
	files->names = NULL;
	files->count = 0;
}

/* unpack_fail - the reason for entry NAME (NULL: the whole bundle) into
 * *error_r; returns STATUS. */
static enum unpack_status unpack_fail(const char **error_r, enum unpack_status status,
				      const char *name, const char *what)
{
	char safe[UNPACK_LOG_NAME_MAX];
	size_t i;

	snprintf(safe, sizeof(safe), "%s", name != NULL ? name : "");
	for (i = 0; safe[i]; i++)
		if ((unsigned char)safe[i] < 0x20 || (unsigned char)safe[i] >= 0x7f)
			safe[i] = '?';
	if (name != NULL)
		reason_set(unpack_why, error_r, "bundle entry \"%s\": %s", safe, what);
	else
		reason_set(unpack_why, error_r, "bundle: %s", what);
	return status;
}

/* unpack_entry_name - PATH without a leading "./" ("" for "./"). */
static const char *unpack_entry_name(const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path;
}

/* unpack_write - copy the current entry's data to FD (or to MEM when FD
 * is -1), hashing it; counts bytes into *total. */
static enum unpack_status unpack_write(struct archive *a, int fd, char **mem, size_t *memlen,
				       unsigned char hash[MANIFEST_SHA256_SIZE], long long *total,
				       long long max, const char *name, const char **error_r)
{
	crypto_hash_sha256_state st;
	char buf[UNPACK_BLOCK_SIZE];

	crypto_hash_sha256_init(&st);
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));

		if (n < 0)
			return unpack_fail(error_r, UNPACK_REFUSED, name, unpack_aerr(a));
		if (n == 0)
			break;
		*total += n;
		if (*total > max)
			return unpack_fail(error_r, UNPACK_REFUSED, name,
					   "more than update_max_unpacked bytes");
		crypto_hash_sha256_update(&st, (const unsigned char *)buf, (unsigned long long)n);
		if (fd >= 0) {
			ssize_t off = 0;

			while (off < n) {
				ssize_t w = write(fd, buf + off, (size_t)(n - off));

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					return unpack_fail(error_r, UNPACK_WRITE_FAILED, name,
							   strerror(errno));
				off += w;
			}
		} else {
			if (*memlen + (size_t)n > UNPACK_MANIFEST_MAX)
				return unpack_fail(error_r, UNPACK_REFUSED, name, "manifest too large");
			*mem = xrealloc(*mem, *memlen + (size_t)n + 1);
			memcpy(*mem + *memlen, buf, (size_t)n);
			*memlen += (size_t)n;
		}
	}
	crypto_hash_sha256_final(&st, hash);
	return UNPACK_OK;
}

enum unpack_status unpack_bundle(const char *archive, const char *dir,
				 const struct unpack_limits *lim, struct unpack_files *files,
				 const char **error_r)
{
	struct archive *a;
	struct archive_entry *ent;
	struct manifest man = {0};
	unsigned char (*hashes)[MANIFEST_SHA256_SIZE] = NULL;
	char *mtext = NULL;
	size_t mlen = 0, i;
	long long entries = 0, total = 0;
	int dfd, have_manifest = 0, r;
	enum unpack_status ret;
	const char *err;

	if (sodium_init() < 0) {
		*error_r = "libsodium failed to initialise";
		return UNPACK_REFUSED;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		reason_set(unpack_why, error_r, "%s: %s", dir, strerror(errno));
		return UNPACK_REFUSED;
	}
	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, archive, UNPACK_BLOCK_SIZE) != ARCHIVE_OK) {
		ret = unpack_fail(error_r, UNPACK_REFUSED, NULL, unpack_aerr(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ent);
		const char *name = unpack_entry_name(path != NULL ? path : "");
		int fd = -1, is_manifest;
		unsigned char hash[MANIFEST_SHA256_SIZE];

		if (++entries > lim->max_entries) {
			ret = unpack_fail(error_r, UNPACK_REFUSED, NULL,
					  "more than update_max_entries entries");
			goto out;
		}
		if (archive_entry_filetype(ent) == AE_IFDIR && (*name == '\0' || strcmp(name, ".") == 0 ||
								  strcmp(name, "./") == 0))
			continue;
		if (archive_entry_filetype(ent) != AE_IFREG || archive_entry_hardlink(ent) != NULL ||
		    archive_entry_symlink(ent) != NULL) {
			ret = unpack_fail(error_r, UNPACK_REFUSED, path, "not a regular file");
			goto out;
		}
		if (unpack_name_ok(name, &err) < 0) {
			ret = unpack_fail(error_r, UNPACK_REFUSED, path, err);
			goto out;
		}
		is_manifest = strcmp(name, MANIFEST_NAME) == 0;
		if (is_manifest) {
			if (have_manifest) {
				ret = unpack_fail(error_r, UNPACK_REFUSED, path, "appears twice");
				goto out;
			}
			have_manifest = 1;
		} else {
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    0644);
			if (fd < 0) {
				ret = errno == EEXIST
					      ? unpack_fail(error_r, UNPACK_REFUSED, name,
							    "name clash (twice in the bundle, or "
							    "already provided by another source)")
					      : unpack_fail(error_r, UNPACK_WRITE_FAILED, name,
							    strerror(errno));
				goto out;
			}
		}
		ret = unpack_write(a, fd, &mtext, &mlen, hash, &total, lim->max_bytes, name, error_r);
		if (fd >= 0 && close(fd) < 0 && ret == UNPACK_OK)
			ret = unpack_fail(error_r, UNPACK_WRITE_FAILED, name, strerror(errno));
		if (ret != UNPACK_OK)
			goto out;
		if (!is_manifest) {
			files->names = xrealloc(files->names,
						(files->count + 1) * sizeof(*files->names));
			hashes = xrealloc(hashes, (files->count + 1) * sizeof(*hashes));
			files->names[files->count] = xstrdup(name);
			memcpy(hashes[files->count], hash, sizeof(hash));
			files->count++;
		}
	}
	if (r != ARCHIVE_EOF) {
		ret = unpack_fail(error_r, UNPACK_REFUSED, NULL, unpack_aerr(a));
		goto out;
	}
	/* From here on a failure is the manifest's. */
	if (!have_manifest) {
		ret = unpack_fail(error_r, UNPACK_MISMATCH, NULL, "no " MANIFEST_NAME);
		goto out;
	}
	if (manifest_parse(&man, mtext != NULL ? mtext : "", mlen, &err) < 0) {
		ret = unpack_fail(error_r, UNPACK_MISMATCH, NULL, err);
		goto out;
	}
	for (i = 0; i < files->count; i++)
		if (manifest_check(&man, files->names[i], hashes[i], &err) < 0) {
			ret = unpack_fail(error_r, UNPACK_MISMATCH, NULL, err);
			goto out;
		}
	if (manifest_complete(&man, &err) < 0) {
		ret = unpack_fail(error_r, UNPACK_MISMATCH, NULL, err);
		goto out;
	}
	ret = UNPACK_OK;
out:
	manifest_free(&man);
	free(mtext);
	free(hashes);
	archive_read_free(a);
	close(dfd);
	return ret;
}
