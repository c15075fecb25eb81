/*
 * config.c - parse mxscan.conf and -o overrides into the typed table.
 *
 * The file format is Postfix main.cf's: "name = value" lines, "#"
 * comments, blank lines, and continuation lines that start with white
 * space.  Unknown names and values out of bounds are errors that name the
 * file and line (or the -o override), so a typo never silently becomes a
 * default.
 */
#include "auto-config.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

const char config_default_file[] = SYSCONFDIR "/mxscan/mxscan.conf";

#define CONFIG_ROW(id, name, type, def, min, max, doc) {name, CONFIG_##type, def, min, max, doc},
static const struct config_param config_params[CONF__COUNT] = {CONFIG_TABLE(CONFIG_ROW)};
#undef CONFIG_ROW

struct config_value {
	char *text;		/* as written (or the default), never NULL */
	long long num;		/* parsed numeric value (RANGE: its low end) */
	long long hi;		/* RANGE: its high end */
	char **words;		/* LIST: split words, NULL-terminated */
	int nwords;
	int set;		/* given in the file or an override */
};

static struct config_value config_values[CONF__COUNT];

/*
 * The words of every CHOICE parameter (config_table.h), as an array in
 * index order for the parser and as one blank-separated string for
 * config_choices(): " w1" " w2" ... concatenated, past its first blank.
 */
#define CONFIG_WORD_TEXT(id, word, text) text,
#define CONFIG_WORD_JOINED(id, word, text) " " text
#define CONFIG_WORD_ARRAY(id, name)                                              \
	static const char *const config_words_##id[] = {                         \
		CONFIG_WORDS_##id(CONFIG_WORD_TEXT, id) NULL};
CONFIG_CHOICES(CONFIG_WORD_ARRAY)
#undef CONFIG_WORD_ARRAY

struct config_choice {
	const char *const *words;	/* NULL-terminated, in index order */
	const char *joined;		/* the same, separated by blanks */
};

