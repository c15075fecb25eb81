/*
 * server.c - listeners, the epoll I/O loop, signals, and the lists the
 * loop keeps: open connections, connections with output ("dirty", fed by
 * scan threads through an eventfd) and connections parked on a full
 * queue (see server.h).
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "scanner/conn.h"
#include "scanner/generation.h"
#include "scanner/server.h"

enum {
	SRV_TAG_UNIX = 1,
	SRV_TAG_TCP,
	SRV_TAG_WAKE,
	SRV_TAG_SIGNAL,
};

#define SRV_TICK_MS 200

static int srv_ep = -1, srv_wake = -1, srv_sig = -1;
static int srv_unix = -1, srv_tcp = -1;
static int srv_listening;
static char srv_spool[PATH_MAX];
static atomic_int srv_stopping;
static atomic_ullong srv_requests;

static struct conn *srv_conns;		/* open connections (I/O thread) */
static int srv_nconns;
static struct conn *srv_parked_head, *srv_parked_tail;

static pthread_mutex_t srv_dirty_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *srv_dirty;

const char *server_spool_dir(void)
{
	return srv_spool;
}

unsigned long long server_next_request(void)
{
	return atomic_fetch_add(&srv_requests, 1) + 1;
}

static void srv_epoll_add(int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	if (epoll_ctl(srv_ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_fatal("epoll_ctl: %m");
}

/* srv_listeners - pause or resume accepting (scand_max_connections). */
static void srv_listeners(int on)
{
	if (on == srv_listening)
		return;
	if (srv_unix >= 0) {
		struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u64 = SRV_TAG_UNIX};

		epoll_ctl(srv_ep, EPOLL_CTL_MOD, srv_unix, &ev);
	}
	if (srv_tcp >= 0) {
		struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u64 = SRV_TAG_TCP};

		epoll_ctl(srv_ep, EPOLL_CTL_MOD, srv_tcp, &ev);
	}
	srv_listening = on;
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

void server_open(void)
{
	const char *err = NULL;
	const char *path = config_str(CONF_SCAND_SOCKET);
	const char *tcp = config_str(CONF_SCAND_TCP_LISTEN);
	int backlog = (int)config_num(CONF_SCAND_LISTEN_BACKLOG);
	sigset_t sigs;

	srv_ep = epoll_create1(EPOLL_CLOEXEC);
	srv_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv_ep < 0 || srv_wake < 0)
		log_fatal("epoll/eventfd: %m");
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR2);
	srv_sig = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (srv_sig < 0)
		log_fatal("signalfd: %m");
	srv_epoll_add(srv_wake, SRV_TAG_WAKE);
	srv_epoll_add(srv_sig, SRV_TAG_SIGNAL);
	if (*path != '\0') {
		srv_mkdir_parent(path);
		srv_unix = sock_listen_unix(path, (unsigned)config_num(CONF_SCAND_SOCKET_MODE),
					    config_str(CONF_SCAND_SOCKET_GROUP), backlog, &err);
		if (srv_unix < 0)
			log_fatal("scand_socket: %s", err);
		sock_nonblock(srv_unix, 1);
		srv_epoll_add(srv_unix, SRV_TAG_UNIX);
		log_info("listening on unix:%s (mode %04llo)", path,
			 config_num(CONF_SCAND_SOCKET_MODE));
	}
	if (*tcp != '\0') {
		srv_tcp = sock_listen_tcp(tcp, backlog, &err);
		if (srv_tcp < 0)
			log_fatal("scand_tcp_listen: %s", err);
		sock_nonblock(srv_tcp, 1);
		srv_epoll_add(srv_tcp, SRV_TAG_TCP);
		log_info("listening on tcp:%s", tcp);
	}
	if (srv_unix < 0 && srv_tcp < 0)
		log_fatal("no listener: set scand_socket or scand_tcp_listen");
	srv_listening = 1;
}

