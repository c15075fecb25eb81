/*
 * conn.h - one client connection: its whole state machine (command
 * framing, IDSESSION, INSTREAM chunks, passed descriptors), its
 * deadlines and its outbox.
 *
 * Everything runs on the event loop's thread except the reply sink its
 * jobs write to: a scan thread appends its reply lines to the outbox
 * under the connection's lock and, when nothing is queued before them,
 * sends them itself at once (a non-blocking send); what does not fit is
 * left for the loop, which it wakes.  The loop writes everything else.
 * The connection asks command.c what a frame means and applies the
 * answer; it answers a request that needs no scan at once (scan_try_now)
 * and submits the others to the pool, finishing them when their done()
 * comes back.
 */
#ifndef MX_CONN_H
#define MX_CONN_H

struct conn;

/*
 * conn_new - serve the accepted non-blocking socket FD (a UNIX socket
 * when IS_UNIX) from PEER.  CLOSED(CTX) runs once, on the loop, when the
 * connection closes.  Returns NULL, with FD closed, when the loop
 * refuses the descriptor.
 */
struct conn *conn_new(int fd, int is_unix, const char *peer, void (*closed)(void *ctx),
		      void *ctx);

/* conn_tick - enforce the deadlines at time NOW (sock_now_ms clock). */
void conn_tick(struct conn *c, long long now);

/* conn_close - close now (shutdown); its scans stop and write nothing more. */
void conn_close(struct conn *c, const char *why);


#endif
