/*
 * split.h - a message cut at its own delimiter lines, whatever its
 * headers declare: the boundary-discovering splitter of MIMESCAN's
 * lenient reading (lenient.c).
 *
 * A boundary is a token that starts "--" lines of the body more than once
 * (a close delimiter "--B--" counts), once when a header line follows it,
 * or a boundary= value of any Content-Type header that starts at least
 * one such line.  Every line that starts "--" and a boundary (trailing
 * junk or white space after it, one boundary a prefix of another, all
 * allowed) ends one segment and starts the next; nesting is not kept, so
 * an outer boundary inside an inner part and a missing close delimiter
 * still cut.  The first segment is the message itself (its header block
 * and what follows it up to the first delimiter).  Pure functions on
 * bytes: no allocation beyond struct split.
 */
#ifndef MX_SPLIT_H
#define MX_SPLIT_H

#include <stddef.h>

#define SPLIT_BOUNDARIES_MAX 16	/* boundaries kept per message */
#define SPLIT_TOKEN_MAX 200	/* longer tokens are no boundary */

struct split {
	const char *msg;
	size_t len;
	int n;			/* boundaries found */
	size_t blen[SPLIT_BOUNDARIES_MAX];
	const char *bnd[SPLIT_BOUNDARIES_MAX];	/* into msg, blen[i] bytes each */
	size_t pos;		/* where split_next goes on */
	int first;		/* split_next has not returned the message yet */
};

/* One segment: [start, end) holds a header block (possibly empty) and a
 * body; the line end before the next delimiter line is not in it. */
struct split_segment {
	size_t start;		/* first byte after the delimiter line */
	size_t headers_end;	/* end of the header lines (== start: none) */
	size_t body;		/* first byte of the body */
	size_t end;		/* end of the body */
	int blank_line;		/* the headers ended at a blank line or at the
				 * segment's end (not at a line that is no
				 * header) */
};

/* split_init - find the boundaries of MSG (LEN bytes) into *s. */
void split_init(struct split *s, const char *msg, size_t len);

/* split_next - the next segment into *seg: 1, or 0 when none is left. */
int split_next(struct split *s, struct split_segment *seg);

/* split_header_line - 1 when LINE (N bytes) is "Name:" with a name of
 * printable bytes and no space (a header line, not a continuation). */
int split_header_line(const char *line, size_t n);

#endif