/* server_spool_open - the private spool directory (after dropping root). */
void server_spool_open(void)
{
	snprintf(srv_spool, sizeof(srv_spool), "%s/mxscand.XXXXXX",
		 config_str(CONF_SCAND_TEMP_DIR));
	if (mkdtemp(srv_spool) == NULL)
		log_fatal("scand_temp_dir: cannot create a private directory in %s: %m",
			  config_str(CONF_SCAND_TEMP_DIR));
	chmod(srv_spool, 0700);
}

/* srv_accept - take new clients until the backlog is empty or we are full. */
static void srv_accept(int lfd, int is_unix)
{
	while (srv_nconns < config_num(CONF_SCAND_MAX_CONNECTIONS)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char peer[80] = "local";
		struct epoll_event ev;
		struct conn *c;
		int fd;

		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept: %m");
			return;
		}
		if (!is_unix) {
			char host[INET6_ADDRSTRLEN] = "?";
			int port = 0;

			sock_nodelay(fd);
			if (ss.ss_family == AF_INET) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

				inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
				port = ntohs(sin->sin_port);
			} else if (ss.ss_family == AF_INET6) {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

				inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
				port = ntohs(sin6->sin6_port);
			}
			snprintf(peer, sizeof(peer), "%s@%d", host, port);
		}
		c = conn_new(fd, is_unix, peer);
		c->epoll_events = EPOLLIN | EPOLLRDHUP;
		ev.events = (uint32_t)c->epoll_events;
		ev.data.ptr = c;
		if (epoll_ctl(srv_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl: %m");
			close(fd);
			c->state = CONN_CLOSED;
			conn_unref(c);
			continue;
		}
		c->next = srv_conns;
		if (srv_conns != NULL)
			srv_conns->prev = c;
		srv_conns = c;
		srv_nconns++;
	}
	srv_listeners(0);
}

