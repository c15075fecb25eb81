/*
 * yenc.h - yEnc files in text ("=ybegin ... name=<name>" ... "=yend").
 *
 * Pure functions on bytes.  Each data byte is the file's byte plus 42
 * (mod 256); "=" escapes the next byte (minus 64 more); line ends are
 * not data.  "=ypart" lines and a missing "=yend" are tolerated.
 */
#ifndef MX_YENC_H
#define MX_YENC_H

#include <stddef.h>

/* One yEnc file found in a text. */
struct yenc_file {
	char name[256];		/* the name= of the begin line, cut ("" if none) */
	size_t data;		/* offset of the first data line */
	size_t end;		/* offset of the "=yend" line, or of the text's end */
};

/*
 * yenc_next - the next "=ybegin " line in TEXT (LEN bytes) at or after
 * *POS.  Returns 1 with *f filled and *POS past the file, or 0.
 */
int yenc_next(const char *text, size_t len, size_t *pos, struct yenc_file *f);

/* yenc_decode - decode N bytes of data lines at IN into OUT (N bytes
 * suffice); lines starting "=y" are skipped.  Returns the length. */
size_t yenc_decode(const unsigned char *in, size_t n, unsigned char *out);

#endif
