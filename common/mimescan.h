/*
 * mimescan.h - the MIMESCAN reply, both sides.
 *
 * mxscand answers MIMESCAN (a whole RFC 5322 message in INSTREAM
 * framing) with one line per reading of a part, each ended by a newline,
 *
 *	[<id>: ]<path> <type> <name> OK
 *	[<id>: ]<path> <type> <name> <signature> FOUND
 *	[<id>: ]<path> <type> <name> <reason> ERROR
 *
 * then the line INSTREAM would answer ("[<id>: ]stream: OK", "... stream:
 * <signature> FOUND", "... stream: <reason> ERROR"), ended by the
 * command's terminator; see mxscand(8).  <path> numbers the parts ("1",
 * "2.1", ...: common/mimewalk.h walks a GMime tree in that order), a
 * reading of a part adds ".uu<n>" (a file uuencoded in a text part) or
 * ".b64" (a body read as base64 against its declared encoding), and
 * "raw" is libclamav's reading of the whole message.  The lenient
 * reading (scanner/lenient.h) names the bodies it finds "seg<n>" and adds
 * ".b64p", ".qp", ".yenc<n>", ".hqx<n>" and ".run<n>" (see enum
 * mimescan_reading); ".lf" is a text body as libclamav's mail parser
 * writes it, where that differs from the decoded body.  <type> is the
 * lower-case content type, <name> the part's file name in double quotes
 * with '"', '\' and unprintable bytes as \ooo, or "-" without one.
 *
 * MIMEFACTS (the same request, for a mail policy) adds fact lines
 * before each part line, each naming a path and an upper-case keyword
 * where a part line has its content type:
 *
 *	[<id>: ]<path> NAME <source> "<name>"	a name a client may show
 *	[<id>: ]<path> TYPE <type>		libclamav's true type
 *	[<id>: ]<path> MEMBER <depth> <type> <name>	an archive member
 *	[<id>: ]<path> SIG <signature>		a further match
 *
 * <source> is "filename" (Content-Disposition), "name" (Content-Type),
 * "uu" (a uuencode begin line), each decoded from RFC 2231 and RFC
 * 2047, and "filename-raw"/"name-raw" for the undecoded text where a
 * client that does not decode would show that instead; <type> is
 * libclamav's file type without "CL_TYPE_" ("MSEXE", "ZIP", "7Z"),
 * <depth> 1 for a member of the part itself, 2 for a member of that
 * member, and so on; <name> is quoted as in a part line, or "-".
 *
 * The daemon formats its lines here (scanner/mime.c) and every reader
 * parses them here (common/client.c, the filter's strip loop, the milter
 * and the policy module), so both ends agree by construction.  The part
 * line parser is strict: a line that the formatter could not have
 * written is refused with a reason.  The final line is read as INSTREAM's
 * reply is (proto_verdict_parse), with its "stream: " subject required.
 * No GMime here: this is part of libmxcommon.
 */
#ifndef MX_MIMESCAN_H
#define MX_MIMESCAN_H

#include <stddef.h>

#include "common/proto.h"

/*
 * Bounds of the fields, each with its NUL.  A path holds at most
 * scand_mime_max_depth + 1 (<= 101) numbers of at most 6 digits
 * (scand_mime_max_parts <= 100000) and a reading suffix: under 720 bytes.
 */
#define MIMESCAN_PATH_MAX 1024
#define MIMESCAN_TYPE_MAX 128	/* longer types are cut */
#define MIMESCAN_NAME_MAX 600	/* the quoted name; longer names are cut */
#define MIMESCAN_DETAIL_MAX 512	/* signature or reason; longer ones are cut */
/* The longest part line, with its newline and a NUL. */
#define MIMESCAN_LINE_MAX \
	(PROTO_ID_PREFIX_MAX + MIMESCAN_PATH_MAX + MIMESCAN_TYPE_MAX + MIMESCAN_NAME_MAX + \
	 MIMESCAN_DETAIL_MAX + 16)

/* The deepest archive member reported in a MEMBER fact. */
#define MIMESCAN_DEPTH_MAX 64

/* The path of libclamav's reading of the whole message. */
#define MIMESCAN_PATH_RAW "raw"

