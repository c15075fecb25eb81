/*
 * result.c - names and exit statuses of the updater's results.
 */
#include "auto-config.h"

#include "updater/result.h"

const char *update_result_str(enum update_result result)
{
	switch (result) {
	case UPDATE_OK:
		return "ok";
	case UPDATE_INTERNAL:
		return "internal error";
	case UPDATE_USAGE:
		return "usage";
	case UPDATE_CONFIG:
		return "configuration";
	case UPDATE_LOCKED:
		return "lock";
	case UPDATE_COOLDOWN:
		return "cool-down";
	case UPDATE_FETCH:
		return "fetch";
	case UPDATE_VERIFY:
		return "verify";
	case UPDATE_UNPACK:
		return "unpack";
	case UPDATE_SELFTEST:
		return "selftest";
	case UPDATE_NODAEMON:
		return "no daemon";
	case UPDATE_REJECTED:
		return "rejected";
	case UPDATE_ROLLBACK_FAILED:
		return "rollback failed";
	case UPDATE_DISK:
		return "disk";
	case UPDATE_UPTODATE:
		return "up to date";
	}
	return "unknown";
}

int update_result_exit(enum update_result result)
{
	return result == UPDATE_UPTODATE ? 0 : (int)result;
}
