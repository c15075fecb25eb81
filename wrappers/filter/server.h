/*
 * server.h - the SMTP listener: accepts connections, runs each session
 * on its own thread, at most filter_max_connections at a time (further
 * connections wait in the listen backlog rather than being refused, so
 * Postfix's scheduler never sees a failed handshake), and stops on
 * SIGTERM or SIGINT after the running sessions finish their message.
 */
#ifndef MX_FILTER_SERVER_H
#define MX_FILTER_SERVER_H

/* server_open - bind LISTEN ("host:port"); fatal on failure. */
void server_open(const char *listen, int max_connections);

/* server_run - accept and serve until a stop signal (blocked by the caller). */
void server_run(void);

/* server_close - close the listener. */
void server_close(void);

#endif