/* What a path names: a part, a reading inside a part, or the message. */
enum mimescan_reading {
	MIMESCAN_READ_PART,	/* "2.1": the part's decoded body */
	MIMESCAN_READ_UU,	/* "2.1.uu3": a file uuencoded in the text */
	MIMESCAN_READ_B64,	/* "2.1.b64": the body read as base64 */
	MIMESCAN_READ_RAW,	/* "raw": the whole message, no part of its own */
	/* The lenient reading (mxscand(8) gives the reasons): */
	MIMESCAN_READ_SEGMENT,	/* "seg4": a body the splitter found by the
				 * message's own delimiter lines, decoded by its
				 * first declared encoding */
	MIMESCAN_READ_B64P,	/* "2.b64p": base64 with '=' inside skipped */
	MIMESCAN_READ_QP,	/* "2.qp": read as quoted-printable */
	MIMESCAN_READ_YENC,	/* "2.yenc1": a yEnc file in the text */
	MIMESCAN_READ_HQX,	/* "2.hqx1": a BinHex file (or fork) in the text */
	MIMESCAN_READ_RUN,	/* "2.run1": a base64 run carved from the text */
	MIMESCAN_READ_LF,	/* "2.lf": a text body as libclamav's mail parser
				 * writes it (LF line ends, common/mailtext.h) */
};

/* One part line, parsed. */
struct mimescan_part {
	char path[MIMESCAN_PATH_MAX];	/* as sent: "1", "2.1.uu1", "raw" */
	char part[MIMESCAN_PATH_MAX];	/* the part it reads ("2.1"); "" for raw;
					 * "segN" for the lenient reading's
					 * segments (no part of GMime's walk) */
	enum mimescan_reading reading;
	char type[MIMESCAN_TYPE_MAX];	/* lower-case content type */
	int has_name;			/* 0 when the name was "-" */
	char name[MIMESCAN_NAME_MAX];	/* the file name, \ooo decoded ("" if none) */
	enum proto_verdict verdict;
	char detail[MIMESCAN_DETAIL_MAX];	/* signature (FOUND), reason (ERROR), "" */
};

/* What a fact line tells (the keyword). */
enum mimescan_fact_kind {
	MIMESCAN_FACT_NAME,	/* word: the source; name */
	MIMESCAN_FACT_TYPE,	/* word: the type */
	MIMESCAN_FACT_MEMBER,	/* depth, word: the type; name or none */
	MIMESCAN_FACT_SIG,	/* detail: the signature */
};

/* One fact line, parsed. */
struct mimescan_fact {
	char path[MIMESCAN_PATH_MAX];
	char part[MIMESCAN_PATH_MAX];
	enum mimescan_reading reading;
	enum mimescan_fact_kind kind;
	char word[MIMESCAN_TYPE_MAX];	/* source (NAME) or type (TYPE, MEMBER) */
	int depth;			/* MEMBER: 1 .. MIMESCAN_DEPTH_MAX */
	int has_name;
	char name[MIMESCAN_NAME_MAX];	/* NAME, MEMBER: \ooo decoded */
	char detail[MIMESCAN_DETAIL_MAX];	/* SIG */
};

/* The verdict of a whole reply. */
struct mimescan_final {
	enum proto_verdict verdict;
	char detail[MIMESCAN_DETAIL_MAX];	/* signature (FOUND), reason (ERROR), "" */
	int refusal;		/* the reply is one ERROR line of another form
				 * (clamd's "INSTREAM size limit exceeded.",
				 * "UNKNOWN COMMAND"): detail is its whole text
				 * before " ERROR", any subject still on it */
};

/*
 * Paths.  mimescan_path_child - append the number of child INDEX (>= 1)
 * to PATH (SIZE bytes, NUL-terminated): "" -> "3", "2" -> "2.3".
 * mimescan_path_uu / mimescan_path_b64 - the path of a reading of the
 * part PART into DST.  Each returns 0, or -1 when the result does not
 * fit (PATH is then left as it was; DST is cut, still terminated).
 */
int mimescan_path_child(char *path, size_t size, int index);
int mimescan_path_uu(char *dst, size_t size, const char *part, int nth);
int mimescan_path_b64(char *dst, size_t size, const char *part);

/*
 * mimescan_path_reading - the path of reading READING of PART into DST
 * (NTH for the numbered ones: UU, YENC, HQX, RUN); for
 * MIMESCAN_READ_SEGMENT, PART is ignored and NTH numbers the segment.
 * Returns 0, or -1 when it does not fit or READING takes no suffix.
 */
int mimescan_path_reading(char *dst, size_t size, const char *part, enum mimescan_reading reading,
			  int nth);

/*
 * mimescan_path_parse - check PATH (a whole path) and say what it names;
 * the part it reads goes to PART (SIZE bytes; "" for raw).  Returns the
 * reading, or -1 with *error_r for a path no walk numbers.
 */
