/*
 * clamdconf.c - read clamd.conf into mxscan.conf parameters (see
 * clamdconf.h).
 *
 * The syntax is clamd's: one "Key value" per line, the key spelled as
 * clamd spells it, the value the rest of the line (surrounding double
 * quotes removed), "#" comment lines and blank lines.  Values are checked
 * the way clamd checks them (yes/no/true/false/1/0, numbers, sizes with
 * K or M), converted to mxscan.conf's syntax (seconds to "Ns", clamd's
 * octal mode to "0NNN", ...) and set through config_assign_at, so the
 * bounds of config_table.h apply.  TCPSocket and TCPAddr together make
 * scand_tcp_listen once the whole file is read.
 *
 * DIAGNOSTICS: errors and warnings name FILE:LINE and the key.
 */
#include "auto-config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clamdconf.h"
#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"

/* How a value is read and what it becomes. */
enum clamdconf_conv {
	CV_ANY,		/* not read (WARN, REFUSE) */
	CV_STR,		/* as written */
	CV_BOOL,	/* yes/no */
	CV_NOT,		/* yes/no, inverted */
	CV_NUM,		/* digits */
	CV_SIZE,	/* digits with K or M: "Nk", "Nm" */
	CV_SEC,		/* seconds: "Ns" */
	CV_MS,		/* milliseconds: "Nms" */
	CV_MODE,	/* octal digits: "0NNN" */
	CV_TCPPORT,	/* TCPSocket: kept for scand_tcp_listen */
	CV_TCPADDR,	/* TCPAddr: kept for scand_tcp_listen */
};

#define MAP(k, cv, params) {k, CLAMDCONF_MAP, cv, params, CLAMDCONF_MAP, NULL}
#define SAME(k, cv, v, other, why) {k, CLAMDCONF_SAME, cv, v, CLAMDCONF_##other, why}
#define WARN(k, why) {k, CLAMDCONF_WARN, CV_ANY, NULL, CLAMDCONF_WARN, why}
#define REFUSE(k, why) {k, CLAMDCONF_REFUSE, CV_ANY, NULL, CLAMDCONF_REFUSE, why}

#define WHY_PARSE "mxscand parses every file type libclamav knows"
#define WHY_LOGFILE "mxscand writes no log file of its own (syslog, and standard error with -f)"
#define WHY_PATHS "path scans follow mxscand's own rules (scand_scan_roots)"
#define WHY_ONACCESS "read by clamonacc, not by the daemon"
#define WHY_OLD "clamd ignores this deprecated key too"
#define WHY_DEV "a libclamav developer option"
#define WHY_DLP "applies only with StructuredDataDetection, which mxscand lacks"
#define WHY_CMD "mxscand cannot turn this command off"

