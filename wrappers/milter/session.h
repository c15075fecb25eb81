/*
 * session.h - the libmilter callbacks: one session per MTA connection
 * (libmilter runs each on its own thread), holding the client's name,
 * the current envelope and the current message (message.h); at
 * end-of-message the scan result goes through action_decide (action.h)
 * and the action is carried out with libmilter's calls: a reply code,
 * smfi_quarantine, header changes.
 */
#ifndef MX_MILTER_SESSION_H
#define MX_MILTER_SESSION_H

#include <libmilter/mfapi.h>

/* The actions and protocol steps the milter asks the MTA for. */
#define SESSION_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)
#define SESSION_STEPS (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC)
/*
 * The steps whose callbacks always continue: when the MTA offers it,
 * they get no reply, so the MTA sends the header fields without waiting
 * for a round trip per field.  Body chunks are answered: libmilter runs
 * the body callback for data sent with end-of-body too, and there a
 * "no reply" would keep it from calling end-of-message.
 */
#define SESSION_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_HDR)

/* session_filter - the filter description for smfi_register. */
struct smfiDesc *session_filter(void);

#endif
