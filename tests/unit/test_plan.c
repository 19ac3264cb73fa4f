/*
 * test_plan.c: the serialization plan model (common/plan.c): memory
 * (new, dup, free), canonical order, the content hash (pinned against a
 * value computed from the algorithm in docs/serialization-file.md, blind
 * to generation and input order, sensitive to every field and to field
 * boundaries), and the JSON and table renderings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
#include "plan.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

#define DATA HVP_TEST_DATA "/dsgroups/"

static void
s_golden_hash(const char *path, char out[65])
{
	char *data = NULL, *err = NULL;
	size_t len = 0;

	if (platform_read_file(path, 4096, &data, &len, &err) == -1)
		fail_msg("%s: %s", path, err);
	assert_true(len >= 64);
	memcpy(out, data, 64);
	out[64] = '\0';
	free(data);
}

typedef struct gspec {
	const char *group;
	const char *csvs[3];
	const char *guests[5][3];	/* name, id, node */
} gspec;

static const gspec PLAN1[] = {
	{ "csv-Volume2+Volume3", { "Volume3", "Volume2" }, {
		{ "VM0001", "3c000000-0000-0000-0000-000000000003", "HV02" },
		{ "数据库-😀", "5e000000-0000-0000-0000-000000000005", "HV02" },
		{ "Prüf & <Test> \"q\"", "4d000000-0000-0000-0000-000000000004",
		  "HV01" },
		{ "VM\tTab", "6f000000-0000-0000-0000-000000000006", "HV01" },
	} },
	{ "csv-Volume1", { "Volume1" }, {
		{ "VM0002", "2b000000-0000-0000-0000-000000000002", "HV02" },
		{ "VM0001", "1a000000-0000-0000-0000-000000000001", "HV01" },
	} },
};

static const char *const UNPLANNED1[][4] = {
	{ "VM0099", "7a000000-0000-0000-0000-000000000007", "HV03",
	  "no CSV path" },
};

/* Builds a plan; reverse puts every list in the opposite order. */
static plan *
s_plan(const gspec *spec, size_t n, const char *const (*un)[4], size_t nun,
    bool reverse)
{
	plan *p = plan_new();

	p->groups = xcalloc(n ? n : 1, sizeof *p->groups);
	p->ngroups = n;
	for (size_t i = 0; i < n; i++) {
		const gspec *s = &spec[reverse ? n - 1 - i : i];
		plan_group *g = &p->groups[i];
		size_t nc = 0, ng = 0;

		while (nc < 3 && s->csvs[nc])
			nc++;
		while (ng < 5 && s->guests[ng][0])
			ng++;
		g->name = xstrdup(s->group);
		g->csvs = xcalloc(3, sizeof *g->csvs);
		g->guests = xcalloc(5, sizeof *g->guests);
		for (size_t k = 0; k < nc; k++)
			g->csvs[g->ncsvs++] = xstrdup(s->csvs[reverse ?
			    nc - 1 - k : k]);
		for (size_t k = 0; k < ng; k++) {
			const char *const *r = s->guests[reverse ?
			    ng - 1 - k : k];

			g->guests[g->nguests++] = (plan_guest){ xstrdup(r[0]),
			    xstrdup(r[1]), xstrdup(r[2]) };
		}
	}
	p->unplanned = xcalloc(nun ? nun : 1, sizeof *p->unplanned);
	p->nunplanned = nun;
	for (size_t i = 0; i < nun; i++) {
		const char *const *r = un[reverse ? nun - 1 - i : i];

		p->unplanned[i] = (plan_unplanned){ xstrdup(r[0]),
		    xstrdup(r[1]), xstrdup(r[2]), xstrdup(r[3]) };
	}
	return p;
}

static plan *
s_plan1(void)
{
	return s_plan(PLAN1, 2, UNPLANNED1, 1, false);
}

static char *
s_json(const plan *p)
{
	strbuf sb;
	jsonw j;

	strbuf_init(&sb);
	jsonw_init(&j, &sb, false);
	plan_render_json(p, &j);
	return strbuf_detach(&sb, NULL);
}

/* ---- memory ------------------------------------------------------- */

static void
test_new_and_free(void **state)
{
	plan *p = plan_new(), *none = NULL;
	char pinned[65];

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->ngroups, 0);
	assert_int_equal(p->nunplanned, 0);
	assert_int_equal(p->generation, 0);
	s_golden_hash(DATA "empty.plan-hash", pinned);
	assert_string_equal(p->hash, pinned);
	plan_free(&p);
	assert_null(p);
	plan_free(&none);
	plan_free(NULL);
	assert_null(plan_dup(NULL));
}

