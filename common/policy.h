/*
 * policy.h - the mail policy: banned attachments, rules by signature
 * name and exclusions, one decision per message with its reason.
 *
 * Every client that acts on a message (mxscan-filter, the milter,
 * "mxscan --mime --policy") feeds the policy the lines of a MIMEFACTS
 * reply (common/mimescan.h: part lines with their verdicts, and fact
 * lines with every name a client could show, the true type, archive
 * members and every further signature) and the envelope, and gets back
 * one decision: an action and the rule that chose it.  mxscan-conversion,
 * which sees one part, feeds that part's names and its signature the
 * same way.  The policy knows no program: the caller maps the action to
 * its own (a 550 reply, a quarantine, a part substituted) and gives the
 * action its own infected setting stands for.
 *
 * What is banned is reported like a detection, with a name of its own:
 * Banned.Name.<ext>, Banned.Type.<type>, Banned.Encrypted.<kind>.
 *
 * Precedence: each hit (a signature, or a banned name, type or
 * encryption) gets an action: the first matching signature_rules entry,
 * else banned_action, banned_encrypted or the infected action.  Hits
 * whose action is "pass" count for nothing.  Real detections and banned
 * parts outrank Heuristics.* and PUA.* hits (encryption included), as
 * libclamav itself lets a real signature win over a heuristic one: only
 * when no real or banned hit is left do those decide.  Among the hits
 * that decide, the strongest action wins (pass < tag < strip <
 * quarantine < discard < reject); on a tie, the first in the reply.
 *
 * A policy is built once (policy_new) and is then read-only: any number
 * of threads may decide with it.  A decision owns its hits
 * (policy_decision_free).  No GMime, no libclamav: part of libmxcommon.
 */
#ifndef MX_POLICY_H
#define MX_POLICY_H

#include <stddef.h>

#include "common/mimescan.h"

/* Actions, weakest first (after INFECTED, which stands for the caller's
 * infected action and is never a decision's action).  The order of
 * CONFIG_WORDS_POLICY_ACTION in config_table.h. */
enum policy_action {
	POLICY_INFECTED,
	POLICY_PASS,
	POLICY_TAG,
	POLICY_STRIP,
	POLICY_QUARANTINE,
	POLICY_DISCARD,
	POLICY_REJECT,
};

/* What a hit is. */
enum policy_category {
	POLICY_MALWARE,		/* a signature, not Heuristics.* or PUA.* */
	POLICY_HEURISTIC,	/* Heuristics.*, PUA.* */
	POLICY_BANNED_NAME,
	POLICY_BANNED_TYPE,
	POLICY_ENCRYPTED,	/* Heuristics.Encrypted.*: Banned.Encrypted.<kind> */
};

/* The settings a policy is made of (strings as in mxscan.conf). */
struct policy_settings {
	const char *banned_names;	/* LIST: globs or extensions */
	const char *banned_types;	/* LIST: libclamav types, groups, globs */
	int banned_in_archives;
	enum policy_action banned_encrypted;
	enum policy_action banned_action;
	const char *signature_rules;	/* "/regex/ action" ... */
	const char *skip_networks;	/* LIST: CIDR */
	int skip_authenticated;
	const char *allow_senders;	/* LIST: user@domain, @domain, /regex/ */
	const char *allow_recipients;
	enum policy_action infected;	/* what POLICY_INFECTED means: never INFECTED */
};

/* The envelope facts of one message (any member may be NULL or 0). */
struct policy_envelope {
	const char *client_addr;	/* as Postfix gives it: "192.0.2.1", "IPv6:..." */
	int authenticated;
	const char *sender;		/* "user@domain", with or without <> */
	const char *const *rcpt;
	int nrcpt;
};

/* One thing found in a message, with what the policy makes of it. */
struct policy_hit {
	char path[MIMESCAN_PATH_MAX];	/* the part or reading */
	enum policy_category category;
	enum policy_action action;	/* never POLICY_INFECTED */
	char label[MIMESCAN_DETAIL_MAX];	/* signature, or Banned.Name.exe ... */
	char rule[320];			/* the rule that gave the action */
	char what[MIMESCAN_NAME_MAX];	/* the name or type that was banned, or "" */
};

