/*
 * lenient.h - MIMESCAN's lenient reading of a message: every attachment
 * a mail client could open, whatever the MIME says.
 *
 * The message is cut at its own delimiter lines (split.h); each segment's
 * headers are read leniently (every Content-Transfer-Encoding header
 * counts, misspelled or padded values by what they contain), and its body
 * is decoded by each encoding they declare (common/base64.h both ways
 * where they differ, common/qp.h), then searched for uuencoded, yEnc,
 * BinHex and base64 runs whatever the headers say.  A segment of type
 * message/... decoded from base64 or quoted-printable is read again as a
 * message.  Every decoded object goes to the caller (ops->object), which
 * scans it; a range GMime already decoded with the same encoding
 * (ops->known) is not decoded again.
 *
 * Paths: segment N (counted across the message and the messages inside
 * it, the message itself is seg1) is "segN" for its first reading, and
 * its other readings "segN.b64", "segN.b64p" (base64 with '=' inside
 * skipped), "segN.qp", "segN.uuK", "segN.yencK", "segN.hqxK", "segN.runK"
 * (see common/mimescan.h and mxscand(8)).
 */
#ifndef MX_LENIENT_H
#define MX_LENIENT_H

#include <stddef.h>

/* The encodings a body is read by. */
enum lenient_enc {
	LENIENT_NONE,		/* as sent (7bit, 8bit, binary, unknown) */
	LENIENT_B64,
	LENIENT_QP,
	LENIENT_UU,
	LENIENT_HQX,
	LENIENT_YENC,
};

/* One decoded object. */
struct lenient_object {
	const char *path;
	const char *type;	/* lower-case content type as declared, or a guess */
	const char *name;	/* the file name, or NULL */
	const unsigned char *data;
	size_t len;
	int attachment;		/* decoded from an encoding, carved, or named:
				 * not the text of a body as sent */
};

enum lenient_step {
	LENIENT_CONTINUE,
	LENIENT_STOP,		/* the caller has decided: read no further */
};

struct lenient_ops {
	/* 1 when GMime's reading decoded bytes [START, END) of the message
	 * (offsets into the top-level message) with encoding ENC. */
	int (*known)(void *ctx, size_t start, size_t end, enum lenient_enc enc);
	enum lenient_step (*object)(void *ctx, const struct lenient_object *o);
	/* a limit was hit (REASON: a PROTO_LIMIT_MIME_* text): reading ends */
	void (*limit)(void *ctx, const char *reason);
	void *ctx;
};

/* The scand_mime_max_* limits, applied to this reading on its own. */
struct lenient_limits {
	int parts;		/* objects read */
	int depth;		/* messages inside messages */
	int carved;		/* objects carved from text (uu, yEnc, BinHex,
				 * base64 runs, second readings) */
	long long decoded;	/* decoded bytes */
};

/* What the reading saw, for the caller's choice of further readings. */
struct lenient_report {
	int segments, objects, carved;
	long long decoded;
	int defects;		/* the MIME is not as RFC 2045/2046 say */
	int html;		/* a text/html body: phishing checks apply */
	int tnef;		/* an application/ms-tnef body */
	int binhex;		/* a BinHex text */
};

/*
 * lenient_read - read MSG (LEN bytes) leniently under LIM, calling OPS
 * for each object; *r says what was seen.  OPS->object's data is valid
 * during the call only.
 */
void lenient_read(const char *msg, size_t len, const struct lenient_limits *lim,
		  const struct lenient_ops *ops, struct lenient_report *r);

#endif
