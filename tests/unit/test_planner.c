/*
 * test_planner.c: the serialization planner (common/planner.c):
 * grouping by CSV, spanning and chained guests, duplicates and conflicts,
 * unplanned guests, naming, stability and generations, and a property
 * test over thousands of random clusters (HVP_PLANNER_SEED and
 * HVP_PLANNER_CASES reproduce a failing case).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dsgroups.h"
#include "plan.h"
#include "planner.h"
#include "strbuf.h"
#include "xalloc.h"

#define NPATHS(...) (sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *))
#define G(n_, i_, o_, ...) \
	{ .name = (n_), .id = (i_), .node = (o_), \
	  .paths = (const char *const[]){ __VA_ARGS__ }, \
	  .npaths = NPATHS(__VA_ARGS__) }
#define G0(n_, i_, o_) { .name = (n_), .id = (i_), .node = (o_) }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ID_A "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11"
#define ID_B "7d2a1e6f-3a1c-4b64-8e1f-3cab1a4d9f22"
#define ID_C "8e3b2f70-4b2d-4c75-9f20-4dbc2b5ea033"
#define ID_D "9f4c3081-5c3e-4d86-a031-5ecd3c6fb144"
#define ID_E "a05d4192-6d4f-4e97-b142-6fde4d70c255"

#define V1 "C:\\ClusterStorage\\Volume1\\"
#define V2 "C:\\ClusterStorage\\Volume2\\"
#define V3 "C:\\ClusterStorage\\Volume3\\"
#define V4 "C:\\ClusterStorage\\Volume4\\"

/* Helpers. */

static planner_result
build(const planner_guest *g, size_t n, const plan *previous)
{
	planner_result r;

	assert_int_equal(planner_build(g, n, previous, &r), 0);
	assert_non_null(r.plan);
	return r;
}

static const plan_group *
group_named(const plan *p, const char *name)
{
	for (size_t i = 0; i < p->ngroups; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return &p->groups[i];
	return NULL;
}

static char *
render(const plan *p)
{
	strbuf sb;
	jsonw j;

	strbuf_init(&sb);
	jsonw_init(&j, &sb, false);
	plan_render_json(p, &j);
	return strbuf_detach(&sb, NULL);
}

static void
assert_guest(const plan_guest *g, const char *name, const char *id,
    const char *node)
{
	assert_string_equal(g->name, name);
	assert_string_equal(g->id, id);
	assert_string_equal(g->node, node);
}

/* Deterministic PRNG (splitmix64). */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
rnd_below(uint64_t *s, size_t n)
{
	return (size_t)(rnd(s) % n);
}

static void
shuffle(planner_guest *g, size_t n, uint64_t *s)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd_below(s, i);
		planner_guest t = g[i - 1];
		g[i - 1] = g[j];
		g[j] = t;
	}
}

