/*
 * test_reconcile.c: the pure desired-versus-observed comparison
 * (node/reconcile.c): every row of the contract's table, guest globs,
 * extra registry resources of every type and both ensures, roles, the
 * serialization file, and a guest that arrives between passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dsgroups.h"
#include "hoststate.h"
#include "plan.h"
#include "policy.h"
#include "reconcile.h"
#include "xalloc.h"

#define POLICY_HEAD \
	"apiVersion: hvpolicy/v1\n" \
	"kind: ClusterPolicy\n" \
	"metadata:\n" \
	"  name: test-policy\n" \
	"spec:\n" \
	"  cluster: HV-CLUSTER-01\n"

#define SYSTEM_SOFTWARE \
	"  strategy: system-software\n" \
	"  serialization:\n" \
	"    perNode: 2\n" \
	"    dpmServer: DPM01\n"

#define HARDWARE "  strategy: hardware-saved-state\n"

#define GUID1 "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11"
#define GUID2 "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e12"
#define GUID3 "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e13"

static policy *
s_policy(const char *body)
{
	char *text = xasprintf("%s%s", POLICY_HEAD, body);
	diag_list d;
	policy *p;

	diag_list_init(&d);
	p = policy_parse("test.yaml", text, strlen(text), &d);
	if (p == NULL)
		diag_print(&d, stderr);
	assert_non_null(p);
	diag_list_release(&d);
	free(text);
	return p;
}

static host_state *
s_host(host_role role)
{
	host_state *h = host_state_new();

	h->node = xstrdup(role == ROLE_DPM_SERVER ? "DPM01" : "HV01");
	h->cluster = xstrdup("HV-CLUSTER-01");
	h->role = role;
	return h;
}

/* Adds a guest; vss: 1 on, 0 off, -1 no VSS entry at all. */
static void
s_guest(host_state *h, const char *name, const char *id, int vss)
{
	host_guest g;

	memset(&g, 0, sizeof g);
	g.name = (char *)name;
	g.id = (char *)id;
	g.state = GUEST_RUNNING;
	host_guest_add(h, &g);
	host_guest_set_service(&h->guests[h->nguests - 1], "Heartbeat", true);
	if (vss >= 0)
		host_guest_set_service(&h->guests[h->nguests - 1], "VSS",
		    vss == 1);
}

static void
s_dword(host_state *h, const char *key, const char *name, uint64_t n)
{
	reg_value v;

	memset(&v, 0, sizeof v);
	v.type = REG_T_DWORD;
	v.number = n;
	host_value_set(h, key, name, &v);
}

static void
s_sz(host_state *h, const char *key, const char *name, reg_type t,
    const char *text)
{
	reg_value v;

	memset(&v, 0, sizeof v);
	v.type = t;
	v.text = (char *)text;
	host_value_set(h, key, name, &v);
}

static int
s_run(const policy *p, host_role role, const host_state *h, const plan *pl,
    const char *held, reconcile_list *l)
{
	reconcile_input in;

	memset(&in, 0, sizeof in);
	memset(l, 0, sizeof *l);
	in.policy = p;
	in.role = role;
	in.observed = h;
	in.plan = pl;
	in.held_hash = held;
	return reconcile_compute(&in, l);
}

static const reconcile_finding *
s_find(const reconcile_list *l, const char *resource)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i].resource, resource) == 0)
			return &l->items[i];
	return NULL;
}

static void
s_expect_str(const char *want, const char *got)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(want, got);
}

