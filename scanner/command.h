/*
 * command.h - the protocol's command table: what a framed command means.
 *
 * Each row names a verb, its flags (takes an argument, allowed in old
 * style, allowed inside IDSESSION, administrative, path scan, needs an
 * engine) and its handler.  Matching follows clamd: by prefix in table
 * order, with VERSIONCOMMANDS before VERSION.  Handlers are pure: they
 * get what a command may know of its connection, format their reply
 * (through the proto_reply helpers, so framing and "<id>: " prefixes are
 * applied in one place) and return an action; the connection applies
 * it.  STATS and HEALTH are formatted here.
 */
#ifndef MX_COMMAND_H
#define MX_COMMAND_H

#include "common/buffer.h"
#include "common/proto.h"
#include "scanner/job.h"

/* What the connection does after the reply. */
enum command_action {
	COMMAND_DONE,		/* the request is over */
	COMMAND_FAIL,		/* the conversation is over: drain the input, then close */
	COMMAND_SESSION,	/* IDSESSION: a session starts */
	COMMAND_END,		/* the session ends once its replies are out */
	COMMAND_STREAM,		/* INSTREAM, MIMESCAN: read chunks into a job of .scan */
	COMMAND_FILDES,		/* FILDES: wait for the descriptor */
	COMMAND_PATH,		/* submit a path scan of .arg, kind .scan */
	COMMAND_SHUTDOWN,	/* the daemon stops; the request is over */
	COMMAND_CLOSE,		/* close at once without a reply (DETSTATS) */
	COMMAND_LEGACY_STREAM,	/* STREAM (scand_legacy_stream): open a data port, reply PORT */
};

/* What a command may know of its connection. */
struct command_conn {
	int in_session;
	int is_unix;		/* UNIX socket (else TCP) */
	unsigned next_id;	/* the session's next request id (updated) */
	const char *peer;	/* for log lines */
	unsigned long long serial;
};

struct command_result {
	enum command_action action;
	struct buffer reply;	/* framed reply bytes; the caller frees */
	unsigned id;		/* IDSESSION request id, 0 outside a session */
	char term;		/* reply terminator */
	const char *name;	/* the verb (static), NULL for no known verb */
	enum job_scan scan;	/* COMMAND_STREAM, COMMAND_PATH */
	const char *arg;	/* COMMAND_PATH: the path, inside the frame */
};

/*
 * command_dispatch - the meaning of FRAME (its cmd NUL-terminated) on a
 * connection in state CC.  R's reply buffer must be empty (or hold
 * nothing to keep); it is appended to.
 */
void command_dispatch(struct command_conn *cc, const struct proto_frame *frame,
		      struct command_result *r);

/* command_reply_error - an ERROR line for ID/PATH into R (the handlers'
 * helper, also used by the connection for its own refusals). */
void command_reply_error(struct buffer *b, unsigned id, char term, const char *path,
			 const char *reason);

#endif
