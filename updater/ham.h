/*
 * ham.h - the false-positive gate (update_ham_dir): in the self-test
 * child, the candidate set scans every file of a folder of known-good
 * mail; any detection refuses the set.  Each file is scanned whole by
 * libclamav, which reads a message's MIME structure (parts, encodings,
 * attachments) as it does for mxscand's scans of whole messages.
 */
#ifndef MX_UPDATE_HAM_H
#define MX_UPDATE_HAM_H

#include <stddef.h>

struct engine_db;

/* How deep below update_ham_dir files are looked for. */
#define HAM_DEPTH_MAX 4

/*
 * ham_scan - scan the regular files in DIR and its subdirectories (in
 * name order, symbolic links not followed) with DB.  Returns the number
 * of files scanned, or -1 with a reason in WHY (SIZE bytes): the first
 * file detected and the signature ("<path> flagged as <name>"), or one
 * that could not be read or scanned.
 */
long ham_scan(const struct engine_db *db, const char *dir, char *why, size_t size);

#endif
