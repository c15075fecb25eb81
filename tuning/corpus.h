/*
 * corpus.h - mail-like message parts and whole messages, generated from a
 * seed and an index so that every part is unique and reproducible.
 */
#ifndef MX_CORPUS_H
#define MX_CORPUS_H

#include <stddef.h>
#include <stdint.h>

enum corpus_type {
	CORPUS_TEXT,		/* text/plain body */
	CORPUS_HTML,		/* text/html body */
	CORPUS_OFFICE,		/* office-style zip (docx layout) */
	CORPUS_IMAGE,		/* JPEG header + data */
	CORPUS_ARCHIVE,		/* zip of several documents */
	CORPUS_EICAR,		/* the bare EICAR file (infected only) */
	CORPUS_NTYPES,
};

/* How parts are drawn: sizes are log-normal around MEDIAN, clamped. */
struct corpus_params {
	uint64_t seed;
	double infected_ratio;	/* 0..1 */
	size_t median_size, min_size, max_size;
};

/* One generated part; DATA is reused (grown) across corpus_make calls. */
struct corpus_part {
	enum corpus_type type;
	int infected;
	unsigned char *data;
	size_t len, cap;
};

/* corpus_params_default - seed 1, ratio 0.5, 16 KB median, 256 B..2 MB. */
void corpus_params_default(struct corpus_params *p);

/* corpus_make - part number INDEX of the corpus P into PART. */
void corpus_make(const struct corpus_params *p, uint64_t index, struct corpus_part *part);

/*
 * corpus_message - message number INDEX of a storm: a unique multipart
 * message (own headers and text) carrying the same infected zip
 * attachment as every other INDEX of the same SEED.
 */
void corpus_message(uint64_t seed, uint64_t index, struct corpus_part *part);

/* corpus_part_free - release PART's buffer. */
void corpus_part_free(struct corpus_part *part);

/* corpus_type_name - "text", "html", "office", "image", "archive", "eicar". */
const char *corpus_type_name(enum corpus_type type);

/* corpus_type_ext - the file name extension of TYPE. */
const char *corpus_type_ext(enum corpus_type type);

/*
 * corpus_write_dir - write COUNT parts to DIR plus MANIFEST.csv
 * (name,type,bytes,infected); with REPEAT > 1 every distinct part is
 * written REPEAT times (for measuring caches).  0 or -1 with *error_r.
 */
int corpus_write_dir(const char *dir, const struct corpus_params *p, size_t count,
		     unsigned repeat, const char **error_r);

/* corpus_main - "mxscan-tune corpus". */
int corpus_main(int argc, char **argv);

#endif