/* The outcome for one message. */
struct policy_decision {
	enum policy_action action;	/* POLICY_PASS: deliver as it is */
	int decisive;			/* index in hits of the hit that decided, -1 if none */
	struct policy_hit *hits;	/* every hit, in reply order, duplicates dropped */
	int nhits, cap;
	char reason[1024];		/* one printable ASCII line: label, part, rule */
};

struct policy;

/*
 * policy_settings_from_config - S from the loaded configuration, with
 * INFECTED as the caller's infected action.
 */
void policy_settings_from_config(struct policy_settings *s, enum policy_action infected);

/*
 * policy_new - compile S.  Returns the policy, or NULL with *error_r (a
 * static buffer naming the setting and the entry) for a bad glob, regex,
 * action or network.
 */
struct policy *policy_new(const struct policy_settings *s, const char **error_r);

/* policy_free - release *P and set it to NULL (NULL is a no-op). */
void policy_free(struct policy **p);

/*
 * policy_active - 1 when P bans names or types or has signature rules,
 * so the caller must ask mxscand for MIMEFACTS (and not only MIMESCAN);
 * 0 for the default settings, with which a client keeps to MIMESCAN and
 * its own infected action (banned_encrypted then has nothing to judge:
 * only MIMEFACTS reports encryption).
 */
int policy_active(const struct policy *p);

/* policy_may - 1 when some hit could get action A under P. */
int policy_may(const struct policy *p, enum policy_action a);

/*
 * policy_skip - 1 when the message with envelope E is excluded from
 * scanning (policy_skip_networks, policy_skip_authenticated, an allowed
 * sender, all recipients allowed), with the reason in WHY (SIZE bytes,
 * printable ASCII); 0 otherwise.
 */
int policy_skip(const struct policy *p, const struct policy_envelope *e, char *why, size_t size);

/* policy_decision_init - an empty decision (action PASS). */
void policy_decision_init(struct policy_decision *d);

/*
 * policy_add_part, policy_add_fact - one line of a MIMESCAN or MIMEFACTS
 * reply: a FOUND part line adds its signature, a part line's name and
 * every NAME fact are checked against banned_names, TYPE facts against
 * banned_types, MEMBER facts against both (with banned_in_archives), SIG
 * facts add their signature.  ERROR part lines add nothing (the reply's
 * verdict says what failed).
 */
void policy_add_part(const struct policy *p, struct policy_decision *d,
		     const struct mimescan_part *part);
void policy_add_fact(const struct policy *p, struct policy_decision *d,
		     const struct mimescan_fact *f);

/*
 * policy_add_name, policy_add_type, policy_add_signature - one name, true
 * type or signature of the part PATH (for a client that has no reply
 * lines, such as the conversion channel's one part).  IN_ARCHIVE: the
 * name or type is an archive member's.
 */
void policy_add_name(const struct policy *p, struct policy_decision *d, const char *path,
		     const char *name, int in_archive);
void policy_add_type(const struct policy *p, struct policy_decision *d, const char *path,
		     const char *type, int in_archive);
void policy_add_signature(const struct policy *p, struct policy_decision *d, const char *path,
			  const char *sig);

/* policy_finish - choose the action and write the reason (see above). */
void policy_finish(struct policy_decision *d);

/*
 * policy_decide_reply - every line of the MIMESCAN or MIMEFACTS reply
 * REPLY (LEN bytes with the terminator TERM, IDSESSION id ID), then
 * policy_finish.  Returns 0, or -1 with *error_r for a line that does not
 * parse (D then holds what came before it).
 */
int policy_decide_reply(const struct policy *p, const char *reply, size_t len, char term,
			unsigned id, struct policy_decision *d, const char **error_r);

/* policy_decision_free - release D's hits (D may be reused after init). */
void policy_decision_free(struct policy_decision *d);

/* policy_action_word - "pass", "tag", ..., "infected". */
const char *policy_action_word(enum policy_action a);

/* policy_category_word - "malware", "heuristic", "banned-name", ... */
const char *policy_category_word(enum policy_category c);

#endif
