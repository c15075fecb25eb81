/*
 * metrics_http.h - the HTTP endpoint that serves a program's metrics
 * page (common/metrics.h) to Prometheus, with libmicrohttpd.
 *
 * Binding and serving are two steps, so a daemon binds while it is still
 * root and serves only after it has dropped its privileges.  The
 * endpoint answers GET of its one path with the page (200), any other
 * method with 405 (Allow: GET), any other path with 404; it reads no
 * request body.  It runs on libmicrohttpd's own thread: the page
 * callback is called there and must only read atomics or take the
 * program's own locks.
 */
#ifndef MX_METRICS_HTTP_H
#define MX_METRICS_HTTP_H

#include "common/buffer.h"
#include "common/config.h"

/* Simultaneous scrapes served; further ones are refused by libmicrohttpd. */
#define METRICS_HTTP_MAX_CONNECTIONS 8
/* Seconds an idle scrape connection is kept. */
#define METRICS_HTTP_TIMEOUT 10

/* Writes the whole page into OUT (empty on entry). */
typedef void metrics_http_page_fn(struct buffer *out, void *arg);

struct metrics_http;

/*
 * metrics_http_listen - bind LISTEN: "host:port", "[ipv6]:port", or a
 * bare port meaning 127.0.0.1.  An address that is not loopback
 * (127.0.0.0/8, ::1) is refused unless ALLOW_REMOTE.  Returns the
 * listening descriptor, or -1 with *error_r set (a per-thread buffer
 * or a static string).
 */
int metrics_http_listen(const char *listen, int allow_remote, const char **error_r);

/*
 * metrics_http_start - serve GET PATH on FD (from metrics_http_listen,
 * owned by the endpoint from now on) with pages from PAGE(OUT, ARG).
 * Returns the endpoint, or NULL with *error_r set; FD is then not to be
 * used again (libmicrohttpd may have closed it).
 */
struct metrics_http *metrics_http_start(int fd, const char *path, metrics_http_page_fn *page,
					void *arg, const char **error_r);

/* metrics_http_stop - stop serving and close (NULL is a no-op; *h becomes NULL). */
void metrics_http_stop(struct metrics_http **h);

/*
 * A program's endpoint as its settings describe it: the listen address
 * in the parameter LISTEN (empty: no endpoint), the path in
 * metrics_path, the loopback rule relaxed by metrics_allow_remote.
 */
struct metrics_http_endpoint {
	enum config_id listen;
	int fd;				/* bound, not yet served; -1 */
	struct metrics_http *http;	/* served; NULL */
};

/*
 * metrics_http_open - bind the endpoint of parameter LISTEN into E (call
 * while still privileged); nothing when the parameter is empty.  A
 * refused or unusable address is fatal, naming the parameter.
 */
void metrics_http_open(struct metrics_http_endpoint *e, enum config_id listen);

/*
 * metrics_http_serve - start serving E's bound descriptor with PAGE(OUT,
 * ARG) (call after privileges are dropped); nothing when E is not bound.
 * libmicrohttpd's thread starts with SIGTERM, SIGINT and SIGHUP blocked,
 * so they always reach the thread the program waits for them on.
 * Failure is fatal, naming the parameter.
 */
void metrics_http_serve(struct metrics_http_endpoint *e, metrics_http_page_fn *page, void *arg);

/* metrics_http_close - stop serving E (a no-op when it was never served). */
void metrics_http_close(struct metrics_http_endpoint *e);

#endif