/* clang-format off */
static const struct clamdconf_key clamdconf_table[] = {
	/* Sockets */
	MAP("LocalSocket", CV_STR, "scand_socket"),
	MAP("LocalSocketGroup", CV_STR, "scand_socket_group"),
	MAP("LocalSocketMode", CV_MODE, "scand_socket_mode"),
	SAME("FixStaleSocket", CV_BOOL, "yes", WARN,
	     "mxscand always replaces a stale socket, never one a daemon answers on"),
	MAP("TCPSocket", CV_TCPPORT, "scand_tcp_listen"),
	MAP("TCPAddr", CV_TCPADDR, "scand_tcp_listen"),
	MAP("MaxConnectionQueueLength", CV_NUM, "scand_listen_backlog"),
	/* Threads, queue, time-outs */
	MAP("MaxThreads", CV_NUM, "scand_threads"),
	MAP("MaxQueue", CV_NUM, "scand_queue_max"),
	MAP("ReadTimeout", CV_SEC, "scand_idle_timeout"),
	MAP("CommandReadTimeout", CV_SEC, "scand_command_timeout"),
	MAP("SendBufTimeout", CV_MS, "scand_send_timeout"),
	WARN("IdleTimeout", "mxscand keeps scand_threads scan threads; none idles out"),
	/* Limits */
	MAP("StreamMaxLength", CV_SIZE, "scand_stream_max_length"),
	MAP("MaxFileSize", CV_SIZE, "scand_max_filesize"),
	MAP("MaxScanSize", CV_SIZE, "scand_max_scansize"),
	MAP("MaxRecursion", CV_NUM, "scand_max_recursion"),
	MAP("MaxFiles", CV_NUM, "scand_max_files"),
	MAP("MaxScanTime", CV_MS, "scand_max_scantime"),
	MAP("MaxEmbeddedPE", CV_SIZE, "scand_max_embedded_pe"),
	MAP("MaxHTMLNormalize", CV_SIZE, "scand_max_html_normalize"),
	MAP("MaxHTMLNoTags", CV_SIZE, "scand_max_html_notags"),
	MAP("MaxScriptNormalize", CV_SIZE, "scand_max_script_normalize"),
	MAP("MaxZipTypeRcg", CV_SIZE, "scand_max_ziptypercg"),
	MAP("MaxPartitions", CV_NUM, "scand_max_partitions"),
	MAP("MaxIconsPE", CV_NUM, "scand_max_iconspe"),
	MAP("MaxRecHWP3", CV_NUM, "scand_max_hwp_recursion"),
	MAP("PCREMatchLimit", CV_NUM, "scand_pcre_match_limit"),
	MAP("PCRERecMatchLimit", CV_NUM, "scand_pcre_recmatch_limit"),
	MAP("PCREMaxFileSize", CV_SIZE, "scand_pcre_max_filesize"),
	/* Database and reload */
	MAP("DatabaseDirectory", CV_STR, "database_root"),
	MAP("SelfCheck", CV_SEC, "scand_db_check_interval"),
	SAME("ConcurrentDatabaseReload", CV_BOOL, "yes", WARN,
	     "mxscand always builds the new engine beside the running one"),
	MAP("OfficialDatabaseOnly", CV_BOOL, "scand_official_db_only"),
	MAP("PhishingSignatures", CV_BOOL, "scand_phishing_signatures"),
	MAP("PhishingScanURLs", CV_BOOL, "scand_phishing_scan_urls"),
	MAP("DetectPUA", CV_BOOL, "scand_detect_pua"),
	REFUSE("ExcludePUA", "PUA categories cannot be chosen in mxscand"),
	REFUSE("IncludePUA", "PUA categories cannot be chosen in mxscand"),
	MAP("Bytecode", CV_BOOL, "scand_bytecode"),
	MAP("BytecodeTimeout", CV_MS, "scand_bytecode_timeout"),
	SAME("BytecodeSecurity", CV_STR, "TrustSigned", REFUSE,
	     "mxscand runs bytecode with libclamav's TrustSigned security"),
	SAME("BytecodeUnsigned", CV_BOOL, "no", REFUSE,
	     "mxscand loads bytecode only from signed databases"),
	SAME("BytecodeMode", CV_STR, "Auto", REFUSE, "mxscand lets libclamav choose"),
	SAME("FailIfCvdOlderThan", CV_STR, "-1", REFUSE,
	     "mxscand starts with an old database and shows its age in HEALTH"),
	SAME("FIPSCryptoHashLimits", CV_BOOL, "no", REFUSE, "not supported by mxscand"),
	WARN("CVDCertsDirectory", "libclamav uses its built-in certificate directory"),
	MAP("DisableCache", CV_NOT, "scand_engine_cache"),
	WARN("CacheSize", "libclamav's cache keeps its size; mxscand's own is scand_cache_size"),
	/* Process */
	MAP("User", CV_STR, "scand_user"),
	MAP("PidFile", CV_STR, "scand_pid_file"),
	MAP("TemporaryDirectory", CV_STR, "scand_temp_dir"),
	SAME("Foreground", CV_BOOL, "no", WARN, "mxscand stays in the foreground only with -f"),
	SAME("Debug", CV_BOOL, "no", WARN, "libclamav debug output is not available"),
	SAME("LeaveTemporaryFiles", CV_BOOL, "no", WARN, "mxscand always removes its temporary files"),
	SAME("ExitOnOOM", CV_BOOL, "no", WARN, "mxscand keeps running and answers ERROR"),
	SAME("ForceToDisk", CV_BOOL, "no", WARN, "mxscand scans from memory where it can"),
	SAME("DisableCertCheck", CV_BOOL, "no", WARN, "libclamav verifies Authenticode signatures"),
	SAME("GenerateMetadataJson", CV_BOOL, "no", WARN, "mxscand collects no scan metadata"),
	SAME("JsonStoreHTMLURIs", CV_BOOL, "no", WARN, "mxscand collects no scan metadata"),
	SAME("JsonStorePDFURIs", CV_BOOL, "no", WARN, "mxscand collects no scan metadata"),
	SAME("JsonStoreExtraHashes", CV_BOOL, "no", WARN, "mxscand collects no scan metadata"),
	REFUSE("VirusEvent", "mxscand runs no command on a detection"),
	REFUSE("Example", "clamd does not run with the sample's Example line either; remove it"),
	/* Logging */
	WARN("LogFile", WHY_LOGFILE),
	SAME("LogSyslog", CV_BOOL, "yes", WARN, "mxscand always logs to syslog"),
	WARN("LogFacility", "mxscand logs to the mail facility"),
	WARN("LogTime", WHY_LOGFILE),
	WARN("LogRotate", WHY_LOGFILE),
	WARN("LogFileMaxSize", WHY_LOGFILE),
	WARN("LogFileUnlock", WHY_LOGFILE),
	SAME("LogClean", CV_BOOL, "no", WARN, "mxscand logs detections and errors, not clean results"),
	SAME("LogVerbose", CV_BOOL, "no", WARN, "mxscand -v logs debugging detail"),
	WARN("ExtendedDetectionInfo", "mxscand logs the name of a detection without hash and size"),
	/* Commands */
	MAP("AllowAllMatchScan", CV_BOOL, "scand_allmatchscan"),
	SAME("EnableShutdownCommand", CV_BOOL, "yes", REFUSE, WHY_CMD),
	SAME("EnableReloadCommand", CV_BOOL, "yes", REFUSE, WHY_CMD),
	SAME("EnableSelfCheckCommand", CV_BOOL, "yes", REFUSE, WHY_CMD),
	SAME("EnableVersionCommand", CV_BOOL, "yes", REFUSE, WHY_CMD),
	SAME("EnableStatsCommand", CV_BOOL, "yes", REFUSE, WHY_CMD),
	WARN("StreamMinPort", "the legacy STREAM command has its own parameters"),
	WARN("StreamMaxPort", "the legacy STREAM command has its own parameters"),
	/* Heuristics */
	MAP("HeuristicAlerts", CV_BOOL, "scand_heuristic_alerts"),
	MAP("AlgorithmicDetection", CV_BOOL, "scand_heuristic_alerts"),
	MAP("HeuristicScanPrecedence", CV_BOOL, "scand_heuristic_precedence"),
	MAP("AlertExceedsMax", CV_BOOL, "scand_alert_exceeds_max"),
	MAP("BlockMax", CV_BOOL, "scand_alert_exceeds_max"),
	MAP("AlertBrokenExecutables", CV_BOOL, "scand_alert_broken_executables"),
	MAP("AlertBrokenMedia", CV_BOOL, "scand_alert_broken_media"),
	MAP("AlertEncrypted", CV_BOOL, "scand_alert_encrypted_archive scand_alert_encrypted_doc"),
	MAP("ArchiveBlockEncrypted", CV_BOOL,
	    "scand_alert_encrypted_archive scand_alert_encrypted_doc"),
	MAP("AlertEncryptedArchive", CV_BOOL, "scand_alert_encrypted_archive"),
	MAP("AlertEncryptedDoc", CV_BOOL, "scand_alert_encrypted_doc"),
	MAP("AlertOLE2Macros", CV_BOOL, "scand_alert_macros"),
	MAP("OLE2BlockMacros", CV_BOOL, "scand_alert_macros"),
	MAP("AlertPhishingSSLMismatch", CV_BOOL, "scand_alert_phishing_ssl"),
	MAP("PhishingAlwaysBlockSSLMismatch", CV_BOOL, "scand_alert_phishing_ssl"),
	MAP("AlertPhishingCloak", CV_BOOL, "scand_alert_phishing_cloak"),
	MAP("PhishingAlwaysBlockCloak", CV_BOOL, "scand_alert_phishing_cloak"),
	MAP("AlertPartitionIntersection", CV_BOOL, "scand_alert_partition_intersection"),
	MAP("PartitionIntersection", CV_BOOL, "scand_alert_partition_intersection"),
	SAME("StructuredDataDetection", CV_BOOL, "no", REFUSE,
	     "mxscand has no data loss prevention module"),
	WARN("StructuredMinCreditCardCount", WHY_DLP),
	WARN("StructuredMinSSNCount", WHY_DLP),
	WARN("StructuredSSNFormatNormal", WHY_DLP),
	WARN("StructuredSSNFormatStripped", WHY_DLP),
	WARN("StructuredCCOnly", WHY_DLP),
	/* File types */
	SAME("ScanPE", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanELF", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanMail", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanOLE2", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanPDF", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanSWF", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanHTML", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanXMLDOCS", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanHWP3", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanArchive", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanOneNote", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanImage", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanImageFuzzyHash", CV_BOOL, "yes", REFUSE, WHY_PARSE),
	SAME("ScanPartialMessages", CV_BOOL, "no", REFUSE,
	     "mxscand does not reassemble message/partial mail"),
	/* Path scans */
	WARN("ExcludePath", WHY_PATHS),
	WARN("MaxDirectoryRecursion", WHY_PATHS),
	WARN("FollowDirectorySymlinks", WHY_PATHS),
	WARN("FollowFileSymlinks", WHY_PATHS),
	WARN("CrossFilesystems", WHY_PATHS),
	/* Other programs and the past */
	SAME("PreludeEnable", CV_BOOL, "no", WARN, "mxscand does not report to Prelude"),
	WARN("PreludeAnalyzerName", "mxscand does not report to Prelude"),
	WARN("OnAccessMountPath", WHY_ONACCESS),
	WARN("OnAccessIncludePath", WHY_ONACCESS),
	WARN("OnAccessExcludePath", WHY_ONACCESS),
	WARN("OnAccessExcludeRootUID", WHY_ONACCESS),
	WARN("OnAccessExcludeUID", WHY_ONACCESS),
	WARN("OnAccessExcludeUname", WHY_ONACCESS),
	WARN("OnAccessMaxFileSize", WHY_ONACCESS),
	WARN("OnAccessDisableDDD", WHY_ONACCESS),
	WARN("OnAccessPrevention", WHY_ONACCESS),
	WARN("OnAccessExtraScanning", WHY_ONACCESS),
	WARN("OnAccessCurlTimeout", WHY_ONACCESS),
	WARN("OnAccessMaxThreads", WHY_ONACCESS),
	WARN("OnAccessRetryAttempts", WHY_ONACCESS),
	WARN("OnAccessDenyOnError", WHY_ONACCESS),
	WARN("DevACOnly", WHY_DEV),
	WARN("DevACDepth", WHY_DEV),
	WARN("DevPerformance", WHY_DEV),
	WARN("DevLiblog", WHY_DEV),
	WARN("DevCollectHashes", WHY_DEV),
	WARN("DetectBrokenExecutables", WHY_OLD),
	WARN("MailMaxRecursion", WHY_OLD),
	WARN("ArchiveMaxScanSize", WHY_OLD),
	WARN("ArchiveMaxRecursion", WHY_OLD),
	WARN("ArchiveMaxFiles", WHY_OLD),
	WARN("ArchiveMaxCompressionRatio", WHY_OLD),
	WARN("ArchiveBlockMax", WHY_OLD),
	WARN("ArchiveLimitMemoryUsage", WHY_OLD),
	WARN("MailFollowURLs", WHY_OLD),
	WARN("AllowSupplementaryGroups", WHY_OLD),
	WARN("ScanOnAccess", WHY_OLD),
	WARN("StatsEnabled", "statistics submission was removed from ClamAV"),
	WARN("StatsHostID", "statistics submission was removed from ClamAV"),
	WARN("StatsPEDisabled", "statistics submission was removed from ClamAV"),
	WARN("StatsTimeout", "statistics submission was removed from ClamAV"),
};
/* clang-format on */

