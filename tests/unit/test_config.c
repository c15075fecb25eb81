/*
 * test_config - unit tests of common/config.h: value parsing of every
 * parameter type, config_load() of a file plus -o overrides, the getters,
 * CHOICE parameters and config_print_nondefaults().
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/config.h"

/* parse_ok - TEXT parses as TYPE; returns the number. */
static long long parse_ok(enum config_type type, const char *text)
{
	const char *error = NULL;
	long long num = -12345;

	if (config_parse_value(type, text, &num, &error) != 0)
		fail_msg("\"%s\" rejected: %s", text, error ? error : "(no error)");
	return num;
}

/* parse_bad - TEXT is rejected as TYPE, with an error string. */
static void parse_bad(enum config_type type, const char *text)
{
	const char *error = NULL;
	long long num = 0;

	if (config_parse_value(type, text, &num, &error) != -1)
		fail_msg("\"%s\" accepted as %lld", text, num);
	assert_non_null(error);
	assert_true(strlen(error) > 0);
}

/* write_conf - a temporary configuration file holding TEXT. */
static void write_conf(char *path, size_t size, const char *text)
{
	int fd;
	size_t len = strlen(text);

	snprintf(path, size, "%s/mxscan-test-config-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* load_text - config_load() of a temporary file holding TEXT. */
static int load_text(const char *text, char *const *overrides, int n, const char **error_r)
{
	char path[4096];
	int r;

	write_conf(path, sizeof(path), text);
	r = config_load(path, overrides, n, error_r);
	unlink(path);
	return r;
}

static void test_parse_int(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(CONFIG_INT, "0"), 0);
	assert_int_equal(parse_ok(CONFIG_INT, "10"), 10);
	assert_int_equal(parse_ok(CONFIG_INT, "100000"), 100000);
	assert_true(parse_ok(CONFIG_INT, "9223372036854775807") == 9223372036854775807LL);
	parse_bad(CONFIG_INT, "");
	parse_bad(CONFIG_INT, "-1");
	parse_bad(CONFIG_INT, "+1");
	parse_bad(CONFIG_INT, " 1");
	parse_bad(CONFIG_INT, "1 ");
	parse_bad(CONFIG_INT, "12abc");
	parse_bad(CONFIG_INT, "10k");
	parse_bad(CONFIG_INT, "abc");
	parse_bad(CONFIG_INT, "0x10");
	parse_bad(CONFIG_INT, "9223372036854775808");
}

static void test_parse_size(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(CONFIG_SIZE, "0"), 0);
	assert_int_equal(parse_ok(CONFIG_SIZE, "123"), 123);
	assert_int_equal(parse_ok(CONFIG_SIZE, "123b"), 123);
	assert_int_equal(parse_ok(CONFIG_SIZE, "1k"), 1024);
	assert_int_equal(parse_ok(CONFIG_SIZE, "4K"), 4096);
	assert_int_equal(parse_ok(CONFIG_SIZE, "2kb"), 2048);
	assert_int_equal(parse_ok(CONFIG_SIZE, "8m"), 8LL << 20);
	assert_int_equal(parse_ok(CONFIG_SIZE, "100M"), 100LL << 20);
	assert_int_equal(parse_ok(CONFIG_SIZE, "3mb"), 3LL << 20);
	assert_int_equal(parse_ok(CONFIG_SIZE, "1g"), 1LL << 30);
	assert_int_equal(parse_ok(CONFIG_SIZE, "4G"), 4LL << 30);
	assert_int_equal(parse_ok(CONFIG_SIZE, "2gb"), 2LL << 30);
	parse_bad(CONFIG_SIZE, "");
	parse_bad(CONFIG_SIZE, "k");
	parse_bad(CONFIG_SIZE, "-1k");
	parse_bad(CONFIG_SIZE, "1t");
	parse_bad(CONFIG_SIZE, "1 k");
	parse_bad(CONFIG_SIZE, "1kk");
	parse_bad(CONFIG_SIZE, "1.5m");
	/* overflow of the multiplication is rejected, not wrapped */
	parse_bad(CONFIG_SIZE, "9223372036854775807k");
	parse_bad(CONFIG_SIZE, "10000000000g");
}

