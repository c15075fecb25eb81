/*
 * test_clamdconf - unit tests of common/clamdconf.h, table-driven: every
 * mapped clamd.conf key sets its mxscan.conf parameter to the converted
 * value; every refused key (and every value a SAME key cannot honour) is
 * an error naming the file, line and key; every ignored key is a warning
 * that changes nothing; every key of the table has a case here and an
 * entry in mxscand(8); Debian's stock clamd.conf loads.
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clamdconf.h"
#include "common/config.h"
#include "common/log.h"

/* A line and what it must set (PARAM = VALUE, VALUE as config_str has it). */
struct mapped_case {
	const char *line, *param, *value;
};

static const struct mapped_case mapped[] = {
	{"LocalSocket /run/clamav/clamd.ctl", "scand_socket", "/run/clamav/clamd.ctl"},
	{"LocalSocket \"/run/with space/s\"", "scand_socket", "/run/with space/s"},
	{"LocalSocketGroup clamav", "scand_socket_group", "clamav"},
	{"LocalSocketMode 666", "scand_socket_mode", "0666"},
	{"MaxConnectionQueueLength 15", "scand_listen_backlog", "15"},
	{"MaxThreads 12", "scand_threads", "12"},
	{"MaxQueue 150", "scand_queue_max", "150"},
	{"ReadTimeout 180", "scand_idle_timeout", "180s"},
	{"CommandReadTimeout 7", "scand_command_timeout", "7s"},
	{"SendBufTimeout 200", "scand_send_timeout", "200ms"},
	{"StreamMaxLength 25M", "scand_stream_max_length", "25m"},
	{"StreamMaxLength 512k", "scand_stream_max_length", "512k"},
	{"StreamMaxLength 1048576", "scand_stream_max_length", "1048576"},
	{"MaxFileSize 25M", "scand_max_filesize", "25m"},
	{"MaxScanSize 100M", "scand_max_scansize", "100m"},
	{"MaxRecursion 16", "scand_max_recursion", "16"},
	{"MaxFiles 500", "scand_max_files", "500"},
	{"MaxScanTime 60000", "scand_max_scantime", "60000ms"},
	{"MaxEmbeddedPE 10M", "scand_max_embedded_pe", "10m"},
	{"MaxHTMLNormalize 10M", "scand_max_html_normalize", "10m"},
	{"MaxHTMLNoTags 2M", "scand_max_html_notags", "2m"},
	{"MaxScriptNormalize 5M", "scand_max_script_normalize", "5m"},
	{"MaxZipTypeRcg 2M", "scand_max_ziptypercg", "2m"},
	{"MaxPartitions 60", "scand_max_partitions", "60"},
	{"MaxIconsPE 120", "scand_max_iconspe", "120"},
	{"MaxRecHWP3 8", "scand_max_hwp_recursion", "8"},
	{"PCREMatchLimit 10000", "scand_pcre_match_limit", "10000"},
	{"PCRERecMatchLimit 5000", "scand_pcre_recmatch_limit", "5000"},
	{"PCREMaxFileSize 25M", "scand_pcre_max_filesize", "25m"},
	{"DatabaseDirectory /var/lib/clamav", "database_root", "/var/lib/clamav"},
	{"SelfCheck 3600", "scand_db_check_interval", "3600s"},
	{"SelfCheck 0", "scand_db_check_interval", "0s"},
	{"OfficialDatabaseOnly yes", "scand_official_db_only", "yes"},
	{"PhishingSignatures no", "scand_phishing_signatures", "no"},
	{"PhishingScanURLs false", "scand_phishing_scan_urls", "no"},
	{"DetectPUA true", "scand_detect_pua", "yes"},
	{"Bytecode 0", "scand_bytecode", "no"},
	{"BytecodeTimeout 5000", "scand_bytecode_timeout", "5000ms"},
	{"DisableCache yes", "scand_engine_cache", "no"},
	{"User clamav", "scand_user", "clamav"},
	{"PidFile /run/clamav/clamd.pid", "scand_pid_file", "/run/clamav/clamd.pid"},
	{"TemporaryDirectory /var/tmp/clam", "scand_temp_dir", "/var/tmp/clam"},
	{"AllowAllMatchScan no", "scand_allmatchscan", "no"},
	{"HeuristicAlerts no", "scand_heuristic_alerts", "no"},
	{"AlgorithmicDetection NO", "scand_heuristic_alerts", "no"},
	{"HeuristicScanPrecedence yes", "scand_heuristic_precedence", "yes"},
	{"AlertExceedsMax no", "scand_alert_exceeds_max", "no"},
	{"BlockMax no", "scand_alert_exceeds_max", "no"},
	{"AlertBrokenExecutables yes", "scand_alert_broken_executables", "yes"},
	{"AlertBrokenMedia yes", "scand_alert_broken_media", "yes"},
	{"AlertEncrypted yes", "scand_alert_encrypted_archive", "yes"},
	{"AlertEncrypted yes", "scand_alert_encrypted_doc", "yes"},
	{"ArchiveBlockEncrypted yes", "scand_alert_encrypted_archive", "yes"},
	{"ArchiveBlockEncrypted yes", "scand_alert_encrypted_doc", "yes"},
	{"AlertEncryptedArchive yes", "scand_alert_encrypted_archive", "yes"},
	{"AlertEncryptedDoc yes", "scand_alert_encrypted_doc", "yes"},
	{"AlertOLE2Macros yes", "scand_alert_macros", "yes"},
	{"OLE2BlockMacros yes", "scand_alert_macros", "yes"},
	{"AlertPhishingSSLMismatch yes", "scand_alert_phishing_ssl", "yes"},
	{"PhishingAlwaysBlockSSLMismatch yes", "scand_alert_phishing_ssl", "yes"},
	{"AlertPhishingCloak yes", "scand_alert_phishing_cloak", "yes"},
	{"PhishingAlwaysBlockCloak yes", "scand_alert_phishing_cloak", "yes"},
	{"AlertPartitionIntersection yes", "scand_alert_partition_intersection", "yes"},
	{"PartitionIntersection yes", "scand_alert_partition_intersection", "yes"},
	/* TCPSocket and TCPAddr make one parameter. */
	{"TCPSocket 3310\nTCPAddr 127.0.0.1", "scand_tcp_listen", "127.0.0.1:3310"},
	{"TCPAddr ::1\nTCPSocket 3311", "scand_tcp_listen", "[::1]:3311"},
	{"TCPSocket 3312", "scand_tcp_listen", "0.0.0.0:3312"},
};

