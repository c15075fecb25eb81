/*
 * proto.h - clamd's wire protocol, both sides.
 *
 * Server side: proto_frame_next() cuts one command out of a receive
 * buffer with clamd's framing rules (z: NUL-terminated, n: newline-
 * terminated, bare "old style" only at the start of a connection), and
 * the proto_reply_*() helpers format every reply the daemon sends:
 * "[<id>: ][<path>: ]<message> <STATUS><terminator>", and
 * proto_id_prefix() is the one place the "<id>: " of IDSESSION is written.
 * Client side: proto_instream_*() write INSTREAM chunks and
 * proto_verdict_parse() reads one reply line into a verdict.
 */
#ifndef MX_PROTO_H
#define MX_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Longest command clamd accepts: a command name plus a path. */
#define PROTO_COMMAND_MAX (1024 + 4096)

/* Largest INSTREAM chunk our clients send. */
#define PROTO_CHUNK_SIZE (64 * 1024)

enum proto_framing {
	PROTO_FRAME_BARE,	/* old style, replies end in \n */
	PROTO_FRAME_Z,		/* zCMD\0, replies end in \0 */
	PROTO_FRAME_N,		/* nCMD\n, replies end in \n */
};

enum proto_frame_status {
	PROTO_FRAME_OK,		/* a command was cut out */
	PROTO_FRAME_MORE,	/* need more bytes */
	PROTO_FRAME_TOO_LONG,	/* command longer than PROTO_COMMAND_MAX */
};

struct proto_frame {
	enum proto_framing framing;
	const char *cmd;	/* points into the buffer, not terminated */
	size_t cmd_len;
	size_t consumed;	/* bytes of the buffer the command used */
};

/*
 * proto_frame_next - cut the next command out of BUF (LEN bytes).
 * ALLOW_BARE permits an old-style command (only the first command of a
 * connection, outside IDSESSION).  AT_EOF says no more bytes will come.
 * A bare command ends at \n, at EOF, or - like clamd, which takes its
 * first packet whole - when BARE_WHOLE is set and the bytes so far are a
 * complete packet (the caller passes 1 once a read left nothing pending).
 */
enum proto_frame_status proto_frame_next(const char *buf, size_t len, int allow_bare,
					 int bare_whole, struct proto_frame *frame);

/* proto_terminator - the reply terminator for a framing. */
char proto_terminator(enum proto_framing framing);

/* Longest "<id>: " prefix with its NUL ("4294967295: "). */
#define PROTO_ID_PREFIX_MAX 13

/*
 * proto_id_prefix - "<id>: " for a request inside IDSESSION, "" for ID 0
 * (no session), into DST (SIZE bytes, PROTO_ID_PREFIX_MAX always fits;
 * a smaller DST gets the prefix cut, always NUL-terminated).  Returns the
 * length of the whole prefix, as snprintf does.
 */
int proto_id_prefix(char *dst, size_t size, unsigned id);

/*
 * Reply formatting.  Each writes into DST (SIZE bytes) and returns the
 * length, or -1 when it does not fit.  ID is the IDSESSION request id
 * (0 outside a session); PATH may be NULL.  TERM is the terminator.
 */
int proto_reply_ok(char *dst, size_t size, unsigned id, const char *path, char term);
int proto_reply_found(char *dst, size_t size, unsigned id, const char *path,
		      const char *virname, char term);
int proto_reply_error(char *dst, size_t size, unsigned id, const char *path,
		      const char *reason, char term);
/* proto_reply_text - "[<id>: ]<text><term>" for PONG, RELOADING, ... */
int proto_reply_text(char *dst, size_t size, unsigned id, const char *text, char term);

/* proto_chunk_header - the 4-byte big-endian length of an INSTREAM chunk. */
void proto_chunk_header(unsigned char hdr[4], uint32_t len);
uint32_t proto_chunk_length(const unsigned char hdr[4]);

/*
 * The reasons of the ERROR replies that refuse input as over one of the
 * scanner's limits.  The first is clamd's own text, byte for byte (a
 * stock clamd sends it too); the MIME ones are mxscand's MIMESCAN limits.
 * Sending the same input again cannot succeed.
 */
#define PROTO_LIMIT_STREAM "INSTREAM size limit exceeded."
#define PROTO_LIMIT_MIME_PARTS "MIME part limit exceeded."
#define PROTO_LIMIT_MIME_DEPTH "MIME depth limit exceeded."
#define PROTO_LIMIT_MIME_DECODED "MIME decoded size limit exceeded."

/* proto_reason_is_limit - is REASON (an ERROR reply's text) one of those? */
int proto_reason_is_limit(const char *reason);

enum proto_verdict {
	PROTO_VERDICT_CLEAN,
	PROTO_VERDICT_INFECTED,
	PROTO_VERDICT_ERROR,	/* the scanner answered with an error */
};

/* proto_verdict_word - the status word of verdict V: "OK", "FOUND" or "ERROR". */
const char *proto_verdict_word(enum proto_verdict v);

/*
 * proto_verdict_parse - classify one reply line (without terminator):
 * "... OK", "... <name> FOUND", "... ERROR".  On FOUND *name_r gets the
 * signature (NAME bytes); on ERROR the reason text without " ERROR".
 * Returns -1 for a line that is none of these, and for "OK" text that
 * holds a newline or NUL (only a whole single line is clean).
 */
int proto_verdict_parse(const char *line, size_t len, enum proto_verdict *verdict_r,
			char *name, size_t name_size);

/*
 * proto_sig_token - a scanner-supplied name SRC (a signature, a policy
 * label, a reason) as one token safe in a header field, a log line and an
 * SMTP reply: spaces become '_', bytes other than letters, digits and
 * "._-:/+=@" become '?'; cut to SIZE.
 */
void proto_sig_token(char *dst, size_t size, const char *src);

#endif
