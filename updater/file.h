/*
 * file.h - file-system helpers of the updater: durable writes, fsync of
 * files and directories, hard link or copy, tree removal.
 *
 * Every function returns 0, or -1 with a reason in *error_r that names
 * the path and errno (see reason.h for how long it stays valid).
 */
#ifndef MX_UPDATE_FILE_H
#define MX_UPDATE_FILE_H

#include <stddef.h>

/* The longest database, archive or feed file name (see file_name_ok). */
#define FILE_NAME_MAX 99

/* file_fsync_path - fsync the file or directory PATH. */
int file_fsync_path(const char *path, const char **error_r);

/* file_fsync_tree - fsync every regular file in DIR and its
 * subdirectories, then the directories themselves. */
int file_fsync_tree(const char *dir, const char **error_r);

/* file_write_atomic - write LEN bytes to PATH through PATH.tmp, fsync,
 * rename, fsync the directory. */
int file_write_atomic(const char *path, const void *buf, size_t len, const char **error_r);

/* file_copy - copy FROM to TO (created exclusively) and fsync it. */
int file_copy(const char *from, const char *to, const char **error_r);

/* file_link_or_copy - hard link FROM as TO, or copy it across file
 * systems. */
int file_link_or_copy(const char *from, const char *to, const char **error_r);

/* file_remove_tree - remove PATH and everything below it (missing is
 * fine; symbolic links are removed, never followed). */
int file_remove_tree(const char *path, const char **error_r);

/* file_read_all - read the whole file PATH (at most MAX bytes) into a new
 * NUL-terminated buffer; *len_r gets its length. */
int file_read_all(const char *path, size_t max, char **buf_r, size_t *len_r,
		  const char **error_r);

/* The length of a SHA-256 in hex, without its NUL. */
#define FILE_SHA256_HEX_LEN 64

/* file_sha256_hex - SHA-256 of the file PATH as lower-case hex into HEX,
 * streamed. */
int file_sha256_hex(const char *path, char hex[FILE_SHA256_HEX_LEN + 1], const char **error_r);

/* file_mkdirs - mkdir -p PATH with MODE. */
int file_mkdirs(const char *path, unsigned mode, const char **error_r);

/* file_name_ok - a database, archive or feed file name as a mirror may
 * give it: [A-Za-z0-9._+-], no leading dot, at most FILE_NAME_MAX bytes
 * (so never a path, never "." or ".."). */
int file_name_ok(const char *name);

#endif
