/*
 * proto.c - clamd wire-protocol framing, reply formatting and parsing.
 *
 * Shared by mxscand (framing, replies) and every client (chunks, verdict
 * parsing), so both sides agree on the bytes by construction.
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/proto.h"

/* proto_frame_next - cut one command out of the receive buffer. */
enum proto_frame_status proto_frame_next(const char *buf, size_t len, int allow_bare,
					 int bare_whole, struct proto_frame *frame)
{
	const char *end;
	size_t n;

	memset(frame, 0, sizeof(*frame));
	if (len == 0)
		return PROTO_FRAME_MORE;
	if (buf[0] == 'z' || buf[0] == 'n') {
		char term = buf[0] == 'z' ? '\0' : '\n';

		frame->framing = buf[0] == 'z' ? PROTO_FRAME_Z : PROTO_FRAME_N;
		end = memchr(buf + 1, term, len - 1);
		if (end == NULL)
			return len > PROTO_COMMAND_MAX ? PROTO_FRAME_TOO_LONG : PROTO_FRAME_MORE;
		frame->cmd = buf + 1;
		frame->cmd_len = (size_t)(end - (buf + 1));
		frame->consumed = (size_t)(end - buf) + 1;
		if (term == '\n' && frame->cmd_len > 0 && frame->cmd[frame->cmd_len - 1] == '\r')
			frame->cmd_len--;
		return frame->cmd_len > PROTO_COMMAND_MAX ? PROTO_FRAME_TOO_LONG : PROTO_FRAME_OK;
	}
	/* Old style: only where allowed; clamd treats the text as a command
	 * either way, and the caller rejects what old style may not do. */
	frame->framing = PROTO_FRAME_BARE;
	end = memchr(buf, '\n', len);
	if (end != NULL) {
		n = (size_t)(end - buf);
		frame->consumed = n + 1;
	} else if (bare_whole || !allow_bare) {
		n = len;
		frame->consumed = len;
	} else {
		return len > PROTO_COMMAND_MAX ? PROTO_FRAME_TOO_LONG : PROTO_FRAME_MORE;
	}
	/* clamd reads the text as a C string: it ends at a NUL, which is
	 * how freshclam's NotifyClamd sends its old-style "RELOAD". */
	if ((end = memchr(buf, '\0', n)) != NULL)
		n = (size_t)(end - buf);
	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
		n--;
	frame->cmd = buf;
	frame->cmd_len = n;
	return n > PROTO_COMMAND_MAX ? PROTO_FRAME_TOO_LONG : PROTO_FRAME_OK;
}

char proto_terminator(enum proto_framing framing)
{
	return framing == PROTO_FRAME_Z ? '\0' : '\n';
}

/* proto_id_prefix - "<id>: " or "". */
int proto_id_prefix(char *dst, size_t size, unsigned id)
{
	if (id != 0)
		return snprintf(dst, size, "%u: ", id);
	if (size > 0)
		dst[0] = '\0';
	return 0;
}

/* proto_reply - "[<id>: ][<path>: ]<a>[ <b>]<term>" into DST. */
static int proto_reply(char *dst, size_t size, unsigned id, const char *path, const char *a,
		       const char *b, char term)
{
	char idbuf[PROTO_ID_PREFIX_MAX];
	int n;

	proto_id_prefix(idbuf, sizeof(idbuf), id);
	n = snprintf(dst, size, "%s%s%s%s%s%s%c", idbuf, path ? path : "", path ? ": " : "", a,
		     b ? " " : "", b ? b : "", term);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int proto_reply_ok(char *dst, size_t size, unsigned id, const char *path, char term)
{
	return proto_reply(dst, size, id, path, "OK", NULL, term);
}

int proto_reply_found(char *dst, size_t size, unsigned id, const char *path,
		      const char *virname, char term)
{
	return proto_reply(dst, size, id, path, virname, "FOUND", term);
}

int proto_reply_error(char *dst, size_t size, unsigned id, const char *path,
		      const char *reason, char term)
{
	return proto_reply(dst, size, id, path, reason, "ERROR", term);
}

int proto_reply_text(char *dst, size_t size, unsigned id, const char *text, char term)
{
	return proto_reply(dst, size, id, NULL, text, NULL, term);
}

void proto_chunk_header(unsigned char hdr[4], uint32_t len)
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
}

uint32_t proto_chunk_length(const unsigned char hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

static int proto_ends_with(const char *line, size_t len, const char *word)
{
	size_t w = strlen(word);

	return len >= w && memcmp(line + len - w, word, w) == 0;
}

/* proto_copy - copy LEN bytes of SRC into NAME as a C string, cut to fit. */
static void proto_copy(char *name, size_t size, const char *src, size_t len)
{
	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(name, src, len);
	name[len] = '\0';
}

/* proto_verdict_word - the word that ends a reply of verdict V. */
const char *proto_verdict_word(enum proto_verdict v)
{
	static const char *const words[] = {
		[PROTO_VERDICT_CLEAN] = "OK",
		[PROTO_VERDICT_INFECTED] = "FOUND",
		[PROTO_VERDICT_ERROR] = "ERROR",
	};

	return (unsigned)v < sizeof(words) / sizeof(words[0]) ? words[v] : "ERROR";
}

/* proto_verdict_parse - one reply line into a verdict (see proto.h). */
int proto_verdict_parse(const char *line, size_t len, enum proto_verdict *verdict_r,
			char *name, size_t name_size)
{
	const char *colon;
	size_t start;

	while (len > 0 && (line[len - 1] == '\0' || line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (name_size > 0)
		name[0] = '\0';
	/* The subject ends at the last ": " before the status word. */
	colon = NULL;
	for (start = 0; start + 1 < len; start++)
		if (line[start] == ':' && line[start + 1] == ' ')
			colon = line + start;
	start = colon ? (size_t)(colon - line) + 2 : 0;
	if (proto_ends_with(line, len, " OK") || (len == 2 && memcmp(line, "OK", 2) == 0)) {
		/* Clean is one whole line: never text that holds another
		 * line (a FOUND before it, or a part line's file name), and
		 * nothing between the subject and OK ("stream: foo OK" is no
		 * reply a clamd writes). */
		if ((colon == NULL && len != 2) || (colon != NULL && start != len - 2) ||
		    memchr(line, '\n', len) != NULL || memchr(line, '\0', len) != NULL)
			return -1;
		*verdict_r = PROTO_VERDICT_CLEAN;
		return 0;
	}
	if (proto_ends_with(line, len, " FOUND") && colon != NULL && len - 6 > start) {
		*verdict_r = PROTO_VERDICT_INFECTED;
		proto_copy(name, name_size, line + start, len - 6 - start);
		return 0;
	}
	if (proto_ends_with(line, len, " ERROR")) {
		*verdict_r = PROTO_VERDICT_ERROR;
		/* The reason may itself contain ": ", keep everything after the
		 * subject: the first ": " after an id prefix and path. */
		proto_copy(name, name_size, line, len - 6);
		return 0;
	}
	return -1;
}

int proto_reason_is_limit(const char *reason)
{
	static const char *const limits[] = {PROTO_LIMIT_STREAM, PROTO_LIMIT_MIME_PARTS,
					     PROTO_LIMIT_MIME_DEPTH, PROTO_LIMIT_MIME_DECODED};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strcmp(reason, limits[i]) == 0)
			return 1;
	return 0;
}

void proto_sig_token(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] == ' ')
			dst[i] = '_';
		else if (!isalnum((unsigned char)dst[i]) && strchr("._-:/+=@", dst[i]) == NULL)
			dst[i] = '?';
}
