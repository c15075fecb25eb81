/*
 * sock.h - socket helpers: listeners, endpoint connects, deadlines and
 * descriptor passing.
 *
 * Endpoints are written "unix:/path" or "tcp:host:port" (a bare path
 * starting with "/" is taken as unix:).  Every function that takes
 * error_r fails with -1 and a reason in *error_r; a reason is a static
 * string or a per-thread buffer, valid until the next call in the same
 * thread.
 */
#ifndef MX_SOCK_H
#define MX_SOCK_H

#include <stddef.h>
#include <sys/types.h>

/* sock_listen_unix - bind PATH (replacing a stale socket) with MODE. */
int sock_listen_unix(const char *path, unsigned mode, const char *group, int backlog,
		     const char **error_r);

/* sock_listen_tcp - bind "host:port" ("[v6]:port" for IPv6). */
int sock_listen_tcp(const char *hostport, int backlog, const char **error_r);

/*
 * sock_connect - connect to ENDPOINT within TIMEOUT_MS.  *is_unix_r says
 * whether it is a UNIX socket (descriptor passing is possible).
 */
int sock_connect(const char *endpoint, int timeout_ms, int *is_unix_r, const char **error_r);

/* sock_nonblock - set or clear O_NONBLOCK. */
int sock_nonblock(int fd, int on);

/*
 * sock_nodelay - TCP_NODELAY on a TCP socket (no-op elsewhere): a request
 * or reply sent in pieces (chunks, then a terminator; a body, then ".")
 * must not wait for the peer's delayed ACK (40 ms a message).
 */
void sock_nodelay(int fd);

/*
 * sock_write_all - write LEN bytes before the absolute DEADLINE_MS
 * (sock_now_ms() clock); works on blocking and non-blocking sockets.
 */
int sock_write_all(int fd, const void *buf, size_t len, long long deadline_ms,
		   const char **error_r);

/*
 * sock_read_some - read up to SIZE bytes before DEADLINE_MS; returns the
 * count, 0 at end of file, -1 on error or time-out.
 */
ssize_t sock_read_some(int fd, void *buf, size_t size, long long deadline_ms,
		       const char **error_r);

/* sock_send_fd - send FD as SCM_RIGHTS with one dummy byte, waiting for
 * room in the socket until DEADLINE_MS (sock_now_ms clock). */
int sock_send_fd(int sock, int fd, long long deadline_ms, const char **error_r);

/* sock_now_ms - CLOCK_MONOTONIC in milliseconds. */
long long sock_now_ms(void);

#endif
