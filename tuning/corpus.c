/*
 * NAME
 *	corpus - mail-like parts and storm messages for load tests
 * SUMMARY
 *	Part INDEX of a corpus is drawn from a generator seeded by (seed,
 *	index): a type (text, HTML, office-style zip, JPEG-like image, zip
 *	archive), a log-normal size and unique content.  An infected part
 *	carries the EICAR string as a member "eicar.com" of a zip, or is the
 *	bare EICAR file; the string is assembled at run time.
 * DESCRIPTION
 *	Zips are written with the "stored" method (no compression library);
 *	the scanner still unpacks and scans every member.
 * DIAGNOSTICS
 *	corpus_write_dir() returns -1 with the failing path.
 */
#include "auto-config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tuning/corpus.h"
#include "tuning/tune.h"

static const char *const corpus_words[] = {
	"the", "report", "invoice", "meeting", "figures", "draft", "notes", "please", "attached",
	"quarter", "budget", "review", "schedule", "project", "customer", "order", "delivery",
	"thanks", "regards", "minutes", "agenda", "proposal", "contract", "update", "team",
	"office", "monday", "friday", "results", "analysis", "server", "account", "payment",
	"of", "and", "to", "in", "for", "with", "on", "is", "we", "you", "will", "this", "that",
};
#define CORPUS_NWORDS (sizeof(corpus_words) / sizeof(corpus_words[0]))

/* corpus_reserve - room for N more bytes. */
static unsigned char *corpus_reserve(struct corpus_part *part, size_t n)
{
	if (part->len + n > part->cap) {
		size_t cap = part->cap ? part->cap : 4096;

		while (cap < part->len + n)
			cap *= 2;
		part->data = xrealloc(part->data, cap);
		part->cap = cap;
	}
	return part->data + part->len;
}

/* corpus_put - append N bytes. */
static void corpus_put(struct corpus_part *part, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(corpus_reserve(part, n), p, n);
	part->len += n;
}

static void corpus_puts(struct corpus_part *part, const char *s)
{
	corpus_put(part, s, strlen(s));
}

/* corpus_words_until - append random words, lines of ~72 chars, until SIZE. */
static void corpus_words_until(struct corpus_part *part, struct tune_rng *rng, size_t size,
			       const char *eol)
{
	size_t col = 0;

	while (part->len < size) {
		uint64_t r = tune_rng_next(rng);
		const char *w = corpus_words[r % CORPUS_NWORDS];
		char num[24];

		/* One word in eight is a number, which keeps the text unique. */
		if ((r >> 32) % 8 == 0) {
			snprintf(num, sizeof(num), "%u", (unsigned)(r >> 40));
			w = num;
		}
		corpus_puts(part, w);
		col += strlen(w) + 1;
		if (col > 72) {
			corpus_puts(part, eol);
			col = 0;
		} else
			corpus_puts(part, " ");
	}
}

static uint32_t corpus_crc_table[256];
static pthread_once_t corpus_crc_once = PTHREAD_ONCE_INIT;

/* corpus_crc_init - the CRC-32 table, once for all threads. */
static void corpus_crc_init(void)
{
	uint32_t i;
	int k;

	for (i = 0; i < 256; i++) {
		uint32_t v = i;

		for (k = 0; k < 8; k++)
			v = v & 1 ? 0xedb88320U ^ (v >> 1) : v >> 1;
		corpus_crc_table[i] = v;
	}
}

/* corpus_crc32 - the zip CRC-32. */
static uint32_t corpus_crc32(const unsigned char *p, size_t n)
{
	const uint32_t *table = corpus_crc_table;
	uint32_t c = 0xffffffffU;
	size_t i;

	pthread_once(&corpus_crc_once, corpus_crc_init);
	for (i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffU;
}

/* One member of a zip being written. */
struct corpus_zip_member {
	char name[64];
	uint32_t crc, size, offset;
};

struct corpus_zip {
	struct corpus_part *part;
	size_t base;			/* offset of the zip in the part */
	struct corpus_zip_member m[16];
	int n;
};

static void corpus_le16(struct corpus_part *part, unsigned v)
{
	unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};

	corpus_put(part, b, 2);
}

