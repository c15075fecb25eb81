/*
 * listener.h - the milter socket: libmilter opens milter_socket itself
 * (unix:/path, local:/path, inet:port@host, inet6:port@host), created
 * under a tight umask; a UNIX socket then gets milter_socket_mode and
 * milter_socket_group before any MTA can connect (libmilter accepts only
 * once smfi_main runs).
 */
#ifndef MX_MILTER_LISTENER_H
#define MX_MILTER_LISTENER_H

#include <libmilter/mfapi.h>

/*
 * listener_open - register FILTER and open SOCKET; fatal (naming the
 * setting) on any failure.  MTA_TIMEOUT_S: libmilter's time-out for MTA
 * silence.
 */
void listener_open(struct smfiDesc *filter, const char *socket, unsigned mode, const char *group,
		   int mta_timeout_s);

#endif
