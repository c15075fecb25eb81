/*
 * test_policy.c - common/policy, common/dispname, common/cidr and the
 * MIMEFACTS fact lines of common/mimescan: signature rules and their
 * precedence (a real detection outranks a heuristic one, an ignored
 * signature passes, every decision names its rule), banned true types
 * and archive members, encrypted archives, exclusions by network,
 * authentication, sender and recipients.
 */
#include "auto-config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buffer.h"
#include "common/cidr.h"
#include "common/dispname.h"
#include "common/mimescan.h"
#include "common/policy.h"

/* A reply line: "P" part lines "path|verdict-detail" (detail "" is OK),
 * fact lines as the daemon writes them. */
struct line {
	int fact;
	const char *path;
	enum mimescan_fact_kind kind;
	const char *word;	/* fact word, or the part's signature (FOUND) */
	int depth;
	const char *name;
};

/* reply - the reply of LINES (ending with path NULL) and a final line. */
static void reply(const struct line *lines, struct buffer *out)
{
	char buf[MIMESCAN_LINE_MAX];
	int n;

	for (; lines->path != NULL; lines++) {
		if (lines->fact) {
			struct mimescan_fact f;

			memset(&f, 0, sizeof(f));
			f.kind = lines->kind;
			f.depth = lines->depth;
			if (lines->kind == MIMESCAN_FACT_SIG)
				snprintf(f.detail, sizeof(f.detail), "%s", lines->word);
			else
				snprintf(f.word, sizeof(f.word), "%s", lines->word);
			if (lines->name != NULL) {
				f.has_name = 1;
				snprintf(f.name, sizeof(f.name), "%s", lines->name);
			}
			n = mimescan_format_fact(buf, sizeof(buf), 7, lines->path, &f);
		} else {
			n = mimescan_format_part(buf, sizeof(buf), 7, lines->path,
						 "application/octet-stream", lines->name,
						 lines->word ? PROTO_VERDICT_INFECTED :
							       PROTO_VERDICT_CLEAN, lines->word);
		}
		assert_true(n > 0);
		buffer_append(out, buf, (size_t)n);
	}
	n = mimescan_format_final(buf, sizeof(buf), 7, PROTO_VERDICT_CLEAN, NULL, '\0');
	buffer_append(out, buf, (size_t)n);
}

/* decide - the decision of S on LINES. */
static void decide(const struct policy_settings *s, const struct line *lines,
		   struct policy_decision *d)
{
	struct buffer b = BUFFER_INIT;
	const char *err = NULL;
	struct policy *p = policy_new(s, &err);

	if (p == NULL)
		fail_msg("policy_new: %s", err);
	reply(lines, &b);
	policy_decision_init(d);
	if (policy_decide_reply(p, buffer_data(&b), buffer_len(&b), '\0', 7, d, &err) < 0)
		fail_msg("policy_decide_reply: %s", err);
	buffer_free(&b);
	policy_free(&p);
}

static const struct policy_settings base = {
	.banned_in_archives = 1, .banned_encrypted = POLICY_TAG,
	.banned_action = POLICY_INFECTED, .infected = POLICY_QUARANTINE,
};

