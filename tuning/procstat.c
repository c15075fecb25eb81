/*
 * NAME
 *	procstat - scanner and host CPU from /proc
 * SUMMARY
 *	The listening socket of an endpoint is found by path in
 *	/proc/net/unix or by port in /proc/net/tcp{,6}; its inode is then
 *	looked for among /proc/<pid>/fd links.  CPU time comes from fields
 *	14 and 15 of /proc/<pid>/stat and from the "cpu" line of /proc/stat.
 */
#include "auto-config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tuning/procstat.h"

/* procstat_unix_inode - inode of the listening socket bound to PATH. */
static unsigned long procstat_unix_inode(const char *path)
{
	FILE *fp = fopen("/proc/net/unix", "r");
	char line[4608];
	unsigned long found = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		unsigned long inode, flags;
		char p[4096];

		p[0] = '\0';
		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %4095s", &flags, &inode, p) == 3 &&
		    strcmp(p, path) == 0 && (flags & 0x10000) != 0) {	/* __SO_ACCEPTCON */
			found = inode;
			break;
		}
	}
	fclose(fp);
	return found;
}

/* procstat_tcp_inode - inode of a socket listening on PORT. */
static unsigned long procstat_tcp_inode(unsigned port)
{
	static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	unsigned long found = 0;
	size_t f;

	for (f = 0; f < 2 && found == 0; f++) {
		FILE *fp = fopen(files[f], "r");
		char line[512];

		if (fp == NULL)
			continue;
		while (fgets(line, sizeof(line), fp) != NULL) {
			char local[128];
			unsigned st, lport;
			unsigned long inode;
			char *colon;

			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			if (sscanf(line, "%*s %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &st,
				   &inode) != 3 || st != 0x0A)
				continue;
			colon = strrchr(local, ':');
			if (colon != NULL && sscanf(colon + 1, "%x", &lport) == 1 && lport == port) {
				found = inode;
				break;
			}
		}
		fclose(fp);
	}
	return found;
}

/* procstat_owner - see procstat.h. */
pid_t procstat_owner(const char *endpoint)
{
	unsigned long inode = 0;
	char want[64];
	DIR *proc;
	struct dirent *de;
	pid_t owner = -1;

	if (strncmp(endpoint, "unix:", 5) == 0)
		inode = procstat_unix_inode(endpoint + 5);
	else if (endpoint[0] == '/')
		inode = procstat_unix_inode(endpoint);
	else if (strncmp(endpoint, "tcp:", 4) == 0) {
		const char *colon = strrchr(endpoint, ':');

		if (colon != NULL)
			inode = procstat_tcp_inode((unsigned)atoi(colon + 1));
	}
	if (inode == 0 || (proc = opendir("/proc")) == NULL)
		return -1;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (owner < 0 && (de = readdir(proc)) != NULL) {
		char dir[300];
		DIR *fds;
		struct dirent *fe;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", de->d_name);
		if ((fds = opendir(dir)) == NULL)
			continue;
		while ((fe = readdir(fds)) != NULL) {
			char link[600], target[128];
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", dir, fe->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, want) == 0) {
				owner = (pid_t)atol(de->d_name);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return owner;
}

/* procstat_cpu - utime and stime of /proc/PID/stat. */
int procstat_cpu(pid_t pid, double *user_s, double *sys_s)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	double tick = (double)sysconf(_SC_CLK_TCK);
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	*user_s = (double)ut / tick;
	*sys_s = (double)st / tick;
	return 0;
}

/* procstat_host - user (+nice), system (+irq, softirq), idle (+iowait). */
int procstat_host(struct procstat_host *h)
{
	unsigned long long v[8] = {0};
	double tick = (double)sysconf(_SC_CLK_TCK);
	FILE *fp = fopen("/proc/stat", "r");
	int n;

	if (fp == NULL)
		return -1;
	n = fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(fp);
	if (n < 4)
		return -1;
	h->user = (double)(v[0] + v[1]) / tick;
	h->sys = (double)(v[2] + v[5] + v[6]) / tick;
	h->idle = (double)(v[3] + v[4]) / tick;
	h->total = h->user + h->sys + h->idle + (double)v[7] / tick;
	return 0;
}

int procstat_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}
