/*
 * state.h - the updater's persistent state, database_root/.update-state:
 * the UUID of the User-Agent, mirrors on cool-down, the validators
 * (ETag, Last-Modified) of each URL fetched and when each signature feed
 * was last checked.  A text file of
 * "kind key [value]" lines, rewritten atomically by state_save().
 */
#ifndef MX_UPDATE_STATE_H
#define MX_UPDATE_STATE_H

#include <time.h>

/* state_load - read ROOT/.update-state (missing is an empty state). */
int state_load(const char *root, const char **error_r);

/* state_save - write it back atomically (no-op when nothing changed). */
int state_save(const char **error_r);

/* state_uuid - the persistent UUID, made on first use. */
const char *state_uuid(void);

/* state_cooldown - the end of ORIGIN's cool-down, 0 when none. */
time_t state_cooldown(const char *origin);

/* state_set_cooldown - put ORIGIN on cool-down until UNTIL. */
void state_set_cooldown(const char *origin, time_t until);

/* state_validator - ETag ("" if none) and Last-Modified (0) of URL. */
void state_validator(const char *url, const char **etag_r, time_t *modified_r);

/* state_set_validator - remember URL's ETag and Last-Modified. */
void state_set_validator(const char *url, const char *etag, time_t modified);

/* state_feed_checked - when feed NAME was last checked, 0 never. */
time_t state_feed_checked(const char *name);

/* state_set_feed_checked - remember that feed NAME was checked at WHEN. */
void state_set_feed_checked(const char *name, time_t when);

/* state_each_cooldown - call FN for each cool-down still running at NOW. */
void state_each_cooldown(time_t now, void (*fn)(const char *origin, time_t until));

/* state_free - release it. */
void state_free(void);

#endif
