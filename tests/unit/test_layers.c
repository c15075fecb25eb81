/*
 * test_layers.c - scanner/layers.c: the members of the objects of one
 * reading, kept by the key of each object's bytes and reported again
 * when libclamav's clean cache answers those bytes; an object libclamav
 * reads again as a layer of its own (the same memory, its container
 * still open) takes its container's key instead of being hashed twice.
 * engine_hash_tagged is wrapped (-Wl,--wrap) to count the hashes.
 */
#include "auto-config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/engine.h"
#include "scanner/cache.h"
#include "scanner/layers.h"

int __real_engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32]);
int __wrap_engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32]);

static int hashes;

/* __wrap_engine_hash_tagged - the real hash, counted. */
int __wrap_engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32])
{
	hashes++;
	return __real_engine_hash_tagged(tag, buf, len, out);
}

/* The lines a reading emitted, "level type name" each. */
static char seen[16][128];
static int nseen;

static void emit(void *arg, unsigned level, const char *type, const char *name)
{
	(void)arg;
	if (nseen < 16)
		snprintf(seen[nseen++], sizeof(seen[0]), "%u %s %s", level, type,
			 name != NULL ? name : "-");
}

/* One reading: a docx (level 0), its member document.xml (1) read, and
 * the same memory read again as a layer below it (2), read too. */
static void read_docx(const char *xml, size_t len, const char *again, size_t again_len)
{
	struct layers *l = layers_new(7, emit, NULL);
	static const char docx[] = "PK docx bytes";

	layers_object(l, 0, "CL_TYPE_OOXML_WORD", NULL, docx, sizeof(docx));
	layers_read(l);
	layers_object(l, 1, "CL_TYPE_TEXT_ASCII", "document.xml", xml, len);
	layers_read(l);
	layers_object(l, 2, "CL_TYPE_HTML", "document.xml", again, again_len);
	layers_read(l);
	assert_int_equal(layers_end(l), 0);
	layers_free(l);
}

/* test_same_memory - the object read again from its container's memory
 * is not hashed again, and its key is the container's: the members kept
 * for those bytes are reported when libclamav's cache answers them. */
static void test_same_memory(void **state)
{
	static const char xml[] = "<w:document>the same memory</w:document>";
	struct layers *l;

	(void)state;
	hashes = nseen = 0;
	read_docx(xml, sizeof(xml), xml, sizeof(xml));
	assert_int_equal(hashes, 1);	/* document.xml once, not twice */
	assert_int_equal(nseen, 3);
	/* The same bytes elsewhere (other memory), answered by libclamav's
	 * cache (never read): the member below them is reported from the
	 * kept entry, found under the key both layers share. */
	{
		char copy[sizeof(xml)];

		memcpy(copy, xml, sizeof(xml));
		nseen = 0;
		l = layers_new(7, emit, NULL);
		layers_object(l, 0, "CL_TYPE_ZIP", NULL, "PK zip", 6);
		layers_read(l);
		layers_object(l, 1, "CL_TYPE_TEXT_ASCII", "again.xml", copy, sizeof(copy));
		/* not read: libclamav's clean cache answered it */
		assert_int_equal(layers_end(l), 0);
		layers_free(l);
	}
	assert_int_equal(nseen, 3);
	assert_string_equal(seen[2], "2 CL_TYPE_HTML document.xml");
}

/* test_other_bytes - a layer at other memory, or the same memory with
 * another length, is hashed on its own. */
static void test_other_bytes(void **state)
{
	static const char xml[] = "<w:document>other bytes</w:document>";
	static const char other[] = "<w:document>other bytes</w:document>";

	(void)state;
	hashes = nseen = 0;
	read_docx(xml, sizeof(xml), other, sizeof(other));
	assert_int_equal(hashes, 2);
	hashes = 0;
	read_docx(xml, sizeof(xml), xml, sizeof(xml) - 1);
	assert_int_equal(hashes, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_memory),
		cmocka_unit_test(test_other_bytes),
	};
	const char *err = NULL;

	if (engine_init(&err) != 0) {
		fprintf(stderr, "engine_init: %s\n", err);
		return 1;
	}
	cache_init(1 << 20);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
