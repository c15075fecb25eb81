/*
 * listener.c - the milter socket (see listener.h).
 */
#include "auto-config.h"

#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "wrappers/milter/listener.h"

/* listener_unix_path - the path of a UNIX socket spec, or NULL. */
static const char *listener_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

void listener_open(struct smfiDesc *filter, const char *socket, unsigned mode, const char *group,
		   int mta_timeout_s)
{
	const char *path = listener_unix_path(socket);
	mode_t old;
	int r;

	if (smfi_setconn((char *)socket) != MI_SUCCESS)
		log_fatal("milter_socket: libmilter refuses '%s'", socket);
	if (smfi_settimeout(mta_timeout_s) != MI_SUCCESS)
		log_fatal("milter_mta_timeout: libmilter refuses %d s", mta_timeout_s);
	if (smfi_register(*filter) != MI_SUCCESS)
		log_fatal("smfi_register failed");
	old = umask(0177);
	r = smfi_opensocket(1);	/* removes a stale UNIX socket first */
	umask(old);
	if (r != MI_SUCCESS)
		log_fatal("milter_socket: cannot listen on %s", socket);
	if (path == NULL)
		return;
	if (group[0] != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL)
			log_fatal("milter_socket_group: no group '%s'", group);
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			log_fatal("milter_socket_group: chown %s: %m", path);
	}
	if (chmod(path, mode) < 0)
		log_fatal("milter_socket_mode: chmod %s: %m", path);
}
