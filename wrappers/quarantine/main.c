/*
 * main.c - mxscan-quarantine: list, show, release and delete the mail
 * mxscan-filter quarantined in filter_quarantine_dir.
 *
 * release re-injects a message through filter_forward over SMTP with its
 * original envelope (MAIL FROM and RCPT TO arguments as received, so
 * SIZE, BODY, SMTPUTF8 and DSN parameters go along), byte for byte, and
 * removes it from the quarantine only once the forward server accepted
 * it.  Exit status: 0 done, 1 the operation failed, 2 usage.
 */
#include "auto-config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/smtp_client.h"
#include "common/xalloc.h"
#include "wrappers/quarantine/qstore.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-quarantine [options] list | show ID | release ID | delete ID\n"
		"Manage the messages mxscan-filter quarantined.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -o, --option N=V      override one parameter (repeatable)\n"
		"  -v, --verbose         log debugging detail\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version and exit\n",
		config_default_file);
}

/* printable - untrusted envelope text for the terminal. */
static const char *printable(char *dst, size_t size, const char *src)
{
	return log_sanitize(dst, size, src ? src : "", src ? strlen(src) : 0);
}

static int cmd_list(const char *dir)
{
	const char *err = NULL;
	char **ids, when[32], a[LOG_SAFE_MAX], b[LOG_SAFE_MAX];
	int n, i;

	n = qstore_list(dir, &ids, &err);
	if (n < 0) {
		log_error("%s", err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct qstore_entry e;
		time_t t;
		struct tm tm;

		if (qstore_get(dir, ids[i], &e, &err) < 0) {
			log_warn("%s: %s", ids[i], err);
			free(ids[i]);
			continue;
		}
		t = (time_t)e.time;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("%s %s %lld %s %s %d\n", e.id, when, e.size,
		       printable(a, sizeof(a), e.signature),
		       printable(b, sizeof(b), e.mail ? e.mail : ""), e.nrcpt);
		qstore_entry_free(&e);
		free(ids[i]);
	}
	free(ids);
	return 0;
}

static int cmd_show(const char *dir, const char *id)
{
	struct qstore_entry e;
	const char *err = NULL;
	char buf[65536], s[LOG_SAFE_MAX * 4];
	ssize_t n;
	int fd, i;

	if (qstore_get(dir, id, &e, &err) < 0) {
		log_error("%s: %s", id, err);
		return 1;
	}
	printf("id: %s\ntime: %lld\nsize: %lld\n", e.id, e.time, e.size);
	printf("client: %s\n", printable(s, sizeof(s), e.client));
	printf("queue_id: %s\n", printable(s, sizeof(s), e.queue_id));
	printf("signature: %s\n", printable(s, sizeof(s), e.signature));
	printf("mail: %s\n", printable(s, sizeof(s), e.mail));
	for (i = 0; i < e.nrcpt; i++)
		printf("rcpt: %s\n", printable(s, sizeof(s), e.rcpt[i]));
	printf("\n");
	fflush(stdout);
	qstore_entry_free(&e);
	fd = qstore_open_message(dir, id, &err);
	if (fd < 0) {
		log_error("%s", err);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	close(fd);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * release_send - the SMTP transaction of a release; 0 when the forward
 * server accepted the message for every recipient.  A refused recipient
 * stops the release (RSET), so the entry is never removed while a
 * recipient has not got the message.
 */
static int release_send(const struct qstore_entry *e, int fd, size_t len)
{
	const char *forward = config_str(CONF_FILTER_FORWARD);
	int timeout = (int)config_num(CONF_FILTER_FORWARD_TIMEOUT), i;
	char host[256], *line, safe[LOG_SAFE_MAX], who[LOG_SAFE_MAX];
	struct smtp_client r;
	struct smtp_reply rep;

	snprintf(host, sizeof(host), "%s", config_str(CONF_FILTER_HOSTNAME));
	if (*host == '\0' && gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	smtp_client_init(&r);
	if (smtp_client_open(&r, forward, host, timeout, 0, &rep) < 0) {
		log_error("%s: %s", forward, printable(safe, sizeof(safe), rep.text));
		return -1;
	}
	line = xasprintf("MAIL FROM:%s", e->mail);
	smtp_client_command(&r, line, &rep);
	free(line);
	if (rep.code != 250)
		goto fail;
	for (i = 0; i < e->nrcpt; i++) {
		line = xasprintf("RCPT TO:%s", e->rcpt[i]);
		smtp_client_command(&r, line, &rep);
		free(line);
		if (rep.code < 200 || rep.code >= 300) {
			log_error("%s: recipient %s refused", e->id,
				  printable(who, sizeof(who), e->rcpt[i]));
			goto fail;
		}
	}
	if (smtp_client_data(&r, fd, len, NULL, &rep) < 0 || rep.code != 250)
		goto fail;
	log_info("%s released: %s", e->id, printable(safe, sizeof(safe), rep.text));
	smtp_client_quit(&r);
	return 0;
fail:
	log_error("%s: release refused, the message stays in the quarantine: %s", e->id,
		  printable(safe, sizeof(safe), rep.text));
	smtp_client_abandon(&r);
	smtp_client_quit(&r);
	return -1;
}

static int cmd_release(const char *dir, const char *id)
{
	struct qstore_entry e;
	const char *err = NULL;
	struct stat st;
	int fd, ret = 1;

	if (qstore_get(dir, id, &e, &err) < 0) {
		log_error("%s: %s", id, err);
		return 1;
	}
	/* The message goes out straight from its file, read with pread. */
	fd = qstore_open_message(dir, id, &err);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		err = "cannot read the message";
	}
	if (fd < 0) {
		log_error("%s: %s", id, err);
	} else if (release_send(&e, fd, (size_t)st.st_size) == 0) {
		if (qstore_delete(dir, id, &err) < 0)
			log_error("%s: delivered, but not removed: %s", id, err);
		else
			ret = 0;
	}
	if (fd >= 0)
		close(fd);
	qstore_entry_free(&e);
	return ret;
}

static int cmd_delete(const char *dir, const char *id)
{
	const char *err = NULL;

	if (qstore_delete(dir, id, &err) < 0) {
		log_error("%s: %s", id, err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"option", required_argument, NULL, 'o'},
		{"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *file = NULL, *err = NULL, *dir, *cmd;
	char **overrides = xcalloc((size_t)argc, sizeof(char *));
	int noverrides = 0, opt, ret;

	log_init("mxscan-quarantine", LOG_DEST_STDERR);
	while ((opt = getopt_long(argc, argv, "+c:o:vhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'o':
			overrides[noverrides++] = optarg;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'h':
			usage(stdout);
			free(overrides);
			return 0;
		case 'V':
			printf("mxscan-quarantine %s\n", PACKAGE_VERSION);
			free(overrides);
			return 0;
		default:
			usage(stderr);
			free(overrides);
			return 2;
		}
	}
	cmd = optind < argc ? argv[optind] : "";
	if (!((strcmp(cmd, "list") == 0 && optind + 1 == argc) ||
	      ((strcmp(cmd, "show") == 0 || strcmp(cmd, "release") == 0 ||
		strcmp(cmd, "delete") == 0) && optind + 2 == argc))) {
		usage(stderr);
		free(overrides);
		return 2;
	}
	if (config_load(file, overrides, noverrides, &err) < 0)
		log_fatal("%s", err);
	dir = config_str(CONF_FILTER_QUARANTINE_DIR);
	if (strcmp(cmd, "list") == 0) {
		ret = cmd_list(dir);
	} else if (!qstore_valid_id(argv[optind + 1])) {
		log_error("not a quarantine id: use the first column of \"list\"");
		ret = 1;
	} else if (strcmp(cmd, "show") == 0) {
		ret = cmd_show(dir, argv[optind + 1]);
	} else if (strcmp(cmd, "release") == 0) {
		ret = cmd_release(dir, argv[optind + 1]);
	} else {
		ret = cmd_delete(dir, argv[optind + 1]);
	}
	config_free();
	free(overrides);
	return ret;
}