static void
test_dup_is_deep(void **state)
{
	plan *p = s_plan1(), *d;
	char *a, *b;

	(void)state;
	p->generation = 42;
	plan_compute_hash(p);
	d = plan_dup(p);
	a = s_json(p);
	b = s_json(d);
	assert_string_equal(a, b);
	assert_ptr_not_equal(d->groups, p->groups);
	assert_ptr_not_equal(d->groups[0].name, p->groups[0].name);
	assert_ptr_not_equal(d->groups[0].csvs[0], p->groups[0].csvs[0]);
	assert_ptr_not_equal(d->groups[1].guests[0].id,
	    p->groups[1].guests[0].id);
	assert_ptr_not_equal(d->unplanned[0].reason, p->unplanned[0].reason);
	/* Changing the original leaves the copy alone. */
	p->groups[0].name[0] = 'X';
	plan_free(&p);
	free(a);
	a = s_json(d);
	assert_string_equal(a, b);
	free(a);
	free(b);
	plan_free(&d);
}

/* ---- order and hash ----------------------------------------------- */

static void
test_sort_order(void **state)
{
	plan *p = s_plan1();
	const plan_group *g;

	(void)state;
	plan_sort(p);
	assert_string_equal(p->groups[0].name, "csv-Volume1");
	assert_string_equal(p->groups[1].name, "csv-Volume2+Volume3");
	g = &p->groups[1];
	assert_string_equal(g->csvs[0], "Volume2");
	assert_string_equal(g->csvs[1], "Volume3");
	assert_string_equal(g->guests[0].name, "Prüf & <Test> \"q\"");
	assert_string_equal(g->guests[1].name, "VM\tTab");
	assert_string_equal(g->guests[2].name, "VM0001");
	assert_string_equal(g->guests[3].name, "数据库-😀");
	assert_string_equal(p->groups[0].guests[0].name, "VM0001");
	assert_string_equal(p->groups[0].guests[1].name, "VM0002");
	plan_free(&p);
}

/* Same name: by id; same name and id: by node. Same group name: by
 * CSVs. */
static void
test_sort_ties(void **state)
{
	static const gspec spec[] = {
		{ "g", { "Volume2" }, {
			{ "vm", "b", "HV01" }, { "vm", "a", "HV02" },
			{ "vm", "a", "HV01" } } },
		{ "g", { "Volume1" }, { { "x", "c", "HV01" } } },
	};
	static const char *const un[][4] = {
		{ "u", "2", "HV01", "r" }, { "u", "1", "HV02", "r" },
		{ "u", "1", "HV01", "z" }, { "u", "1", "HV01", "a" },
	};
	plan *p = s_plan(spec, 2, un, 4, false);

	(void)state;
	plan_compute_hash(p);
	assert_string_equal(p->groups[0].csvs[0], "Volume1");
	assert_string_equal(p->groups[1].guests[0].id, "a");
	assert_string_equal(p->groups[1].guests[0].node, "HV01");
	assert_string_equal(p->groups[1].guests[1].node, "HV02");
	assert_string_equal(p->groups[1].guests[2].id, "b");
	assert_string_equal(p->unplanned[0].reason, "a");
	assert_string_equal(p->unplanned[1].reason, "z");
	assert_string_equal(p->unplanned[2].node, "HV02");
	assert_string_equal(p->unplanned[3].id, "2");
	plan_free(&p);
}

static void
test_hash_pinned_and_stable(void **state)
{
	plan *p = s_plan1(), *r = s_plan(PLAN1, 2, UNPLANNED1, 1, true);
	char pinned[65];

	(void)state;
	s_golden_hash(DATA "plan1.plan-hash", pinned);
	plan_compute_hash(p);
	assert_string_equal(p->hash, pinned);
	/* Built in the opposite order: same content, same hash. */
	plan_compute_hash(r);
	assert_string_equal(r->hash, pinned);
	/* Not the generation. */
	p->generation = 12345;
	plan_compute_hash(p);
	assert_string_equal(p->hash, pinned);
	assert_int_equal(strspn(p->hash, "0123456789abcdef"), PLAN_HASH_HEX);
	plan_free(&p);
	plan_free(&r);
}

/* Field i of a plan (NULL past the last). */
static char **
s_field(plan *p, int i)
{
	switch (i) {
	case 0: return &p->groups[0].name;
	case 1: return &p->groups[0].csvs[0];
	case 2: return &p->groups[1].csvs[1];
	case 3: return &p->groups[1].guests[2].name;
	case 4: return &p->groups[1].guests[2].id;
	case 5: return &p->groups[1].guests[2].node;
	case 6: return &p->unplanned[0].name;
	case 7: return &p->unplanned[0].id;
	case 8: return &p->unplanned[0].node;
	case 9: return &p->unplanned[0].reason;
	default: return NULL;
	}
}

