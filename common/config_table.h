/*
 * config_table.h - every mxscan.conf parameter, declared once.
 *
 * Each row: X(ID, name, type, default, min, max, doc).  The table is the
 * single source of truth: config.c builds its parser from it, every
 * program's -n prints from it, and tests/integration/t-config-doc checks
 * that doc/mxscan.conf.5 documents each row with the same default and
 * bounds.  Types: STR (free text), LIST (words separated by blanks or
 * commas), INT, MODE (octal), SIZE (bytes; k, m, g suffixes), TIME
 * (milliseconds internally; ms, s, m, h suffixes, plain numbers are
 * seconds), BOOL (yes/no), CHOICE (one word of the row's
 * CONFIG_WORDS_<ID> below; config_num() gives its index, which is its
 * CONF_<ID>_<WORD> constant), RANGE (lo-hi; config_range() gives both
 * ends).  min and max bound the numeric types (both ends of a RANGE).
 */
/* clang-format off */
#define CONFIG_TABLE(X) \
X(DATABASE_ROOT, "database_root", STR, "/var/lib/mxscan", 0, 0, \
  "Signature database root: versions/<id>/ plus a current symlink, or a plain ClamAV database directory.") \
X(SCANNER_ENDPOINTS, "scanner_endpoints", LIST, "unix:/run/mxscan/mxscand.sock", 0, 0, \
  "Scanner daemons the clients use, unix:/path or tcp:host:port, tried in order with failover.") \
X(SCANNER_CONNECT_TIMEOUT, "scanner_connect_timeout", TIME, "5s", 10, 300000, \
  "Clients: time to connect to one endpoint before trying the next.") \
X(SCANNER_TIMEOUT, "scanner_timeout", TIME, "120s", 100, 3600000, \
  "Clients: time for one whole scan request, from connect to verdict.") \
X(SCAND_SOCKET, "scand_socket", STR, "/run/mxscan/mxscand.sock", 0, 0, \
  "mxscand: UNIX socket path; empty disables the UNIX listener.") \
X(SCAND_SOCKET_MODE, "scand_socket_mode", MODE, "0660", 0, 0777, \
  "mxscand: permission bits of the UNIX socket.") \
X(SCAND_SOCKET_GROUP, "scand_socket_group", STR, "", 0, 0, \
  "mxscand: group that owns the UNIX socket; empty keeps the daemon's group.") \
X(SCAND_TCP_LISTEN, "scand_tcp_listen", STR, "", 0, 0, \
  "mxscand: TCP listener as host:port (e.g. 127.0.0.1:3310); empty means no TCP listener.") \
X(SCAND_TCP_ADMIN_COMMANDS, "scand_tcp_admin_commands", BOOL, "no", 0, 1, \
  "mxscand: accept RELOAD and SHUTDOWN over TCP.") \
X(SCAND_TCP_PATH_SCANS, "scand_tcp_path_scans", BOOL, "no", 0, 1, \
  "mxscand: accept SCAN, CONTSCAN, MULTISCAN and ALLMATCHSCAN of paths over TCP.") \
X(SCAND_SCAN_ROOTS, "scand_scan_roots", LIST, "/tmp /var/tmp /var/spool", 0, 0, \
  "mxscand: directories under which path scans are allowed; empty refuses every path scan.") \
X(SCAND_USER, "scand_user", STR, "mxscan", 0, 0, \
  "mxscand: user to switch to after binding when started as root; empty keeps root (not recommended).") \
X(SCAND_PID_FILE, "scand_pid_file", STR, "", 0, 0, \
  "mxscand: file to write the daemon's process id to; empty writes none.") \
X(SCAND_THREADS, "scand_threads", INT, "10", 1, 512, \
  "mxscand: scan threads sharing one compiled engine.") \
X(SCAND_QUEUE_MAX, "scand_queue_max", INT, "200", 1, 100000, \
  "mxscand: complete requests waiting for a scan thread; beyond it clients are not read until a slot frees.") \
X(SCAND_MAX_CONNECTIONS, "scand_max_connections", INT, "1024", 1, 100000, \
  "mxscand: open client connections; further clients wait in the listen backlog.") \
X(SCAND_LISTEN_BACKLOG, "scand_listen_backlog", INT, "200", 1, 65535, \
  "mxscand: listen(2) backlog of each listener.") \
X(SCAND_COMMAND_TIMEOUT, "scand_command_timeout", TIME, "30s", 100, 3600000, \
  "mxscand: time a new connection has to send its first command.") \
X(SCAND_IDLE_TIMEOUT, "scand_idle_timeout", TIME, "120s", 100, 3600000, \
  "mxscand: longest silence from a client in the middle of a request or inside IDSESSION.") \
X(SCAND_REQUEST_TIMEOUT, "scand_request_timeout", TIME, "300s", 100, 3600000, \
  "mxscand: deadline for one request from its first byte to its reply; a scan past it is cancelled.") \
X(SCAND_SEND_TIMEOUT, "scand_send_timeout", TIME, "30s", 100, 3600000, \
  "mxscand: time a connection's replies may stay queued unsent; the clock restarts only once the client has read them all, so reading a little now and then does not keep it alive.") \