static void test_parse_time(void **state)
{
	(void)state;
	/* plain numbers are seconds, the internal unit is milliseconds */
	assert_int_equal(parse_ok(CONFIG_TIME, "0"), 0);
	assert_int_equal(parse_ok(CONFIG_TIME, "5"), 5000);
	assert_int_equal(parse_ok(CONFIG_TIME, "120"), 120000);
	assert_int_equal(parse_ok(CONFIG_TIME, "250ms"), 250);
	assert_int_equal(parse_ok(CONFIG_TIME, "30s"), 30000);
	assert_int_equal(parse_ok(CONFIG_TIME, "2m"), 120000);
	assert_int_equal(parse_ok(CONFIG_TIME, "1h"), 3600000);
	assert_int_equal(parse_ok(CONFIG_TIME, "1d"), 86400000);
	assert_int_equal(parse_ok(CONFIG_TIME, "10S"), 10000);
	assert_int_equal(parse_ok(CONFIG_TIME, "7MS"), 7);
	parse_bad(CONFIG_TIME, "");
	parse_bad(CONFIG_TIME, "s");
	parse_bad(CONFIG_TIME, "-5s");
	parse_bad(CONFIG_TIME, "5x");
	parse_bad(CONFIG_TIME, "5 s");
	parse_bad(CONFIG_TIME, "5sec");
	parse_bad(CONFIG_TIME, "1.5s");
	parse_bad(CONFIG_TIME, "9223372036854775807");
	parse_bad(CONFIG_TIME, "9223372036854775807h");
}

static void test_parse_mode(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(CONFIG_MODE, "0660"), 0660);
	assert_int_equal(parse_ok(CONFIG_MODE, "660"), 0660);
	assert_int_equal(parse_ok(CONFIG_MODE, "0777"), 0777);
	assert_int_equal(parse_ok(CONFIG_MODE, "0"), 0);
	assert_int_equal(parse_ok(CONFIG_MODE, "0600"), 384);
	parse_bad(CONFIG_MODE, "");
	parse_bad(CONFIG_MODE, "0668");
	parse_bad(CONFIG_MODE, "0960");
	parse_bad(CONFIG_MODE, "rw-rw----");
	parse_bad(CONFIG_MODE, "-1");
	parse_bad(CONFIG_MODE, "0660 x");
}

static void test_parse_bool(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(CONFIG_BOOL, "yes"), 1);
	assert_int_equal(parse_ok(CONFIG_BOOL, "YES"), 1);
	assert_int_equal(parse_ok(CONFIG_BOOL, "true"), 1);
	assert_int_equal(parse_ok(CONFIG_BOOL, "1"), 1);
	assert_int_equal(parse_ok(CONFIG_BOOL, "no"), 0);
	assert_int_equal(parse_ok(CONFIG_BOOL, "No"), 0);
	assert_int_equal(parse_ok(CONFIG_BOOL, "false"), 0);
	assert_int_equal(parse_ok(CONFIG_BOOL, "0"), 0);
	parse_bad(CONFIG_BOOL, "");
	parse_bad(CONFIG_BOOL, "y");
	parse_bad(CONFIG_BOOL, "2");
	parse_bad(CONFIG_BOOL, "on");
	parse_bad(CONFIG_BOOL, "yes ");
	parse_bad(CONFIG_BOOL, "yesno");
}

static void test_parse_text_types(void **state)
{
	(void)state;
	/* free text is never rejected by the parser and sets the number to 0 */
	assert_int_equal(parse_ok(CONFIG_STR, "anything at all"), 0);
	assert_int_equal(parse_ok(CONFIG_STR, ""), 0);
	assert_int_equal(parse_ok(CONFIG_LIST, "a, b c"), 0);
}

