/*
 * engine.c - libclamav wrapper (see engine.h).
 *
 * Scan options are fixed per engine_db at load time from the settings,
 * so every scan of one generation behaves the same.  The scan callbacks
 * are engine-wide in libclamav; per-scan behaviour comes through the
 * context pointer.
 */
#include "auto-config.h"

#include <clamav.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/xalloc.h"

/* The EICAR test string, stored scrambled so no scanner flags this
 * program; unscrambled into a caller's buffer only to self-test. */
static const unsigned char engine_eicar_x[68] = {
	0x02, 0x6f, 0x15, 0x7b, 0x0a, 0x7f, 0x1a, 0x1b, 0x0a, 0x01, 0x6e, 0x06, 0x0a, 0x00,
	0x02, 0x6f, 0x6e, 0x72, 0x0a, 0x04, 0x73, 0x6d, 0x19, 0x19, 0x73, 0x6d, 0x27, 0x7e,
	0x1f, 0x13, 0x19, 0x1b, 0x08, 0x77, 0x09, 0x0e, 0x1b, 0x14, 0x1e, 0x1b, 0x08, 0x1e,
	0x77, 0x1b, 0x14, 0x0e, 0x13, 0x0c, 0x13, 0x08, 0x0f, 0x09, 0x77, 0x0e, 0x1f, 0x09,
	0x0e, 0x77, 0x1c, 0x13, 0x16, 0x1f, 0x7b, 0x7e, 0x12, 0x71, 0x12, 0x70,
};

/* Per-engine scan options, kept beside the engine. */
struct engine_opts {
	struct cl_scan_options scan;
};

static __thread char engine_why[512];

void engine_eicar(char buf[68])
{
	int i;

	for (i = 0; i < 68; i++)
		buf[i] = (char)(engine_eicar_x[i] ^ 0x5a);
}

int engine_init(const char **error_r)
{
	cl_error_t r = cl_init(CL_INIT_DEFAULT);

	if (r != CL_SUCCESS) {
		snprintf(engine_why, sizeof(engine_why), "cl_init: %s", cl_strerror(r));
		*error_r = engine_why;
		return -1;
	}
	return 0;
}

const char *engine_version(void)
{
	return cl_retver();
}

/* engine_stop_now - whether the caller has given up (remembered in
 * ctx->stopped); a scan it gave up before is not even started. */
static int engine_stop_now(struct engine_scan_ctx *ctx)
{
	if (ctx != NULL && !ctx->stopped && ctx->stop != NULL && ctx->stop(ctx->arg))
		ctx->stopped = 1;
	return ctx != NULL && ctx->stopped;
}

/*
 * engine_cb_prescan - abort the scan when the caller says so.  The layer
 * is blocked (CL_VIRUS), not allowed: libclamav caches an allowed layer,
 * and every layer around it, as clean (see ENGINE_STOPPED).  Called for
 * every object libclamav reads, never for one its clean cache answers:
 * the object engine_cb_inspect reported last is being read.
 */
static cl_error_t engine_cb_prescan(int fd, const char *type, void *context)
{
	struct engine_scan_ctx *ctx = context;

	(void)fd;
	(void)type;
	if (ctx != NULL && !ctx->stopped && ctx->read != NULL)
		ctx->read(ctx->report_arg != NULL ? ctx->report_arg : ctx->arg);
	return engine_stop_now(context) ? CL_VIRUS : CL_CLEAN;
}

/* engine_cb_found - every match, for all-match scans; none once stopped
 * (the block of a stopped scan is not a detection). */
static void engine_cb_found(int fd, const char *virname, void *context)
{
	struct engine_scan_ctx *ctx = context;

	(void)fd;
	if (ctx != NULL && !ctx->stopped && ctx->found != NULL)
		ctx->found(ctx->report_arg != NULL ? ctx->report_arg : ctx->arg, virname);
}

/*
 * engine_cb_inspect - every object of an ENGINE_FACTS scan, before
 * libclamav's clean cache is asked (libclamav 1.x's file inspection
 * callback): its type as detected from the bytes, its name, its depth
 * and its bytes.
 */