X(SCAND_MAX_PENDING_REPLY, "scand_max_pending_reply", SIZE, "256k", 4096, 67108864LL, \
  "mxscand: unsent reply bytes one connection may have queued; beyond it its further commands are not read until the client has read them all.") \
X(SCAND_DRAIN_TIMEOUT, "scand_drain_timeout", TIME, "2s", 0, 60000, \
  "mxscand: after an error reply, time spent discarding client input so the reply is not lost to a reset.") \
X(SCAND_STREAM_MAX_LENGTH, "scand_stream_max_length", SIZE, "100m", 1, 4294967295LL, \
  "mxscand: largest INSTREAM stream; a longer one gets 'INSTREAM size limit exceeded. ERROR'.") \
X(SCAND_STREAM_MEMORY_MAX, "scand_stream_memory_max", SIZE, "8m", 0, 1073741824LL, \
  "mxscand: streams up to this size are scanned from memory; larger ones spool to a private temporary file.") \
X(SCAND_LEGACY_STREAM, "scand_legacy_stream", BOOL, "no", 0, 1, \
  "mxscand: accept old clamd's STREAM command (a data port per request, answered 'PORT n'); off, STREAM is an unknown command.") \
X(SCAND_STREAM_PORTS, "scand_stream_ports", RANGE, "1024-2048", 1024, 65535, \
  "mxscand: STREAM: the TCP ports a data port is chosen from (old clamd's StreamMinPort-StreamMaxPort).") \
X(SCAND_STREAM_MAX_PENDING, "scand_stream_max_pending", INT, "32", 1, 10000, \
  "mxscand: STREAM: data ports open at once (waiting for or reading their data connection); beyond it STREAM gets an ERROR.") \
X(SCAND_TEMP_DIR, "scand_temp_dir", STR, "/var/tmp", 0, 0, \
  "mxscand: directory in which the daemon creates its private 0700 spool directory.") \
X(SCAND_SCRATCH_RECYCLE, "scand_scratch_recycle", BOOL, "yes", 0, 1, \
  "mxscand: keep libclamav's emptied per-scan directories as spares and rename one into place for the next scan.") \
X(SCAND_MAX_SCANSIZE, "scand_max_scansize", SIZE, "400m", 0, 4294967295LL, \
  "mxscand: engine MaxScanSize, data scanned per request including archive members.") \
X(SCAND_MAX_FILESIZE, "scand_max_filesize", SIZE, "100m", 0, 4294967295LL, \
  "mxscand: engine MaxFileSize, largest single file or member scanned.") \
X(SCAND_MAX_RECURSION, "scand_max_recursion", INT, "17", 1, 100, \
  "mxscand: engine MaxRecursion, archive and container nesting depth.") \
X(SCAND_MAX_FILES, "scand_max_files", INT, "10000", 0, 10000000, \
  "mxscand: engine MaxFiles, files extracted from one request.") \
X(SCAND_MAX_SCANTIME, "scand_max_scantime", TIME, "120s", 0, 3600000, \
  "mxscand: engine MaxScanTime, engine time for one request; 0 means none.") \
X(SCAND_CACHE_SIZE, "scand_cache_size", INT, "65536", 0, 10000000, \
  "mxscand: verdicts remembered by SHA-256 of the scanned bytes for the current engine (least recently used out); 0 disables.") \
X(SCAND_STORM_MEMORY, "scand_storm_memory", SIZE, "64m", 0, 1073741824LL, \
  "mxscand: MIMESCAN: memory for the encoded attachments found infected, kept whole so that a copy in a later message is answered at once, without a scan thread (compared byte for byte; least recently used out); 0 disables, as does scand_cache_size 0.") \
X(SCAND_ENGINE_CACHE, "scand_engine_cache", BOOL, "yes", 0, 1, \
  "mxscand: keep libclamav's own clean-file cache (MD5 of every layer) beside the SHA-256 verdict cache: it spares the rescan of a repeated attachment inside whole messages; no stopped scan ever enters it.") \
X(SCAND_MIME_MAX_PARTS, "scand_mime_max_parts", INT, "1000", 1, 100000, \
  "mxscand: MIMESCAN: MIME objects (parts, containers and files uuencoded in text parts) in one message; more is an ERROR verdict, never OK.") \
X(SCAND_MIME_MAX_DEPTH, "scand_mime_max_depth", INT, "20", 1, 100, \
  "mxscand: MIMESCAN: nesting of multiparts and attached messages; deeper is an ERROR verdict.") \
X(SCAND_MIME_MAX_DECODED, "scand_mime_max_decoded", SIZE, "200m", 1024, 4294967295LL, \
  "mxscand: MIMESCAN: decoded bytes of all parts of one message; more is an ERROR verdict.") \
X(SCAND_MIME_MAX_CARVED, "scand_mime_max_carved", INT, "256", 1, 100000, \
  "mxscand: MIMESCAN: objects the lenient reading carves from text in one message (uuencoded, yEnc and BinHex files, base64 runs, second readings of a body); more is the part-limit ERROR verdict, never OK.") \
X(SCAND_MIME_AMBIGUOUS_ACTION, "scand_mime_ambiguous_action", CHOICE, "off", 0, 0, \
  "mxscand: MIMESCAN: a message whose readings disagree about which attachments exist: off scans every reading, flag also answers Heuristics.MIME.Ambiguous FOUND.") \
