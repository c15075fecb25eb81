/*
 * mailtext.h - a part's text as libclamav's mail parser writes it before
 * it scans it (libclamav/mbox.c, message.c), so that MIMESCAN can scan
 * the bytes that reading would have scanned without running it.
 *
 * libclamav reads a message line by line and writes a text body (a body
 * sent 7bit, 8bit, binary or without a transfer encoding, and, decoded,
 * quoted-printable) one line at a time, each ended by a single LF:
 *
 *  - LF, CR LF, a bare CR and LF CR each end a line;
 *  - a line read as sent is cut after 999 bytes (its reading buffer), the
 *    rest is the next line, and its NUL bytes are dropped;
 *  - a line of blanks only (space, tab, VT, FF) is written as one space;
 *  - in a message whose top-level type is not text (multipart, or no
 *    Content-Type at all), an empty line right after an empty line is
 *    dropped.
 *
 * A pure function on bytes.
 */
#ifndef MX_MAILTEXT_H
#define MX_MAILTEXT_H

#include <stddef.h>

/* The longest line libclamav's mail parser reads in one piece. */
#define MAILTEXT_LINE_MAX 999

/* Bytes that always suffice for the text of N input bytes. */
#define MAILTEXT_MAX(n) ((n) + (n) / MAILTEXT_LINE_MAX + 2)

/* Flags of mailtext_lf. */
enum {
	MAILTEXT_SENT = 1,	/* the body as sent: lines cut after
				 * MAILTEXT_LINE_MAX bytes (NULs counted), NULs
				 * dropped; not for decoded quoted-printable,
				 * which libclamav decodes after reading the
				 * lines, so "=00" stays and soft breaks join */
	MAILTEXT_COLLAPSE = 2,	/* drop an empty line after an empty line */
};

/*
 * mailtext_lf - write the N bytes at IN into OUT (MAILTEXT_MAX(N) bytes)
 * as libclamav writes a text body (see above), with FLAGS; returns the
 * length written.  Empty input gives empty output.
 */
size_t mailtext_lf(const unsigned char *in, size_t n, int flags, unsigned char *out);

#endif
