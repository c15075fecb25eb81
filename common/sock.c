/*
 * sock.c - listeners, endpoint connects with time-outs, deadline-bounded
 * reads and writes, and SCM_RIGHTS descriptor passing.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/sock.h"

#define SOCK_POLL_SLICE_MS 1000000	/* one poll's longest wait (fits its int) */
#define SOCK_BACKLOG_PAUSE_MS 2		/* first retry after a full backlog ... */
#define SOCK_BACKLOG_PAUSE_MAX_MS 64	/* ... doubled up to this */

static __thread char sock_why[512];

static int sock_fail(const char **error_r, const char *what, const char *arg)
{
	snprintf(sock_why, sizeof(sock_why), "%s %s: %s", what, arg, strerror(errno));
	*error_r = sock_why;
	return -1;
}

long long sock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sock_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* sock_unix_addr - fill a sockaddr_un; fails on an over-long path. */
static int sock_unix_addr(const char *path, struct sockaddr_un *sun, const char **error_r)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		*error_r = "UNIX socket path too long";
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int sock_listen_unix(const char *path, unsigned mode, const char *group, int backlog,
		     const char **error_r)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (sock_unix_addr(path, &sun, error_r) < 0)
		return -1;
	/* Replace a stale socket, but never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(sock_why, sizeof(sock_why), "%s exists and is not a socket", path);
			*error_r = sock_why;
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(fd);
			snprintf(sock_why, sizeof(sock_why), "%s is in use by a running daemon", path);
			*error_r = sock_why;
			return -1;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sock_fail(error_r, "socket", path);
	/* Create the socket with no access, then open it up to MODE. */
	old = umask(0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		sock_fail(error_r, "bind", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (group != NULL && *group != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL || chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			snprintf(sock_why, sizeof(sock_why), "cannot give %s to group %s", path, group);
			*error_r = sock_why;
			close(fd);
			return -1;
		}
	}
	if (chmod(path, (mode_t)mode) < 0 || listen(fd, backlog) < 0) {
		sock_fail(error_r, "listen", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* sock_split_hostport - "host:port" or "[v6]:port" into parts. */
static int sock_split_hostport(const char *hostport, char *host, size_t hsize, char *port,
			       size_t psize, const char **error_r)
{
	const char *colon;
	size_t hl;

	if (hostport[0] == '[') {
		const char *rb = strchr(hostport, ']');

		if (rb == NULL || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - hostport - 1);
		colon = rb + 1;
		hostport++;
	} else {
		colon = strrchr(hostport, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - hostport);
	}
	if (hl == 0 || hl >= hsize || strlen(colon + 1) == 0 || strlen(colon + 1) >= psize)
		goto bad;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
bad:
	snprintf(sock_why, sizeof(sock_why), "bad address \"%.200s\": expected host:port", hostport);
	*error_r = sock_why;
	return -1;
}

static struct addrinfo *sock_resolve(const char *hostport, int passive, const char **error_r)
{
	struct addrinfo hints, *res = NULL;
	char host[256], port[32];
	int r;

	if (sock_split_hostport(hostport, host, sizeof(host), port, sizeof(port), error_r) < 0)
		return NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(sock_why, sizeof(sock_why), "%s: %s", hostport, gai_strerror(r));
		*error_r = sock_why;
		return NULL;
	}
	return res;
}

int sock_listen_tcp(const char *hostport, int backlog, const char **error_r)
{
	struct addrinfo *res = sock_resolve(hostport, 1, error_r);
	int fd, on = 1;

	if (res == NULL)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		return sock_fail(error_r, "socket", hostport);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
		sock_fail(error_r, "bind", hostport);
		close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* sock_wait - poll FD for EVENTS until DEADLINE_MS; 0 ready, -1 time-out. */
static int sock_wait(int fd, short events, long long deadline_ms)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline_ms - sock_now_ms();
		int r;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, left > SOCK_POLL_SLICE_MS ? SOCK_POLL_SLICE_MS : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* sock_connect_addr - non-blocking connect with a deadline. */
static int sock_connect_addr(int fd, const struct sockaddr *sa, socklen_t len,
			     long long deadline_ms)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	long long pause = SOCK_BACKLOG_PAUSE_MS;

	/* A UNIX listener with a full backlog refuses at once with EAGAIN
	 * (there is no connection in progress to wait for): retry until the
	 * deadline, as a client queued in the backlog would have waited. */
	while (connect(fd, sa, len) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS)
			goto wait;
		if (errno != EAGAIN || sock_now_ms() + pause > deadline_ms)
			return -1;
		poll(NULL, 0, (int)pause);
		if (pause < SOCK_BACKLOG_PAUSE_MAX_MS)
			pause *= 2;
	}
	return 0;
wait:
	if (sock_wait(fd, POLLOUT, deadline_ms) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

int sock_connect(const char *endpoint, int timeout_ms, int *is_unix_r, const char **error_r)
{
	long long deadline = sock_now_ms() + timeout_ms;
	struct addrinfo *res, *ai;
	int fd;

	*error_r = NULL;

	if (strncmp(endpoint, "unix:", 5) == 0 || endpoint[0] == '/') {
		const char *path = endpoint[0] == '/' ? endpoint : endpoint + 5;
		struct sockaddr_un sun;

		*is_unix_r = 1;
		if (sock_unix_addr(path, &sun, error_r) < 0)
			return -1;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return sock_fail(error_r, "socket", path);
		if (sock_connect_addr(fd, (struct sockaddr *)&sun, sizeof(sun), deadline) < 0) {
			sock_fail(error_r, "connect", endpoint);
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(endpoint, "tcp:", 4) != 0) {
		snprintf(sock_why, sizeof(sock_why),
			 "bad endpoint \"%.200s\": expected unix:/path or tcp:host:port", endpoint);
		*error_r = sock_why;
		return -1;
	}
	*is_unix_r = 0;
	res = sock_resolve(endpoint + 4, 0, error_r);
	if (res == NULL)
		return -1;
	fd = -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (sock_connect_addr(fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0) {
			sock_nodelay(fd);
			break;
		}
		sock_fail(error_r, "connect", endpoint);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0 && *error_r == NULL)
		return sock_fail(error_r, "connect", endpoint);
	return fd;
}

void sock_nodelay(int fd)
{
	int on = 1;

	/* Fails harmlessly (EOPNOTSUPP) on a socket that is not TCP. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

int sock_write_all(int fd, const void *buf, size_t len, long long deadline_ms,
		   const char **error_r)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (sock_wait(fd, POLLOUT, deadline_ms) < 0)
				return sock_fail(error_r, "write", "to scanner");
			continue;
		}
		return sock_fail(error_r, "write", "to scanner");
	}
	return 0;
}

ssize_t sock_read_some(int fd, void *buf, size_t size, long long deadline_ms,
		       const char **error_r)
{
	for (;;) {
		ssize_t n = recv(fd, buf, size, 0);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (sock_wait(fd, POLLIN, deadline_ms) < 0)
				return sock_fail(error_r, "read", "from scanner");
			continue;
		}
		return sock_fail(error_r, "read", "from scanner");
	}
}

int sock_send_fd(int sock, int fd, long long deadline_ms, const char **error_r)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char dummy = '\0';
	struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
	struct msghdr msg;
	struct cmsghdr *cmsg;

	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	for (;;) {
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) == 1)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && sock_wait(sock, POLLOUT, deadline_ms) == 0)
			continue;
		return sock_fail(error_r, "sendmsg", "descriptor");
	}
}
