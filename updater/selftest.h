/*
 * selftest.h - prove a new database set in a child process: it loads and
 * compiles, detects EICAR, passes the clean controls and the ham gate
 * (ham.h), and has not lost too many signatures.  The child is killed when it takes too long, so a
 * database that hangs or crashes libclamav never touches the updater.
 */
#ifndef MX_UPDATE_SELFTEST_H
#define MX_UPDATE_SELFTEST_H

struct selftest_options {
	long long timeout_ms;
	unsigned long long current_sigs;	/* 0: unknown, no drop check */
	int drop_max_percent;
	int force;				/* skip the drop check */
	const char *ham_dir;			/* "" or NULL: no ham gate */
};

/*
 * selftest_run - test the set in DIR.  Returns 0 with *sigs_r set, or
 * -1 with *error_r (see reason.h).
 */
int selftest_run(const char *dir, const struct selftest_options *opts,
		 unsigned long long *sigs_r, const char **error_r);

/* selftest_ham_count - the number of ham messages the last successful
 * selftest_run() scanned (0 without a ham gate). */
long selftest_ham_count(void);

#endif
