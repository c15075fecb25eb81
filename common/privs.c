/*
 * privs.c - drop root privileges in a fixed order (see privs.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/privs.h"

int privs_drop(const char *user, const char **error_r)
{
	static char why[256];
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL || *user == '\0')
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(why, sizeof(why), "unknown user \"%.64s\"", user);
		*error_r = why;
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		snprintf(why, sizeof(why), "cannot switch to user %.64s: %s", user, strerror(errno));
		*error_r = why;
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(why, sizeof(why), "root privileges could be regained after switching to %.64s",
			 user);
		*error_r = why;
		return -1;
	}
	return 0;
}