#define CONFIG_CHOICE_ROW(id, name) \
	[CONF_##id] = {config_words_##id, (CONFIG_WORDS_##id(CONFIG_WORD_JOINED, id)) + 1},
static const struct config_choice config_choice_table[CONF__COUNT] = {
	CONFIG_CHOICES(CONFIG_CHOICE_ROW)};
#undef CONFIG_CHOICE_ROW
#undef CONFIG_WORD_JOINED
#undef CONFIG_WORD_TEXT

/* Words for exactly the CHOICE rows: every CONFIG_CHOICES entry names a
 * CHOICE row (and only once: a repeated designator fails -Woverride-init),
 * and there are as many entries as CHOICE rows. */
#define CONFIG_TYPE_OF(id, name, type, def, min, max, doc) CONFIG_TYPE_OF_##id = CONFIG_##type,
enum { CONFIG_TABLE(CONFIG_TYPE_OF) };
#undef CONFIG_TYPE_OF
#define CONFIG_IS_CHOICE(id, name)                                               \
	_Static_assert((int)CONFIG_TYPE_OF_##id == (int)CONFIG_CHOICE,           \
		       #id " has words but is no CHOICE");
CONFIG_CHOICES(CONFIG_IS_CHOICE)
#undef CONFIG_IS_CHOICE
#define CONFIG_COUNT_CHOICE_ROW(id, name, type, def, min, max, doc) \
	+(CONFIG_##type == CONFIG_CHOICE)
#define CONFIG_COUNT_WORD_LIST(id, name) +1
_Static_assert(0 CONFIG_TABLE(CONFIG_COUNT_CHOICE_ROW) == 0 CONFIG_CHOICES(CONFIG_COUNT_WORD_LIST),
	       "a CHOICE row of config_table.h has no CONFIG_CHOICES entry");
#undef CONFIG_COUNT_CHOICE_ROW
#undef CONFIG_COUNT_WORD_LIST

static const char *const config_type_names[] = {
	[CONFIG_STR] = "string", [CONFIG_LIST] = "list", [CONFIG_INT] = "integer",
	[CONFIG_MODE] = "mode", [CONFIG_SIZE] = "size", [CONFIG_TIME] = "time",
	[CONFIG_BOOL] = "boolean", [CONFIG_CHOICE] = "choice", [CONFIG_RANGE] = "range",
};

const char *config_choices(enum config_id id)
{
	return config_choice_table[id].joined ? config_choice_table[id].joined : "";
}

/* config_choice_index - position of WORD among ID's words, or -1. */
static int config_choice_index(enum config_id id, const char *word)
{
	const char *const *words = config_choice_table[id].words;
	int i;

	for (i = 0; words != NULL && words[i] != NULL; i++)
		if (strcmp(words[i], word) == 0)
			return i;
	return -1;
}

const struct config_param *config_param(enum config_id id)
{
	return &config_params[id];
}

/* config_parse_suffixed - a number with an optional unit suffix. */
static int config_parse_suffixed(const char *text, long long *num_r, const char *const *units,
				 const long long *mults, long long defmult)
{
	char *end;
	long long v;
	int i;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0') {
		if (v > LLONG_MAX / defmult)
			return -1;
		*num_r = v * defmult;
		return 0;
	}
	for (i = 0; units[i] != NULL; i++) {
		if (strcasecmp(end, units[i]) == 0) {
			if (v > LLONG_MAX / mults[i])
				return -1;
			*num_r = v * mults[i];
			return 0;
		}
	}
	return -1;
}

int config_parse_range(const char *text, long long *lo_r, long long *hi_r, const char **error_r)
{
	static const char *const no_units[] = {NULL};
	const char *dash = strchr(text, '-');
	char lo[32];
	size_t n = dash != NULL ? (size_t)(dash - text) : 0;

	*lo_r = *hi_r = 0;
	if (n > 0 && n < sizeof(lo)) {
		memcpy(lo, text, n);
		lo[n] = '\0';
	}
	if (n == 0 || n >= sizeof(lo) || config_parse_suffixed(lo, lo_r, no_units, NULL, 1) < 0 ||
	    config_parse_suffixed(dash + 1, hi_r, no_units, NULL, 1) < 0) {
		*error_r = "expected a range such as 1024-2048";
		return -1;
	}
	if (*lo_r > *hi_r) {
		*error_r = "the range's low end is above its high end";
		return -1;
	}
	return 0;
}

int config_parse_value(enum config_type type, const char *text, long long *num_r,
		       const char **error_r)
{
	long long hi;

	static const char *const size_units[] = {"b", "k", "kb", "m", "mb", "g", "gb", NULL};
	static const long long size_mults[] = {1, 1LL << 10, 1LL << 10, 1LL << 20,
					       1LL << 20, 1LL << 30, 1LL << 30};
	static const char *const time_units[] = {"ms", "s", "m", "h", "d", NULL};
	static const long long time_mults[] = {1, 1000, 60000, 3600000, 86400000};
	static const char *const no_units[] = {NULL};
	char *end;

	*num_r = 0;
	switch (type) {
	case CONFIG_STR:
	case CONFIG_LIST:
	case CONFIG_CHOICE:	/* checked against its words by config_set */
		return 0;
	case CONFIG_BOOL:
		if (strcasecmp(text, "yes") == 0 || strcasecmp(text, "true") == 0 ||
		    strcmp(text, "1") == 0) {
			*num_r = 1;
			return 0;
		}
		if (strcasecmp(text, "no") == 0 || strcasecmp(text, "false") == 0 ||
		    strcmp(text, "0") == 0)
			return 0;
		*error_r = "expected yes or no";
		return -1;
	case CONFIG_MODE:
		errno = 0;
		*num_r = strtoll(text, &end, 8);
		if (*text == '\0' || *end != '\0' || errno != 0 || *text == '-') {
			*error_r = "expected an octal mode such as 0660";
			return -1;
		}
		return 0;
	case CONFIG_INT:
		if (config_parse_suffixed(text, num_r, no_units, NULL, 1) < 0) {
			*error_r = "expected a non-negative integer";
			return -1;
		}
		return 0;
	case CONFIG_SIZE:
		if (config_parse_suffixed(text, num_r, size_units, size_mults, 1) < 0) {
			*error_r = "expected a size such as 100m (suffixes k, m, g)";
			return -1;
		}
		return 0;
	case CONFIG_TIME:
		if (config_parse_suffixed(text, num_r, time_units, time_mults, 1000) < 0) {
			*error_r = "expected a time such as 30s (suffixes ms, s, m, h, d)";
			return -1;
		}
		return 0;
	case CONFIG_RANGE:	/* *num_r is the low end */
		return config_parse_range(text, num_r, &hi, error_r);
	}
	*error_r = "unknown parameter type";
	return -1;
}

static void config_value_clear(struct config_value *v)
{
	int i;

	free(v->text);
	for (i = 0; i < v->nwords; i++)
		free(v->words[i]);
	free(v->words);
	memset(v, 0, sizeof(*v));
}

/* config_split - LIST words, separated by blanks and commas. */
static void config_split(struct config_value *v)
{
	const char *p = v->text;

	v->words = xcalloc(1, sizeof(char *));
	for (;;) {
		size_t n;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t,");
		v->words = xrealloc(v->words, sizeof(char *) * (size_t)(v->nwords + 2));
		v->words[v->nwords++] = xstrndup(p, n);
		v->words[v->nwords] = NULL;
		p += n;
	}
}

/* config_set - parse, bound-check and store one value. */
static int config_set(enum config_id id, const char *text, int set, const char **error_r)
{
	const struct config_param *p = &config_params[id];
	struct config_value *v = &config_values[id];
	static char why[256];
	long long num, hi = 0;

	if (config_parse_value(p->type, text, &num, error_r) < 0)
		return -1;
	if (p->type == CONFIG_CHOICE) {
		int idx = config_choice_index(id, text);

		if (idx < 0) {
			snprintf(why, sizeof(why), "expected one of: %s", config_choices(id));
			*error_r = why;
			return -1;
		}
		num = idx;
	} else if (p->type == CONFIG_RANGE) {
		if (config_parse_range(text, &num, &hi, error_r) < 0)
			return -1;
		if (num < p->min || hi > p->max) {
			snprintf(why, sizeof(why), "range out of bounds (%lld..%lld)", p->min, p->max);
			*error_r = why;
			return -1;
		}
	} else if (p->type != CONFIG_STR && p->type != CONFIG_LIST &&
		   (num < p->min || num > p->max)) {
		snprintf(why, sizeof(why), "value out of range (%lld..%lld%s)",
			 p->min, p->max, p->type == CONFIG_TIME ? " ms" : "");
		*error_r = why;
		return -1;
	}
	config_value_clear(v);
	v->text = xstrdup(text);
	v->num = num;
	v->hi = hi;
	v->set = set;
	if (p->type == CONFIG_LIST)
		config_split(v);
	return 0;
}

static int config_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < CONF__COUNT; i++)
		if (strlen(config_params[i].name) == len &&
		    strncmp(config_params[i].name, name, len) == 0)
			return i;
	return -1;
}

