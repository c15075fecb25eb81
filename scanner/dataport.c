/*
 * dataport.c - old clamd's STREAM data port on the event loop (see
 * dataport.h).
 *
 * What it reproduces of clamd 0.95/0.96 (clamd/scanner.c scanstream()):
 * a port taken from the configured range (old clamd's StreamMinPort to
 * StreamMaxPort) starting at a random place and trying at most 1000
 * ports; one listener with a backlog of one; exactly one data connection,
 * read until the client closes it; a stream longer than the limit is cut
 * there and what was read is scanned; the reply texts of the failures
 * ("Can't find any free port.", "Accept timeout.", "read timeout",
 * "Temporary file -> write").  Where it is stricter: the port is bound to
 * the address the command connection came to (loopback for a UNIX socket
 * client), not to every interface; a data connection from any address
 * but the command connection's is reset and the port keeps waiting for
 * the right one; the listener is closed as soon as the data connection is
 * accepted, so a second one is refused; the number of open data ports is
 * bounded (scand_stream_max_pending).
 */
#include "auto-config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/dataport.h"
#include "scanner/events.h"

#define DATAPORT_TRIES 1000		/* ports tried per request, as old clamd */
#define DATAPORT_BACKLOG 1		/* old clamd's listen(sockfd, 1) */
#define DATAPORT_READ_SIZE (64 * 1024)
#define DATAPORT_READ_ROUNDS 4		/* reads per readiness, for fairness */

struct dataport {
	int lfd;			/* the listener, -1 once closed */
	int dfd;			/* the data connection, -1 before and after */
	struct events_fd *lwatch, *dwatch;
	unsigned port;
	struct sockaddr_storage from;	/* the address the data connection must come from */
	struct job *job;
	unsigned long long left;	/* bytes still allowed */
	long long deadline;
	int refused;			/* connections from elsewhere, reset */
	char peer[80];
	dataport_done_fn *done;
	void *ctx;
};

static int dataport_open_count;

int dataport_count(void)
{
	return dataport_open_count;
}

unsigned dataport_port(const struct dataport *dp)
{
	return dp->port;
}

/* dataport_addresses - where to bind (*local) and whom to accept (*from). */
static int dataport_addresses(int cmd_fd, int is_unix, struct sockaddr_storage *local,
			      struct sockaddr_storage *from)
{
	socklen_t len = sizeof(*local);

	memset(local, 0, sizeof(*local));
	memset(from, 0, sizeof(*from));
	if (is_unix) {
		struct sockaddr_in *sin = (struct sockaddr_in *)local;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*from = *local;
		return 0;
	}
	if (getsockname(cmd_fd, (struct sockaddr *)local, &len) < 0)
		return -1;
	len = sizeof(*from);
	if (getpeername(cmd_fd, (struct sockaddr *)from, &len) < 0)
		return -1;
	if (local->ss_family != AF_INET && local->ss_family != AF_INET6)
		return -1;
	return 0;
}

/* dataport_same_host - is A (an accepted peer) at the address FROM? */
static int dataport_same_host(const struct sockaddr_storage *from,
			      const struct sockaddr_storage *a)
{
	if (a->ss_family != from->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)from)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)from)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return 0;
}

/* dataport_set_port - PORT into the address SS. */
static void dataport_set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/*
 * dataport_listen - a listener on a free port of scand_stream_ports at
 * LOCAL: from a random place in the range, the next ports in turn, at
 * most DATAPORT_TRIES of them.  Returns the descriptor (*port_r set), or
 * -1 when none is free.
 */
