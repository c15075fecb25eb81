/*
 * command.h - the protocol's command table and its handlers.
 *
 * Each row names a verb, its flags (takes an argument, allowed in old
 * style, allowed inside IDSESSION, administrative, path scan) and its
 * handler.  Matching follows clamd: by prefix in table order, with
 * VERSIONCOMMANDS before VERSION.
 */
#ifndef MX_COMMAND_H
#define MX_COMMAND_H

#include "common/proto.h"

struct conn;

/* command_dispatch - run one framed command received on C. */
void command_dispatch(struct conn *c, const struct proto_frame *frame);

/* command_fildes_ready - a FILDES request of C now has its descriptor. */
void command_fildes_ready(struct conn *c, int fd);

#endif
