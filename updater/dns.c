/*
 * dns.c - the TXT lookup and ClamAV's version records (see dns.h).
 *
 * The lookup is synchronous on top of c-ares: one channel per lookup,
 * polled until the answer or the deadline.  c-ares is used rather than
 * glibc's res_* because it sets a server with its port (a test server on
 * loopback) and IPv6 servers through its public API.
 */
#include "auto-config.h"

#include <ares.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sock.h"
#include "updater/dns.h"
#include "updater/reason.h"

/* The most ':'-separated fields looked at. */
#define DNS_FIELDS_MAX 16
/* Field numbers of the current.cvd record (see dns.h). */
#define DNS_FIELD_MAIN 1
#define DNS_FIELD_DAILY 2
#define DNS_FIELD_TIME 3
#define DNS_FIELD_BYTECODE 7

static __thread char dns_why[REASON_MAX];

/* dns_split - TEXT's fields into FIELDS (pointers into COPY); the count. */
static int dns_split(const char *text, char copy[DNS_TXT_MAX + 1], char *fields[DNS_FIELDS_MAX])
{
	char *p;
	int n = 0;

	snprintf(copy, DNS_TXT_MAX + 1, "%s", text);
	p = copy;
	while (n < DNS_FIELDS_MAX) {
		char *colon = strchr(p, ':');

		fields[n++] = p;
		if (colon == NULL)
			break;
		*colon = '\0';
		p = colon + 1;
	}
	return n;
}

/* dns_number - FIELD as a number: digits only, at most MAX. */
static int dns_number(const char *field, unsigned long long max, unsigned long long *n_r)
{
	unsigned long long n = 0;

	if (*field == '\0')
		return -1;
	for (; *field; field++) {
		if (*field < '0' || *field > '9')
			return -1;
		n = n * 10 + (unsigned)(*field - '0');
		if (n > max)
			return -1;
	}
	*n_r = n;
	return 0;
}

int dns_cvd_parse(const char *text, struct dns_cvd_record *rec, const char **error_r)
{
	char copy[DNS_TXT_MAX + 1], *f[DNS_FIELDS_MAX];
	unsigned long long v[3], bc = 0;
	int n, i;

	memset(rec, 0, sizeof(*rec));
	if (strlen(text) > DNS_TXT_MAX)
		return reason_set(dns_why, error_r, "TXT record longer than %d bytes", DNS_TXT_MAX);
	n = dns_split(text, copy, f);
	if (n <= DNS_FIELD_TIME)
		return reason_set(dns_why, error_r, "TXT record \"%s\" has %d fields, want 4 or more",
				  text, n);
	for (i = 0; i < 3; i++)
		if (dns_number(f[DNS_FIELD_MAIN + i], i == 2 ? LLONG_MAX : UINT_MAX, &v[i]) < 0)
			return reason_set(dns_why, error_r, "TXT record \"%s\": field %d is not a "
					  "number", text, DNS_FIELD_MAIN + i);
	if (n > DNS_FIELD_BYTECODE && dns_number(f[DNS_FIELD_BYTECODE], UINT_MAX, &bc) < 0)
		return reason_set(dns_why, error_r, "TXT record \"%s\": field %d is not a number",
				  text, DNS_FIELD_BYTECODE);
	rec->main = (unsigned)v[0];
	rec->daily = (unsigned)v[1];
	rec->time = (long long)v[2];
	rec->bytecode = (unsigned)bc;
	return 0;
}

unsigned dns_cvd_version(const struct dns_cvd_record *rec, const char *db)
{
	if (strcmp(db, "main") == 0)
		return rec->main;
	if (strcmp(db, "daily") == 0)
		return rec->daily;
	if (strcmp(db, "bytecode") == 0)
		return rec->bytecode;
	return 0;
}

int dns_db_parse(const char *text, unsigned *version_r, long long *time_r,
		 const char **error_r)
{
	char copy[DNS_TXT_MAX + 1], *f[DNS_FIELDS_MAX];
	unsigned long long v, t;

	if (strlen(text) > DNS_TXT_MAX)
		return reason_set(dns_why, error_r, "TXT record longer than %d bytes", DNS_TXT_MAX);
	if (dns_split(text, copy, f) < 2 || dns_number(f[0], UINT_MAX, &v) < 0 ||
	    dns_number(f[1], LLONG_MAX, &t) < 0)
		return reason_set(dns_why, error_r,
				  "TXT record \"%s\" is not \"<version>:<time>[:...]\"", text);
	*version_r = (unsigned)v;
	*time_r = (long long)t;
	return 0;
}

