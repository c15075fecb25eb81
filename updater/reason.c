/*
 * reason.c - formatted failure reasons (see reason.h).
 */
#include "auto-config.h"

#include <stdio.h>

#include "updater/reason.h"

int reason_vset(char buf[REASON_MAX], const char **error_r, const char *fmt, va_list ap)
{
	vsnprintf(buf, REASON_MAX, fmt, ap);
	*error_r = buf;
	return -1;
}

int reason_set(char buf[REASON_MAX], const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reason_vset(buf, error_r, fmt, ap);
	va_end(ap);
	return -1;
}
