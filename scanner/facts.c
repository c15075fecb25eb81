/*
 * facts.c - names, true types, archive members and all matches of a
 * part, as MIMEFACTS fact lines (see facts.h).
 */
#include "auto-config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mimescan.h"
#include "common/xalloc.h"
#include "scanner/facts.h"

/* The matches and properties of one scan. */
struct facts_found {
	char *sigs[32];
	int nsig;
	char *json;		/* the outermost file's properties */
};

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

/* facts_cb_props - the properties libclamav reports: the outermost last. */
static void facts_cb_props(void *arg, const char *json)
{
	struct facts_found *ff = arg;

	free(ff->json);
	ff->json = xstrdup(json);
}

/* facts_type - libclamav's "CL_TYPE_X" as "X" into F->word. */
static void facts_type(struct mimescan_fact *f, json_object *o)
{
	json_object *t;
	const char *s = json_object_object_get_ex(o, "FileType", &t) ? json_object_get_string(t) :
		NULL;
	size_t i;

	if (s == NULL || *s == '\0')
		s = "ANY";
	if (strncmp(s, "CL_TYPE_", 8) == 0)
		s += 8;
	snprintf(f->word, sizeof(f->word), "%s", s);
	for (i = 0; f->word[i] != '\0'; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-",
			   f->word[i]) == NULL)
			f->word[i] = '_';
}

/* facts_members - the MEMBER lines of O's ContainedObjects at DEPTH. */
static void facts_members(struct buffer *out, unsigned id, const char *path, json_object *o,
			  int depth, int *count)
{
	json_object *arr, *name;
	size_t i, n;

	if (depth > MIMESCAN_DEPTH_MAX || !json_object_object_get_ex(o, "ContainedObjects", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	n = json_object_array_length(arr);
	for (i = 0; i < n && *count < FACTS_MEMBERS_MAX; i++) {
		json_object *m = json_object_array_get_idx(arr, i);
		struct mimescan_fact f;
		const char *s;

		if (!json_object_is_type(m, json_type_object))
			continue;
		memset(&f, 0, sizeof(f));
		f.kind = MIMESCAN_FACT_MEMBER;
		f.depth = depth;
		facts_type(&f, m);
		if (json_object_object_get_ex(m, "FileName", &name) &&
		    (s = json_object_get_string(name)) != NULL && *s != '\0') {
			f.has_name = 1;
			snprintf(f.name, sizeof(f.name), "%s", s);
		}
		facts_line(out, id, path, &f);
		(*count)++;
		facts_members(out, id, path, m, depth + 1, count);
	}
}

enum engine_result facts_scan(const struct engine_db *db, struct engine_scan_ctx *ctx, int props,
			      struct buffer *out, unsigned id, const char *path, const void *buf,
			      size_t len, const char **virname_r, const char **error_r)
{
	struct facts_found ff;
	struct engine_scan_ctx c = *ctx;
	struct mimescan_fact f;
	enum engine_result r;
	int i, count = 0;

	memset(&ff, 0, sizeof(ff));
	c.found = facts_cb_found;
	c.props = facts_cb_props;
	c.report_arg = &ff;
	r = engine_scan_mem(db, buf, len, ENGINE_ALLMATCH | (props ? ENGINE_FACTS : 0), &c,
			    virname_r, error_r);
	ctx->stopped = c.stopped;
	if (ff.json != NULL && r != ENGINE_STOPPED) {
		json_object *root = json_tokener_parse(ff.json);

		if (root != NULL) {
			memset(&f, 0, sizeof(f));
			f.kind = MIMESCAN_FACT_TYPE;
			facts_type(&f, root);
			facts_line(out, id, path, &f);
			facts_members(out, id, path, root, 1, &count);
			json_object_put(root);
		}
	}
	for (i = 0; i < ff.nsig; i++) {
		if (r == ENGINE_VIRUS && *virname_r != NULL && strcmp(ff.sigs[i], *virname_r) != 0) {
			memset(&f, 0, sizeof(f));
			f.kind = MIMESCAN_FACT_SIG;
			snprintf(f.detail, sizeof(f.detail), "%s", ff.sigs[i]);
			facts_line(out, id, path, &f);
		}
		free(ff.sigs[i]);
	}
	free(ff.json);
	return r;
}

int facts_heuristic(const char *sig)
{
	return strncmp(sig, "Heuristics.", 11) == 0 || strncmp(sig, "PUA.", 4) == 0;
}
