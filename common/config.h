/*
 * config.h - the typed configuration table (mxscan.conf and -o overrides).
 *
 * Parameters are declared once in config_table.h and addressed by
 * CONF_<ID>.  config_load() reads a Postfix-style "name = value" file and
 * then the -o overrides; after it returns 0 every value is parsed,
 * bounds-checked and read-only, so the getters are safe from any thread.
 */
#ifndef MX_CONFIG_H
#define MX_CONFIG_H

#include <stdio.h>

#include "common/config_table.h"

enum config_type {
	CONFIG_STR,
	CONFIG_LIST,
	CONFIG_INT,
	CONFIG_MODE,
	CONFIG_SIZE,
	CONFIG_TIME,
	CONFIG_BOOL,
	CONFIG_CHOICE,
	CONFIG_RANGE,		/* lo-hi, both ends within min..max */
};

#define CONFIG_ID(id, name, type, def, min, max, doc) CONF_##id,
enum config_id { CONFIG_TABLE(CONFIG_ID) CONF__COUNT };
#undef CONFIG_ID

struct config_param {
	const char *name;
	enum config_type type;
	const char *def;
	long long min, max;
	const char *doc;
};

/* The compiled-in default configuration file. */
extern const char config_default_file[];

/* config_param - the declaration of one parameter. */
const struct config_param *config_param(enum config_id id);

/*
 * config_load - reset to defaults, read FILE (NULL: the default file, which
 * may be missing), then apply the "name=value" OVERRIDES (n of them).
 * Returns 0, or -1 with *error_r naming file:line or the override.
 */
int config_load(const char *file, char *const *overrides, int n, const char **error_r);

/*
 * config_apply_overrides - apply the "name=value" OVERRIDES (n of them)
 * again, e.g. after another source has set values they must win over.
 * Returns 0, or -1 with *error_r naming the override.
 */
int config_apply_overrides(char *const *overrides, int n, const char **error_r);

/*
 * config_assign_at - set parameter NAME (which must exist: a programmer
 * error panics) to VALUE as if the file had said so; WHERE names the
 * origin for the error.  Returns 0, or -1 with *error_r naming WHERE,
 * the parameter and why the value is refused.
 */
int config_assign_at(const char *name, const char *value, const char *where,
		     const char **error_r);

/* config_num - INT, MODE, SIZE, TIME (milliseconds) and BOOL values, and
 * the index of a CHOICE value among its words. */
long long config_num(enum config_id id);

/*
 * One enum per CHOICE parameter, its constants in word order, and a typed
 * getter, all made from CONFIG_CHOICES in config_table.h, e.g.
 *
 *	enum config_filter_mode { CONF_FILTER_MODE_AFTER_QUEUE,
 *				  CONF_FILTER_MODE_BEFORE_QUEUE };
 *	enum config_filter_mode config_filter_mode(void);
 *
 * The getter is config_num() of that parameter, typed, so a value cannot
 * be read as another choice's enum.
 */
#define CONFIG_WORD_ENUM(id, word, text) CONF_##id##_##word,
#define CONFIG_CHOICE_ENUM(id, name)                                             \
	enum config_##name { CONFIG_WORDS_##id(CONFIG_WORD_ENUM, id) };          \
	static inline enum config_##name config_##name(void)                    \
	{                                                                        \
		return (enum config_##name)config_num(CONF_##id);                \
	}
CONFIG_CHOICES(CONFIG_CHOICE_ENUM)
#undef CONFIG_CHOICE_ENUM
#undef CONFIG_WORD_ENUM

/* config_range - the two ends of a RANGE value ("1024-2048"). */
void config_range(enum config_id id, long long *lo_r, long long *hi_r);

/*
 * config_parse_range - TEXT as "lo-hi" (decimal, lo <= hi) into *lo_r and
 * *hi_r.  Returns 0, or -1 with *error_r set.  Exposed for unit tests.
 */
int config_parse_range(const char *text, long long *lo_r, long long *hi_r, const char **error_r);

/* config_str - STR and LIST values as written (never NULL). */
const char *config_str(enum config_id id);

/*
 * config_list - LIST values split into words; returns the count and points
 * *words_r at a NULL-terminated array owned by the configuration.
 */
int config_list(enum config_id id, const char *const **words_r);

/* config_print_nondefaults - "name = value" for every non-default value. */
void config_print_nondefaults(FILE *fp);

/*
 * config_print_table - every parameter as "name|type|default|min|max";
 * for a choice the min field lists its words and max is empty.
 */
void config_print_table(FILE *fp);

/*
 * config_parse_value - parse TEXT as a value of TYPE into *num_r.
 * Returns 0, or -1 with *error_r set.  Exposed for unit tests.
 */
int config_parse_value(enum config_type type, const char *text, long long *num_r,
		       const char **error_r);

/* config_choices - the words of a CHOICE parameter ("" for others). */
const char *config_choices(enum config_id id);

/* config_free - release what config_load allocated (at exit). */
void config_free(void);

#endif
