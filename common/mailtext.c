/*
 * mailtext.c - a part's text as libclamav's mail parser writes it (see
 * mailtext.h).
 */
#include "auto-config.h"

#include "common/mailtext.h"

/* mailtext_blank - the N bytes at S are all blanks (isspace without the line ends). */
static int mailtext_blank(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\v' && s[i] != '\f')
			return 0;
	return 1;
}

size_t mailtext_lf(const unsigned char *in, size_t n, int flags, unsigned char *out)
{
	size_t i = 0, o = 0;
	int last_empty = 0;

	while (i < n) {
		size_t start = o, read = 0;

		/* one line as libclamav reads it: up to its line end, or cut
		 * (the line end then starts the next, empty, line) */
		while (i < n && in[i] != '\n' && in[i] != '\r' &&
		       (!(flags & MAILTEXT_SENT) || read < MAILTEXT_LINE_MAX)) {
			if (in[i] != '\0' || !(flags & MAILTEXT_SENT))
				out[o++] = in[i];
			read++;
			i++;
		}
		if (i < n && (in[i] == '\n' || in[i] == '\r') &&
		    (!(flags & MAILTEXT_SENT) || read < MAILTEXT_LINE_MAX)) {
			/* CR LF and LF CR are one line end */
			if (i + 1 < n && (in[i + 1] == '\n' || in[i + 1] == '\r') && in[i + 1] != in[i])
				i++;
			i++;
		}
		/* an empty line right after an empty line (as read: a line of
		 * blanks is not empty here) */
		if (o == start && last_empty && (flags & MAILTEXT_COLLAPSE))
			continue;
		last_empty = o == start;
		if (o > start && mailtext_blank(out + start, o - start)) {
			o = start;	/* blanks only: one space */
			out[o++] = ' ';
		}
		out[o++] = '\n';
	}
	return o;
}
