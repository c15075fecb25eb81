/*
 * fetch.c - libcurl downloads (see fetch.h).
 *
 * A file is written to DEST.part and renamed to DEST only when the
 * transfer is complete, so a killed run leaves a .part that the next try
 * resumes.  Whether a resumed file is whole is for the verifier to say.
 */
#include "auto-config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "updater/fetch.h"
#include "updater/reason.h"
#include "updater/state.h"

#define FETCH_BACKOFF_CAP_MS (15LL * 60 * 1000)
#define FETCH_MAX_REDIRS 5L
#define FETCH_ETAG_HEADER "ETag:"

static struct fetch_options fetch_opts;
static __thread char fetch_why[REASON_MAX];

/* One transfer's sink. */
struct fetch_sink {
	struct fetch_request *rq;
	CURL *curl;
	int fd;
	long long written;
	int checked;		/* response code looked at */
	int discard;		/* an error body: do not keep it */
	int enough;		/* got the range asked for */
	int too_big;
	int write_error;
};

/* fetch_prefix - the length of PREFIX when S starts with it (in any
 * case), else 0. */
static size_t fetch_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncasecmp(s, prefix, n) == 0 ? n : 0;
}

int fetch_init(const struct fetch_options *opts, const char **error_r)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*error_r = "curl_global_init failed";
		return -1;
	}
	fetch_opts = *opts;
	return 0;
}

void fetch_shutdown(void)
{
	curl_global_cleanup();
}

long long fetch_backoff_ms(long long base_ms, int attempt, unsigned rnd)
{
	long long d = base_ms, half;
	int i;

	if (d <= 0)
		return 0;
	for (i = 0; i < attempt && d < FETCH_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > FETCH_BACKOFF_CAP_MS)
		d = FETCH_BACKOFF_CAP_MS;
	half = d / 2;
	return half + (long long)(rnd % (unsigned long long)(d - half + 1));
}

int fetch_origin(const char *url, char *buf, size_t size)
{
	const char *p, *end;
	size_t n;

	if ((n = fetch_prefix(url, "https://")) > 0 || (n = fetch_prefix(url, "http://")) > 0)
		p = url + n;
	else if ((n = fetch_prefix(url, "file://")) > 0) {
		snprintf(buf, size, "file://");
		return url[n] != '\0' ? 0 : -1;
	} else
		return -1;
	end = p + strcspn(p, "/?#");
	if (end == p)
		return -1;
	snprintf(buf, size, "%.*s", (int)(end - url), url);
	return 0;
}

/* fetch_write - the body: to memory or to the .part file. */
static size_t fetch_write(char *data, size_t one, size_t n, void *arg)
{
	struct fetch_sink *s = arg;
	struct fetch_request *rq = s->rq;
	size_t len = one * n;

	if (!s->checked) {
		long code = 0;

		s->checked = 1;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 300)
			s->discard = 1;
		else if (code == 200 && rq->resumed && s->fd >= 0) {
			/* The server ignored the range: start over. */
			if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0) {
				s->write_error = 1;
				return 0;
			}
			rq->resumed = 0;
			s->written = 0;
		}
	}
	if (s->discard)
		return len;
	if (rq->range_end >= 0 && s->written + (long long)len > rq->range_end + 1) {
		len = (size_t)(rq->range_end + 1 - s->written);
		s->enough = 1;
	}
	if (s->written + (long long)len > fetch_opts.max_download) {
		s->too_big = 1;
		return 0;
	}
	if (rq->mem != NULL) {
		if (rq->mem_len + len > rq->mem_size) {
			s->too_big = 1;
			return 0;
		}
		memcpy(rq->mem + rq->mem_len, data, len);
		rq->mem_len += len;
	} else {
		size_t off = 0;

		while (off < len) {
			ssize_t w = write(s->fd, data + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				s->write_error = 1;
				return 0;
			}
			off += (size_t)w;
		}
	}
	s->written += (long long)len;
	return s->enough ? 0 : one * n;
}

/* fetch_header - pick up the ETag. */
static size_t fetch_header(char *data, size_t one, size_t n, void *arg)
{
	struct fetch_request *rq = arg;
	size_t len = one * n, i = sizeof(FETCH_ETAG_HEADER) - 1;

	if (len > i && strncasecmp(data, FETCH_ETAG_HEADER, i) == 0) {
		while (i < len && (data[i] == ' ' || data[i] == '\t'))
			i++;
		while (len > i && (data[len - 1] == '\r' || data[len - 1] == '\n' ||
				   data[len - 1] == ' '))
			len--;
		if (len - i < sizeof(rq->etag))
			snprintf(rq->etag, sizeof(rq->etag), "%.*s", (int)(len - i), data + i);
	}
	return one * n;
}

