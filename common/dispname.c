/*
 * dispname.c - a file name as Windows shows and opens it (see dispname.h).
 *
 * The name is read as UTF-8 code points; format characters (Unicode
 * category Cf: bidirectional controls, zero-width ones, the BOM, the
 * soft hyphen) are dropped, because Windows opens the file by the bytes
 * that remain and its shell only renders them.  Then the directory part,
 * trailing dots and spaces, and an NTFS "::$DATA" suffix go, in a loop,
 * as Win32 path normalisation does.
 */
#include "auto-config.h"

#include <fnmatch.h>
#include <string.h>

#include "common/dispname.h"

/* dispname_utf8 - the code point at S (N bytes left) and its length; an
 * invalid sequence is one byte, returned as -1. */
static long dispname_utf8(const unsigned char *s, size_t n, size_t *len)
{
	long cp;
	size_t k, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return -1;
	if (n < k)
		return -1;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*len = k;
	return cp;
}

/* dispname_format - DISPNAME_BIDI or DISPNAME_INVISIBLE for a format
 * character Windows does not show as a glyph, else 0. */
static int dispname_format(long cp)
{
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	    cp == 0x200f || cp == 0x061c)
		return DISPNAME_BIDI;
	if ((cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || cp == 0xfeff || cp == 0x00ad ||
	    cp == 0x180e || (cp >= 0x2061 && cp <= 0x2064))
		return DISPNAME_INVISIBLE;
	return 0;
}

/* dispname_strip_tail - drop trailing dots, spaces and "::$DATA" from S
 * (LEN bytes); the new length. */
static size_t dispname_strip_tail(char *s, size_t len, int *flags)
{
	static const char stream[] = "::$data";
	size_t n = sizeof(stream) - 1;

	for (;;) {
		if (len > 0 && (s[len - 1] == '.' || s[len - 1] == ' ')) {
			len--;
		} else if (len >= n && strncmp(s + len - n, stream, n) == 0) {
			len -= n;
		} else {
			break;
		}
		*flags |= DISPNAME_TRAILING;
	}
	s[len] = '\0';
	return len;
}

/* dispname_normalise - the effective name of NAME into D. */
int dispname_normalise(const char *name, struct dispname *d)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, o = 0, len;
	char *dot;

	memset(d, 0, sizeof(*d));
	while (i < n) {
		long cp = dispname_utf8(s + i, n - i, &len);
		int f = cp >= 0 ? dispname_format(cp) : 0;

		if (f != 0) {
			d->flags |= f;
		} else if (cp == '/' || cp == '\\') {
			o = 0;	/* only the last component is the file */
			d->flags |= DISPNAME_DIRECTORY;
		} else {
			if (o + len >= sizeof(d->name)) {
				/* Keep the end, where the extension is. */
				memmove(d->name, d->name + len, o - len);
				o -= len;
			}
			memcpy(d->name + o, s + i, len);
			o += len;
		}
		i += len;
	}
	for (i = 0; i < o; i++)
		if (d->name[i] >= 'A' && d->name[i] <= 'Z')
			d->name[i] = (char)(d->name[i] - 'A' + 'a');
	d->name[o] = '\0';
	o = dispname_strip_tail(d->name, o, &d->flags);
	/* Leading spaces do not hide anything, but Windows drops them too. */
	for (i = 0; i < o && d->name[i] == ' '; i++)
		;
	if (i > 0) {
		memmove(d->name, d->name + i, o - i + 1);
		o -= i;
		d->flags |= DISPNAME_TRAILING;
	}
	if (o == 0)
		return -1;
	dot = strrchr(d->name, '.');
	d->ext = dot != NULL ? dot + 1 : d->name + o;
	if (dot != NULL && dot > d->name && memchr(d->name + 1, '.', (size_t)(dot - d->name - 1)))
		d->flags |= DISPNAME_DOUBLE;
	return 0;
}

/* dispname_glob - fnmatch on lower-cased copies. */
int dispname_glob(const char *pattern, const char *name)
{
	char p[DISPNAME_MAX], s[DISPNAME_MAX];
	size_t i;

	for (i = 0; i < sizeof(p) - 1 && pattern[i] != '\0'; i++)
		p[i] = (char)(pattern[i] >= 'A' && pattern[i] <= 'Z' ? pattern[i] - 'A' + 'a' :
			      pattern[i]);
	p[i] = '\0';
	for (i = 0; i < sizeof(s) - 1 && name[i] != '\0'; i++)
		s[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	s[i] = '\0';
	return fnmatch(p, s, 0) == 0;
}
