/*
 * log.c - syslog and stderr logging with untrusted-byte sanitising.
 */
#include "auto-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_progname = "mxscan";
static int log_dests = LOG_DEST_STDERR;
static int log_verbose;

void log_init(const char *progname, int dests)
{
	log_progname = progname;
	log_dests = dests;
	if (dests & LOG_DEST_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_verbose(int on)
{
	log_verbose = on;
}

__attribute__((format(printf, 3, 0)))
static void log_vemit(int prio, const char *label, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_dests & LOG_DEST_SYSLOG)
		syslog(prio, "%s%s", label, line);
	if (log_dests & LOG_DEST_STDERR)
		fprintf(stderr, "%s[%ld]: %s%s\n", log_progname, (long)getpid(), label, line);
}

#define LOG_DEFINE(fn, prio, label)                    \
	void fn(const char *fmt, ...)                  \
	{                                              \
		va_list ap;                            \
		va_start(ap, fmt);                     \
		log_vemit(prio, label, fmt, ap);       \
		va_end(ap);                            \
	}

LOG_DEFINE(log_info, LOG_INFO, "")
LOG_DEFINE(log_warn, LOG_WARNING, "warning: ")
LOG_DEFINE(log_error, LOG_ERR, "error: ")

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}

/* log_escaped_len - bytes SRC takes once escaped. */
static size_t log_escaped_len(const unsigned char *src, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += (src[i] >= 0x20 && src[i] < 0x7f && src[i] != '\\') ? 1 : 4;
	return n;
}

char *log_sanitize(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i, room;
	int cut;

	if (size == 0)
		return dst;
	/* Cut only when the whole escaped text does not fit, and then keep
	 * room for the "..." mark (when the buffer can hold it at all). */
	cut = log_escaped_len(s, len) + 1 > size;
	room = size - 1;
	if (cut)
		room = size > 4 ? size - 4 : 0;
	for (i = 0; i < len; i++) {
		size_t need = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') ? 1 : 4;

		if (o + need > room)
			break;
		if (need == 1)
			dst[o++] = (char)s[i];
		else
			o += (size_t)snprintf(dst + o, 5, "\\%03o", s[i]);
	}
	if (cut && o + 4 <= size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}
