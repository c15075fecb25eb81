/*
 * lenient.c - MIMESCAN's lenient reading (see lenient.h): segments from
 * the splitter, headers read as clients read them, every declared
 * encoding decoded, every encoded run in text carved, encoded messages
 * read again.  Everything it decodes is counted against the limits.
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/binhex.h"
#include "common/mimescan.h"
#include "common/proto.h"
#include "common/qp.h"
#include "common/uu.h"
#include "common/xalloc.h"
#include "common/yenc.h"
#include "scanner/lenient.h"
#include "scanner/split.h"

/* The shortest base64 run carved from text (alphabet bytes). */
#define LENIENT_RUN_MIN 64
/* Escapes that make a text worth a quoted-printable reading. */
#define LENIENT_QP_MIN 4
/* A BinHex text expands at most this much (run lengths), besides the limit. */
#define LENIENT_HQX_RATIO 64

struct lenient {
	const struct lenient_limits *lim;
	const struct lenient_ops *ops;
	struct lenient_report *r;
	int seg;		/* segments numbered so far */
	int stop;
};

/* A segment's headers, read leniently. */
struct lenient_headers {
	unsigned encs;		/* 1 << enum lenient_enc of each C-T-E header */
	int ncte;		/* C-T-E headers */
	int unknown;		/* a C-T-E value of no known encoding */
	int message;		/* a Content-Type message/... */
	int any;		/* header lines at all */
	char type[128];		/* the first Content-Type's type, lower case */
	char name[256];		/* the first name= or filename= */
};

/* lenient_enc_of - the encoding a C-T-E value VAL (lower case) names. */
static enum lenient_enc lenient_enc_of(const char *val, int *unknown)
{
	if (strstr(val, "base64") || strstr(val, "b64") || strstr(val, "base-64"))
		return LENIENT_B64;
	if (strstr(val, "quoted") || strstr(val, "printable") || strcmp(val, "qp") == 0)
		return LENIENT_QP;
	if (strstr(val, "uu"))
		return LENIENT_UU;
	if (strstr(val, "binhex") || strstr(val, "hqx"))
		return LENIENT_HQX;
	if (strstr(val, "yenc"))
		return LENIENT_YENC;
	if (!strstr(val, "7bit") && !strstr(val, "8bit") && !strstr(val, "binary") && *val != '\0')
		*unknown = 1;
	return LENIENT_NONE;
}

/* lenient_pct - VAL with %XX decoded, in place. */
static void lenient_pct(char *val)
{
	char *o = val;
	unsigned v;

	for (; *val != '\0'; val++) {
		if (val[0] == '%' && isxdigit((unsigned char)val[1]) &&
		    isxdigit((unsigned char)val[2]) && sscanf(val + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			val += 2;
		} else {
			*o++ = *val;
		}
	}
	*o = '\0';
}

/* lenient_name - the first name= / filename= of header value V into h->name. */
static void lenient_name(const char *v, struct lenient_headers *h)
{
	const char *p = v;

	while (h->name[0] == '\0' && (p = strstr(p, "name")) != NULL) {
		const char *q = p + 4;
		int ext = 0;
		size_t o = 0;

		p = q;
		while (*q == '*' || isdigit((unsigned char)*q)) {
			ext |= *q == '*';
			q++;
		}
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q++ != '=')
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '"') {
			for (q++; *q != '\0' && *q != '"' && o < sizeof(h->name) - 1; q++) {
				if (*q == '\\' && q[1] != '\0')
					q++;
				h->name[o++] = *q;
			}
		} else {
			while (*q != '\0' && *q != ';' && *q != ' ' && o < sizeof(h->name) - 1)
				h->name[o++] = *q++;
		}
		h->name[o] = '\0';
		if (ext) {	/* charset'language'value */
			char *a = strchr(h->name, '\''), *b = a ? strchr(a + 1, '\'') : NULL;

			if (b != NULL)
				memmove(h->name, b + 1, strlen(b + 1) + 1);
			lenient_pct(h->name);
		}
	}
}