/* What clamdconf_print shows, and TCPSocket/TCPAddr until the end. */
static char **clamdconf_report;
static int clamdconf_nreport;

const struct clamdconf_key *clamdconf_keys(int *n_r)
{
	*n_r = (int)(sizeof(clamdconf_table) / sizeof(clamdconf_table[0]));
	return clamdconf_table;
}

/* clamdconf_find - the row of KEY, or NULL. */
static const struct clamdconf_key *clamdconf_find(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(clamdconf_table) / sizeof(clamdconf_table[0]); i++)
		if (strcmp(clamdconf_table[i].key, key) == 0)
			return &clamdconf_table[i];
	return NULL;
}

/* clamdconf_note - one line for clamdconf_print. */
static void clamdconf_note(const char *where, const char *key, const char *value,
			   const char *what)
{
	clamdconf_report = xrealloc(clamdconf_report,
				    sizeof(char *) * (size_t)(clamdconf_nreport + 1));
	clamdconf_report[clamdconf_nreport++] =
		xasprintf("# %s: %s %.200s -> %s", where, key, value, what);
}

/* clamdconf_digits - VALUE is 1 to 18 decimal digits. */
static int clamdconf_digits(const char *value, size_t len)
{
	size_t i;

	if (len == 0 || len > 18)
		return 0;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)value[i]))
			return 0;
	return 1;
}

