/*
 * part.c - read the conversion channel's description of one part.
 */
#include "auto-config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/config.h"
#include "wrappers/conversion/part.h"

/* How much of MESSAGE_HEADERS is searched for the Message-ID. */
#define PART_HEADERS_MAX 16384
#define PART_MESSAGE_ID "Message-ID:"

static const char *part_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? v : "";
}

char *part_safe_text(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	if (size == 0)
		return dst;
	for (; *src != '\0' && o + 1 < size; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\')
			c = '?';
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return dst;
}

/* part_message_id - the Message-ID header of the enclosing message. */
static void part_message_id(struct part *p, const char *headers_file)
{
	char buf[PART_HEADERS_MAX], *line, *save = NULL;
	ssize_t n;
	int fd;

	p->message_id[0] = '\0';
	if (*headers_file == '\0')
		return;
	fd = open(headers_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncasecmp(line, PART_MESSAGE_ID, strlen(PART_MESSAGE_ID)) == 0) {
			const char *v = line + strlen(PART_MESSAGE_ID);

			while (*v == ' ' || *v == '\t')
				v++;
			part_safe_text(p->message_id, sizeof(p->message_id), v);
			/* Drop a trailing CR turned into '?'. */
			n = (ssize_t)strlen(p->message_id);
			if (n > 0 && line[strlen(line) - 1] == '\r')
				p->message_id[n - 1] = '\0';
			return;
		}
	}
}

int part_from_environment(struct part *p, int argc, char **argv, const char **error_r)
{
	const char *const *names;
	int i, n;

	memset(p, 0, sizeof(*p));
	p->input_file = argc >= 1 ? argv[0] : getenv("INPUT_FILE");
	p->output_file = argc >= 2 ? argv[1] : getenv("OUTPUT_FILE");
	p->output_options = getenv("OUTPUT_OPTIONS");
	if (p->output_options != NULL && *p->output_options == '\0')
		p->output_options = NULL;
	p->type = part_env("INPUT_TYPE");
	p->subtype = part_env("INPUT_SUBTYPE");
	p->part_number = part_env("PART_NUMBER");
	p->name = "";
	n = config_list(CONF_CONVERSION_NAME_VARIABLES, &names);
	for (i = 0; i < n; i++) {
		const char *v = part_env(names[i]);

		if (*v != '\0') {
			p->name = v;
			break;
		}
	}
	part_message_id(p, part_env("MESSAGE_HEADERS"));
	if (p->input_file == NULL || *p->input_file == '\0') {
		*error_r = "INPUT_FILE is not set";
		return -1;
	}
	if (p->output_file == NULL || *p->output_file == '\0') {
		*error_r = "OUTPUT_FILE is not set";
		return -1;
	}
	return 0;
}
