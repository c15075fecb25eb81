/*
 * mime.c - MIMESCAN (see mime.h): the lenient readings of each part, the
 * limits and the verdict.  The parts are numbered by common/mimewalk.h
 * and the reply lines written by common/mimescan.h, which the clients
 * read them with.
 */
#include "auto-config.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/buffer.h"
#include "common/config.h"
#include "common/engine.h"
#include "common/mailtext.h"
#include "common/mimescan.h"
#include "common/mimewalk.h"
#include "common/proto.h"
#include "common/uu.h"
#include "common/xalloc.h"
#include "scanner/cache.h"
#include "scanner/mime.h"
#include "scanner/bodies.h"
#include "scanner/lenient.h"
#include "scanner/storm.h"
#include "scanner/facts.h"

/* The signature of a message whose readings disagree (the ambiguous action). */
#define MIME_AMBIGUOUS_SIG "Heuristics.MIME.Ambiguous"

/* Bytes of the message GMime decoded itself, with their encoding. */
struct mime_known {
	size_t start, end;
	enum lenient_enc enc;
};

/* A leaf part found by the walk, and the reply lines of its readings. */
struct mime_leafref {
	GMimePart *part;
	char *path;
	struct buffer lines;
};

struct mime_walk {
	const char *base;	/* the message, parsed in place */
	const struct storm *storm;	/* keys the pre-pass computed */
	struct generation *gen;
	struct engine_scan_ctx *ctx;
	unsigned id;
	struct buffer out;	/* the reply */
	struct buffer *cur;	/* where lines go now */
	struct mime_leafref *leafv;
	int nleaf, leafcap;
	int objects, lookups, hits;
	long long decoded;
	int found, errors, stop, limited;
	int facts;		/* MIMEFACTS: fact lines, all matches */
	struct mime_known *knownv;	/* what GMime decoded, for the lenient reading */
	int nknown, knowncap;
	unsigned char (*seenv)[CACHE_KEY_SIZE];	/* keys of the bytes scanned */
	int nseen, seencap;
	int collapse;		/* libclamav drops repeated empty lines of the
				 * bodies (MAILTEXT_COLLAPSE) */
	int defects;		/* GMime's parser warned about the structure */
	int disagree;		/* attachments only the lenient reading found */
	char sig[256];		/* first signature found */
	char error[256];	/* first error, or the limit hit */
};

void mime_init(void)
{
	g_mime_init();
}

void mime_shutdown(void)
{
	g_mime_shutdown();
}

/* mime_line - the part line of one reading: ERROR when ERROR is set,
 * else FOUND when SIG is, else OK (common/mimescan.h writes it). */
static void mime_line(struct mime_walk *w, const char *path, const char *type, const char *name,
		      const char *sig, const char *error)
{
	enum proto_verdict v = error != NULL ? PROTO_VERDICT_ERROR :
			       sig != NULL ? PROTO_VERDICT_INFECTED : PROTO_VERDICT_CLEAN;
	char line[MIMESCAN_LINE_MAX];
	int n = mimescan_format_part(line, sizeof(line), w->id, path, type, name, v,
				     error != NULL ? error : sig);

	if (n > 0)
		buffer_append(w->cur, line, (size_t)n);
}

static void mime_limit(struct mime_walk *w, const char *what)
{
	if (w->error[0] == '\0' || w->errors == 0)
		snprintf(w->error, sizeof(w->error), "%s", what);
	w->errors++;
	w->stop = 1;
	w->limited = 1;
}

/*
 * mime_seen - 1 when bytes with KEY were scanned before in this message;
 * else KEY is remembered and 0 returned.
 */
static int mime_seen(struct mime_walk *w, const unsigned char key[CACHE_KEY_SIZE])
{
	int i;

	for (i = 0; i < w->nseen; i++)
		if (memcmp(w->seenv[i], key, CACHE_KEY_SIZE) == 0)
			return 1;
	if (w->nseen == w->seencap) {
		w->seencap = w->seencap ? w->seencap * 2 : 16;
		w->seenv = xrealloc(w->seenv, (size_t)w->seencap * sizeof(*w->seenv));
	}
	memcpy(w->seenv[w->nseen++], key, CACHE_KEY_SIZE);
	return 0;
}

