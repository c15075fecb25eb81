/*
 * clamdconf.h - clamd's own configuration file (clamd.conf) as input to
 * mxscan.conf.
 *
 * One table maps every key clamd accepts to what mxscand does with it:
 * a key is mapped (its value, converted, sets an mxscan.conf parameter),
 * accepted when its value is what mxscand does anyway, ignored with a
 * warning (harmless: logging details, on-access scanning, idle threads),
 * or refused with an error naming the file and line (it would change
 * behaviour and mxscand cannot honour it).  An unknown key is an error,
 * as in clamd.  mxscand(8) documents the table.
 */
#ifndef MX_CLAMDCONF_H
#define MX_CLAMDCONF_H

#include <stdio.h>

enum clamdconf_kind {
	CLAMDCONF_MAP,		/* sets the parameter(s) in .param */
	CLAMDCONF_SAME,		/* fine when the value is .param, else .other */
	CLAMDCONF_WARN,		/* ignored with a warning */
	CLAMDCONF_REFUSE,	/* an error naming the line */
};

struct clamdconf_key {
	const char *key;		/* as clamd spells it (case matters) */
	enum clamdconf_kind kind;
	int conv;			/* how the value is read (clamdconf.c) */
	const char *param;		/* MAP: parameter names, blank-separated;
					 * SAME: the one value mxscand honours */
	enum clamdconf_kind other;	/* SAME: WARN or REFUSE for another value */
	const char *why;		/* the reason given for WARN and REFUSE */
};

/* clamdconf_keys - the whole table; *n_r gets its length. */
const struct clamdconf_key *clamdconf_keys(int *n_r);

/*
 * clamdconf_apply - read FILE (clamd.conf syntax: "Key value" lines, "#"
 * comments) and set the mxscan.conf parameters its keys map to, over the
 * values already loaded (config_assign_at, so an out-of-range value is
 * refused as in mxscan.conf).  Ignored keys are logged as warnings naming
 * FILE:LINE.  Returns 0, or -1 with *error_r naming FILE:LINE and the key
 * for an unknown key, a malformed value, or a refused key.  The mapping
 * is kept for clamdconf_print.
 */
int clamdconf_apply(const char *file, const char **error_r);

/*
 * clamdconf_print - the mapping done by the last clamdconf_apply, one
 * "# FILE:LINE: Key value -> parameter = value" (or "-> ignored: why")
 * comment line per key, for mxscand -n.
 */
void clamdconf_print(FILE *fp);

/* clamdconf_free - forget the mapping (NULL-safe, at exit). */
void clamdconf_free(void);

#endif