/* Every field counts: change one, the hash changes. */
static void
test_hash_sensitive(void **state)
{
	plan *base = s_plan1();
	char **f;

	(void)state;
	plan_compute_hash(base);
	for (int i = 0; (f = s_field(base, i)) != NULL; i++) {
		plan *p = plan_dup(base);
		char **g = s_field(p, i);

		free(*g);
		*g = xasprintf("%s-changed", *f);
		plan_compute_hash(p);
		assert_string_not_equal(p->hash, base->hash);
		plan_free(&p);
	}
	plan_free(&base);
}

static void
s_hash_of(const gspec *spec, size_t n, const char *const (*un)[4],
    size_t nun, char out[65])
{
	plan *p = s_plan(spec, n, un, nun, false);

	plan_compute_hash(p);
	memcpy(out, p->hash, 65);
	plan_free(&p);
}

/* Field boundaries and structure cannot be confused. */
static void
test_hash_unambiguous(void **state)
{
	static const gspec a[] = { { "g", { "ab", "c" }, { { "v", "i", "n" } } } };
	static const gspec b[] = { { "g", { "a", "bc" }, { { "v", "i", "n" } } } };
	static const gspec c[] = { { "g", { "abc" }, { { "v", "i", "n" } } } };
	static const gspec d[] = { { "gv", { "abc" }, { { "", "i", "n" } } } };
	static const gspec e[] = { { "g", { "abc" }, { { "vi", "", "n" } } } };
	static const gspec two[] = {
		{ "g", { "abc" }, { { "v", "i", "n" }, { "w", "j", "n" } } },
	};
	static const gspec split[] = {
		{ "g", { "abc" }, { { "v", "i", "n" } } },
		{ "h", { "abc" }, { { "w", "j", "n" } } },
	};
	static const char *const u1[][4] = { { "a", "b", "c", "d" } };
	static const char *const u2[][4] = { { "a", "b", "cd", "" } };
	static const gspec *const all[] = { a, b, c, d, e };
	char h[7][65];

	(void)state;
	for (size_t i = 0; i < 5; i++)
		s_hash_of(all[i], 1, NULL, 0, h[i]);
	s_hash_of(two, 1, NULL, 0, h[5]);
	s_hash_of(split, 2, NULL, 0, h[6]);
	for (size_t i = 0; i < 7; i++)
		for (size_t k = i + 1; k < 7; k++)
			assert_string_not_equal(h[i], h[k]);
	s_hash_of(c, 1, u1, 1, h[0]);
	s_hash_of(c, 1, u2, 1, h[1]);
	assert_string_not_equal(h[0], h[1]);
	/* A guest planned is not the same as a guest unplanned. */
	s_hash_of(c, 1, NULL, 0, h[0]);
	s_hash_of(c, 1, u1, 1, h[1]);
	assert_string_not_equal(h[0], h[1]);
}

/* A missing string is not an empty one. */
static void
test_hash_null_is_not_empty(void **state)
{
	plan *p = s_plan1(), *q = s_plan1();

	(void)state;
	free(p->unplanned[0].reason);
	p->unplanned[0].reason = NULL;
	free(q->unplanned[0].reason);
	q->unplanned[0].reason = xstrdup("");
	plan_compute_hash(p);
	plan_compute_hash(q);
	assert_string_not_equal(p->hash, q->hash);
	plan_free(&p);
	plan_free(&q);
}

/* ---- renderings --------------------------------------------------- */

static void
test_render_json(void **state)
{
	static const gspec spec[] = {
		{ "g1", { "Volume2", "Volume1" }, {
			{ "vm \"a\"", "0a000000-0000-0000-0000-000000000001",
			  "HV01" } } },
		{ "g0", { "Volume3" }, { { 0 } } },
	};
	static const char *const un[][4] = {
		{ "vm-b", "0b000000-0000-0000-0000-000000000002", "HV02",
		  "no CSV path" },
	};
	plan *p = s_plan(spec, 2, un, 1, false), *empty = plan_new();
	char *got, *want;

	(void)state;
	p->generation = 3;
	plan_compute_hash(p);
	got = s_json(p);
	want = xasprintf("{\"generation\":3,\"hash\":\"%s\",\"groups\":["
	    "{\"name\":\"g0\",\"csvs\":[\"Volume3\"],\"guests\":[]},"
	    "{\"name\":\"g1\",\"csvs\":[\"Volume1\",\"Volume2\"],\"guests\":["
	    "{\"name\":\"vm \\\"a\\\"\",\"id\":"
	    "\"0a000000-0000-0000-0000-000000000001\",\"node\":\"HV01\"}]}],"
	    "\"unplanned\":[{\"name\":\"vm-b\",\"id\":"
	    "\"0b000000-0000-0000-0000-000000000002\",\"node\":\"HV02\","
	    "\"reason\":\"no CSV path\"}]}", p->hash);
	assert_string_equal(got, want);
	free(got);
	free(want);
	got = s_json(empty);
	want = xasprintf("{\"generation\":0,\"hash\":\"%s\",\"groups\":[],"
	    "\"unplanned\":[]}", empty->hash);
	assert_string_equal(got, want);
	free(got);
	free(want);
	plan_free(&p);
	plan_free(&empty);
}

