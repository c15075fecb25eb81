/*
 * daemon.h - what a long-running mxscan program does to become a daemon:
 * read its options and configuration, detach from the terminal, write its
 * pid file.
 */
#ifndef MX_COMMON_DAEMON_H
#define MX_COMMON_DAEMON_H

#include <stddef.h>
#include <stdio.h>

struct daemon_options {
	int foreground;		/* -f */
	int print;		/* -n */
};

/*
 * daemon_options - the options every daemon takes: -c FILE, -o N=V
 * (repeatable), -f, -n, -v, and -h / -V, which it answers itself (the
 * help is PROG's one-line SUMMARY and these options).  It loads the configuration (fatal on an error).
 * Returns -1 to go on, or the exit status main should return.
 */
int daemon_options(int argc, char **argv, const char *prog, const char *summary,
		   struct daemon_options *o);

/*
 * daemon_clamd_config - let daemon_options take -C FILE (--clamd-config
 * FILE), the same as -o scand_clamd_config=FILE.  Once the configuration
 * file and the -o overrides are loaded, daemon_options calls APPLY with
 * scand_clamd_config when it is set (from anywhere), then applies the -o
 * overrides again, so they win over what APPLY set; an APPLY failure is
 * fatal.  mxscand calls it before daemon_options.
 */
void daemon_clamd_config(int (*apply)(const char *file, const char **error_r));

/* daemon_options_free - after config_free, at exit. */
void daemon_options_free(void);

/*
 * daemon_hostname - the host name a program writes into mail headers:
 * CONFIGURED when set, else gethostname(), cut at the first blank and
 * "localhost" when nothing is left; written into BUF (SIZE bytes).
 */
void daemon_hostname(const char *configured, char *buf, size_t size);

/* daemon_detach - fork twice, new session, cwd /, stdio on /dev/null; the parent exits. */
void daemon_detach(void);

/*
 * daemon_write_pid - write the process id to PATH (nothing when empty);
 * fatal (naming PARAM, the setting it came from) when it cannot be written.
 */
void daemon_write_pid(const char *path, const char *param);

#endif