static void corpus_le32(struct corpus_part *part, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};

	corpus_put(part, b, 4);
}

/* corpus_zip_add - a stored member NAME holding DATA[LEN]. */
static void corpus_zip_add(struct corpus_zip *z, const char *name, const void *data, size_t len)
{
	struct corpus_zip_member *m = &z->m[z->n++];
	size_t nlen = strlen(name);

	snprintf(m->name, sizeof(m->name), "%s", name);
	m->crc = corpus_crc32(data, len);
	m->size = (uint32_t)len;
	m->offset = (uint32_t)(z->part->len - z->base);
	corpus_le32(z->part, 0x04034b50);
	corpus_le16(z->part, 10);	/* version needed */
	corpus_le16(z->part, 0);	/* flags */
	corpus_le16(z->part, 0);	/* stored */
	corpus_le16(z->part, 0x6000);	/* 12:00 */
	corpus_le16(z->part, 0x5a21);	/* 2025-01-01 */
	corpus_le32(z->part, m->crc);
	corpus_le32(z->part, m->size);
	corpus_le32(z->part, m->size);
	corpus_le16(z->part, (unsigned)nlen);
	corpus_le16(z->part, 0);
	corpus_put(z->part, name, nlen);
	corpus_put(z->part, data, len);
}

/* corpus_zip_end - central directory and end record. */
static void corpus_zip_end(struct corpus_zip *z)
{
	uint32_t cd = (uint32_t)(z->part->len - z->base), cdlen;
	int i;

	for (i = 0; i < z->n; i++) {
		struct corpus_zip_member *m = &z->m[i];

		corpus_le32(z->part, 0x02014b50);
		corpus_le16(z->part, 20);
		corpus_le16(z->part, 10);
		corpus_le16(z->part, 0);
		corpus_le16(z->part, 0);
		corpus_le16(z->part, 0x6000);
		corpus_le16(z->part, 0x5a21);
		corpus_le32(z->part, m->crc);
		corpus_le32(z->part, m->size);
		corpus_le32(z->part, m->size);
		corpus_le16(z->part, (unsigned)strlen(m->name));
		corpus_le16(z->part, 0);
		corpus_le16(z->part, 0);
		corpus_le16(z->part, 0);
		corpus_le16(z->part, 0);
		corpus_le32(z->part, 0);
		corpus_le32(z->part, m->offset);
		corpus_puts(z->part, m->name);
	}
	cdlen = (uint32_t)(z->part->len - z->base) - cd;
	corpus_le32(z->part, 0x06054b50);
	corpus_le16(z->part, 0);
	corpus_le16(z->part, 0);
	corpus_le16(z->part, (unsigned)z->n);
	corpus_le16(z->part, (unsigned)z->n);
	corpus_le32(z->part, cdlen);
	corpus_le32(z->part, cd);
	corpus_le16(z->part, 0);
}

/* corpus_member_text - a scratch part of random words, SIZE bytes. */
static void corpus_member_text(struct corpus_part *tmp, struct tune_rng *rng, size_t size,
			       const char *head, const char *tail)
{
	tmp->len = 0;
	corpus_puts(tmp, head);
	corpus_words_until(tmp, rng, size > strlen(tail) ? size - strlen(tail) : 0, "\n");
	corpus_puts(tmp, tail);
}

