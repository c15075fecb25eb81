/*
 * policy.c - banned attachments, signature rules, exclusions and the
 * decision (see policy.h).
 *
 * policy_new compiles the settings once: name patterns lower-cased,
 * signature rules as POSIX extended regexes, networks as CIDR blocks.
 * Each added line becomes zero or more hits; policy_finish picks the
 * one that decides.  Names are matched in the form Windows opens them
 * (common/dispname.h).
 */
#include "auto-config.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cidr.h"
#include "common/config.h"
#include "common/dispname.h"
#include "common/policy.h"
#include "common/xalloc.h"

struct policy_rule {
	regex_t re;
	enum policy_action action;
	char text[256];		/* "signature_rules[N] /re/" */
};

/* An allow-list entry: exact address, domain, or regex. */
struct policy_addr {
	enum { POLICY_ADDR_EXACT, POLICY_ADDR_DOMAIN, POLICY_ADDR_REGEX } kind;
	char *text;		/* lower-cased address or domain; the pattern */
	regex_t re;
};

struct policy_list {
	char **v;
	int n;
};

struct policy {
	struct policy_settings s;	/* the strings are not kept */
	struct policy_list names, types;
	struct policy_rule *rules;
	int nrules;
	struct cidr *nets;
	int nnets;
	struct policy_addr *senders, *recipients;
	int nsenders, nrecipients;
};

/* Groups of libclamav types (CL_TYPE_ dropped) that banned_types may name. */
static const struct {
	const char *group, *type;
} policy_type_groups[] = {
	{"PE", "MSEXE"},	 {"ELF", "ELF"},	   {"MACHO", "MACHO"},
	{"MACHO", "MACHO_UNIBIN"}, {"SCRIPT", "SCRIPT"},   {"OFFICE", "MSOLE2"},
	{"OFFICE", "OOXML_WORD"},  {"OFFICE", "OOXML_XL"}, {"OFFICE", "OOXML_PPT"},
	{"OFFICE", "XML_WORD"},	 {"OFFICE", "XML_XL"},	   {"OFFICE", "XML_HWP"},
	{"JAVA", "JAVA"},
};

static char policy_why[512];

/* policy_fail - the error text of policy_new. */
__attribute__((format(printf, 2, 3)))
static struct policy *policy_fail(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(policy_why, sizeof(policy_why), fmt, ap);
	va_end(ap);
	*error_r = policy_why;
	return NULL;
}

/* policy_split - TEXT's words (blanks and commas between) into L. */
static void policy_split(const char *text, struct policy_list *l)
{
	const char *s = text != NULL ? text : "";

	l->v = NULL;
	l->n = 0;
	for (;;) {
		size_t n;

		s += strspn(s, " \t\r\n,");
		if (*s == '\0')
			break;
		n = strcspn(s, " \t\r\n,");
		l->v = xrealloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrndup(s, n);
		s += n;
	}
}

