/*
 * test_dsmerge.c: merging plans into a shared DataSourceGroups.xml
 * (common/dsmerge.c): a DSConfig.ps1-style file with a standalone host's
 * and another team's entries, before and after (golden files written by
 * hand in tests/data/dsgroups/merge/); entries hvpolicy wrote for a guest
 * that has since gone; a fresh file; a file hvpolicy wrote itself (no
 * change); UTF-8 and LF files; an empty root; audit parts kept; two
 * clusters' qualified groups; and a file that cannot be parsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsgroups.h"
#include "dsmerge.h"
#include "plan.h"
#include "platform.h"
#include "slurp.h"
#include "xalloc.h"

#define DATA HVP_TEST_DATA "/dsgroups/merge/"
#define W "66841cd4-6ded-4f4b-8f17-fd23f8ddc3de"

/* A plan of groups "name:guest=id,guest=id;name:...", ids given by
 * their first eight digits (at most 8 groups of 16 guests). */
static plan *
s_plan(const char *spec)
{
	plan *p = plan_new();
	char *copy = xstrdup(spec), *save = NULL;

	p->groups = xcalloc(8, sizeof *p->groups);

	for (char *grp = strtok_r(copy, ";", &save); grp;
	    grp = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(grp, ':'), *gsave = NULL;
		plan_group *g;

		g = &p->groups[p->ngroups++];
		*colon = '\0';
		g->name = xstrdup(grp);
		g->guests = xcalloc(16, sizeof *g->guests);
		for (char *gu = strtok_r(colon + 1, ",", &gsave); gu;
		    gu = strtok_r(NULL, ",", &gsave)) {
			char *eq = strchr(gu, '=');

			*eq = '\0';
			g->guests[g->nguests].name = xstrdup(gu);
			/* "1a000000" gives 1a000000-...-000000000001 */
			g->guests[g->nguests].id = xasprintf("%s-0000-0000-0000-"
			    "00000000000%c", eq + 1, eq[1]);
			g->guests[g->nguests].node = xstrdup("HV01");
			g->nguests++;
		}
	}
	free(copy);
	p->generation = 1;
	plan_compute_hash(p);
	return p;
}

static int
s_apply(const dsmerge_spec *s, const char *in, size_t inlen, char **out,
    size_t *outlen, dsmerge_result *res)
{
	char *err = NULL;
	int rc = dsmerge_apply(s, in, inlen, out, outlen, res, &err);

	if (rc == -1)
		fail_msg("merge failed: %s", err);
	return rc;
}

static char *
s_utf16_to_utf8(const char *data, size_t len)
{
	dsgroups_doc d;
	char *err = NULL, *out;

	if (dsgroups_parse_doc(data, len, &d, &err) == -1)
		fail_msg("%s", err);
	out = xstrdup(d.text);
	dsgroups_doc_clear(&d);
	return out;
}

static void
s_assert_bytes(const char *got, size_t glen, const char *path)
{
	size_t wlen;
	char *want = slurp(path, &wlen);

	if (glen != wlen || memcmp(got, want, wlen) != 0) {
		char *g = s_utf16_to_utf8(got, glen);
		char *w = s_utf16_to_utf8(want, wlen);

		fail_msg("%s differs:\n--- got\n%s\n--- want\n%s", path, g, w);
	}
	free(want);
}

/* Merges the one-guest plan VM0001 (CSV-Volume1) into in and compares
 * with want; returns how many entries were kept. */
static size_t
s_merge_vm1(const char *in, size_t inlen, const char *want, size_t wlen)
{
	plan *p = s_plan("CSV-Volume1:VM0001=1a000000");
	dsmerge_part part = { NULL, p, false };
	dsmerge_spec spec = { &part, 1, NULL };
	dsmerge_result res;
	char *out = NULL;
	size_t olen, kept;

	s_apply(&spec, in, inlen, &out, &olen, &res);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, olen);
	kept = res.kept;
	dsmerge_result_clear(&res);
	free(out);
	plan_free(&p);
	return kept;
}

