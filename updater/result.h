/*
 * result.h - the updater's result codes: one per failing stage, each the
 * process exit status (documented, stable: see mxscan-update(8)).
 */
#ifndef MX_UPDATE_RESULT_H
#define MX_UPDATE_RESULT_H

enum update_result {
	UPDATE_OK = 0,		/* installed and loaded, or --rollback/--dry-run done */
	UPDATE_INTERNAL = 1,	/* out of memory, a bug */
	UPDATE_USAGE = 2,	/* bad command line */
	UPDATE_CONFIG = 3,	/* configuration, key file, URL, database_root, no such version */
	UPDATE_LOCKED = 4,	/* another run holds the lock */
	UPDATE_COOLDOWN = 5,	/* every mirror needed is on cool-down */
	UPDATE_FETCH = 6,	/* download failed on all mirrors */
	UPDATE_VERIFY = 7,	/* CVD, minisign or manifest verification failed */
	UPDATE_UNPACK = 8,	/* archive refused */
	UPDATE_SELFTEST = 9,	/* the new set failed its self-test */
	UPDATE_NODAEMON = 10,	/* installed, no daemon reachable (warning) */
	UPDATE_REJECTED = 11,	/* daemon rejected the set; previous put back */
	UPDATE_ROLLBACK_FAILED = 12, /* and putting it back failed too */
	UPDATE_DISK = 13,	/* file-system error building or installing */
	UPDATE_UPTODATE = 100,	/* nothing new (exit status 0) */
};

/* update_result_str - a short name for RESULT ("fetch", "verify", ...). */
const char *update_result_str(enum update_result result);

/* update_result_exit - the exit status for RESULT. */
int update_result_exit(enum update_result result);

#endif