static void
test_system_software_node_drifted(void **state)
{
	policy *p = s_policy(SYSTEM_SOFTWARE);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;
	const reconcile_finding *f;

	s_guest(h, "VM0001", GUID1, 0);
	s_guest(h, "VM0002", GUID2, 1);
	s_guest(h, "VM0003", GUID3, -1);
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 2);
	assert_int_equal(l.count, 2);

	f = &l.items[0];
	assert_int_equal(f->kind, DRIFT_REGISTRY);
	assert_int_equal(f->op, RECONCILE_CREATE_KEY);
	assert_string_equal(f->resource, DPM_USE_SYSTEM_PROVIDER_KEY);
	assert_string_equal(f->key, DPM_USE_SYSTEM_PROVIDER_KEY);
	assert_string_equal(f->expected, "present");
	assert_null(f->actual);

	f = &l.items[1];
	assert_int_equal(f->kind, DRIFT_INTEGRATION_SERVICE);
	assert_int_equal(f->op, RECONCILE_SET_INTEGRATION);
	assert_string_equal(f->resource, "guest VM0001 (" GUID1 ")/VSS");
	assert_string_equal(f->guest_id, GUID1);
	assert_string_equal(f->guest_name, "VM0001");
	assert_string_equal(f->service, "VSS");
	assert_true(f->enable);
	assert_string_equal(f->expected, "enabled");
	assert_string_equal(f->actual, "disabled");
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_system_software_node_complies(void **state)
{
	policy *p = s_policy(SYSTEM_SOFTWARE);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;

	/* Held in another case: registry paths are case-insensitive. */
	host_key_ensure(h, "HKLM\\Software\\MICROSOFT\\Microsoft Data "
	    "Protection Manager\\Agent\\usesystemsoftwareprovider");
	s_guest(h, "VM0001", GUID1, 1);
	s_guest(h, "VM0002", GUID2, -1);	/* no entry: enabled */
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 0);
	assert_int_equal(l.count, 0);
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_hardware_node_drifted(void **state)
{
	policy *p = s_policy(HARDWARE);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;
	const reconcile_finding *f;

	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	s_guest(h, "VM0001", GUID1, 1);
	s_guest(h, "VM0002", GUID2, 0);
	s_guest(h, "VM0003", GUID3, -1);	/* no entry counts as on */
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 3);

	f = s_find(&l, DPM_USE_SYSTEM_PROVIDER_KEY);
	assert_non_null(f);
	assert_int_equal(f->op, RECONCILE_DELETE_KEY);
	assert_null(f->expected);
	assert_string_equal(f->actual, "present");

	f = s_find(&l, "guest VM0001 (" GUID1 ")/VSS");
	assert_non_null(f);
	assert_false(f->enable);
	assert_string_equal(f->expected, "disabled");
	assert_string_equal(f->actual, "enabled");
	assert_null(s_find(&l, "guest VM0002 (" GUID2 ")/VSS"));
	f = s_find(&l, "guest VM0003 (" GUID3 ")/VSS");
	assert_non_null(f);
	assert_false(f->enable);
	assert_string_equal(f->actual, "enabled");
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_hardware_node_subkey_counts(void **state)
{
	policy *p = s_policy(HARDWARE);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;

	/* Only a key below it is held: the key exists, so it must go. */
	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY "\\Sub");
	/* A sibling whose name merely starts the same does not count. */
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 1);
	assert_int_equal(l.items[0].op, RECONCILE_DELETE_KEY);
	reconcile_list_release(&l);
	host_key_delete(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY "Old");
	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY " 2\\X");
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 0);
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_system_software_dpm_value(void **state)
{
	policy *p = s_policy(SYSTEM_SOFTWARE);
	host_state *h = s_host(ROLE_DPM_SERVER);
	reconcile_list l;
	const reconcile_finding *f;
	const char *res = DPM_PARALLEL_KEY "[" DPM_PARALLEL_VALUE "]";

	/* Guests on a DPM server are not its business. */
	s_guest(h, "VM0001", GUID1, 0);
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 1);
	f = &l.items[0];
	assert_string_equal(f->resource, res);
	assert_int_equal(f->op, RECONCILE_SET_VALUE);
	assert_string_equal(f->key, DPM_PARALLEL_KEY);
	assert_string_equal(f->value_name, DPM_PARALLEL_VALUE);
	assert_int_equal(f->data.type, REG_T_DWORD);
	assert_int_equal(f->data.number, 2);
	assert_string_equal(f->expected, "REG_DWORD 2");
	assert_null(f->actual);
	reconcile_list_release(&l);

	/* Right data, wrong type. */
	s_sz(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE, REG_T_SZ, "2");
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 1);
	assert_string_equal(l.items[0].actual, "REG_SZ \"2\"");
	reconcile_list_release(&l);

	/* Wrong number. */
	s_dword(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE, 1);
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 1);
	assert_string_equal(l.items[0].actual, "REG_DWORD 1");
	reconcile_list_release(&l);

	/* Held, value name in another case. */
	host_value_delete(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE);
	s_dword(h, DPM_PARALLEL_KEY, "MICROSOFT HYPER-V", 2);
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 0);
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static plan *
s_plan(void)
{
	plan *pl = plan_new();

	pl->generation = 1;
	pl->ngroups = 1;
	pl->groups = xcalloc(1, sizeof *pl->groups);
	pl->groups[0].name = xstrdup("CSV-Volume1");
	pl->groups[0].ncsvs = 1;
	pl->groups[0].csvs = xcalloc(1, sizeof(char *));
	pl->groups[0].csvs[0] = xstrdup("Volume1");
	pl->groups[0].nguests = 1;
	pl->groups[0].guests = xcalloc(1, sizeof *pl->groups[0].guests);
	pl->groups[0].guests[0].name = xstrdup("VM0001");
	pl->groups[0].guests[0].id = xstrdup(GUID1);
	pl->groups[0].guests[0].node = xstrdup("HV01");
	plan_compute_hash(pl);
	return pl;
}