static cl_error_t engine_cb_inspect(int fd, const char *type, const char **ancestors,
				    size_t parent_size, const char *name, size_t size,
				    const char *buf, uint32_t level, uint32_t attributes,
				    void *context)
{
	struct engine_scan_ctx *ctx = context;

	(void)fd;
	(void)ancestors;
	(void)parent_size;
	(void)attributes;
	if (ctx != NULL && !ctx->stopped && ctx->layer != NULL)
		ctx->layer(ctx->report_arg != NULL ? ctx->report_arg : ctx->arg, level,
			   type != NULL ? type : "CL_TYPE_ANY", name, buf, size);
	return CL_CLEAN;
}

static int engine_fail(const char **error_r, const char *what, cl_error_t r)
{
	snprintf(engine_why, sizeof(engine_why), "%s: %s", what, cl_strerror(r));
	*error_r = engine_why;
	return -1;
}

/* The limits of engine_settings.tuned_limits, in order, with their parameters. */
static const struct {
	enum cl_engine_field field;
	enum config_id id;
} engine_tuned[] = {
	{CL_ENGINE_BYTECODE_TIMEOUT, CONF_SCAND_BYTECODE_TIMEOUT},
	{CL_ENGINE_MAX_EMBEDDEDPE, CONF_SCAND_MAX_EMBEDDED_PE},
	{CL_ENGINE_MAX_HTMLNORMALIZE, CONF_SCAND_MAX_HTML_NORMALIZE},
	{CL_ENGINE_MAX_HTMLNOTAGS, CONF_SCAND_MAX_HTML_NOTAGS},
	{CL_ENGINE_MAX_SCRIPTNORMALIZE, CONF_SCAND_MAX_SCRIPT_NORMALIZE},
	{CL_ENGINE_MAX_ZIPTYPERCG, CONF_SCAND_MAX_ZIPTYPERCG},
	{CL_ENGINE_MAX_PARTITIONS, CONF_SCAND_MAX_PARTITIONS},
	{CL_ENGINE_MAX_ICONSPE, CONF_SCAND_MAX_ICONSPE},
	{CL_ENGINE_MAX_RECHWP3, CONF_SCAND_MAX_HWP_RECURSION},
	{CL_ENGINE_PCRE_MATCH_LIMIT, CONF_SCAND_PCRE_MATCH_LIMIT},
	{CL_ENGINE_PCRE_RECMATCH_LIMIT, CONF_SCAND_PCRE_RECMATCH_LIMIT},
	{CL_ENGINE_PCRE_MAX_FILESIZE, CONF_SCAND_PCRE_MAX_FILESIZE},
};
_Static_assert(sizeof(engine_tuned) / sizeof(engine_tuned[0]) ==
		       sizeof(((struct engine_settings *)0)->tuned_limits) / sizeof(long long),
	       "engine_tuned and engine_settings.tuned_limits differ");

/* The yes/no scan options of clamd.conf: the bit a "yes" sets. */
enum engine_bits { ENGINE_GENERAL, ENGINE_HEURISTIC, ENGINE_DB };
static const struct {
	enum config_id id;
	enum engine_bits where;
	unsigned bit;
} engine_flags[] = {
	{CONF_SCAND_HEURISTIC_PRECEDENCE, ENGINE_GENERAL, CL_SCAN_GENERAL_HEURISTIC_PRECEDENCE},
	{CONF_SCAND_ALERT_BROKEN_EXECUTABLES, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_BROKEN},
	{CONF_SCAND_ALERT_BROKEN_MEDIA, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_BROKEN_MEDIA},
	{CONF_SCAND_ALERT_ENCRYPTED_ARCHIVE, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE},
	{CONF_SCAND_ALERT_ENCRYPTED_DOC, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_ENCRYPTED_DOC},
	{CONF_SCAND_ALERT_MACROS, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_MACROS},
	{CONF_SCAND_ALERT_PHISHING_SSL, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_PHISHING_SSL_MISMATCH},
	{CONF_SCAND_ALERT_PHISHING_CLOAK, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_PHISHING_CLOAK},
	{CONF_SCAND_ALERT_PARTITION_INTERSECTION, ENGINE_HEURISTIC, CL_SCAN_HEURISTIC_PARTITION_INTXN},
	{CONF_SCAND_DETECT_PUA, ENGINE_DB, CL_DB_PUA},
	{CONF_SCAND_OFFICIAL_DB_ONLY, ENGINE_DB, CL_DB_OFFICIAL_ONLY},
};