static void policy_list_free(struct policy_list *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* policy_lower - ASCII lower case in place. */
static char *policy_lower(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* policy_action_of - an action word of signature_rules ("ignore" is pass). */
static int policy_action_of(const char *w, size_t n, enum policy_action *a)
{
	static const char *const words[] = {"infected", "pass",	   "tag",   "strip",
					    "quarantine", "discard", "reject"};
	size_t i;

	if (n == 6 && strncasecmp(w, "ignore", 6) == 0) {
		*a = POLICY_PASS;
		return 0;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0) {
			*a = (enum policy_action)i;
			return 0;
		}
	return -1;
}

/* policy_rules - signature_rules: "/regex/ action" pairs, blanks or commas between. */
static int policy_rules(struct policy *p, const char *text, const char **error_r)
{
	const char *s = text != NULL ? text : "";

	for (;;) {
		struct policy_rule *r;
		char *re = xmalloc(strlen(s) + 1);
		size_t o = 0, n;
		int err;

		s += strspn(s, " \t\r\n,");
		if (*s == '\0') {
			free(re);
			return 0;
		}
		if (*s++ != '/') {
			free(re);
			policy_fail(error_r, "signature_rules: expected /regex/ at \"%.40s\"", s - 1);
			return -1;
		}
		for (; *s != '\0' && !(*s == '/' && (s[1] == ' ' || s[1] == '\t')); s++) {
			if (*s == '\\' && s[1] == '/')
				s++;
			re[o++] = *s;
		}
		re[o] = '\0';
		if (*s != '/') {
			policy_fail(error_r, "signature_rules: /%.40s has no closing / and action", re);
			free(re);
			return -1;
		}
		s++;
		s += strspn(s, " \t");
		n = strcspn(s, " \t\r\n,");
		p->rules = xrealloc(p->rules, (size_t)(p->nrules + 1) * sizeof(*p->rules));
		r = &p->rules[p->nrules];
		if (policy_action_of(s, n, &r->action) < 0) {
			policy_fail(error_r, "signature_rules: /%.40s/: bad action \"%.*s\"", re,
				    (int)(n < 40 ? n : 40), s);
			free(re);
			return -1;
		}
		if ((err = regcomp(&r->re, re, REG_EXTENDED | REG_NOSUB)) != 0) {
			char msg[128];

			regerror(err, &r->re, msg, sizeof(msg));
			policy_fail(error_r, "signature_rules: /%.40s/: %s", re, msg);
			free(re);
			return -1;
		}
		if (r->action == POLICY_INFECTED)
			r->action = p->s.infected;
		p->nrules++;
		snprintf(r->text, sizeof(r->text), "signature_rules[%d] /%.200s/", p->nrules, re);
		free(re);
		s += n;
	}
}

/* policy_addrs - an allow list: user@domain, @domain or domain, /regex/. */
static int policy_addrs(const char *name, const char *text, struct policy_addr **v, int *nv,
			const char **error_r)
{
	struct policy_list l;
	int i;

	policy_split(text, &l);
	*v = xcalloc((size_t)l.n + 1, sizeof(**v));
	*nv = 0;
	for (i = 0; i < l.n; i++) {
		struct policy_addr *a = &(*v)[(*nv)++];
		size_t n = strlen(l.v[i]);

		if (n >= 2 && l.v[i][0] == '/' && l.v[i][n - 1] == '/') {
			a->kind = POLICY_ADDR_REGEX;
			a->text = xstrndup(l.v[i] + 1, n - 2);
			if (regcomp(&a->re, a->text, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
				free(a->text);
				(*nv)--;
				policy_fail(error_r, "%s: bad regex %.80s", name, l.v[i]);
				policy_list_free(&l);
				return -1;
			}
		} else if (l.v[i][0] == '@' || strchr(l.v[i], '@') == NULL) {
			a->kind = POLICY_ADDR_DOMAIN;
			a->text = policy_lower(xstrdup(l.v[i] + (l.v[i][0] == '@')));
		} else {
			a->kind = POLICY_ADDR_EXACT;
			a->text = policy_lower(xstrdup(l.v[i]));
		}
	}
	policy_list_free(&l);
	return 0;
}

void policy_settings_from_config(struct policy_settings *s, enum policy_action infected)
{
	memset(s, 0, sizeof(*s));
	s->banned_names = config_str(CONF_BANNED_NAMES);
	s->banned_types = config_str(CONF_BANNED_TYPES);
	s->banned_in_archives = (int)config_num(CONF_BANNED_IN_ARCHIVES);
	s->banned_encrypted = (enum policy_action)config_num(CONF_BANNED_ENCRYPTED);
	s->banned_action = (enum policy_action)config_num(CONF_BANNED_ACTION);
	s->signature_rules = config_str(CONF_SIGNATURE_RULES);
	s->skip_networks = config_str(CONF_POLICY_SKIP_NETWORKS);
	s->skip_authenticated = (int)config_num(CONF_POLICY_SKIP_AUTHENTICATED);
	s->allow_senders = config_str(CONF_POLICY_ALLOW_SENDERS);
	s->allow_recipients = config_str(CONF_POLICY_ALLOW_RECIPIENTS);
	s->infected = infected;
}

struct policy *policy_new(const struct policy_settings *s, const char **error_r)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	struct policy_list nets;
	int i;

	p->s = *s;
	p->s.banned_names = p->s.banned_types = p->s.signature_rules = NULL;
	p->s.skip_networks = p->s.allow_senders = p->s.allow_recipients = NULL;
	if (p->s.infected == POLICY_INFECTED)
		p->s.infected = POLICY_QUARANTINE;
	if (p->s.banned_action == POLICY_INFECTED)
		p->s.banned_action = p->s.infected;
	if (p->s.banned_encrypted == POLICY_INFECTED)
		p->s.banned_encrypted = p->s.infected;
	policy_split(s->banned_names, &p->names);
	for (i = 0; i < p->names.n; i++) {
		char *w = policy_lower(p->names.v[i]);

		if (strpbrk(w, "*?[") == NULL) {	/* an extension: ".exe", "exe" */
			p->names.v[i] = xasprintf("*.%s", w + (w[0] == '.'));
			free(w);
		}
	}
	policy_split(s->banned_types, &p->types);
	policy_split(s->skip_networks, &nets);
	p->nets = xcalloc((size_t)nets.n + 1, sizeof(*p->nets));
	for (i = 0; i < nets.n; i++) {
		const char *why;

		if (cidr_parse(nets.v[i], &p->nets[i], &why) < 0) {
			policy_fail(error_r, "policy_skip_networks: %.80s: %s", nets.v[i], why);
			policy_list_free(&nets);
			policy_free(&p);
			return NULL;
		}
		p->nnets++;
	}
	policy_list_free(&nets);
	if (policy_rules(p, s->signature_rules, error_r) < 0 ||
	    policy_addrs("policy_allow_senders", s->allow_senders, &p->senders, &p->nsenders,
			 error_r) < 0 ||
	    policy_addrs("policy_allow_recipients", s->allow_recipients, &p->recipients,
			 &p->nrecipients, error_r) < 0) {
		policy_free(&p);
		return NULL;
	}
	return p;
}

static void policy_addrs_free(struct policy_addr *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (v[i].kind == POLICY_ADDR_REGEX)
			regfree(&v[i].re);
		free(v[i].text);
	}
	free(v);
}

void policy_free(struct policy **pp)
{
	struct policy *p = *pp;
	int i;

	if (p == NULL)
		return;
	policy_list_free(&p->names);
	policy_list_free(&p->types);
	for (i = 0; i < p->nrules; i++)
		regfree(&p->rules[i].re);
	free(p->rules);
	free(p->nets);
	policy_addrs_free(p->senders, p->nsenders);
	policy_addrs_free(p->recipients, p->nrecipients);
	free(p);
	*pp = NULL;
}

int policy_active(const struct policy *p)
{
	return p->names.n > 0 || p->types.n > 0 || p->nrules > 0;
}

int policy_may(const struct policy *p, enum policy_action a)
{
	int i;

	if (p->s.infected == a || ((p->names.n > 0 || p->types.n > 0) && p->s.banned_action == a) ||
	    p->s.banned_encrypted == a)
		return 1;
	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].action == a)
			return 1;
	return 0;
}

