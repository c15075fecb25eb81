/*
 * feedsrc.h - the stages of signature feeds (update_feeds, see feed.h)
 * in a run: due or not, check, fetch and verify each feed on its own,
 * place its files in the new version.
 *
 * A feed that fails (fetch, verify, cool-down) keeps the files it has in
 * the current version and does not stop the others; its result is kept
 * with run_keep (run.kept_result), which becomes the run's exit status
 * if nothing failed before or after.  A feed is installed whole (files
 * and companions) or not at all.
 */
#ifndef MX_UPDATE_FEEDSRC_H
#define MX_UPDATE_FEEDSRC_H

#include "updater/run.h"

/* feedsrc_prepare - parse update_feeds and read minisign_key= files into
 * R (UPDATE_CONFIG on trouble). */
enum update_result feedsrc_prepare(struct run *r);

/* feedsrc_update - check, fetch and verify every due feed; *changed_r is
 * set when the new version will differ in feeds (a verified new file, a
 * feed or file no longer configured).  Returns UPDATE_OK, or UPDATE_DISK
 * when the download folder fails. */
enum update_result feedsrc_update(struct run *r, int *changed_r);

/* feedsrc_unpack - the feeds' files into R's new version: new verified
 * downloads moved, the rest linked from the current version. */
enum update_result feedsrc_unpack(struct run *r);

/* feedsrc_commit - record in the state file when each feed was checked
 * (for a run whose set was installed, or had nothing new). */
void feedsrc_commit(struct run *r);

/* feedsrc_free - release R's feeds. */
void feedsrc_free(struct run *r);

#endif