static void
test_system_software_dpm_file(void **state)
{
	policy *p = s_policy(SYSTEM_SOFTWARE);
	host_state *h = s_host(ROLE_DPM_SERVER);
	plan *pl = s_plan();
	char want[DSGROUPS_HASH_HEX + 1];
	reconcile_list l;
	const reconcile_finding *f;

	dsgroups_plan_hash(pl, want);
	s_dword(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE, 2);

	/* No plan known yet: the file is not managed. */
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 0);
	reconcile_list_release(&l);

	/* Absent. */
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, pl, NULL, &l), 1);
	f = &l.items[0];
	assert_int_equal(f->kind, DRIFT_SERIALIZATION_FILE);
	assert_int_equal(f->op, RECONCILE_WRITE_DSGROUPS);
	assert_string_equal(f->resource, "DataSourceGroups.xml");
	assert_string_equal(f->expected, want);
	assert_null(f->actual);
	reconcile_list_release(&l);

	/* Another content. */
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, pl, "0123abcd", &l), 1);
	assert_string_equal(l.items[0].actual, "0123abcd");
	reconcile_list_release(&l);

	/* The plan. */
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, pl, want, &l), 0);
	reconcile_list_release(&l);

	/* A hyperv-node never manages the file, whatever it is given. */
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, pl, NULL, &l), 1);
	assert_int_equal(l.items[0].op, RECONCILE_CREATE_KEY);
	reconcile_list_release(&l);
	plan_free(&pl);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_per_csv_off(void **state)
{
	policy *p = s_policy("  strategy: system-software\n"
	    "  serialization:\n"
	    "    perCsv: false\n"
	    "    dpmServer: DPM01\n");
	host_state *h = s_host(ROLE_DPM_SERVER);
	plan *pl = s_plan();
	reconcile_list l;

	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, pl, NULL, &l), 1);
	assert_int_equal(l.items[0].op, RECONCILE_SET_VALUE);
	assert_string_equal(l.items[0].expected, "REG_DWORD 1");
	reconcile_list_release(&l);
	plan_free(&pl);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_hardware_dpm_nothing(void **state)
{
	policy *p = s_policy(HARDWARE);
	host_state *h = s_host(ROLE_DPM_SERVER);
	plan *pl = s_plan();
	reconcile_list l;

	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	s_dword(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE, 7);
	s_guest(h, "VM0001", GUID1, 1);
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, pl, NULL, &l), 0);
	reconcile_list_release(&l);
	plan_free(&pl);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_guest_globs(void **state)
{
	policy *p = s_policy(HARDWARE
	    "  guests:\n"
	    "    include: ['sql*', 'WEB-0?']\n"
	    "    exclude: ['*-TEST']\n");
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;

	s_guest(h, "SQL01", "00000000-0000-0000-0000-000000000001", 1);
	s_guest(h, "sql02-test", "00000000-0000-0000-0000-000000000002", 1);
	s_guest(h, "web-01", "00000000-0000-0000-0000-000000000003", 1);
	s_guest(h, "WEB-100", "00000000-0000-0000-0000-000000000004", 1);
	s_guest(h, "FILE01", "00000000-0000-0000-0000-000000000005", 1);
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 2);
	assert_string_equal(l.items[0].guest_name, "SQL01");
	assert_string_equal(l.items[1].guest_name, "web-01");
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_migrated_in_guest(void **state)
{
	policy *p = s_policy(HARDWARE);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;

	s_guest(h, "VM0001", GUID1, 0);
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 0);
	reconcile_list_release(&l);
	/* Live migration brings a guest with its Backup service on. */
	s_guest(h, "VM0002", GUID2, 1);
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 1);
	assert_string_equal(l.items[0].guest_id, GUID2);
	assert_false(l.items[0].enable);
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

