/*
 * cidr.c - CIDR blocks and address matching (see cidr.h).
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/cidr.h"

/* cidr_addr - TEXT (with an optional "IPv6:" prefix or [brackets]) as an
 * address: family and bytes, an IPv4-mapped IPv6 address as IPv4. */
static int cidr_addr(const char *text, int *family, unsigned char out[16])
{
	char buf[64];
	size_t n;

	if (strncasecmp(text, "ipv6:", 5) == 0)
		text += 5;
	n = strlen(text);
	if (n > 0 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) != 1)
		return -1;
	*family = AF_INET6;
	if (memcmp(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(out, out + 12, 4);
		*family = AF_INET;
	}
	return 0;
}

int cidr_parse(const char *text, struct cidr *c, const char **error_r)
{
	char buf[64], *slash, *end;
	int max, i;
	long bits;

	memset(c, 0, sizeof(*c));
	if (strlen(text) >= sizeof(buf)) {
		*error_r = "network too long";
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (cidr_addr(buf, &c->family, c->addr) < 0 ||
	    (c->family == AF_INET6 && strchr(buf, '.') != NULL && slash != NULL)) {
		*error_r = "not an IPv4 or IPv6 address";
		return -1;
	}
	max = c->family == AF_INET ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > max) {
			*error_r = "bad prefix length";
			return -1;
		}
	}
	c->bits = (int)bits;
	for (i = 0; i < max / 8; i++) {
		int keep = c->bits - i * 8;

		if (keep <= 0)
			c->addr[i] = 0;
		else if (keep < 8)
			c->addr[i] &= (unsigned char)(0xff << (8 - keep));
	}
	return 0;
}

int cidr_match(const struct cidr *c, const char *addr)
{
	unsigned char a[16];
	int family, full, rest;

	if (cidr_addr(addr, &family, a) < 0 || family != c->family)
		return 0;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return 0;
	return rest == 0 || (a[full] & (0xff << (8 - rest)) & 0xff) == c->addr[full];
}
