/*
 * dataport.h - old clamd's STREAM data port (scand_legacy_stream): one
 * listening TCP port per request, the single data connection it accepts,
 * and the bytes read from that connection into the request's job.
 *
 * Everything runs on the event loop's thread: the listener and then the
 * data connection are watched descriptors, never a thread blocked in
 * accept() or recv(), and the owner's tick enforces the deadline (the
 * read time-out, scand_idle_timeout, for the connection to come and then
 * between reads).  The data port knows nothing of the command connection
 * beyond its addresses: it reports how the stream ended through DONE,
 * and the owner answers.  See mxscand(8), "STREAM (legacy)", for what of
 * old clamd it reproduces and where it is stricter.
 */
#ifndef MX_DATAPORT_H
#define MX_DATAPORT_H

#include "scanner/job.h"

struct dataport;

/* How a data port's stream ended. */
enum dataport_end {
	DATAPORT_WHOLE,		/* the client closed the data connection: the job holds it all */
	DATAPORT_TRUNCATED,	/* more than scand_stream_max_length came: the job holds that much */
	DATAPORT_FAILED,	/* no stream to scan; WHY is the reply's reason */
};

/*
 * dataport_done_fn - the stream ended (once per data port, on the loop).
 * The data port has closed its sockets; the callback may free it.
 */
typedef void dataport_done_fn(void *ctx, enum dataport_end end, const char *why);

/*
 * dataport_open - bind a data port for a STREAM that came on the
 * connected socket CMD_FD (a UNIX socket when IS_UNIX; PEER names the
 * client in log lines) and wait for its data connection, which must come
 * from the same address as the command connection (loopback for a UNIX
 * socket client).  Its bytes go into JOB (a JOB_STREAM_MEM job the caller
 * keeps owning), up to scand_stream_max_length.  Returns the data port,
 * or NULL with *error_r set to the reply's reason (no free port, too many
 * pending).
 */
struct dataport *dataport_open(int cmd_fd, int is_unix, const char *peer, struct job *job,
			       dataport_done_fn *done, void *ctx, const char **error_r);

/* dataport_port - the port number the client is told ("PORT n"). */
unsigned dataport_port(const struct dataport *dp);

/* dataport_tick - enforce the deadline at time NOW (sock_now_ms clock);
 * past it, DONE reports DATAPORT_FAILED. */
void dataport_tick(struct dataport *dp, long long now);

/* dataport_free - close what is still open and free *DPP (NULL is a no-op);
 * DONE is not called. */
void dataport_free(struct dataport **dpp);

/* dataport_count - data ports open now (for scand_stream_max_pending). */
int dataport_count(void);

#endif
