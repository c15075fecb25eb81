/*
 * NAME
 *	tune - shared helpers of mxscan-tune
 * SUMMARY
 *	Option numbers and lists, a seeded xorshift64* generator, a monotonic
 *	clock, mkdir -p and whole-file writes, and the EICAR string.
 * DIAGNOSTICS
 *	Option errors and tune_fatal() print one line and exit 2.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/xalloc.h"
#include "tuning/tune.h"

/* tune_rng_init - seed RNG from SEED and STREAM (splitmix64 of both). */
void tune_rng_init(struct tune_rng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + stream * 0xbf58476d1ce4e5b9ULL + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	rng->s = z != 0 ? z : 0x2545f4914f6cdd1dULL;
}

/* tune_rng_next - xorshift64*. */
uint64_t tune_rng_next(struct tune_rng *rng)
{
	uint64_t x = rng->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* tune_rng_double - uniform in [0, 1) from the top 53 bits. */
double tune_rng_double(struct tune_rng *rng)
{
	return (double)(tune_rng_next(rng) >> 11) / 9007199254740992.0;
}

/* tune_rng_fill - LEN random bytes into BUF. */
void tune_rng_fill(struct tune_rng *rng, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len >= 8) {
		uint64_t v = tune_rng_next(rng);

		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t v = tune_rng_next(rng);

		memcpy(p, &v, len);
	}
}

/* tune_number - parse a number in [MIN, MAX] or exit 2. */
double tune_number(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		tune_fatal("%s: bad value \"%s\" (expected %g..%g)", opt, s, min, max);
	return v;
}

/* tune_int_list - "1,2,4" or "1-8" (or a mix: "1-4,8,16"). */
int *tune_int_list(const char *opt, const char *s, int max, size_t *n)
{
	int *v = NULL;
	size_t cnt = 0;
	const char *p = s;

	while (*p != '\0') {
		char *end;
		long a, b;

		errno = 0;
		a = strtol(p, &end, 10);
		b = a;
		if (end != p && *end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
		}
		if (errno != 0 || end == p || a < 1 || b < a || b > max || (*end != ',' && *end != '\0'))
			tune_fatal("%s: bad list \"%s\" (numbers 1..%d, e.g. 1,2,4 or 1-8)", opt, s, max);
		for (; a <= b; a++) {
			v = xrealloc(v, (cnt + 1) * sizeof(*v));
			v[cnt++] = (int)a;
		}
		p = *end == ',' ? end + 1 : end;
	}
	if (cnt == 0)
		tune_fatal("%s: empty list", opt);
	*n = cnt;
	return v;
}

/* tune_now - CLOCK_MONOTONIC in seconds. */
double tune_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* tune_write_file - whole-file write. */
int tune_write_file(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), saved;

	if (fd < 0)
		return -1;
	if (fd_write_all(fd, p, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* tune_mkdirs - mkdir -p. */
int tune_mkdirs(const char *path)
{
	char *copy = xstrdup(path), *p;
	int r = 0;

	for (p = copy + 1; r == 0; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(copy, 0755) < 0 && errno != EEXIST)
				r = -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(copy);
	return r;
}

/* tune_fatal - one message, exit 2. */
void tune_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("mxscan-tune: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* tune_eicar - assembled from two halves so no file holds it whole. */
const char *tune_eicar(void)
{
	static char buf[80];

	if (buf[0] == '\0') {
		strcpy(buf, "X5O!P%@AP[4\\PZX54(P^)7CC)7}$");
		strcat(buf, "EICAR-STANDARD-ANTIVIRUS-");
		strcat(buf, "TEST-FILE!$H+H*");
	}
	return buf;
}