static void test_defaults(void **state)
{
	const char *error = NULL;
	const char *const *words;
	int i;

	(void)state;
	/* a missing file given explicitly is an error naming it */
	assert_int_equal(config_load("/nonexistent/mxscan-test.conf", NULL, 0, &error), -1);
	assert_non_null(error);
	assert_non_null(strstr(error, "/nonexistent/mxscan-test.conf"));

	assert_int_equal(load_text("", NULL, 0, &error), 0);
	assert_int_equal(config_num(CONF_SCAND_THREADS), 10);
	assert_int_equal(config_num(CONF_SCAND_QUEUE_MAX), 200);
	assert_int_equal(config_num(CONF_SCANNER_CONNECT_TIMEOUT), 5000);
	assert_int_equal(config_num(CONF_SCANNER_TIMEOUT), 120000);
	assert_int_equal(config_num(CONF_SCAND_SOCKET_MODE), 0660);
	assert_int_equal(config_num(CONF_SCAND_STREAM_MAX_LENGTH), 100LL << 20);
	assert_int_equal(config_num(CONF_SCAND_STREAM_MEMORY_MAX), 8LL << 20);
	assert_int_equal(config_num(CONF_SCAND_TCP_ADMIN_COMMANDS), 0);
	assert_int_equal(config_num(CONF_SCAND_BYTECODE), 1);
	assert_int_equal(config_num(CONF_CONVERSION_INFECTED_ACTION), 0);
	assert_int_equal(config_num(CONF_CONVERSION_FAILURE_ACTION), 0);
	assert_string_equal(config_str(CONF_DATABASE_ROOT), "/var/lib/mxscan");
	assert_string_equal(config_str(CONF_SCAND_TCP_LISTEN), "");
	assert_string_equal(config_str(CONF_CONVERSION_INFECTED_ACTION), "substitute");
	assert_int_equal(config_list(CONF_SCAND_SCAN_ROOTS, &words), 3);
	assert_string_equal(words[0], "/tmp");
	assert_string_equal(words[1], "/var/tmp");
	assert_string_equal(words[2], "/var/spool");
	assert_null(words[3]);

	/* every default is accepted by its own parser and within bounds */
	for (i = 0; i < CONF__COUNT; i++) {
		const struct config_param *p = config_param((enum config_id)i);

		assert_non_null(p->name);
		assert_string_equal(config_str((enum config_id)i), p->def);
		if (p->type != CONFIG_STR && p->type != CONFIG_LIST && p->type != CONFIG_CHOICE) {
			assert_true(config_num((enum config_id)i) >= p->min);
			assert_true(config_num((enum config_id)i) <= p->max);
		}
	}
	config_free();
}

static void test_load_file(void **state)
{
	const char *error = NULL;
	const char *const *words;

	(void)state;
	assert_int_equal(load_text("# a comment\n"
				   "\n"
				   "scand_threads = 32\n"
				   "   # an indented comment\n"
				   "scand_socket_mode=0600\n"
				   "scanner_timeout = 2m   \n"
				   "scand_command_timeout = 1500ms\n"
				   "scand_stream_max_length = 25m\r\n"
				   "scand_tcp_admin_commands = yes\n"
				   "database_root =   /srv/db   \n"
				   "scand_tcp_listen = 127.0.0.1:3310\n"
				   "scand_scan_roots = /a,/b  /c\n"
				   "\t/d\n"
				   "scanner_connect_timeout = 3\n",
				   NULL, 0, &error),
			 0);
	assert_int_equal(config_num(CONF_SCAND_THREADS), 32);
	assert_int_equal(config_num(CONF_SCAND_SOCKET_MODE), 0600);
	assert_int_equal(config_num(CONF_SCANNER_TIMEOUT), 120000);
	assert_int_equal(config_num(CONF_SCAND_COMMAND_TIMEOUT), 1500);
	assert_int_equal(config_num(CONF_SCAND_STREAM_MAX_LENGTH), 25LL << 20);
	assert_int_equal(config_num(CONF_SCAND_TCP_ADMIN_COMMANDS), 1);
	assert_int_equal(config_num(CONF_SCANNER_CONNECT_TIMEOUT), 3000);
	assert_string_equal(config_str(CONF_DATABASE_ROOT), "/srv/db");
	assert_string_equal(config_str(CONF_SCAND_TCP_LISTEN), "127.0.0.1:3310");
	/* the continuation line joins the list */
	assert_int_equal(config_list(CONF_SCAND_SCAN_ROOTS, &words), 4);
	assert_string_equal(words[0], "/a");
	assert_string_equal(words[1], "/b");
	assert_string_equal(words[2], "/c");
	assert_string_equal(words[3], "/d");
	assert_null(words[4]);
	/* untouched values keep their defaults */
	assert_int_equal(config_num(CONF_SCAND_QUEUE_MAX), 200);
	config_free();
}

