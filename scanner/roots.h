/*
 * roots.h - scand_scan_roots: the directories path scans may read.
 *
 * roots_check_path is the early check of a SCAN-family argument when the
 * command arrives; roots_check_fd is the one that decides, made on the
 * descriptor the scan thread opened, so that no rename or symbolic link
 * swapped in between the two can lead a scan outside the roots.
 */
#ifndef MX_ROOTS_H
#define MX_ROOTS_H

/*
 * roots_check_path - ARG resolves under one of the roots: 0, or -1 with
 * *why_r set to the reply reason (NULL when errno says why it failed to
 * resolve).
 */
int roots_check_path(const char *arg, const char **why_r);

/* roots_check_fd - the open file or directory FD lies under a root. */
int roots_check_fd(int fd, const char **why_r);

#endif