/* engine_apply - limits and temp dir onto a fresh engine. */
static int engine_apply(struct cl_engine *cl, const struct engine_settings *s,
			const char **error_r)
{
	static const struct {
		enum cl_engine_field field;
		size_t off;
	} nums[] = {
		{CL_ENGINE_MAX_SCANSIZE, offsetof(struct engine_settings, max_scansize)},
		{CL_ENGINE_MAX_FILESIZE, offsetof(struct engine_settings, max_filesize)},
		{CL_ENGINE_MAX_RECURSION, offsetof(struct engine_settings, max_recursion)},
		{CL_ENGINE_MAX_FILES, offsetof(struct engine_settings, max_files)},
		{CL_ENGINE_MAX_SCANTIME, offsetof(struct engine_settings, max_scantime_ms)},
	};
	size_t i;
	cl_error_t r;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		long long v = *(const long long *)((const char *)s + nums[i].off);

		r = cl_engine_set_num(cl, nums[i].field, v);
		if (r != CL_SUCCESS)
			return engine_fail(error_r, "cl_engine_set_num", r);
	}
	for (i = 0; s->tuned && i < sizeof(engine_tuned) / sizeof(engine_tuned[0]); i++) {
		r = cl_engine_set_num(cl, engine_tuned[i].field, s->tuned_limits[i]);
		if (r != CL_SUCCESS)
			return engine_fail(error_r, "cl_engine_set_num", r);
	}
	r = cl_engine_set_num(cl, CL_ENGINE_DISABLE_CACHE, s->engine_cache ? 0 : 1);
	if (r != CL_SUCCESS)
		return engine_fail(error_r, "cl_engine_set_num(DISABLE_CACHE)", r);
	if (s->tmpdir != NULL && *s->tmpdir != '\0') {
		r = cl_engine_set_str(cl, CL_ENGINE_TMPDIR, s->tmpdir);
		if (r != CL_SUCCESS)
			return engine_fail(error_r, "cl_engine_set_str(TMPDIR)", r);
	}
	cl_engine_set_clcb_pre_scan(cl, engine_cb_prescan);
	cl_engine_set_clcb_virus_found(cl, engine_cb_found);
	cl_engine_set_clcb_file_inspection(cl, engine_cb_inspect);
	return 0;
}

void engine_settings_from_config(struct engine_settings *s, const char *tmpdir)
{
	*s = (struct engine_settings){
		.max_scansize = config_num(CONF_SCAND_MAX_SCANSIZE),
		.max_filesize = config_num(CONF_SCAND_MAX_FILESIZE),
		.max_recursion = config_num(CONF_SCAND_MAX_RECURSION),
		.max_files = config_num(CONF_SCAND_MAX_FILES),
		.max_scantime_ms = config_num(CONF_SCAND_MAX_SCANTIME),
		.engine_cache = (int)config_num(CONF_SCAND_ENGINE_CACHE),
		.bytecode = (int)config_num(CONF_SCAND_BYTECODE),
		.heuristic_alerts = (int)config_num(CONF_SCAND_HEURISTIC_ALERTS),
		.alert_exceeds_max = (int)config_num(CONF_SCAND_ALERT_EXCEEDS_MAX),
		.tmpdir = tmpdir,
		.tuned = 1,
	};
	size_t i;

	for (i = 0; i < sizeof(engine_tuned) / sizeof(engine_tuned[0]); i++)
		s->tuned_limits[i] = config_num(engine_tuned[i].id);
	for (i = 0; i < sizeof(engine_flags) / sizeof(engine_flags[0]); i++) {
		unsigned *to = engine_flags[i].where == ENGINE_GENERAL ? &s->general_extra
			       : engine_flags[i].where == ENGINE_HEURISTIC ? &s->heuristic_extra
			       : &s->db_extra;

		if (config_num(engine_flags[i].id))
			*to |= engine_flags[i].bit;
	}
	if (!config_num(CONF_SCAND_PHISHING_SIGNATURES))
		s->db_removed |= CL_DB_PHISHING;
	if (!config_num(CONF_SCAND_PHISHING_SCAN_URLS))
		s->db_removed |= CL_DB_PHISHING_URLS;
}