/*
 * mime_verdict - the outcome R of one reading (VIRNAME, ERR as the engine
 * left them): its line written, the message's verdict updated; returns 1
 * when it is infected.  FLAG: a clean reading is answered
 * MIME_AMBIGUOUS_SIG (see mime_scan_object).
 */
static int mime_verdict(struct mime_walk *w, const char *path, const char *type,
			const char *name, enum engine_result r, const char *virname,
			const char *err, int flag)
{
	switch (r) {
	case ENGINE_VIRUS:
		mime_line(w, path, type, name, virname, NULL);
		/* (MIMEFACTS reads on: a real match outranks a heuristic one) */
		if (w->found++ == 0 || (w->facts && facts_heuristic(w->sig) && !facts_heuristic(virname)))
			snprintf(w->sig, sizeof(w->sig), "%s", virname);
		w->stop = !w->facts;	/* one infected reading decides the message */
		return 1;
	case ENGINE_STOPPED:	/* no line, nothing cached */
		w->stop = 1;
		return 0;
	case ENGINE_ERROR:
		mime_line(w, path, type, name, NULL, err);
		if (w->errors++ == 0)
			snprintf(w->error, sizeof(w->error), "%s", err);
		return 0;
	case ENGINE_CLEAN:
		if (flag && w->found++ == 0) {	/* the readings disagree: refused */
			mime_line(w, path, type, name, MIME_AMBIGUOUS_SIG, NULL);
			snprintf(w->sig, sizeof(w->sig), "%s", MIME_AMBIGUOUS_SIG);
			w->stop = !w->facts;
			return 1;
		}
		mime_line(w, path, type, name, NULL, NULL);
		return 0;
	}
	return 0;
}

/*
 * mime_scan_object - one object through the verdict cache and the engine;
 * writes its line and returns 1 when it is infected.  An object of the
 * lenient reading (LENIENT) whose bytes were scanned already in this
 * message is skipped (no line); one that is an attachment no other
 * reading found marks the message ambiguous, and is answered
 * MIME_AMBIGUOUS_SIG when clean under scand_mime_ambiguous_action = flag.
 */
static int mime_scan_object(struct mime_walk *w, const char *path, const char *type,
			    const char *name, const void *buf, size_t len, int lenient,
			    int attachment)
{
	unsigned char key[CACHE_KEY_SIZE];
	const char *virname = NULL, *err = NULL;
	char sig[256];
	int raw = strcmp(path, MIMESCAN_PATH_RAW) == 0;
	/* (MIMEFACTS keeps no verdict of the raw message: its key is of no use) */
	int hashed = !(w->facts && raw) && engine_hash_mem(buf, len, key) == 0;
	int keyed = cache_enabled() && hashed, flag = 0;
	enum engine_result r;
	int hit = 0;

	if (hashed && mime_seen(w, key) && lenient)
		return 0;
	if (lenient && attachment)
		flag = w->disagree++ == 0 && config_scand_mime_ambiguous_action() ==
						 CONF_SCAND_MIME_AMBIGUOUS_ACTION_FLAG;
	w->lookups += w->facts ? !raw && cache_enabled() : keyed;
	if (w->facts) {	/* its own cache entries: facts_scan */
		r = facts_scan(w->gen->db, w->gen->id, w->ctx, raw ? 0 : ENGINE_FACTS,
			       hashed ? key : NULL, w->cur, w->id, path, len ? buf : "", len,
			       &virname, &err, &hit);
		w->hits += hit;
	} else if (keyed && cache_lookup(key, w->gen->id, sig, sizeof(sig))) {
		w->hits++;
		r = *sig ? ENGINE_VIRUS : ENGINE_CLEAN;
		virname = sig;
	} else {
		r = engine_scan_mem(w->gen->db, len ? buf : "", len, 0, w->ctx, &virname, &err);
		if (keyed && (r == ENGINE_CLEAN || r == ENGINE_VIRUS))
			cache_insert(key, w->gen->id, r == ENGINE_VIRUS ? virname : NULL);
	}
	return mime_verdict(w, path, type, name, r, virname, err, flag);
}

/* mime_scan_bytes - a reading of GMime's parts (always its line). */
static int mime_scan_bytes(struct mime_walk *w, const char *path, const char *type,
			   const char *name, const void *buf, size_t len)
{
	return mime_scan_object(w, path, type, name, buf, len, 0, 0);
}

