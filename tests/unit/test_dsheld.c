/*
 * test_dsheld.c: the DPM server's file kept parsed between passes
 * (common/dsheld.c). The parse is used again only for the very bytes it
 * was made of: an edit of the same length, a file replaced by one that
 * does not parse, or a file gone are all seen. And under random
 * sequences of plan changes, writes, idle parses and other people's edits
 * (fixed seeds; HVP_DSHELD_SEED=N runs one), inspecting and merging
 * through the kept parse gives exactly what parsing the file afresh
 * gives (dsmerge_inspect, dsmerge_apply), while a pass over a file the
 * node wrote itself and parsed when idle parses nothing.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsgroups.h"
#include "dsheld.h"
#include "dsmerge.h"
#include "plan.h"
#include "strbuf.h"
#include "xalloc.h"

#define W "66841cd4-6ded-4f4b-8f17-fd23f8ddc3de"
#define FOREIGN \
	"  <Group GroupName=\"HV09\" DataSourceName=\"SQL01\" " \
	"WriterId=\"" W "\" " \
	"ComponentName=\"aa000000-0000-0000-0000-0000000000a1\" />\n"
#define OWNED \
	"  <Group GroupName=\"CSV-Volume1\" DataSourceName=\"VM01\" " \
	"WriterId=\"" W "\" " \
	"ComponentName=\"01000000-0000-0000-0000-000000000001\" />\n"
#define FILE_TEXT "<DatasourceGroup>\n" FOREIGN OWNED "</DatasourceGroup>\n"

#define POOL		8	/* guests a plan draws from */
#define STEPS		40
#define SEEDS		150

static char *
s_dup(const char *text)
{
	return xstrdup(text);
}

/* A copy of n bytes, as a read of the file gives them. */
static char *
s_bytes(const char *data, size_t n)
{
	return n ? xstrndup(data, n) : NULL;
}

