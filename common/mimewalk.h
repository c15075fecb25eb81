/*
 * mimewalk.h - MIMESCAN's part numbering: the walk over a GMime tree.
 *
 * mxscand names each part of a message by this walk (scanner/mime.c)
 * and mxscan-filter finds the part to strip by it (wrappers/filter/
 * strip.c), so the two cannot disagree.  The order is depth first, the
 * children of a multipart in order: the children of the top-level
 * multipart are 1, 2, ...; the children of a multipart at P are P.1,
 * P.2, ...; the body of an attached message (message/rfc822) at P is
 * P.1; a message whose body is one part, or an attached message, at the
 * top is part 1 (its body 1.1).  Paths are built with mimescan_path_child
 * (common/mimescan.h).
 *
 * This is the only common/ code that needs GMime, so it is a library of
 * its own (libmxmime.a), linked by mxscand, mxscan-filter and their tests
 * only: libmxcommon stays free of GMime for mxscan-conversion (and its
 * musl build).  The caller initialises GMime.
 */
#ifndef MX_MIMEWALK_H
#define MX_MIMEWALK_H

#include <gmime/gmime.h>

/* Objects deeper than this (the top-level object is depth 1) are not
 * visited: past every scand_mime_max_depth (at most 100), so mxscand
 * still sees the first object over its limit. */
#define MIMEWALK_DEPTH_MAX 101

enum mimewalk_kind {
	MIMEWALK_MULTIPART,
	MIMEWALK_MESSAGE,	/* an attached message (GMimeMessagePart) */
	MIMEWALK_LEAF,		/* a GMimePart: what MIMESCAN scans */
	MIMEWALK_OTHER,
};

/* One object of the tree, as the walk meets it. */
struct mimewalk_node {
	GMimeObject *object;
	enum mimewalk_kind kind;
	const char *path;	/* its number; "" for a multipart at the top,
				 * whose children are 1, 2, ... (valid during
				 * the visit only) */
	int depth;		/* 1 for the message's own body */
	GMimeMultipart *parent;	/* the multipart it is child INDEX of, or NULL */
	int index;
	GMimeMessage *message;	/* or the message it is the body of */
};

enum mimewalk_step {
	MIMEWALK_CONTINUE,	/* go on, into this object's children too */
	MIMEWALK_STOP,		/* end the walk here */
};

typedef enum mimewalk_step mimewalk_visit_fn(const struct mimewalk_node *node, void *ctx);

/*
 * mimewalk_message - call VISIT(node, CTX) for every object of MSG's
 * tree, parents before their children, in part order.  A NULL body or
 * child is skipped; objects below MIMEWALK_DEPTH_MAX, or whose path
 * would not fit MIMESCAN_PATH_MAX, are not visited.  Returns 1 when a
 * visit stopped the walk, 0 when it went through.
 */
int mimewalk_message(GMimeMessage *msg, mimewalk_visit_fn *visit, void *ctx);

/*
 * mimewalk_find - the leaf part numbered PATH (a part path, no reading
 * suffix) of MSG into *found (found->path is then NULL).  Returns 0, or
 * -1 when no leaf has that number.
 */
int mimewalk_find(GMimeMessage *msg, const char *path, struct mimewalk_node *found);

#endif
