/*
 * test_parts.c: a DPM server of several clusters (node/parts.c): what
 * two clusters' policies ask alike is one finding naming both; what they
 * ask differently is a conflict, never applied; an audit part's settings
 * stay audited unless an enforcing part asks for them too; the file is
 * one finding for the union of the plans, qualified per cluster, and
 * none once the file holds every part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"
#include "dsmerge.h"
#include "hoststate.h"
#include "parts.h"
#include "plan.h"
#include "policy.h"
#include "xalloc.h"

#define POLICY(cluster, extra) \
	"apiVersion: hvpolicy/v1\n" \
	"kind: ClusterPolicy\n" \
	"metadata: {name: p}\n" \
	"spec:\n" \
	"  cluster: " cluster "\n" \
	"  strategy: system-software\n" extra

static policy *
s_policy(const char *text)
{
	diag_list d;
	policy *p;

	diag_list_init(&d);
	p = policy_parse("test", text, strlen(text), &d);
	if (p == NULL)
		diag_print(&d, stderr);
	assert_non_null(p);
	diag_list_release(&d);
	return p;
}

static plan *
s_plan(const char *guest, const char *id)
{
	plan *p = plan_new();

	p->groups = xcalloc(1, sizeof *p->groups);
	p->ngroups = 1;
	p->groups[0].name = xstrdup("CSV-Volume1");
	p->groups[0].guests = xcalloc(1, sizeof *p->groups[0].guests);
	p->groups[0].nguests = 1;
	p->groups[0].guests[0].name = xstrdup(guest);
	p->groups[0].guests[0].id = xstrdup(id);
	p->groups[0].guests[0].node = xstrdup("HV01");
	plan_compute_hash(p);
	return p;
}

static const reconcile_finding *
s_find(const reconcile_list *l, const char *resource_part)
{
	for (size_t i = 0; i < l->count; i++)
		if (strstr(l->items[i].resource, resource_part))
			return &l->items[i];
	return NULL;
}

/* Runs parts_compute on an empty DPM host and file state st (NULL: no
 * file read). */
static void
s_compute(engine_part *parts, size_t n, const void *file, size_t flen,
    reconcile_list *l)
{
	host_state *h = host_state_new();
	dsmerge_part fp[4];
	dsmerge_spec spec = { fp, n, NULL };
	dsmerge_state st;
	char *err = NULL;

	h->node = xstrdup("DPM01");
	h->role = ROLE_DPM_SERVER;
	parts_file(parts, n, fp);
	assert_int_equal(dsmerge_inspect(&spec, file, flen, &st, &err), 0);
	memset(l, 0, sizeof *l);
	parts_compute(parts, n, ROLE_DPM_SERVER, h, &spec, &st, NULL, l);
	dsmerge_state_clear(&st);
	host_state_free(&h);
}

static void
test_alike_and_conflicting(void **state)
{
	policy *a = s_policy(POLICY("HV-A",
	    "  serialization: {dpmServer: DPM01, perCsv: false}\n"));
	policy *b = s_policy(POLICY("HV-B",
	    "  serialization: {dpmServer: DPM01, perCsv: false}\n"));
	policy *b2 = s_policy(POLICY("HV-B",
	    "  serialization: {dpmServer: DPM01, perCsv: false, perNode: 2}\n"));
	engine_part parts[2] = { { "HV-A", a, NULL, 3 }, { "HV-B", b, NULL, 5 } };
	const reconcile_finding *f;
	reconcile_list l;

	(void)state;
	s_compute(parts, 2, NULL, 0, &l);
	assert_int_equal(l.count, 1);	/* MaxAllowedParallelBackups, once */
	f = s_find(&l, "MaxAllowedParallelBackups");
	assert_non_null(f);
	assert_string_equal(f->clusters, "HV-A,HV-B");
	assert_null(f->conflict);
	assert_false(f->audit);
	assert_int_equal(f->revision, 0);	/* two clusters ask */
	reconcile_list_release(&l);

	parts[1].policy = b2;
	s_compute(parts, 2, NULL, 0, &l);
	f = s_find(&l, "MaxAllowedParallelBackups");
	assert_non_null(f->conflict);
	assert_non_null(strstr(f->conflict, "HV-A,HV-B"));
	assert_non_null(strstr(f->conflict, "REG_DWORD 1"));
	assert_non_null(strstr(f->conflict, "REG_DWORD 2"));
	reconcile_list_release(&l);
	policy_free(&a);
	policy_free(&b);
	policy_free(&b2);
}