/* fetch_classify - the status of a finished transfer. */
static enum fetch_status fetch_classify(struct fetch_sink *s, CURLcode rc, const char **error_r)
{
	struct fetch_request *rq = s->rq;
	long code = 0;
	char origin[FETCH_ORIGIN_MAX];

	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_WRITE_ERROR && s->enough)
		rc = CURLE_OK;
	if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		reason_set(fetch_why, error_r, "%s: larger than update_max_download", rq->url);
		return FETCH_PERMFAIL;
	}
	if (s->write_error) {
		reason_set(fetch_why, error_r, "%s: writing: %s", rq->url, strerror(errno));
		return FETCH_TEMPFAIL;
	}
	if (rc == CURLE_FILE_COULDNT_READ_FILE || rc == CURLE_REMOTE_FILE_NOT_FOUND) {
		reason_set(fetch_why, error_r, "%s: not found", rq->url);
		return FETCH_NOT_FOUND;
	}
	if (rc != CURLE_OK) {
		reason_set(fetch_why, error_r, "%s: %s", rq->url, curl_easy_strerror(rc));
		switch (rc) {
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_TOO_MANY_REDIRECTS:
			return FETCH_PERMFAIL;
		default:
			return FETCH_TEMPFAIL;
		}
	}
	if (code == 304)
		return FETCH_NOT_MODIFIED;
	if (code == 0 || code == 200 || code == 206)
		return FETCH_DONE;
	reason_set(fetch_why, error_r, "%s: HTTP %ld", rq->url, code);
	if (code == 404 || code == 410)
		return FETCH_NOT_FOUND;
	if (code == 416 && rq->resumed) {
		if (rq->dest != NULL) {
			char part[PATH_MAX];

			snprintf(part, sizeof(part), "%s.part", rq->dest);
			unlink(part);
		}
		return FETCH_TEMPFAIL;
	}
	if (code == 429 || code == 403) {
		curl_off_t after = 0;
		time_t until;

		curl_easy_getinfo(s->curl, CURLINFO_RETRY_AFTER, &after);
		until = time(NULL) + (code == 429 && after > 0 ? (time_t)after
							       : (time_t)fetch_opts.cooldown_s);
		if (fetch_origin(rq->url, origin, sizeof(origin)) == 0 && until > time(NULL))
			state_set_cooldown(origin, until);
		return FETCH_COOLDOWN;
	}
	if (code == 408 || code >= 500)
		return FETCH_TEMPFAIL;
	return FETCH_PERMFAIL;
}

/* fetch_once - one transfer of RQ (see fetch_retry). */
static enum fetch_status fetch_once(struct fetch_request *rq, const char **error_r)
{
	struct fetch_sink s = {.rq = rq, .fd = -1};
	struct curl_slist *hdrs = NULL;
	char part[PATH_MAX], range[64], hdr[sizeof("If-None-Match: ") + FETCH_ETAG_MAX];
	enum fetch_status st;
	curl_off_t filetime = -1;
	CURLcode rc;
	struct stat sb;

