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
 * CONF_<ID>_<WORD> constant).  min and max bound the numeric types.
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
  "mxscan-update: time the daemon has to report the new version in HEALTH after RELOAD.")

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
X(SCAND_MIME_AMBIGUOUS_ACTION, scand_mime_ambiguous_action)

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
#define CONFIG_WORDS_SCAND_MIME_AMBIGUOUS_ACTION(W, id) \
W(id, OFF, "off") W(id, FLAG, "flag")
/* clang-format on */
