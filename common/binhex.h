/*
 * binhex.h - BinHex 4.0 files in text ("(This file must be converted
 * with BinHex 4.0)", then ":" ... ":"), as Mac mail clients read them.
 *
 * Pure functions on bytes.  The 6-bit text is decoded (white space and
 * line ends skipped), run-length expansion (0x90) undone, and the header
 * read for the name and the two forks.  CRCs are not checked (a client
 * that shows the file does not need them to be right); forks longer than
 * the data hold what there is.
 */
#ifndef MX_BINHEX_H
#define MX_BINHEX_H

#include <stddef.h>

/* The forks of a decoded file, as offsets into the decoded bytes. */
struct binhex_forks {
	char name[64];		/* the Mac file name (at most 63 bytes) */
	size_t data, data_len;	/* the data fork */
	size_t rsrc, rsrc_len;	/* the resource fork */
};

/*
 * binhex_next - the next BinHex text in TEXT (LEN bytes) at or after
 * *POS: after the "(This file must be converted with BinHex" line, from
 * the first ':' to the next.  With BARE, a ':' that starts a line is
 * taken without the banner (a body declared binhex).  Returns 1 with the
 * encoded range [*start_r, *end_r) (between the colons) and *POS past
 * it, or 0.
 */
int binhex_next(const char *text, size_t len, size_t *pos, int bare, size_t *start_r,
		size_t *end_r);

/*
 * binhex_decode - decode the encoded text IN (N bytes, between the
 * colons) into OUT (at most CAP bytes; run-length expansion is cut
 * there), then read the header into *f.  Returns the decoded length, or
 * 0 when not even a header is there (*f is then all 0).
 */
size_t binhex_decode(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
		     struct binhex_forks *f);

#endif