/* The golden pair: a DSConfig.ps1-style file with a standalone host's
 * guests, a comment, an entry for a guest nobody reports any more and
 * another team's group. The plan takes over its cluster's guests. */
static void
test_dsconfig_golden(void **state)
{
	plan *p1 = s_plan("CSV-Volume1:VM0001=1a000000,VM0002=2b000000;"
	    "CSV-Volume2:VM0003=3c000000");
	plan *p2 = s_plan("CSV-Volume1:VM0001=1a000000;"
	    "CSV-Volume2:VM0003=3c000000,VM0004=4d000000");
	dsmerge_part part = { NULL, p1, false };
	dsmerge_spec spec = { &part, 1, NULL };
	dsmerge_result res, res2;
	dsmerge_state st;
	size_t blen, olen, o2len;
	char *before = slurp(DATA "dsconfig-before.xml", &blen);
	char *out = NULL, *out2 = NULL, *err = NULL;
	char want[65];

	(void)state;
	/* Before: VM0001 and VM0003 are the cluster's; four entries are
	 * someone else's. */
	assert_int_equal(dsmerge_inspect(&spec, before, blen, &st, &err), 0);
	assert_int_equal(st.owned, 2);
	assert_int_equal(st.foreign, 4);
	assert_int_equal(st.stale, 0);
	assert_true(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);

	s_apply(&spec, before, blen, &out, &olen, &res);
	s_assert_bytes(out, olen, DATA "dsconfig-after1.xml");
	assert_int_equal(res.written, 3);
	assert_int_equal(res.removed, 2);
	assert_int_equal(res.kept, 4);
	assert_int_equal(res.record.n, 3);
	assert_string_equal(res.record.v[0].id,
	    "1a000000-0000-0000-0000-000000000001");
	assert_string_equal(res.record.v[0].cluster, "");

	/* After: the part holds its plan; nothing to do. */
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	dsmerge_part_hash(&part, want);
	assert_string_equal(st.held[0], want);
	assert_int_equal(st.foreign, 4);
	assert_false(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);

	/* VM0002 is deleted, VM0004 created: the entry hvpolicy wrote for
	 * VM0002 goes (the record says it wrote it), the others stay. */
	part.plan = p2;
	spec.written = &res.record;
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	assert_int_equal(st.owned, 3);	/* VM0002 counts as the part's */
	assert_true(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);
	s_apply(&spec, out, olen, &out2, &o2len, &res2);
	s_assert_bytes(out2, o2len, DATA "dsconfig-after2.xml");
	assert_int_equal(res2.removed, 3);
	assert_int_equal(res2.written, 3);
	assert_int_equal(res2.record.n, 3);

	/* Without the record the entry would be taken for someone else's. */
	spec.written = NULL;
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	assert_int_equal(st.foreign, 5);
	dsmerge_state_clear(&st);

	dsmerge_result_clear(&res);
	dsmerge_result_clear(&res2);
	free(before);
	free(out);
	free(out2);
	plan_free(&p1);
	plan_free(&p2);
}

/* No file, or one hvpolicy wrote: the same bytes as dsgroups_render. */
static void
test_fresh_and_own_file(void **state)
{
	plan *p = s_plan("CSV-Volume1:VM0001=1a000000,VM0002=2b000000");
	dsmerge_part part = { NULL, p, false };
	dsmerge_spec spec = { &part, 1, NULL };
	dsmerge_result res;
	char *want = NULL, *out = NULL, *again = NULL;
	size_t wlen, olen, alen;

	(void)state;
	assert_int_equal(dsgroups_render(p, &want, &wlen), 0);
	s_apply(&spec, NULL, 0, &out, &olen, &res);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, wlen);
	assert_int_equal(res.kept, 0);
	dsmerge_result_clear(&res);
	s_apply(&spec, out, olen, &again, &alen, &res);
	assert_int_equal(alen, wlen);
	assert_memory_equal(again, want, wlen);
	assert_int_equal(res.removed, 2);
	dsmerge_result_clear(&res);
	free(want);
	free(out);
	free(again);
	plan_free(&p);
}

/* A UTF-8 file with LF line ends and an empty root element keeps its
 * encoding and line ends; hvpolicy's entries go inside the root. */