/*
 * clamdconf_convert - VALUE read as CONV, in mxscan.conf syntax, into
 * OUT.  Returns 0, or -1 with *error_r saying what clamd expects.
 */
static int clamdconf_convert(int conv, const char *value, char *out, size_t size,
			     const char **error_r)
{
	size_t len = strlen(value);
	int yes;

	switch (conv) {
	case CV_BOOL:
	case CV_NOT:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
		    strcmp(value, "1") == 0)
			yes = 1;
		else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 ||
			 strcmp(value, "0") == 0)
			yes = 0;
		else {
			*error_r = "expected yes, no, true, false, 1 or 0";
			return -1;
		}
		snprintf(out, size, "%s", yes != (conv == CV_NOT) ? "yes" : "no");
		return 0;
	case CV_NUM:
	case CV_SEC:
	case CV_MS:
	case CV_TCPPORT:
		if (!clamdconf_digits(value, len)) {
			*error_r = "expected a number";
			return -1;
		}
		snprintf(out, size, "%s%s", value, conv == CV_SEC ? "s" : conv == CV_MS ? "ms" : "");
		return 0;
	case CV_SIZE:
		if (len > 1 && strchr("kKmM", value[len - 1]) != NULL &&
		    clamdconf_digits(value, len - 1)) {
			snprintf(out, size, "%.*s%c", (int)(len - 1), value,
				 tolower((unsigned char)value[len - 1]));
			return 0;
		}
		if (!clamdconf_digits(value, len)) {
			*error_r = "expected a size such as 25M (suffixes K, M)";
			return -1;
		}
		snprintf(out, size, "%s", value);
		return 0;
	case CV_MODE:
		if (len == 0 || len > 4 || strspn(value, "01234567") != len) {
			*error_r = "expected an octal mode such as 660";
			return -1;
		}
		snprintf(out, size, "0%s", value);
		return 0;
	default:
		snprintf(out, size, "%s", value);
		return 0;
	}
}

