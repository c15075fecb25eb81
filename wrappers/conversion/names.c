/*
 * names.c - the part's file names from the channel's environment (see
 * names.h).
 */
#include "auto-config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/config.h"
#include "common/qp.h"
#include "common/xalloc.h"
#include "wrappers/conversion/names.h"

/* names_add - keep NAME (taking it) unless it is empty or already there. */
static void names_add(struct names *ns, char *name)
{
	int i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			break;
	if (*name == '\0' || i < ns->n || ns->n == NAMES_MAX) {
		free(name);
		return;
	}
	ns->v[ns->n++] = name;
}

void names_collect(struct names *ns)
{
	const char *const *vars;
	int i, n = config_list(CONF_CONVERSION_NAME_VARIABLES, &vars);

	memset(ns, 0, sizeof(*ns));
	for (i = 0; i < n; i++) {
		const char *v = getenv(vars[i]);
		char *decoded;

		if (v == NULL || *v == '\0')
			continue;
		decoded = names_decode_words(v);
		names_add(ns, xstrdup(v));
		if (decoded != NULL)
			names_add(ns, decoded);
	}
}

void names_free(struct names *ns)
{
	int i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	ns->n = 0;
}

/*
 * names_word - decode the encoded word at S ("=?cs?E?text?=") onto OUT
 * (at *O); returns the length of the word, or 0 when S starts none.
 */
static size_t names_word(const char *s, char *out, size_t *o)
{
	const char *cs = s + 2, *enc, *text, *end;
	unsigned acc = 0;
	int bits = 0;

	if (strncmp(s, "=?", 2) != 0 || (enc = strchr(cs, '?')) == NULL || enc == cs ||
	    (enc[1] != 'B' && enc[1] != 'b' && enc[1] != 'Q' && enc[1] != 'q') || enc[2] != '?')
		return 0;
	text = enc + 3;
	if ((end = strstr(text, "?=")) == NULL || memchr(cs, ' ', (size_t)(end - cs)) != NULL)
		return 0;
	/* UTF-16 and UTF-32 names would need converting: left as written. */
	if (strncasecmp(cs, "utf-16", 6) == 0 || strncasecmp(cs, "utf-32", 6) == 0 ||
	    strncasecmp(cs, "ucs", 3) == 0)
		return 0;
	for (; text < end; text++) {
		if (enc[1] == 'B' || enc[1] == 'b') {
			int v = base64_value((unsigned char)*text);

			if (v < 0)
				continue;	/* padding, or noise */
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[(*o)++] = (char)((acc >> bits) & 0xff);
			}
		} else if (*text == '_') {
			out[(*o)++] = ' ';
		} else if (*text == '=' && qp_hex_value((unsigned char)text[1]) >= 0 &&
			   qp_hex_value((unsigned char)text[2]) >= 0) {
			out[(*o)++] = (char)(qp_hex_value((unsigned char)text[1]) * 16 +
					     qp_hex_value((unsigned char)text[2]));
			text += 2;
		} else {
			out[(*o)++] = *text;
		}
	}
	return (size_t)(end + 2 - s);
}

char *names_decode_words(const char *text)
{
	char *out = xmalloc(strlen(text) + 1);
	size_t o = 0, n, i = 0;
	int words = 0, after_word = 0;

	while (text[i] != '\0') {
		if ((n = names_word(text + i, out, &o)) > 0) {
			words++;
			after_word = 1;
			i += n;
			continue;
		}
		if (after_word && (text[i] == ' ' || text[i] == '\t')) {
			/* Blanks between two encoded words are dropped (RFC 2047 6.2). */
			size_t b = strspn(text + i, " \t");
			size_t o0 = o;

			if (names_word(text + i + b, out, &o) > 0) {
				o = o0;
				i += b;
				continue;
			}
		}
		after_word = 0;
		out[o++] = text[i++];
	}
	out[o] = '\0';
	if (words == 0) {
		free(out);
		return NULL;
	}
	return out;
}