static void
test_utf8_empty_root(void **state)
{
	static const char in[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<!-- kept -->\n"
	    "<DatasourceGroup xmlns=\"http://schemas.microsoft.com/2003/dls/"
	    "GroupDatasourceByDisk.xsd\" />\n";
	static const char want[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<!-- kept -->\n"
	    "<DatasourceGroup xmlns=\"http://schemas.microsoft.com/2003/dls/"
	    "GroupDatasourceByDisk.xsd\" >\n"
	    "  <Group GroupName=\"CSV-Volume1\" DataSourceName=\"VM0001\" "
	    "WriterId=\"" W "\" ComponentName=\""
	    "1A000000-0000-0000-0000-000000000001\" />\n"
	    "</DatasourceGroup>\n";

	(void)state;
	s_merge_vm1(in, sizeof in - 1, want, sizeof want - 1);
}

/* Entries on one line with others: taken out alone, the plan's put in
 * as elements; a UTF-8 file with a mark keeps it. */
static void
test_one_line(void **state)
{
	static const char in[] =
	    "\xEF\xBB\xBF<DatasourceGroup>"
	    "<Group GroupName='x' DataSourceName='A' WriterId='" W "' "
	    "ComponentName='aa000000-0000-0000-0000-0000000000aa'/>"
	    "<Group GroupName='old' DataSourceName='VM0001' WriterId='" W "' "
	    "ComponentName='1A000000-0000-0000-0000-000000000001'/>"
	    "</DatasourceGroup>";
	static const char want[] =
	    "\xEF\xBB\xBF<DatasourceGroup>"
	    "<Group GroupName='x' DataSourceName='A' WriterId='" W "' "
	    "ComponentName='aa000000-0000-0000-0000-0000000000aa'/>"
	    "<Group GroupName=\"CSV-Volume1\" DataSourceName=\"VM0001\" "
	    "WriterId=\"" W "\" ComponentName=\""
	    "1A000000-0000-0000-0000-000000000001\" />"
	    "</DatasourceGroup>";

	(void)state;
	assert_int_equal(s_merge_vm1(in, sizeof in - 1, want,
	    sizeof want - 1), 1);
}

/* Two clusters: qualified group names, each part hashed on its own,
 * an audit part's entries kept as found while the other is rewritten,
 * and a cluster no longer protected: its entries go. */
static void
test_two_clusters(void **state)
{
	plan *a = s_plan("CSV-Volume1:VM0001=1a000000");
	plan *b = s_plan("CSV-Volume1:VM0001=2b000000");
	plan *b2 = s_plan("CSV-Volume1:VM0001=2b000000,VM0002=3c000000");
	dsmerge_part parts[2] = { { "HV-A", a, false }, { "HV-B", b, false } };
	dsmerge_spec spec = { parts, 2, NULL };
	dsmerge_result res, res2;
	dsmerge_state st;
	dsgroups_entries e = { 0 };
	char *out = NULL, *out2 = NULL, *err = NULL;
	size_t olen, o2len;
	char ha[65], hb[65];

	(void)state;
	s_apply(&spec, NULL, 0, &out, &olen, &res);
	assert_int_equal(dsgroups_parse(out, olen, &e, &err), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0].group, "HV-A/CSV-Volume1");
	assert_string_equal(e.v[1].group, "HV-B/CSV-Volume1");
	dsgroups_entries_clear(&e);
	assert_int_equal(res.record.n, 2);
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	dsmerge_part_hash(&parts[0], ha);
	dsmerge_part_hash(&parts[1], hb);
	assert_string_equal(st.held[0], ha);
	assert_string_equal(st.held[1], hb);
	assert_false(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);

	/* HV-B in audit mode gets a new guest: not written, its part
	 * differs (status shows it), HV-A's stays. */
	parts[1].plan = b2;
	parts[1].keep = true;
	spec.written = &res.record;
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	dsmerge_part_hash(&parts[1], hb);
	assert_string_not_equal(st.held[1], hb);
	assert_false(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);

	/* HV-A is no longer protected here: what hvpolicy wrote for it is
	 * stale and goes; HV-B's (kept) entry stays with its record. */
	spec.parts = &parts[1];
	spec.nparts = 1;
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	assert_int_equal(st.stale, 1);
	assert_true(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);
	s_apply(&spec, out, olen, &out2, &o2len, &res2);
	assert_int_equal(dsgroups_parse(out2, o2len, &e, &err), 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].group, "HV-B/CSV-Volume1");
	dsgroups_entries_clear(&e);
	assert_int_equal(res2.record.n, 1);
	assert_string_equal(res2.record.v[0].cluster, "HV-B");

	dsmerge_result_clear(&res);
	dsmerge_result_clear(&res2);
	free(out);
	free(out2);
	plan_free(&a);
	plan_free(&b);
	plan_free(&b2);
}

