/*
 * test_names.c - every name a client could show for an attachment, found
 * by the policy: a table of header blocks (RFC 2231 and RFC 2047
 * variants, duplicated parameters and headers, right-to-left overrides,
 * trailing dots and spaces, double extensions), each banned one with a
 * clean twin.  Each part is parsed by GMime as mxscand parses it, its
 * NAME lines written by scanner/facts.c and its part line by
 * common/mimescan.c, and the whole reply decided by common/policy.c, so
 * the test covers the daemon's side, the wire and the client's side.
 */
#include "auto-config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "common/buffer.h"
#include "common/mimescan.h"
#include "common/policy.h"
#include "scanner/facts.h"

struct name_case {
	const char *what;
	const char *headers;	/* the part's header block, lines joined by CR LF */
	int banned;
};

static const struct name_case cases[] = {
	{"quoted filename", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.exe\"", 1},
	{"quoted filename (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.txt\"", 0},
	{"token filename", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=evil.exe", 1},
	{"token filename (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=evil.txt", 0},
	{"Content-Type name only", "Content-Type: application/octet-stream; name=\"evil.exe\"", 1},
	{"Content-Type name only (clean twin)", "Content-Type: application/octet-stream; name=\"evil.txt\"", 0},
	{"name and filename differ", "Content-Type: application/octet-stream; name=\"evil.exe\"\r\nContent-Disposition: attachment; filename=\"report.txt\"", 1},
	{"name and filename differ (clean twin)", "Content-Type: application/octet-stream; name=\"evil.txt\"\r\nContent-Disposition: attachment; filename=\"report.txt\"", 0},
	{"filename and name differ", "Content-Type: application/octet-stream; name=\"report.txt\"\r\nContent-Disposition: attachment; filename=\"evil.exe\"", 1},
	{"filename and name differ (clean twin)", "Content-Type: application/octet-stream; name=\"report.txt\"\r\nContent-Disposition: attachment; filename=\"evil.txt\"", 0},
	{"RFC 2047 B in quoted filename", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?ZXZpbC5leGU=?=\"", 1},
	{"RFC 2047 B in quoted filename (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?ZXZpbC50eHQ=?=\"", 0},
	{"RFC 2047 Q in quoted name", "Content-Type: application/octet-stream; name=\"=?utf-8?Q?evil=2Eexe?=\"", 1},
	{"RFC 2047 Q in quoted name (clean twin)", "Content-Type: application/octet-stream; name=\"=?utf-8?Q?evil=2Etxt?=\"", 0},
	{"RFC 2047 unquoted", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename==?utf-8?Q?evil=2Eexe?=", 1},
	{"RFC 2047 unquoted (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename==?utf-8?Q?evil=2Etxt?=", 0},
	{"RFC 2047 two encoded words", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?Q?invo?= =?utf-8?Q?ice=2Eexe?=\"", 1},
	{"RFC 2047 two encoded words (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?Q?invo?= =?utf-8?Q?ice=2Etxt?=\"", 0},
	{"RFC 2047 iso-8859-1 B", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?iso-8859-1?B?6XZpbC5leGU=?=\"", 1},
	{"RFC 2047 iso-8859-1 B (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?iso-8859-1?B?6XZpbC50eHQ=?=\"", 0},
	{"RFC 2231 utf-8", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''evil.exe", 1},
	{"RFC 2231 utf-8 (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''evil.txt", 0},
	{"RFC 2231 continuations", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*0=\"evi\"; filename*1=\"l.exe\"", 1},
	{"RFC 2231 continuations (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*0=\"evi\"; filename*1=\"l.txt\"", 0},
	{"RFC 2231 continuations out of order", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*1=\"l.exe\"; filename*0=\"evi\"", 1},
	{"RFC 2231 continuations out of order (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*1=\"l.txt\"; filename*0=\"evi\"", 0},
	{"RFC 2231 encoded continuations", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*0*=utf-8''evil; filename*1*=.exe", 1},
	{"RFC 2231 encoded continuations (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*0*=utf-8''evil; filename*1*=.txt", 0},
	{"RFC 2231 iso-8859-1", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=iso-8859-1'fr'%E9vil.exe", 1},
	{"RFC 2231 iso-8859-1 (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=iso-8859-1'fr'%E9vil.txt", 0},
	{"RFC 2231 in Content-Type name", "Content-Type: application/octet-stream; name*=utf-8''evil.exe", 1},
	{"RFC 2231 in Content-Type name (clean twin)", "Content-Type: application/octet-stream; name*=utf-8''evil.txt", 0},
	{"duplicated filename, second banned", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.txt\"; filename=\"evil.exe\"", 1},
	{"duplicated filename, second banned (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.txt\"; filename=\"evil.txt\"", 0},
	{"duplicated filename, first banned", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.exe\"; filename=\"report.txt\"", 1},
	{"duplicated filename, first banned (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.txt\"; filename=\"report.txt\"", 0},
	{"duplicated Content-Disposition headers", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.txt\"\r\nContent-Disposition: attachment; filename=\"evil.exe\"", 1},
	{"duplicated Content-Disposition headers (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.txt\"\r\nContent-Disposition: attachment; filename=\"evil.txt\"", 0},
	{"plain and RFC 2231 filename differ", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.txt\"; filename*=utf-8''evil.exe", 1},
	{"plain and RFC 2231 filename differ (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.txt\"; filename*=utf-8''evil.txt", 0},
	{"upper-case parameter name", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; FILENAME=\"evil.exe\"", 1},
	{"upper-case parameter name (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; FILENAME=\"evil.txt\"", 0},
	{"upper-case extension", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"EVIL.EXE\"", 1},
	{"upper-case extension (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"EVIL.TXT\"", 0},
	{"folded header", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n\tfilename=\r\n \"evil.exe\"", 1},
	{"folded header (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n\tfilename=\r\n \"evil.txt\"", 0},
	{"Windows path", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"C:\\\\temp\\\\evil.exe\"", 1},
	{"Windows path (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"C:\\\\temp.exe\\\\evil.txt\"", 0},
	{"Unix path", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../evil.exe\"", 1},
	{"Unix path (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../evil.exe/evil.txt\"", 0},
	{"trailing dot", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.exe.\"", 1},
	{"trailing dot (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.txt.\"", 0},
	{"trailing spaces", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.exe   \"", 1},
	{"trailing spaces (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.txt   \"", 0},
	{"trailing dots and spaces", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.exe . . .\"", 1},
	{"trailing dots and spaces (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.txt . . .\"", 0},
	{"trailing dots in RFC 2231", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''evil.exe..", 1},
	{"trailing dots in RFC 2231 (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''evil.txt..", 0},
	{"NTFS stream suffix", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.exe::$DATA\"", 1},
	{"NTFS stream suffix (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"evil.txt::$DATA\"", 0},
	{"right-to-left override, RFC 2231", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe", 1},
	{"right-to-left override, RFC 2231 (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEexe.pdf", 0},
	{"right-to-left override, RFC 2047", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?aW52b2ljZeKArmZkcC5leGU=?=\"", 1},
	{"right-to-left override, RFC 2047 (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?aW52b2ljZeKArmV4ZS5wZGY=?=\"", 0},
	{"right-to-left embedding and pop", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%E2%80%ABevil.exe%E2%80%AC", 1},
	{"right-to-left embedding and pop (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%E2%80%ABevil.txt%E2%80%AC", 0},
	{"zero-width and BOM", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%EF%BB%BFevil.%E2%80%8Dexe", 1},
	{"zero-width and BOM (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%EF%BB%BFevil.%E2%80%8Dtxt", 0},
	{"double extension", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"invoice.pdf.exe\"", 1},
	{"double extension (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"invoice.exe.pdf\"", 0},
	{"double extension with spaces", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"invoice.pdf                    .exe\"", 1},
	{"double extension with spaces (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"invoice.exe                    .pdf\"", 0},
	{"screensaver", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"photo.jpg.scr\"", 1},
	{"screensaver (clean twin)", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"photo.scr.jpg\"", 0},
	{"script", "Content-Type: application/octet-stream; name=\"readme.txt.js\"", 1},
	{"script (clean twin)", "Content-Type: application/octet-stream; name=\"readme.js.txt\"", 0},
};

/* reply_of - the MIMEFACTS reply mxscand writes for one clean part. */
static void reply_of(const char *headers, struct buffer *out)
{
	char *text = g_strdup_printf("%s\r\n\r\nhello\r\n", headers);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeObject *obj = g_mime_parser_construct_part(parser, NULL);
	char line[MIMESCAN_LINE_MAX];
	int n;

	assert_non_null(obj);
	facts_names(out, 0, "2", obj);
	n = mimescan_format_part(line, sizeof(line), 0, "2", "application/octet-stream",
				 GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL,
				 PROTO_VERDICT_CLEAN, NULL);
	assert_true(n > 0);
	buffer_append(out, line, (size_t)n);
	n = mimescan_format_final(line, sizeof(line), 0, PROTO_VERDICT_CLEAN, NULL, '\0');
	assert_true(n > 0);
	buffer_append(out, line, (size_t)n);
	g_object_unref(obj);
	g_object_unref(parser);
	g_object_unref(stream);
	g_free(text);
}

static void test_names(void **state)
{
	struct policy_settings s = {
		.banned_names = "exe, .scr *.js", .banned_in_archives = 1,
		.banned_encrypted = POLICY_TAG, .banned_action = POLICY_REJECT,
		.infected = POLICY_QUARANTINE,
	};
	const char *err = NULL;
	struct policy *p = policy_new(&s, &err);
	size_t i;
	int banned = 0, clean = 0;

	(void)state;
	assert_non_null(p);
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 60);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer reply = BUFFER_INIT;
		struct policy_decision d;

		reply_of(cases[i].headers, &reply);
		policy_decision_init(&d);
		if (policy_decide_reply(p, buffer_data(&reply), buffer_len(&reply), '\0', 0, &d,
					&err) < 0)
			fail_msg("%s: the reply does not parse: %s", cases[i].what, err);
		if (cases[i].banned && (d.action != POLICY_REJECT || d.decisive < 0 ||
					strncmp(d.hits[d.decisive].label, "Banned.Name.", 12) != 0))
			fail_msg("%s: not banned (%s)\n%.*s", cases[i].what, d.reason,
				 (int)buffer_len(&reply), (const char *)buffer_data(&reply));
		if (!cases[i].banned && (d.action != POLICY_PASS || d.nhits != 0))
			fail_msg("%s: banned (%s)\n%.*s", cases[i].what, d.reason,
				 (int)buffer_len(&reply), (const char *)buffer_data(&reply));
		banned += cases[i].banned;
		clean += !cases[i].banned;
		policy_decision_free(&d);
		buffer_free(&reply);
	}
	assert_int_equal(banned, clean);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
	};
	int r;

	g_mime_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return r;
}
