/*
 * test_milter_action - unit tests of wrappers/milter/action.h: a table of
 * scan results under each setting and the action each must give (kind,
 * log name, reply codes, X-Virus-Status), that nothing unscanned is
 * accepted unless milter_failure_action / milter_limit_action say so (and
 * then it is marked), and the reply template's expansion (%v, dropped
 * percent signs, hostile signature names, truncation).
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wrappers/milter/action.h"

struct action_case {
	enum client_status status;
	const char *detail;
	int infected, failure, limit, add_headers;	/* settings enums */
	enum action_kind kind;
	const char *name, *rcode, *xcode, *status_hdr, *text;
};

#define DEF_INF CONF_MILTER_INFECTED_ACTION_REJECT
#define DEF_FAIL CONF_MILTER_FAILURE_ACTION_TEMPFAIL
#define DEF_LIM CONF_MILTER_LIMIT_ACTION_QUARANTINE

static const struct action_case action_cases[] = {
	{CLIENT_CLEAN, "", DEF_INF, DEF_FAIL, DEF_LIM, 0, ACTION_ACCEPT, "accept", NULL, NULL, "",
	 NULL},
	{CLIENT_CLEAN, "", DEF_INF, DEF_FAIL, DEF_LIM, 1, ACTION_ACCEPT, "accept", NULL, NULL,
	 "Clean", NULL},
	{CLIENT_INFECTED, "Eicar-Test-Signature", DEF_INF, DEF_FAIL, DEF_LIM, 0, ACTION_REJECT,
	 "reject", "550", "5.7.0", "", "message refused: virus Eicar-Test-Signature found"},
	{CLIENT_INFECTED, "Worm.X", CONF_MILTER_INFECTED_ACTION_QUARANTINE, DEF_FAIL, DEF_LIM, 0,
	 ACTION_QUARANTINE, "quarantine", NULL, NULL, "Infected (Worm.X)", "virus found (Worm.X)"},
	{CLIENT_INFECTED, "Worm.X", CONF_MILTER_INFECTED_ACTION_DISCARD, DEF_FAIL, DEF_LIM, 1,
	 ACTION_DISCARD, "discard", NULL, NULL, "", NULL},
	{CLIENT_INFECTED, "Worm X\n%s", CONF_MILTER_INFECTED_ACTION_TAG, DEF_FAIL, DEF_LIM, 0,
	 ACTION_ACCEPT, "tag", NULL, NULL, "Infected (Worm_X??s)", NULL},
	{CLIENT_TEMPFAIL, "connection refused", DEF_INF, DEF_FAIL, DEF_LIM, 0, ACTION_TEMPFAIL,
	 "tempfail", "451", "4.3.0", "", NULL},
	{CLIENT_SCAN_ERROR, "Can't allocate memory", DEF_INF, DEF_FAIL, DEF_LIM, 1,
	 ACTION_TEMPFAIL, "tempfail", "451", "4.3.0", "", NULL},
	{CLIENT_TEMPFAIL, "scanner time-out", DEF_INF, CONF_MILTER_FAILURE_ACTION_ACCEPT, DEF_LIM,
	 0, ACTION_ACCEPT, "accept-unscanned", NULL, NULL, "Unscanned (scanner time-out)", NULL},
	{CLIENT_LIMIT, "INSTREAM size limit exceeded.", DEF_INF, DEF_FAIL, DEF_LIM, 0,
	 ACTION_QUARANTINE, "quarantine", NULL, NULL, "Unscanned (INSTREAM size limit exceeded.)",
	 "not scanned (INSTREAM size limit exceeded.)"},
	{CLIENT_LIMIT, "MIME part limit exceeded.", DEF_INF, DEF_FAIL,
	 CONF_MILTER_LIMIT_ACTION_TEMPFAIL, 0, ACTION_TEMPFAIL, "tempfail", "451", "4.3.0", "",
	 NULL},
	{CLIENT_LIMIT, "MIME part limit exceeded.", DEF_INF, DEF_FAIL,
	 CONF_MILTER_LIMIT_ACTION_REJECT, 0, ACTION_REJECT, "reject", "552", "5.3.4", "", NULL},
	{CLIENT_LIMIT, "MIME part limit exceeded.", DEF_INF, DEF_FAIL,
	 CONF_MILTER_LIMIT_ACTION_ACCEPT, 0, ACTION_ACCEPT, "accept-unscanned", NULL, NULL,
	 "Unscanned (MIME part limit exceeded.)", NULL},
};

/* test_table - every row of action_cases. */
static void test_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++) {
		const struct action_case *c = &action_cases[i];
		struct settings s = {.infected = c->infected, .failure = c->failure,
				     .limit = c->limit, .add_headers = c->add_headers,
				     .reject_reply = "message refused: virus %v found"};
		struct client_result res = {.status = c->status};
		struct action a;

		snprintf(res.detail, sizeof(res.detail), "%s", c->detail);
		action_decide(&s, &res, "", &a);
		print_message("case %zu: %s\n", i, a.name);
		assert_int_equal(a.kind, c->kind);
		assert_string_equal(a.name, c->name);
		if (c->rcode == NULL) {
			assert_null(a.rcode);
		} else {
			assert_string_equal(a.rcode, c->rcode);
			assert_string_equal(a.xcode, c->xcode);
		}
		assert_string_equal(a.status, c->status_hdr);
		if (c->text != NULL)
			assert_string_equal(a.text, c->text);
		assert_int_equal(a.scanned_header, c->add_headers);
		assert_null(strchr(a.text, '%'));
		assert_null(strchr(a.status, '\n'));
	}
}

/* test_no_unscanned_accept - every non-verdict under the default settings is no accept. */
static void test_no_unscanned_accept(void **state)
{
	static const enum client_status st[] = {CLIENT_TEMPFAIL, CLIENT_SCAN_ERROR, CLIENT_LIMIT};
	struct settings s = {.infected = DEF_INF, .failure = DEF_FAIL, .limit = DEF_LIM,
			     .reject_reply = "%v"};
	size_t i;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct client_result res = {.status = st[i]};
		struct action a;

		action_decide(&s, &res, NULL, &a);
		assert_int_not_equal(a.kind, ACTION_ACCEPT);
		assert_int_not_equal(a.kind, ACTION_DISCARD);
	}
}

/* test_expand - the reply template. */
static void test_expand(void **state)
{
	char buf[64];

	action_expand(buf, sizeof(buf), "virus %v found", "Eicar");
	assert_string_equal(buf, "virus Eicar found");
	action_expand(buf, sizeof(buf), "100%% sure: %v%", "W");
	assert_string_equal(buf, "100 sure: W");
	action_expand(buf, sizeof(buf), "%x%v%v", "ab");
	assert_string_equal(buf, "abab");
	action_expand(buf, 8, "found %v", "LongSignatureName");
	assert_string_equal(buf, "found L");
	action_expand(buf, sizeof(buf), "tab\there", "x");
	assert_string_equal(buf, "tab?here");
	action_expand(buf, sizeof(buf), "%v", "a%b");
	assert_string_equal(buf, "a?b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_no_unscanned_accept),
		cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
