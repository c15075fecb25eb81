/*
 * dispname.h - a file name as Windows shows and opens it.
 *
 * A mail client saves an attachment under the name the message gives
 * it, and Windows then decides by the name's last extension what opening
 * it does.  Senders hide that extension: trailing dots and spaces (which
 * Windows drops), an NTFS "::$DATA" stream suffix, a directory part
 * ("..\\invoice.exe"), Unicode bidirectional controls that make
 * "invoice<RLO>fdp.exe" appear as "invoiceexe.pdf", invisible format
 * characters, or a harmless extension in front of the real one
 * ("invoice.pdf.exe", shown as "invoice.pdf" while known extensions are
 * hidden).  dispname turns a name (UTF-8, as decoded from its MIME
 * encodings) into the name that decides: the one the policy matches.
 * No GMime, no locale: this is part of libmxcommon.
 */
#ifndef MX_DISPNAME_H
#define MX_DISPNAME_H

#include <stddef.h>

/* What dispname_normalise found and removed (bits of ->flags). */
#define DISPNAME_BIDI 0x01	/* a bidirectional override or embedding */
#define DISPNAME_INVISIBLE 0x02	/* zero-width or other invisible characters */
#define DISPNAME_TRAILING 0x04	/* trailing dots, spaces or "::$DATA" */
#define DISPNAME_DIRECTORY 0x08	/* a directory part */
#define DISPNAME_DOUBLE 0x10	/* more than one extension: "a.pdf.exe" */

/* The longest name kept; longer ones are cut (the end, with the
 * extension, is kept). */
#define DISPNAME_MAX 512

struct dispname {
	char name[DISPNAME_MAX];	/* the effective name, ASCII lower-cased */
	const char *ext;		/* inside name: after the last dot, "" if none */
	int flags;			/* DISPNAME_* */
};

/*
 * dispname_normalise - the effective name of NAME (UTF-8; invalid bytes
 * are kept as they are) into D.  Returns 0, or -1 when nothing is left
 * (a name of only dots, spaces and invisible characters).
 */
int dispname_normalise(const char *name, struct dispname *d);

/*
 * dispname_glob - whether the lower-case NAME matches the shell pattern
 * PATTERN ('*', '?', '[...]' as fnmatch(3) without flags), ASCII letters
 * compared without case.
 */
int dispname_glob(const char *pattern, const char *name);

#endif