/* Single CSV, several nodes: one group, sorted guests, lowercase ids. */
static void
test_single_csv(void **state)
{
	planner_guest in[] = {
		G("VM0003", ID_C, "HV02", V1 "VM0003\\VM0003.vmcx"),
		G("VM0001", "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11", "HV01",
		    V1 "VM0001\\VM0001.vmcx", V1 "VM0001\\disk.vhdx"),
		G("VM0002", "{" ID_B "}", "HV01", V1 "VM0002\\VM0002.vmcx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;

	assert_int_equal(p->ngroups, 1);
	assert_string_equal(p->groups[0].name, "CSV-Volume1");
	assert_int_equal(p->groups[0].ncsvs, 1);
	assert_string_equal(p->groups[0].csvs[0], "Volume1");
	assert_int_equal(p->groups[0].nguests, 3);
	assert_guest(&p->groups[0].guests[0], "VM0001", ID_A, "HV01");
	assert_guest(&p->groups[0].guests[1], "VM0002", ID_B, "HV01");
	assert_guest(&p->groups[0].guests[2], "VM0003", ID_C, "HV02");
	assert_int_equal(p->nunplanned, 0);
	assert_int_equal(r.nconflicts, 0);
	assert_int_equal(p->generation, 1);
	assert_int_equal(strlen(p->hash), PLAN_HASH_HEX);
	planner_result_clear(&r);
	assert_null(r.plan);
	planner_result_clear(&r);
	planner_result_clear(NULL);
}

/* Lasting reports: the plan points at their names and at their GUIDs
 * when spelt as the plan spells them (lowercase, no braces), and copies
 * everything else; the plan is the same either way. */
static void
test_lasting_shared(void **state)
{
	planner_guest in[] = {
		G("VM0003", ID_C, "HV02", V1 "VM0003\\VM0003.vmcx"),
		G("VM0001", "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11", "HV01",
		    V1 "VM0001\\VM0001.vmcx"),
		G("VM0002", "{" ID_B "}", "HV01", V1 "VM0002\\VM0002.vmcx"),
	};
	planner_result copied = build(in, NELEM(in), NULL), r;
	const plan_group *g;

	(void)state;
	for (size_t i = 0; i < NELEM(in); i++)
		in[i].lasting = true;
	r = build(in, NELEM(in), NULL);
	assert_string_equal(r.plan->hash, copied.plan->hash);
	g = &r.plan->groups[0];
	assert_ptr_equal(g->guests[0].name, in[1].name);
	assert_ptr_not_equal(g->guests[0].id, in[1].id);	/* uppercase */
	assert_ptr_equal(g->guests[1].name, in[2].name);
	assert_ptr_not_equal(g->guests[1].id, in[2].id);	/* braces */
	assert_ptr_equal(g->guests[2].name, in[0].name);
	assert_ptr_equal(g->guests[2].id, in[0].id);
	assert_ptr_not_equal(g->guests[2].node, in[0].node);	/* copied */
	/* Not lasting: nothing shared. */
	g = &copied.plan->groups[0];
	assert_ptr_not_equal(g->guests[2].name, in[0].name);
	assert_ptr_not_equal(g->guests[2].id, in[0].id);
	planner_result_clear(&r);
	planner_result_clear(&copied);
}

/* A guest reported without a name (the controller plans whatever nodes
 * send) cannot be written to DataSourceGroups.xml: it is unplanned with
 * the reason, the rest is planned, without undefined behaviour (the
 * fuzzer found the sort key's shift by 64 for ""). */
static void
test_empty_name(void **state)
{
	planner_guest in[] = {
		G("VM0001", ID_A, "HV01", V1 "VM0001\\VM0001.vmcx"),
		G("", ID_B, "HV01", V1 "x\\x.vmcx"),
	};
	planner_result r = build(in, NELEM(in), NULL);

	assert_int_equal(r.plan->ngroups, 1);
	assert_int_equal(r.plan->groups[0].nguests, 1);
	assert_guest(&r.plan->groups[0].guests[0], "VM0001", ID_A, "HV01");
	assert_int_equal(r.plan->nunplanned, 1);
	assert_string_equal(r.plan->unplanned[0].name, "");
	assert_string_equal(r.plan->unplanned[0].id, ID_B);
	assert_string_equal(r.plan->unplanned[0].reason, "name is empty");
	planner_result_clear(&r);
	(void)state;
}

/* Names, GUIDs and paths DataSourceGroups.xml cannot carry (names.h)
 * make that guest unplanned with the reason; the rest is planned and the
 * plan renders. The unplanned list shows the name escaped and cut. */
static void
test_unrepresentable(void **state)
{
	char *huge = xmalloc(4u * 1024 * 1024 + 1);
	planner_guest in[] = {
		G("VM0001", ID_A, "HV01", V1 "VM0001\\VM0001.vmcx"),
		G("bad\x1bname", ID_B, "HV01", V1 "b\\b.vmcx"),
		G("bad\xff", ID_C, "HV02", V1 "c\\c.vmcx"),
		G(huge, ID_D, "HV02", V1 "d\\d.vmcx"),
		G("VM0005", "not-a-guid\n", "HV02", V1 "e\\e.vmcx"),
		G("VM0006", ID_E, "HV02", V1 "f\\f\x07.vmcx"),
	};
	planner_result r;
	const plan *p;
	char *xml = NULL;
	size_t len = 0;

	memset(huge, 'A', 4u * 1024 * 1024);
	huge[4u * 1024 * 1024] = '\0';
	r = build(in, NELEM(in), NULL);
	p = r.plan;
	assert_int_equal(p->ngroups, 1);
	assert_int_equal(p->groups[0].nguests, 1);
	assert_guest(&p->groups[0].guests[0], "VM0001", ID_A, "HV01");
	assert_int_equal(p->nunplanned, 5);
	/* Sorted by shown name: "AAA...", "VM0005", "VM0006", "bad\\x1Bname",
	 * "bad\\xFF". */
	assert_true(strlen(p->unplanned[0].name) < 200);
	assert_non_null(strstr(p->unplanned[0].name, "(4194304 bytes)"));
	assert_string_equal(p->unplanned[0].reason,
	    "name is longer than 100 characters");
	assert_string_equal(p->unplanned[1].name, "VM0005");
	assert_string_equal(p->unplanned[1].id, "not-a-guid\\n");
	assert_string_equal(p->unplanned[2].reason,
	    "path 1 has control character U+0007 at character 30");
	assert_string_equal(p->unplanned[4].name, "bad\\xFF");
	assert_string_equal(p->unplanned[4].reason,
	    "name is not valid UTF-8 (byte 0xFF at byte 4)");
	assert_string_equal(p->unplanned[3].name, "bad\\x1Bname");
	assert_string_equal(p->unplanned[3].id, ID_B);
	assert_string_equal(p->unplanned[3].reason,
	    "name has control character U+001B at character 4");
	assert_int_equal(dsgroups_render(p, &xml, &len), 0);
	free(xml);
	planner_result_clear(&r);
	free(huge);
	(void)state;
}

/* A guest with disks on two CSVs joins them; a third CSV stays apart. */
static void
test_span_two(void **state)
{
	planner_guest in[] = {
		G("A", ID_A, "HV01", V1 "A\\A.vmcx"),
		G("B", ID_B, "HV02", V2 "B\\B.vmcx"),
		G("C", ID_C, "HV01", V1 "C\\C.vmcx", V2 "C\\data.vhdx"),
		G("D", ID_D, "HV02", V3 "D\\D.vmcx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;
	const plan_group *g;

	assert_int_equal(p->ngroups, 2);
	assert_string_equal(p->groups[0].name, "CSV-Volume1+Volume2");
	assert_string_equal(p->groups[1].name, "CSV-Volume3");
	g = &p->groups[0];
	assert_int_equal(g->ncsvs, 2);
	assert_string_equal(g->csvs[0], "Volume1");
	assert_string_equal(g->csvs[1], "Volume2");
	assert_int_equal(g->nguests, 3);
	assert_guest(&g->guests[0], "A", ID_A, "HV01");
	assert_guest(&g->guests[1], "B", ID_B, "HV02");
	assert_guest(&g->guests[2], "C", ID_C, "HV01");
	g = &p->groups[1];
	assert_int_equal(g->nguests, 1);
	assert_guest(&g->guests[0], "D", ID_D, "HV02");
	planner_result_clear(&r);
}

/* V1-V2 and V2-V3 links join all three, whatever order they come in. */
static void
test_chain_three(void **state)
{
	planner_guest in[] = {
		G("C", ID_C, "HV01", V3 "C\\C.vmcx"),
		G("A", ID_A, "HV01", V1 "A\\A.vmcx", V2 "A\\d.vhdx"),
		G("D", ID_D, "HV02", V4 "D\\D.vmcx"),
		G("B", ID_B, "HV02", V3 "B\\B.vmcx", V2 "B\\d.vhdx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;
	const plan_group *g;

	assert_int_equal(p->ngroups, 2);
	g = group_named(p, "CSV-Volume1+Volume2+Volume3");
	assert_non_null(g);
	assert_int_equal(g->ncsvs, 3);
	assert_int_equal(g->nguests, 3);
	assert_string_equal(g->guests[0].name, "A");
	assert_string_equal(g->guests[1].name, "B");
	assert_string_equal(g->guests[2].name, "C");
	g = group_named(p, "CSV-Volume4");
	assert_non_null(g);
	assert_int_equal(g->nguests, 1);
	assert_string_equal(p->groups[0].name, "CSV-Volume1+Volume2+Volume3");
	planner_result_clear(&r);
}

static void
test_empty(void **state)
{
	planner_result r = build(NULL, 0, NULL);
	planner_result r2;

	assert_int_equal(r.plan->ngroups, 0);
	assert_int_equal(r.plan->nunplanned, 0);
	assert_int_equal(r.nconflicts, 0);
	assert_int_equal(r.plan->generation, 1);
	assert_int_equal(strlen(r.plan->hash), PLAN_HASH_HEX);
	r2 = build(NULL, 0, r.plan);
	assert_int_equal(r2.plan->generation, 1);
	assert_string_equal(r2.plan->hash, r.plan->hash);
	planner_result_clear(&r);
	planner_result_clear(&r2);
}

static void
test_bad_arguments(void **state)
{
	planner_guest in[] = { G("A", ID_A, "HV01", V1 "A\\A.vmcx") };
	planner_result r;

	assert_int_equal(planner_build(in, 1, NULL, NULL), -1);
	assert_int_equal(planner_build(NULL, 1, NULL, &r), -1);
}

/*
 * HV02 went offline: the controller hands the planner its last inventory.
 * Its guest still links Volume1 and Volume2, and the plan (and its
 * generation) is the one made while HV02 was online.
 */
static void
test_offline_node_kept(void **state)
{
	planner_guest online[] = {
		G("A", ID_A, "HV01", V1 "A\\A.vmcx"),
		G("B", ID_B, "HV02", V1 "B\\B.vmcx", V2 "B\\d.vhdx"),
		G("C", ID_C, "HV01", V2 "C\\C.vmcx"),
	};
	/* HV01 reports again (new order); HV02's entry is its last one. */
	planner_guest offline[] = {
		online[2], online[0], online[1],
	};
	planner_result r1 = build(online, NELEM(online), NULL);
	planner_result r2 = build(offline, NELEM(offline), r1.plan);
	const plan_group *g;

	assert_int_equal(r2.plan->ngroups, 1);
	g = &r2.plan->groups[0];
	assert_string_equal(g->name, "CSV-Volume1+Volume2");
	assert_int_equal(g->nguests, 3);
	assert_guest(&g->guests[1], "B", ID_B, "HV02");
	assert_int_equal(r2.plan->generation, r1.plan->generation);
	assert_string_equal(r2.plan->hash, r1.plan->hash);
	planner_result_clear(&r1);
	planner_result_clear(&r2);
}

/*
 * One GUID from two nodes (a live migration in flight, here with the two
 * reports disagreeing on its disks): planned once, in the group of the
 * union of its CSVs, under the first node in byte order when no rank
 * says otherwise; and returned as a conflict naming both nodes.
 */
static void
test_conflict_across_nodes(void **state)
{
	planner_guest in[] = {
		G("X", "{9F4C3081-5C3E-4D86-A031-5ECD3C6FB144}", "HV02",
		    V1 "X\\X.vmcx", V2 "X\\d.vhdx"),
		G("A", ID_A, "HV01", V1 "A\\A.vmcx"),
		G("X-copy", ID_D, "HV01", V1 "X\\X.vmcx"),
		G("B", ID_B, "HV03", V2 "B\\B.vmcx"),
		G("X", ID_D, "HV01", V1 "X\\X.vmcx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;
	const plan_group *g;
	size_t found = 0;

	(void)state;
	assert_int_equal(r.nconflicts, 1);
	assert_string_equal(r.conflicts[0].id, ID_D);
	assert_string_equal(r.conflicts[0].name, "X");
	assert_int_equal(r.conflicts[0].nnodes, 2);
	assert_string_equal(r.conflicts[0].nodes[0], "HV01");
	assert_string_equal(r.conflicts[0].nodes[1], "HV02");
	assert_false(r.conflicts[0].same_csvs);

	assert_int_equal(p->nunplanned, 0);
	assert_int_equal(p->ngroups, 1);
	g = group_named(p, "CSV-Volume1+Volume2");
	assert_non_null(g);
	for (size_t k = 0; k < g->nguests; k++)
		if (strcmp(g->guests[k].id, ID_D) == 0) {
			found++;
			assert_string_equal(g->guests[k].node, "HV01");
		}
	assert_int_equal(found, 1);
	planner_result_clear(&r);
}

/* The node of the highest rank (the newest report) owns a guest that two
 * nodes report with the same disks; the group does not change with it. */
static void
test_conflict_owner_by_rank(void **state)
{
	planner_guest in[] = {
		G("X", ID_D, "HV01", V1 "X\\X.vmcx"),
		G("X", ID_D, "HV02", V1 "X\\X.vmcx"),
		G("A", ID_A, "HV01", V1 "A\\A.vmcx"),
	};
	planner_result r;
	const plan_group *g;

	(void)state;
	in[1].rank = 7;
	r = build(in, NELEM(in), NULL);
	assert_int_equal(r.nconflicts, 1);
	assert_true(r.conflicts[0].same_csvs);
	g = group_named(r.plan, "CSV-Volume1");
	assert_non_null(g);
	assert_int_equal(g->nguests, 2);
	assert_string_equal(g->guests[1].id, ID_D);
	assert_string_equal(g->guests[1].node, "HV02");
	planner_result_clear(&r);
}

/* The same GUID twice from one node is one guest, its paths merged. */
static void
test_duplicate_same_node(void **state)
{
	planner_guest in[] = {
		G("A", ID_A, "HV01", V1 "A\\A.vmcx"),
		G("B", ID_B, "HV01", V3 "B\\B.vmcx"),
		G("A", "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11", "HV01",
		    V2 "A\\d.vhdx"),
		G("B", ID_B, "HV01", V3 "B\\B.vmcx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;
	const plan_group *g;

	assert_int_equal(r.nconflicts, 0);
	assert_int_equal(p->nunplanned, 0);
	assert_int_equal(p->ngroups, 2);
	g = group_named(p, "CSV-Volume1+Volume2");
	assert_non_null(g);
	assert_int_equal(g->nguests, 1);
	assert_guest(&g->guests[0], "A", ID_A, "HV01");
	g = group_named(p, "CSV-Volume3");
	assert_non_null(g);
	assert_int_equal(g->nguests, 1);
	assert_guest(&g->guests[0], "B", ID_B, "HV01");
	planner_result_clear(&r);
}

/* Local storage, no paths, the bare mount root, no GUID: unplanned. */
static void
test_unplanned(void **state)
{
	planner_guest in[] = {
		G("Local", ID_B, "HV01", "D:\\VMs\\Local\\Local.vmcx"),
		G0("Pathless", ID_C, "HV02"),
		G("Root", ID_D, "HV01", "C:\\ClusterStorage\\Volume1"),
		G("Anon", NULL, "HV02", V1 "Anon\\Anon.vmcx"),
		G("Mixed", ID_A, "HV01", "D:\\VMs\\Mixed.vmcx",
		    V2 "Mixed\\d.vhdx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;

	assert_int_equal(p->ngroups, 1);
	assert_string_equal(p->groups[0].name, "CSV-Volume2");
	assert_int_equal(p->groups[0].nguests, 1);
	assert_string_equal(p->groups[0].guests[0].name, "Mixed");

	assert_int_equal(p->nunplanned, 4);
	assert_string_equal(p->unplanned[0].name, "Anon");
	assert_string_equal(p->unplanned[0].node, "HV02");
	assert_string_equal(p->unplanned[0].reason, PLANNER_REASON_NO_ID);
	assert_string_equal(p->unplanned[1].name, "Local");
	assert_string_equal(p->unplanned[1].id, ID_B);
	assert_string_equal(p->unplanned[1].node, "HV01");
	assert_string_equal(p->unplanned[1].reason, PLANNER_REASON_NO_CSV);
	assert_string_equal(p->unplanned[2].name, "Pathless");
	assert_string_equal(p->unplanned[2].reason, PLANNER_REASON_NO_CSV);
	assert_string_equal(p->unplanned[3].name, "Root");
	assert_string_equal(p->unplanned[3].reason, PLANNER_REASON_NO_CSV);
	assert_string_equal(PLANNER_REASON_NO_CSV,
	    "no path on a Cluster Shared Volume");
	planner_result_clear(&r);
}

/* Volume names compare case-insensitively; the canonical spelling is the
 * smallest one, whatever order the reports come in. */
static void
test_case_insensitive(void **state)
{
	planner_guest in[] = {
		G("A", ID_A, "HV01", "c:\\clusterstorage\\volume1\\A\\A.vmcx"),
		G("B", ID_B, "HV02", "C:\\ClusterStorage\\Volume1\\B\\B.vmcx"),
		G("C", ID_C, "HV01", "C:\\CLUSTERSTORAGE\\VOLUME1\\C\\C.vmcx",
		    "C:/ClusterStorage/volume2/C/d.vhdx"),
		G("D", ID_D, "HV02", "C:\\ClusterStorage\\Volume2\\D.vmcx"),
	};
	planner_result r1 = build(in, NELEM(in), NULL);
	planner_guest rev[] = { in[3], in[2], in[1], in[0] };
	planner_result r2 = build(rev, NELEM(rev), NULL);
	const plan *p = r1.plan;

	assert_int_equal(p->ngroups, 1);
	assert_int_equal(p->groups[0].ncsvs, 2);
	assert_string_equal(p->groups[0].csvs[0], "VOLUME1");
	assert_string_equal(p->groups[0].csvs[1], "Volume2");
	assert_string_equal(p->groups[0].name, "CSV-VOLUME1+Volume2");
	assert_int_equal(p->groups[0].nguests, 4);
	assert_string_equal(r2.plan->hash, p->hash);
	planner_result_clear(&r1);
	planner_result_clear(&r2);
}

/* CSVs and groups in the plan's byte order, names made from it. */
static void
test_byte_order(void **state)
{
	planner_guest in[] = {
		G("A", ID_A, "HV01", "C:\\ClusterStorage\\Volume2\\A.vmcx",
		    "C:\\ClusterStorage\\Volume10\\A.vhdx"),
		G("B", ID_B, "HV01", "C:\\ClusterStorage\\Volume9\\B.vmcx"),
		G("C", ID_C, "HV01", "C:\\ClusterStorage\\Volume11\\C.vmcx"),
	};
	planner_result r = build(in, NELEM(in), NULL);
	const plan *p = r.plan;

	assert_int_equal(p->ngroups, 3);
	assert_string_equal(p->groups[0].name, "CSV-Volume10+Volume2");
	assert_string_equal(p->groups[0].csvs[0], "Volume10");
	assert_string_equal(p->groups[0].csvs[1], "Volume2");
	assert_string_equal(p->groups[1].name, "CSV-Volume11");
	assert_string_equal(p->groups[2].name, "CSV-Volume9");
	planner_result_clear(&r);
}

/* A guest on 40 CSVs: the name is cut, says how many were left out. */
static void
test_long_group_name(void **state)
{
	enum { NV = 40 };
	char *paths[NV];
	planner_guest in[1];
	planner_result r;
	const plan_group *g;
	size_t kept, more, len;
	const char *dash;
	strbuf want;

	for (size_t i = 0; i < NV; i++)
		paths[i] = xasprintf("C:\\ClusterStorage\\Volume%02zu\\G\\"
		    "d%zu.vhdx", NV - i, i);
	in[0] = (planner_guest){ .name = "G", .id = ID_A, .node = "HV01",
	    .paths = (const char *const *)paths, .npaths = NV };
	r = build(in, 1, NULL);
	assert_int_equal(r.plan->ngroups, 1);
	g = &r.plan->groups[0];
	assert_int_equal(g->ncsvs, NV);
	len = strlen(g->name);
	assert_true(len <= PLANNER_GROUP_NAME_MAX);
	assert_true(len > PLANNER_GROUP_NAME_MAX - 12);
	/* Kept names are the leading CSVs, then "+N-more". */
	kept = 0;
	for (const char *s = g->name; *s; s++)
		if (*s == '+')
			kept++;
	dash = strrchr(g->name, '+');
	assert_non_null(dash);
	assert_int_equal(sscanf(dash, "+%zu-more", &more), 1);
	assert_int_equal(kept + more, NV);
	strbuf_init(&want);
	strbuf_addstr(&want, "CSV-");
	for (size_t i = 0; i < kept; i++)
		strbuf_addf(&want, "%s%s", i ? "+" : "", g->csvs[i]);
	strbuf_addf(&want, "+%zu-more", more);
	assert_string_equal(g->name, want.data);
	assert_memory_equal(g->name, "CSV-Volume01+Volume02+Volume03+", 31);
	strbuf_release(&want);
	planner_result_clear(&r);
	for (size_t i = 0; i < NV; i++)
		free(paths[i]);
}

/* Random clusters: a generator with its own model of the truth. */

#define MAXV 4

typedef struct gguest {
	char name[24];
	char id[48];
	int vols[MAXV];		/* volume numbers, distinct */
	int nvols;
	int node;
	int other_node;		/* -1 unless also reported by another node */
} gguest;

typedef struct gcluster {
	gguest *guests;
	size_t nguests;
	int nvols;
	planner_guest *recs;
	size_t nrecs;
	char **strs;		/* every string recs point to */
	size_t nstrs, strs_cap;
	const char ***pathv;
	size_t npathv, pathv_cap;
} gcluster;

static const char *const NODES[] = { "HV01", "HV02", "HV03", "HV04",
    "HV05" };

static char *
keep(gcluster *c, char *s)
{
	xgrow(&c->strs, &c->strs_cap, c->nstrs + 1, sizeof *c->strs);
	c->strs[c->nstrs++] = s;
	return s;
}

static const char *
vol_spelling(uint64_t *s, int v)
{
	static char buf[32];

	switch (rnd_below(s, 4)) {
	case 0:
		snprintf(buf, sizeof buf, "VOLUME%d", v);
		break;
	case 1:
		snprintf(buf, sizeof buf, "volume%d", v);
		break;
	default:
		snprintf(buf, sizeof buf, "Volume%d", v);
		break;
	}
	return buf;
}

static void
add_rec(gcluster *c, const gguest *g, int node, uint64_t *s)
{
	const char **paths = xcalloc(MAXV + 2, sizeof *paths);
	size_t np = 0;
	planner_guest *r;
	char *id;

	if (rnd_below(s, 8) == 0)
		paths[np++] = keep(c, xasprintf("D:\\VMs\\%s\\%s.vmcx",
		    g->name, g->name));
	for (int k = 0; k < g->nvols; k++) {
		char *vs = xstrdup(vol_spelling(s, g->vols[k]));
		paths[np++] = keep(c, xasprintf("C:\\ClusterStorage\\%s\\%s\\"
		    "disk%d.vhdx", vs, g->name, k));
		free(vs);
	}
	xgrow(&c->pathv, &c->pathv_cap, c->npathv + 1,
	    sizeof *c->pathv);
	c->pathv[c->npathv++] = paths;
	id = keep(c, xstrdup(g->id));
	if (rnd_below(s, 3) == 0)
		for (char *q = id; *q; q++)
			if (*q >= 'a' && *q <= 'f')
				*q = (char)(*q - 'a' + 'A');
	c->recs = xrealloc(c->recs, (c->nrecs + 1) * sizeof *c->recs);
	r = &c->recs[c->nrecs++];
	*r = (planner_guest){ .name = g->name, .id = id, .node = NODES[node],
	    .paths = paths, .npaths = np };
}

static void
gen_cluster(gcluster *c, uint64_t seed, size_t max_guests, int max_vols)
{
	uint64_t s = seed;
	int nnodes = 1 + (int)rnd_below(&s, NELEM(NODES));

	memset(c, 0, sizeof *c);
	c->nvols = 1 + (int)rnd_below(&s, (size_t)max_vols);
	c->nguests = rnd_below(&s, max_guests + 1);
	c->guests = xcalloc(c->nguests ? c->nguests : 1, sizeof *c->guests);
	for (size_t i = 0; i < c->nguests; i++) {
		gguest *g = &c->guests[i];
		size_t roll = rnd_below(&s, 20);
		int want = roll < 2 ? 0 : roll < 15 ? 1 : roll < 18 ? 2 :
		    roll < 19 ? 3 : MAXV;

		/* Names repeat on purpose: ids break the tie. */
		snprintf(g->name, sizeof g->name, "VM%04zu",
		    rnd_below(&s, c->nguests + 1));
		snprintf(g->id, sizeof g->id, "%08x-%04x-4%03x-8%03x-%012zx",
		    (unsigned)(rnd(&s) & 0xffffffffu),
		    (unsigned)(rnd(&s) & 0xffff), (unsigned)(rnd(&s) & 0xfff),
		    (unsigned)(rnd(&s) & 0xfff), i);
		if (want > c->nvols)
			want = c->nvols;
		while (g->nvols < want) {
			int v = 1 + (int)rnd_below(&s, (size_t)c->nvols);
			int dup = 0;
			for (int k = 0; k < g->nvols; k++)
				dup |= g->vols[k] == v;
			if (!dup)
				g->vols[g->nvols++] = v;
		}
		g->node = (int)rnd_below(&s, (size_t)nnodes);
		g->other_node = -1;
		add_rec(c, g, g->node, &s);
		if (rnd_below(&s, 20) == 0)
			add_rec(c, g, g->node, &s);
		if (nnodes > 1 && rnd_below(&s, 20) == 0) {
			g->other_node = (g->node + 1 +
			    (int)rnd_below(&s, (size_t)nnodes - 1)) % nnodes;
			add_rec(c, g, g->other_node, &s);
		}
	}
	shuffle(c->recs, c->nrecs, &s);
}

static void
free_cluster(gcluster *c)
{
	for (size_t i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	for (size_t i = 0; i < c->npathv; i++)
		free(c->pathv[i]);
	free(c->pathv);
	free(c->recs);
	free(c->guests);
	memset(c, 0, sizeof *c);
}

static int
gvol_of(const char *csv)
{
	int v;

	if (sscanf(csv, "%*1[Vv]%*1[Oo]%*1[Ll]%*1[Uu]%*1[Mm]%*1[Ee]%d", &v)
	    != 1)
		return -1;
	return v;
}

/* The node a guest is planned under: of two reporting nodes (equal
 * ranks), the first in byte order. */
static const char *
gowner(const gguest *g)
{
	const char *a = NODES[g->node];

	if (g->other_node < 0)
		return a;
	return strcmp(a, NODES[g->other_node]) < 0 ? a : NODES[g->other_node];
}

#define PCHECK(cond) do { \
	if (!(cond)) \
		fail_msg("planner property %s failed: seed %llu " \
		    "(rerun: HVP_PLANNER_SEED=%llu HVP_PLANNER_CASES=1)", \
		    #cond, (unsigned long long)seed, \
		    (unsigned long long)seed); \
} while (0)

/* Plans c's reports digested (planner_digest_paths) and holds the result
 * to want, the plan of the same reports as paths. Every other report is
 * lasting (the plan may point at its name and GUID); the others' strings
 * are copies freed as soon as the plan is made, so a plan that kept
 * pointing at them fails here (and under ASan, at once). */
static void
check_digested(const gcluster *c, const planner_result *want,
    uint64_t seed)
{
	planner_guest *dg = xcalloc(c->nrecs + 1, sizeof *dg);
	planner_digest *d = xcalloc(c->nrecs + 1, sizeof *d);
	char **copies = xcalloc(2 * c->nrecs + 1, sizeof *copies);
	planner_result got;
	char *a, *b;

	for (size_t i = 0; i < c->nrecs; i++) {
		const planner_guest *g = &c->recs[i];
		bool lasting = i % 2 == 0;

		planner_digest_paths(g->name, g->id, g->paths, g->npaths, &d[i]);
		dg[i] = (planner_guest){ .name = g->name, .id = g->id,
		    .node = g->node, .digested = true,
		    .volumes = (const char *const *)d[i].volumes,
		    .nvolumes = d[i].nvolumes, .unplannable = d[i].unplannable,
		    .rank = g->rank, .lasting = lasting };
		if (!lasting && g->name && g->id) {
			dg[i].name = copies[2 * i] = xstrdup(g->name);
			dg[i].id = copies[2 * i + 1] = xstrdup(g->id);
		}
	}
	PCHECK(planner_build(dg, c->nrecs, NULL, &got) == 0);
	for (size_t i = 0; i < 2 * c->nrecs; i++) {
		if (copies[i])
			memset(copies[i], '#', strlen(copies[i]));
		free(copies[i]);
	}
	free(copies);
	a = render(want->plan);
	b = render(got.plan);
	PCHECK(strcmp(a, b) == 0);
	PCHECK(strcmp(want->plan->hash, got.plan->hash) == 0);
	PCHECK(got.nconflicts == want->nconflicts);
	for (size_t i = 0; i < got.nconflicts && i < want->nconflicts; i++) {
		PCHECK(strcmp(got.conflicts[i].id, want->conflicts[i].id) == 0);
		PCHECK(got.conflicts[i].same_csvs ==
		    want->conflicts[i].same_csvs);
	}
	free(a);
	free(b);
	planner_result_clear(&got);
	for (size_t i = 0; i < c->nrecs; i++)
		planner_digest_clear(&d[i]);
	free(d);
	free(dg);
}

static void
check_cluster(uint64_t seed)
{
	gcluster c;
	planner_result r, r2;
	const plan *p;
	size_t n, *where, *count, expect_conflicts = 0, expect_unpl = 0;
	uint64_t s2 = seed ^ 0xa5a5a5a5a5a5a5a5ULL;
	char *j1, *j2;

	gen_cluster(&c, seed, 40, 10);
	n = c.nguests;
	PCHECK(planner_build(c.recs, c.nrecs, NULL, &r) == 0);
	p = r.plan;
	where = xcalloc(n + 1, sizeof *where);
	count = xcalloc(n + 1, sizeof *count);

	/* Where each model guest landed (group index). */
	for (size_t gi = 0; gi < p->ngroups; gi++) {
		const plan_group *g = &p->groups[gi];

		PCHECK(g->nguests > 0 && g->ncsvs > 0);
		PCHECK(strncmp(g->name, "CSV-", 4) == 0);
		if (gi > 0)
			PCHECK(strcmp(p->groups[gi - 1].name, g->name) != 0);
		for (size_t k = 0; k < g->nguests; k++) {
			size_t m;
			for (m = 0; m < n; m++)
				if (strcmp(c.guests[m].id, g->guests[k].id) == 0)
					break;
			PCHECK(m < n);
			PCHECK(strcmp(gowner(&c.guests[m]),
			    g->guests[k].node) == 0);
			where[m] = gi;
			count[m]++;
			if (k > 0) {
				const plan_guest *a = &g->guests[k - 1];
				int cmp = strcmp(a->name, g->guests[k].name);
				PCHECK(cmp < 0 || (cmp == 0 &&
				    strcmp(a->id, g->guests[k].id) < 0));
			}
		}
		/* The group's CSVs are exactly its guests' CSVs. */
		for (size_t k = 0; k < g->ncsvs; k++) {
			int v = gvol_of(g->csvs[k]), found = 0;
			PCHECK(v > 0);
			for (size_t m = 0; m < n; m++)
				if (count[m] && where[m] == gi)
					for (int q = 0; q < c.guests[m].nvols; q++)
						found |= c.guests[m].vols[q] == v;
			PCHECK(found);
		}
	}

	for (size_t m = 0; m < n; m++) {
		const gguest *g = &c.guests[m];
		bool conflicted = g->other_node >= 0;

		expect_conflicts += conflicted;
		expect_unpl += g->nvols == 0 ? 1 : 0;
		/* Invariant 3: planned guests are in exactly one group, also
		 * while two nodes report them. */
		PCHECK(count[m] == (g->nvols == 0 ? 0u : 1u));
		if (count[m] == 0)
			continue;
		/* Every CSV of the guest is in its group. */
		for (int q = 0; q < g->nvols; q++) {
			const plan_group *grp = &p->groups[where[m]];
			int found = 0;
			for (size_t k = 0; k < grp->ncsvs; k++)
				found |= gvol_of(grp->csvs[k]) == g->vols[q];
			PCHECK(found);
		}
		/* Invariant 1: guests sharing a CSV share the group. */
		for (size_t o = m + 1; o < n; o++) {
			int share = 0;
			if (count[o] == 0)
				continue;
			for (int q = 0; q < g->nvols; q++)
				for (int t = 0; t < c.guests[o].nvols; t++)
					share |= g->vols[q] == c.guests[o].vols[t];
			if (share)
				PCHECK(where[m] == where[o]);
		}
	}
	PCHECK(r.nconflicts == expect_conflicts);
	PCHECK(p->nunplanned == expect_unpl);

	/* Invariant 2: every group is connected (BFS over shared CSVs). */
	for (size_t gi = 0; gi < p->ngroups; gi++) {
		size_t *queue = xcalloc(n + 1, sizeof *queue);
		bool *seen = xcalloc(n + 1, sizeof *seen);
		size_t head = 0, tail = 0, members = 0;

		for (size_t m = 0; m < n; m++)
			if (count[m] && where[m] == gi) {
				members++;
				if (tail == 0) {
					queue[tail++] = m;
					seen[m] = true;
				}
			}
		while (head < tail) {
			const gguest *a = &c.guests[queue[head++]];
			for (size_t o = 0; o < n; o++) {
				int share = 0;
				if (seen[o] || count[o] == 0 || where[o] != gi)
					continue;
				for (int q = 0; q < a->nvols; q++)
					for (int t = 0; t < c.guests[o].nvols;
					    t++)
						share |= a->vols[q] ==
						    c.guests[o].vols[t];
				if (share) {
					seen[o] = true;
					queue[tail++] = o;
				}
			}
		}
		PCHECK(tail == members);
		PCHECK(members == p->groups[gi].nguests);
		free(queue);
		free(seen);
	}

	/* Input order never matters. */
	j1 = render(p);
	shuffle(c.recs, c.nrecs, &s2);
	PCHECK(planner_build(c.recs, c.nrecs, p, &r2) == 0);
	j2 = render(r2.plan);
	PCHECK(strcmp(r2.plan->hash, p->hash) == 0);
	PCHECK(r2.plan->generation == p->generation);
	PCHECK(strcmp(j1, j2) == 0);
	free(j1);
	free(j2);
	planner_result_clear(&r2);

	/* The digested form (the controller keeps only that) plans the
	 * same: plan, hash and conflicts. */
	check_digested(&c, &r, seed);

	free(where);
	free(count);
	planner_result_clear(&r);
	free_cluster(&c);
}

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (v == NULL || *v == '\0')
		return dflt;
	x = strtoull(v, &end, 0);
	return *end == '\0' ? (uint64_t)x : dflt;
}

static void
test_property_random_clusters(void **state)
{
	uint64_t base = env_u64("HVP_PLANNER_SEED", 20260101);
	uint64_t cases = env_u64("HVP_PLANNER_CASES", 3000);

	for (uint64_t i = 0; i < cases; i++)
		check_cluster(base + i);
}

static bool
same_id(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a | 0x20) != (*b | 0x20))
			return false;
	return *a == *b;
}

/*
 * Stability: shuffled inputs give the same plan and hash; handing the
 * previous plan back keeps the generation; a change bumps it by one.
 */
static void
test_stability_and_generation(void **state)
{
	gcluster c;
	planner_result r1, r2, r3;
	uint64_t s = 99;
	char *j1, *j2;
	const char *moved[] = { "C:\\ClusterStorage\\Volume77\\moved.vhdx" };
	size_t m;

	gen_cluster(&c, 4242, 300, 20);
	assert_true(c.nrecs > 0);
	r1 = build(c.recs, c.nrecs, NULL);
	assert_int_equal(r1.plan->generation, 1);
	j1 = render(r1.plan);
	for (int round = 0; round < 5; round++) {
		shuffle(c.recs, c.nrecs, &s);
		r2 = build(c.recs, c.nrecs, r1.plan);
		j2 = render(r2.plan);
		assert_string_equal(j1, j2);
		assert_string_equal(r2.plan->hash, r1.plan->hash);
		assert_int_equal(r2.plan->generation, 1);
		free(j2);
		planner_result_clear(&r2);
	}

	/* Previous at generation 7, same content: stays 7. */
	r1.plan->generation = 7;
	r2 = build(c.recs, c.nrecs, r1.plan);
	assert_int_equal(r2.plan->generation, 7);
	planner_result_clear(&r2);

	/* Storage migration of one guest: content and generation change. */
	for (m = 0; m < c.nguests; m++)
		if (c.guests[m].other_node < 0 && c.guests[m].nvols > 0)
			break;
	assert_true(m < c.nguests);
	for (size_t i = 0; i < c.nrecs; i++)
		if (same_id(c.recs[i].id, c.guests[m].id)) {
			c.recs[i].paths = moved;
			c.recs[i].npaths = 1;
		}
	r2 = build(c.recs, c.nrecs, r1.plan);
	assert_string_not_equal(r2.plan->hash, r1.plan->hash);
	assert_int_equal(r2.plan->generation, 8);
	r3 = build(c.recs, c.nrecs, r2.plan);
	assert_int_equal(r3.plan->generation, 8);
	assert_string_equal(r3.plan->hash, r2.plan->hash);
	planner_result_clear(&r3);

	free(j1);
	planner_result_clear(&r1);
	planner_result_clear(&r2);
	free_cluster(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_csv),
		cmocka_unit_test(test_lasting_shared),
		cmocka_unit_test(test_span_two),
		cmocka_unit_test(test_chain_three),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_offline_node_kept),
		cmocka_unit_test(test_conflict_across_nodes),
		cmocka_unit_test(test_conflict_owner_by_rank),
		cmocka_unit_test(test_duplicate_same_node),
		cmocka_unit_test(test_unplanned),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_empty_name),
		cmocka_unit_test(test_unrepresentable),
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_long_group_name),
		cmocka_unit_test(test_stability_and_generation),
		cmocka_unit_test(test_property_random_clusters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