struct engine_db *engine_load(const char *dir, const struct engine_settings *s,
			      const char **error_r)
{
	struct engine_db *db;
	struct engine_opts *opts;
	unsigned dbopts = CL_DB_PHISHING | CL_DB_PHISHING_URLS;
	cl_error_t r;
	int err;

	db = xcalloc(1, sizeof(*db) + sizeof(struct engine_opts));
	opts = (struct engine_opts *)(db + 1);
	snprintf(db->path, sizeof(db->path), "%s", dir);
	db->cl = cl_engine_new();
	if (db->cl == NULL) {
		free(db);
		*error_r = "cl_engine_new failed";
		return NULL;
	}
	if (engine_apply(db->cl, s, error_r) < 0)
		goto fail;
	if (s->bytecode)
		dbopts |= CL_DB_BYTECODE;
	dbopts = (dbopts | s->db_extra) & ~s->db_removed;
	r = cl_load(dir, db->cl, &db->sigs, dbopts);
	if (r != CL_SUCCESS) {
		engine_fail(error_r, "loading the database", r);
		goto fail;
	}
	r = cl_engine_compile(db->cl);
	if (r != CL_SUCCESS) {
		engine_fail(error_r, "compiling the database", r);
		goto fail;
	}
	db->version = (unsigned)cl_engine_get_num(db->cl, CL_ENGINE_DB_VERSION, &err);
	db->time = (time_t)cl_engine_get_num(db->cl, CL_ENGINE_DB_TIME, &err);
	memset(&opts->scan, 0, sizeof(opts->scan));
	opts->scan.parse = ~0u;
	if (s->heuristic_alerts)
		opts->scan.general |= CL_SCAN_GENERAL_HEURISTICS;
	if (s->alert_exceeds_max)
		opts->scan.heuristic |= CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	opts->scan.general |= s->general_extra;
	opts->scan.heuristic |= s->heuristic_extra;
	return db;
fail:
	cl_engine_free(db->cl);
	free(db);
	return NULL;
}

void engine_free(struct engine_db *db)
{
	if (db == NULL)
		return;
	cl_engine_free(db->cl);
	free(db);
}

/* engine_options - this db's scan options, adjusted for one scan. */
static struct cl_scan_options engine_options(const struct engine_db *db, int flags)
{
	struct cl_scan_options o = ((const struct engine_opts *)(db + 1))->scan;

	if (flags & ENGINE_ALLMATCH)
		o.general |= CL_SCAN_GENERAL_ALLMATCHES;
	if (flags & ENGINE_FACTS)
		o.heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
	/*
	 * libclamav's clean cache keys on the bytes alone, not on the scan
	 * options: a flat scan's clean would answer a later full scan of the
	 * same bytes (any client's) without its mail parser.  Metadata
	 * collection is libclamav's one per-scan switch that keeps a scan,
	 * every layer of it, out of that cache (neither looked up nor added);
	 * it adds facts, never removes a detection.  ENGINE_NOCACHE asks for
	 * the same bypass for its own reason (every object read).
	 */
	if (flags & (ENGINE_FLAT | ENGINE_NOCACHE))
		o.general |= CL_SCAN_GENERAL_COLLECT_METADATA;
	if (flags & ENGINE_FLAT)
		o.parse &= ~(unsigned)CL_SCAN_PARSE_MAIL;
	return o;
}