static void test_load_reload_resets(void **state)
{
	const char *error = NULL;

	(void)state;
	assert_int_equal(load_text("scand_threads = 7\n", NULL, 0, &error), 0);
	assert_int_equal(config_num(CONF_SCAND_THREADS), 7);
	/* a second load starts from the defaults again */
	assert_int_equal(load_text("scand_queue_max = 9\n", NULL, 0, &error), 0);
	assert_int_equal(config_num(CONF_SCAND_THREADS), 10);
	assert_int_equal(config_num(CONF_SCAND_QUEUE_MAX), 9);
	config_free();
}

static void test_load_unknown_parameter(void **state)
{
	const char *error = NULL;
	char path[4096];
	char want[4200];

	(void)state;
	write_conf(path, sizeof(path), "# comment\nscand_threads = 4\n\nscand_thread = 4\n");
	assert_int_equal(config_load(path, NULL, 0, &error), -1);
	assert_non_null(error);
	snprintf(want, sizeof(want), "%s:4", path);
	assert_non_null(strstr(error, want));
	assert_non_null(strstr(error, "scand_thread"));
	assert_non_null(strstr(error, "unknown"));
	unlink(path);
	config_free();
}

static void test_load_bad_lines(void **state)
{
	const char *error = NULL;
	char path[4096];
	char want[4200];

	(void)state;
	/* a line without "=" */
	write_conf(path, sizeof(path), "scand_threads 4\n");
	assert_int_equal(config_load(path, NULL, 0, &error), -1);
	snprintf(want, sizeof(want), "%s:1", path);
	assert_non_null(strstr(error, want));
	unlink(path);

	/* a continuation line with nothing to continue */
	write_conf(path, sizeof(path), "\n  scand_threads = 4\n");
	assert_int_equal(config_load(path, NULL, 0, &error), -1);
	snprintf(want, sizeof(want), "%s:2", path);
	assert_non_null(strstr(error, want));
	unlink(path);

	/* an error in a continued value names the line it started on */
	write_conf(path, sizeof(path), "scand_threads = 5\nscand_queue_max =\n  0\n\n# end\n");
	assert_int_equal(config_load(path, NULL, 0, &error), -1);
	snprintf(want, sizeof(want), "%s:2:", path);
	assert_non_null(strstr(error, want));
	assert_non_null(strstr(error, "scand_queue_max"));
	unlink(path);

	/* a malformed value names the line and the parameter */
	write_conf(path, sizeof(path), "scand_threads = 4\nscanner_timeout = soon\n");
	assert_int_equal(config_load(path, NULL, 0, &error), -1);
	snprintf(want, sizeof(want), "%s:2", path);
	assert_non_null(strstr(error, want));
	assert_non_null(strstr(error, "scanner_timeout"));
	unlink(path);
	config_free();
}