/* clamdconf_fail - *error_r as "WHERE: KEY: WHY". */
static int clamdconf_fail(const char **error_r, const char *where, const char *key,
			  const char *why)
{
	static char buf[768];

	snprintf(buf, sizeof(buf), "%s: %s: %s", where, key, why);
	*error_r = buf;
	return -1;
}

/* clamdconf_map - set every parameter of ROW's list to VALUE. */
static int clamdconf_map(const struct clamdconf_key *row, const char *written,
			 const char *value, const char *where, const char **error_r)
{
	const char *p = row->param;
	char name[64], what[320], at[600];

	snprintf(at, sizeof(at), "%s: %s", where, row->key);
	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (config_assign_at(name, value, at, error_r) < 0)
			return -1;
		snprintf(what, sizeof(what), "%s = %.200s", name, value);
		clamdconf_note(where, row->key, written, what);
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

/* TCPSocket and TCPAddr, joined into scand_tcp_listen at the end. */
struct clamdconf_tcp {
	char port[32], addr[256];
	char where[512];	/* the TCPSocket line */
	char addr_where[512];
};

/* clamdconf_line - one "Key value" line. */
static int clamdconf_line(char *line, const char *where, struct clamdconf_tcp *tcp,
			  const char **error_r)
{
	const struct clamdconf_key *row;
	char *key = line, *value, *end, conv[320];
	const char *why = NULL;

	value = key + strcspn(key, " \t");
	if (*value != '\0')
		*value++ = '\0';
	value += strspn(value, " \t");
	end = value + strlen(value);
	while (end > value && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (end - value >= 2 && *value == '"' && end[-1] == '"') {
		*--end = '\0';
		value++;
	}
	row = clamdconf_find(key);
	if (row == NULL)
		return clamdconf_fail(error_r, where, key, "unknown clamd.conf key");
	if (row->kind == CLAMDCONF_REFUSE)
		return clamdconf_fail(error_r, where, key, row->why);
	if (*value == '\0' && row->kind != CLAMDCONF_WARN)
		return clamdconf_fail(error_r, where, key, "needs a value");
	if (row->kind == CLAMDCONF_WARN) {
		log_warn("%s: %s ignored: %s", where, key, row->why);
		clamdconf_note(where, key, value, "ignored");
		return 0;
	}
	if (clamdconf_convert(row->conv, value, conv, sizeof(conv), &why) < 0)
		return clamdconf_fail(error_r, where, key, why);
	if (row->kind == CLAMDCONF_SAME) {
		if (strcmp(conv, row->param) == 0) {
			clamdconf_note(where, key, value, "as mxscand does");
			return 0;
		}
		if (row->other == CLAMDCONF_REFUSE) {
			static char buf[320];

			snprintf(buf, sizeof(buf), "only %s is supported: %s", row->param, row->why);
			return clamdconf_fail(error_r, where, key, buf);
		}
		log_warn("%s: %s %s ignored: %s", where, key, value, row->why);
		clamdconf_note(where, key, value, "ignored");
		return 0;
	}
	if (row->conv == CV_TCPPORT) {
		snprintf(tcp->port, sizeof(tcp->port), "%s", conv);
		snprintf(tcp->where, sizeof(tcp->where), "%s", where);
		return 0;
	}
	if (row->conv == CV_TCPADDR) {
		if (tcp->addr[0] != '\0' && strcmp(tcp->addr, conv) != 0)
			return clamdconf_fail(error_r, where, key,
					      "mxscand listens on one TCP address only");
		snprintf(tcp->addr, sizeof(tcp->addr), "%s", conv);
		snprintf(tcp->addr_where, sizeof(tcp->addr_where), "%s", where);
		return 0;
	}
	return clamdconf_map(row, value, conv, where, error_r);
}

/* clamdconf_tcp_listen - scand_tcp_listen from TCPSocket and TCPAddr. */
static int clamdconf_tcp_listen(const struct clamdconf_tcp *tcp, const char **error_r)
{
	const char *addr = tcp->addr[0] != '\0' ? tcp->addr : "0.0.0.0";
	char value[320], what[360];

	if (tcp->port[0] == '\0') {
		if (tcp->addr[0] != '\0') {
			log_warn("%s: TCPAddr ignored: no TCPSocket", tcp->addr_where);
			clamdconf_note(tcp->addr_where, "TCPAddr", tcp->addr, "ignored");
		}
		return 0;
	}
	if (tcp->addr[0] == '\0')
		log_warn("%s: TCPSocket without TCPAddr: listening on every IPv4 address, as clamd "
			 "does; admin commands and path scans stay off on TCP", tcp->where);
	snprintf(value, sizeof(value), strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, tcp->port);
	snprintf(what, sizeof(what), "%.300s: TCPSocket", tcp->where);
	if (config_assign_at("scand_tcp_listen", value, what, error_r) < 0)
		return -1;
	snprintf(what, sizeof(what), "scand_tcp_listen = %s", value);
	clamdconf_note(tcp->where, "TCPSocket", tcp->port, what);
	return 0;
}

int clamdconf_apply(const char *file, const char **error_r)
{
	struct clamdconf_tcp tcp;
	char *line = NULL, where[512];
	size_t cap = 0;
	int lineno = 0, ret = 0;
	FILE *fp;

	clamdconf_free();
	memset(&tcp, 0, sizeof(tcp));
	fp = fopen(file, "r");
	if (fp == NULL) {
		static char buf[512];

		snprintf(buf, sizeof(buf), "scand_clamd_config %s: %s", file, strerror(errno));
		*error_r = buf;
		return -1;
	}
	while (getline(&line, &cap, fp) >= 0) {
		char *t = line, *e = line + strlen(line);

		lineno++;
		while (e > line && isspace((unsigned char)e[-1]))
			*--e = '\0';
		t += strspn(t, " \t");
		if (*t == '\0' || *t == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", file, lineno);
		if (clamdconf_line(t, where, &tcp, error_r) < 0) {
			ret = -1;
			break;
		}
	}
	free(line);
	fclose(fp);
	if (ret == 0)
		ret = clamdconf_tcp_listen(&tcp, error_r);
	return ret;
}

void clamdconf_print(FILE *fp)
{
	int i;

	for (i = 0; i < clamdconf_nreport; i++)
		fprintf(fp, "%s\n", clamdconf_report[i]);
}

void clamdconf_free(void)
{
	int i;

	for (i = 0; i < clamdconf_nreport; i++)
		free(clamdconf_report[i]);
	free(clamdconf_report);
	clamdconf_report = NULL;
	clamdconf_nreport = 0;
}