/* engine_result_of - a stopped scan is ENGINE_STOPPED whatever libclamav said. */
static enum engine_result engine_result_of(cl_error_t r, const struct engine_scan_ctx *ctx,
					   const char **virname_r, const char **error_r)
{
	if (ctx != NULL && ctx->stopped) {
		*virname_r = NULL;
		*error_r = "the scan was stopped";
		return ENGINE_STOPPED;
	}
	if (r == CL_CLEAN)
		return ENGINE_CLEAN;
	if (r == CL_VIRUS)
		return ENGINE_VIRUS;
	*error_r = cl_strerror(r);
	return ENGINE_ERROR;
}

enum engine_result engine_scan_mem(const struct engine_db *db, const void *buf, size_t len,
				   int flags, struct engine_scan_ctx *ctx,
				   const char **virname_r, const char **error_r)
{
	struct cl_scan_options o = engine_options(db, flags);
	unsigned long scanned = 0;
	cl_fmap_t *map;
	cl_error_t r;

	*virname_r = NULL;
	if (engine_stop_now(ctx))
		return engine_result_of(CL_CLEAN, ctx, virname_r, error_r);
	map = cl_fmap_open_memory(buf, len);
	if (map == NULL) {
		*error_r = "Can't allocate memory";
		return ENGINE_ERROR;
	}
	r = cl_scanmap_callback(map, "stream", virname_r, &scanned, db->cl, &o, ctx);
	cl_fmap_close(map);
	return engine_result_of(r, ctx, virname_r, error_r);
}

enum engine_result engine_scan_fd(const struct engine_db *db, int fd, const char *name,
				  int flags, struct engine_scan_ctx *ctx,
				  const char **virname_r, const char **error_r)
{
	struct cl_scan_options o = engine_options(db, flags);
	unsigned long scanned = 0;
	cl_error_t r;

	*virname_r = NULL;
	if (engine_stop_now(ctx))
		return engine_result_of(CL_CLEAN, ctx, virname_r, error_r);
	r = cl_scandesc_callback(fd, name, virname_r, &scanned, db->cl, &o, ctx);
	return engine_result_of(r, ctx, virname_r, error_r);
}

int engine_selftest(const struct engine_db *db, const char **error_r)
{
	char eicar[68];
	const char *virname = NULL, *err = NULL;
	enum engine_result r;

	engine_eicar(eicar);
	r = engine_scan_mem(db, eicar, sizeof(eicar), 0, NULL, &virname, &err);
	memset(eicar, 0, sizeof(eicar));
	if (r == ENGINE_VIRUS)
		return 0;
	if (r == ENGINE_ERROR)
		snprintf(engine_why, sizeof(engine_why), "self-test scan failed: %s", err);
	else
		snprintf(engine_why, sizeof(engine_why),
			 "self-test failed: the database does not detect the EICAR test string");
	*error_r = engine_why;
	return -1;
}

int engine_hash_mem(const void *buf, size_t len, unsigned char out[32])
{
	unsigned int olen = 32;

	return cl_hash_data("sha256", buf, len, out, &olen) != NULL && olen == 32 ? 0 : -1;
}

int engine_hash_fd(int fd, size_t len, unsigned char out[32])
{
	void *ctx = cl_hash_init("sha256");
	char *buf = malloc(65536);
	size_t off = 0;
	int ret = -1;

	if (ctx == NULL || buf == NULL)
		goto out;
	while (off < len) {
		size_t want = len - off < 65536 ? len - off : 65536;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n <= 0)	/* an error, or shorter than it was */
			goto out;
		if (cl_update_hash(ctx, buf, (size_t)n) != 0)
			goto out;
		off += (size_t)n;
	}
	ret = cl_finish_hash(ctx, out) == 0 ? 0 : -1;
	ctx = NULL;	/* cl_finish_hash releases the context */
out:
	if (ctx != NULL)
		cl_hash_destroy(ctx);
	free(buf);
	return ret;
}

int engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32])
{
	void *ctx = cl_hash_init("sha256");

	if (ctx == NULL)
		return -1;
	if (cl_update_hash(ctx, tag, strlen(tag) + 1) != 0 ||
	    (len > 0 && cl_update_hash(ctx, buf, len) != 0)) {
		cl_hash_destroy(ctx);
		return -1;
	}
	return cl_finish_hash(ctx, out) == 0 ? 0 : -1;	/* releases ctx */
}