/* mime_uuencoded - files uuencoded inside a text part, as PATH.uuN. */
static void mime_uuencoded(struct mime_walk *w, const char *path, const char *text, size_t len)
{
	size_t pos = 0;
	struct uu_file f;
	int nth = 0;

	while (!w->stop && uu_next(text, len, &pos, &f)) {
		char sub[MIMESCAN_PATH_MAX];
		unsigned char *out;
		size_t olen;

		/* Each file is a reply line: they count as parts, so a text of
		 * endless "begin" blocks cannot make the reply unbounded. */
		if (++w->objects > config_num(CONF_SCAND_MIME_MAX_PARTS)) {
			mime_limit(w, PROTO_LIMIT_MIME_PARTS);
			return;
		}
		out = xmalloc(len + 1);
		olen = uu_decode(text, len, &pos, out, len);
		if (mimescan_path_uu(sub, sizeof(sub), path, ++nth) == 0)
			mime_scan_bytes(w, sub, "application/octet-stream", f.name, out, olen);
		free(out);
	}
}

/* mime_looks_base64 - mostly base64 alphabet, long enough to matter. */
static int mime_looks_base64(const unsigned char *s, size_t len)
{
	size_t i, good = 0, lines = 0;

	if (len < 64)
		return 0;
	for (i = 0; i < len; i++) {
		if (isalnum(s[i]) || s[i] == '+' || s[i] == '/' || s[i] == '=')
			good++;
		else if (s[i] == '\n')
			lines++;
		else if (s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
			return 0;
	}
	return good > len * 9 / 10 && lines > 0;
}

/*
 * mime_lf - a body sent as text (ENC: none, 7bit, 8bit, binary or
 * quoted-printable) as libclamav's mail parser writes it before scanning
 * it, LF line ends and all (common/mailtext.h), as PATH.lf when that
 * differs from the decoded DATA: mail sent with CR LF would otherwise
 * hide a signature written with LF from MIMESCAN when libclamav's own
 * reading is flat.
 */
static void mime_lf(struct mime_walk *w, const char *path, const char *type, const char *name,
		    GMimeContentEncoding enc, const unsigned char *data, size_t len)
{
	char sub[MIMESCAN_PATH_MAX];
	unsigned char *out;
	size_t n;

	switch (enc) {
	case GMIME_CONTENT_ENCODING_DEFAULT:
	case GMIME_CONTENT_ENCODING_7BIT:
	case GMIME_CONTENT_ENCODING_8BIT:
	case GMIME_CONTENT_ENCODING_BINARY:
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		break;
	default:	/* base64, uuencode: libclamav decodes them as GMime does */
		return;
	}
	out = xmalloc(MAILTEXT_MAX(len));
	n = mailtext_lf(data, len, (enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ? MAILTEXT_SENT : 0) |
			(w->collapse ? MAILTEXT_COLLAPSE : 0), out);
	if ((n != len || memcmp(out, data, n) != 0) &&
	    mimescan_path_reading(sub, sizeof(sub), path, MIMESCAN_READ_LF, 0) == 0)
		mime_scan_object(w, sub, type, name, out, n, 1, 0);
	free(out);
}

/* mime_readings - a leaf's decoded bytes, then the lenient readings. */
static void mime_readings(struct mime_walk *w, const char *path, const char *type,
			  const char *name, GMimeContentEncoding enc, const unsigned char *data,
			  size_t len)
{
	if (mime_scan_bytes(w, path, type, name, data, len) || w->stop)
		return;
	mime_lf(w, path, type, name, enc, data, len);
	if (!w->stop && strncmp(type, "text/", 5) == 0)
		mime_uuencoded(w, path, (const char *)data, len);
	/* Declared otherwise, but a mail client may still see base64. */
	if (!w->stop && enc != GMIME_CONTENT_ENCODING_BASE64 && mime_looks_base64(data, len)) {
		char sub[MIMESCAN_PATH_MAX];
		unsigned char *dec = xmalloc(BASE64_DECODED_MAX(len));
		size_t n = base64_decode(data, len, dec, BASE64_PAD_RESTART);

		if (mimescan_path_b64(sub, sizeof(sub), path) == 0)
			mime_scan_bytes(w, sub, "application/octet-stream", name, dec, n);
		free(dec);
	}
}

/* mime_decoded - a part's decoded bytes: counted against the limit, then read. */
static void mime_decoded(struct mime_walk *w, const char *path, const char *type,
			 const char *name, GMimeContentEncoding enc, const GByteArray *bytes)
{
	w->decoded += bytes->len;
	if (w->decoded > config_num(CONF_SCAND_MIME_MAX_DECODED))
		mime_limit(w, PROTO_LIMIT_MIME_DECODED);
	else	/* an empty GByteArray has no data pointer at all */
		mime_readings(w, path, type, name, enc,
			      bytes->len > 0 ? bytes->data : (const unsigned char *)"", bytes->len);
}

/*
 * mime_known_add - remember that GMime decodes CONTENT (encoding ENC)
 * from a window on the message's own buffer, so the lenient reading does
 * not decode the same bytes the same way again.
 */
static void mime_known_add(struct mime_walk *w, GMimeDataWrapper *content, GMimeContentEncoding enc)
{
	GMimeStream *raw = content != NULL ? g_mime_data_wrapper_get_stream(content) : NULL;
	struct mime_known *k;

	if (raw == NULL || !GMIME_IS_STREAM_MEM(raw) || GMIME_STREAM_MEM(raw)->buffer == NULL ||
	    (const char *)GMIME_STREAM_MEM(raw)->buffer->data != w->base ||
	    raw->bound_start < 0 || raw->bound_end < raw->bound_start ||
	    (guint)raw->bound_end > GMIME_STREAM_MEM(raw)->buffer->len)
		return;
	if (w->nknown == w->knowncap) {
		w->knowncap = w->knowncap ? w->knowncap * 2 : 8;
		w->knownv = xrealloc(w->knownv, (size_t)w->knowncap * sizeof(*w->knownv));
	}
	k = &w->knownv[w->nknown++];
	k->start = (size_t)raw->bound_start;
	k->end = (size_t)raw->bound_end;
	switch (enc) {
	case GMIME_CONTENT_ENCODING_BASE64:
		k->enc = LENIENT_B64;
		break;
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		k->enc = LENIENT_QP;
		break;
	case GMIME_CONTENT_ENCODING_UUENCODE:
		k->enc = LENIENT_UU;
		break;
	default:
		k->enc = LENIENT_NONE;
		break;
	}
}

/*
 * mime_leaf - one leaf part.  A base64 body is first looked up as sent
 * (a storm repeats the same encoded text): a known verdict decides the
 * part without decoding it; otherwise the part is decoded and read, and
 * the outcome of all its readings is remembered for the encoded form.
 */
static void mime_leaf(struct mime_walk *w, GMimePart *part, const char *path)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);	/* as declared */
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	const char *name = g_mime_part_get_filename(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;
	char *t;

	for (t = type; *t != '\0'; t++)
		*t = (char)tolower((unsigned char)*t);
	if (content != NULL)
		mime_known_add(w, content, g_mime_data_wrapper_get_encoding(content));
	if (w->facts)
		facts_names(w->cur, w->id, path, obj);
	if (content != NULL && g_mime_data_wrapper_get_encoding(content) ==
	    GMIME_CONTENT_ENCODING_BASE64) {
		GMimeStream *raw = g_mime_data_wrapper_get_stream(content);
		GMimeStream *enc_mem = NULL;
		unsigned char ekey[CACHE_KEY_SIZE];
		const unsigned char *known = NULL;
		char sig[256];
		struct {
			const unsigned char *data;
			size_t len;
		} in;
		int ekeyed, found = w->found, errors = w->errors;

		if (GMIME_IS_STREAM_MEM(raw) && GMIME_STREAM_MEM(raw)->buffer != NULL &&
		    raw->bound_start >= 0 && raw->bound_end >= raw->bound_start &&
		    (guint)raw->bound_end <= GMIME_STREAM_MEM(raw)->buffer->len) {
			/* A part of a message parsed from memory is a window on
			 * the message's own buffer: read it in place. */
			in.data = GMIME_STREAM_MEM(raw)->buffer->data + raw->bound_start;
			in.len = (size_t)(raw->bound_end - raw->bound_start);
			if ((const char *)GMIME_STREAM_MEM(raw)->buffer->data == w->base)
				known = storm_key(w->storm, (size_t)raw->bound_start, in.len);
		} else {
			GByteArray *arr;

			enc_mem = g_mime_stream_mem_new();
			g_mime_stream_reset(raw);
			g_mime_stream_write_to_stream(raw, enc_mem);
			arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(enc_mem));
			in.data = arr->data;
			in.len = arr->len;
		}
		if (known != NULL)	/* hashed by the storm pre-pass */
			memcpy(ekey, known, sizeof(ekey));
		ekeyed = cache_enabled() && !w->facts &&
			 (known != NULL || engine_hash_tagged("base64", in.data, in.len, ekey) == 0);
		w->lookups += ekeyed;
		if (ekeyed && cache_lookup(ekey, w->gen->id, sig, sizeof(sig))) {
			w->hits++;
			mime_line(w, path, type, name, *sig ? sig : NULL, NULL);
			if (*sig && w->found++ == 0)
				snprintf(w->sig, sizeof(w->sig), "%s", sig);
			if (*sig)
				w->stop = 1;
		} else {
			/* A table does a storm's bulk decoding several times
			 * faster than GMime's filter chain. */
			bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
			g_byte_array_set_size(bytes, (guint)BASE64_DECODED_MAX(in.len));
			g_byte_array_set_size(bytes, (guint)base64_decode(in.data, in.len, bytes->data,
									  BASE64_PAD_RESTART));
			mime_decoded(w, path, type, name, enc, bytes);
			if (ekeyed && w->errors == errors && !(w->stop && w->found == found))
				cache_insert(ekey, w->gen->id, w->found > found ? w->sig : NULL);
			/* A top-level attachment found infected: its next copy
			 * is recognised before a scan thread (storm.c). */
			if (known != NULL && found == 0 && w->found > 0 && w->errors == errors)
				bodies_remember((const char *)in.data, in.len, w->gen->id, w->sig);
		}
		if (enc_mem != NULL)
			g_object_unref(enc_mem);
	} else {
		if (content != NULL)
			g_mime_data_wrapper_write_to_stream(content, mem);
		mime_decoded(w, path, type, name, enc,
			     g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem)));
	}
	g_object_unref(mem);
	g_free(type);
}