X(SCAND_MIME_RAW_READING, "scand_mime_raw_reading", CHOICE, "auto", 0, 0, \
  "mxscand: MIMESCAN: libclamav's reading of the raw message: auto runs its mail parser only where the other readings may miss something and a flat pass otherwise, full always runs it (for signatures that need it, such as Container:CL_TYPE_MAIL).") \
X(SCAND_MIME_FLAT_BASE64_HEAD, "scand_mime_flat_base64_head", SIZE, "8k", 0, 4294967295LL, \
  "mxscand: MIMESCAN: bytes of each base64 body the flat raw pass matches as sent, when the body was decoded and its decoded bytes scanned (file headers, where signatures on base64 text of an attachment are written); the rest of the encoded text is skipped. 4294967295 reads every body whole.") \
X(SCAND_ALERT_EXCEEDS_MAX, "scand_alert_exceeds_max", BOOL, "yes", 0, 1, \
  "mxscand: report input over an engine limit as Heuristics.Limits.Exceeded.* FOUND instead of a silent OK.") \
X(SCAND_HEURISTIC_ALERTS, "scand_heuristic_alerts", BOOL, "yes", 0, 1, \
  "mxscand: report heuristic detections (broken executables, phishing, encrypted archives per engine defaults).") \
X(SCAND_BYTECODE, "scand_bytecode", BOOL, "yes", 0, 1, \
  "mxscand: load and run signed bytecode signatures.") \
X(SCAND_ALLMATCHSCAN, "scand_allmatchscan", BOOL, "yes", 0, 1, \
  "mxscand: accept the ALLMATCHSCAN command.") \
X(SCAND_REQUIRE_SELFTEST, "scand_require_selftest", BOOL, "yes", 0, 1, \
  "mxscand: a newly loaded engine must detect the EICAR test string before it serves scans.") \
X(SCAND_DB_UNLOCKED_READS, "scand_db_unlocked_reads", BOOL, "yes", 0, 1, \
  "mxscand: while a database loads, read its text signature files through stdio streams without their locks (libclamav's fopen64 and fdopen are intercepted; a start-up self-check turns this off if libclamav no longer reads them that way).") \
X(SCAND_DB_CHECK_INTERVAL, "scand_db_check_interval", TIME, "10s", 0, 86400000, \
  "mxscand: how often the database is checked for changes that trigger a reload; 0 disables.") \
X(SCAND_RELOAD_RETRY_MIN, "scand_reload_retry_min", TIME, "5s", 100, 86400000, \
  "mxscand: first delay before a failed reload is retried; it doubles on each failure.") \
X(SCAND_RELOAD_RETRY_MAX, "scand_reload_retry_max", TIME, "600s", 100, 86400000, \
  "mxscand: longest delay between reload retries.") \
X(SCAND_CLAMD_CONFIG, "scand_clamd_config", STR, "", 0, 0, \
  "mxscand: clamd.conf to read after this file, as mxscand -C does: its keys set the parameters mxscand(8) maps them to; a key mxscand cannot honour is an error naming its line; empty reads none.") \
X(SCAND_HEURISTIC_PRECEDENCE, "scand_heuristic_precedence", BOOL, "no", 0, 1, \
  "mxscand: a heuristic detection ends the scan at once instead of being reported only when no signature matched (clamd's HeuristicScanPrecedence).") \
X(SCAND_ALERT_BROKEN_EXECUTABLES, "scand_alert_broken_executables", BOOL, "no", 0, 1, \
  "mxscand: report broken PE, ELF and Mach-O executables as Heuristics.Broken.Executable (AlertBrokenExecutables).") \
X(SCAND_ALERT_BROKEN_MEDIA, "scand_alert_broken_media", BOOL, "no", 0, 1, \
  "mxscand: report broken JPEG, TIFF, PNG and GIF files as Heuristics.Broken.Media (AlertBrokenMedia).") \
X(SCAND_ALERT_ENCRYPTED_ARCHIVE, "scand_alert_encrypted_archive", BOOL, "no", 0, 1, \
  "mxscand: report encrypted zip, 7z and rar archives as Heuristics.Encrypted.* (AlertEncryptedArchive).") \
X(SCAND_ALERT_ENCRYPTED_DOC, "scand_alert_encrypted_doc", BOOL, "no", 0, 1, \
  "mxscand: report encrypted PDF documents as Heuristics.Encrypted.* (AlertEncryptedDoc).") \
X(SCAND_ALERT_MACROS, "scand_alert_macros", BOOL, "no", 0, 1, \
  "mxscand: report OLE2 files with VBA macros no signature matched as Heuristics.OLE2.ContainsMacros (AlertOLE2Macros).") \
X(SCAND_ALERT_PHISHING_SSL, "scand_alert_phishing_ssl", BOOL, "no", 0, 1, \
  "mxscand: report SSL mismatches in URLs even when no phishing signature names them (AlertPhishingSSLMismatch).") \
X(SCAND_ALERT_PHISHING_CLOAK, "scand_alert_phishing_cloak", BOOL, "no", 0, 1, \
  "mxscand: report cloaked URLs even when no phishing signature names them (AlertPhishingCloak).") \
X(SCAND_ALERT_PARTITION_INTERSECTION, "scand_alert_partition_intersection", BOOL, "no", 0, 1, \
  "mxscand: report raw disk images whose partitions intersect (AlertPartitionIntersection).") \