/* policy_addr_bare - ADDR without <>, parameters or case into DST. */
static void policy_addr_bare(char *dst, size_t size, const char *addr)
{
	size_t n;

	if (*addr == '<')
		addr++;
	n = strcspn(addr, "> \t");
	snprintf(dst, size, "%.*s", (int)n, addr);
	policy_lower(dst);
}

/* policy_addr_listed - the entry of V that ADDR matches, or NULL. */
static const struct policy_addr *policy_addr_listed(const struct policy_addr *v, int n,
						    const char *addr)
{
	char a[512];
	const char *at;
	int i;

	policy_addr_bare(a, sizeof(a), addr);
	at = strrchr(a, '@');
	for (i = 0; i < n; i++) {
		size_t dl = strlen(v[i].text), al;

		switch (v[i].kind) {
		case POLICY_ADDR_EXACT:
			if (strcmp(a, v[i].text) == 0)
				return &v[i];
			break;
		case POLICY_ADDR_DOMAIN:
			if (at == NULL)
				break;
			al = strlen(at + 1);
			if (strcmp(at + 1, v[i].text) == 0 ||
			    (al > dl && at[al - dl] == '.' && strcmp(at + 1 + al - dl, v[i].text) == 0))
				return &v[i];
			break;
		case POLICY_ADDR_REGEX:
			if (regexec(&v[i].re, a, 0, NULL, 0) == 0)
				return &v[i];
			break;
		}
	}
	return NULL;
}

int policy_skip(const struct policy *p, const struct policy_envelope *e, char *why, size_t size)
{
	int i;

	if (e->client_addr != NULL && *e->client_addr != '\0')
		for (i = 0; i < p->nnets; i++)
			if (cidr_match(&p->nets[i], e->client_addr)) {
				snprintf(why, size, "client in policy_skip_networks");
				return 1;
			}
	if (e->authenticated && p->s.skip_authenticated) {
		snprintf(why, size, "authenticated client, policy_skip_authenticated");
		return 1;
	}
	if (e->sender != NULL && *e->sender != '\0' && *e->sender != '>' &&
	    policy_addr_listed(p->senders, p->nsenders, e->sender) != NULL) {
		snprintf(why, size, "sender in policy_allow_senders");
		return 1;
	}
	if (e->nrcpt > 0 && p->nrecipients > 0) {
		for (i = 0; i < e->nrcpt; i++)
			if (policy_addr_listed(p->recipients, p->nrecipients, e->rcpt[i]) == NULL)
				return 0;
		snprintf(why, size, "every recipient in policy_allow_recipients");
		return 1;
	}
	return 0;
}