static void test_load_out_of_bounds(void **state)
{
	const char *error = NULL;
	char path[4096];
	char want[4200];

	(void)state;
	write_conf(path, sizeof(path), "scand_threads = 513\n");
	assert_int_equal(config_load(path, NULL, 0, &error), -1);
	snprintf(want, sizeof(want), "%s:1", path);
	assert_non_null(strstr(error, want));
	assert_non_null(strstr(error, "scand_threads"));
	assert_non_null(strstr(error, "range"));
	unlink(path);

	/* the bounds themselves are allowed */
	assert_int_equal(load_text("scand_threads = 512\nscand_queue_max = 1\n", NULL, 0, &error),
			 0);
	assert_int_equal(config_num(CONF_SCAND_THREADS), 512);
	assert_int_equal(config_num(CONF_SCAND_QUEUE_MAX), 1);

	assert_int_equal(load_text("scand_threads = 0\n", NULL, 0, &error), -1);
	/* time bounds are in milliseconds: 10ms..300s */
	assert_int_equal(load_text("scanner_connect_timeout = 9ms\n", NULL, 0, &error), -1);
	assert_non_null(strstr(error, "ms"));
	assert_int_equal(load_text("scanner_connect_timeout = 10ms\n", NULL, 0, &error), 0);
	assert_int_equal(config_num(CONF_SCANNER_CONNECT_TIMEOUT), 10);
	assert_int_equal(load_text("scanner_connect_timeout = 301\n", NULL, 0, &error), -1);
	assert_int_equal(load_text("scanner_connect_timeout = 5m\n", NULL, 0, &error), 0);
	assert_int_equal(config_num(CONF_SCANNER_CONNECT_TIMEOUT), 300000);
	/* mode 0..0777, size 1..4g */
	assert_int_equal(load_text("scand_socket_mode = 1000\n", NULL, 0, &error), -1);
	assert_int_equal(load_text("scand_stream_max_length = 0\n", NULL, 0, &error), -1);
	assert_int_equal(load_text("scand_stream_max_length = 4g\n", NULL, 0, &error), -1);
	assert_int_equal(load_text("scand_stream_max_length = 4294967295\n", NULL, 0, &error),
			 0);
	assert_int_equal(config_num(CONF_SCAND_STREAM_MAX_LENGTH), 4294967295LL);
	config_free();
}

static void test_overrides(void **state)
{
	const char *error = NULL;
	char ov1[] = "scand_threads=20";
	char ov2[] = " scanner_timeout = 30s ";
	char ov3[] = "scand_threads=21";
	char *const ovs[] = {ov1, ov2, ov3};

	(void)state;
	assert_int_equal(load_text("scand_threads = 5\nscand_queue_max = 50\n", ovs, 3, &error), 0);
	/* overrides are applied after the file, in order */
	assert_int_equal(config_num(CONF_SCAND_THREADS), 21);
	assert_int_equal(config_num(CONF_SCANNER_TIMEOUT), 30000);
	assert_int_equal(config_num(CONF_SCAND_QUEUE_MAX), 50);
	/* the caller's strings are not modified */
	assert_string_equal(ov1, "scand_threads=20");
	assert_string_equal(ov2, " scanner_timeout = 30s ");
	config_free();
}

static void test_override_errors(void **state)
{
	const char *error = NULL;
	char ok[] = "scand_threads=20";
	char unknown[] = "no_such_parameter=1";
	char bad[] = "scand_threads=1000";
	char noeq[] = "scand_threads";
	char *const ovs1[] = {ok, unknown};
	char *const ovs2[] = {bad};
	char *const ovs3[] = {noeq};

	(void)state;
	assert_int_equal(load_text("", ovs1, 2, &error), -1);
	assert_non_null(error);
	assert_non_null(strstr(error, "no_such_parameter"));
	assert_non_null(strstr(error, "-o option 2"));

	assert_int_equal(load_text("", ovs2, 1, &error), -1);
	assert_non_null(strstr(error, "-o option 1"));
	assert_non_null(strstr(error, "scand_threads"));

	assert_int_equal(load_text("", ovs3, 1, &error), -1);
	assert_non_null(strstr(error, "-o option 1"));
	config_free();
}