/* corpus_zip_body - the members of an office-style or plain zip. */
static void corpus_zip_body(struct corpus_part *part, struct tune_rng *rng, size_t size,
			    int office, int infected, uint64_t index)
{
	struct corpus_zip z = {.part = part, .base = part->len};
	struct corpus_part tmp = {0};
	size_t text = size / 2, bin = size - text;
	char name[64];

	if (office) {
		corpus_member_text(&tmp, rng, 400,
				   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Types xmlns=\""
				   "http://schemas.openxmlformats.org/package/2006/content-types\">\n<!-- ",
				   " -->\n</Types>\n");
		corpus_zip_add(&z, "[Content_Types].xml", tmp.data, tmp.len);
		corpus_member_text(&tmp, rng, 300, "<?xml version=\"1.0\"?>\n<Relationships><!-- ",
				   " --></Relationships>\n");
		corpus_zip_add(&z, "_rels/.rels", tmp.data, tmp.len);
		corpus_member_text(&tmp, rng, text, "<?xml version=\"1.0\"?>\n<w:document><w:body><w:p>",
				   "</w:p></w:body></w:document>\n");
		corpus_zip_add(&z, "word/document.xml", tmp.data, tmp.len);
		tmp.len = 0;
		corpus_put(&tmp, "\x89PNG\r\n\x1a\n", 8);
		tune_rng_fill(rng, corpus_reserve(&tmp, bin), bin);
		tmp.len += bin;
		corpus_zip_add(&z, "word/media/image1.png", tmp.data, tmp.len);
	} else {
		int i, n = 2 + (int)(tune_rng_next(rng) % 4);

		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "doc%llu-%d.txt", (unsigned long long)index, i);
			corpus_member_text(&tmp, rng, size / (size_t)n, "", "\n");
			corpus_zip_add(&z, name, tmp.data, tmp.len);
		}
	}
	if (infected)
		corpus_zip_add(&z, "eicar.com", tune_eicar(), strlen(tune_eicar()));
	corpus_zip_end(&z);
	corpus_part_free(&tmp);
}

/* corpus_size - log-normal around the median (sigma 1.4), clamped. */
static size_t corpus_size(const struct corpus_params *p, struct tune_rng *rng)
{
	double u1 = tune_rng_double(rng), u2 = tune_rng_double(rng);
	double z = sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-12)) * cos(2 * M_PI * u2);
	double s = (double)p->median_size * exp(1.4 * z);

	if (s < (double)p->min_size)
		s = (double)p->min_size;
	if (s > (double)p->max_size)
		s = (double)p->max_size;
	return (size_t)s;
}

void corpus_params_default(struct corpus_params *p)
{
	p->seed = 1;
	p->infected_ratio = 0.5;
	p->median_size = 16384;
	p->min_size = 256;
	p->max_size = 2 * 1024 * 1024;
}