X(SCAND_PHISHING_SIGNATURES, "scand_phishing_signatures", BOOL, "yes", 0, 1, \
  "mxscand: load the phishing signatures of the database (PhishingSignatures).") \
X(SCAND_PHISHING_SCAN_URLS, "scand_phishing_scan_urls", BOOL, "yes", 0, 1, \
  "mxscand: check URLs in mail against the phishing URL lists of the database (PhishingScanURLs).") \
X(SCAND_DETECT_PUA, "scand_detect_pua", BOOL, "no", 0, 1, \
  "mxscand: load the signatures of potentially unwanted applications (DetectPUA).") \
X(SCAND_OFFICIAL_DB_ONLY, "scand_official_db_only", BOOL, "no", 0, 1, \
  "mxscand: load only the signed databases of the ClamAV project, no local signature files (OfficialDatabaseOnly).") \
X(SCAND_BYTECODE_TIMEOUT, "scand_bytecode_timeout", TIME, "60s", 0, 3600000, \
  "mxscand: engine BytecodeTimeout, time one bytecode signature may run on one file.") \
X(SCAND_MAX_EMBEDDED_PE, "scand_max_embedded_pe", SIZE, "40m", 0, 4294967295LL, \
  "mxscand: engine MaxEmbeddedPE, largest file searched for embedded executables.") \
X(SCAND_MAX_HTML_NORMALIZE, "scand_max_html_normalize", SIZE, "40m", 0, 4294967295LL, \
  "mxscand: engine MaxHTMLNormalize, largest HTML file normalised.") \
X(SCAND_MAX_HTML_NOTAGS, "scand_max_html_notags", SIZE, "8m", 0, 4294967295LL, \
  "mxscand: engine MaxHTMLNoTags, largest normalised HTML text scanned.") \
X(SCAND_MAX_SCRIPT_NORMALIZE, "scand_max_script_normalize", SIZE, "20m", 0, 4294967295LL, \
  "mxscand: engine MaxScriptNormalize, largest script normalised.") \
X(SCAND_MAX_ZIPTYPERCG, "scand_max_ziptypercg", SIZE, "1m", 0, 4294967295LL, \
  "mxscand: engine MaxZipTypeRcg, largest zip file whose type is recognised again.") \
X(SCAND_MAX_PARTITIONS, "scand_max_partitions", INT, "50", 0, 1000000, \
  "mxscand: engine MaxPartitions, partitions of a raw disk image scanned.") \
X(SCAND_MAX_ICONSPE, "scand_max_iconspe", INT, "100", 0, 1000000, \
  "mxscand: engine MaxIconsPE, icons of one PE file scanned.") \
X(SCAND_MAX_HWP_RECURSION, "scand_max_hwp_recursion", INT, "16", 0, 1000000, \
  "mxscand: engine MaxRecHWP3, recursion of the HWP3 parser.") \
X(SCAND_PCRE_MATCH_LIMIT, "scand_pcre_match_limit", INT, "100000", 0, 1000000000, \
  "mxscand: engine PCREMatchLimit, calls of the PCRE match function per regex.") \
X(SCAND_PCRE_RECMATCH_LIMIT, "scand_pcre_recmatch_limit", INT, "2000", 0, 1000000000, \
  "mxscand: engine PCRERecMatchLimit, recursive calls of the PCRE match function per regex.") \
X(SCAND_PCRE_MAX_FILESIZE, "scand_pcre_max_filesize", SIZE, "100m", 0, 4294967295LL, \
  "mxscand: engine PCREMaxFileSize, largest file PCRE subsignatures run on; 0 means no limit.") \
X(CONVERSION_INFECTED_ACTION, "conversion_infected_action", CHOICE, "substitute", 0, 0, \
  "mxscan-conversion: what happens to an infected part: substitute a text notice, delete the part, bounce, hold or discard the message.") \
X(CONVERSION_FAILURE_ACTION, "conversion_failure_action", CHOICE, "retry", 0, 0, \
  "mxscan-conversion: when the part cannot be scanned: retry later (PMDF__AGN), hold the message, or pass the part unscanned (explicit opt-in).") \
X(CONVERSION_TIMEOUT, "conversion_timeout", TIME, "60s", 100, 3600000, \
  "mxscan-conversion: longest time for one part's scan before the failure action applies.") \
X(CONVERSION_NAME_VARIABLES, "conversion_name_variables", LIST, "FILENAME NAME", 0, 0, \
  "mxscan-conversion: environment variables (PARAMETER-SYMBOL / DPARAMETER-SYMBOL names) that carry the part's file name, first non-empty wins.") \
X(FILTER_LISTEN, "filter_listen", STR, "127.0.0.1:10025", 0, 0, \
  "mxscan-filter: SMTP listener as host:port that Postfix sends mail to.") \
X(FILTER_FORWARD, "filter_forward", STR, "127.0.0.1:10026", 0, 0, \
  "mxscan-filter: host:port of the SMTP server (Postfix's reinjection smtpd) that receives the scanned mail.") \
X(FILTER_MODE, "filter_mode", CHOICE, "after-queue", 0, 0, \
  "mxscan-filter: after-queue (Postfix content_filter) or before-queue (smtpd_proxy_filter).") \
