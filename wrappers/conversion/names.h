/*
 * names.h - every file name the conversion channel passes for the part.
 *
 * The channel puts Content-Type and Content-Disposition parameters into
 * the environment variables its entry names (PARAMETER-SYMBOL-n,
 * DPARAMETER-SYMBOL-n: NAME and FILENAME in the canonical entry,
 * conversion_name_variables here), RFC 2231 already decoded.  A mail
 * client may show any of them, so the policy judges each: every distinct
 * value, and where a value holds RFC 2047 encoded words (which the
 * channel leaves alone, while most clients decode them) its decoded form
 * as well, as mxscand reports a name and its "-raw" twin.  The values
 * are untrusted bytes; common/dispname makes them the names Windows
 * would open.
 */
#ifndef MX_NAMES_H
#define MX_NAMES_H

#include <stddef.h>

/* At most this many names are kept (variables times two forms). */
#define NAMES_MAX 16

struct names {
	char *v[NAMES_MAX];	/* distinct, in variable order, the decoded form after its source */
	int n;
};

/* names_collect - the names of the part from the environment into NS. */
void names_collect(struct names *ns);

/* names_free - release NS's names. */
void names_free(struct names *ns);

/*
 * names_decode_words - TEXT with its RFC 2047 encoded words
 * ("=?charset?B|Q?...?=") decoded to their bytes (charsets are not
 * converted: the ASCII of a name, its extension above all, is the same in
 * every charset a mail client uses for names) and blanks between two
 * adjacent words dropped.  Returns a new string, or NULL when TEXT holds
 * no encoded word.
 */
char *names_decode_words(const char *text);

#endif