/* Lines that must be refused (the key is on line 2 of the file). */
static const char *const refused[] = {
	"ExcludePUA NetTool",
	"IncludePUA Spy",
	"VirusEvent /usr/bin/logger %v",
	"Example",
	"BytecodeSecurity Paranoid",
	"BytecodeUnsigned yes",
	"BytecodeMode ForceInterpreter",
	"FailIfCvdOlderThan 7",
	"FIPSCryptoHashLimits yes",
	"EnableShutdownCommand no",
	"EnableReloadCommand no",
	"EnableSelfCheckCommand no",
	"EnableVersionCommand no",
	"EnableStatsCommand no",
	"StructuredDataDetection yes",
	"ScanPE no",
	"ScanELF no",
	"ScanMail no",
	"ScanOLE2 no",
	"ScanPDF no",
	"ScanSWF no",
	"ScanHTML no",
	"ScanXMLDOCS no",
	"ScanHWP3 no",
	"ScanArchive no",
	"ScanOneNote no",
	"ScanImage no",
	"ScanImageFuzzyHash no",
	"ScanPartialMessages yes",
	/* malformed values and mxscan.conf's bounds */
	"MaxThreads ten",
	"MaxThreads 100000",
	"LocalSocketMode 999",
	"StreamMaxLength 10G",
	"SelfCheck -1",
	"LogClean maybe",
	"NoSuchKey 1",
	"localsocket /tmp/s",
	"TCPAddr 127.0.0.1\nTCPAddr 10.0.0.1",
};