void policy_decision_init(struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->action = POLICY_PASS;
	d->decisive = -1;
}

void policy_decision_free(struct policy_decision *d)
{
	free(d->hits);
	policy_decision_init(d);
}

/* policy_hit - add a hit unless the same one is there; the new one or NULL. */
static void policy_hit(struct policy_decision *d, const char *path, enum policy_category c,
		       enum policy_action a, const char *label, const char *rule, const char *what)
{
	struct policy_hit *h;
	int i;

	for (i = 0; i < d->nhits; i++)
		if (d->hits[i].category == c && strcmp(d->hits[i].path, path) == 0 &&
		    strcmp(d->hits[i].label, label) == 0)
			return;
	if (d->nhits == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->hits = xrealloc(d->hits, (size_t)d->cap * sizeof(*d->hits));
	}
	h = &d->hits[d->nhits++];
	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s", path);
	h->category = c;
	h->action = a;
	snprintf(h->label, sizeof(h->label), "%s", label);
	snprintf(h->rule, sizeof(h->rule), "%s", rule);
	snprintf(h->what, sizeof(h->what), "%s", what != NULL ? what : "");
}

/* policy_label_word - W as a label word: letters and digits, at most 32. */
static void policy_label_word(char *dst, size_t size, const char *w)
{
	size_t o = 0;

	for (; *w != '\0' && o + 1 < size && o < 32; w++)
		if ((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') || (*w >= '0' && *w <= '9') ||
		    *w == '_')
			dst[o++] = *w;
	dst[o] = '\0';
}

void policy_add_name(const struct policy *p, struct policy_decision *d, const char *path,
		     const char *name, int in_archive)
{
	struct dispname dn;
	char label[64], ext[40], rule[300];
	int i;

	if (p->names.n == 0 || (in_archive && !p->s.banned_in_archives) ||
	    dispname_normalise(name, &dn) < 0)
		return;
	for (i = 0; i < p->names.n; i++) {
		if (!dispname_glob(p->names.v[i], dn.name))
			continue;
		policy_label_word(ext, sizeof(ext), dn.ext);
		snprintf(label, sizeof(label), "Banned.Name%s%s", ext[0] ? "." : "", ext);
		snprintf(rule, sizeof(rule), "banned_names %.200s%s", p->names.v[i],
			 in_archive ? " in an archive" : "");
		policy_hit(d, path, POLICY_BANNED_NAME, p->s.banned_action, label, rule, name);
		return;
	}
}

void policy_add_type(const struct policy *p, struct policy_decision *d, const char *path,
		     const char *type, int in_archive)
{
	const char *group = NULL;
	char label[MIMESCAN_TYPE_MAX + 16], rule[300], word[40];
	size_t g;
	int i;

	if (p->types.n == 0 || (in_archive && !p->s.banned_in_archives))
		return;
	for (g = 0; g < sizeof(policy_type_groups) / sizeof(policy_type_groups[0]); g++)
		if (strcasecmp(policy_type_groups[g].type, type) == 0) {
			group = policy_type_groups[g].group;
			break;
		}
	for (i = 0; i < p->types.n; i++) {
		if (!dispname_glob(p->types.v[i], type) &&
		    !(group != NULL && dispname_glob(p->types.v[i], group)))
			continue;
		policy_label_word(word, sizeof(word), group != NULL ? group : type);
		snprintf(label, sizeof(label), "Banned.Type.%s", word);
		snprintf(rule, sizeof(rule), "banned_types %.200s%s", p->types.v[i],
			 in_archive ? " in an archive" : "");
		policy_hit(d, path, POLICY_BANNED_TYPE, p->s.banned_action, label, rule, type);
		return;
	}
}

void policy_add_signature(const struct policy *p, struct policy_decision *d, const char *path,
			  const char *sig)
{
	static const char enc[] = "Heuristics.Encrypted.";
	enum policy_category c = POLICY_MALWARE;
	enum policy_action a = p->s.infected;
	const char *rule = "the infected action";
	char label[MIMESCAN_DETAIL_MAX], kind[40];
	int i;

	if (strncmp(sig, "Heuristics.", 11) == 0 || strncmp(sig, "PUA.", 4) == 0)
		c = POLICY_HEURISTIC;
	snprintf(label, sizeof(label), "%s", sig);
	if (strncmp(sig, enc, sizeof(enc) - 1) == 0) {
		c = POLICY_ENCRYPTED;
		a = p->s.banned_encrypted;
		rule = "banned_encrypted";
		policy_label_word(kind, sizeof(kind), sig + sizeof(enc) - 1);
		snprintf(label, sizeof(label), "Banned.Encrypted.%s", kind);
	}
	for (i = 0; i < p->nrules; i++)
		if (regexec(&p->rules[i].re, sig, 0, NULL, 0) == 0) {
			a = p->rules[i].action;
			rule = p->rules[i].text;
			break;
		}
	policy_hit(d, path, c, a, label, rule, c == POLICY_ENCRYPTED ? sig : "");
}

void policy_add_part(const struct policy *p, struct policy_decision *d,
		     const struct mimescan_part *part)
{
	if (part->verdict == PROTO_VERDICT_INFECTED)
		policy_add_signature(p, d, part->path, part->detail);
	if (part->has_name)
		policy_add_name(p, d, part->path, part->name, 0);
}

void policy_add_fact(const struct policy *p, struct policy_decision *d,
		     const struct mimescan_fact *f)
{
	switch (f->kind) {
	case MIMESCAN_FACT_NAME:
		policy_add_name(p, d, f->path, f->name, 0);
		break;
	case MIMESCAN_FACT_TYPE:
		policy_add_type(p, d, f->path, f->word, 0);
		break;
	case MIMESCAN_FACT_MEMBER:
		if (f->has_name)
			policy_add_name(p, d, f->path, f->name, 1);
		policy_add_type(p, d, f->path, f->word, 1);
		break;
	case MIMESCAN_FACT_SIG:
		policy_add_signature(p, d, f->path, f->detail);
		break;
	}
}

/* policy_tier - 1 for what outranks heuristics (real detections, banned). */
static int policy_tier(enum policy_category c)
{
	return c == POLICY_MALWARE || c == POLICY_BANNED_NAME || c == POLICY_BANNED_TYPE;
}

void policy_finish(struct policy_decision *d)
{
	int i, best = -1, tier = 0;
	char *r;

	for (i = 0; i < d->nhits; i++)
		if (d->hits[i].action != POLICY_PASS && policy_tier(d->hits[i].category))
			tier = 1;
	for (i = 0; i < d->nhits; i++) {
		const struct policy_hit *h = &d->hits[i];

		if (h->action == POLICY_PASS || policy_tier(h->category) != tier)
			continue;
		if (best < 0 || h->action > d->hits[best].action)
			best = i;
	}
	d->decisive = best;
	d->action = best >= 0 ? d->hits[best].action : POLICY_PASS;
	if (best < 0) {
		snprintf(d->reason, sizeof(d->reason), "%s",
			 d->nhits > 0 ? "every hit passed by its rule" : "nothing found");
		return;
	}
	snprintf(d->reason, sizeof(d->reason), "%s in part %s (%s: %s)", d->hits[best].label,
		 d->hits[best].path, d->hits[best].rule, policy_action_word(d->action));
	for (r = d->reason; *r != '\0'; r++)	/* for SMTP replies and logs */
		if ((unsigned char)*r < 0x20 || (unsigned char)*r >= 0x7f)
			*r = '?';
}

int policy_decide_reply(const struct policy *p, const char *reply, size_t len, char term,
			unsigned id, struct policy_decision *d, const char **error_r)
{
	struct mimescan_part *part = xmalloc(sizeof(*part));
	struct mimescan_fact *fact = xmalloc(sizeof(*fact));
	size_t pos = 0;
	int r;

	while ((r = mimescan_next_line(reply, len, term, id, &pos, part, fact, error_r)) > 0) {
		if (r == 1)
			policy_add_part(p, d, part);
		else
			policy_add_fact(p, d, fact);
	}
	free(part);
	free(fact);
	policy_finish(d);
	return r < 0 ? -1 : 0;
}

const char *policy_action_word(enum policy_action a)
{
	static const char *const words[] = {"infected",   "pass",    "tag",   "strip",
					    "quarantine", "discard", "reject"};

	return (unsigned)a < sizeof(words) / sizeof(words[0]) ? words[a] : "?";
}

const char *policy_category_word(enum policy_category c)
{
	static const char *const words[] = {"malware", "heuristic", "banned-name", "banned-type",
					    "encrypted"};

	return (unsigned)c < sizeof(words) / sizeof(words[0]) ? words[c] : "?";
}
