/*
 * metrics_http.c - the metrics endpoint on libmicrohttpd (see metrics_http.h).
 *
 * The listener is bound here (sock_listen_tcp) and handed to
 * libmicrohttpd with MHD_OPTION_LISTEN_SOCKET; libmicrohttpd runs its
 * own polling thread, limits connections and times them out.  The
 * access rule (loopback unless allowed) is checked on the resolved
 * addresses before binding and again on the bound address.
 */
#include "auto-config.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/metrics_http.h"
#include "common/sock.h"
#include "common/xalloc.h"

struct metrics_http {
	struct MHD_Daemon *mhd;
	char *path;
	metrics_http_page_fn *page;
	void *arg;
};

static __thread char metrics_http_why[512];

/* metrics_http_loopback - is SA a loopback address? */
static int metrics_http_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *a = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && a[12] == 127;
	}
	return 0;
}

/* metrics_http_host - the host part of "host:port" or "[v6]:port" into HOST. */
static int metrics_http_host(const char *hostport, char *host, size_t size)
{
	const char *end;

	if (hostport[0] == '[') {
		hostport++;
		end = strchr(hostport, ']');
	} else {
		end = strrchr(hostport, ':');
	}
	if (end == NULL || end == hostport || (size_t)(end - hostport) >= size)
		return -1;
	memcpy(host, hostport, (size_t)(end - hostport));
	host[end - hostport] = '\0';
	return 0;
}

/* metrics_http_refuse_remote - -1 unless every address HOST names is loopback. */
static int metrics_http_refuse_remote(const char *spec, const char *host, const char **error_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	int r, remote = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(metrics_http_why, sizeof(metrics_http_why), "%s: %s", spec,
			 gai_strerror(r));
		*error_r = metrics_http_why;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		remote |= !metrics_http_loopback(ai->ai_addr);
	freeaddrinfo(res);
	if (remote) {
		snprintf(metrics_http_why, sizeof(metrics_http_why),
			 "%s is not a loopback address (set metrics_allow_remote = yes to "
			 "serve metrics beyond this host)", spec);
		*error_r = metrics_http_why;
		return -1;
	}
	return 0;
}

int metrics_http_listen(const char *listen, int allow_remote, const char **error_r)
{
	char spec[300], host[256];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	if (listen[0] != '\0' && strspn(listen, "0123456789") == strlen(listen))
		snprintf(spec, sizeof(spec), "127.0.0.1:%s", listen);
	else
		snprintf(spec, sizeof(spec), "%s", listen);
	if (metrics_http_host(spec, host, sizeof(host)) < 0) {
		snprintf(metrics_http_why, sizeof(metrics_http_why),
			 "bad address \"%.200s\": expected host:port or a port", listen);
		*error_r = metrics_http_why;
		return -1;
	}
	if (!allow_remote && metrics_http_refuse_remote(spec, host, error_r) < 0)
		return -1;
	if ((fd = sock_listen_tcp(spec, 16, error_r)) < 0)
		return -1;
	if (!allow_remote && (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
			      !metrics_http_loopback((struct sockaddr *)&ss))) {
		close(fd);
		snprintf(metrics_http_why, sizeof(metrics_http_why),
			 "%s is not bound to a loopback address", spec);
		*error_r = metrics_http_why;
		return -1;
	}
	return fd;
}

/* metrics_http_log - libmicrohttpd's complaints into our log. */
__attribute__((format(printf, 2, 0)))
static void metrics_http_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("metrics endpoint: %s", line);
}

/* metrics_http_reply - queue STATUS with BODY of LEN bytes (copied). */
static enum MHD_Result metrics_http_reply(struct MHD_Connection *conn, unsigned status,
					  const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* metrics_http_request - libmicrohttpd's handler: answered on its first call. */
static enum MHD_Result metrics_http_request(void *cls, struct MHD_Connection *conn,
					    const char *url, const char *method,
					    const char *version, const char *upload_data,
					    size_t *upload_data_size, void **req_cls)
{
	static const char not_allowed[] = "only GET is served here\n";
	static const char not_found[] = "not found\n";
	struct metrics_http *h = cls;
	struct buffer page = BUFFER_INIT;
	enum MHD_Result r;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return metrics_http_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
					  not_allowed, sizeof(not_allowed) - 1);
	if (strcmp(url, h->path) != 0)
		return metrics_http_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
					  sizeof(not_found) - 1);
	h->page(&page, h->arg);
	r = metrics_http_reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, buffer_data(&page),
			       buffer_len(&page));
	buffer_free(&page);
	return r;
}

struct metrics_http *metrics_http_start(int fd, const char *path, metrics_http_page_fn *page,
					void *arg, const char **error_r)
{
	struct metrics_http *h;

	if (path[0] != '/') {
		close(fd);
		*error_r = "metrics_path must start with /";
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->path = xstrdup(path);
	h->page = page;
	h->arg = arg;
	h->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  metrics_http_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, metrics_http_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT,
				  MHD_OPTION_END);
	if (h->mhd == NULL) {	/* whether it closed FD is its own business */
		free(h->path);
		free(h);
		*error_r = "libmicrohttpd could not start serving the metrics endpoint";
		return NULL;
	}
	return h;
}

void metrics_http_stop(struct metrics_http **hp)
{
	struct metrics_http *h = *hp;

	if (h == NULL)
		return;
	*hp = NULL;
	MHD_stop_daemon(h->mhd);	/* closes the listening socket too */
	free(h->path);
	free(h);
}

void metrics_http_open(struct metrics_http_endpoint *e, enum config_id listen)
{
	const char *name = config_param(listen)->name, *err = NULL;

	e->listen = listen;
	e->fd = -1;
	e->http = NULL;
	if (*config_str(listen) == '\0')
		return;
	e->fd = metrics_http_listen(config_str(listen), (int)config_num(CONF_METRICS_ALLOW_REMOTE),
				    &err);
	if (e->fd < 0)
		log_fatal("%s: %s", name, err);
}

void metrics_http_serve(struct metrics_http_endpoint *e, metrics_http_page_fn *page, void *arg)
{
	const char *name = config_param(e->listen)->name, *err = NULL;
	sigset_t block, old;

	if (e->fd < 0)
		return;
	/* libmicrohttpd's thread inherits this mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e->http = metrics_http_start(e->fd, config_str(CONF_METRICS_PATH), page, arg, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	e->fd = -1;
	if (e->http == NULL)
		log_fatal("%s: %s", name, err);
	log_info("metrics: serving GET %s on %s %s", config_str(CONF_METRICS_PATH), name,
		 config_str(e->listen));
}

void metrics_http_close(struct metrics_http_endpoint *e)
{
	metrics_http_stop(&e->http);
}