/* Lines ignored with a warning, or accepted as what mxscand does. */
static const char *const ignored[] = {
	"FixStaleSocket no", "IdleTimeout 30", "ConcurrentDatabaseReload no",
	"CVDCertsDirectory /etc/certs", "CacheSize 1000", "Foreground yes", "Debug yes",
	"LeaveTemporaryFiles yes", "ExitOnOOM yes", "ForceToDisk yes", "DisableCertCheck yes",
	"GenerateMetadataJson yes", "JsonStoreHTMLURIs yes", "JsonStorePDFURIs yes",
	"JsonStoreExtraHashes yes", "LogFile /var/log/clamav/clamav.log", "LogSyslog no",
	"LogFacility LOG_LOCAL6", "LogTime yes", "LogRotate yes", "LogFileMaxSize 5M",
	"LogFileUnlock yes", "LogClean yes", "LogVerbose yes", "ExtendedDetectionInfo yes",
	"StreamMinPort 1024", "StreamMaxPort 2048", "StructuredMinCreditCardCount 5",
	"StructuredMinSSNCount 5", "StructuredSSNFormatNormal yes", "StructuredSSNFormatStripped no",
	"StructuredCCOnly no", "ExcludePath ^/proc/", "MaxDirectoryRecursion 15",
	"FollowDirectorySymlinks yes", "FollowFileSymlinks yes", "CrossFilesystems no",
	"PreludeEnable yes", "PreludeAnalyzerName ClamAV", "OnAccessMountPath /",
	"OnAccessIncludePath /home", "OnAccessExcludePath /root", "OnAccessExcludeRootUID yes",
	"OnAccessExcludeUID 0", "OnAccessExcludeUname clamav", "OnAccessMaxFileSize 5M",
	"OnAccessDisableDDD yes", "OnAccessPrevention yes", "OnAccessExtraScanning yes",
	"OnAccessCurlTimeout 5000", "OnAccessMaxThreads 5", "OnAccessRetryAttempts 3",
	"OnAccessDenyOnError yes", "DevACOnly yes", "DevACDepth 2", "DevPerformance yes",
	"DevLiblog yes", "DevCollectHashes yes", "DetectBrokenExecutables yes",
	"MailMaxRecursion 10", "ArchiveMaxScanSize 10M", "ArchiveMaxRecursion 5",
	"ArchiveMaxFiles 100", "ArchiveMaxCompressionRatio 250", "ArchiveBlockMax yes",
	"ArchiveLimitMemoryUsage yes", "MailFollowURLs no", "AllowSupplementaryGroups yes",
	"ScanOnAccess no", "StatsEnabled no", "StatsHostID auto", "StatsPEDisabled yes",
	"StatsTimeout 10", "TCPAddr 127.0.0.1",
	/* accepted: the value is what mxscand does */
	"FixStaleSocket yes", "ConcurrentDatabaseReload true", "LogSyslog yes", "ScanPE yes",
	"ScanMail 1", "ScanPartialMessages no", "StructuredDataDetection no",
	"BytecodeSecurity TrustSigned", "BytecodeMode Auto", "BytecodeUnsigned no",
	"FailIfCvdOlderThan -1", "FIPSCryptoHashLimits no", "EnableShutdownCommand yes",
	"EnableReloadCommand yes", "EnableSelfCheckCommand yes", "EnableVersionCommand yes",
	"EnableStatsCommand yes", "ScanELF yes", "ScanOLE2 yes", "ScanPDF yes", "ScanSWF yes",
	"ScanHTML yes", "ScanXMLDOCS yes", "ScanHWP3 yes", "ScanArchive yes", "ScanOneNote yes",
	"ScanImage yes", "ScanImageFuzzyHash yes", "LogClean no", "LogVerbose no",
	"PreludeEnable no", "Foreground no", "Debug no",
};

static char path[4096];

/* apply_lines - reset to defaults, then clamdconf_apply a file of a
 * comment line and LINES; returns its result. */
static int apply_lines(const char *lines, const char **error_r)
{
	char conf[4096];
	FILE *fp;
	int r;

	snprintf(conf, sizeof(conf), "%s/mxscan-test-empty.conf",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fp = fopen(conf, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(config_load(conf, NULL, 0, error_r), 0);
	unlink(conf);
	snprintf(path, sizeof(path), "%s/mxscan-test-clamd-%d.conf",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "# clamd.conf written by test_clamdconf\n%s\n", lines);
	fclose(fp);
	r = clamdconf_apply(path, error_r);
	unlink(path);
	return r;
}

/* printed - what FN prints, in a static buffer. */
static const char *printed(void (*fn)(FILE *))
{
	static char buf[65536];
	FILE *fp;

	buf[0] = '\0';
	fp = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(fp);
	fn(fp);
	fclose(fp);
	return buf;
}

/* param_id - the configuration id of NAME. */
static enum config_id param_id(const char *name)
{
	int i;

	for (i = 0; i < CONF__COUNT; i++)
		if (strcmp(config_param((enum config_id)i)->name, name) == 0)
			return (enum config_id)i;
	fail_msg("no parameter %s", name);
	return CONF__COUNT;
}

/* line_has_key - whether LINE (of a case table) starts with KEY and a blank. */
static int line_has_key(const char *line, const char *key)
{
	size_t n = strlen(key);

	return strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

static void test_mapped(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++) {
		const char *err = NULL;
		enum config_id id = param_id(mapped[i].param);

		if (apply_lines(mapped[i].line, &err) != 0)
			fail_msg("%s: refused: %s", mapped[i].line, err);
		if (strcmp(config_str(id), mapped[i].value) != 0)
			fail_msg("%s: %s = %s, want %s", mapped[i].line, mapped[i].param,
				 config_str(id), mapped[i].value);
		/* Each case changes its parameter from the default. */
		assert_string_not_equal(config_param(id)->def, mapped[i].value);
		assert_non_null(strstr(printed(clamdconf_print), mapped[i].param));
	}
}

static void test_refused(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *err = NULL;
		char where[4200], key[64];
		const char *last = strrchr(refused[i], '\n');
		int lineno = last ? 3 : 2;

		snprintf(key, sizeof(key), "%.*s", (int)strcspn(last ? last + 1 : refused[i], " "),
			 last ? last + 1 : refused[i]);
		if (apply_lines(refused[i], &err) != -1)
			fail_msg("%s: accepted", refused[i]);
		snprintf(where, sizeof(where), "%s:%d: %s: ", path, lineno, key);
		if (err == NULL || strncmp(err, where, strlen(where)) != 0)
			fail_msg("%s: error \"%s\" does not start with \"%s\"", refused[i],
				 err ? err : "(none)", where);
	}
}

static void test_ignored(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		const char *err = NULL, *out;

		if (apply_lines(ignored[i], &err) != 0)
			fail_msg("%s: refused: %s", ignored[i], err);
		out = printed(config_print_nondefaults);
		if (*out != '\0')
			fail_msg("%s: changed %s", ignored[i], out);
		out = printed(clamdconf_print);
		if (strstr(out, "-> ignored") == NULL && strstr(out, "-> as mxscand does") == NULL)
			fail_msg("%s: printed \"%s\"", ignored[i], out);
	}
}