static void test_list_split(void **state)
{
	const char *error = NULL;
	const char *const *words;
	char ov1[] = "scanner_endpoints = unix:/a.sock,tcp:host:3310 ,, \t tcp:[::1]:3310,";
	char ov2[] = "scand_scan_roots =";
	char *const ovs[] = {ov1, ov2};

	(void)state;
	assert_int_equal(load_text("", ovs, 2, &error), 0);
	assert_string_equal(config_str(CONF_SCANNER_ENDPOINTS),
			    "unix:/a.sock,tcp:host:3310 ,, \t tcp:[::1]:3310,");
	assert_int_equal(config_list(CONF_SCANNER_ENDPOINTS, &words), 3);
	assert_string_equal(words[0], "unix:/a.sock");
	assert_string_equal(words[1], "tcp:host:3310");
	assert_string_equal(words[2], "tcp:[::1]:3310");
	assert_null(words[3]);
	/* an empty list has no words but a valid array */
	assert_string_equal(config_str(CONF_SCAND_SCAN_ROOTS), "");
	assert_int_equal(config_list(CONF_SCAND_SCAN_ROOTS, &words), 0);
	assert_non_null(words);
	assert_null(words[0]);
	config_free();

	/* after config_free the getters still return something safe */
	assert_string_equal(config_str(CONF_DATABASE_ROOT), "");
	assert_int_equal(config_list(CONF_SCANNER_ENDPOINTS, &words), 0);
	assert_null(words[0]);
}

static void test_choice(void **state)
{
	static const char *const words[] = {"substitute", "delete", "bounce", "hold", "discard"};
	const char *error = NULL;
	char ov[64];
	char *const ovs[] = {ov};
	size_t i;

	(void)state;
	assert_string_equal(config_choices(CONF_CONVERSION_INFECTED_ACTION),
			    "substitute delete bounce hold discard");
	assert_string_equal(config_choices(CONF_CONVERSION_FAILURE_ACTION), "retry hold pass");
	assert_string_equal(config_choices(CONF_SCAND_THREADS), "");

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(ov, sizeof(ov), "conversion_infected_action = %s", words[i]);
		assert_int_equal(load_text("", ovs, 1, &error), 0);
		assert_int_equal(config_num(CONF_CONVERSION_INFECTED_ACTION), (long long)i);
		assert_string_equal(config_str(CONF_CONVERSION_INFECTED_ACTION), words[i]);
	}
	assert_int_equal(load_text("conversion_failure_action = pass\n", NULL, 0, &error), 0);
	assert_int_equal(config_num(CONF_CONVERSION_FAILURE_ACTION), 2);

	/* other words, prefixes, two words and a word of another choice fail */
	{
		static const char *const bad[] = {"reject", "subst", "substitutes", "",
						  "delete bounce", "retry", "Substitute", "2"};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(ov, sizeof(ov), "conversion_infected_action = %s", bad[i]);
			error = NULL;
			if (load_text("", ovs, 1, &error) != -1)
				fail_msg("choice \"%s\" accepted", bad[i]);
			assert_non_null(error);
			assert_non_null(strstr(error, "substitute delete bounce hold discard"));
		}
	}
	config_free();
}

/*
 * Every word of every CHOICE parameter, with its enum constant, made from
 * the same X-macros as config.h and config.c; get reads the value back
 * through the parameter's typed getter.
 */
#define CHOICE_GETTER(id, name) \
	static long long get_##name(void) { return (long long)config_##name(); }
CONFIG_CHOICES(CHOICE_GETTER)
#undef CHOICE_GETTER

