/*
 * server.h - mxscand's listeners and its I/O thread (epoll).
 *
 * The I/O thread accepts clients, reads all input, writes all replies
 * and enforces every connection deadline; scan threads hand replies back
 * through server_wake().  Signals arrive through a signalfd on the same
 * loop: SIGTERM/SIGINT stop, SIGHUP/SIGUSR2 reload.
 */
#ifndef MX_SERVER_H
#define MX_SERVER_H

struct conn;

/* server_open - bind the UNIX and TCP listeners from the configuration. */
void server_open(void);

/* server_spool_open - create the private 0700 spool directory (after dropping root). */
void server_spool_open(void);

/* server_run - the event loop; returns when asked to stop. */
void server_run(void);

/* server_stop - ask the loop to stop (any thread). */
void server_stop(void);

/* server_close - close listeners and remaining connections. */
void server_close(void);

/* server_mark_dirty - C has output to write (any thread). */
void server_mark_dirty(struct conn *c);

/* server_watch - set the epoll interest of C (I/O thread). */
void server_watch(struct conn *c, int want_in, int want_out);

/* server_forget - stop watching C and drop it from the lists (I/O thread). */
void server_forget(struct conn *c);

/*
 * server_park - C waits for room (I/O thread): a complete job for the
 * scan queue, or buffered commands held back while its outbox was full;
 * the event loop resubmits the job and reads the input, oldest first.
 */
void server_park(struct conn *c);

/* server_spool_dir - the private 0700 spool directory. */
const char *server_spool_dir(void);

/* server_next_request - a serial number for the request log. */
unsigned long long server_next_request(void);

#endif
