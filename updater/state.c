/*
 * state.c - the persistent state file (see state.h).
 *
 * Unknown or malformed lines are dropped: the state is a cache and a
 * cool-down list, never needed for correctness.
 */
#include "auto-config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "updater/file.h"
#include "updater/state.h"

#define STATE_FILE_MAX (1 << 20)	/* the largest state file read */
#define STATE_UUID_LEN 36		/* 8-4-4-4-12 hex digits */
#define STATE_TOKEN_MAX 2000		/* the longest key or ETag kept */
/* The longest word of a line as read: a kind, then a key or a value. */
#define STATE_KIND_MAX 15
#define STATE_FIELD_MAX 2047

/* STATE_WIDTH - a *_MAX as the width of a sscanf conversion. */
#define STATE_WIDTH(max) STATE_WIDTH_(max)
#define STATE_WIDTH_(max) #max
/* A line: "kind key [value [number]]". */
#define STATE_SCAN_LINE                     \
	"%" STATE_WIDTH(STATE_KIND_MAX) "s"  \
	" %" STATE_WIDTH(STATE_FIELD_MAX) "s" \
	" %" STATE_WIDTH(STATE_FIELD_MAX) "s %lld"

struct state_entry {
	char kind;		/* 'c' cool-down, 'v' validator, 'f' feed checked */
	char *key;
	char *etag;
	long long num;		/* until, Last-Modified, or checked at */
};

static char state_path[PATH_MAX];
static char state_uuid_buf[STATE_UUID_LEN + 1];
static struct state_entry *state_entries;
static size_t state_count;
static int state_dirty;

/* state_find - the entry of KIND for KEY, or NULL. */
static struct state_entry *state_find(char kind, const char *key)
{
	size_t i;

	for (i = 0; i < state_count; i++)
		if (state_entries[i].kind == kind && strcmp(state_entries[i].key, key) == 0)
			return &state_entries[i];
	return NULL;
}

/* state_add - a new entry, or the existing one of KIND for KEY. */
static struct state_entry *state_add(char kind, const char *key)
{
	struct state_entry *e = state_find(kind, key);

	if (e != NULL)
		return e;
	state_entries = xrealloc(state_entries, (state_count + 1) * sizeof(*e));
	e = &state_entries[state_count++];
	e->kind = kind;
	e->key = xstrdup(key);
	e->etag = xstrdup("");
	e->num = 0;
	return e;
}

/* state_valid_token - printable, no blanks, reasonable length. */
static int state_valid_token(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > STATE_TOKEN_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int state_load(const char *root, const char **error_r)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len;

	state_free();
	snprintf(state_path, sizeof(state_path), "%s/.update-state", root);
	if (access(state_path, F_OK) != 0)
		return 0;
	if (file_read_all(state_path, STATE_FILE_MAX, &buf, &len, error_r) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char kind[STATE_KIND_MAX + 1], key[STATE_FIELD_MAX + 1], val[STATE_FIELD_MAX + 1];
		long long num = 0;
		int n = sscanf(line, STATE_SCAN_LINE, kind, key, val, &num);

		if (n >= 2 && strcmp(kind, "uuid") == 0 && strlen(key) == STATE_UUID_LEN)
			snprintf(state_uuid_buf, sizeof(state_uuid_buf), "%s", key);
		else if (n >= 3 && strcmp(kind, "cooldown") == 0)
			state_add('c', key)->num = atoll(val);
		else if (n >= 3 && strcmp(kind, "feed") == 0)
			state_add('f', key)->num = atoll(val);
		else if (n >= 4 && strcmp(kind, "validator") == 0) {
			struct state_entry *e = state_add('v', key);

			free(e->etag);
			e->etag = xstrdup(strcmp(val, "-") == 0 ? "" : val);
			e->num = num;
		}
	}
	free(buf);
	return 0;
}

int state_save(const char **error_r)
{
	char *out = NULL;
	size_t size = 0, i;
	FILE *fp;
	int ret;

	if (!state_dirty)
		return 0;
	fp = open_memstream(&out, &size);
	if (fp == NULL) {
		*error_r = "open_memstream failed";
		return -1;
	}
	fprintf(fp, "uuid %s\n", state_uuid());
	for (i = 0; i < state_count; i++) {
		const struct state_entry *e = &state_entries[i];

		if (e->kind == 'c' && e->num > (long long)time(NULL))
			fprintf(fp, "cooldown %s %lld\n", e->key, e->num);
		else if (e->kind == 'v')
			fprintf(fp, "validator %s %s %lld\n", e->key, *e->etag ? e->etag : "-",
				e->num);
		else if (e->kind == 'f')
			fprintf(fp, "feed %s %lld\n", e->key, e->num);
	}
	fclose(fp);
	ret = file_write_atomic(state_path, out, size, error_r);
	free(out);
	if (ret == 0)
		state_dirty = 0;
	return ret;
}

const char *state_uuid(void)
{
	unsigned char r[16];
	int fd, ok = 0;

	if (state_uuid_buf[0] != '\0')
		return state_uuid_buf;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ok = read(fd, r, sizeof(r)) == (ssize_t)sizeof(r);
		close(fd);
	}
	if (!ok) {
		unsigned i;

		srand((unsigned)time(NULL) ^ (unsigned)getpid());
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);	/* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	snprintf(state_uuid_buf, sizeof(state_uuid_buf),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
		 r[14], r[15]);
	state_dirty = 1;
	return state_uuid_buf;
}

time_t state_cooldown(const char *origin)
{
	const struct state_entry *e = state_find('c', origin);

	return e != NULL ? (time_t)e->num : 0;
}

void state_set_cooldown(const char *origin, time_t until)
{
	if (!state_valid_token(origin))
		return;
	state_add('c', origin)->num = (long long)until;
	state_dirty = 1;
}

void state_validator(const char *url, const char **etag_r, time_t *modified_r)
{
	const struct state_entry *e = state_find('v', url);

	*etag_r = e != NULL ? e->etag : "";
	*modified_r = e != NULL ? (time_t)e->num : 0;
}

void state_set_validator(const char *url, const char *etag, time_t modified)
{
	struct state_entry *e;

	if (!state_valid_token(url))
		return;
	e = state_add('v', url);
	free(e->etag);
	e->etag = xstrdup(etag != NULL && state_valid_token(etag) ? etag : "");
	e->num = (long long)modified;
	state_dirty = 1;
}

time_t state_feed_checked(const char *name)
{
	const struct state_entry *e = state_find('f', name);

	return e != NULL ? (time_t)e->num : 0;
}

void state_set_feed_checked(const char *name, time_t when)
{
	if (!state_valid_token(name))
		return;
	state_add('f', name)->num = (long long)when;
	state_dirty = 1;
}

void state_each_cooldown(time_t now, void (*fn)(const char *origin, time_t until))
{
	size_t i;

	for (i = 0; i < state_count; i++)
		if (state_entries[i].kind == 'c' && state_entries[i].num > (long long)now)
			fn(state_entries[i].key, (time_t)state_entries[i].num);
}

void state_free(void)
{
	size_t i;

	for (i = 0; i < state_count; i++) {
		free(state_entries[i].key);
		free(state_entries[i].etag);
	}
	free(state_entries);
	state_entries = NULL;
	state_count = 0;
	state_dirty = 0;
	state_uuid_buf[0] = '\0';
}