static int dataport_listen(struct sockaddr_storage *local, unsigned *port_r)
{
	long long lo, hi;
	unsigned span, start = 0, tries, i;
	socklen_t len = local->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						     : sizeof(struct sockaddr_in6);

	config_range(CONF_SCAND_STREAM_PORTS, &lo, &hi);
	span = (unsigned)(hi - lo + 1);
	tries = span < DATAPORT_TRIES ? span : DATAPORT_TRIES;
	if (getrandom(&start, sizeof(start), GRND_NONBLOCK) != sizeof(start))
		start = (unsigned)sock_now_ms();
	for (i = 0; i < tries; i++) {
		unsigned port = (unsigned)lo + (start + i) % span;
		int fd = socket(local->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int on = 1;

		if (fd < 0) {
			log_warn("STREAM: socket: %m");
			return -1;
		}
		/* A port whose last data connection we closed (TIME_WAIT) is free. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		dataport_set_port(local, port);
		if (bind(fd, (struct sockaddr *)local, len) == 0 &&
		    listen(fd, DATAPORT_BACKLOG) == 0) {
			*port_r = port;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* dataport_close_listener - no further connection is accepted (they are refused). */
static void dataport_close_listener(struct dataport *dp)
{
	if (dp->lfd < 0)
		return;
	events_fd_remove(dp->lwatch);
	dp->lwatch = NULL;
	close(dp->lfd);
	dp->lfd = -1;
}

/* dataport_close_data - close the data connection (unread input resets it). */
static void dataport_close_data(struct dataport *dp)
{
	if (dp->dfd < 0)
		return;
	events_fd_remove(dp->dwatch);
	dp->dwatch = NULL;
	close(dp->dfd);
	dp->dfd = -1;
}

/* dataport_finish - close everything and report END; DP may be gone after. */
static void dataport_finish(struct dataport *dp, enum dataport_end end, const char *why)
{
	dataport_close_listener(dp);
	dataport_close_data(dp);
	dp->deadline = 0;
	dp->done(dp->ctx, end, why);
}

/* dataport_reset - refuse an accepted connection with a reset. */
static void dataport_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* dataport_over_limit - the limit is reached: is there more than it? */
static void dataport_over_limit(struct dataport *dp)
{
	char c;
	ssize_t n = recv(dp->dfd, &c, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;	/* nothing yet: the client may still close */
	if (n > 0) {
		log_warn("STREAM port %u (%s): size limit %lld reached; the first %llu bytes "
			 "are scanned", dp->port, dp->peer, config_num(CONF_SCAND_STREAM_MAX_LENGTH),
			 (unsigned long long)dp->job->len);
		dataport_finish(dp, DATAPORT_TRUNCATED, NULL);
		return;
	}
	dataport_finish(dp, DATAPORT_WHOLE, NULL);	/* exactly the limit, then the end */
}

/* dataport_on_data - the data connection is readable. */
static void dataport_on_data(void *ctx, unsigned ready)
{
	static char spill[DATAPORT_READ_SIZE];
	struct dataport *dp = ctx;
	int rounds;

	(void)ready;
	for (rounds = 0; rounds < DATAPORT_READ_ROUNDS; rounds++) {
		size_t want = DATAPORT_READ_SIZE;
		const char *why = NULL;
		char *room;
		ssize_t n;

		if (dp->left == 0) {
			dataport_over_limit(dp);
			return;
		}
		if (want > dp->left)
			want = (size_t)dp->left;
		room = job_stream_room(dp->job, want);
		n = recv(dp->dfd, room != NULL ? room : spill, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* As old clamd: the end of the data, or a failed read, ends the stream. */
			dataport_finish(dp, DATAPORT_WHOLE, NULL);
			return;
		}
		if (room != NULL) {
			job_stream_commit(dp->job, (size_t)n);
		} else if (job_stream_append(dp->job, spill, (size_t)n, &why) < 0) {
			log_warn("STREAM port %u (%s): %s", dp->port, dp->peer, why);
			dataport_finish(dp, DATAPORT_FAILED, "Temporary file -> write");
			return;
		}
		dp->left -= (unsigned long long)n;
		dp->deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
		if ((size_t)n < want && dp->left > 0)
			return;	/* drained */
	}
}

/* dataport_on_accept - connections on the listener: the first from the right host wins. */
static void dataport_on_accept(void *ctx, unsigned ready)
{
	struct dataport *dp = ctx;

	(void)ready;
	for (;;) {
		struct sockaddr_storage ss = {0};
		socklen_t len = sizeof(ss);
		int fd = accept4(dp->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("STREAM port %u (%s): accept: %m", dp->port, dp->peer);
			return;
		}
		if (!dataport_same_host(&dp->from, &ss)) {
			if (dp->refused++ == 0)
				log_warn("STREAM port %u (%s): data connection from another address "
					 "refused", dp->port, dp->peer);
			dataport_reset(fd);
			continue;
		}
		dataport_close_listener(dp);	/* a second connection is refused */
		dp->dfd = fd;
		dp->dwatch = events_fd_add(fd, EVENTS_IN, dataport_on_data, dp);
		if (dp->dwatch == NULL) {
			log_warn("STREAM port %u (%s): epoll_ctl: %m", dp->port, dp->peer);
			close(fd);
			dp->dfd = -1;
			dataport_finish(dp, DATAPORT_FAILED, "accept()");
			return;
		}
		dp->deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
		log_debug("STREAM port %u (%s): data connection accepted", dp->port, dp->peer);
		return;
	}
}

struct dataport *dataport_open(int cmd_fd, int is_unix, const char *peer, struct job *job,
			       dataport_done_fn *done, void *ctx, const char **error_r)
{
	struct sockaddr_storage local, from;
	struct dataport *dp;
	unsigned port = 0;
	int fd;

	if (dataport_open_count >= config_num(CONF_SCAND_STREAM_MAX_PENDING)) {
		log_warn("STREAM (%s): scand_stream_max_pending (%lld) data ports already open",
			 peer, config_num(CONF_SCAND_STREAM_MAX_PENDING));
		*error_r = "Too many STREAM requests pending.";
		return NULL;
	}
	if (dataport_addresses(cmd_fd, is_unix, &local, &from) < 0 ||
	    (fd = dataport_listen(&local, &port)) < 0) {
		log_warn("STREAM (%s): can't find any free port in scand_stream_ports", peer);
		*error_r = "Can't find any free port.";
		return NULL;
	}
	dp = xcalloc(1, sizeof(*dp));
	dp->lfd = fd;
	dp->dfd = -1;
	dp->port = port;
	dp->from = from;
	dp->job = job;
	dp->left = (unsigned long long)config_num(CONF_SCAND_STREAM_MAX_LENGTH);
	dp->deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
	snprintf(dp->peer, sizeof(dp->peer), "%s", peer);
	dp->done = done;
	dp->ctx = ctx;
	dp->lwatch = events_fd_add(fd, EVENTS_IN, dataport_on_accept, dp);
	if (dp->lwatch == NULL) {
		log_warn("STREAM (%s): epoll_ctl: %m", peer);
		close(fd);
		free(dp);
		*error_r = "Can't find any free port.";
		return NULL;
	}
	dataport_open_count++;
	log_debug("STREAM (%s): data port %u open", peer, port);
	return dp;
}

void dataport_tick(struct dataport *dp, long long now)
{
	if (dp->deadline == 0 || now < dp->deadline)
		return;
	if (dp->lfd >= 0) {
		log_warn("STREAM port %u (%s): accept time-out", dp->port, dp->peer);
		dataport_finish(dp, DATAPORT_FAILED, "Accept timeout.");
	} else {
		log_warn("STREAM port %u (%s): read time-out", dp->port, dp->peer);
		dataport_finish(dp, DATAPORT_FAILED, "read timeout");
	}
}

void dataport_free(struct dataport **dpp)
{
	struct dataport *dp = *dpp;

	if (dp == NULL)
		return;
	dataport_close_listener(dp);
	dataport_close_data(dp);
	dataport_open_count--;
	free(dp);
	*dpp = NULL;
}
