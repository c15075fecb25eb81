/*
 * cidr.h - client networks as CIDR blocks ("192.0.2.0/24",
 * "2001:db8::/32", a bare address for one host), matched against an
 * address as Postfix writes it (XFORWARD ADDR, "IPv6:" prefix and
 * brackets accepted).  An IPv4-mapped IPv6 address matches the IPv4
 * blocks.  No allocation after cidr_parse.
 */
#ifndef MX_CIDR_H
#define MX_CIDR_H

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];	/* network order, host bits cleared */
	int bits;		/* prefix length */
};

/*
 * cidr_parse - TEXT as one block into C.  Returns 0, or -1 with *error_r
 * for a bad address or prefix length.
 */
int cidr_parse(const char *text, struct cidr *c, const char **error_r);

/* cidr_match - 1 when ADDR (text) is inside C, 0 when not or unparsable. */
int cidr_match(const struct cidr *c, const char *addr);

#endif
