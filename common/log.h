/*
 * log.h - the one logging API of every mxscan program.
 *
 * Lines go to syslog (mail facility) and, when the program runs in the
 * foreground or from a terminal, to stderr.  Anything that came from a
 * client, a message or the network must pass through log_sanitize() (or
 * the %s of a LOG_SAFE() buffer) before it is logged: control characters
 * and 8-bit bytes become \ooo escapes, so a hostile name cannot forge a
 * log line.  log_fatal() is for an unusable environment (bad settings,
 * failed syscalls at start-up) and exits 1; log_panic() is for a bug and
 * aborts.
 */
#ifndef MX_LOG_H
#define MX_LOG_H

#include <stddef.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

enum log_dest {
	LOG_DEST_SYSLOG = 1,
	LOG_DEST_STDERR = 2,
};

/* log_init - set the program name and destinations (LOG_DEST_* bits). */
void log_init(const char *progname, int dests);

/* log_set_verbose - enable log_debug() lines. */
void log_set_verbose(int on);

void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
void log_warn(const char *fmt, ...) LOG_FMT(1, 2);
void log_error(const char *fmt, ...) LOG_FMT(1, 2);
void log_fatal(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void log_panic(const char *fmt, ...) LOG_FMT(1, 2) __attribute__((noreturn));

/*
 * log_sanitize - copy at most LEN bytes of untrusted SRC into DST (SIZE
 * bytes, always terminated) with unprintable bytes escaped as \ooo and the
 * result cut, marked with "...", when it does not fit.  Returns DST.
 */
char *log_sanitize(char *dst, size_t size, const char *src, size_t len);

/* LOG_SAFE_MAX - a buffer size that fits a sanitised name or header. */
#define LOG_SAFE_MAX 256

#endif
