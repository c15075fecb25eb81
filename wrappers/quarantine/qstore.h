/*
 * qstore.h - the quarantine store: messages with their SMTP envelopes
 * in filter_quarantine_dir, shared by mxscan-filter (writes) and
 * mxscan-quarantine (lists, shows, releases, deletes).
 *
 * Each entry is two 0600 files, ID.msg (the message bytes exactly as
 * received) and ID.env (the envelope, "key: value" lines).  The .env file
 * is renamed into place last, so an entry is listed only once complete.
 * IDs are "YYYYmmddTHHMMSS-" plus 12 hex digits; qstore_valid_id() is the
 * only gate for IDs that come from a command line.
 */
#ifndef MX_QSTORE_H
#define MX_QSTORE_H

#include <stddef.h>

#define QSTORE_ID_MAX 48

struct qstore_entry {
	char id[QSTORE_ID_MAX];
	long long time;		/* seconds since the epoch */
	long long size;		/* message bytes */
	char *mail;		/* MAIL FROM: argument as received ("<a@b> SIZE=1") */
	char **rcpt;		/* RCPT TO: arguments as received */
	int nrcpt;
	char *client;		/* client address (XFORWARD ADDR or peer) */
	char *queue_id;		/* Postfix queue id or "-" */
	char *signature;	/* what was found */
};

/* qstore_init_dir - create DIR (0700) when missing. */
int qstore_init_dir(const char *dir, const char **error_r);

/*
 * qstore_put - store the LEN bytes of the readable file FD (read from
 * offset 0) with the envelope E (its id is filled in).  Returns 0 or -1.
 */
int qstore_put(const char *dir, struct qstore_entry *e, int fd, const char **error_r);

/* qstore_get - read the envelope of ID into E (free with qstore_entry_free). */
int qstore_get(const char *dir, const char *id, struct qstore_entry *e, const char **error_r);

/* qstore_open_message - the message file of ID, read-only; -1 on failure. */
int qstore_open_message(const char *dir, const char *id, const char **error_r);

/* qstore_delete - remove both files of ID. */
int qstore_delete(const char *dir, const char *id, const char **error_r);

/*
 * qstore_list - the IDs of complete entries, sorted (oldest first);
 * returns the count and a NULL-terminated array in *ids_r (free each and
 * the array), or -1.
 */
int qstore_list(const char *dir, char ***ids_r, const char **error_r);

/* qstore_valid_id - whether ID has the form qstore_put gives. */
int qstore_valid_id(const char *id);

/* qstore_entry_free - release what qstore_get allocated. */
void qstore_entry_free(struct qstore_entry *e);

#endif