#define EXTRA_REGISTRY \
	"  registry:\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Sz\n" \
	"      type: REG_SZ\n" \
	"      data: '22:00-05:00'\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Expand\n" \
	"      type: REG_EXPAND_SZ\n" \
	"      data: '%SystemRoot%\\x'\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Multi\n" \
	"      type: REG_MULTI_SZ\n" \
	"      data: [a, b]\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Dword\n" \
	"      type: REG_DWORD\n" \
	"      data: 0x10\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Qword\n" \
	"      type: REG_QWORD\n" \
	"      data: 5000000000\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Binary\n" \
	"      type: REG_BINARY\n" \
	"      data: 'DEADbeef'\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Legacy\n" \
	"      ensure: absent\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Marker'\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Old'\n" \
	"      ensure: absent\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\DpmOnly'\n" \
	"      roles: [dpm-server]\n"

#define CK "HKLM\\SOFTWARE\\Contoso\\Backup"

static void
test_extra_registry_missing(void **state)
{
	policy *p = s_policy(HARDWARE EXTRA_REGISTRY);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;
	static const struct {
		const char *resource;
		reconcile_op op;
		const char *expected;
		const char *actual;
	} want[] = {
		{ CK "[Sz]", RECONCILE_SET_VALUE, "REG_SZ \"22:00-05:00\"", NULL },
		{ CK "[Expand]", RECONCILE_SET_VALUE,
		    "REG_EXPAND_SZ \"%SystemRoot%\\x\"", NULL },
		{ CK "[Multi]", RECONCILE_SET_VALUE,
		    "REG_MULTI_SZ [\"a\", \"b\"]", NULL },
		{ CK "[Dword]", RECONCILE_SET_VALUE, "REG_DWORD 16", NULL },
		{ CK "[Qword]", RECONCILE_SET_VALUE, "REG_QWORD 5000000000",
		    NULL },
		{ CK "[Binary]", RECONCILE_SET_VALUE, "REG_BINARY deadbeef",
		    NULL },
		{ "HKLM\\SOFTWARE\\Contoso\\Marker", RECONCILE_CREATE_KEY,
		    "present", NULL },
	};
	size_t n = sizeof want / sizeof want[0];

	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l),
	    (int)n);
	for (size_t i = 0; i < n; i++) {
		const reconcile_finding *f = s_find(&l, want[i].resource);

		assert_non_null(f);
		assert_int_equal(f->kind, DRIFT_REGISTRY);
		assert_int_equal(f->op, want[i].op);
		s_expect_str(want[i].expected, f->expected);
		s_expect_str(want[i].actual, f->actual);
	}
	assert_null(s_find(&l, "HKLM\\SOFTWARE\\Contoso\\DpmOnly"));
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_extra_registry_held(void **state)
{
	policy *p = s_policy(HARDWARE EXTRA_REGISTRY);
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;
	reg_value v;
	char *multi[] = { "a", "b" };
	const reconcile_finding *f;

	s_sz(h, CK, "Sz", REG_T_SZ, "22:00-05:00");
	s_sz(h, CK, "Expand", REG_T_EXPAND_SZ, "%SystemRoot%\\x");
	memset(&v, 0, sizeof v);
	v.type = REG_T_MULTI_SZ;
	v.list = multi;
	v.list_len = 2;
	host_value_set(h, CK, "Multi", &v);
	s_dword(h, CK, "Dword", 16);
	memset(&v, 0, sizeof v);
	v.type = REG_T_QWORD;
	v.number = 5000000000ull;
	host_value_set(h, CK, "Qword", &v);
	s_sz(h, CK, "Binary", REG_T_BINARY, "deadbeef");
	host_key_ensure(h, "HKLM\\SOFTWARE\\Contoso\\Marker");
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 0);
	reconcile_list_release(&l);

	/* ensure: absent of a value and of a key (with a key below it). */
	s_dword(h, CK, "LEGACY", 1);
	host_key_ensure(h, "HKLM\\SOFTWARE\\Contoso\\Old\\Deeper");
	/* A list that differs in one element, a binary in one byte. */
	multi[1] = "c";
	memset(&v, 0, sizeof v);
	v.type = REG_T_MULTI_SZ;
	v.list = multi;
	v.list_len = 2;
	host_value_set(h, CK, "Multi", &v);
	s_sz(h, CK, "Binary", REG_T_BINARY, "deadbeee");
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 4);
	f = s_find(&l, CK "[Legacy]");
	assert_non_null(f);
	assert_int_equal(f->op, RECONCILE_DELETE_VALUE);
	assert_string_equal(f->value_name, "Legacy");
	assert_null(f->expected);
	assert_string_equal(f->actual, "REG_DWORD 1");
	f = s_find(&l, "HKLM\\SOFTWARE\\Contoso\\Old");
	assert_non_null(f);
	assert_int_equal(f->op, RECONCILE_DELETE_KEY);
	assert_null(f->expected);
	assert_string_equal(f->actual, "present");
	f = s_find(&l, CK "[Multi]");
	assert_non_null(f);
	assert_string_equal(f->actual, "REG_MULTI_SZ [\"a\", \"c\"]");
	f = s_find(&l, CK "[Binary]");
	assert_non_null(f);
	assert_string_equal(f->actual, "REG_BINARY deadbeee");
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_extra_registry_roles(void **state)
{
	policy *p = s_policy(HARDWARE EXTRA_REGISTRY);
	host_state *h = s_host(ROLE_DPM_SERVER);
	reconcile_list l;

	/* Only the dpm-server resource applies on a dpm-server. */
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 1);
	assert_string_equal(l.items[0].resource,
	    "HKLM\\SOFTWARE\\Contoso\\DpmOnly");
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_extra_duplicates_builtin(void **state)
{
	policy *p = s_policy(SYSTEM_SOFTWARE
	    "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Contoso\\X'\n"
	    "      value: Y\n"
	    "      type: REG_DWORD\n"
	    "      data: 9\n"
	    "      roles: [dpm-server]\n");
	host_state *h = s_host(ROLE_DPM_SERVER);
	reconcile_list l;

	/* The parser refuses such a policy; a model built otherwise (the
	 * wire) still gets the strategy's setting, once. */
	free(p->registry[0].key);
	free(p->registry[0].value);
	p->registry[0].key = xstrdup("HKLM\\Software\\Microsoft\\Microsoft "
	    "Data Protection Manager\\2.0\\Configuration\\"
	    "MaxAllowedParallelBackups");
	p->registry[0].value = xstrdup("microsoft hyper-v");
	assert_int_equal(s_run(p, ROLE_DPM_SERVER, h, NULL, NULL, &l), 1);
	assert_string_equal(l.items[0].expected, "REG_DWORD 2");
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_order_and_action_text(void **state)
{
	policy *p = s_policy(HARDWARE
	    "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Contoso\\Marker'\n");
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;
	char *t;

	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	s_guest(h, "VM0002", GUID2, 1);
	s_guest(h, "VM0001", GUID1, 1);
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l), 4);
	/* built-in, extra, guests in host order */
	assert_int_equal(l.items[0].op, RECONCILE_DELETE_KEY);
	assert_int_equal(l.items[1].op, RECONCILE_CREATE_KEY);
	assert_string_equal(l.items[2].guest_name, "VM0002");
	assert_string_equal(l.items[3].guest_name, "VM0001");
	t = reconcile_action_text(&l.items[0], false);
	assert_string_equal(t, "delete key");
	free(t);
	t = reconcile_action_text(&l.items[1], true);
	assert_string_equal(t, "created key");
	free(t);
	t = reconcile_action_text(&l.items[2], false);
	assert_string_equal(t, "disable VSS");
	free(t);
	t = reconcile_action_text(&l.items[3], true);
	assert_string_equal(t, "disabled VSS");
	free(t);
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

