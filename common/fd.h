/*
 * fd.h - whole writes to a file descriptor (files and pipes; sockets with
 * deadlines go through sock.h).
 */
#ifndef MX_COMMON_FD_H
#define MX_COMMON_FD_H

#include <stddef.h>

/*
 * fd_write_all - write all LEN bytes of BUF to FD, retrying after EINTR
 * and short writes.  Returns 0, or -1 with errno set (ENOSPC when a write
 * made no progress).
 */
int fd_write_all(int fd, const void *buf, size_t len);

#endif
