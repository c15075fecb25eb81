/*
 * tune.h - small helpers every mxscan-tune subcommand shares: option
 * numbers, a seeded random generator, clocks and file writing.
 */
#ifndef MX_TUNE_H
#define MX_TUNE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* tune_rng - xorshift64* state; never zero. */
struct tune_rng {
	uint64_t s;
};

/* tune_rng_init - seed RNG from SEED and STREAM (any values). */
void tune_rng_init(struct tune_rng *rng, uint64_t seed, uint64_t stream);

/* tune_rng_next - the next 64 random bits. */
uint64_t tune_rng_next(struct tune_rng *rng);

/* tune_rng_double - uniform in [0, 1). */
double tune_rng_double(struct tune_rng *rng);

/* tune_rng_fill - LEN random bytes into BUF. */
void tune_rng_fill(struct tune_rng *rng, void *buf, size_t len);

/*
 * tune_number - parse S as a number in [MIN, MAX] for option OPT; on a
 * bad value print a message naming the option and exit 2.
 */
double tune_number(const char *opt, const char *s, double min, double max);

/*
 * tune_int_list - parse a list of integers ("1,2,4,8" or "1-16") in
 * [1, MAX] into a new array; *N gets the count.  Exits 2 when malformed.
 */
int *tune_int_list(const char *opt, const char *s, int max, size_t *n);

/* tune_now - CLOCK_MONOTONIC in seconds. */
double tune_now(void);

/* tune_write_file - write LEN bytes to PATH (mode 0644); 0 or -1 with errno. */
int tune_write_file(const char *path, const void *buf, size_t len);

/* tune_mkdirs - mkdir -p PATH; 0 or -1 with errno. */
int tune_mkdirs(const char *path);

/* tune_fatal - print "mxscan-tune: " + message and exit 2. */
void tune_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* tune_eicar - the EICAR test string, assembled at run time (68 bytes). */
const char *tune_eicar(void);

#endif
