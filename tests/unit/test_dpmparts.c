/*
 * test_dpmparts.c: what the controller keeps of a DPM server of several
 * clusters (controller/dpmparts.c): its clusters joined as the store
 * records them, its per-cluster acknowledgements taken from the wire
 * (telling when they changed), and both back from the store's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dpmparts.h"
#include "xalloc.h"

static void
test_round_trip(void **state)
{
	node_session n = { 0 }, back = { 0 };
	char *clusters[] = { (char *)"HV-A", (char *)"HV-B" };
	Hvp__PartState a = HVP__PART_STATE__INIT, b = HVP__PART_STATE__INIT;
	Hvp__PartState *v[] = { &a, &b };
	char *text;

	(void)state;
	dpmparts_set_clusters(&n, clusters, 2);
	assert_string_equal(n.cluster, "HV-A,HV-B");
	assert_int_equal(n.nclusters, 2);
	a.cluster = (char *)"HV-A";
	a.revision = 3;
	a.plan_generation = 7;
	a.dsgroups_hash = (char *)"abc";
	b.cluster = (char *)"HV-B";
	b.revision = 1;
	b.dsgroups_hash = (char *)"";
	assert_true(dpmparts_take(&n, v, 2));
	assert_false(dpmparts_take(&n, v, 2));
	a.plan_generation = 8;
	assert_true(dpmparts_take(&n, v, 2));
	assert_int_equal(dpmparts_find(&n, "hv-a")->generation, 8);
	assert_null(dpmparts_find(&n, "HV-B")->dsgroups_hash);
	assert_null(dpmparts_find(&n, "HV-C"));
	text = dpmparts_text(&n);
	assert_string_equal(text, "HV-A\t3\t8\tabc\nHV-B\t1\t0\t-\n");
	dpmparts_restore(&back, n.cluster, text);
	assert_int_equal(back.nclusters, 2);
	assert_string_equal(back.clusters[1], "HV-B");
	assert_int_equal(back.nparts, 2);
	assert_int_equal(dpmparts_find(&back, "HV-A")->revision, 3);
	assert_string_equal(dpmparts_find(&back, "HV-A")->dsgroups_hash, "abc");
	/* A damaged line is skipped (the node's Hello repeats it all). */
	dpmparts_restore(&back, "HV-A,HV-B", "HV-A\tx\t1\t-\nHV-B\t2\t2\t-\n");
	assert_int_equal(back.nparts, 1);
	/* A node of one cluster has none. */
	dpmparts_restore(&back, "HV-A", NULL);
	assert_int_equal(back.nclusters, 0);
	assert_null(dpmparts_text(&back));
	free(text);
	dpmparts_clear(&n);
	dpmparts_clear(&back);
	free(n.cluster);
	free(back.cluster);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