/* lenient_header - one unfolded header NAME: VALUE (both lower case). */
static void lenient_header(const char *name, char *val, struct lenient_headers *h)
{
	h->any = 1;
	if (strcmp(name, "content-transfer-encoding") == 0) {
		char *s = val, *e;

		while (*s == ' ' || *s == '\t' || *s == '"')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"'))
			*--e = '\0';
		h->encs |= 1u << lenient_enc_of(s, &h->unknown);
		h->ncte++;
	} else if (strcmp(name, "content-type") == 0) {
		const char *s = val;
		size_t o = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "message/", 8) == 0)
			h->message = 1;
		if (h->type[0] == '\0') {
			while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t' &&
			       o < sizeof(h->type) - 1)
				h->type[o++] = *s++;
			h->type[o] = '\0';
		}
		lenient_name(val, h);
	} else if (strcmp(name, "content-disposition") == 0) {
		lenient_name(val, h);
	}
}

/* lenient_headers - the header lines HDR (N bytes) into *h. */
static void lenient_headers(const char *hdr, size_t n, struct lenient_headers *h)
{
	const char *p = hdr, *end = hdr + n;

	memset(h, 0, sizeof(*h));
	while (p < end) {
		char name[64], val[1024];
		size_t nl = 0, vl = 0;
		const char *colon = memchr(p, ':', (size_t)(end - p));

		if (colon == NULL)
			break;
		for (; p < colon && nl < sizeof(name) - 1; p++)
			name[nl++] = (char)tolower((unsigned char)*p);
		name[nl] = '\0';
		p = colon + 1;
		/* the value and its continuation lines */
		while (p < end) {
			if (*p == '\r' || *p == '\n') {
				const char *q = p;

				while (q < end && (*q == '\r' || *q == '\n'))
					q++;
				if (q == end || (*q != ' ' && *q != '\t')) {
					p = q;
					break;
				}
				p = q;
			}
			if (vl < sizeof(val) - 1)
				val[vl++] = (char)tolower((unsigned char)*p);
			p++;
		}
		val[vl] = '\0';
		lenient_header(name, val, h);
	}
}

/* lenient_limit - a limit is hit: the reading ends. */
static void lenient_limit(struct lenient *l, const char *reason)
{
	if (!l->stop)
		l->ops->limit(l->ops->ctx, reason);
	l->stop = 1;
}

/* lenient_emit - one decoded object to the caller, within the limits. */
static void lenient_emit(struct lenient *l, const char *path, const char *type, const char *name,
			 const unsigned char *data, size_t len, int attachment, int carved)
{
	struct lenient_object o = {.path = path, .type = type, .name = name, .data = data,
				   .len = len, .attachment = attachment};

	if (l->stop)
		return;
	if ((carved && ++l->r->carved > l->lim->carved) || ++l->r->objects > l->lim->parts) {
		lenient_limit(l, PROTO_LIMIT_MIME_PARTS);
		return;
	}
	l->r->decoded += (long long)len;
	if (l->r->decoded > l->lim->decoded) {
		lenient_limit(l, PROTO_LIMIT_MIME_DECODED);
		return;
	}
	if (o.name != NULL && o.name[0] == '\0')
		o.name = NULL;
	if (l->ops->object(l->ops->ctx, &o) == LENIENT_STOP)
		l->stop = 1;
}

/* lenient_budget - decoded bytes left under the limit. */
static size_t lenient_budget(const struct lenient *l)
{
	long long left = l->lim->decoded - l->r->decoded;

	return left > 0 ? (size_t)left : 0;
}

