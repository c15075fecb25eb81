/*
 * mimescan.c - the MIMESCAN reply lines: paths, formatting and parsing
 * (see mimescan.h).
 *
 * The formatter and the parser sit side by side so that every rule of
 * the line (what a path may be, how a name is quoted, which bytes a type
 * may hold) is written once in each direction, and the unit test
 * (tests/unit/test_mimescan.c) holds them to each other.
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mimescan.h"

/* The subject of the final line, after the id prefix. */
#define MIMESCAN_SUBJECT "stream"

/* mimescan_path_child - append ".INDEX" (or "INDEX" to "") to PATH. */
int mimescan_path_child(char *path, size_t size, int index)
{
	size_t len = strlen(path);
	int n;

	if (len == 0)
		n = snprintf(path, size, "%d", index);
	else
		n = snprintf(path + len, size - len, ".%d", index);
	if (n < 0 || (size_t)n >= size - len) {
		path[len] = '\0';
		return -1;
	}
	return 0;
}

/* mimescan_path_uu - "PART.uuNTH". */
int mimescan_path_uu(char *dst, size_t size, const char *part, int nth)
{
	int n = snprintf(dst, size, "%s.uu%d", part, nth);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* mimescan_path_b64 - "PART.b64". */
int mimescan_path_b64(char *dst, size_t size, const char *part)
{
	int n = snprintf(dst, size, "%s.b64", part);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The suffix of each reading after the part's path (numbered: "%d" follows). */
static const struct {
	enum mimescan_reading reading;
	const char *suffix;
	int numbered;
	const char *no_number;	/* the parser's reason for a missing number */
} mimescan_suffixes[] = {
	{MIMESCAN_READ_UU, "uu", 1, "the path's .uu reading has no number"},
	{MIMESCAN_READ_B64, "b64", 0, NULL},
	{MIMESCAN_READ_B64P, "b64p", 0, NULL},
	{MIMESCAN_READ_QP, "qp", 0, NULL},
	{MIMESCAN_READ_YENC, "yenc", 1, "the path's .yenc reading has no number"},
	{MIMESCAN_READ_HQX, "hqx", 1, "the path's .hqx reading has no number"},
	{MIMESCAN_READ_RUN, "run", 1, "the path's .run reading has no number"},
	{MIMESCAN_READ_LF, "lf", 0, NULL},
};

#define MIMESCAN_SEGMENT "seg"

/* mimescan_path_reading - "PART.<suffix>[NTH]", or "segNTH". */
int mimescan_path_reading(char *dst, size_t size, const char *part, enum mimescan_reading reading,
			  int nth)
{
	size_t i;
	int n = -1;

	if (reading == MIMESCAN_READ_SEGMENT)
		n = snprintf(dst, size, MIMESCAN_SEGMENT "%d", nth);
	for (i = 0; i < sizeof(mimescan_suffixes) / sizeof(mimescan_suffixes[0]); i++) {
		if (mimescan_suffixes[i].reading != reading)
			continue;
		if (mimescan_suffixes[i].numbered)
			n = snprintf(dst, size, "%s.%s%d", part, mimescan_suffixes[i].suffix, nth);
		else
			n = snprintf(dst, size, "%s.%s", part, mimescan_suffixes[i].suffix);
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* mimescan_number - a number as %d of a positive int writes it; its length or 0. */
static size_t mimescan_number(const char *s)
{
	long long v = 0;
	size_t i;

	if (s[0] < '1' || s[0] > '9')
		return 0;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > 2147483647LL)
			return 0;
	}
	return i;
}

/* mimescan_suffix - the reading the suffix S (after the part's dot) names, or -1. */
static int mimescan_suffix(const char *s, const char **error_r)
{
	size_t i, k, n;

	for (i = 0; i < sizeof(mimescan_suffixes) / sizeof(mimescan_suffixes[0]); i++) {
		k = strlen(mimescan_suffixes[i].suffix);
		if (strncmp(s, mimescan_suffixes[i].suffix, k) != 0)
			continue;
		if (!mimescan_suffixes[i].numbered) {
			if (s[k] == '\0')
				return (int)mimescan_suffixes[i].reading;
			continue;	/* "b64" is a prefix of "b64p" */
		}
		if ((n = mimescan_number(s + k)) == 0 || s[k + n] != '\0') {
			*error_r = mimescan_suffixes[i].no_number;
			return -1;
		}
		return (int)mimescan_suffixes[i].reading;
	}
	*error_r = "the path is not part numbers joined by dots";
	return -1;
}

/* mimescan_path_parse - what PATH names, and the part it reads. */
int mimescan_path_parse(const char *path, char *part, size_t size, const char **error_r)
{
	int reading = MIMESCAN_READ_PART;
	const char *s = path, *end_of_part;
	size_t n;

	if (strcmp(path, MIMESCAN_PATH_RAW) == 0) {
		if (size > 0)
			part[0] = '\0';
		return MIMESCAN_READ_RAW;
	}
	if (strncmp(path, MIMESCAN_SEGMENT, 3) == 0) {	/* segN, then maybe a reading */
		if ((n = mimescan_number(s + 3)) == 0) {
			*error_r = "the path's segment has no number";
			return -1;
		}
		s += 3 + n;
		end_of_part = s;
		reading = MIMESCAN_READ_SEGMENT;
		if (*s != '\0' && (*s++ != '.' || (reading = mimescan_suffix(s, error_r)) < 0)) {
			if (reading != -1)
				*error_r = "the path is not part numbers joined by dots";
			return -1;
		}
	} else {
		for (;;) {
			if ((n = mimescan_number(s)) == 0) {
				*error_r = "the path is not part numbers joined by dots";
				return -1;
			}
			s += n;
			end_of_part = s;
			if (*s == '\0')
				break;
			if (*s++ != '.') {
				*error_r = "the path is not part numbers joined by dots";
				return -1;
			}
			if (*s >= '0' && *s <= '9')
				continue;
			if ((reading = mimescan_suffix(s, error_r)) < 0)
				return -1;
			break;
		}
	}
	if ((size_t)(end_of_part - path) >= size) {
		*error_r = "the path is too long";
		return -1;
	}
	memcpy(part, path, (size_t)(end_of_part - path));
	part[end_of_part - path] = '\0';
	return reading;
}

/* mimescan_type - TYPE as one lower-case printable word, cut to fit. */
static void mimescan_type(char dst[MIMESCAN_TYPE_MAX], const char *type)
{
	size_t i;

	for (i = 0; type != NULL && type[i] != '\0' && i < MIMESCAN_TYPE_MAX - 1; i++) {
		unsigned char c = (unsigned char)type[i];

		if (c <= 0x20 || c >= 0x7f)
			c = '?';
		else if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		dst[i] = (char)c;
	}
	if (i == 0)
		dst[i++] = '?';
	dst[i] = '\0';
}

/* mimescan_quote - NAME as "..." with quotes, backslashes and unprintable bytes as \ooo. */
static void mimescan_quote(char dst[MIMESCAN_NAME_MAX], const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t o = 0;

	if (name == NULL || *name == '\0') {
		snprintf(dst, MIMESCAN_NAME_MAX, "-");
		return;
	}
	dst[o++] = '"';
	for (; *s != '\0' && o + 6 < MIMESCAN_NAME_MAX; s++) {
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			dst[o++] = (char)*s;
		else
			o += (size_t)snprintf(dst + o, MIMESCAN_NAME_MAX - o, "\\%03o", *s);
	}
	dst[o++] = '"';
	dst[o] = '\0';
}

/* mimescan_detail - a signature or reason for a part line: cut, no control bytes. */
static void mimescan_detail(char dst[MIMESCAN_DETAIL_MAX], const char *detail)
{
	size_t i;

	for (i = 0; detail != NULL && detail[i] != '\0' && i < MIMESCAN_DETAIL_MAX - 1; i++) {
		unsigned char c = (unsigned char)detail[i];

		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (i == 0)
		dst[i++] = '?';
	dst[i] = '\0';
}

/* mimescan_format_part - one part line into DST. */
int mimescan_format_part(char *dst, size_t size, unsigned id, const char *path, const char *type,
			 const char *name, enum proto_verdict verdict, const char *detail)
{
	char pfx[PROTO_ID_PREFIX_MAX], t[MIMESCAN_TYPE_MAX], q[MIMESCAN_NAME_MAX];
	char d[MIMESCAN_DETAIL_MAX];
	int n;

	proto_id_prefix(pfx, sizeof(pfx), id);
	mimescan_type(t, type);
	mimescan_quote(q, name);
	if (verdict == PROTO_VERDICT_CLEAN) {
		n = snprintf(dst, size, "%s%s %s %s OK\n", pfx, path, t, q);
	} else {
		mimescan_detail(d, detail);
		n = snprintf(dst, size, "%s%s %s %s %s %s\n", pfx, path, t, q, d,
			     proto_verdict_word(verdict));
	}
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* mimescan_format_final - the "stream: " line, as INSTREAM would answer. */
int mimescan_format_final(char *dst, size_t size, unsigned id, enum proto_verdict verdict,
			  const char *detail, char term)
{
	switch (verdict) {
	case PROTO_VERDICT_CLEAN:
		return proto_reply_ok(dst, size, id, MIMESCAN_SUBJECT, term);
	case PROTO_VERDICT_INFECTED:
		return proto_reply_found(dst, size, id, MIMESCAN_SUBJECT, detail, term);
	case PROTO_VERDICT_ERROR:
		break;
	}
	return proto_reply_error(dst, size, id, MIMESCAN_SUBJECT, detail, term);
}

/*
 * mimescan_word - the bytes at *S up to the next space into DST; advances
 * *S past it.  Returns 0, -1 when no space follows, -2 when the word does
 * not fit.
 */
static int mimescan_word(const char **s, const char *end, char *dst, size_t size)
{
	const char *sp = memchr(*s, ' ', (size_t)(end - *s));
	size_t n;

	if (sp == NULL)
		return -1;
	n = (size_t)(sp - *s);
	if (n >= size)
		return -2;
	memcpy(dst, *s, n);
	dst[n] = '\0';
	*s = sp + 1;
	return 0;
}

/* mimescan_octal - the \ooo escape at S (after the backslash); -1 if none. */
static int mimescan_octal(const char *s, const char *end)
{
	int v = 0, i;

	if (end - s < 3)
		return -1;
	for (i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		v = v * 8 + (s[i] - '0');
	}
	return v;
}

/*
 * mimescan_unquote - the name field at *S into NAME (MIMESCAN_NAME_MAX
 * bytes) and *HAS_NAME; advances *S past it and the space after it, or,
 * when LAST, requires it to end the line.
 */
static int mimescan_unquote(const char **s, const char *end, char *name, int *has_name, int last,
			    const char **error_r)
{
	const char *q = *s;
	size_t o = 0;

	*has_name = 0;
	name[0] = '\0';
	if (last && end - q == 1 && q[0] == '-') {
		*s = end;
		return 0;
	}
	if (!last && end - q >= 2 && q[0] == '-' && q[1] == ' ') {
		*s = q + 2;
		return 0;
	}
	if (q == end || *q != '"') {
		*error_r = "the file name is neither quoted nor \"-\"";
		return -1;
	}
	for (q++; q < end && *q != '"'; q++) {
		unsigned char c = (unsigned char)*q;

		/* (the quoted form, both quotes, must fit MIMESCAN_NAME_MAX) */
		if ((size_t)(q - *s) + 2 >= MIMESCAN_NAME_MAX) {
			*error_r = "the file name is too long";
			return -1;
		}
		if (c == '\\') {
			int v = mimescan_octal(q + 1, end);

			/* Only the bytes the formatter escapes, never a NUL. */
			if (v <= 0 || v > 0xff || (v >= 0x20 && v < 0x7f && v != '"' && v != '\\')) {
				*error_r = "the file name has a bad \\ooo escape";
				return -1;
			}
			c = (unsigned char)v;
			q += 3;
		} else if (c < 0x20 || c >= 0x7f) {
			*error_r = "the file name has an unescaped unprintable byte";
			return -1;
		}
		name[o++] = (char)c;
	}
	if (q == end) {
		*error_r = "the file name has no closing quote";
		return -1;
	}
	if ((size_t)(q - *s) + 2 > MIMESCAN_NAME_MAX) {	/* an escape at the end */
		*error_r = "the file name is too long";
		return -1;
	}
	if (o == 0) {
		*error_r = "the file name is empty (\"-\" says none)";
		return -1;
	}
	if (last ? q + 1 != end : q + 1 == end || q[1] != ' ') {
		*error_r = last ? "bytes after the file name" : "no verdict after the file name";
		return -1;
	}
	name[o] = '\0';
	*has_name = 1;
	*s = last ? end : q + 2;
	return 0;
}

/* mimescan_verdict - "OK", "<detail> FOUND" or "<detail> ERROR" into P. */
static int mimescan_verdict(const char *s, const char *end, struct mimescan_part *p,
			    const char **error_r)
{
	size_t n = (size_t)(end - s), i;

	if (n == 2 && memcmp(s, "OK", 2) == 0) {
		p->verdict = PROTO_VERDICT_CLEAN;
		return 0;
	}
	if (n > 6 && memcmp(end - 6, " FOUND", 6) == 0)
		p->verdict = PROTO_VERDICT_INFECTED;
	else if (n > 6 && memcmp(end - 6, " ERROR", 6) == 0)
		p->verdict = PROTO_VERDICT_ERROR;
	else {
		*error_r = "the line does not end in OK, <signature> FOUND or <reason> ERROR";
		return -1;
	}
	n -= 6;
	if (n >= MIMESCAN_DETAIL_MAX) {
		*error_r = "the signature or reason is too long";
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*error_r = "the signature or reason has a control byte";
			return -1;
		}
	memcpy(p->detail, s, n);
	p->detail[n] = '\0';
	return 0;
}

/* mimescan_parse_part - one part line into P (see mimescan.h). */
int mimescan_parse_part(const char *line, size_t len, unsigned id, struct mimescan_part *p,
			const char **error_r)
{
	const char *s = line, *end = line + len;
	char pfx[PROTO_ID_PREFIX_MAX];
	size_t n = (size_t)proto_id_prefix(pfx, sizeof(pfx), id), i;
	int reading, ret;

	memset(p, 0, sizeof(*p));
	if (memchr(line, '\0', len) != NULL || memchr(line, '\n', len) != NULL) {
		*error_r = "a NUL or newline inside the line";
		return -1;
	}
	if (len < n || memcmp(line, pfx, n) != 0) {
		*error_r = "the line lacks its request's \"<id>: \" prefix";
		return -1;
	}
	s += n;
	if ((ret = mimescan_word(&s, end, p->path, sizeof(p->path))) < 0) {
		*error_r = ret == -2 ? "the path is too long" : "no path and content type";
		return -1;
	}
	if ((reading = mimescan_path_parse(p->path, p->part, sizeof(p->part), error_r)) < 0)
		return -1;
	p->reading = (enum mimescan_reading)reading;
	if ((ret = mimescan_word(&s, end, p->type, sizeof(p->type))) < 0 || p->type[0] == '\0') {
		*error_r = ret == -2 ? "the content type is too long" : "no content type and file name";
		return -1;
	}
	for (i = 0; p->type[i] != '\0'; i++)
		if ((unsigned char)p->type[i] <= 0x20 || (unsigned char)p->type[i] >= 0x7f ||
		    (p->type[i] >= 'A' && p->type[i] <= 'Z')) {
			*error_r = "the content type is not one lower-case printable word";
			return -1;
		}
	if (mimescan_unquote(&s, end, p->name, &p->has_name, 0, error_r) < 0)
		return -1;
	return mimescan_verdict(s, end, p, error_r);
}

/* The keyword of each fact kind, in enum mimescan_fact_kind order. */
static const char *const mimescan_fact_words[] = {"NAME", "TYPE", "MEMBER", "SIG"};

/* mimescan_word_ok - a source or type word: 1 to MIMESCAN_TYPE_MAX - 1
 * bytes of letters, digits and "_.+-". */
static int mimescan_word_ok(const char *w)
{
	size_t n = strlen(w);

	return n > 0 && n < MIMESCAN_TYPE_MAX &&
	       strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-") == n;
}

/* mimescan_format_fact - one fact line into DST (see mimescan.h). */
int mimescan_format_fact(char *dst, size_t size, unsigned id, const char *path,
			 const struct mimescan_fact *f)
{
	char pfx[PROTO_ID_PREFIX_MAX], q[MIMESCAN_NAME_MAX], d[MIMESCAN_DETAIL_MAX];
	int n = -1;

	proto_id_prefix(pfx, sizeof(pfx), id);
	if ((f->kind != MIMESCAN_FACT_SIG && !mimescan_word_ok(f->word)) ||
	    (unsigned)f->kind >= sizeof(mimescan_fact_words) / sizeof(mimescan_fact_words[0]))
		return -1;
	mimescan_quote(q, f->has_name ? f->name : NULL);
	switch (f->kind) {
	case MIMESCAN_FACT_NAME:
		if (!f->has_name)
			return -1;
		n = snprintf(dst, size, "%s%s NAME %s %s\n", pfx, path, f->word, q);
		break;
	case MIMESCAN_FACT_TYPE:
		n = snprintf(dst, size, "%s%s TYPE %s\n", pfx, path, f->word);
		break;
	case MIMESCAN_FACT_MEMBER:
		if (f->depth < 1 || f->depth > MIMESCAN_DEPTH_MAX)
			return -1;
		n = snprintf(dst, size, "%s%s MEMBER %d %s %s\n", pfx, path, f->depth, f->word, q);
		break;
	case MIMESCAN_FACT_SIG:
		mimescan_detail(d, f->detail);
		n = snprintf(dst, size, "%s%s SIG %s\n", pfx, path, d);
		break;
	}
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* mimescan_fact_line - whether LINE's second field is a fact keyword. */
static int mimescan_fact_line(const char *line, size_t len, unsigned id)
{
	char pfx[PROTO_ID_PREFIX_MAX];
	size_t n = (size_t)proto_id_prefix(pfx, sizeof(pfx), id), i;
	const char *sp;

	if (len < n)
		return 0;
	sp = memchr(line + n, ' ', len - n);
	if (sp == NULL)
		return 0;
	sp++;
	for (i = 0; i < sizeof(mimescan_fact_words) / sizeof(mimescan_fact_words[0]); i++) {
		size_t w = strlen(mimescan_fact_words[i]);

		if ((size_t)(line + len - sp) > w && memcmp(sp, mimescan_fact_words[i], w) == 0 &&
		    sp[w] == ' ')
			return 1;
	}
	return 0;
}

/* mimescan_parse_fact - one fact line into F (see mimescan.h). */
int mimescan_parse_fact(const char *line, size_t len, unsigned id, struct mimescan_fact *f,
			const char **error_r)
{
	const char *s = line, *end = line + len;
	char pfx[PROTO_ID_PREFIX_MAX], kw[16], num[16], *e;
	size_t n = (size_t)proto_id_prefix(pfx, sizeof(pfx), id), i;
	int reading;
	long depth;

	memset(f, 0, sizeof(*f));
	if (memchr(line, '\0', len) != NULL || memchr(line, '\n', len) != NULL) {
		*error_r = "a NUL or newline inside the line";
		return -1;
	}
	if (len < n || memcmp(line, pfx, n) != 0) {
		*error_r = "the line lacks its request's \"<id>: \" prefix";
		return -1;
	}
	s += n;
	if (mimescan_word(&s, end, f->path, sizeof(f->path)) < 0) {
		*error_r = "no path";
		return -1;
	}
	if ((reading = mimescan_path_parse(f->path, f->part, sizeof(f->part), error_r)) < 0)
		return -1;
	f->reading = (enum mimescan_reading)reading;
	if (mimescan_word(&s, end, kw, sizeof(kw)) < 0) {
		*error_r = "no fact keyword";
		return -1;
	}
	for (i = 0; i < sizeof(mimescan_fact_words) / sizeof(mimescan_fact_words[0]); i++)
		if (strcmp(kw, mimescan_fact_words[i]) == 0)
			break;
	if (i == sizeof(mimescan_fact_words) / sizeof(mimescan_fact_words[0])) {
		*error_r = "an unknown fact keyword";
		return -1;
	}
	f->kind = (enum mimescan_fact_kind)i;
	switch (f->kind) {
	case MIMESCAN_FACT_NAME:
		if (mimescan_word(&s, end, f->word, sizeof(f->word)) < 0 || !mimescan_word_ok(f->word)) {
			*error_r = "a NAME fact without its source word";
			return -1;
		}
		if (mimescan_unquote(&s, end, f->name, &f->has_name, 1, error_r) < 0)
			return -1;
		if (!f->has_name) {
			*error_r = "a NAME fact without a name";
			return -1;
		}
		return 0;
	case MIMESCAN_FACT_TYPE:
		n = (size_t)(end - s);
		if (n >= sizeof(f->word)) {
			*error_r = "the type is too long";
			return -1;
		}
		memcpy(f->word, s, n);
		f->word[n] = '\0';
		if (!mimescan_word_ok(f->word)) {
			*error_r = "the type is not one word";
			return -1;
		}
		return 0;
	case MIMESCAN_FACT_MEMBER:
		if (mimescan_word(&s, end, num, sizeof(num)) < 0 ||
		    (depth = strtol(num, &e, 10)) < 1 || depth > MIMESCAN_DEPTH_MAX || *e != '\0' ||
		    num[0] == '0' || num[0] == '+') {
			*error_r = "a MEMBER fact without its depth";
			return -1;
		}
		f->depth = (int)depth;
		if (mimescan_word(&s, end, f->word, sizeof(f->word)) < 0 || !mimescan_word_ok(f->word)) {
			*error_r = "a MEMBER fact without its type";
			return -1;
		}
		return mimescan_unquote(&s, end, f->name, &f->has_name, 1, error_r);
	case MIMESCAN_FACT_SIG:
		n = (size_t)(end - s);
		if (n == 0 || n >= sizeof(f->detail)) {
			*error_r = "a SIG fact with no signature or one too long";
			return -1;
		}
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				*error_r = "the signature has a control byte";
				return -1;
			}
		memcpy(f->detail, s, n);
		f->detail[n] = '\0';
		return 0;
	}
	return -1;
}

/* mimescan_parse_final - the "stream: " line into F (see mimescan.h). */
int mimescan_parse_final(const char *line, size_t len, unsigned id, struct mimescan_final *f,
			 const char **error_r)
{
	char subject[PROTO_ID_PREFIX_MAX + sizeof(MIMESCAN_SUBJECT ": ")];
	size_t n = (size_t)proto_id_prefix(subject, PROTO_ID_PREFIX_MAX, id);

	memcpy(subject + n, MIMESCAN_SUBJECT ": ", sizeof(MIMESCAN_SUBJECT ": "));
	n += sizeof(MIMESCAN_SUBJECT ": ") - 1;
	memset(f, 0, sizeof(*f));
	if (len < n || memcmp(line, subject, n) != 0) {
		*error_r = "the last line is not the \"stream: \" line";
		return -1;
	}
	if (proto_verdict_parse(line, len, &f->verdict, f->detail, sizeof(f->detail)) < 0) {
		*error_r = "the last line is no OK, FOUND or ERROR reply";
		return -1;
	}
	/* An ERROR's text is the whole line before " ERROR": drop the subject. */
	if (f->verdict == PROTO_VERDICT_ERROR && strncmp(f->detail, subject, n) == 0)
		memmove(f->detail, f->detail + n, strlen(f->detail + n) + 1);
	return 0;
}

/* mimescan_text - the reply's text: without its terminator and trailing newlines. */
static int mimescan_text(const char *reply, size_t len, char term, size_t *n_r,
			 const char **error_r)
{
	size_t n;

	if (len == 0 || reply[len - 1] != term) {
		*error_r = "the reply was cut before its terminator";
		return -1;
	}
	n = len - 1;
	if (memchr(reply, '\0', n) != NULL) {
		*error_r = "a NUL inside the reply";
		return -1;
	}
	while (n > 0 && reply[n - 1] == '\n')
		n--;
	*n_r = n;
	return 0;
}

/* mimescan_parse_reply - the verdict of a whole reply (see mimescan.h). */
int mimescan_parse_reply(const char *reply, size_t len, char term, unsigned id,
			 struct mimescan_final *f, const char **error_r)
{
	const char *last;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (mimescan_text(reply, len, term, &n, error_r) < 0)
		return -1;
	for (last = reply + n; last > reply && last[-1] != '\n'; last--)
		;
	if (mimescan_parse_final(last, n - (size_t)(last - reply), id, f, error_r) == 0)
		return 0;
	/* A refusal (a stream over the limit, an unknown command) is a
	 * reply of one ERROR line, whatever its subject. */
	if (last == reply && proto_verdict_parse(reply, n, &f->verdict, f->detail,
						 sizeof(f->detail)) == 0 &&
	    f->verdict == PROTO_VERDICT_ERROR) {
		f->refusal = 1;
		return 0;
	}
	memset(f, 0, sizeof(*f));
	return -1;
}

/* mimescan_next_line - the part or fact line at *POS (see mimescan.h). */
int mimescan_next_line(const char *reply, size_t len, char term, unsigned id, size_t *pos,
		       struct mimescan_part *p, struct mimescan_fact *f, const char **error_r)
{
	const char *line, *nl;
	size_t n;

	if (mimescan_text(reply, len, term, &n, error_r) < 0)
		return -1;
	if (*pos >= n)
		return 0;
	line = reply + *pos;
	nl = memchr(line, '\n', n - *pos);
	if (nl == NULL)		/* the final line */
		return 0;
	*pos = (size_t)(nl - reply) + 1;
	if (mimescan_fact_line(line, (size_t)(nl - line), id))
		return mimescan_parse_fact(line, (size_t)(nl - line), id, f, error_r) < 0 ? -1 : 2;
	return mimescan_parse_part(line, (size_t)(nl - line), id, p, error_r) < 0 ? -1 : 1;
}

/* mimescan_next_part - the next part line at *POS, fact lines skipped. */
int mimescan_next_part(const char *reply, size_t len, char term, unsigned id, size_t *pos,
		       struct mimescan_part *p, const char **error_r)
{
	struct mimescan_fact f;
	int r;

	while ((r = mimescan_next_line(reply, len, term, id, pos, p, &f, error_r)) == 2)
		;
	return r;
}
