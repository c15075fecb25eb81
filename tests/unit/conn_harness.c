/*
 * conn_harness.c - an in-process mxscand connection (see conn_harness.h):
 * the real request objects (job.c), with the scans (scan.c) and the pool
 * replaced by recording stubs.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/conn.h"
#include "scanner/events.h"
#include "scanner/job.h"
#include "scanner/pool.h"
#include "scanner/scan.h"
#include "tests/unit/conn_harness.h"

static struct harness *cur;
static struct job *held[HARNESS_JOBS_MAX];
static int nheld;

/* -- the scans, in memory only ------------------------------------------ */

/* scan_run - answer as a scan would: FOUND when the data holds "EICAR"
 * (a clean one cut at a limit as its clean_as name). */
void scan_run(struct job *job)
{
	char line[256];
	int n;

	if (job->len >= 5 && memmem(job->buf, job->len, "EICAR", 5) != NULL)
		n = proto_reply_found(line, sizeof(line), job->id, job->path, "Eicar-Test-Signature",
				      job->term);
	else if (job->clean_as != NULL)
		n = proto_reply_found(line, sizeof(line), job->id, job->path, job->clean_as, job->term);
	else
		n = proto_reply_ok(line, sizeof(line), job->id, job->path, job->term);
	if (n > 0 && !job->sink.gone(job->sink.ctx))
		job->sink.write(job->sink.ctx, line, (size_t)n);
}

/*
 * scan_try_now - answer at once, as a storm's copy is answered: a MIMESCAN
 * whose data holds "KNOWN" (never reaches the pool, so no job is recorded).
 */
int scan_try_now(struct job *job)
{
	char line[256];
	int n;

	if (job->scan != JOB_MIME || job->len < 5 || memmem(job->buf, job->len, "KNOWN", 5) == NULL)
		return 0;
	n = proto_reply_found(line, sizeof(line), job->id, "stream", "Known.Worm", job->term);
	if (n > 0)
		job->sink.write(job->sink.ctx, line, (size_t)n);
	return 1;
}

/* -- the pool ----------------------------------------------------------- */

static void harness_done(void *arg)
{
	struct pool_work *w = arg;

	w->done(w);
}

/* harness_finish - run W and hand it back through the wake-up queue. */
static void harness_finish(struct pool_work *w)
{
	w->run(w);
	events_post(&w->post, harness_done, w);
}

int pool_submit(struct pool_work *w)
{
	struct job *job = (struct job *)((char *)w - offsetof(struct job, work));
	struct harness_job *hj;

	if (cur->pool_room <= 0)
		return -1;
	if (cur->njobs < HARNESS_JOBS_MAX) {
		hj = &cur->jobs[cur->njobs++];
		hj->kind = job->kind;
		hj->scan = job->scan;
		hj->id = job->id;
		hj->had_fd = job->fd >= 0;
		buffer_append(&hj->data, job->buf ? job->buf : "", job->len);
	}
	if (cur->hold && nheld < HARNESS_JOBS_MAX) {
		cur->pool_room--;
		held[nheld++] = job;
		return 0;
	}
	harness_finish(w);
	return 0;
}

void pool_counts(int *queued, int *busy, int *total)
{
	*queued = nheld;
	*busy = 0;
	*total = 1;
}

void pool_each_running(void (*fn)(void *arg, const struct pool_work *w), void *arg)
{
	(void)fn;
	(void)arg;
}

/* -- the harness -------------------------------------------------------- */

static void harness_closed(void *ctx)
{
	((struct harness *)ctx)->closed = 1;
}

void harness_start(struct harness *h)
{
	int sv[2];

	memset(h, 0, sizeof(*h));
	h->pool_room = 1000000;
	h->settle_ms = 5;
	cur = h;
	nheld = 0;
	events_init();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		log_fatal("socketpair: %m");
	sock_nonblock(sv[0], 1);
	sock_nonblock(sv[1], 1);
	h->client = sv[1];
	if ((h->conn = conn_new(sv[0], 1, "harness", harness_closed, h)) == NULL)
		log_fatal("conn_new failed");
}

void harness_send(struct harness *h, const void *data, size_t len, int fd)
{
	const char *p = data;

	while (len > 0) {
		struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
		union {
			struct cmsghdr hdr;
			char buf[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;
		int tries = 0;

		if (fd >= 0) {
			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &fd, sizeof(int));
		}
		n = sendmsg(h->client, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN && tries++ < 100) {	/* the server reads meanwhile */
			events_turn(h->settle_ms);
			continue;
		}
		if (n <= 0)
			return;	/* the server closed */
		fd = -1;
		p += n;
		len -= (size_t)n;
	}
}

void harness_shut(struct harness *h)
{
	shutdown(h->client, SHUT_WR);
}

void harness_settle(struct harness *h)
{
	int quiet = 0;

	while (quiet < 3)
		quiet = events_turn(h->settle_ms) == 0 ? quiet + 1 : 0;
}

void harness_release(struct harness *h)
{
	int i, n = nheld;

	nheld = 0;
	for (i = 0; i < n; i++) {
		h->pool_room++;
		harness_finish(&held[i]->work);
	}
	harness_settle(h);
}

void harness_read(struct harness *h, struct buffer *out)
{
	for (;;) {
		ssize_t n = recv(h->client, buffer_reserve(out, 4096), 4096, MSG_DONTWAIT);

		if (n <= 0)
			return;
		buffer_commit(out, (size_t)n);
	}
}

void harness_stop(struct harness *h)
{
	int i;

	if (h->client >= 0)
		close(h->client);
	harness_settle(h);
	harness_release(h);
	for (i = 0; i < h->njobs; i++)
		buffer_free(&h->jobs[i].data);
	events_free();
	cur = NULL;
}
