/*
 * server.c - listeners, accepting, the connection list and signals (see
 * server.h).  The loop itself is events.c; each connection is conn.c.
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/conn.h"
#include "scanner/events.h"
#include "scanner/generation.h"
#include "scanner/server.h"

#define SRV_TICK_MS 200
#define SRV_PEER_MAX 80

/* One open connection on the server's list. */
struct srv_client {
	struct conn *conn;
	struct srv_client *next, *prev;
};

static int srv_unix = -1, srv_tcp = -1;
static int srv_unix_activated;	/* passed by systemd: its unit removes it */
static struct events_fd *srv_unix_watch, *srv_tcp_watch;
static int srv_listening, srv_stopping;
static struct srv_client *srv_clients;
static int srv_nclients;

/* srv_listeners - pause or resume accepting (scand_max_connections). */
static void srv_listeners(int on)
{
	if (on == srv_listening)
		return;
	if (srv_unix_watch != NULL)
		events_fd_want(srv_unix_watch, on ? EVENTS_IN : 0);
	if (srv_tcp_watch != NULL)
		events_fd_want(srv_tcp_watch, on ? EVENTS_IN : 0);
	srv_listening = on;
}

/* srv_closed - a connection closed: off the list, and room for another. */
static void srv_closed(void *ctx)
{
	struct srv_client *cl = ctx;

	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		srv_clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	free(cl);
	srv_nclients--;
	if (!srv_listening && !srv_stopping && srv_nclients < config_num(CONF_SCAND_MAX_CONNECTIONS))
		srv_listeners(1);
}

/* srv_peer - "host@port" of a TCP client. */
static void srv_peer(const struct sockaddr_storage *ss, char *peer, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(peer, size, "%s@%d", host, port);
}

/* srv_accept - take new clients until the backlog is empty or we are full. */
static void srv_accept(int lfd, int is_unix)
{
	while (srv_nclients < config_num(CONF_SCAND_MAX_CONNECTIONS)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char peer[SRV_PEER_MAX] = "local";
		struct srv_client *cl;
		int fd;

		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept: %m");
			return;
		}
		if (!is_unix) {
			sock_nodelay(fd);
			srv_peer(&ss, peer, sizeof(peer));
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->conn = conn_new(fd, is_unix, peer, srv_closed, cl);
		if (cl->conn == NULL) {
			free(cl);
			continue;
		}
		cl->next = srv_clients;
		if (srv_clients != NULL)
			srv_clients->prev = cl;
		srv_clients = cl;
		srv_nclients++;
	}
	srv_listeners(0);
}

static void srv_on_unix(void *ctx, unsigned ready)
{
	(void)ctx;
	(void)ready;
	srv_accept(srv_unix, 1);
}

static void srv_on_tcp(void *ctx, unsigned ready)
{
	(void)ctx;
	(void)ready;
	srv_accept(srv_tcp, 0);
}

/* srv_tick - every connection's deadlines. */
static void srv_tick(void *ctx)
{
	long long now = sock_now_ms();
	struct srv_client *cl, *next;

	(void)ctx;
	for (cl = srv_clients; cl != NULL; cl = next) {
		next = cl->next;	/* the tick may close (and unlist) this one */
		conn_tick(cl->conn, now);
	}
}

/* srv_signal - one signal from the loop's signalfd. */
static void srv_signal(void *ctx, int signo)
{
	(void)ctx;
	switch (signo) {
	case SIGHUP:
	case SIGUSR2:
		generation_request_reload(signo == SIGHUP ? "SIGHUP" : "SIGUSR2");
		break;
	default:
		log_info("signal %d: shutting down", signo);
		events_stop();
		break;
	}
}

/* srv_mkdir_parent - create the socket's directory when it is missing. */
static void srv_mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		log_fatal("cannot create %s: %m", dir);
}

/* srv_watch_listener - put listener FD on the loop. */
static struct events_fd *srv_watch_listener(int fd, events_fd_fn *fn)
{
	struct events_fd *w;

	sock_nonblock(fd, 1);
	w = events_fd_add(fd, EVENTS_IN, fn, NULL);
	if (w == NULL)
		log_fatal("epoll_ctl: %m");
	return w;
}

/*
 * srv_activated - the UNIX listener on PATH that systemd passed (socket
 * activation, as Debian's clamav-daemon.socket does for clamd), or -1.
 * PATH's directory is compared resolved (/var/run is /run).
 */
static int srv_activated(const char *path)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char dir[PATH_MAX], base[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 8];
	int fd, n;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return -1;
	n = atoi(fds);
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	if (realpath(dirname(dir), real) == NULL)
		return -1;
	snprintf(want, sizeof(want), "%s/%s", real, basename(base));
	for (fd = 3; fd < 3 + n; fd++) {
		struct sockaddr_un sun;
		socklen_t len = sizeof(sun);

		if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
		    sun.sun_family == AF_UNIX && strcmp(sun.sun_path, want) == 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			sock_nonblock(fd, 1);
			unsetenv("LISTEN_PID");
			unsetenv("LISTEN_FDS");
			return fd;
		}
	}
	return -1;
}

void server_open(void)
{
	const char *err = NULL;
	const char *path = config_str(CONF_SCAND_SOCKET);
	const char *tcp = config_str(CONF_SCAND_TCP_LISTEN);
	int backlog = (int)config_num(CONF_SCAND_LISTEN_BACKLOG);
	sigset_t sigs;

	events_init();
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR2);
	events_signals(&sigs, srv_signal, NULL);
	if (*path != '\0' && (srv_unix = srv_activated(path)) >= 0) {
		srv_unix_activated = 1;
		srv_unix_watch = srv_watch_listener(srv_unix, srv_on_unix);
		log_info("listening on unix:%s (passed by systemd)", path);
	} else if (*path != '\0') {
		srv_mkdir_parent(path);
		srv_unix = sock_listen_unix(path, (unsigned)config_num(CONF_SCAND_SOCKET_MODE),
					    config_str(CONF_SCAND_SOCKET_GROUP), backlog, &err);
		if (srv_unix < 0)
			log_fatal("scand_socket: %s", err);
		srv_unix_watch = srv_watch_listener(srv_unix, srv_on_unix);
		log_info("listening on unix:%s (mode %04llo)", path,
			 config_num(CONF_SCAND_SOCKET_MODE));
	}
	if (*tcp != '\0') {
		srv_tcp = sock_listen_tcp(tcp, backlog, &err);
		if (srv_tcp < 0)
			log_fatal("scand_tcp_listen: %s", err);
		srv_tcp_watch = srv_watch_listener(srv_tcp, srv_on_tcp);
		log_info("listening on tcp:%s", tcp);
	}
	if (srv_unix < 0 && srv_tcp < 0)
		log_fatal("no listener: set scand_socket or scand_tcp_listen");
	srv_listening = 1;
	events_every(SRV_TICK_MS, srv_tick, NULL);
}

void server_run(void)
{
	events_run();
	srv_stopping = 1;
}

void server_close(void)
{
	/* Replies of scans that finished before the stop still go out. */
	events_drain();
	while (srv_clients != NULL)
		conn_close(srv_clients->conn, "shutdown");
	events_drain();
	events_fd_remove(srv_unix_watch);
	events_fd_remove(srv_tcp_watch);
	if (srv_unix >= 0) {
		close(srv_unix);
		if (!srv_unix_activated)
			unlink(config_str(CONF_SCAND_SOCKET));
	}
	if (srv_tcp >= 0)
		close(srv_tcp);
	events_free();
}
