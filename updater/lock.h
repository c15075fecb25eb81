/*
 * lock.h - the updater's run lock: flock(2) on database_root/.lock, held
 * until the process exits (a killed run releases it with its descriptor).
 */
#ifndef MX_UPDATE_LOCK_H
#define MX_UPDATE_LOCK_H

#include "updater/result.h"

/* lock_acquire - take the lock without waiting: UPDATE_OK, UPDATE_LOCKED
 * when another run holds it, UPDATE_DISK when the file cannot be opened
 * (*error_r says why, see reason.h). */
enum update_result lock_acquire(const char *root, const char **error_r);

/* lock_is_held - 1 when some process holds the lock now. */
int lock_is_held(const char *root);

#endif