/*
 * mime_visit - one object of the walk (common/mimewalk.h): counted
 * against the part and depth limits, and a leaf kept for mime_leaves.
 */
static enum mimewalk_step mime_visit(const struct mimewalk_node *node, void *ctx)
{
	struct mime_walk *w = ctx;
	struct mime_leafref *l;

	if (++w->objects > config_num(CONF_SCAND_MIME_MAX_PARTS)) {
		mime_limit(w, PROTO_LIMIT_MIME_PARTS);
		return MIMEWALK_STOP;
	}
	if (node->depth > config_num(CONF_SCAND_MIME_MAX_DEPTH)) {
		mime_limit(w, PROTO_LIMIT_MIME_DEPTH);
		return MIMEWALK_STOP;
	}
	if (node->kind != MIMEWALK_LEAF)
		return MIMEWALK_CONTINUE;
	if (w->nleaf == w->leafcap) {
		w->leafcap = w->leafcap ? w->leafcap * 2 : 8;
		w->leafv = xrealloc(w->leafv, (size_t)w->leafcap * sizeof(*w->leafv));
	}
	l = &w->leafv[w->nleaf++];
	memset(l, 0, sizeof(*l));
	l->part = GMIME_PART(node->object);
	l->path = xstrdup(node->path);
	return MIMEWALK_CONTINUE;
}

