/*
 * facts.c - names, true types, archive members and all matches of a
 * part, as MIMEFACTS fact lines (see facts.h).
 */
#include "auto-config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/engine.h"
#include "common/mimescan.h"
#include "common/proto.h"
#include "common/xalloc.h"
#include "scanner/cache.h"
#include "scanner/facts.h"
#include "scanner/layers.h"

/* facts_line - one fact line of F at PATH into OUT. */
static void facts_line(struct buffer *out, unsigned id, const char *path,
		       const struct mimescan_fact *f)
{
	char line[MIMESCAN_LINE_MAX];
	int n = mimescan_format_fact(line, sizeof(line), id, path, f);

	if (n > 0)
		buffer_append(out, line, (size_t)n);
}

/*
 * facts_raw_values - the values of the parameters NAME of the header
 * value RAW as written (quotes and backslash escapes removed, encoded
 * words left alone), each passed to EMIT.
 */
static void facts_raw_values(const char *raw, const char *name, void (*emit)(const char *, void *),
			     void *arg)
{
	const char *s = raw;
	size_t nlen = strlen(name);

	while ((s = strchr(s, ';')) != NULL) {
		char *v;
		size_t o = 0;

		s++;
		s += strspn(s, " \t\r\n");
		if (strncasecmp(s, name, nlen) != 0)
			continue;
		s += nlen;
		s += strspn(s, " \t\r\n");
		if (*s != '=')
			continue;
		s++;
		s += strspn(s, " \t\r\n");
		v = xmalloc(strlen(s) + 1);
		if (*s == '"') {
			for (s++; *s != '\0' && *s != '"'; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (*s != '\r' && *s != '\n')
					v[o++] = *s;
			}
		} else {
			while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t' && *s != '\r' &&
			       *s != '\n')
				v[o++] = *s++;
		}
		v[o] = '\0';
		if (o > 0)
			emit(v, arg);
		free(v);
	}
}

struct facts_names_ctx {
	struct buffer *out;
	unsigned id;
	const char *path;
	char **seen;		/* values already reported */
	int nseen;
	const char *source;
};

/* facts_name - a NAME line, once per distinct value. */
static void facts_name(const char *value, void *arg)
{
	struct facts_names_ctx *c = arg;
	struct mimescan_fact f;
	int i;

	for (i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i], value) == 0)
			return;
	c->seen = xrealloc(c->seen, (size_t)(c->nseen + 1) * sizeof(*c->seen));
	c->seen[c->nseen++] = xstrdup(value);
	memset(&f, 0, sizeof(f));
	f.kind = MIMESCAN_FACT_NAME;
	snprintf(f.word, sizeof(f.word), "%s", c->source);
	f.has_name = 1;
	snprintf(f.name, sizeof(f.name), "%s", value);
	facts_line(c->out, c->id, c->path, &f);
}

void facts_names(struct buffer *out, unsigned id, const char *path, GMimeObject *obj)
{
	static const struct {
		const char *header, *param, *source, *raw_source;
	} where[] = {
		{"Content-Disposition", "filename", "filename", "filename-raw"},
		{"Content-Type", "name", "name", "name-raw"},
	};
	GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
	struct facts_names_ctx c = {.out = out, .id = id, .path = path};
	int n = headers != NULL ? g_mime_header_list_get_count(headers) : 0, i, k;
	size_t w;

	for (w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		for (i = 0; i < n; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
			const char *raw = g_mime_header_get_raw_value(h), *semi;
			GMimeParamList *params;

			if (raw == NULL || strcasecmp(g_mime_header_get_name(h), where[w].header) != 0 ||
			    (semi = strchr(raw, ';')) == NULL)
				continue;
			/* Decoded as GMime reads it: RFC 2231 and RFC 2047. */
			c.source = where[w].source;
			params = g_mime_param_list_parse(NULL, semi + 1);
			for (k = 0; params != NULL && k < g_mime_param_list_length(params); k++) {
				GMimeParam *p = g_mime_param_list_get_parameter_at(params, k);
				const char *v = g_mime_param_get_value(p);

				if (strcasecmp(g_mime_param_get_name(p), where[w].param) == 0 &&
				    v != NULL && *v != '\0')
					facts_name(v, &c);
			}
			if (params != NULL)
				g_object_unref(params);
			/* As written, for a client that decodes no encoded words. */
			if (strstr(raw, "=?") != NULL) {
				c.source = where[w].raw_source;
				facts_raw_values(raw, where[w].param, facts_name, &c);
			}
		}
	}
	for (i = 0; i < c.nseen; i++)
		free(c.seen[i]);
	free(c.seen);
}