static const struct choice_word {
	enum config_id id;
	const char *param;	/* the parameter's name as CONFIG_CHOICES spells it */
	long long (*get)(void);
	long long value;	/* CONF_<ID>_<WORD> */
	const char *constant;	/* "<WORD>" */
	const char *word;
} choice_words[] = {
#define CHOICE_WORD_ROW(id, word, text) {CONF_##id, NULL, NULL, CONF_##id##_##word, #word, text},
#define CHOICE_ROWS(id, name) \
	{CONF_##id, #name, get_##name, -1, NULL, NULL}, CONFIG_WORDS_##id(CHOICE_WORD_ROW, id)
	CONFIG_CHOICES(CHOICE_ROWS)
#undef CHOICE_ROWS
#undef CHOICE_WORD_ROW
};

/* word_constant - WORD as its enum constant spells it: upper case, '-' as '_'. */
static void word_constant(const char *word, char *buf, size_t size)
{
	size_t i;

	for (i = 0; word[i] != '\0' && i + 1 < size; i++)
		buf[i] = word[i] == '-' ? '_' : (char)toupper((unsigned char)word[i]);
	buf[i] = '\0';
}

static void test_choice_enums(void **state)
{
	const struct choice_word *head = NULL;
	const char *error = NULL, *joined = NULL;
	int choices = 0, table_choices = 0, n = 0;
	char ov[128], want[64];
	char *const ovs[] = {ov};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(choice_words) / sizeof(choice_words[0]); i++) {
		const struct choice_word *w = &choice_words[i];

		if (w->param != NULL) {	/* a parameter: its words follow */
			assert_true(head == NULL || joined[0] == '\0');
			head = w;
			choices++;
			n = 0;
			joined = config_choices(w->id);
			assert_string_equal(config_param(w->id)->name, w->param);
			assert_int_equal(config_param(w->id)->type, CONFIG_CHOICE);
			continue;
		}
		assert_non_null(head);
		assert_int_equal(w->id, head->id);
		/* the constants count 0, 1, 2, ... in word order */
		assert_int_equal(w->value, n);
		n++;
		/* the constant is named after its word */
		word_constant(w->word, want, sizeof(want));
		assert_string_equal(w->constant, want);
		/* the word is the next one config_choices() lists */
		assert_true(strncmp(joined, w->word, strlen(w->word)) == 0);
		joined += strlen(w->word);
		assert_true(*joined == ' ' || *joined == '\0');
		joined += *joined == ' ';
		/* parsing the word gives the constant back, through both getters */
		snprintf(ov, sizeof(ov), "%s = %s", head->param, w->word);
		if (load_text("", ovs, 1, &error) != 0)
			fail_msg("%s rejected: %s", ov, error);
		assert_int_equal(config_num(w->id), w->value);
		assert_int_equal(head->get(), w->value);
		assert_string_equal(config_str(w->id), w->word);
	}
	assert_non_null(joined);
	assert_string_equal(joined, "");	/* the last parameter lists no more words */
	for (i = 0; i < CONF__COUNT; i++)
		table_choices += config_param((enum config_id)i)->type == CONFIG_CHOICE;
	assert_int_equal(choices, table_choices);
	assert_true(choices >= 6);
	config_free();
}