static char *config_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* config_assign - apply one "name = value" text; WHERE names its origin. */
static int config_assign(char *line, const char *where, const char **error_r)
{
	static char why[512];
	const char *reason;
	char *eq = strchr(line, '=');
	char *name, *value;
	int id;

	if (eq == NULL) {
		snprintf(why, sizeof(why), "%s: expected \"name = value\"", where);
		*error_r = why;
		return -1;
	}
	*eq = '\0';
	name = config_trim(line);
	value = config_trim(eq + 1);
	id = config_lookup(name, strlen(name));
	if (id < 0) {
		snprintf(why, sizeof(why), "%s: unknown parameter \"%.64s\"", where, name);
		*error_r = why;
		return -1;
	}
	if (config_set((enum config_id)id, value, 1, &reason) < 0) {
		snprintf(why, sizeof(why), "%s: %s: %s", where, name, reason);
		*error_r = why;
		return -1;
	}
	return 0;
}

/* config_read_file - the main.cf-style file, with continuation lines. */
static int config_read_file(const char *file, int must_exist, const char **error_r)
{
	static char why[512];
	char *line = NULL, *logical = NULL;
	size_t cap = 0, llen = 0;
	int lineno = 0, start = 0, ret = 0;
	char where[300];
	FILE *fp;

	fp = fopen(file, "r");
	if (fp == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(why, sizeof(why), "%s: %s", file, strerror(errno));
		*error_r = why;
		return -1;
	}
	for (;;) {
		ssize_t n = getline(&line, &cap, fp);
		int cont;

		if (n >= 0) {
			lineno++;
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = '\0';
		}
		cont = n > 0 && (line[0] == ' ' || line[0] == '\t') && llen > 0;
		if (n >= 0 && cont && line[strspn(line, " \t")] != '#') {
			logical = xrealloc(logical, llen + (size_t)n + 2);
			logical[llen++] = ' ';
			memcpy(logical + llen, line, (size_t)n + 1);
			llen += (size_t)n;
			continue;
		}
		if (llen > 0) {
			snprintf(where, sizeof(where), "%s:%d", file, start);
			if (config_assign(logical, where, error_r) < 0) {
				ret = -1;
				break;
			}
			llen = 0;
		}
		if (n < 0)
			break;
		{
			char *t = config_trim(line);

			if (*t == '\0' || *t == '#')
				continue;
			if (line[0] == ' ' || line[0] == '\t') {
				snprintf(why, sizeof(why),
					 "%s:%d: continuation line without a parameter", file, lineno);
				*error_r = why;
				ret = -1;
				break;
			}
			start = lineno;
			llen = strlen(t);
			logical = xrealloc(logical, llen + 1);
			memcpy(logical, t, llen + 1);
		}
	}
	if (ret == 0 && ferror(fp)) {
		snprintf(why, sizeof(why), "%s: read error: %s", file, strerror(errno));
		*error_r = why;
		ret = -1;
	}
	free(line);
	free(logical);
	fclose(fp);
	return ret;
}