/* The matches and objects of one scan. */
struct facts_found {
	char *sigs[32];
	int nsig;
	struct buffer *out;
	unsigned id;
	const char *path;
	struct layers *layers;	/* ENGINE_FACTS: the objects read */
	int has_type;		/* the TYPE line is written */
	int members;		/* MEMBER lines written */
};

/* facts_cb_found - every match of the scan. */
static void facts_cb_found(void *arg, const char *virname)
{
	struct facts_found *ff = arg;
	int i;

	for (i = 0; i < ff->nsig; i++)
		if (strcmp(ff->sigs[i], virname) == 0)
			return;
	if (ff->nsig < (int)(sizeof(ff->sigs) / sizeof(ff->sigs[0])))
		ff->sigs[ff->nsig++] = xstrdup(virname);
}

/* facts_type - libclamav's "CL_TYPE_X" as "X" into F->word. */
static void facts_type(struct mimescan_fact *f, const char *s)
{
	size_t i;

	if (strncmp(s, "CL_TYPE_", 8) == 0)
		s += 8;
	if (*s == '\0')
		s = "ANY";
	snprintf(f->word, sizeof(f->word), "%s", s);
	for (i = 0; f->word[i] != '\0'; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-",
			   f->word[i]) == NULL)
			f->word[i] = '_';
}

/* facts_layer_line - the TYPE line of the part (level 0, the first
 * time) and a MEMBER line for each object inside it. */
static void facts_layer_line(void *arg, unsigned level, const char *type, const char *name)
{
	struct facts_found *ff = arg;
	struct mimescan_fact f;

	memset(&f, 0, sizeof(f));
	if (level == 0) {
		if (ff->has_type)
			return;
		ff->has_type = 1;
		f.kind = MIMESCAN_FACT_TYPE;
	} else {
		if (level > MIMESCAN_DEPTH_MAX || ff->members >= FACTS_MEMBERS_MAX)
			return;
		ff->members++;
		f.kind = MIMESCAN_FACT_MEMBER;
		f.depth = (int)level;
		if (name != NULL && *name != '\0') {
			f.has_name = 1;
			snprintf(f.name, sizeof(f.name), "%s", name);
		}
	}
	facts_type(&f, type);
	facts_line(ff->out, ff->id, ff->path, &f);
}

/* facts_cb_layer / facts_cb_read - the objects of the scan (layers.h). */
static void facts_cb_layer(void *arg, unsigned level, const char *type, const char *name,
			   const void *buf, size_t size)
{
	layers_object(((struct facts_found *)arg)->layers, level, type, name, buf, size);
}

static void facts_cb_read(void *arg)
{
	layers_read(((struct facts_found *)arg)->layers);
}

/* facts_once - one scan of BUF into OUT (see facts_scan); *hidden_r is
 * set when libclamav's cache may have hidden members. */
static enum engine_result facts_once(const struct engine_db *db, unsigned long long gen,
				     struct engine_scan_ctx *ctx, int flags, struct buffer *out,
				     unsigned id, const char *path, const void *buf, size_t len,
				     const char **virname_r, const char **error_r, int *hidden_r)
{
	struct facts_found ff;
	struct engine_scan_ctx c = *ctx;
	struct mimescan_fact f;
	enum engine_result r;
	int i;

	memset(&ff, 0, sizeof(ff));
	ff.out = out;
	ff.id = id;
	ff.path = path;
	c.found = facts_cb_found;
	if (flags & ENGINE_FACTS) {
		ff.layers = layers_new(gen, facts_layer_line, &ff);
		c.layer = facts_cb_layer;
		c.read = facts_cb_read;
	}
	c.report_arg = &ff;
	r = engine_scan_mem(db, buf, len, ENGINE_ALLMATCH | flags, &c, virname_r, error_r);
	ctx->stopped = c.stopped;
	*hidden_r = ff.layers != NULL && layers_end(ff.layers);
	layers_free(ff.layers);
	for (i = 0; i < ff.nsig; i++) {
		if (r == ENGINE_VIRUS && *virname_r != NULL && strcmp(ff.sigs[i], *virname_r) != 0) {
			memset(&f, 0, sizeof(f));
			f.kind = MIMESCAN_FACT_SIG;
			snprintf(f.detail, sizeof(f.detail), "%s", ff.sigs[i]);
			facts_line(out, id, path, &f);
		}
		free(ff.sigs[i]);
	}
	return r;
}