/*
 * mime_leaves - read the leaves found by the walk: attachments before text
 * bodies (in a storm the attachment is what is known, and it decides the
 * message before any unique text is scanned), lines kept in part order.
 */
static void mime_leaves(struct mime_walk *w)
{
	int pass, i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < w->nleaf && !w->stop; i++) {
			struct mime_leafref *l = &w->leafv[i];
			GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(l->part));
			int text = ct == NULL || g_mime_content_type_is_type(ct, "text", "*");

			if (text != pass)
				continue;
			w->cur = &l->lines;
			mime_leaf(w, l->part, l->path);
		}
	}
	w->cur = &w->out;
	for (i = 0; i < w->nleaf; i++) {
		/* (an empty buffer has no storage: no buffer_data) */
		if (buffer_len(&w->leafv[i].lines) > 0)
			buffer_append(&w->out, buffer_data(&w->leafv[i].lines),
				      buffer_len(&w->leafv[i].lines));
		buffer_free(&w->leafv[i].lines);
		free(w->leafv[i].path);
	}
	free(w->leafv);
}

/* mime_trim - END moved back over the line ends before it (not past START). */
static size_t mime_trim(const char *base, size_t start, size_t end)
{
	while (end > start && (base[end - 1] == '\n' || base[end - 1] == '\r'))
		end--;
	return end;
}