/* A Heuristics.* hit and a real one: the real one's action, whatever comes first. */
static void test_real_outranks_heuristic(void **state)
{
	struct policy_settings s = base;
	static const struct line lines[] = {
		{0, "1", 0, "Heuristics.Phishing.Email.SpoofedDomain", 0, NULL},
		{0, "2", 0, "Win.Trojan.Agent-1", 0, "a.doc"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	struct policy_decision d;

	(void)state;
	s.signature_rules = "/^Heuristics\\./ reject, /^Win\\.Trojan\\./ tag";
	decide(&s, lines, &d);
	assert_int_equal(d.nhits, 2);
	assert_int_equal(d.action, POLICY_TAG);
	assert_string_equal(d.hits[d.decisive].label, "Win.Trojan.Agent-1");
	assert_non_null(strstr(d.reason, "signature_rules[2] /^Win\\.Trojan\\./"));
	policy_decision_free(&d);
	/* Without a rule for it the real one gets the infected action. */
	s.signature_rules = "/^Heuristics\\./ tag";
	decide(&s, lines, &d);
	assert_int_equal(d.action, POLICY_QUARANTINE);
	assert_string_equal(d.hits[d.decisive].label, "Win.Trojan.Agent-1");
	assert_non_null(strstr(d.reason, "the infected action"));
	policy_decision_free(&d);
	/* The heuristic hit alone decides by its rule. */
	decide(&s, lines, &d);
	policy_decision_free(&d);
	{
		static const struct line one[] = {
			{0, "1", 0, "Heuristics.Phishing.Email.SpoofedDomain", 0, NULL},
			{0, NULL, 0, NULL, 0, NULL},
		};

		decide(&s, one, &d);
		assert_int_equal(d.action, POLICY_TAG);
		assert_non_null(strstr(d.reason, "signature_rules[1] /^Heuristics\\./"));
		policy_decision_free(&d);
	}
}

/* A further match (SIG fact) counts as a hit of its reading. */
static void test_all_matches(void **state)
{
	struct policy_settings s = base;
	static const struct line lines[] = {
		{1, "2", MIMESCAN_FACT_SIG, "Win.Trojan.Agent-1", 0, NULL},
		{0, "2", 0, "PUA.Win.Packer.Upx", 0, "a.exe"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	struct policy_decision d;

	(void)state;
	s.signature_rules = "/^PUA\\./ tag";
	decide(&s, lines, &d);
	assert_int_equal(d.action, POLICY_QUARANTINE);
	assert_string_equal(d.hits[d.decisive].label, "Win.Trojan.Agent-1");
	policy_decision_free(&d);
}

/* An ignored signature passes; a later rule does not see it. */
static void test_ignored(void **state)
{
	struct policy_settings s = base;
	static const struct line lines[] = {
		{0, "2", 0, "Win.Test.FalsePositive-1", 0, "report.pdf"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	struct policy_decision d;

	(void)state;
	s.signature_rules = "/^Win\\.Test\\.FalsePositive-1$/ ignore /^Win\\./ reject";
	decide(&s, lines, &d);
	assert_int_equal(d.action, POLICY_PASS);
	assert_int_equal(d.nhits, 1);
	assert_int_equal(d.hits[0].action, POLICY_PASS);
	assert_string_equal(d.hits[0].rule, "signature_rules[1] /^Win\\.Test\\.FalsePositive-1$/");
	policy_decision_free(&d);
	s.signature_rules = "/^Win\\./ reject";
	decide(&s, lines, &d);
	assert_int_equal(d.action, POLICY_REJECT);
	policy_decision_free(&d);
}

/* True types and archive members, nested; banned_in_archives off. */
static void test_types_and_members(void **state)
{
	struct policy_settings s = base;
	static const struct line renamed[] = {
		{1, "2", MIMESCAN_FACT_NAME, "filename", 0, "invoice.pdf"},
		{1, "2", MIMESCAN_FACT_TYPE, "MSEXE", 0, NULL},
		{0, "2", 0, NULL, 0, "invoice.pdf"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	static const struct line nested[] = {
		{1, "2", MIMESCAN_FACT_TYPE, "ZIP", 0, NULL},
		{1, "2", MIMESCAN_FACT_MEMBER, "ZIP", 1, "in.zip"},
		{1, "2", MIMESCAN_FACT_MEMBER, "MSEXE", 2, "clam.exe"},
		{0, "2", 0, NULL, 0, "outer.zip"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	static const struct line ole2[] = {
		{1, "2", MIMESCAN_FACT_TYPE, "MSOLE2", 0, NULL},
		{0, "2", 0, NULL, 0, "minutes.doc"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	struct policy_decision d;

	(void)state;
	s.banned_types = "PE ELF";
	s.banned_action = POLICY_REJECT;
	decide(&s, renamed, &d);
	assert_int_equal(d.action, POLICY_REJECT);
	assert_string_equal(d.hits[d.decisive].label, "Banned.Type.PE");
	assert_non_null(strstr(d.reason, "banned_types PE"));
	policy_decision_free(&d);
	decide(&s, nested, &d);
	assert_string_equal(d.hits[d.decisive].label, "Banned.Type.PE");
	assert_non_null(strstr(d.reason, "in an archive"));
	policy_decision_free(&d);
	/* the OFFICE group names libclamav's own types (MSOLE2, OOXML_*) */
	s.banned_types = "OFFICE";
	decide(&s, ole2, &d);
	assert_int_equal(d.action, POLICY_REJECT);
	assert_string_equal(d.hits[d.decisive].label, "Banned.Type.OFFICE");
	policy_decision_free(&d);
	decide(&s, renamed, &d);
	assert_int_equal(d.action, POLICY_PASS);
	policy_decision_free(&d);
	s.banned_types = NULL;
	s.banned_names = "*.exe";
	decide(&s, nested, &d);
	assert_string_equal(d.hits[d.decisive].label, "Banned.Name.exe");
	policy_decision_free(&d);
	s.banned_in_archives = 0;
	decide(&s, nested, &d);
	assert_int_equal(d.action, POLICY_PASS);
	assert_int_equal(d.nhits, 0);
	policy_decision_free(&d);
}

/* Encrypted archives: their own label and banned_encrypted, below real malware. */
static void test_encrypted(void **state)
{
	struct policy_settings s = base;
	static const struct line enc[] = {
		{0, "2", 0, "Heuristics.Encrypted.Zip", 0, "secret.zip"},
		{0, NULL, 0, NULL, 0, NULL},
	};
	struct policy_decision d;

	(void)state;
	decide(&s, enc, &d);
	assert_int_equal(d.action, POLICY_TAG);
	assert_string_equal(d.hits[d.decisive].label, "Banned.Encrypted.Zip");
	assert_int_equal(d.hits[d.decisive].category, POLICY_ENCRYPTED);
	policy_decision_free(&d);
	s.banned_encrypted = POLICY_PASS;
	decide(&s, enc, &d);
	assert_int_equal(d.action, POLICY_PASS);
	policy_decision_free(&d);
}

/* Exclusions: networks (v4, v6, mapped), authentication, senders, recipients. */
static void test_skip(void **state)
{
	struct policy_settings s = base;
	const char *err = NULL, *rcpt_ok[] = {"<a@example.org>", "b@Sub.Example.ORG"};
	const char *rcpt_mixed[] = {"a@example.org", "c@elsewhere.net"};
	struct policy_envelope e;
	struct policy *p;
	char why[256];

	(void)state;
	s.skip_networks = "10.0.0.0/8, 2001:db8::/32 192.0.2.7";
	s.allow_senders = "@trusted.example /^scanner-[0-9]+@lab\\.example$/ boss@corp.example";
	s.allow_recipients = "example.org";
	p = policy_new(&s, &err);
	assert_non_null(p);
	memset(&e, 0, sizeof(e));
	e.client_addr = "10.20.30.40";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "policy_skip_networks"));
	e.client_addr = "IPv6:2001:db8:1::5";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	e.client_addr = "::ffff:10.1.1.1";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	e.client_addr = "192.0.2.8";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 0);
	e.client_addr = "11.0.0.1";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 0);
	e.authenticated = 1;	/* policy_skip_authenticated is off */
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 0);
	e.sender = "<x@mail.trusted.example> SIZE=100";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	e.sender = "x@untrusted.example";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 0);
	e.sender = "Scanner-42@lab.example";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	e.sender = "boss@corp.example";
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	e.sender = "";
	e.rcpt = rcpt_ok;
	e.nrcpt = 2;
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	e.rcpt = rcpt_mixed;
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 0);
	policy_free(&p);
	s.skip_authenticated = 1;
	p = policy_new(&s, &err);
	assert_int_equal(policy_skip(p, &e, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "authenticated"));
	policy_free(&p);
	/* Bad settings are refused with the setting named. */
	s.skip_networks = "10.0.0.0/33";
	assert_null(policy_new(&s, &err));
	assert_non_null(strstr(err, "policy_skip_networks"));
	s.skip_networks = NULL;
	s.signature_rules = "/^Heur/ destroy";
	assert_null(policy_new(&s, &err));
	assert_non_null(strstr(err, "signature_rules"));
	s.signature_rules = "/([/ tag";
	assert_null(policy_new(&s, &err));
}

/* Fact lines: round trip, and the parser's refusals. */
static void test_fact_lines(void **state)
{
	static const char *const bad[] = {
		"2 NAME filename evil.exe",	/* unquoted */
		"2 NAME filename \"\"",
		"2 NAME \"evil.exe\"",
		"2 TYPE MS EXE",
		"2 MEMBER 0 ZIP \"a\"",
		"2 MEMBER 1 ZIP \"a\" x",
		"2 MEMBER x ZIP -",
		"2 SIG ",
		"2 COLOUR blue",
		"2.x TYPE ZIP",
	};
	struct mimescan_fact f, g;
	struct mimescan_part p;
	const char *err;
	char line[MIMESCAN_LINE_MAX];
	size_t i, pos = 0;
	int n;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.kind = MIMESCAN_FACT_MEMBER;
	f.depth = 3;
	snprintf(f.word, sizeof(f.word), "MSEXE");
	f.has_name = 1;
	snprintf(f.name, sizeof(f.name), "a \"b\"\\\n\342\200\256.exe");
	n = mimescan_format_fact(line, sizeof(line), 0, "2.1", &f);
	assert_true(n > 0);
	assert_int_equal(mimescan_parse_fact(line, (size_t)n - 1, 0, &g, &err), 0);
	assert_int_equal(g.kind, MIMESCAN_FACT_MEMBER);
	assert_int_equal(g.depth, 3);
	assert_string_equal(g.word, "MSEXE");
	assert_string_equal(g.name, f.name);
	assert_string_equal(g.part, "2.1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mimescan_parse_fact(bad[i], strlen(bad[i]), 0, &g, &err) == 0)
			fail_msg("accepted: %s", bad[i]);
	/* mimescan_next_part steps over fact lines; next_line returns them. */
	snprintf(line, sizeof(line), "1 TYPE ZIP\n1 application/zip \"a.zip\" OK\nstream: OK");
	n = (int)strlen(line) + 1;
	assert_int_equal(mimescan_next_part(line, (size_t)n, '\0', 0, &pos, &p, &err), 1);
	assert_string_equal(p.name, "a.zip");
	pos = 0;
	assert_int_equal(mimescan_next_line(line, (size_t)n, '\0', 0, &pos, &p, &g, &err), 2);
	assert_string_equal(g.word, "ZIP");
}

/* Names as Windows opens them. */
static void test_dispname(void **state)
{
	static const struct {
		const char *in, *name, *ext;
		int flags;
	} rows[] = {
		{"Invoice.PDF.exe", "invoice.pdf.exe", "exe", DISPNAME_DOUBLE},
		{"evil.exe. . ", "evil.exe", "exe", DISPNAME_TRAILING},
		{"evil.exe::$DATA", "evil.exe", "exe", DISPNAME_TRAILING},
		{"a\342\200\256fdp.exe", "afdp.exe", "exe", DISPNAME_BIDI},
		{"C:\\x\\y.scr", "y.scr", "scr", DISPNAME_DIRECTORY},
		{"noext", "noext", "", 0},
	};
	struct dispname d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(dispname_normalise(rows[i].in, &d), 0);
		assert_string_equal(d.name, rows[i].name);
		assert_string_equal(d.ext, rows[i].ext);
		assert_int_equal(d.flags & rows[i].flags, rows[i].flags);
	}
	assert_int_equal(dispname_normalise(" . . ", &d), -1);
	assert_true(dispname_glob("*.EXE", "a.exe"));
	assert_false(dispname_glob("*.exe", "a.exe.txt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_outranks_heuristic),
		cmocka_unit_test(test_all_matches),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_types_and_members),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_fact_lines),
		cmocka_unit_test(test_dispname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