/* lenient_carve - uuencoded, yEnc, BinHex files and base64 runs in T. */
static void lenient_carve(struct lenient *l, const char *base, const unsigned char *t, size_t n,
			  int bare_hqx, int runs)
{
	const char *text = (const char *)t;
	char path[64];
	size_t pos, a, b;
	int k;

	if (memmem(t, n, "begin", 5) != NULL) {
		struct uu_file f;

		for (pos = 0, k = 1; !l->stop && uu_next(text, n, &pos, &f); k++) {
			unsigned char *out = xmalloc(n + 1);
			size_t len = uu_decode(text, n, &pos, out, n);

			mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_UU, k);
			lenient_emit(l, path, "application/octet-stream", f.name, out, len, 1, 1);
			free(out);
		}
	}
	if (memmem(t, n, "=ybegin", 7) != NULL) {
		struct yenc_file f;

		for (pos = 0, k = 1; !l->stop && yenc_next(text, n, &pos, &f); k++) {
			unsigned char *out = xmalloc(f.end - f.data + 1);
			size_t len = yenc_decode(t + f.data, f.end - f.data, out);

			mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_YENC, k);
			lenient_emit(l, path, "application/octet-stream", f.name, out, len, 1, 1);
			free(out);
		}
	}
	if (bare_hqx || memmem(t, n, "BinHex", 6) != NULL) {
		for (pos = 0, k = 1; !l->stop && binhex_next(text, n, &pos, bare_hqx, &a, &b); k++) {
			size_t cap = (b - a) * LENIENT_HQX_RATIO + 4096, len;
			struct binhex_forks f;
			unsigned char *out;

			if (cap > lenient_budget(l) + 1)
				cap = lenient_budget(l) + 1;
			out = xmalloc(cap);
			len = binhex_decode(t + a, b - a, out, cap, &f);
			l->r->binhex = 1;
			mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_HQX, k);
			if (len > 0 && (f.data_len > 0 || f.rsrc_len == 0))
				lenient_emit(l, path, "application/mac-binhex40", f.name, out + f.data,
					     f.data_len, 1, 1);
			if (len > 0 && f.rsrc_len > 0) {
				mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_HQX, ++k);
				lenient_emit(l, path, "application/mac-binhex40", f.name,
					     out + f.rsrc, f.rsrc_len, 1, 1);
			}
			free(out);
		}
	}
	for (pos = 0, k = 1; runs && !l->stop && base64_next_run(t, n, &pos, LENIENT_RUN_MIN, &a, &b);
	     k++) {
		unsigned char *out = xmalloc(BASE64_DECODED_MAX(b - a));
		size_t len = base64_decode(t + a, b - a, out, BASE64_PAD_RESTART);

		mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_RUN, k);
		lenient_emit(l, path, "application/octet-stream", NULL, out, len, 1, 1);
		free(out);
	}
}

/* lenient_one_run - 1 when the body T is one base64 run from its first
 * to its last byte that is not white space (then no run is carved). */
static int lenient_one_run(const unsigned char *t, size_t n)
{
	size_t s = 0, e = n, pos = 0, a, b;

	while (s < n && isspace(t[s]))
		s++;
	while (e > s && isspace(t[e - 1]))
		e--;
	if (s == e)
		return 1;
	if (!base64_next_run(t, n, &pos, 1, &a, &b))
		return 0;
	while (b > a && isspace(t[b - 1]))
		b--;
	return a == s && b == e;
}

static void lenient_inner(struct lenient *l, const char *msg, size_t len, int depth, long long off,
			  int only_first);

/* GMime read this segment's body with encoding E (OFF: see lenient_message). */
#define KNOWN(e) (off >= 0 && \
		  l->ops->known(l->ops->ctx, (size_t)off + seg->body, (size_t)off + seg->end, (e)))

/*
 * lenient_segment - the readings of one segment of MSG, which starts at
 * offset OFF of the top-level message (-1: decoded, not in it).
 */
