/*
 * dns.h - ClamAV's version record in DNS: the TXT lookup (c-ares, with a
 * server that can be set, port included) and the parsers of the two
 * record forms freshclam reads.
 *
 * current.cvd.clamav.net holds one TXT string of ':'-separated fields,
 * numbered from 0: 0 the newest ClamAV release, 1 main, 2 daily, 3 the
 * record's time (Unix seconds), 4 a version-warning flag, 5 the newest
 * functionality level, 6 safebrowsing (retired), 7 bytecode.  A database
 * without a field there has its own record, <db>.cvd.clamav.net: field 0
 * its version, field 1 the record's time.
 */
#ifndef MX_UPDATE_DNS_H
#define MX_UPDATE_DNS_H

#include <stddef.h>

/* The longest TXT text kept (the record is about 50 bytes). */
#define DNS_TXT_MAX 512
/* A record older than this is not trusted (freshclam's 12 hours). */
#define DNS_STALE_SECONDS (12 * 3600)

struct dns_cvd_record {
	unsigned main;		/* 0 when the field is empty */
	unsigned daily;
	unsigned bytecode;
	long long time;
};

/*
 * dns_cvd_parse - the fields of a current.cvd record TEXT.  Fields 1, 2
 * and 3 must be numbers, field 7 a number when present.  Returns 0, or -1
 * with *error_r (see reason.h).
 */
int dns_cvd_parse(const char *text, struct dns_cvd_record *rec, const char **error_r);

/* dns_cvd_version - REC's version of database DB (main, daily or
 * bytecode), 0 when the record has no field for it. */
unsigned dns_cvd_version(const struct dns_cvd_record *rec, const char *db);

/* dns_db_parse - a <db>.cvd record TEXT: version (field 0) and time
 * (field 1).  Returns 0, or -1 with *error_r. */
int dns_db_parse(const char *text, unsigned *version_r, long long *time_r,
		 const char **error_r);

/*
 * dns_db_name - the record name of database DB next to RECORD (its first
 * label replaced: current.cvd.clamav.net gives DB.cvd.clamav.net) into
 * BUF of SIZE bytes.  Returns 0, or -1 when RECORD has a single label or
 * the name does not fit.
 */
int dns_db_name(const char *record, const char *db, char *buf, size_t size);

/*
 * dns_txt - the first TXT record of NAME, its strings joined, into BUF
 * (SIZE bytes, DNS_TXT_MAX + 1 fits).  SERVER: "" for the system's
 * resolvers, else "IPv4[:port]" or "[IPv6]:port" or a bare IPv6 address.
 * The lookup gives up after TIMEOUT_MS.  Returns 0, or -1 with *error_r.
 */
int dns_txt(const char *name, const char *server, long long timeout_ms, char *buf,
	    size_t size, const char **error_r);

#endif
