/*
 * uu.h - uuencoded files in text ("begin <mode> <name>" ... "end"), as
 * uudecode and mail clients read them.
 *
 * Pure functions on bytes.  The begin line is read leniently (any number
 * of spaces, a mode of one to four octal digits); a line shorter than its
 * length byte says yields what it holds; a missing "end" ends the file at
 * the end of the text.
 */
#ifndef MX_UU_H
#define MX_UU_H

#include <stddef.h>

/* One uuencoded file found in a text. */
struct uu_file {
	char name[256];		/* from the begin line, cut */
	size_t data;		/* offset of its first encoded line */
};

/*
 * uu_next - the next begin line in TEXT (LEN bytes) at or after *POS.
 * Returns 1 with *f filled and *POS at the first encoded line, or 0.
 */
int uu_next(const char *text, size_t len, size_t *pos, struct uu_file *f);

/*
 * uu_decode - decode the lines of TEXT from *POS up to an "end" line (or
 * the end) into OUT, at most CAP bytes; *POS moves past the "end" line.
 * Returns the decoded length (CAP when it was cut there).
 */
size_t uu_decode(const char *text, size_t len, size_t *pos, unsigned char *out, size_t cap);

#endif
