/*
 * server.c - listener, connection cap, session threads, stop (see server.h).
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/filter/server.h"
#include "wrappers/filter/session.h"

#define SERVER_STOP_WAIT_S 30	/* how long running sessions get at stop */

static int server_fd = -1;
static int server_max;
static int server_active;
static int *server_slots;	/* client socket of each running session, -1 when free */
static int server_wake[2] = {-1, -1};	/* a session ended */
static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t server_idle = PTHREAD_COND_INITIALIZER;

struct server_job {
	int fd;
	int slot;
	unsigned long id;
	char peer[64];
};

void server_open(const char *listen, int max_connections)
{
	const char *err = NULL;
	int i;

	server_fd = sock_listen_tcp(listen, 128, &err);
	if (server_fd < 0)
		log_fatal("filter_listen %s: %s", listen, err);
	sock_nonblock(server_fd, 1);
	server_max = max_connections;
	server_slots = xmalloc((size_t)max_connections * sizeof(int));
	for (i = 0; i < max_connections; i++)
		server_slots[i] = -1;
	if (pipe2(server_wake, O_CLOEXEC | O_NONBLOCK) < 0)
		log_fatal("pipe: %m");
}

void server_close(void)
{
	if (server_fd >= 0)
		close(server_fd);
	server_fd = -1;
	if (server_wake[0] >= 0) {
		close(server_wake[0]);
		close(server_wake[1]);
	}
	server_wake[0] = server_wake[1] = -1;
	pthread_mutex_lock(&server_lock);
	if (server_active == 0) {	/* else a late session still uses it */
		free(server_slots);
		server_slots = NULL;
	}
	pthread_mutex_unlock(&server_lock);
}

static void *server_thread(void *arg)
{
	struct server_job *job = arg;
	char byte = 0;
	ssize_t r;

	session_run(job->fd, job->peer, job->id);
	pthread_mutex_lock(&server_lock);
	server_slots[job->slot] = -1;
	server_active--;
	pthread_cond_broadcast(&server_idle);
	pthread_mutex_unlock(&server_lock);
	r = write(server_wake[1], &byte, 1);
	(void)r;
	free(job);
	return NULL;
}

/* server_peer - the client address as text. */
static void server_peer(const struct sockaddr_storage *ss, char *dst, size_t size)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, dst, (socklen_t)size);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, dst,
			  (socklen_t)size);
	else
		snprintf(dst, size, "unknown");
}

/* server_accept - one connection onto a free slot and its thread. */
static void server_accept(unsigned long *next_id)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct server_job *job;
	pthread_attr_t attr;
	pthread_t tid;
	int fd = accept4(server_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK), i;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept: %m");
		return;
	}
	sock_nodelay(fd);
	job = xcalloc(1, sizeof(*job));
	job->fd = fd;
	job->id = ++*next_id;
	server_peer(&ss, job->peer, sizeof(job->peer));
	pthread_mutex_lock(&server_lock);
	for (i = 0; i < server_max && server_slots[i] >= 0; i++)
		;
	job->slot = i;
	server_slots[i] = fd;
	server_active++;
	pthread_mutex_unlock(&server_lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1 << 20);
	if (pthread_create(&tid, &attr, server_thread, job) != 0) {
		log_error("cannot start a session thread");
		pthread_mutex_lock(&server_lock);
		server_slots[i] = -1;
		server_active--;
		pthread_mutex_unlock(&server_lock);
		close(fd);
		free(job);
	}
	pthread_attr_destroy(&attr);
}

void server_run(void)
{
	unsigned long next_id = 0;
	struct timespec until;
	sigset_t sigs;
	int sfd, i;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		log_fatal("signalfd: %m");
	for (;;) {
		struct pollfd p[3] = {
			{.fd = sfd, .events = POLLIN},
			{.fd = server_wake[0], .events = POLLIN},
			{.fd = server_fd, .events = POLLIN},
		};
		int full;

		pthread_mutex_lock(&server_lock);
		full = server_active >= server_max;
		pthread_mutex_unlock(&server_lock);
		if (poll(p, full ? 2 : 3, -1) < 0 && errno != EINTR)
			log_fatal("poll: %m");
		if (p[0].revents & POLLIN)
			break;
		if (p[1].revents & POLLIN) {
			char drain[64];

			while (read(server_wake[0], drain, sizeof(drain)) > 0)
				;
		}
		if (!full && (p[2].revents & POLLIN))
			server_accept(&next_id);
	}
	close(sfd);
	/* Stop: no new connections; running sessions see end of input at
	 * their next command, so a message already in hand is finished. */
	close(server_fd);
	server_fd = -1;
	log_info("stopping: %d session%s running", server_active, server_active == 1 ? "" : "s");
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SERVER_STOP_WAIT_S;
	pthread_mutex_lock(&server_lock);
	for (i = 0; i < server_max; i++)
		if (server_slots[i] >= 0)
			shutdown(server_slots[i], SHUT_RD);
	while (server_active > 0)
		if (pthread_cond_timedwait(&server_idle, &server_lock, &until) == ETIMEDOUT)
			break;
	if (server_active > 0)
		log_warn("%d session%s still running at exit", server_active,
			 server_active == 1 ? "" : "s");
	pthread_mutex_unlock(&server_lock);
}