/* mime_lenient_known - GMime decoded [START, END) with ENC (ops->known). */
static int mime_lenient_known(void *ctx, size_t start, size_t end, enum lenient_enc enc)
{
	struct mime_walk *w = ctx;
	int i;

	end = mime_trim(w->base, start, end);
	for (i = 0; i < w->nknown; i++)
		if (w->knownv[i].enc == enc && w->knownv[i].start == start &&
		    mime_trim(w->base, w->knownv[i].start, w->knownv[i].end) == end)
			return 1;
	return 0;
}

/* mime_lenient_object - an object of the lenient reading (ops->object). */
static enum lenient_step mime_lenient_object(void *ctx, const struct lenient_object *o)
{
	struct mime_walk *w = ctx;

	mime_scan_object(w, o->path, o->type, o->name, o->data, o->len, 1, o->attachment);
	return w->stop ? LENIENT_STOP : LENIENT_CONTINUE;
}

/* mime_lenient_limit - the lenient reading hit a limit (ops->limit). */
static void mime_lenient_limit(void *ctx, const char *reason)
{
	mime_limit(ctx, reason);
}

static int mime_known_cmp(const void *a, const void *b)
{
	const struct mime_known *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * mime_flat_text - the text the flat pass matches: the message as sent,
 * each base64 body GMime decoded from it (its decoded bytes were scanned,
 * or answered from the cache, before the flat pass: it runs only when no
 * reading stopped or hit a limit) cut to its first scand_mime_flat_base64_head
 * bytes, where signatures written on the base64 text of an attachment
 * (its file header) match; the line end and boundary after it are kept.
 * Returns BUF itself when nothing is cut, else a copy the caller frees;
 * *OUT_LEN its length.
 */
static const char *mime_flat_text(struct mime_walk *w, const char *buf, size_t len,
				  size_t *out_len)
{
	size_t head = (size_t)config_num(CONF_SCAND_MIME_FLAT_BASE64_HEAD), pos = 0, n = 0;
	struct mime_known *v;
	char *out = NULL;
	int i, nv = 0;

	*out_len = len;
	v = xmalloc((size_t)(w->nknown > 0 ? w->nknown : 1) * sizeof(*v));
	for (i = 0; i < w->nknown; i++) {
		struct mime_known k = w->knownv[i];

		k.end = mime_trim(buf, k.start, k.end);
		if (k.enc == LENIENT_B64 && k.end <= len && k.end - k.start > head)
			v[nv++] = k;
	}
	if (nv > 0) {
		qsort(v, (size_t)nv, sizeof(*v), mime_known_cmp);
		out = xmalloc(len);
		for (i = 0; i < nv; i++) {
			if (v[i].start < pos)	/* overlapping windows: never here */
				continue;
			memcpy(out + n, buf + pos, v[i].start + head - pos);
			n += v[i].start + head - pos;
			pos = v[i].end;
		}
		memcpy(out + n, buf + pos, len - pos);
		*out_len = n + len - pos;
	}
	free(v);
	return out != NULL ? out : buf;
}

/*
 * mime_scan_raw - the raw message: libclamav's FULL reading, or flat
 * (MIMEFACTS too: its parts' facts come from each decoded part, and the
 * raw reading adds only its matches, all of them).
 */
static void mime_scan_raw(struct mime_walk *w, const char *buf, size_t len, int full)
{
	const char *virname = NULL, *err = NULL, *text;
	enum engine_result r;

	if (full) {
		mime_scan_bytes(w, MIMESCAN_PATH_RAW, "message/rfc822", NULL, buf, len);
		return;
	}
	text = mime_flat_text(w, buf, len, &len);
	/* Not cached, here nor in libclamav's cache (ENGINE_FLAT): the flat
	 * verdict is not the full reading's. */
	if (w->facts)
		r = facts_scan(w->gen->db, w->gen->id, w->ctx, ENGINE_FLAT, NULL, w->cur, w->id,
			       MIMESCAN_PATH_RAW, len ? text : "", len, &virname, &err, NULL);
	else
		r = engine_scan_mem(w->gen->db, len ? text : "", len, ENGINE_FLAT, w->ctx, &virname,
				    &err);
	mime_verdict(w, MIMESCAN_PATH_RAW, "message/rfc822", NULL, r, virname, err, 0);
	if (text != buf)
		free((char *)(uintptr_t)text);
}

/*
 * mime_lenient - the lenient reading (lenient.h) of the message BUF/LEN
 * after GMime's: its objects are scanned unless GMime's readings scanned
 * the same bytes.  Returns 1 when the raw reading must be libclamav's
 * full one: the MIME has defects, the readings disagree, a limit was hit,
 * or a body needs libclamav's mail parser (HTML for the phishing checks,
 * TNEF, BinHex).
 */
static int mime_lenient(struct mime_walk *w, const char *buf, size_t len)
{
	struct lenient_limits lim = {
		.parts = (int)config_num(CONF_SCAND_MIME_MAX_PARTS),
		.depth = (int)config_num(CONF_SCAND_MIME_MAX_DEPTH),
		.carved = (int)config_num(CONF_SCAND_MIME_MAX_CARVED),
		.decoded = config_num(CONF_SCAND_MIME_MAX_DECODED),
	};
	struct lenient_ops ops = {.known = mime_lenient_known, .object = mime_lenient_object,
				  .limit = mime_lenient_limit, .ctx = w};
	struct lenient_report rep;
	int stop = w->stop;

	w->stop = 0;	/* GMime's part limit does not end this reading */
	lenient_read(buf, len, &lim, &ops, &rep);
	w->stop |= stop;
	return w->defects || rep.defects || w->disagree || w->limited || rep.html || rep.tnef ||
	       rep.binhex;
}

/* mime_parser_warning - GMime found the structure broken (a defect). */
static void mime_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
				gpointer ctx)
{
	struct mime_walk *w = ctx;

	(void)offset;
	(void)item;
	switch (code) {
	case GMIME_WARN_UNENCODED_8BIT_HEADER:
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
	case GMIME_WARN_INVALID_ADDRESS_LIST:
		break;	/* address and text headers: no bearing on the parts */
	default:
		w->defects++;
		break;
	}
}

