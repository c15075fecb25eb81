/*
 * server.h - mxscand's listeners and its list of open connections.
 *
 * The server binds the UNIX and TCP listeners, accepts clients on the
 * event loop (pausing at scand_max_connections), keeps the list of open
 * connections for their deadlines (a tick every 200 ms) and for the
 * shutdown, and turns signals into actions: SIGTERM/SIGINT stop the
 * loop, SIGHUP/SIGUSR2 reload the database.
 */
#ifndef MX_SERVER_H
#define MX_SERVER_H

/* server_open - create the loop's listeners from the configuration (before dropping root). */
void server_open(void);

/* server_run - the event loop; returns when asked to stop. */
void server_run(void);

/* server_close - send what finished scans left, close connections and listeners. */
void server_close(void);

#endif
