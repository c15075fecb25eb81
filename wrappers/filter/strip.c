/*
 * strip.c - infected parts out, notices in (see strip.h).
 */
#include "auto-config.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/mimewalk.h"
#include "wrappers/filter/strip.h"

void strip_init(void)
{
	g_mime_init();
}

void strip_shutdown(void)
{
	g_mime_shutdown();
}


/* strip_notice - the text/plain part that takes an infected part's place. */
static GMimeObject *strip_notice(GMimePart *old, const char *sig, const char *hostname)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(old));
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	const char *name = g_mime_part_get_filename(old);
	char safe_name[200], *text;
	size_t i;

	snprintf(safe_name, sizeof(safe_name), "%s", name != NULL ? name : "");
	for (i = 0; safe_name[i] != '\0'; i++)
		if ((unsigned char)safe_name[i] < 0x20 || (unsigned char)safe_name[i] >= 0x7f)
			safe_name[i] = '?';
	text = g_strdup_printf("This part of the message (%s%s%s%s) was removed by the virus\n"
			       "scanner mxscan-filter on %s because it contained %s.\n",
			       type, *safe_name ? ", \"" : "", safe_name, *safe_name ? "\"" : "",
			       hostname, sig);
	g_mime_text_part_set_text(part, text);
	g_free(text);
	g_free(type);
	return GMIME_OBJECT(part);
}

/* strip_crlf - every bare LF of the rewritten message as CR LF (GMime
 * leaves the epilogue's as it found them). */
static void strip_crlf(GByteArray *bytes)
{
	guint i, bare = 0, o;

	for (i = 0; i < bytes->len; i++)
		if (bytes->data[i] == '\n' && (i == 0 || bytes->data[i - 1] != '\r'))
			bare++;
	if (bare == 0)
		return;
	o = bytes->len + bare;
	g_byte_array_set_size(bytes, o);
	for (i = bytes->len - bare; i-- > 0;) {
		bytes->data[--o] = bytes->data[i];
		if (bytes->data[i] == '\n' && (i == 0 || bytes->data[i - 1] != '\r'))
			bytes->data[--o] = '\r';
	}
}

int strip_part(struct body *b, const struct mimescan_part *p, const char *sig,
	       const char *hostname, const char **error_r)
{
	struct mimewalk_node place;
	GMimeStream *in, *out;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *notice, *old = NULL;
	GMimeFormatOptions *fmt;
	GByteArray *bytes;
	int fd, ret = -1;

	fd = dup(b->fd);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		if (fd >= 0)
			close(fd);
		*error_r = "cannot read the message";
		return -1;
	}
	in = g_mime_stream_fs_new(fd);
	parser = g_mime_parser_new_with_stream(in);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		*error_r = "the message cannot be parsed";
		goto out;
	}
	if (p->reading == MIMESCAN_READ_RAW || mimewalk_find(msg, p->part, &place) < 0) {
		*error_r = "the infected reading is not a part of its own";
		goto out;
	}
	notice = strip_notice(GMIME_PART(place.object), sig, hostname);
	if (place.parent != NULL) {
		old = g_mime_multipart_replace(place.parent, place.index, notice);
		if (old != NULL)
			g_object_unref(old);
	} else {
		g_mime_message_set_mime_part(place.message, notice);
	}
	g_object_unref(notice);
	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fmt, out);
	g_mime_format_options_free(fmt);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	strip_crlf(bytes);
	ret = body_set(b, bytes->data, bytes->len, error_r);
	g_object_unref(out);
out:
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(in);
	return ret;
}