static void
test_bad_input(void **state)
{
	reconcile_input in;
	reconcile_list l;

	memset(&in, 0, sizeof in);
	memset(&l, 0, sizeof l);
	assert_int_equal(reconcile_compute(&in, &l), -1);
	assert_int_equal(reconcile_compute(NULL, &l), -1);
	assert_int_equal(l.count, 0);
}

/* A big host: the index keeps one pass far below quadratic cost; this
 * checks the answer on it, not the time. */
static void
test_large_host(void **state)
{
	strbuf sb;
	policy *p;
	host_state *h = s_host(ROLE_HYPERV_NODE);
	reconcile_list l;

	strbuf_init(&sb);
	strbuf_addstr(&sb, SYSTEM_SOFTWARE "  registry:\n");
	for (int i = 0; i < 500; i++)
		strbuf_addf(&sb, "    - key: 'HKLM\\SOFTWARE\\Contoso\\K%d'\n"
		    "      value: V%d\n      type: REG_DWORD\n      data: %d\n",
		    i % 50, i, i);
	p = s_policy(sb.data);
	strbuf_release(&sb);
	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	for (int i = 0; i < 500; i++) {
		char key[64], name[16];

		snprintf(key, sizeof key, "HKLM\\SOFTWARE\\Contoso\\K%d",
		    i % 50);
		snprintf(name, sizeof name, "V%d", i);
		/* Every seventh value is wrong. */
		s_dword(h, key, name, (uint64_t)(i % 7 == 0 ? i + 1 : i));
	}
	for (int i = 0; i < 1000; i++) {
		char name[16], id[40];

		snprintf(name, sizeof name, "VM%04d", i);
		snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i);
		s_guest(h, name, id, i % 10 != 0);
	}
	assert_int_equal(s_run(p, ROLE_HYPERV_NODE, h, NULL, NULL, &l),
	    72 + 100);
	reconcile_list_release(&l);
	host_state_free(&h);
	policy_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_software_node_drifted),
		cmocka_unit_test(test_system_software_node_complies),
		cmocka_unit_test(test_hardware_node_drifted),
		cmocka_unit_test(test_hardware_node_subkey_counts),
		cmocka_unit_test(test_system_software_dpm_value),
		cmocka_unit_test(test_system_software_dpm_file),
		cmocka_unit_test(test_per_csv_off),
		cmocka_unit_test(test_hardware_dpm_nothing),
		cmocka_unit_test(test_guest_globs),
		cmocka_unit_test(test_migrated_in_guest),
		cmocka_unit_test(test_extra_registry_missing),
		cmocka_unit_test(test_extra_registry_held),
		cmocka_unit_test(test_extra_registry_roles),
		cmocka_unit_test(test_extra_duplicates_builtin),
		cmocka_unit_test(test_order_and_action_text),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_large_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