/* facts_replay - the kept lines KEPT (each without its id and path) as
 * lines of the request ID for PATH, into OUT. */
static void facts_replay(struct buffer *out, unsigned id, const char *path,
			 const struct buffer *kept)
{
	char pfx[PROTO_ID_PREFIX_MAX];
	const char *s = buffer_data(kept), *end = s + buffer_len(kept);

	proto_id_prefix(pfx, sizeof(pfx), id);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl != NULL ? (size_t)(nl + 1 - s) : (size_t)(end - s);

		buffer_appendf(out, "%s%s", pfx, path);
		buffer_append(out, s, n);
		s += n;
	}
}

/* facts_keep - the lines from MARK on in OUT, each without its id and
 * path (PLEN bytes), as kept in the verdict cache under KEY. */
static void facts_keep(const unsigned char *key, unsigned long long gen, const char *sig,
		       const struct buffer *out, size_t mark, size_t plen)
{
	struct buffer kept = BUFFER_INIT;
	const char *s = buffer_data(out) + mark, *end = buffer_data(out) + buffer_len(out);

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl != NULL ? (size_t)(nl + 1 - s) : (size_t)(end - s);

		if (n > plen)
			buffer_append(&kept, s + plen, n - plen);
		s += n;
	}
	cache_insert_facts(key, gen, sig, buffer_data(&kept), buffer_len(&kept));
	buffer_free(&kept);
}

enum engine_result facts_scan(const struct engine_db *db, unsigned long long gen,
			      struct engine_scan_ctx *ctx, int flags, const unsigned char *part_key,
			      struct buffer *out, unsigned id, const char *path, const void *buf,
			      size_t len, const char **virname_r, const char **error_r, int *hit_r)
{
	static __thread char sig[256];
	unsigned char key[CACHE_KEY_SIZE];
	char pfx[PROTO_ID_PREFIX_MAX];
	size_t mark = buffer_len(out);
	/* Its own key: an all-match verdict never answers MIMESCAN. */
	int props = (flags & ENGINE_FACTS) != 0;
	int keyed = props && cache_enabled() &&
		    (part_key != NULL ? engine_hash_tagged("facts", part_key, CACHE_KEY_SIZE, key)
				      : engine_hash_tagged("facts", buf, len, key)) == 0;
	enum engine_result r;
	int hidden;

	if (hit_r != NULL)
		*hit_r = 0;
	if (keyed) {
		struct buffer kept = BUFFER_INIT;

		if (cache_lookup_facts(key, gen, sig, sizeof(sig), &kept)) {
			facts_replay(out, id, path, &kept);
			buffer_free(&kept);
			if (hit_r != NULL)
				*hit_r = 1;
			*virname_r = *sig != '\0' ? sig : NULL;
			return *sig != '\0' ? ENGINE_VIRUS : ENGINE_CLEAN;
		}
		buffer_free(&kept);
	}
	r = facts_once(db, gen, ctx, flags & (ENGINE_FACTS | ENGINE_FLAT), out, id, path, buf, len,
		       virname_r, error_r, &hidden);
	/*
	 * An object libclamav knew as clean was not read again, and what
	 * was inside it is known neither from this part nor from the cache
	 * (scanner/layers.h): the part is read once more past libclamav's
	 * cache, the first lines dropped.  Never left out, or a zip sent
	 * once could hide its members from then on.
	 */
	if (hidden && (r == ENGINE_CLEAN || r == ENGINE_VIRUS)) {
		out->len = mark;
		r = facts_once(db, gen, ctx, ENGINE_FACTS | ENGINE_NOCACHE, out, id, path, buf,
			       len, virname_r, error_r, &hidden);
	}
	if (keyed && (r == ENGINE_CLEAN || r == ENGINE_VIRUS))
		facts_keep(key, gen, r == ENGINE_VIRUS ? *virname_r : NULL, out, mark,
			   (size_t)proto_id_prefix(pfx, sizeof(pfx), id) + strlen(path));
	return r;
}

int facts_heuristic(const char *sig)
{
	return strncmp(sig, "Heuristics.", 11) == 0 || strncmp(sig, "PUA.", 4) == 0;
}
