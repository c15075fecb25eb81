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

char *log_sanitize(char *dst, size_t size, const char *src, size_t len)
{
	size_t o = 0, i;

	if (size == 0)
		return dst;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (o + need + 4 > size) {	/* room for "..." and NUL */
			if (i < len) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, 5, "\\%03o", c);
	}
	dst[o] = '\0';
	return dst;
}