/* print_nondefaults - config_print_nondefaults() output as a string. */
static void print_nondefaults(char *buf, size_t size)
{
	FILE *fp = tmpfile();
	size_t n;

	assert_non_null(fp);
	config_print_nondefaults(fp);
	rewind(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void test_print_nondefaults(void **state)
{
	const char *error = NULL;
	char out[4096];
	char ov[] = "conversion_infected_action=hold";
	char *const ovs[] = {ov};

	(void)state;
	assert_int_equal(load_text("", NULL, 0, &error), 0);
	print_nondefaults(out, sizeof(out));
	assert_string_equal(out, "");

	/* a value set to its default is not printed; changed ones are, in
	 * table order, as written */
	assert_int_equal(load_text("scand_threads = 10\n"
				   "scand_queue_max = 300\n"
				   "database_root = /srv/db\n"
				   "scanner_timeout = 2m\n",
				   ovs, 1, &error),
			 0);
	print_nondefaults(out, sizeof(out));
	assert_string_equal(out, "database_root = /srv/db\n"
				 "scanner_timeout = 2m\n"
				 "scand_queue_max = 300\n"
				 "conversion_infected_action = hold\n");
	config_free();
}

/* test_parse_range - RANGE values ("lo-hi"), table-driven, and their bounds. */
static void test_parse_range(void **state)
{
	static const struct {
		const char *text;
		long long lo, hi;	/* -1: rejected */
	} cases[] = {
		{"1024-2048", 1024, 2048}, {"5-5", 5, 5}, {"0-65535", 0, 65535},
		{"00080-90", 80, 90}, {"", -1, -1}, {"-", -1, -1}, {"1024", -1, -1},
		{"1024-", -1, -1}, {"-2048", -1, -1}, {"2048-1024", -1, -1}, {"a-b", -1, -1},
		{"1k-2k", -1, -1}, {"1024 -2048", -1, -1}, {"1024- 2048", -1, -1},
		{"1024-2048-3000", -1, -1}, {"-5-10", -1, -1}, {"1024_2048", -1, -1},
		{"99999999999999999999-1", -1, -1},
	};
	const char *error;
	long long lo, hi, num;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		error = NULL;
		r = config_parse_range(cases[i].text, &lo, &hi, &error);
		if (cases[i].lo < 0) {
			if (r != -1 || error == NULL)
				fail_msg("\"%s\" accepted as %lld-%lld", cases[i].text, lo, hi);
			parse_bad(CONFIG_RANGE, cases[i].text);
			continue;
		}
		if (r != 0)
			fail_msg("\"%s\" rejected: %s", cases[i].text, error);
		assert_int_equal(lo, cases[i].lo);
		assert_int_equal(hi, cases[i].hi);
		num = parse_ok(CONFIG_RANGE, cases[i].text);
		assert_int_equal(num, cases[i].lo);
	}

	/* The table's bounds apply to both ends; config_range() gives both. */
	assert_int_equal(load_text("scand_stream_ports = 3310-3320\n", NULL, 0, &error), 0);
	config_range(CONF_SCAND_STREAM_PORTS, &lo, &hi);
	assert_int_equal(lo, 3310);
	assert_int_equal(hi, 3320);
	assert_int_equal(load_text("", NULL, 0, &error), 0);
	config_range(CONF_SCAND_STREAM_PORTS, &lo, &hi);
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 2048);
	assert_int_equal(load_text("scand_stream_ports = 80-2048\n", NULL, 0, &error), -1);
	assert_non_null(strstr(error, ":1: scand_stream_ports: range out of bounds (1024..65535)"));
	assert_int_equal(load_text("scand_stream_ports = 1024-65536\n", NULL, 0, &error), -1);
	assert_non_null(strstr(error, "range out of bounds"));
	assert_int_equal(load_text("scand_stream_ports = 2048-1024\n", NULL, 0, &error), -1);
	assert_non_null(strstr(error, "low end is above its high end"));
	config_free();
}

static void test_print_table(void **state)
{
	char buf[16384];
	FILE *fp = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(fp);
	config_print_table(fp);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "scand_threads|integer|10|1|512\n"));
	assert_non_null(strstr(buf, "scand_stream_ports|range|1024-2048|1024|65535\n"));
	assert_non_null(strstr(buf, "scand_socket_mode|mode|0660|0000|0777\n"));
	assert_non_null(strstr(buf, "database_root|string|/var/lib/mxscan||\n"));
	assert_non_null(
		strstr(buf, "conversion_infected_action|choice|substitute|"
			    "substitute delete bounce hold discard|\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_text_types),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_reload_resets),
		cmocka_unit_test(test_load_unknown_parameter),
		cmocka_unit_test(test_load_bad_lines),
		cmocka_unit_test(test_load_out_of_bounds),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_override_errors),
		cmocka_unit_test(test_list_split),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_choice_enums),
		cmocka_unit_test(test_print_nondefaults),
		cmocka_unit_test(test_print_table),
		cmocka_unit_test(test_parse_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