X(FILTER_INFECTED_ACTION, "filter_infected_action", CHOICE, "quarantine", 0, 0, \
  "mxscan-filter: infected mail is quarantined (accepted, not delivered, kept), discarded, stripped of its infected parts, tagged with a header, or rejected with 550 5.7.0 (before-queue only).") \
X(FILTER_FAILURE_ACTION, "filter_failure_action", CHOICE, "tempfail", 0, 0, \
  "mxscan-filter: when a message cannot be scanned: tempfail (451 4.3.0, Postfix keeps it) or pass it marked unscanned (explicit opt-in).") \
X(FILTER_LIMIT_ACTION, "filter_limit_action", CHOICE, "quarantine", 0, 0, \
  "mxscan-filter: a message over mxscand's limits (stream length, MIME parts, depth, decoded bytes) can never be scanned: quarantine it, tempfail (451 4.3.0), reject with 552 5.3.4 (before-queue only) or pass it marked unscanned.") \
X(FILTER_QUARANTINE_DIR, "filter_quarantine_dir", STR, "/var/spool/mxscan/quarantine", 0, 0, \
  "mxscan-filter and mxscan-quarantine: directory of quarantined messages with their envelopes.") \
X(FILTER_MAX_CONNECTIONS, "filter_max_connections", INT, "100", 1, 10000, \
  "mxscan-filter: concurrent SMTP sessions; size it to the maxproc of the Postfix transport that feeds the filter.") \
X(FILTER_MAX_MESSAGE_SIZE, "filter_max_message_size", SIZE, "100m", 1024, 4294967295LL, \
  "mxscan-filter: largest message accepted; a larger one gets 552 5.3.4.") \
X(FILTER_MEMORY_MAX, "filter_memory_max", SIZE, "4m", 0, 1073741824LL, \
  "mxscan-filter: messages up to this size are held in memory; larger ones spool to a private 0600 file.") \
X(FILTER_TEMP_DIR, "filter_temp_dir", STR, "/var/tmp", 0, 0, \
  "mxscan-filter: directory in which the filter creates its private 0700 spool directory.") \
X(FILTER_CLIENT_TIMEOUT, "filter_client_timeout", TIME, "300s", 100, 3600000, \
  "mxscan-filter: longest silence from the SMTP client (Postfix) in a session.") \
X(FILTER_FORWARD_TIMEOUT, "filter_forward_timeout", TIME, "300s", 100, 3600000, \
  "mxscan-filter: longest wait for any reply of the forward server.") \
X(FILTER_MESSAGE_TIMEOUT, "filter_message_timeout", TIME, "540s", 100, 3600000, \
  "mxscan-filter: from the end of DATA to the final reply (scan plus delivery); past it 451 4.3.0. In before-queue mode at most 90s is used (Postfix's smtpd_proxy_timeout is 100s).") \
X(FILTER_HOSTNAME, "filter_hostname", STR, "", 0, 0, \
  "mxscan-filter: name in the SMTP greeting and added headers; empty uses the host name.") \
X(FILTER_ADD_HEADERS, "filter_add_headers", BOOL, "no", 0, 1, \
  "mxscan-filter: add X-Virus-Scanned and X-Virus-Status headers to delivered mail.") \
X(FILTER_USER, "filter_user", STR, "mxscan", 0, 0, \
  "mxscan-filter: user to switch to after binding when started as root; empty keeps root (not recommended).") \
X(FILTER_PID_FILE, "filter_pid_file", STR, "", 0, 0, \
  "mxscan-filter: file to write the filter's process id to; empty writes none.") \
X(MILTER_SOCKET, "milter_socket", STR, "unix:/run/mxscan/milter.sock", 0, 0, \
  "mxscan-milter: where the MTA connects, in libmilter's syntax: unix:/path, inet:port@host or inet6:port@host.") \
X(MILTER_SOCKET_MODE, "milter_socket_mode", MODE, "0660", 0, 0777, \
  "mxscan-milter: permission bits of a UNIX milter_socket.") \
X(MILTER_SOCKET_GROUP, "milter_socket_group", STR, "", 0, 0, \
  "mxscan-milter: group of a UNIX milter_socket (the MTA's group, e.g. postfix); empty keeps the milter's group.") \
X(MILTER_USER, "milter_user", STR, "mxscan", 0, 0, \
  "mxscan-milter: user to switch to after binding when started as root; empty keeps root (not recommended).") \
X(MILTER_PID_FILE, "milter_pid_file", STR, "", 0, 0, \
  "mxscan-milter: file to write the milter's process id to; empty writes none.") \
X(MILTER_INFECTED_ACTION, "milter_infected_action", CHOICE, "reject", 0, 0, \
  "mxscan-milter: infected mail is rejected in the SMTP dialogue (550 5.7.0), quarantined by the MTA (Postfix hold queue), discarded, or tagged with X-Virus-Status.") \
X(MILTER_FAILURE_ACTION, "milter_failure_action", CHOICE, "tempfail", 0, 0, \
  "mxscan-milter: when a message cannot be scanned: tempfail (451 4.3.0, the client retries) or accept it marked unscanned (explicit opt-in).") \
