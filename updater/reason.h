/*
 * reason.h - how the updater's functions say why they failed.
 *
 * A function that can fail at run time returns int (0, or -1) or its
 * module's status enum where the kind of failure matters (fetch_status:
 * temporary, permanent, cool-down; notify_status; unpack_status;
 * update_result), and points *error_r at the reason.  A fixed reason is a
 * string literal; one that names a path, a URL or errno is formatted with
 * reason_set() into a buffer the failing module owns, declared
 *
 *	static __thread char <module>_why[REASON_MAX];
 *
 * (one per module and per thread, like sock_why in common/sock.c).  A
 * reason stays valid until the next failure reported by the same module
 * in the same thread: a caller that keeps it past another call into that
 * module copies it (run_fail() does, into the run's why).
 */
#ifndef MX_UPDATE_REASON_H
#define MX_UPDATE_REASON_H

#include <stdarg.h>

/* The room of a reason buffer: a path and some words. */
#define REASON_MAX 2048

/*
 * reason_set - format FMT into BUF and point *error_r at it.  Returns -1,
 * the usual failure value.  reason_vset - the same with AP.
 */
int reason_set(char buf[REASON_MAX], const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int reason_vset(char buf[REASON_MAX], const char **error_r, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
