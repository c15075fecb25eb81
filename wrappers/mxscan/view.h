/*
 * view.h - "mxscan --mime --policy": what the mail policy would do with a
 * message, for an administrator: every part with every name a client
 * could show for it, its true type, archive members and signatures (the
 * MIMEFACTS reply as mxscand sends it), every hit with the rule that
 * judged it, and the decision.
 */
#ifndef MX_MXSCAN_VIEW_H
#define MX_MXSCAN_VIEW_H

#include "common/client.h"

/*
 * view_message - MIMEFACTS of the message in FD (named FILE in the
 * output) through OPTS, judged by the policy of the loaded configuration
 * with filter_infected_action as the infected action.  Returns the exit
 * status: 1 when the message would be refused, quarantined, discarded or
 * stripped, 0 when it would be delivered (tagged or not), 2 on errors.
 */
int view_message(const struct client_options *opts, int fd, const char *file);

#endif