/* A file that cannot be parsed is never written over. */
static void
test_malformed(void **state)
{
	static const char bad[] = "<DatasourceGroup><Group GroupName='x'/>";
	plan *p = s_plan("CSV-Volume1:VM0001=1a000000");
	dsmerge_part part = { NULL, p, false };
	dsmerge_spec spec = { &part, 1, NULL };
	dsmerge_result res;
	dsmerge_state st;
	char *out = NULL, *err = NULL;
	size_t olen = 7;

	(void)state;
	assert_int_equal(dsmerge_apply(&spec, bad, sizeof bad - 1, &out, &olen,
	    &res, &err), -1);
	assert_null(out);
	assert_int_equal(olen, 0);
	assert_non_null(strstr(err, "line 1, column 18"));
	free(err);
	err = NULL;
	assert_int_equal(dsmerge_inspect(&spec, bad, sizeof bad - 1, &st,
	    &err), -1);
	assert_non_null(err);
	free(err);
	plan_free(&p);
}

/* A part without a plan (none held yet) writes nothing and keeps what
 * it wrote before. */
static void
test_no_plan_keeps(void **state)
{
	plan *p = s_plan("CSV-Volume1:VM0001=1a000000");
	dsmerge_part part = { NULL, p, false };
	dsmerge_spec spec = { &part, 1, NULL };
	dsmerge_result res, res2;
	dsmerge_state st;
	char *out = NULL, *out2 = NULL, *err = NULL;
	size_t olen, o2len;

	(void)state;
	s_apply(&spec, NULL, 0, &out, &olen, &res);
	part.plan = NULL;
	spec.written = &res.record;
	assert_int_equal(dsmerge_inspect(&spec, out, olen, &st, &err), 0);
	assert_false(dsmerge_needed(&spec, &st));
	dsmerge_state_clear(&st);
	s_apply(&spec, out, olen, &out2, &o2len, &res2);
	assert_int_equal(o2len, olen);
	assert_memory_equal(out2, out, olen);
	assert_int_equal(res2.record.n, 1);
	dsmerge_result_clear(&res);
	dsmerge_result_clear(&res2);
	free(out);
	free(out2);
	plan_free(&p);
}

static void
test_record(void **state)
{
	dsmerge_record r = { 0 }, c = { 0 };

	(void)state;
	dsmerge_record_add(&r, "{2B000000-0000-0000-0000-000000000002}", "B");
	dsmerge_record_add(&r, "1a000000-0000-0000-0000-000000000001", "");
	dsmerge_record_add(&r, "2b000000-0000-0000-0000-000000000002", "B");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].id, "1a000000-0000-0000-0000-000000000001");
	assert_string_equal(r.v[1].id, "2b000000-0000-0000-0000-000000000002");
	dsmerge_record_copy(&c, &r);
	assert_true(dsmerge_record_equal(&c, &r));
	dsmerge_record_add(&c, "3c000000-0000-0000-0000-000000000003", "");
	assert_false(dsmerge_record_equal(&c, &r));
	dsmerge_record_clear(&r);
	dsmerge_record_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsconfig_golden),
		cmocka_unit_test(test_fresh_and_own_file),
		cmocka_unit_test(test_utf8_empty_root),
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_two_clusters),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_no_plan_keeps),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