int dns_db_name(const char *record, const char *db, char *buf, size_t size)
{
	const char *dot = strchr(record, '.');
	int n;

	if (dot == NULL || dot[1] == '\0')
		return -1;
	n = snprintf(buf, size, "%s%s", db, dot);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The outcome of one lookup, filled by dns_answer. */
struct dns_lookup {
	int done;
	int status;		/* ARES_* */
	char *buf;
	size_t size;
	int found;
};

/* dns_answer - c-ares' callback: the first record's strings, joined. */
static void dns_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_lookup *l = arg;
	struct ares_txt_ext *txt = NULL, *t;
	size_t len = 0;

	(void)timeouts;
	l->done = 1;
	l->status = status;
	if (status != ARES_SUCCESS)
		return;
	l->status = ares_parse_txt_reply_ext(abuf, alen, &txt);
	if (l->status != ARES_SUCCESS)
		return;
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start && l->found)
			break;
		l->found = 1;
		if (len + t->length >= l->size) {
			l->status = ARES_EBADRESP;
			break;
		}
		memcpy(l->buf + len, t->txt, t->length);
		len += t->length;
	}
	l->buf[len] = '\0';
	if (l->found && memchr(l->buf, '\0', len) != NULL)
		l->status = ARES_EBADRESP;	/* a NUL inside: not a version record */
	ares_free_data(txt);
}

/* dns_server_csv - SERVER as c-ares' "host:port" list: a bare IPv6
 * address is bracketed so its colons are not read as a port. */
static void dns_server_csv(const char *server, char *buf, size_t size)
{
	const char *colon = strchr(server, ':');

	if (colon != NULL && strchr(colon + 1, ':') != NULL && server[0] != '[')
		snprintf(buf, size, "[%s]", server);
	else
		snprintf(buf, size, "%s", server);
}

/* dns_wait - drive CHANNEL until L is done or DEADLINE (ms) passes. */
static void dns_wait(ares_channel channel, struct dns_lookup *l, long long deadline)
{
	while (!l->done) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		int mask = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM), n = 0, i, r;
		long long left = deadline - sock_now_ms();
		struct timeval tv, *tvp, max = {left > 0 ? left / 1000 : 0,
						 left > 0 ? (left % 1000) * 1000 : 0};

		if (left <= 0) {
			ares_cancel(channel);	/* calls dns_answer with ARES_ECANCELLED */
			return;
		}
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			/* Not c-ares' ARES_GETSOCK_* macros: their int shift by 31
			 * is undefined. */
			unsigned bits = (unsigned)mask;
			short ev = (short)((bits & (1u << i) ? POLLIN : 0) |
					   (bits & (1u << (i + ARES_GETSOCK_MAXNUM)) ? POLLOUT : 0));

			if (ev == 0)
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = ev;
			pfd[n].revents = 0;
			n++;
		}
		tvp = ares_timeout(channel, &max, &tv);
		r = poll(pfd, (nfds_t)n, (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000));
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < n; i++)
			ares_process_fd(channel,
					pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd
										: ARES_SOCKET_BAD,
					pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
	}
}

int dns_txt(const char *name, const char *server, long long timeout_ms, char *buf,
	    size_t size, const char **error_r)
{
	struct ares_options opts = {0};
	struct dns_lookup l = {.buf = buf, .size = size};
	ares_channel channel;
	char csv[256];
	int r;

	if (size == 0)
		return reason_set(dns_why, error_r, "no room for a TXT record");
	buf[0] = '\0';
	r = ares_library_init(ARES_LIB_INIT_ALL);
	if (r != ARES_SUCCESS)
		return reason_set(dns_why, error_r, "c-ares: %s", ares_strerror(r));
	/* Each try waits a third of the time, three tries. */
	opts.timeout = (int)(timeout_ms / 3 > 0 ? timeout_ms / 3 : 1);
	opts.tries = 3;
	r = ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (r != ARES_SUCCESS) {
		ares_library_cleanup();
		return reason_set(dns_why, error_r, "c-ares: %s", ares_strerror(r));
	}
	if (*server) {
		dns_server_csv(server, csv, sizeof(csv));
		r = ares_set_servers_ports_csv(channel, csv);
		if (r != ARES_SUCCESS) {
			ares_destroy(channel);
			ares_library_cleanup();
			return reason_set(dns_why, error_r, "update_dns_server \"%s\": %s", server,
					  ares_strerror(r));
		}
	}
	ares_query(channel, name, 1 /* C_IN */, 16 /* T_TXT */, dns_answer, &l);
	dns_wait(channel, &l, sock_now_ms() + timeout_ms);
	ares_destroy(channel);
	ares_library_cleanup();
	if (!l.done)
		return reason_set(dns_why, error_r, "TXT %s: lookup failed", name);
	if (l.status == ARES_ECANCELLED)
		return reason_set(dns_why, error_r, "TXT %s: no answer within %lld ms", name,
				  timeout_ms);
	if (l.status != ARES_SUCCESS)
		return reason_set(dns_why, error_r, "TXT %s: %s", name, ares_strerror(l.status));
	if (!l.found)
		return reason_set(dns_why, error_r, "TXT %s: no TXT record", name);
	return 0;
}
