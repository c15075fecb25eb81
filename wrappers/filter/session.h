/*
 * session.h - one SMTP session from Postfix: the server side of the
 * filter's protocol and the transaction's relay to the forward server;
 * at the end of DATA the message goes to disposition (scan, action,
 * delivery, log line) and disposition's reply goes back to the client.
 *
 * Design (both filter modes): the forward connection opens at EHLO, so
 * the filter announces only the extensions the forward server has
 * (XFORWARD, SMTPUTF8, DSN, 8BITMIME); MAIL and each RCPT are relayed in
 * step and their replies returned unchanged (a 5xx at RCPT reaches
 * Postfix faithfully), XFORWARD is kept and replayed just before MAIL;
 * DATA is received whole here, scanned, and only then sent on.  The
 * reply to the final "." is the forward server's own reply to its "."
 * (a 4xx, 421, disconnect or time-out becomes a 4xx), or the filter's
 * own 250 / 451 / 550 when the message is not delivered.
 */
#ifndef MX_FILTER_SESSION_H
#define MX_FILTER_SESSION_H

/* session_run - serve the connected non-blocking socket FD (closed at the end). */
void session_run(int fd, const char *peer, unsigned long id);

#endif