int config_load(const char *file, char *const *overrides, int n, const char **error_r)
{
	int i;

	for (i = 0; i < CONF__COUNT; i++) {
		if (config_set((enum config_id)i, config_params[i].def, 0, error_r) < 0)
			log_panic("default of %s: %s", config_params[i].name, *error_r);
	}
	if (config_read_file(file ? file : config_default_file, file != NULL, error_r) < 0)
		return -1;
	return config_apply_overrides(overrides, n, error_r);
}

int config_assign_at(const char *name, const char *value, const char *where,
		     const char **error_r)
{
	static char why[512];
	const char *reason;
	int id = config_lookup(name, strlen(name));

	if (id < 0)
		log_panic("config_assign_at: unknown parameter %s", name);
	if (config_set((enum config_id)id, value, 1, &reason) < 0) {
		snprintf(why, sizeof(why), "%s: %s = %.200s: %s", where, name, value, reason);
		*error_r = why;
		return -1;
	}
	return 0;
}

int config_apply_overrides(char *const *overrides, int n, const char **error_r)
{
	char where[64];
	int i;

	for (i = 0; i < n; i++) {
		char *copy = xstrdup(overrides[i]);
		int r;

		snprintf(where, sizeof(where), "-o option %d", i + 1);
		r = config_assign(copy, where, error_r);
		free(copy);
		if (r < 0)
			return -1;
	}
	return 0;
}

long long config_num(enum config_id id)
{
	return config_values[id].num;
}

void config_range(enum config_id id, long long *lo_r, long long *hi_r)
{
	*lo_r = config_values[id].num;
	*hi_r = config_values[id].hi;
}

const char *config_str(enum config_id id)
{
	return config_values[id].text ? config_values[id].text : "";
}

int config_list(enum config_id id, const char *const **words_r)
{
	static const char *const none[] = {NULL};
	const struct config_value *v = &config_values[id];

	*words_r = v->words ? (const char *const *)v->words : none;
	return v->nwords;
}

void config_print_nondefaults(FILE *fp)
{
	int i;

	for (i = 0; i < CONF__COUNT; i++)
		if (config_values[i].set && strcmp(config_values[i].text, config_params[i].def) != 0)
			fprintf(fp, "%s = %s\n", config_params[i].name, config_values[i].text);
}

void config_print_table(FILE *fp)
{
	int i;

	for (i = 0; i < CONF__COUNT; i++) {
		const struct config_param *p = &config_params[i];

		fprintf(fp, "%s|%s|%s|", p->name, config_type_names[p->type], p->def);
		if (p->type == CONFIG_STR || p->type == CONFIG_LIST)
			fprintf(fp, "|\n");
		else if (p->type == CONFIG_CHOICE)
			fprintf(fp, "%s|\n", config_choices((enum config_id)i));
		else if (p->type == CONFIG_MODE)
			fprintf(fp, "%04llo|%04llo\n", p->min, p->max);
		else
			fprintf(fp, "%lld|%lld\n", p->min, p->max);
	}
}

void config_free(void)
{
	int i;

	for (i = 0; i < CONF__COUNT; i++)
		config_value_clear(&config_values[i]);
}