#define EXTRA \
	"  registry:\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso'\n" \
	"      value: Window\n" \
	"      type: REG_SZ\n" \
	"      data: night\n" \
	"      roles: [dpm-server]\n"

/* An audit part's own setting stays audited; one an enforcing part asks
 * for too is enforced; passes enforce when any part does. */
static void
test_audit_parts(void **state)
{
	policy *a = s_policy(POLICY("HV-A",
	    "  serialization: {dpmServer: DPM01, perCsv: false}\n"));
	policy *b = s_policy(POLICY("HV-B",
	    "  mode: audit\n"
	    "  serialization: {dpmServer: DPM01, perCsv: false}\n" EXTRA));
	engine_part parts[2] = { { "HV-A", a, NULL, 1 }, { "HV-B", b, NULL, 1 } };
	const reconcile_finding *f;
	reconcile_list l;

	(void)state;
	assert_int_equal(parts_mode(parts, 2), POLICY_ENFORCE);
	assert_int_equal(parts_mode(parts + 1, 1), POLICY_AUDIT);
	s_compute(parts, 2, NULL, 0, &l);
	f = s_find(&l, "Contoso");
	assert_non_null(f);
	assert_true(f->audit);
	assert_string_equal(f->clusters, "HV-B");
	assert_int_equal(f->revision, 1);
	f = s_find(&l, "MaxAllowedParallelBackups");
	assert_false(f->audit);
	reconcile_list_release(&l);
	policy_free(&a);
	policy_free(&b);
}

/* The file: one finding while a part is missing, naming each cluster's
 * expected hash; none when the file holds both parts. */
static void
test_file(void **state)
{
	policy *a = s_policy(POLICY("HV-A",
	    "  serialization: {dpmServer: DPM01}\n"));
	policy *b = s_policy(POLICY("HV-B",
	    "  serialization: {dpmServer: DPM01}\n"));
	plan *pa = s_plan("VM0001", "1a000000-0000-0000-0000-000000000001");
	plan *pb = s_plan("VM0001", "2b000000-0000-0000-0000-000000000002");
	engine_part parts[2] = { { "HV-A", a, pa, 1 }, { "HV-B", b, pb, 1 } };
	dsmerge_part fp[2];
	dsmerge_spec spec = { fp, 2, NULL };
	dsmerge_result res;
	const reconcile_finding *f;
	reconcile_list l;
	char *xml = NULL, *err = NULL, want[65];
	size_t len;

	(void)state;
	s_compute(parts, 2, NULL, 0, &l);
	f = s_find(&l, "DataSourceGroups.xml");
	assert_non_null(f);
	assert_int_equal(f->op, RECONCILE_WRITE_DSGROUPS);
	assert_string_equal(f->clusters, "HV-A,HV-B");
	dsgroups_plan_hash_as(pa, "HV-A", want);
	assert_non_null(strstr(f->expected, want));
	assert_non_null(strstr(f->expected, "HV-B "));
	reconcile_list_release(&l);

	parts_file(parts, 2, fp);
	assert_int_equal(dsmerge_apply(&spec, NULL, 0, &xml, &len, &res,
	    &err), 0);
	s_compute(parts, 2, xml, len, &l);
	assert_null(s_find(&l, "DataSourceGroups.xml"));
	reconcile_list_release(&l);
	dsmerge_result_clear(&res);
	free(xml);
	plan_free(&pa);
	plan_free(&pb);
	policy_free(&a);
	policy_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alike_and_conflicting),
		cmocka_unit_test(test_audit_parts),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