static void
test_same_bytes_parsed_once(void **state)
{
	dsheld *h = dsheld_new();
	const dsgroups_doc *a, *b;
	char *err = NULL;

	(void)state;
	assert_int_equal(dsheld_doc(h, s_dup(FILE_TEXT), strlen(FILE_TEXT), &a,
	    &err), 0);
	assert_non_null(a);
	assert_int_equal(a->entries.n, 2);
	assert_int_equal(dsheld_parses(h), 1);
	/* Another read of the same file: another buffer, the same bytes. */
	assert_int_equal(dsheld_doc(h, s_dup(FILE_TEXT), strlen(FILE_TEXT), &b,
	    &err), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(dsheld_parses(h), 1);
	dsheld_free(h);
}

/* Someone edits the file without changing its size: seen. */
static void
test_same_length_edit_seen(void **state)
{
	dsheld *h = dsheld_new();
	const dsgroups_doc *d;
	char *edited = s_dup(FILE_TEXT), *at, *err = NULL;

	(void)state;
	assert_int_equal(dsheld_doc(h, s_dup(FILE_TEXT), strlen(FILE_TEXT), &d,
	    &err), 0);
	at = strstr(edited, "SQL01");
	at[4] = '7';
	assert_int_equal(dsheld_doc(h, edited, strlen(FILE_TEXT), &d, &err), 0);
	assert_int_equal(dsheld_parses(h), 2);
	assert_string_equal(d->entries.v[0].name, "SQL07");
	dsheld_free(h);
}

/* A file that does not parse: an error each time it is read, and
 * nothing of the earlier parse is used for it or kept. */
static void
test_invalid_and_absent(void **state)
{
	static const char bad[] = "<DatasourceGroup><Group GroupName='x'/>";
	dsheld *h = dsheld_new();
	const dsgroups_doc *d;
	char *err = NULL;

	(void)state;
	assert_int_equal(dsheld_doc(h, s_dup(FILE_TEXT), strlen(FILE_TEXT), &d,
	    &err), 0);
	assert_int_equal(dsheld_doc(h, s_dup(bad), sizeof bad - 1, &d, &err),
	    -1);
	assert_null(d);
	assert_non_null(strstr(err, "line 1"));
	free(err);
	err = NULL;
	assert_int_equal(dsheld_doc(h, s_dup(bad), sizeof bad - 1, &d, &err),
	    -1);
	free(err);
	err = NULL;
	assert_int_equal(dsheld_parses(h), 3);
	/* No file: no parse, nothing held. */
	assert_int_equal(dsheld_doc(h, NULL, 0, &d, &err), 0);
	assert_null(d);
	assert_int_equal(dsheld_doc(h, s_dup(FILE_TEXT), strlen(FILE_TEXT), &d,
	    &err), 0);
	assert_int_equal(dsheld_parses(h), 4);
	dsheld_free(h);
}

/* What was written is parsed when idle, once; reading it back then
 * parses nothing. Bytes written that someone replaced before the next
 * read are not taken for the file. */
static void
test_wrote_then_prepare(void **state)
{
	dsheld *h = dsheld_new();
	const dsgroups_doc *d;
	char *err = NULL;

	(void)state;
	dsheld_wrote(h, s_dup(FILE_TEXT), strlen(FILE_TEXT));
	assert_int_equal(dsheld_parses(h), 0);
	dsheld_prepare(h);
	dsheld_prepare(h);
	assert_int_equal(dsheld_parses(h), 1);
	assert_int_equal(dsheld_doc(h, s_dup(FILE_TEXT), strlen(FILE_TEXT), &d,
	    &err), 0);
	assert_int_equal(dsheld_parses(h), 1);
	assert_int_equal(d->entries.n, 2);

	dsheld_wrote(h, s_dup(FILE_TEXT), strlen(FILE_TEXT));
	assert_int_equal(dsheld_doc(h, s_dup("<DatasourceGroup />"), 19, &d,
	    &err), 0);
	assert_int_equal(d->entries.n, 0);
	dsheld_prepare(h);	/* nothing left to parse */
	assert_int_equal(dsheld_parses(h), 2);
	dsheld_prepare(NULL);
	dsheld_free(NULL);
	dsheld_free(h);
}

/* ---- random sequences ---------------------------------------------- */

static uint64_t
s_next(uint64_t *s)
{
	/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's
	 * xorshift generators, scrambled", 2016). */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static size_t
s_pick(uint64_t *s, size_t n)
{
	return (size_t)(s_next(s) % n);
}

/* A random plan over the pool: each guest in one of two groups or out
 * (the pool's first guest is the file's OWNED entry). */
static plan *
s_random_plan(uint64_t *s)
{
	plan *p = plan_new();

	p->ngroups = 2;
	p->groups = xcalloc(2, sizeof *p->groups);
	for (size_t g = 0; g < 2; g++) {
		p->groups[g].name = xasprintf("CSV-Volume%zu", g + 1);
		p->groups[g].guests = xcalloc(POOL, sizeof *p->groups[g].guests);
	}
	for (size_t i = 0; i < POOL; i++) {
		size_t g = s_pick(s, 3);
		plan_guest *pg;

		if (g == 2)
			continue;
		pg = &p->groups[g].guests[p->groups[g].nguests++];
		pg->name = xasprintf("VM%02zu", i + 1);
		pg->id = xasprintf("%02zx000000-0000-0000-0000-0000000000%02zx",
		    i + 1, i + 1);
		pg->node = xstrdup("HV01");
	}
	p->generation = 1;
	plan_compute_hash(p);
	return p;
}

/* The file's encoding as the merge keeps it: UTF-16 LE (2 bytes a
 * character here) or UTF-8 (1). */
static size_t
s_width(const strbuf *file)
{
	return file->len >= 2 && (unsigned char)file->data[0] == 0xFF &&
	    (unsigned char)file->data[1] == 0xFE ? 2 : 1;
}

/* The ASCII text in the file's encoding. */
static void
s_encode(strbuf *out, const char *ascii, size_t width)
{
	for (; *ascii; ascii++) {
		strbuf_addch(out, *ascii);
		if (width == 2)
			strbuf_addch(out, '\0');
	}
}

/* Where the ASCII text first is in the file (in its encoding), or
 * SIZE_MAX. */
static size_t
s_find(const strbuf *file, const char *ascii)
{
	strbuf pat;
	size_t at = SIZE_MAX;

	strbuf_init(&pat);
	s_encode(&pat, ascii, s_width(file));
	for (size_t i = 0; pat.len <= file->len && i <= file->len - pat.len;
	    i++)
		if (memcmp(file->data + i, pat.data, pat.len) == 0) {
			at = i;
			break;
		}
	strbuf_release(&pat);
	return at;
}

static void
s_set(strbuf *file, const char *text)
{
	strbuf_reset(file);
	strbuf_add(file, text, strlen(text));
}

/* Someone else's edit of the file's bytes, in its encoding: a character
 * changed in place (a foreign name's digit, an owned entry's group
 * moved by hand), an entry added, the file broken, restored from an old
 * copy, or removed. */
static void
s_edit(uint64_t *s, strbuf *file)
{
	size_t w = s_width(file), at;

	switch (s_pick(s, 7)) {
	case 0:
		if ((at = s_find(file, "SQL0")) != SIZE_MAX)
			file->data[at + 4 * w] = (char)('0' + s_pick(s, 10));
		break;
	case 1:
		if ((at = s_find(file, "CSV-Volume")) != SIZE_MAX)
			file->data[at + 10 * w] = (char)('1' + s_pick(s, 2));
		break;
	case 2:
	case 3:
		if ((at = s_find(file, "</DatasourceGroup>")) != SIZE_MAX) {
			strbuf tail;
			char *entry = xasprintf("  <Group GroupName=\"T%zu\" "
			    "DataSourceName=\"X\" WriterId=\"" W "\" "
			    "ComponentName=\"bb000000-0000-0000-0000-"
			    "0000000000b%zu\" />\n", s_pick(s, 9),
			    s_pick(s, 9));

			strbuf_init(&tail);
			strbuf_add(&tail, file->data + at, file->len - at);
			file->len = at;
			s_encode(file, entry, w);
			strbuf_add(file, tail.data, tail.len);
			strbuf_release(&tail);
			free(entry);
		}
		break;
	case 4:
		if (file->len > 10)
			file->len -= 10;	/* cut short: does not parse */
		break;
	case 5:
		s_set(file, FILE_TEXT);
		break;
	default:
		strbuf_reset(file);
		break;
	}
}

static void
s_assert_states_equal(const dsmerge_state *a, const dsmerge_state *b,
    uint64_t seed, int step)
{
	if (a->owned != b->owned || a->stale != b->stale ||
	    a->foreign != b->foreign || a->nparts != b->nparts ||
	    strcmp(a->held[0], b->held[0]) != 0)
		fail_msg("seed %llu step %d: inspect through the kept parse "
		    "differs from a fresh parse", (unsigned long long)seed,
		    step);
}

/* One pass of a DPM server over file, both ways; the file becomes what
 * the pass wrote. False when the file does not parse (both ways). */
static bool
s_pass(dsheld *h, const dsmerge_spec *spec, strbuf *file, uint64_t seed,
    int step, dsmerge_record *written)
{
	const dsgroups_doc *doc;
	dsmerge_state st, want_st;
	dsmerge_result res, want_res;
	char *out = NULL, *want = NULL, *err = NULL, *werr = NULL;
	size_t olen = 0, wlen = 0;
	int rc, wrc;

	rc = dsheld_doc(h, s_bytes(file->data, file->len), file->len, &doc,
	    &err);
	wrc = dsmerge_inspect(spec, file->data, file->len, &want_st, &werr);
	if (rc != wrc)
		fail_msg("seed %llu step %d: kept parse says %d, fresh parse "
		    "%d", (unsigned long long)seed, step, rc, wrc);
	free(err);
	free(werr);
	err = werr = NULL;
	if (rc == -1)
		return false;	/* never written over */
	dsmerge_inspect_doc(spec, doc, &st);
	s_assert_states_equal(&st, &want_st, seed, step);
	dsmerge_state_clear(&st);
	dsmerge_state_clear(&want_st);

	assert_int_equal(dsmerge_apply_doc(spec, doc, &out, &olen, &res, &err),
	    0);
	assert_int_equal(dsmerge_apply(spec, file->data, file->len, &want,
	    &wlen, &want_res, &werr), 0);
	if (olen != wlen || memcmp(out, want, olen) != 0)
		fail_msg("seed %llu step %d: merge through the kept parse "
		    "differs from a fresh parse", (unsigned long long)seed,
		    step);
	assert_true(dsmerge_record_equal(&res.record, &want_res.record));
	strbuf_reset(file);
	strbuf_add(file, out, olen);
	dsheld_wrote(h, out, olen);
	dsmerge_record_clear(written);
	*written = res.record;
	memset(&res.record, 0, sizeof res.record);
	dsmerge_result_clear(&res);
	dsmerge_result_clear(&want_res);
	free(want);
	return true;
}

static void
s_sequence(uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
	dsheld *h = dsheld_new();
	dsmerge_record written = { 0 };
	dsmerge_part part = { NULL, NULL, false };
	dsmerge_spec spec = { &part, 1, &written };
	strbuf file;
	plan *p = s_random_plan(&s);
	bool touched = true;	/* edited since the last pass wrote it */

	strbuf_init(&file);
	s_set(&file, FILE_TEXT);
	part.plan = p;
	for (int step = 0; step < STEPS; step++) {
		size_t before;

		switch (s_pick(&s, 4)) {
		case 0:
			plan_free(&p);
			p = s_random_plan(&s);
			part.plan = p;
			break;
		case 1:
			s_edit(&s, &file);
			touched = true;
			break;
		case 2:
			dsheld_prepare(h);
			before = dsheld_parses(h);
			if (!s_pass(h, &spec, &file, seed, step, &written))
				continue;
			/* Nobody touched the file since it was written
			 * and parsed when idle: not parsed again. */
			if (!touched && dsheld_parses(h) != before)
				fail_msg("seed %llu step %d: parsed a file it "
				    "had parsed", (unsigned long long)seed,
				    step);
			touched = false;
			continue;
		default:
			break;
		}
		if (s_pass(h, &spec, &file, seed, step, &written))
			touched = false;
	}
	plan_free(&p);
	dsmerge_record_clear(&written);
	strbuf_release(&file);
	dsheld_free(h);
}

static void
test_random_sequences(void **state)
{
	const char *one = getenv("HVP_DSHELD_SEED");

	(void)state;
	if (one != NULL) {
		print_message("HVP_DSHELD_SEED=%s\n", one);
		s_sequence(strtoull(one, NULL, 10));
		return;
	}
	for (uint64_t seed = 1; seed <= SEEDS; seed++)
		s_sequence(seed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes_parsed_once),
		cmocka_unit_test(test_same_length_edit_seen),
		cmocka_unit_test(test_invalid_and_absent),
		cmocka_unit_test(test_wrote_then_prepare),
		cmocka_unit_test(test_random_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
