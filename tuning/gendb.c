/*
 * NAME
 *	gendb - synthetic signature database
 * SUMMARY
 *	Millions of random MD5 hash signatures (.hdb: md5:size:name) and
 *	hundreds of thousands of random 16-byte body signatures (.ndb:
 *	name:0:*:hex) give libclamav a database with the weight of a real
 *	one while matching nothing real (3 M + 300 k: about 5 s and 410 MB
 *	in mxscand and clamd 1.4 on the development machine; the hashes are
 *	most of it, about 110 bytes each).  The EICAR body signature and the
 *	clam.exe hash make self-tests and infected corpora detectable.
 * DIAGNOSTICS
 *	gendb_write() returns -1 with the failing path.
 */
#include "auto-config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tuning/gendb.h"
#include "tuning/tune.h"

/* gendb_hex - 2*N lowercase hex digits of N random bytes into OUT. */
static void gendb_hex(struct tune_rng *rng, char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;
	uint64_t v = 0;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			v = tune_rng_next(rng);
		out[2 * i] = digits[(v >> 4) & 15];
		out[2 * i + 1] = digits[v & 15];
		v >>= 8;
	}
	out[2 * n] = '\0';
}

/* gendb_open - fopen for writing with a big buffer, or NULL with *why. */
static FILE *gendb_open(const char *dir, const char *name, char *why, size_t size)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		snprintf(why, size, "%s: %s", path, strerror(errno));
	else
		setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return fp;
}

/* gendb_close - fclose with an error check. */
static int gendb_close(FILE *fp, const char *name, char *why, size_t size)
{
	if (ferror(fp) | (fclose(fp) != 0)) {
		snprintf(why, size, "%s: write error: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

/* gendb_write - see gendb.h. */
int gendb_write(const char *dir, size_t hashes, size_t bodies, uint64_t seed,
		const char **error_r)
{
	static char why[600];
	const char *eicar = tune_eicar();
	struct tune_rng rng;
	char hex[64];
	size_t i;
	FILE *fp;

	if (tune_mkdirs(dir) < 0) {
		snprintf(why, sizeof(why), "%s: %s", dir, strerror(errno));
		*error_r = why;
		return -1;
	}
	*error_r = why;
	if ((fp = gendb_open(dir, "test.ndb", why, sizeof(why))) == NULL)
		return -1;
	fputs("Eicar-Test-Signature:0:*:", fp);
	for (i = 0; eicar[i] != '\0'; i++)
		fprintf(fp, "%02x", (unsigned char)eicar[i]);
	fputc('\n', fp);
	if (gendb_close(fp, "test.ndb", why, sizeof(why)) < 0)
		return -1;
	if ((fp = gendb_open(dir, "test.hdb", why, sizeof(why))) == NULL)
		return -1;
	fputs("aa15bcf478d165efd2065190eb473bcb:544:ClamAV-Test-File\n", fp);
	if (gendb_close(fp, "test.hdb", why, sizeof(why)) < 0)
		return -1;

	tune_rng_init(&rng, seed, 1);
	if ((fp = gendb_open(dir, "synthetic.hdb", why, sizeof(why))) == NULL)
		return -1;
	for (i = 0; i < hashes; i++) {
		gendb_hex(&rng, hex, 16);
		/* Sizes spread like mail attachments' (1 kB .. 1 MB). */
		fprintf(fp, "%s:%llu:Synthetic.Hash-%zu\n", hex,
			1024 + (unsigned long long)(tune_rng_next(&rng) % 1048576), i);
	}
	if (gendb_close(fp, "synthetic.hdb", why, sizeof(why)) < 0)
		return -1;
	tune_rng_init(&rng, seed, 2);
	if ((fp = gendb_open(dir, "synthetic.ndb", why, sizeof(why))) == NULL)
		return -1;
	for (i = 0; i < bodies; i++) {
		gendb_hex(&rng, hex, 16);
		fprintf(fp, "Synthetic.Body-%zu:0:*:%s\n", i, hex);
	}
	return gendb_close(fp, "synthetic.ndb", why, sizeof(why));
}

static void gendb_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-tune gendb [options] DIR\n"
		"Write a synthetic ClamAV database with the load time and memory of the\n"
		"real one: DIR/synthetic.hdb, DIR/synthetic.ndb, and DIR/test.ndb +\n"
		"DIR/test.hdb (EICAR, clam.exe) so self-tests and infected parts are found.\n\n"
		"      --hashes N   random MD5 hash signatures (default 3000000)\n"
		"      --bodies N   random 16-byte body signatures (default 300000)\n"
		"      --seed N     generator seed (default 1)\n"
		"  -h, --help       this help\n");
}

/* gendb_main - "mxscan-tune gendb". */
int gendb_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"hashes", required_argument, NULL, 'H'},
		{"bodies", required_argument, NULL, 'B'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	size_t hashes = 3000000, bodies = 300000;
	uint64_t seed = 1;
	const char *why;
	double t0 = tune_now();
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H': hashes = (size_t)tune_number("--hashes", optarg, 0, 1e9); break;
		case 'B': bodies = (size_t)tune_number("--bodies", optarg, 0, 1e8); break;
		case 's': seed = (uint64_t)tune_number("--seed", optarg, 0, 1e18); break;
		case 'h': gendb_usage(stdout); return 0;
		default: gendb_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		gendb_usage(stderr);
		return 2;
	}
	if (gendb_write(argv[optind], hashes, bodies, seed, &why) < 0)
		tune_fatal("%s", why);
	printf("%s: %zu hash + %zu body signatures + EICAR and clam.exe (%.1f s)\n",
	       argv[optind], hashes, bodies, tune_now() - t0);
	return 0;
}
