/*
 * base64.h - lenient base64, as mail clients read it (RFC 2045 bodies
 * with junk, broken padding and concatenated blocks).
 *
 * Pure functions on bytes: mxscand's MIMESCAN readings use them, and a
 * client could.  Two readings of '=' inside the data exist in the wild:
 * a group ends at '=' and decoding restarts after it (what a decoder that
 * joins concatenated blocks does), or '=' that does not complete a group's
 * padding is skipped and complete padding ends the data (Python's
 * binascii, and the clients built on it).
 * Where the data has '=' before more alphabet bytes, the two differ and a
 * scanner reads both (base64_inner_pad says when).
 */
#ifndef MX_BASE64_H
#define MX_BASE64_H

#include <stddef.h>

/* The most bytes base64_decode writes for N input bytes. */
#define BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

enum base64_pad {
	BASE64_PAD_RESTART,	/* '=' ends the group; decoding goes on after it */
	BASE64_PAD_SKIP,	/* '=' is skipped, groups run on across it, until
				 * it completes a group's padding: the end */
};

/*
 * base64_decode - decode N bytes at IN into OUT (BASE64_DECODED_MAX(N)
 * bytes).  Bytes outside the alphabet are skipped; PAD says what '='
 * does.  A last short group yields the bytes it holds.  Returns the
 * decoded length.
 */
size_t base64_decode(const unsigned char *in, size_t n, unsigned char *out, enum base64_pad pad);

/* base64_inner_pad - 1 when an '=' in IN (N bytes) is followed by more
 * alphabet bytes, so that the two readings of base64_decode differ. */
int base64_inner_pad(const unsigned char *in, size_t n);

/* base64_is_alphabet - 1 for A-Z a-z 0-9 + / (not '='). */
int base64_is_alphabet(unsigned char c);

/* base64_value - the value (0 to 63) of an alphabet byte, -1 for any other. */
int base64_value(unsigned char c);

/*
 * base64_line - the line at TEXT (N bytes, no line end): the number of
 * alphabet bytes when it holds only alphabet and '=', with white space
 * at most before and after them (prose has it between words), -1
 * otherwise (0 for a blank line).
 */
long base64_line(const unsigned char *text, size_t n);

/*
 * base64_next_run - the next run of base64 lines in TEXT (LEN bytes) at
 * or after *POS: consecutive lines holding only alphabet bytes, '=' and
 * surrounding white space (blank lines inside a run are allowed), with at
 * least MIN alphabet bytes in all and one line of at least 16 that mixes
 * upper case with lower case or digits.  Lines of
 * prose before, between and after runs are not part of them.  Returns 1
 * with *start_r / *end_r (END exclusive) and *POS moved past the run, or
 * 0 when there is none left.
 */
int base64_next_run(const unsigned char *text, size_t len, size_t *pos, size_t min,
		    size_t *start_r, size_t *end_r);

#endif