	rq->etag[0] = '\0';
	rq->modified = 0;
	rq->mem_len = 0;
	rq->resumed = 0;
	s.curl = curl_easy_init();
	if (s.curl == NULL) {
		*error_r = "curl_easy_init failed";
		return FETCH_TEMPFAIL;
	}
	if (rq->dest != NULL) {
		snprintf(part, sizeof(part), "%s.part", rq->dest);
		s.fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (s.fd < 0) {
			reason_set(fetch_why, error_r, "%s: %s", part, strerror(errno));
			curl_easy_cleanup(s.curl);
			return FETCH_TEMPFAIL;
		}
		if (rq->resume && fstat(s.fd, &sb) == 0 && sb.st_size > 0) {
			rq->resumed = 1;
			s.written = (long long)sb.st_size;
			lseek(s.fd, 0, SEEK_END);
			curl_easy_setopt(s.curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)sb.st_size);
		} else if (ftruncate(s.fd, 0) < 0) {
			reason_set(fetch_why, error_r, "%s: %s", part, strerror(errno));
			close(s.fd);
			curl_easy_cleanup(s.curl);
			return FETCH_TEMPFAIL;
		}
	}
	curl_easy_setopt(s.curl, CURLOPT_URL, rq->url);
	curl_easy_setopt(s.curl, CURLOPT_PROTOCOLS_STR, "https,http,file");
	curl_easy_setopt(s.curl, CURLOPT_REDIR_PROTOCOLS_STR,
			 fetch_prefix(rq->url, "https:") > 0 ? "https" : "https,http");
	curl_easy_setopt(s.curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(s.curl, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRS);
	curl_easy_setopt(s.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s.curl, CURLOPT_CONNECTTIMEOUT_MS, (long)fetch_opts.connect_timeout_ms);
	curl_easy_setopt(s.curl, CURLOPT_LOW_SPEED_TIME, fetch_opts.low_speed_time_s);
	curl_easy_setopt(s.curl, CURLOPT_LOW_SPEED_LIMIT, fetch_opts.low_speed_limit);
	curl_easy_setopt(s.curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)fetch_opts.max_download);
	curl_easy_setopt(s.curl, CURLOPT_USERAGENT, fetch_opts.user_agent);
	curl_easy_setopt(s.curl, CURLOPT_FILETIME, 1L);
	if (*fetch_opts.ca_file)
		curl_easy_setopt(s.curl, CURLOPT_CAINFO, fetch_opts.ca_file);
	if (*fetch_opts.ca_path)
		curl_easy_setopt(s.curl, CURLOPT_CAPATH, fetch_opts.ca_path);
	curl_easy_setopt(s.curl, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(s.curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.curl, CURLOPT_HEADERFUNCTION, fetch_header);
	curl_easy_setopt(s.curl, CURLOPT_HEADERDATA, rq);
	if (rq->range_end >= 0) {
		snprintf(range, sizeof(range), "0-%lld", rq->range_end);
		curl_easy_setopt(s.curl, CURLOPT_RANGE, range);
	}
	/* Conditions go out as plain headers and only a 304 counts: libcurl's
	 * own time condition would also drop a 200 whose Last-Modified is
	 * not newer, e.g. a file replaced within the same second. */
	if (rq->conditional && fetch_prefix(rq->url, "file:") == 0) {
		const char *etag;
		time_t mod;
		struct tm tm;

		state_validator(rq->url, &etag, &mod);
		if (*etag) {
			snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
			hdrs = curl_slist_append(hdrs, hdr);
		} else if (mod > 0 && gmtime_r(&mod, &tm) != NULL) {
			strftime(hdr, sizeof(hdr), "If-Modified-Since: %a, %d %b %Y %H:%M:%S GMT",
				 &tm);
			hdrs = curl_slist_append(hdrs, hdr);
		}
		if (hdrs != NULL)
			curl_easy_setopt(s.curl, CURLOPT_HTTPHEADER, hdrs);
	}
	log_debug("fetching %s%s%s", rq->url, rq->range_end >= 0 ? " (range " : "",
		  rq->range_end >= 0 ? "header)" : "");
	rc = curl_easy_perform(s.curl);
	st = fetch_classify(&s, rc, error_r);
	if (curl_easy_getinfo(s.curl, CURLINFO_FILETIME_T, &filetime) == CURLE_OK && filetime > 0)
		rq->modified = (time_t)filetime;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(s.curl);
	if (s.fd >= 0) {
		if (st == FETCH_DONE && (fsync(s.fd) < 0 || close(s.fd) < 0)) {
			reason_set(fetch_why, error_r, "%s: %s", part, strerror(errno));
			return FETCH_TEMPFAIL;
		}
		if (st != FETCH_DONE)
			close(s.fd);
		if (st == FETCH_DONE && rename(part, rq->dest) < 0) {
			reason_set(fetch_why, error_r, "rename %s: %s", part, strerror(errno));
			return FETCH_TEMPFAIL;
		}
		if (st == FETCH_NOT_MODIFIED || st == FETCH_NOT_FOUND || st == FETCH_PERMFAIL ||
		    st == FETCH_COOLDOWN || (st == FETCH_TEMPFAIL && s.written == 0))
			unlink(part);
	}
	return st;
}

enum fetch_status fetch_retry(struct fetch_request *rq, const char **error_r)
{
	char origin[FETCH_ORIGIN_MAX];
	enum fetch_status st = FETCH_TEMPFAIL;
	time_t until;
	int attempt;

	if (fetch_origin(rq->url, origin, sizeof(origin)) < 0) {
		reason_set(fetch_why, error_r, "%s: not an https, http or file URL", rq->url);
		return FETCH_PERMFAIL;
	}
	until = state_cooldown(origin);
	if (until > time(NULL)) {
		reason_set(fetch_why, error_r, "%s: on cool-down until %lld (after a 429 or 403)", origin,
			 (long long)until);
		return FETCH_COOLDOWN;
	}
	for (attempt = 0; attempt <= fetch_opts.retries; attempt++) {
		long long ms;

		st = fetch_once(rq, error_r);
		if (st != FETCH_TEMPFAIL || attempt == fetch_opts.retries)
			break;
		ms = fetch_backoff_ms(fetch_opts.retry_delay_ms, attempt, (unsigned)random());
		log_warn("%s; retrying in %lld ms", *error_r, ms);
		{
			struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	return st;
}