/*
 * mime_storm_line - the reply line of a part the storm pre-pass decided:
 * its type and name read by GMime from its header block alone, as the
 * full walk would name it.
 */
static void mime_storm_line(struct mime_walk *w, const struct storm_part *p, const char *sig)
{
	GMimeStream *hs = g_mime_stream_mem_new_with_buffer(w->base + p->hoff, p->hlen);
	GMimeParser *hp = g_mime_parser_new_with_stream(hs);
	GMimeObject *obj = g_mime_parser_construct_part(hp, NULL);
	GMimeContentType *ct = obj != NULL ? g_mime_object_get_content_type(obj) : NULL;
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	char path[MIMESCAN_PATH_MAX] = "";

	mimescan_path_child(path, sizeof(path), p->index);	/* a child of the top */
	mime_line(w, path, type, obj != NULL && GMIME_IS_PART(obj) ?
		  g_mime_part_get_filename(GMIME_PART(obj)) : NULL, sig, NULL);
	w->lookups = w->hits = w->found = 1;
	snprintf(w->sig, sizeof(w->sig), "%s", sig);
	g_free(type);
	if (obj != NULL)
		g_object_unref(obj);
	g_object_unref(hp);
	g_object_unref(hs);
}

/*
 * mime_collapses - 1 when libclamav's mail parser drops the repeated empty
 * lines of MSG's bodies: its top-level type is not text (multipart, or
 * no Content-Type at all).
 */
static int mime_collapses(GMimeMessage *msg)
{
	GMimeObject *top = msg != NULL ? g_mime_message_get_mime_part(msg) : NULL;
	GMimeContentType *ct = top != NULL ? g_mime_object_get_content_type(top) : NULL;

	if (top == NULL || g_mime_object_get_header(top, "Content-Type") == NULL)
		return 1;
	return ct == NULL || !g_mime_content_type_is_type(ct, "text", "*");
}

/*
 * mime_result - the message's verdict from what the walk W found (STOPPED:
 * the deadline passed or the client left before anything was found), the
 * final line after the part lines, and the counts.
 */