/* corpus_make - see corpus.h. */
void corpus_make(const struct corpus_params *p, uint64_t index, struct corpus_part *part)
{
	struct tune_rng rng;
	double pick;
	size_t size;
	char head[96];

	tune_rng_init(&rng, p->seed, index);
	part->len = 0;
	/* Infected parts are every part whose draw falls below the ratio. */
	part->infected = tune_rng_double(&rng) < p->infected_ratio;
	pick = tune_rng_double(&rng);
	size = corpus_size(p, &rng);
	if (part->infected)
		part->type = pick < 0.15 ? CORPUS_EICAR : pick < 0.55 ? CORPUS_OFFICE : CORPUS_ARCHIVE;
	else
		part->type = pick < 0.30 ? CORPUS_TEXT : pick < 0.50 ? CORPUS_HTML
			   : pick < 0.70 ? CORPUS_OFFICE : pick < 0.90 ? CORPUS_IMAGE : CORPUS_ARCHIVE;
	snprintf(head, sizeof(head), "part %llu of corpus %llu\n", (unsigned long long)index,
		 (unsigned long long)p->seed);
	switch (part->type) {
	case CORPUS_TEXT:
		corpus_puts(part, head);
		corpus_words_until(part, &rng, size, "\r\n");
		break;
	case CORPUS_HTML:
		corpus_puts(part, "<!DOCTYPE html>\n<html><head><title>");
		corpus_puts(part, head);
		corpus_puts(part, "</title></head>\n<body><p>\n");
		corpus_words_until(part, &rng, size > 40 ? size - 20 : 0, "\n");
		corpus_puts(part, "</p></body></html>\n");
		break;
	case CORPUS_IMAGE:
		corpus_put(part, "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20);
		corpus_put(part, "\xff\xfe\x00\x40", 4);	/* a comment segment with the head */
		snprintf((char *)corpus_reserve(part, 62), 62, "%-61s", head);
		part->len += 62;
		if (size > part->len + 2) {
			size_t n = size - part->len - 2;

			tune_rng_fill(&rng, corpus_reserve(part, n), n);
			part->len += n;
		}
		corpus_put(part, "\xff\xd9", 2);
		break;
	case CORPUS_OFFICE:
	case CORPUS_ARCHIVE:
		corpus_zip_body(part, &rng, size, part->type == CORPUS_OFFICE, part->infected, index);
		break;
	case CORPUS_EICAR:
	default:
		/*
		 * EICAR allows trailing white space only (128 bytes in all):
		 * index and seed are spelt in spaces and tabs, so even these parts are unique.
		 */
		corpus_puts(part, tune_eicar());
		for (int bit = 0; bit < 56; bit++)
			corpus_put(part, ((index + p->seed * 0x9e3779b97f4a7c15ULL) >> bit) & 1 ? "\t" : " ", 1);
		corpus_puts(part, "\r\n");
		break;
	}
}

/*
 * corpus_storm_attachment - the storm's attachment (a ~300 KB zip with
 * EICAR among random data), base64 in 76-column lines: built once per
 * seed and shared, so generating a storm message costs the client little
 * more than a copy (the benchmark measures the scanner, not the client).
 */
static const struct corpus_part *corpus_storm_attachment(uint64_t seed)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct corpus_part enc;
	static uint64_t enc_seed;
	static int ready;
	struct corpus_part att = {0};
	struct tune_rng rng;
	size_t i, col = 0;

	pthread_mutex_lock(&lock);
	if (ready && enc_seed == seed) {
		pthread_mutex_unlock(&lock);
		return &enc;
	}
	corpus_part_free(&enc);
	tune_rng_init(&rng, seed, UINT64_MAX);
	corpus_zip_body(&att, &rng, 300000, 0, 1, seed);
	for (i = 0; i < att.len; i += 3) {
		uint32_t v = (uint32_t)att.data[i] << 16;
		size_t n = att.len - i < 3 ? att.len - i : 3;
		char q[4];

		if (n > 1)
			v |= (uint32_t)att.data[i + 1] << 8;
		if (n > 2)
			v |= att.data[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = n > 1 ? b64[(v >> 6) & 63] : '=';
		q[3] = n > 2 ? b64[v & 63] : '=';
		corpus_put(&enc, q, 4);
		if ((col += 4) >= 76) {
			corpus_puts(&enc, "\r\n");
			col = 0;
		}
	}
	corpus_part_free(&att);
	enc_seed = seed;
	ready = 1;
	pthread_mutex_unlock(&lock);
	return &enc;
}

/* corpus_message - a storm message: unique envelope, same attachment. */
void corpus_message(uint64_t seed, uint64_t index, struct corpus_part *part)
{
	const struct corpus_part *att = corpus_storm_attachment(seed);
	struct tune_rng rng;
	char buf[512];

	tune_rng_init(&rng, seed, index);
	part->len = 0;
	part->type = CORPUS_ARCHIVE;
	part->infected = 1;
	snprintf(buf, sizeof(buf),
		 "From: sender%llu@example.net\r\nTo: user@example.org\r\n"
		 "Subject: Re: your document %llu\r\nMessage-ID: <%llu.%llx@example.net>\r\n"
		 "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b%llu\"\r\n\r\n"
		 "--b%llu\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
		 (unsigned long long)index, (unsigned long long)index, (unsigned long long)index,
		 (unsigned long long)tune_rng_next(&rng), (unsigned long long)index,
		 (unsigned long long)index);
	corpus_puts(part, buf);
	corpus_words_until(part, &rng, part->len + 400, "\r\n");
	snprintf(buf, sizeof(buf),
		 "\r\n--b%llu\r\nContent-Type: application/zip; name=\"document.zip\"\r\n"
		 "Content-Transfer-Encoding: base64\r\n"
		 "Content-Disposition: attachment; filename=\"document.zip\"\r\n\r\n",
		 (unsigned long long)index);
	corpus_puts(part, buf);
	corpus_put(part, att->data, att->len);
	snprintf(buf, sizeof(buf), "\r\n--b%llu--\r\n", (unsigned long long)index);
	corpus_puts(part, buf);
}

void corpus_part_free(struct corpus_part *part)
{
	free(part->data);
	part->data = NULL;
	part->len = part->cap = 0;
}

const char *corpus_type_name(enum corpus_type type)
{
	static const char *const names[] = {"text", "html", "office", "image", "archive", "eicar"};

	return type < CORPUS_NTYPES ? names[type] : "?";
}

const char *corpus_type_ext(enum corpus_type type)
{
	static const char *const ext[] = {"txt", "html", "docx", "jpg", "zip", "com"};

	return type < CORPUS_NTYPES ? ext[type] : "bin";
}

/* corpus_write_dir - see corpus.h. */
int corpus_write_dir(const char *dir, const struct corpus_params *p, size_t count,
		     unsigned repeat, const char **error_r)
{
	static char why[600];
	struct corpus_part part = {0};
	FILE *man;
	char path[4096];
	size_t i;

	if (tune_mkdirs(dir) < 0) {
		snprintf(why, sizeof(why), "%s: %s", dir, strerror(errno));
		*error_r = why;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/MANIFEST.csv", dir);
	if ((man = fopen(path, "w")) == NULL) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		*error_r = why;
		return -1;
	}
	fprintf(man, "name,type,bytes,infected\n");
	for (i = 0; i < count; i++) {
		char name[64];

		if (repeat <= 1 || i % repeat == 0)
			corpus_make(p, repeat <= 1 ? i : i / repeat, &part);
		snprintf(name, sizeof(name), "part-%06zu.%s", i, corpus_type_ext(part.type));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (tune_write_file(path, part.data, part.len) < 0) {
			snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
			*error_r = why;
			fclose(man);
			corpus_part_free(&part);
			return -1;
		}
		fprintf(man, "%s,%s,%zu,%d\n", name, corpus_type_name(part.type), part.len,
			part.infected);
	}
	corpus_part_free(&part);
	if (fclose(man) != 0) {
		snprintf(why, sizeof(why), "MANIFEST.csv: %s", strerror(errno));
		*error_r = why;
		return -1;
	}
	return 0;
}

static void corpus_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-tune corpus [options] DIR\n"
		"Write mail-like message parts (text, HTML, office-style zips, images, zip\n"
		"archives) with a log-normal size spread and unique content, plus\n"
		"DIR/MANIFEST.csv (name,type,bytes,infected).\n\n"
		"  -n, --count N            parts to write (default 200)\n"
		"      --infected-ratio R   share of parts carrying EICAR (default 0.5)\n"
		"      --median-size BYTES  median part size (default 16384)\n"
		"      --min-size BYTES     smallest part (default 256)\n"
		"      --max-size BYTES     largest part (default 2097152)\n"
		"      --repeat N           write each distinct part N times (default 1: all\n"
		"                           unique, so no scanner cache helps)\n"
		"      --seed N             generator seed (default 1)\n"
		"  -h, --help               this help\n");
}