/* Every key of the table has a case above, and a SAME key both kinds. */
static void test_every_key_has_a_case(void **state)
{
	const struct clamdconf_key *keys;
	int n, k;
	size_t i;

	(void)state;
	keys = clamdconf_keys(&n);
	assert_true(n > 100);
	for (k = 0; k < n; k++) {
		int in_mapped = 0, in_refused = 0, in_ignored = 0;

		for (i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++)
			in_mapped |= line_has_key(mapped[i].line, keys[k].key);
		for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			in_refused |= line_has_key(refused[i], keys[k].key);
		for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			in_ignored |= line_has_key(ignored[i], keys[k].key);
		switch (keys[k].kind) {
		case CLAMDCONF_MAP:
			if (!in_mapped)
				fail_msg("mapped key %s has no case", keys[k].key);
			break;
		case CLAMDCONF_SAME:
			if (!in_ignored || (keys[k].other == CLAMDCONF_REFUSE && !in_refused))
				fail_msg("key %s lacks a case", keys[k].key);
			break;
		case CLAMDCONF_WARN:
			if (!in_ignored)
				fail_msg("ignored key %s has no case", keys[k].key);
			break;
		case CLAMDCONF_REFUSE:
			if (!in_refused)
				fail_msg("refused key %s has no case", keys[k].key);
			break;
		}
	}
}

/* Every key is in mxscand(8)'s table. */
static void test_documented(void **state)
{
	const struct clamdconf_key *keys;
	char page[4096], *text;
	long size;
	FILE *fp;
	int n, k;

	(void)state;
	if (getenv("MX_SRCDIR") == NULL)
		skip();
	snprintf(page, sizeof(page), "%s/doc/mxscand.8", getenv("MX_SRCDIR"));
	fp = fopen(page, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	keys = clamdconf_keys(&n);
	for (k = 0; k < n; k++) {
		char entry[128];

		snprintf(entry, sizeof(entry), "\n.TP\n.B %s\n", keys[k].key);
		if (strstr(text, entry) == NULL)
			fail_msg("mxscand.8 does not document %s", keys[k].key);
	}
	free(text);
}

/* Debian's stock clamd.conf (clamav-daemon's postinst) loads. */
static void test_debian_stock(void **state)
{
	char file[4096];
	const char *err = NULL;

	(void)state;
	if (getenv("MX_SRCDIR") == NULL)
		skip();
	snprintf(file, sizeof(file), "%s/tests/data/debian-clamd.conf", getenv("MX_SRCDIR"));
	assert_int_equal(apply_lines("", &err), 0);
	if (clamdconf_apply(file, &err) != 0)
		fail_msg("refused: %s", err);
	assert_string_equal(config_str(CONF_SCAND_SOCKET), "/var/run/clamav/clamd.ctl");
	assert_string_equal(config_str(CONF_DATABASE_ROOT), "/var/lib/clamav");
	assert_string_equal(config_str(CONF_SCAND_USER), "clamav");
	assert_int_equal(config_num(CONF_SCAND_THREADS), 12);
	assert_int_equal(config_num(CONF_SCAND_DB_CHECK_INTERVAL), 3600000);
	assert_int_equal(config_num(CONF_SCAND_STREAM_MAX_LENGTH), 25 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_every_key_has_a_case),
		cmocka_unit_test(test_documented),
		cmocka_unit_test(test_debian_stock),
	};
	int r;

	log_init("test_clamdconf", 0);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	clamdconf_free();
	config_free();
	return r;
}