static void mime_result(struct mime_walk *w, int stopped, char term, struct mime_result *r)
{
	char final[PROTO_ID_PREFIX_MAX + sizeof(r->sig) + 32];
	int n;

	if (stopped) {
		r->verdict = PROTO_VERDICT_ERROR;
		snprintf(r->sig, sizeof(r->sig), "Request deadline exceeded.");
	} else if (w->found && !(w->limited && strncmp(w->sig, "Heuristics.Limits.", 18) == 0)) {
		/* A signature decides; an engine limit hit where our own limit
		 * already stopped the walk is that limit's ERROR instead. */
		r->verdict = PROTO_VERDICT_INFECTED;
		snprintf(r->sig, sizeof(r->sig), "%s", w->sig);
	} else if (w->errors) {
		r->verdict = PROTO_VERDICT_ERROR;
		snprintf(r->sig, sizeof(r->sig), "%s", w->error);
	} else {
		r->verdict = PROTO_VERDICT_CLEAN;
		r->sig[0] = '\0';
	}
	n = mimescan_format_final(final, sizeof(final), w->id, r->verdict, r->sig, term);
	if (n > 0)	/* always: sig is bounded */
		buffer_append(&w->out, final, (size_t)n);
	r->reply = buffer_steal(&w->out, &r->len);
	r->lookups = w->lookups;
	r->hits = w->hits;
}

void mime_scan(const char *buf, size_t len, struct generation *gen, struct engine_scan_ctx *ctx,
	       unsigned id, char term, int facts, struct mime_result *r)
{
	struct mime_walk w = {.base = buf, .gen = gen, .ctx = ctx, .id = id, .facts = facts};
	struct storm storm = {.n = 0};
	char ssig[256];
	int hit = -1;
	/* The stream reads the caller's buffer in place (no copy): the array
	 * only borrows it, is never written, and gives it back below. */
	GByteArray *borrowed = g_byte_array_new_take((guint8 *)(uintptr_t)buf, len);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(borrowed);
	GMimeParserOptions *popts;
	GMimeParser *parser;
	GMimeMessage *msg;
	int full = 1;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	w.cur = &w.out;
	if (cache_enabled() && !facts)
		hit = storm_check(buf, len, gen->id, &storm, ssig, sizeof(ssig));
	if (hit >= 0) {
		/* A copy of a known infected attachment: decided unparsed. */
		mime_storm_line(&w, &storm.part[hit], ssig);
	} else {
		w.storm = &storm;
		popts = g_mime_parser_options_new();
		g_mime_parser_options_set_warning_callback(popts, mime_parser_warning, &w);
		parser = g_mime_parser_new_with_stream(stream);
		msg = g_mime_parser_construct_message(parser, popts);
		if (msg == NULL)
			w.defects++;
		w.collapse = mime_collapses(msg);
		mimewalk_message(msg, mime_visit, &w);
		/* A part or depth limit ends the walk, not the reading of what
		 * it found: malware there is still FOUND; otherwise the limit
		 * is the ERROR verdict. */
		w.stop = 0;
		mime_leaves(&w);
		/* The lenient reading: every part a mail client could see. */
		if (!w.stop)
			full = mime_lenient(&w, buf, len);
		/* libclamav's own reading of the raw message, unless decided:
		 * its mail parser decodes every part again, which buys nothing
		 * when both readings agree on well-formed MIME; then the
		 * matcher reads the text as sent (signatures on mail text). */
		if (!w.stop)
			mime_scan_raw(&w, buf, len, full || config_scand_mime_raw_reading() ==
							     CONF_SCAND_MIME_RAW_READING_FULL);
		if (msg != NULL)
			g_object_unref(msg);
		g_object_unref(parser);
		g_mime_parser_options_free(popts);
		free(w.knownv);
		free(w.seenv);
	}
	g_object_unref(stream);
	g_byte_array_free(borrowed, FALSE);

	mime_result(&w, (ctx->stopped || ctx->stop(ctx->arg)) && !w.found, term, r);
	r->storm = hit >= 0;
}

int mime_quick(const char *buf, size_t len, unsigned long long gen, unsigned id, char term,
	       struct mime_result *r)
{
	struct mime_walk w = {.base = buf, .id = id};
	struct storm storm = {.n = 0};
	char sig[256];
	int hit;

	if (!cache_enabled() || !bodies_active())
		return 0;
	hit = storm_quick(buf, len, gen, &storm, sig, sizeof(sig));
	if (hit < 0)
		return 0;
	cache_count_hit();	/* the lookup the pre-pass would have made */
	w.cur = &w.out;
	mime_storm_line(&w, &storm.part[hit], sig);
	mime_result(&w, 0, term, r);
	r->storm = 1;
	return 1;
}