X(MILTER_LIMIT_ACTION, "milter_limit_action", CHOICE, "quarantine", 0, 0, \
  "mxscan-milter: a message over mxscand's limits can never be scanned: quarantine it (MTA hold queue), tempfail (451 4.3.0), reject (552 5.3.4) or accept it marked unscanned.") \
X(MILTER_REJECT_REPLY, "milter_reject_reply", STR, "message refused: virus %v found", 0, 0, \
  "mxscan-milter: text of the 550 5.7.0 reply to infected mail; %v is the signature name (other %-sequences are dropped: the reply never holds a percent sign).") \
X(MILTER_SKIP_AUTHENTICATED, "milter_skip_authenticated", BOOL, "no", 0, 1, \
  "mxscan-milter: accept mail from SMTP-authenticated senders ({auth_authen} macro) unscanned.") \
X(MILTER_ADD_HEADERS, "milter_add_headers", BOOL, "no", 0, 1, \
  "mxscan-milter: add X-Virus-Scanned and X-Virus-Status, replacing any the message carries.") \
X(MILTER_HOSTNAME, "milter_hostname", STR, "", 0, 0, \
  "mxscan-milter: host name in X-Virus-Scanned; empty uses the host's name.") \
X(MILTER_MEMORY_MAX, "milter_memory_max", SIZE, "1m", 0, 1073741824LL, \
  "mxscan-milter: bytes of a message kept in memory for failover to the next scanner; beyond it the copy goes to a private 0600 file.") \
X(MILTER_TEMP_DIR, "milter_temp_dir", STR, "/var/tmp", 0, 0, \
  "mxscan-milter: directory in which the milter creates its private 0700 spool directory.") \
X(MILTER_SCAN_TIMEOUT, "milter_scan_timeout", TIME, "240s", 100, 3600000, \
  "mxscan-milter: from end-of-message to the verdict, failover included (and the longest wait for the scanner while a message streams); keep it below the MTA's milter time-out (Postfix milter_content_timeout, 300s).") \
X(MILTER_MTA_TIMEOUT, "milter_mta_timeout", TIME, "7210s", 1000, 86400000, \
  "mxscan-milter: longest silence from the MTA on a milter connection (libmilter's smfi_settimeout).") \
X(BANNED_NAMES, "banned_names", LIST, "", 0, 0, \
  "Policy: attachment names banned in mail, as globs (*.exe, *.pdf.*) or extensions (exe, .exe), matched without case against every name a client could show for a part (and archive members with banned_in_archives).") \
X(BANNED_TYPES, "banned_types", LIST, "", 0, 0, \
  "Policy: true file types banned in mail, as libclamav detects them (MSEXE, ELF, MACHO, ZIP, ...) or by the groups PE, MACHO, SCRIPT, OFFICE; globs allowed.") \
X(BANNED_IN_ARCHIVES, "banned_in_archives", BOOL, "yes", 0, 1, \
  "Policy: banned_names and banned_types apply to the members of archives (zip, rar, 7z, tar, cab, iso, nested) too.") \
X(BANNED_ENCRYPTED, "banned_encrypted", CHOICE, "tag", 0, 0, \
  "Policy: what an encrypted archive or document (Heuristics.Encrypted.*, reported as Banned.Encrypted.<kind>) gets: pass, tag, strip, quarantine, discard, reject, or infected (the program's infected action).") \
X(BANNED_ACTION, "banned_action", CHOICE, "infected", 0, 0, \
  "Policy: what a message with a banned name or type gets: infected (the program's infected action), pass, tag, strip, quarantine, discard or reject.") \
X(SIGNATURE_RULES, "signature_rules", STR, "", 0, 0, \
  "Policy: ordered /regex/ action pairs on signature names (POSIX extended, case-sensitive; actions pass or ignore, tag, strip, quarantine, discard, reject, infected); the first that matches a signature decides it.") \
X(POLICY_SKIP_NETWORKS, "policy_skip_networks", LIST, "", 0, 0, \
  "Policy: client networks (CIDR, IPv4 or IPv6) whose mail passes unscanned, marked so in the log.") \
X(POLICY_SKIP_AUTHENTICATED, "policy_skip_authenticated", BOOL, "no", 0, 1, \
  "Policy: mail from an authenticated client (milter {auth_authen}) passes unscanned.") \
X(POLICY_ALLOW_SENDERS, "policy_allow_senders", LIST, "", 0, 0, \
  "Policy: envelope senders whose mail passes unscanned: user@domain, @domain (and its subdomains) or /regex/.") \
X(POLICY_ALLOW_RECIPIENTS, "policy_allow_recipients", LIST, "", 0, 0, \
  "Policy: envelope recipients for whom mail passes unscanned (every recipient must match): user@domain, @domain or /regex/.") \
X(UPDATE_MIRRORS, "update_mirrors", LIST, "https://database.clamav.net", 0, 0, \
  "mxscan-update: base URLs of ClamAV database mirrors (https, http or file), tried in order.") \
X(UPDATE_DATABASES, "update_databases", LIST, "main daily bytecode", 0, 0, \
  "mxscan-update: ClamAV databases fetched from update_mirrors, by name; empty fetches none.") \
X(UPDATE_BUNDLES, "update_bundles", LIST, "", 0, 0, \
  "mxscan-update: URLs of site signature bundles (.tar.gz), each signed by a .minisig beside it.") \