static void
test_render_table(void **state)
{
	static const gspec spec[] = {
		{ "csv-Volume1", { "Volume1" }, {
			{ "VM0002", "2b", "HV02" }, { "VM0001", "1a", "HV01" } } },
		{ "csv-Volume2", { "Volume3", "Volume2" }, {
			{ "Prüf", "4d", "HV01" }, { "a\tb\nc", "5e", "HV02" } } },
		{ "csv-Volume4", { "Volume4" }, { { 0 } } },
	};
	static const char *const un[][4] = {
		{ "VM0099", "7a", "HV03", "no CSV path" },
	};
	plan *p = s_plan(spec, 3, un, 1, false);
	strbuf sb;
	char *want;

	(void)state;
	p->generation = 5;
	plan_compute_hash(p);
	strbuf_init(&sb);
	plan_render_table(p, &sb, 0);
	want = xasprintf(
	    "serialization plan: generation 5, hash %s\n"
	    "3 groups\n"
	    "\n"
	    "GROUP        CSVS             GUEST    NODE\n"
	    "csv-Volume1  Volume1          VM0001   HV01\n"
	    "                              VM0002   HV02\n"
	    "csv-Volume2  Volume2,Volume3  Prüf     HV01\n"
	    "                              a\\tb\\nc  HV02\n"
	    "csv-Volume4  Volume4          -\n"
	    "\n"
	    "1 unplanned guest\n"
	    "\n"
	    "GUEST   ID  NODE  REASON\n"
	    "VM0099  7a  HV03  no CSV path\n", p->hash);
	assert_string_equal(sb.data, want);
	free(want);
	strbuf_release(&sb);
	plan_free(&p);
}

static void
test_render_table_empty(void **state)
{
	plan *p = plan_new();
	strbuf sb;
	char *want;

	(void)state;
	strbuf_init(&sb);
	plan_render_table(p, &sb, 0);
	want = xasprintf("serialization plan: generation 0, hash %s\n"
	    "0 groups\n\n0 unplanned guests\n", p->hash);
	assert_string_equal(sb.data, want);
	free(want);
	strbuf_release(&sb);
	plan_free(&p);
}

/* ---- differences ---------------------------------------------- */

static const gspec PLAN2[] = {
	{ "csv-Volume1+Volume2", { "Volume1", "Volume2" }, {
		{ "VM0002", "2b000000-0000-0000-0000-000000000002", "HV02" },
		{ "VM0001", "1a000000-0000-0000-0000-000000000001", "HV01" },
		{ "VM0001", "3c000000-0000-0000-0000-000000000003", "HV02" },
		{ "VM0009", "9a000000-0000-0000-0000-000000000009", "HV02" },
	} },
};

static void
test_diff(void **state)
{
	plan *a = s_plan1(), *b = s_plan(PLAN2, 1, NULL, 0, false);
	strbuf out;

	(void)state;
	strbuf_init(&out);
	assert_int_equal(plan_diff(a, a, &out), 0);
	assert_int_equal(out.len, 0);
	/* Groups gone and new, guests moved, gone and new, by GUID. */
	assert_int_equal(plan_diff(a, b, &out), 10);
	assert_non_null(strstr(out.data, "  - group csv-Volume1\n"));
	assert_non_null(strstr(out.data, "  + group csv-Volume1+Volume2\n"));
	assert_non_null(strstr(out.data, "  ~ VM0001 (1a000000-0000-0000-0000-"
	    "000000000001) csv-Volume1 -> csv-Volume1+Volume2\n"));
	assert_non_null(strstr(out.data, "  - VM\tTab (6f000000-0000-0000-"
	    "0000-000000000006) from csv-Volume2+Volume3\n"));
	assert_non_null(strstr(out.data, "  + VM0009 (9a000000-0000-0000-0000-"
	    "000000000009) in csv-Volume1+Volume2\n"));
	strbuf_reset(&out);
	assert_int_equal(plan_diff(NULL, a, &out), 8);
	strbuf_release(&out);
	plan_free(&a);
	plan_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_free),
		cmocka_unit_test(test_dup_is_deep),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_sort_ties),
		cmocka_unit_test(test_hash_pinned_and_stable),
		cmocka_unit_test(test_hash_sensitive),
		cmocka_unit_test(test_hash_unambiguous),
		cmocka_unit_test(test_hash_null_is_not_empty),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_render_table),
		cmocka_unit_test(test_render_table_empty),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