int mimescan_path_parse(const char *path, char *part, size_t size, const char **error_r);

/*
 * mimescan_format_part - the part line "[<id>: ]<path> <type> <name>
 * <verdict>\n" into DST (SIZE bytes, MIMESCAN_LINE_MAX always fits).
 * TYPE is lower-cased, cut and made one printable word ("?" for other
 * bytes); NAME (NULL or "" for none) is quoted and cut; DETAIL (the
 * signature or reason; ignored for PROTO_VERDICT_CLEAN) is cut and has
 * control bytes as "?".  PATH must come from the walk (mimewalk.h) or the
 * mimescan_path_* functions.  Returns the length, or -1 when it does not
 * fit (nothing usable is left in DST).
 */
int mimescan_format_part(char *dst, size_t size, unsigned id, const char *path, const char *type,
			 const char *name, enum proto_verdict verdict, const char *detail);

/*
 * mimescan_format_final - the last line "[<id>: ]stream: <verdict><TERM>"
 * into DST; DETAIL is the signature or reason.  Returns the length, or -1
 * when it does not fit.
 */
int mimescan_format_final(char *dst, size_t size, unsigned id, enum proto_verdict verdict,
			  const char *detail, char term);

/*
 * mimescan_parse_part - one part line LINE (LEN bytes, without its
 * newline) of a reply to a request with IDSESSION id ID (0 outside a
 * session: then the line has no prefix).  Returns 0 with *p filled, or -1
 * with *error_r saying what is wrong.
 */
int mimescan_parse_part(const char *line, size_t len, unsigned id, struct mimescan_part *p,
			const char **error_r);

/*
 * mimescan_parse_final - the last line LINE (LEN bytes, without the
 * terminator) as "[<id>: ]stream: OK", "... <signature> FOUND" or "...
 * <reason> ERROR" (proto_verdict_parse's reading).  f->refusal is 0.
 * Returns 0, or -1 with *error_r.
 */
int mimescan_parse_final(const char *line, size_t len, unsigned id, struct mimescan_final *f,
			 const char **error_r);

/*
 * mimescan_parse_reply - the verdict of the whole reply REPLY: LEN bytes
 * as received, the last of them the terminator TERM ('\0' after a
 * z-framed command, '\n' after an n-framed one).  A reply cut before its
 * terminator, or with a NUL inside, is refused.  Newlines before the
 * terminator are ignored; the last line is the verdict, and it must be
 * the "stream: " line (a part line never is: its file name comes from
 * the message), except that a reply of one line may be any ERROR reply,
 * a refusal (f->refusal set).  The part lines are not read here (see
 * mimescan_next_part).  Returns 0, or -1 with *error_r.
 */
int mimescan_parse_reply(const char *reply, size_t len, char term, unsigned id,
			 struct mimescan_final *f, const char **error_r);

/*
 * mimescan_format_fact - the fact line of F (its kind, word, depth, name
 * or detail; F->path is ignored) for PATH into DST.  The word must be
 * letters, digits and "_.+-"; a name is quoted and cut, a signature cut
 * with control bytes as "?".  Returns the length, or -1 when F cannot be
 * written (bad word or depth, a NAME without a name) or does not fit.
 */
int mimescan_format_fact(char *dst, size_t size, unsigned id, const char *path,
			 const struct mimescan_fact *f);

/*
 * mimescan_parse_fact - one fact line (LEN bytes, without its newline)
 * into F.  Returns 0, or -1 with *error_r.
 */
int mimescan_parse_fact(const char *line, size_t len, unsigned id, struct mimescan_fact *f,
			const char **error_r);

/*
 * mimescan_next_line - the line at *POS of REPLY, part or fact; *POS
 * moves past it.  Returns 1 with *p filled (a part line), 2 with *f (a
 * fact line), 0 at the final line, -1 with *error_r.
 */
int mimescan_next_line(const char *reply, size_t len, char term, unsigned id, size_t *pos,
		       struct mimescan_part *p, struct mimescan_fact *f, const char **error_r);

/*
 * mimescan_next_part - the part line at offset *POS (start with 0) of
 * REPLY (REPLY, LEN, TERM as for mimescan_parse_reply); *POS moves past
 * it.  Returns 1 with *p filled, 0 when only the final line is left (or
 * nothing), -1 with *error_r for a line that is no part line.
 */
int mimescan_next_part(const char *reply, size_t len, char term, unsigned id, size_t *pos,
		       struct mimescan_part *p, const char **error_r);

#endif