X(UPDATE_TRUSTED_KEYS, "update_trusted_keys", LIST, "", 0, 0, \
  "mxscan-update: minisign public key files whose signatures on bundles are accepted.") \
X(UPDATE_KEEP_VERSIONS, "update_keep_versions", INT, "3", 1, 100, \
  "mxscan-update: database versions kept under versions/, current included.") \
X(UPDATE_CONNECT_TIMEOUT, "update_connect_timeout", TIME, "30s", 100, 600000, \
  "mxscan-update: time to connect to a mirror.") \
X(UPDATE_LOW_SPEED_TIME, "update_low_speed_time", TIME, "60s", 1000, 3600000, \
  "mxscan-update: a download slower than update_low_speed_limit for this long is abandoned.") \
X(UPDATE_LOW_SPEED_LIMIT, "update_low_speed_limit", SIZE, "1k", 1, 1073741824LL, \
  "mxscan-update: bytes per second below which a download counts as stalled.") \
X(UPDATE_RETRIES, "update_retries", INT, "3", 0, 20, \
  "mxscan-update: retries of a failed download per mirror, with exponential backoff and jitter.") \
X(UPDATE_RETRY_DELAY, "update_retry_delay", TIME, "5s", 0, 3600000, \
  "mxscan-update: first delay before a retry; it doubles each time.") \
X(UPDATE_COOLDOWN, "update_cooldown", TIME, "4h", 0, 604800000, \
  "mxscan-update: after a 429 or 403 from a mirror, time it is left alone (a Retry-After header wins).") \
X(UPDATE_MAX_DOWNLOAD, "update_max_download", SIZE, "1g", 1024, 17179869184LL, \
  "mxscan-update: largest file downloaded.") \
X(UPDATE_MAX_ENTRIES, "update_max_entries", INT, "1000", 1, 1000000, \
  "mxscan-update: entries in one bundle archive.") \
X(UPDATE_MAX_UNPACKED, "update_max_unpacked", SIZE, "2g", 1024, 17179869184LL, \
  "mxscan-update: bytes unpacked from one bundle archive (decompression bomb bound).") \
X(UPDATE_CA_FILE, "update_ca_file", STR, "", 0, 0, \
  "mxscan-update: CA certificates (PEM) for https mirrors; empty uses the system store.") \
X(UPDATE_CA_PATH, "update_ca_path", STR, "", 0, 0, \
  "mxscan-update: directory of hashed CA certificates for https mirrors; empty uses the system store.") \
X(UPDATE_SIGNATURE_DROP_MAX, "update_signature_drop_max", INT, "20", 0, 100, \
  "mxscan-update: a new set with this many percent fewer signatures than the current one is refused (unless --force).") \
X(UPDATE_SELFTEST_TIMEOUT, "update_selftest_timeout", TIME, "600s", 1000, 3600000, \
  "mxscan-update: time the self-test child has to load, compile and test a new set.") \
X(UPDATE_RELOAD_TIMEOUT, "update_reload_timeout", TIME, "300s", 1000, 3600000, \
  "mxscan-update: time the daemon has to report the new version in HEALTH after RELOAD.") \
X(UPDATE_DNS_TXT, "update_dns_txt", STR, "current.cvd.clamav.net", 0, 0, \
  "mxscan-update: DNS TXT record announcing ClamAV database versions, read before any HTTP request; empty checks the mirrors by range request (private mirrors).") \
X(UPDATE_DNS_SERVER, "update_dns_server", STR, "", 0, 0, \
  "mxscan-update: DNS server for update_dns_txt as IPv4[:port] or [IPv6]:port; empty uses the system's resolvers.") \
X(UPDATE_FEEDS, "update_feeds", STR, "", 0, 0, \
  "mxscan-update: third-party signature feeds, one entry each: NAME verify=gpg|minisign|sha256|cvd|none url=BASE files=F,... [companions=F,...] [interval=TIME] [gpg_home=DIR] [minisign_key=FILE].") \
X(UPDATE_HAM_DIR, "update_ham_dir", STR, "", 0, 0, \
  "mxscan-update: folder of known-good mail scanned by every new set in its self-test; any detection refuses the set. Empty: no ham gate.") \
X(UPDATE_IGNORE_SIGNATURES, "update_ignore_signatures", LIST, "", 0, 0, \
  "mxscan-update: signature names silenced in every set the updater builds (written as mxscan-local.ign2).") \
X(UPDATE_CVD_CERTS_DIR, "update_cvd_certs_dir", STR, "/etc/clamav/certs", 0, 0, \
  "mxscan-update: ClamAV's CA certificates for the detached .cvd.sign of each CVD; used only when built against libclamav 1.5+ (1.4 checks the header signature only). Empty: header signature only.") \
X(SCAND_METRICS_LISTEN, "scand_metrics_listen", STR, "", 0, 0, \
  "mxscand: Prometheus metrics over HTTP on host:port, or on a bare port of 127.0.0.1; empty (the default) serves none.") \
X(FILTER_METRICS_LISTEN, "filter_metrics_listen", STR, "", 0, 0, \
  "mxscan-filter: Prometheus metrics over HTTP on host:port, or on a bare port of 127.0.0.1; empty (the default) serves none.") \