static void lenient_segment(struct lenient *l, const char *msg, const struct split_segment *seg,
			    int depth, long long off)
{
	const unsigned char *body = (const unsigned char *)msg + seg->body;
	size_t n = seg->end - seg->body;
	struct lenient_headers h;
	char base[32], path[48];
	const char *type, *name;
	int first = 1, carved = 0, text, multipart, attach;
	unsigned encs;

	lenient_headers(msg + seg->start, seg->headers_end - seg->start, &h);
	mimescan_path_reading(base, sizeof(base), "", MIMESCAN_READ_SEGMENT, ++l->seg);
	if (h.any && ++l->r->segments > l->lim->parts) {
		lenient_limit(l, PROTO_LIMIT_MIME_PARTS);
		return;
	}
	if (h.ncte > 1 || h.unknown || (h.any && !seg->blank_line))
		l->r->defects = 1;
	type = h.type[0] != '\0' ? h.type : "text/plain";
	name = h.name[0] != '\0' ? h.name : NULL;
	text = strncmp(type, "text/", 5) == 0;
	multipart = strncmp(type, "multipart/", 10) == 0;
	if (strcmp(type, "text/html") == 0)
		l->r->html = 1;
	if (strstr(type, "tnef") != NULL || (name != NULL && strcasecmp(name, "winmail.dat") == 0))
		l->r->tnef = 1;
	attach = name != NULL || (!text && !multipart && !h.message);
	encs = h.encs ? h.encs : 1u << LENIENT_NONE;
	if (encs & (1u << LENIENT_B64)) {
		int known = KNOWN(LENIENT_B64);

		if (!known) {
			unsigned char *out = xmalloc(BASE64_DECODED_MAX(n));
			size_t len = base64_decode(body, n, out, BASE64_PAD_RESTART);

			lenient_emit(l, base, type, name, out, len, 1, 0);
			if (h.message)
				lenient_inner(l, (const char *)out, len, depth, -1, 0);
			free(out);
		}
		first = 0;
		if (!l->stop && base64_inner_pad(body, n)) {
			unsigned char *out = xmalloc(BASE64_DECODED_MAX(n));
			size_t len = base64_decode(body, n, out, BASE64_PAD_SKIP);

			l->r->defects = 1;
			mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_B64P, 0);
			lenient_emit(l, path, type, name, out, len, 1, 1);
			free(out);
		}
	}
	/* Quoted-printable, declared or looking so; never skipped as known:
	 * GMime's decoder reads invalid escapes and soft breaks otherwise. */
	if (!l->stop && (encs & (1u << LENIENT_QP) ||
			 (!multipart && !(encs & (1u << LENIENT_B64)) &&
			  qp_looks_encoded(body, n, LENIENT_QP_MIN)))) {
		int declared = (encs & (1u << LENIENT_QP)) != 0, known = 0;
		unsigned char *out = xmalloc(n + 1);
		size_t len = qp_decode(body, n, out);

		if (first)
			snprintf(path, sizeof(path), "%s", base);
		else
			mimescan_path_reading(path, sizeof(path), base, MIMESCAN_READ_QP, 0);
		if (!known) {
			lenient_emit(l, path, type, name, out, len, attach, !declared);
			if (h.message && declared)
				lenient_inner(l, (const char *)out, len, depth, -1, 0);
		}
		first = 0;
		if (!l->stop && declared) {	/* files inside the decoded text */
			lenient_carve(l, base, out, len, 0, 1);
			carved = 1;
		}
		free(out);
	}
	if (!l->stop && encs & (1u << LENIENT_NONE) && attach && !multipart &&
	    !KNOWN(LENIENT_NONE))
		lenient_emit(l, base, type, name, body, n, 1, 0);
	/* An attached message as sent: its own header block and body, when
	 * its body is no multipart (whose delimiters cut this message too). */
	if (!l->stop && h.message && encs == 1u << LENIENT_NONE)
		lenient_inner(l, (const char *)body, n, depth, off >= 0 ? off + (long long)seg->body : -1, 1);
	if (!l->stop && encs & (1u << LENIENT_UU) && memmem(body, n, "begin", 5) == NULL) {
		unsigned char *out = xmalloc(n + 1);	/* uuencode declared, no begin line */
		size_t pos = 0, len = uu_decode((const char *)body, n, &pos, out, n);

		lenient_emit(l, base, type, name, out, len, 1, 0);
		free(out);
	}
	if (!l->stop && !carved)
		lenient_carve(l, base, body, n, (encs & (1u << LENIENT_HQX)) != 0,
			      !(encs & (1u << LENIENT_B64)) || !lenient_one_run(body, n));
}

/*
 * lenient_message - every segment of MSG (only the first: the message's
 * own header block and body, with ONLY_FIRST), at depth DEPTH, MSG at
 * offset OFF of the top-level message (-1: not in it).
 */
static void lenient_message(struct lenient *l, const char *msg, size_t len, int depth,
			    long long off, int only_first)
{
	struct split s;
	struct split_segment seg;

	split_init(&s, msg, len);
	while (!l->stop && split_next(&s, &seg)) {
		if (only_first) {	/* no cut inside: the body runs to the end */
			struct lenient_headers h;

			seg.end = len;
			lenient_headers(msg + seg.start, seg.headers_end - seg.start, &h);
			if (strncmp(h.type, "multipart/", 10) != 0)
				lenient_segment(l, msg, &seg, depth, off);
			break;
		}
		lenient_segment(l, msg, &seg, depth, off);
	}
}

/* lenient_inner - a message inside a segment at DEPTH, within the depth limit. */
static void lenient_inner(struct lenient *l, const char *msg, size_t len, int depth, long long off,
			  int only_first)
{
	if (depth >= l->lim->depth)
		lenient_limit(l, PROTO_LIMIT_MIME_DEPTH);
	else
		lenient_message(l, msg, len, depth + 1, off, only_first);
}

void lenient_read(const char *msg, size_t len, const struct lenient_limits *lim,
		  const struct lenient_ops *ops, struct lenient_report *r)
{
	struct lenient l = {.lim = lim, .ops = ops, .r = r};

	memset(r, 0, sizeof(*r));
	lenient_message(&l, msg, len, 1, 0, 0);
}
