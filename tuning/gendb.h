/*
 * gendb.h - a synthetic signature database with the weight of ClamAV's.
 */
#ifndef MX_GENDB_H
#define MX_GENDB_H

#include <stddef.h>
#include <stdint.h>

/*
 * gendb_write - DIR/synthetic.hdb (HASHES random MD5 signatures),
 * DIR/synthetic.ndb (BODIES random 16-byte body signatures) and
 * DIR/test.ndb + DIR/test.hdb (EICAR anywhere in a file, ClamAV's
 * clam.exe test file), from SEED.  0 or -1 with *error_r.
 */
int gendb_write(const char *dir, size_t hashes, size_t bodies, uint64_t seed,
		const char **error_r);

/* gendb_main - "mxscan-tune gendb". */
int gendb_main(int argc, char **argv);

#endif
