/*
 * daemon.h - what a long-running mxscan program does to become a daemon:
 * detach from the terminal, write its pid file.
 */
#ifndef MX_COMMON_DAEMON_H
#define MX_COMMON_DAEMON_H

/* daemon_detach - fork twice, new session, cwd /, stdio on /dev/null; the parent exits. */
void daemon_detach(void);

/*
 * daemon_write_pid - write the process id to PATH (nothing when empty);
 * fatal (naming PARAM, the setting it came from) when it cannot be written.
 */
void daemon_write_pid(const char *path, const char *param);

#endif
