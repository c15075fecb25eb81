/*
 * mimewalk.c - the part-numbering walk over a GMime tree (see mimewalk.h).
 *
 * One path buffer serves the whole walk: a child's number is appended
 * before it is visited and cut off after, so a deep tree costs no more
 * stack than its recursion.
 */
#include "auto-config.h"

#include <string.h>

#include "common/mimescan.h"
#include "common/mimewalk.h"

struct mimewalk {
	mimewalk_visit_fn *visit;
	void *ctx;
	char path[MIMESCAN_PATH_MAX];
	int stopped;
};

/* mimewalk_kind - what OBJ is to the walk. */
static enum mimewalk_kind mimewalk_kind(GMimeObject *obj)
{
	if (GMIME_IS_MULTIPART(obj))
		return MIMEWALK_MULTIPART;
	if (GMIME_IS_MESSAGE_PART(obj))
		return MIMEWALK_MESSAGE;
	if (GMIME_IS_PART(obj))
		return MIMEWALK_LEAF;
	return MIMEWALK_OTHER;
}

/* mimewalk_object - visit OBJ, numbered by w->path, then its children. */
static void mimewalk_object(struct mimewalk *w, GMimeObject *obj, int depth,
			    GMimeMultipart *parent, int index, GMimeMessage *message)
{
	struct mimewalk_node node = {.object = obj, .depth = depth, .parent = parent,
				     .index = index, .message = message};
	size_t len = strlen(w->path);

	if (w->stopped || obj == NULL || depth > MIMEWALK_DEPTH_MAX)
		return;
	node.kind = mimewalk_kind(obj);
	/* At the top, everything but a multipart is part 1. */
	if (len == 0 && node.kind != MIMEWALK_MULTIPART)
		memcpy(w->path, "1", 2);
	node.path = w->path;
	if (w->visit(&node, w->ctx) == MIMEWALK_STOP) {
		w->stopped = 1;
	} else if (node.kind == MIMEWALK_MULTIPART) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int i, n = g_mime_multipart_get_count(mp);
		size_t at = strlen(w->path);

		for (i = 0; i < n && !w->stopped; i++) {
			if (mimescan_path_child(w->path, sizeof(w->path), i + 1) < 0)
				continue;
			mimewalk_object(w, g_mime_multipart_get_part(mp, i), depth + 1, mp, i, NULL);
			w->path[at] = '\0';
		}
	} else if (node.kind == MIMEWALK_MESSAGE) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner != NULL && mimescan_path_child(w->path, sizeof(w->path), 1) == 0)
			mimewalk_object(w, g_mime_message_get_mime_part(inner), depth + 1, NULL, 0,
					inner);
	}
	w->path[len] = '\0';
}

/* mimewalk_message - visit every object of MSG in part order. */
int mimewalk_message(GMimeMessage *msg, mimewalk_visit_fn *visit, void *ctx)
{
	struct mimewalk w = {.visit = visit, .ctx = ctx};

	if (msg != NULL)
		mimewalk_object(&w, g_mime_message_get_mime_part(msg), 1, NULL, 0, msg);
	return w.stopped;
}

struct mimewalk_target {
	const char *path;
	struct mimewalk_node *found;
	int hit;
};

/* mimewalk_match - stop at the leaf numbered t->path. */
static enum mimewalk_step mimewalk_match(const struct mimewalk_node *node, void *ctx)
{
	struct mimewalk_target *t = ctx;

	if (node->kind != MIMEWALK_LEAF || strcmp(node->path, t->path) != 0)
		return MIMEWALK_CONTINUE;
	*t->found = *node;
	t->found->path = NULL;
	t->hit = 1;
	return MIMEWALK_STOP;
}

/* mimewalk_find - the leaf numbered PATH. */
int mimewalk_find(GMimeMessage *msg, const char *path, struct mimewalk_node *found)
{
	struct mimewalk_target t = {.path = path, .found = found};

	mimewalk_message(msg, mimewalk_match, &t);
	return t.hit ? 0 : -1;
}