X(MILTER_METRICS_LISTEN, "milter_metrics_listen", STR, "", 0, 0, \
  "mxscan-milter: Prometheus metrics over HTTP on host:port, or on a bare port of 127.0.0.1; empty (the default) serves none.") \
X(METRICS_PATH, "metrics_path", STR, "/metrics", 0, 0, \
  "mxscand, mxscan-filter and mxscan-milter: the URL path of the metrics page; other paths get 404, methods other than GET 405.") \
X(METRICS_ALLOW_REMOTE, "metrics_allow_remote", BOOL, "no", 0, 1, \
  "mxscand, mxscan-filter and mxscan-milter: allow a metrics listener on an address that is not loopback (the endpoint has no authentication); otherwise such an address is a start-up error.")

/*
 * The words of the CHOICE parameters, declared once.  CONFIG_CHOICES(X)
 * gives X(ID, name) for every CHOICE row (name: the parameter's name as an
 * identifier), and CONFIG_WORDS_<ID>(W, ID) gives W(ID, WORD, "word") for
 * each of its words in index order.  config.h makes of them
 * enum config_<name> { CONF_<ID>_<WORD>, ... } and the typed getter
 * config_<name>(); config.c makes the words the parser accepts and
 * config_choices() prints.  So an enum constant and its word cannot drift
 * apart, and a word added here is a new enum constant every switch sees.
 */
#define CONFIG_CHOICES(X) \
X(CONVERSION_INFECTED_ACTION, conversion_infected_action) \
X(CONVERSION_FAILURE_ACTION, conversion_failure_action) \
X(FILTER_MODE, filter_mode) \
X(FILTER_INFECTED_ACTION, filter_infected_action) \
X(FILTER_FAILURE_ACTION, filter_failure_action) \
X(FILTER_LIMIT_ACTION, filter_limit_action) \
X(MILTER_INFECTED_ACTION, milter_infected_action) \
X(MILTER_FAILURE_ACTION, milter_failure_action) \
X(MILTER_LIMIT_ACTION, milter_limit_action) \
X(BANNED_ENCRYPTED, banned_encrypted) \
X(BANNED_ACTION, banned_action) \
X(SCAND_MIME_AMBIGUOUS_ACTION, scand_mime_ambiguous_action) \
X(SCAND_MIME_RAW_READING, scand_mime_raw_reading)

#define CONFIG_WORDS_CONVERSION_INFECTED_ACTION(W, id) \
W(id, SUBSTITUTE, "substitute") W(id, DELETE, "delete") W(id, BOUNCE, "bounce") \
W(id, HOLD, "hold") W(id, DISCARD, "discard")
#define CONFIG_WORDS_CONVERSION_FAILURE_ACTION(W, id) \
W(id, RETRY, "retry") W(id, HOLD, "hold") W(id, PASS, "pass")
#define CONFIG_WORDS_FILTER_MODE(W, id) \
W(id, AFTER_QUEUE, "after-queue") W(id, BEFORE_QUEUE, "before-queue")
#define CONFIG_WORDS_FILTER_INFECTED_ACTION(W, id) \
W(id, QUARANTINE, "quarantine") W(id, DISCARD, "discard") W(id, STRIP, "strip") \
W(id, TAG, "tag") W(id, REJECT, "reject")
#define CONFIG_WORDS_FILTER_FAILURE_ACTION(W, id) \
W(id, TEMPFAIL, "tempfail") W(id, PASS, "pass")
#define CONFIG_WORDS_FILTER_LIMIT_ACTION(W, id) \
W(id, QUARANTINE, "quarantine") W(id, TEMPFAIL, "tempfail") W(id, REJECT, "reject") \
W(id, PASS, "pass")
#define CONFIG_WORDS_MILTER_INFECTED_ACTION(W, id) \
W(id, REJECT, "reject") W(id, QUARANTINE, "quarantine") W(id, DISCARD, "discard") \
W(id, TAG, "tag")
#define CONFIG_WORDS_MILTER_FAILURE_ACTION(W, id) \
W(id, TEMPFAIL, "tempfail") W(id, ACCEPT, "accept")
#define CONFIG_WORDS_MILTER_LIMIT_ACTION(W, id) \
W(id, QUARANTINE, "quarantine") W(id, TEMPFAIL, "tempfail") W(id, REJECT, "reject") \
W(id, ACCEPT, "accept")
/* The policy's actions (common/policy.h), in its enum's order. */
#define CONFIG_WORDS_POLICY_ACTION(W, id) \
W(id, INFECTED, "infected") W(id, PASS, "pass") W(id, TAG, "tag") W(id, STRIP, "strip") \
W(id, QUARANTINE, "quarantine") W(id, DISCARD, "discard") W(id, REJECT, "reject")
#define CONFIG_WORDS_BANNED_ENCRYPTED(W, id) CONFIG_WORDS_POLICY_ACTION(W, id)
#define CONFIG_WORDS_BANNED_ACTION(W, id) CONFIG_WORDS_POLICY_ACTION(W, id)
#define CONFIG_WORDS_SCAND_MIME_AMBIGUOUS_ACTION(W, id) \
W(id, OFF, "off") W(id, FLAG, "flag")
#define CONFIG_WORDS_SCAND_MIME_RAW_READING(W, id) W(id, AUTO, "auto") W(id, FULL, "full")
/* clang-format on */