void server_watch(struct conn *c, int want_in, int want_out)
{
	/* Level-triggered: never ask for what cannot be acted on, or a
	 * half-closed client (RDHUP) or an idle writable socket would wake
	 * the loop without end. */
	int events = (want_in ? EPOLLIN | EPOLLRDHUP : 0) | (want_out ? EPOLLOUT : 0);
	struct epoll_event ev = {.events = (uint32_t)events, .data.ptr = c};

	if (c->state == CONN_CLOSED || events == c->epoll_events)
		return;
	c->epoll_events = events;
	epoll_ctl(srv_ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void server_forget(struct conn *c)
{
	struct conn **pp;

	epoll_ctl(srv_ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (srv_conns == c)
		srv_conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	for (pp = &srv_parked_head; *pp != NULL; pp = &(*pp)->parked_next) {
		if (*pp == c) {
			*pp = c->parked_next;
			if (srv_parked_tail == c) {
				struct conn *t = srv_parked_head;

				while (t != NULL && t->parked_next != NULL)
					t = t->parked_next;
				srv_parked_tail = t;
			}
			c->parked_next = NULL;
			conn_unref(c);
			break;
		}
	}
	srv_nconns--;
	if (!srv_listening && !srv_stopping && srv_nconns < config_num(CONF_SCAND_MAX_CONNECTIONS))
		srv_listeners(1);
}

void server_mark_dirty(struct conn *c)
{
	uint64_t one = 1;
	int wake = 0;

	pthread_mutex_lock(&srv_dirty_lock);
	if (!c->dirty) {
		c->dirty = 1;
		conn_ref(c);
		c->dirty_next = srv_dirty;
		srv_dirty = c;
		wake = 1;
	}
	pthread_mutex_unlock(&srv_dirty_lock);
	if (wake && write(srv_wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd write: %m");
}

void server_park(struct conn *c)
{
	conn_ref(c);
	c->parked_next = NULL;
	if (srv_parked_tail != NULL)
		srv_parked_tail->parked_next = c;
	else
		srv_parked_head = c;
	srv_parked_tail = c;
}

/* srv_run_dirty - flush every connection scan threads have touched. */
static void srv_run_dirty(void)
{
	struct conn *list, *c;

	pthread_mutex_lock(&srv_dirty_lock);
	list = srv_dirty;
	srv_dirty = NULL;
	pthread_mutex_unlock(&srv_dirty_lock);
	while (list != NULL) {
		/* A connection stays marked while it is on this private list,
		 * so a scan thread cannot relink it (dirty_next) under us; once
		 * unmarked, new output queues it again on srv_dirty. */
		pthread_mutex_lock(&srv_dirty_lock);
		c = list;
		list = c->dirty_next;
		c->dirty_next = NULL;
		c->dirty = 0;
		pthread_mutex_unlock(&srv_dirty_lock);
		conn_flush(c);
		conn_unref(c);
	}
}

/* srv_unpark - give queue room to parked clients, oldest first. */
static void srv_unpark(void)
{
	while (srv_parked_head != NULL) {
		struct conn *c = srv_parked_head;

		if (conn_try_unpark(c) < 0)
			return;
		srv_parked_head = c->parked_next;
		if (srv_parked_head == NULL)
			srv_parked_tail = NULL;
		c->parked_next = NULL;
		/* Input that arrived while parked is processed now. */
		if (c->state != CONN_CLOSED && c->in_len > 0)
			conn_on_input(c);
		conn_unref(c);
	}
}

/* srv_signal - one signal from the signalfd. */
static void srv_signal(void)
{
	struct signalfd_siginfo si;

	while (read(srv_sig, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
		case SIGUSR2:
			generation_request_reload(si.ssi_signo == SIGHUP ? "SIGHUP" : "SIGUSR2");
			break;
		default:
			log_info("signal %u: shutting down", si.ssi_signo);
			srv_stopping = 1;
			break;
		}
	}
}

void server_run(void)
{
	long long last_tick = sock_now_ms();

	while (!srv_stopping) {
		struct epoll_event evs[64];
		int n, i;
		long long now;

		n = epoll_wait(srv_ep, evs, 64, SRV_TICK_MS);
		if (n < 0 && errno != EINTR)
			log_fatal("epoll_wait: %m");
		for (i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			struct conn *c;

			if (tag == SRV_TAG_UNIX || tag == SRV_TAG_TCP) {
				srv_accept(tag == SRV_TAG_UNIX ? srv_unix : srv_tcp,
					   tag == SRV_TAG_UNIX);
				continue;
			}
			if (tag == SRV_TAG_WAKE) {
				uint64_t v;

				if (read(srv_wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
					log_warn("eventfd read: %m");
				continue;
			}
			if (tag == SRV_TAG_SIGNAL) {
				srv_signal();
				continue;
			}
			c = evs[i].data.ptr;
			conn_ref(c);
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				conn_on_input(c);
			if (c->state != CONN_CLOSED && (evs[i].events & (EPOLLHUP | EPOLLERR)))
				conn_close(c, "client disconnected");
			if (c->state != CONN_CLOSED && (evs[i].events & EPOLLOUT))
				conn_flush(c);
			conn_unref(c);
		}
		srv_run_dirty();
		srv_unpark();
		srv_run_dirty();
		now = sock_now_ms();
		if (now - last_tick >= SRV_TICK_MS) {
			struct conn *c, *next;

			last_tick = now;
			for (c = srv_conns; c != NULL; c = next) {
				next = c->next;
				conn_ref(c);
				conn_tick(c, now);
				conn_unref(c);
			}
			srv_run_dirty();
		}
	}
}

void server_stop(void)
{
	srv_stopping = 1;
}

void server_close(void)
{
	/* Replies of scans that finished before the stop still go out. */
	srv_run_dirty();
	while (srv_conns != NULL)
		conn_close(srv_conns, "shutdown");
	srv_run_dirty();
	if (srv_unix >= 0) {
		close(srv_unix);
		unlink(config_str(CONF_SCAND_SOCKET));
	}
	if (srv_tcp >= 0)
		close(srv_tcp);
	if (*srv_spool != '\0' && rmdir(srv_spool) < 0)
		log_warn("cannot remove %s: %m", srv_spool);
	close(srv_sig);
	close(srv_wake);
	close(srv_ep);
}
