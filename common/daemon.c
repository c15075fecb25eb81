/*
 * daemon.c - detaching from the terminal and the pid file, for mxscand and
 * mxscan-filter (see daemon.h).
 */
#include "auto-config.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/log.h"

void daemon_detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		log_fatal("fork: %m");
	if (pid > 0)
		_exit(0);
	setsid();
	pid = fork();
	if (pid < 0)
		log_fatal("fork: %m");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		log_fatal("chdir /: %m");
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

void daemon_write_pid(const char *path, const char *param)
{
	FILE *fp;

	if (*path == '\0')
		return;
	fp = fopen(path, "w");
	if (fp == NULL)
		log_fatal("%s %s: %m", param, path);
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		log_fatal("%s %s: %m", param, path);
}