/* corpus_main - "mxscan-tune corpus". */
int corpus_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"count", required_argument, NULL, 'n'},
		{"infected-ratio", required_argument, NULL, 'r'},
		{"median-size", required_argument, NULL, 'M'},
		{"min-size", required_argument, NULL, 'm'},
		{"max-size", required_argument, NULL, 'x'},
		{"repeat", required_argument, NULL, 'R'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct corpus_params p;
	size_t count = 200;
	unsigned repeat = 1;
	const char *why;
	int opt;

	corpus_params_default(&p);
	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': count = (size_t)tune_number("--count", optarg, 1, 1e8); break;
		case 'r': p.infected_ratio = tune_number("--infected-ratio", optarg, 0, 1); break;
		case 'M': p.median_size = (size_t)tune_number("--median-size", optarg, 1, 1e9); break;
		case 'm': p.min_size = (size_t)tune_number("--min-size", optarg, 1, 1e9); break;
		case 'x': p.max_size = (size_t)tune_number("--max-size", optarg, 1, 1e9); break;
		case 'R': repeat = (unsigned)tune_number("--repeat", optarg, 1, 1e6); break;
		case 's': p.seed = (uint64_t)tune_number("--seed", optarg, 0, 1e18); break;
		case 'h': corpus_usage(stdout); return 0;
		default: corpus_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		corpus_usage(stderr);
		return 2;
	}
	if (p.min_size > p.max_size)
		tune_fatal("--min-size is above --max-size");
	if (corpus_write_dir(argv[optind], &p, count, repeat, &why) < 0)
		tune_fatal("%s", why);
	printf("%zu parts written to %s (MANIFEST.csv lists them)\n", count, argv[optind]);
	return 0;
}
