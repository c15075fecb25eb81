/*
 * message.h - one message on its way through the milter: its header
 * block is collected field by field and goes to mxscand as the start of
 * a MIMESCAN at end-of-headers (earlier when it grows past
 * MESSAGE_HEAD_MAX), each body chunk follows as libmilter hands it over
 * (common/client_mime.h), and the verdict is read at end-of-message.
 * Memory per message is bounded: the header block up to
 * MESSAGE_HEAD_MAX, and client_mime's failover copy (milter_memory_max,
 * then a 0600 file in the spool directory).
 */
#ifndef MX_MILTER_MESSAGE_H
#define MX_MILTER_MESSAGE_H

#include <stddef.h>

#include "common/client.h"
#include "wrappers/milter/headers.h"
#include "wrappers/milter/settings.h"

#define MESSAGE_HEAD_MAX 65536
/* The whole MIMESCAN reply kept for action_decide (part lines included). */
#define MESSAGE_REPLY_MAX (1 << 20)

struct message;

/* message_new - an empty message scanned under S (free with message_free). */
struct message *message_new(const struct settings *s);

/*
 * message_header - one header field NAME: VALUE as libmilter gives it
 * (LEADSPC: VALUE keeps the space after the colon).  Folded lines in
 * VALUE may end in LF or CRLF; the scanner gets CRLF.
 */
void message_header(struct message *m, const char *name, const char *value, int leadspc);

/* message_eoh - end of the header block: it goes to the scanner now. */
void message_eoh(struct message *m);

/* message_body - LEN bytes of the body (also ends the header block). */
void message_body(struct message *m, const void *buf, size_t len);

/*
 * message_finish - end the message and scan it: the result goes to RES
 * and the whole reply stays in the message (message_reply).
 */
void message_finish(struct message *m, struct client_result *res);

/* message_reply - the scanner's reply after message_finish ("" before). */
const char *message_reply(const struct message *m);

/* message_size - bytes of the message (header block and body). */
size_t message_size(const struct message *m);

/* message_headers - the X-Virus-* fields it arrived with. */
const struct headers *message_headers(const struct message *m);

/* message_free - close its scan, drop its copy, free *M; NULL is a no-op. */
void message_free(struct message **m);

#endif
