/*
 * manifest.c - MANIFEST.sha256 parsing and checking (see manifest.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "updater/manifest.h"
#include "updater/reason.h"

/* A line: the hash in hex, a space, a space or "*" (binary mode), the
 * name. */
#define MANIFEST_HEX_LEN (2 * MANIFEST_SHA256_SIZE)
#define MANIFEST_NAME_AT (MANIFEST_HEX_LEN + 2)

static __thread char manifest_why[REASON_MAX];

static int manifest_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* manifest_fail - "MANIFEST.sha256 line N: WHAT". */
static int manifest_fail(const char **error_r, int lineno, const char *what)
{
	return reason_set(manifest_why, error_r, MANIFEST_NAME " line %d: %s", lineno, what);
}

int manifest_parse(struct manifest *m, const char *text, size_t len, const char **error_r)
{
	const char *p = text, *end = text + len;
	int lineno = 0;

	manifest_free(m);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end, *name;
		size_t n = (size_t)(le - p), i, j;
		unsigned char hash[MANIFEST_SHA256_SIZE];

		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || p[0] == '#')
			goto next;
		if (memchr(p, '\0', n) != NULL)
			return manifest_fail(error_r, lineno, "NUL byte");
		if (n <= MANIFEST_NAME_AT)
			return manifest_fail(error_r, lineno, "too short for a SHA-256 line");
		for (i = 0; i < MANIFEST_SHA256_SIZE; i++) {
			int hi = manifest_hexval((unsigned char)p[2 * i]);
			int lo = manifest_hexval((unsigned char)p[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return manifest_fail(error_r, lineno, "not 64 hex digits");
			hash[i] = (unsigned char)(hi << 4 | lo);
		}
		if (p[MANIFEST_HEX_LEN] != ' ' ||
		    (p[MANIFEST_HEX_LEN + 1] != ' ' && p[MANIFEST_HEX_LEN + 1] != '*'))
			return manifest_fail(error_r, lineno,
					     "the hash must be followed by two spaces or \" *\"");
		name = p + MANIFEST_NAME_AT;
		n -= MANIFEST_NAME_AT;
		if (n > MANIFEST_ENTRY_NAME_MAX)
			return manifest_fail(error_r, lineno, "name too long");
		for (j = 0; j < m->count; j++)
			if (strlen(m->entries[j].name) == n && memcmp(m->entries[j].name, name, n) == 0)
				return manifest_fail(error_r, lineno, "name listed twice");
		m->entries = xrealloc(m->entries, (m->count + 1) * sizeof(*m->entries));
		m->entries[m->count].name = xstrndup(name, n);
		memcpy(m->entries[m->count].sha256, hash, sizeof(hash));
		m->entries[m->count].seen = 0;
		m->count++;
next:
		p = le + (nl != NULL);
	}
	return 0;
}

int manifest_check(struct manifest *m, const char *name,
		   const unsigned char sha256[MANIFEST_SHA256_SIZE], const char **error_r)
{
	size_t i;

	for (i = 0; i < m->count; i++) {
		struct manifest_entry *e = &m->entries[i];

		if (strcmp(e->name, name) != 0)
			continue;
		if (e->seen)
			return reason_set(manifest_why, error_r, "%s appears twice in the bundle",
					  name);
		if (memcmp(e->sha256, sha256, sizeof(e->sha256)) != 0)
			return reason_set(manifest_why, error_r,
					  "%s: SHA-256 differs from " MANIFEST_NAME, name);
		e->seen = 1;
		return 0;
	}
	return reason_set(manifest_why, error_r, "%s is not listed in " MANIFEST_NAME, name);
}

int manifest_complete(const struct manifest *m, const char **error_r)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (!m->entries[i].seen)
			return reason_set(manifest_why, error_r,
					  "%s is listed in " MANIFEST_NAME " but not in the bundle",
					  m->entries[i].name);
	return 0;
}

void manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		free(m->entries[i].name);
	free(m->entries);
	m->entries = NULL;
	m->count = 0;
}
