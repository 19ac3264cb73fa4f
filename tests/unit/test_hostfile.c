/*
 * test_hostfile.c: the simulated host file (common/hostfile.c): every
 * class of error with its exact line and column, the parsed model of the
 * documented example, rendering (order, quoting, stability) and the
 * load -> render -> load round trip, atomic saving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "diag.h"
#include "hostfile.h"
#include "platform.h"
#include "xalloc.h"

#define HOSTS HVP_TEST_DATA "/hosts/"

/*
 * Helpers.
 */

typedef struct want {
	int line, column;
	const char *fragment;	/* must occur in the message */
} want;

/* Parses text, expects failure with exactly the diagnostics in w (sorted
 * by position). */
static void
s_expect_errors(const char *text, const want *w, size_t n)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_parse("host.yaml", text, strlen(text), &d);
	assert_null(h);
	diag_sort(&d);
	if (d.count != n) {
		diag_print(&d, stderr);
		fail_msg("expected %zu diagnostics, got %zu", n, d.count);
	}
	for (size_t i = 0; i < n; i++) {
		const diag *g = &d.items[i];

		if (g->line != w[i].line || g->column != w[i].column ||
		    strstr(g->message, w[i].fragment) == NULL)
			fail_msg("diagnostic %zu: expected %d:%d '%s', got "
			    "%d:%d '%s'", i, w[i].line, w[i].column,
			    w[i].fragment, g->line, g->column, g->message);
		assert_string_equal(g->file, "host.yaml");
	}
	diag_list_release(&d);
}

#define EXPECT(text, ...) do {						\
	const want w_[] = { __VA_ARGS__ };				\
	s_expect_errors(text, w_, sizeof w_ / sizeof w_[0]);		\
} while (0)

static host_state *
s_parse_ok(const char *text)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_parse("host.yaml", text, strlen(text), &d);
	if (h == NULL) {
		diag_print(&d, stderr);
		fail_msg("expected the text to parse");
	}
	assert_int_equal(d.count, 0);
	diag_list_release(&d);
	return h;
}

static void
s_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
s_values_equal(const reg_value *a, const reg_value *b)
{
	assert_int_equal(a->type, b->type);
	assert_true(reg_value_equal(a, b));
}

/* Deep equality; registry keys in any order (the renderer sorts them). */
static void
s_assert_states_equal(host_state *a, host_state *b)
{
	s_str_eq(a->node, b->node);
	s_str_eq(a->cluster, b->cluster);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->nkeys, b->nkeys);
	for (size_t i = 0; i < a->nkeys; i++) {
		const host_regkey *ka = &a->keys[i];
		host_regkey *kb = host_key_find(b, ka->path);

		assert_non_null(kb);
		assert_string_equal(ka->path, kb->path);
		assert_int_equal(ka->nvalues, kb->nvalues);
		for (size_t j = 0; j < ka->nvalues; j++) {
			const reg_value *vb = host_value_get(b, ka->path,
			    ka->values[j].name);

			assert_non_null(vb);
			s_values_equal(&ka->values[j].v, vb);
		}
	}
	assert_int_equal(a->nproviders, b->nproviders);
	for (size_t i = 0; i < a->nproviders; i++) {
		s_str_eq(a->providers[i].id, b->providers[i].id);
		s_str_eq(a->providers[i].name, b->providers[i].name);
		assert_int_equal(a->providers[i].type, b->providers[i].type);
		s_str_eq(a->providers[i].version, b->providers[i].version);
		assert_int_equal(a->providers[i].autorecovery,
		    b->providers[i].autorecovery);
	}
	s_str_eq(a->agent_log, b->agent_log);
	assert_int_equal(a->ncsvs, b->ncsvs);
	for (size_t i = 0; i < a->ncsvs; i++)
		assert_string_equal(a->csvs[i], b->csvs[i]);
	assert_int_equal(a->nguests, b->nguests);
	for (size_t i = 0; i < a->nguests; i++) {
		const host_guest *ga = &a->guests[i], *gb = &b->guests[i];

		s_str_eq(ga->name, gb->name);
		s_str_eq(ga->id, gb->id);
		assert_int_equal(ga->state, gb->state);
		assert_int_equal(ga->nservices, gb->nservices);
		for (size_t j = 0; j < ga->nservices; j++) {
			assert_string_equal(ga->services[j].name,
			    gb->services[j].name);
			assert_int_equal(ga->services[j].enabled,
			    gb->services[j].enabled);
		}
		assert_int_equal(ga->npaths, gb->npaths);
		for (size_t j = 0; j < ga->npaths; j++)
			assert_string_equal(ga->paths[j], gb->paths[j]);
	}
	s_str_eq(a->data_source_groups, b->data_source_groups);
}

static char *
s_render(const host_state *h)
{
	strbuf sb;

	strbuf_init(&sb);
	assert_int_equal(hostfile_render(h, &sb), 0);
	return strbuf_detach(&sb, NULL);
}

/* render -> parse gives an equal state; rendering that gives the same
 * bytes. */
static void
s_round_trip(host_state *h)
{
	char *r1 = s_render(h), *r2;
	host_state *again = s_parse_ok(r1);

	s_assert_states_equal(h, again);
	s_assert_states_equal(again, h);
	r2 = s_render(again);
	assert_string_equal(r1, r2);
	free(r1);
	free(r2);
	host_state_free(&again);
}

static host_state *
s_load_ok(const char *path)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_load(path, &d);
	if (h == NULL) {
		diag_print(&d, stderr);
		fail_msg("cannot load %s", path);
	}
	diag_list_release(&d);
	return h;
}

/*
 * Parsing valid files.
 */

static void
test_example_file(void **state)
{
	host_state *h = s_load_ok(HOSTS "hv01.yaml");
	const reg_value *v;
	const host_guest *g;

	(void)state;
	assert_string_equal(h->node, "HV01");
	assert_string_equal(h->cluster, "HV-CLUSTER-01");
	assert_int_equal(h->role, ROLE_HYPERV_NODE);
	assert_int_equal(h->nkeys, 2);
	assert_true(host_key_exists(h, DPM_USE_SYSTEM_PROVIDER_KEY));
	assert_int_equal(host_key_find(h, DPM_USE_SYSTEM_PROVIDER_KEY)->nvalues, 0);
	v = host_value_get(h, "HKLM\\SOFTWARE\\Contoso\\Backup", "window");
	assert_non_null(v);
	assert_int_equal(v->type, REG_T_SZ);
	assert_string_equal(v->text, "22:00-05:00");
	v = host_value_get(h, "HKLM\\SOFTWARE\\Contoso\\Backup", "Retries");
	assert_int_equal(v->type, REG_T_DWORD);
	assert_int_equal(v->number, 3);
	assert_int_equal(h->nproviders, 2);
	/* Provider ids are stored lowercase, with braces. */
	assert_string_equal(h->providers[0].id,
	    "{2f900f90-00e9-440e-873a-96ca5eb079e5}");
	assert_string_equal(h->providers[0].name,
	    "Microsoft iSCSI Target VSS Hardware Provider");
	assert_int_equal(h->providers[0].type, PROVIDER_HARDWARE);
	assert_string_equal(h->providers[0].version, "3.3.16544");
	assert_false(h->providers[0].autorecovery);
	assert_int_equal(h->providers[1].type, PROVIDER_SYSTEM);
	assert_true(h->providers[1].autorecovery);
	assert_string_equal(h->agent_log, "DPMRACurr.errlog");
	assert_int_equal(h->ncsvs, 2);
	assert_string_equal(h->csvs[1], "Volume2");
	assert_int_equal(h->nguests, 2);
	g = &h->guests[0];
	assert_string_equal(g->name, "VM0001");
	/* Guest ids are stored lowercase. */
	assert_string_equal(g->id, "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11");
	assert_int_equal(g->state, GUEST_RUNNING);
	assert_int_equal(g->nservices, 3);
	assert_string_equal(g->services[0].name, "VSS");
	assert_true(g->services[0].enabled);
	assert_string_equal(g->services[2].name, "Shutdown");
	assert_int_equal(g->npaths, 2);
	assert_string_equal(g->paths[1],
	    "C:\\ClusterStorage\\Volume2\\VM0001\\data.vhdx");
	g = &h->guests[1];
	assert_int_equal(g->state, GUEST_SAVED);
	assert_false(g->services[0].enabled);
	assert_null(h->data_source_groups);
	host_state_free(&h);
}

static void
test_dpm_file(void **state)
{
	host_state *h = s_load_ok(HOSTS "dpm01.yaml");
	const char *lists = "HKLM\\SOFTWARE\\Contoso\\Lists";
	const reg_value *v;

	(void)state;
	assert_int_equal(h->role, ROLE_DPM_SERVER);
	assert_string_equal(h->data_source_groups, "DataSourceGroups.xml");
	/* HKEY_LOCAL_MACHINE is stored as HKLM. */
	assert_string_equal(h->keys[0].path, DPM_PARALLEL_KEY);
	v = host_value_get(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE);
	assert_int_equal(v->type, REG_T_DWORD);
	assert_int_equal(v->number, 1);
	v = host_value_get(h, lists, "Servers");
	assert_int_equal(v->type, REG_T_MULTI_SZ);
	assert_int_equal(v->list_len, 2);
	assert_string_equal(v->list[1], "HV02");
	v = host_value_get(h, lists, "Blob");
	assert_int_equal(v->type, REG_T_BINARY);
	assert_string_equal(v->text, "00ffa0");
	v = host_value_get(h, lists, "Big");
	assert_int_equal(v->type, REG_T_QWORD);
	assert_true(v->number == UINT64_MAX);
	v = host_value_get(h, lists, "Home");
	assert_int_equal(v->type, REG_T_EXPAND_SZ);
	assert_string_equal(v->text, "%ProgramFiles%\\Microsoft DPM");
	assert_int_equal(h->nguests, 0);
	assert_int_equal(h->nproviders, 0);
	assert_null(h->agent_log);
	host_state_free(&h);
}

/* A DPM server of several clusters names them in place of cluster:; the
 * list renders back; nothing else may name several. */
static void
test_dpm_clusters(void **state)
{
	host_state *h;
	strbuf out;

	(void)state;
	h = s_parse_ok("node: DPM01\nclusters: [HV-A, HV-B]\n"
	    "role: dpm-server\n");
	assert_null(h->cluster);
	assert_int_equal(h->nclusters, 2);
	assert_string_equal(h->clusters[1], "HV-B");
	strbuf_init(&out);
	assert_int_equal(hostfile_render(h, &out), 0);
	assert_non_null(strstr(out.data, "clusters: [HV-A, HV-B]\n"));
	assert_null(strstr(out.data, "cluster:"));
	strbuf_release(&out);
	host_state_free(&h);
	EXPECT("node: HV01\nclusters: [HV-A]\n",
	    { 2, 11, "only a host with role dpm-server protects several" });
	EXPECT("node: DPM01\ncluster: HV-A\nclusters: [HV-A]\n"
	    "role: dpm-server\n",
	    { 3, 11, "give cluster or clusters, not both" });
	EXPECT("node: DPM01\nclusters: []\nrole: dpm-server\n",
	    { 2, 11, "expected at least one cluster name" });
	EXPECT("node: DPM01\nclusters: [HV-A, hv-a]\nrole: dpm-server\n",
	    { 2, 18, "cluster" });
	EXPECT("node: DPM01\nclusters: [HV/A]\nrole: dpm-server\n",
	    { 2, 12, "without ',' or '/'" });
}

static void
test_minimal_and_empty_collections(void **state)
{
	host_state *h = s_load_ok(HOSTS "minimal.yaml");

	(void)state;
	/* role defaults to hyperv-node; everything else is empty. */
	assert_int_equal(h->role, ROLE_HYPERV_NODE);
	assert_int_equal(h->nkeys, 0);
	assert_int_equal(h->nguests, 0);
	host_state_free(&h);

	/* Collections may be left empty; a key without values may be
	 * written with nothing after the colon. */
	h = s_parse_ok("node: HV01\ncluster: C\nregistry:\n"
	    "  'HKLM\\Software\\A':\n  'HKLM\\Software\\B': ~\n"
	    "vssProviders:\ncsvs: ~\nguests:\n"
	    "  - name: VM1\n    id: '{0B3E9C2A-5D41-4F0E-8A77-1C2D3E4F5A6B}'\n"
	    "    integrationServices:\n    paths:\n");
	assert_int_equal(h->nkeys, 2);
	assert_true(host_key_exists(h, "HKLM\\Software\\B"));
	assert_int_equal(h->nguests, 1);
	/* Braces around a guest id are accepted and dropped. */
	assert_string_equal(h->guests[0].id,
	    "0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b");
	assert_int_equal(h->guests[0].state, GUEST_RUNNING);
	assert_int_equal(h->guests[0].nservices, 0);
	assert_int_equal(h->guests[0].npaths, 0);
	host_state_free(&h);
}

static void
test_guid_parse(void **state)
{
	char out[37];

	(void)state;
	assert_int_equal(hostfile_guid_parse(
	    "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11", out), 0);
	assert_string_equal(out, "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11");
	assert_int_equal(hostfile_guid_parse(
	    "{2F900F90-00e9-440e-873a-96ca5eb079e5}", out), 0);
	assert_string_equal(out, "2f900f90-00e9-440e-873a-96ca5eb079e5");
	assert_int_equal(hostfile_guid_parse(
	    "{2f900f90-00e9-440e-873a-96ca5eb079e5", out), -1);
	assert_int_equal(hostfile_guid_parse(
	    "2f900f90-00e9-440e-873a-96ca5eb079e", out), -1);
	assert_int_equal(hostfile_guid_parse(
	    "2f900f9000e9-440e-873a-96ca5eb079e5-", out), -1);
	assert_int_equal(hostfile_guid_parse(
	    "2f900f90-00e9-440e-873a-96ca5eb079g5", out), -1);
	assert_int_equal(hostfile_guid_parse("", out), -1);
}

/*
 * Errors, one class at a time, with exact positions.
 */

static void
test_error_top_level(void **state)
{
	(void)state;
	/* Unknown key, at the key. */
	EXPECT("node: HV01\ncluster: C\ncolour: blue\n",
	    { 3, 1, "colour: unknown key; expected one of: node, cluster" });
	/* Missing required keys, at the mapping. */
	EXPECT("role: dpm-server\n",
	    { 1, 1, "node: required key is missing" },
	    { 1, 1, "cluster: required key is missing" });
	/* Wrong type, at the value. */
	EXPECT("node: [a, b]\ncluster: C\n",
	    { 1, 7, "node: expected a string, got a list" });
	EXPECT("node: ''\ncluster: C\n",
	    { 1, 7, "node: must not be empty" });
	/* Enum outside its set names the allowed values. */
	EXPECT("node: HV01\ncluster: C\nrole: hyperv\n",
	    { 3, 7, "role: expected one of hyperv-node, dpm-server, got 'hyperv'" });
	/* Duplicate top-level key. */
	EXPECT("node: HV01\ncluster: C\nnode: HV02\n",
	    { 3, 1, "node: duplicate key (first at line 1)" });
	/* Wrong collection types. */
	EXPECT("node: HV01\ncluster: C\nguests: 3\nregistry: [a]\ncsvs: {a: b}\n",
	    { 3, 9, "guests: expected a list, got a scalar" },
	    { 4, 11, "registry: expected a mapping, got a list" },
	    { 5, 7, "csvs: expected a list, got a mapping" });
	/* The serialization file belongs to a dpm-server only. */
	EXPECT("node: HV01\ncluster: C\ndataSourceGroups: dsg.xml\n",
	    { 3, 19, "only a host with role dpm-server" });
}

static void
test_error_yaml(void **state)
{
	(void)state;
	/* Syntax errors come from libyaml with its position. */
	EXPECT("node: HV01\ncluster: 'C\n",
	    { 3, 1, "found unexpected end of stream" });
	EXPECT("node: &n HV01\ncluster: C\n",
	    { 1, 7, "anchors (&n) are not allowed" });
	EXPECT("- a\n- b\n",
	    { 1, 1, "the top level must be a mapping" });
}

static void
test_error_registry(void **state)
{
	(void)state;
	/* Not a key under HKLM. */
	EXPECT("node: HV01\ncluster: C\nregistry:\n  'HKCU\\Software\\X': {}\n",
	    { 4, 3, "registry.HKCU\\Software\\X: a key must be a path under HKLM" });
	/* The same key twice, ignoring case and the long hive name. */
	EXPECT("node: HV01\ncluster: C\nregistry:\n"
	    "  'HKLM\\Software\\X': {}\n"
	    "  'HKEY_LOCAL_MACHINE\\SOFTWARE\\x\\': {}\n",
	    { 5, 3, "duplicate registry key 'HKLM\\SOFTWARE\\x' "
	    "(first at line 4, column 3" });
	/* The same value name twice in one key, ignoring case. */
	EXPECT("node: HV01\ncluster: C\nregistry:\n"
	    "  'HKLM\\Software\\X':\n"
	    "    Window: {type: REG_SZ, data: a}\n"
	    "    Other: {type: REG_SZ, data: b}\n"
	    "    WINDOW: {type: REG_SZ, data: c}\n",
	    { 7, 5, "duplicate value name 'WINDOW' (first at line 5, column 5" });
	/* The same name in two keys is fine; a wrong type name is not. */
	EXPECT("node: HV01\ncluster: C\nregistry:\n"
	    "  'HKLM\\Software\\X':\n"
	    "    V: {type: REG_DWORDX, data: 1}\n"
	    "  'HKLM\\Software\\Y':\n"
	    "    V: {type: REG_SZ, data: 1}\n",
	    { 5, 15, "registry.HKLM\\Software\\X.V.type: expected one of "
	    "REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, "
	    "REG_BINARY, got 'REG_DWORDX'" });
	/* Data checked against the type. */
	EXPECT("node: HV01\ncluster: C\nregistry:\n"
	    "  'HKLM\\Software\\X':\n"
	    "    D: {type: REG_DWORD, data: 4294967296}\n"
	    "    B: {type: REG_BINARY, data: abc}\n"
	    "    M: {type: REG_MULTI_SZ, data: abc}\n"
	    "    S: {type: REG_SZ, data: [a]}\n",
	    { 5, 32, "expected an integer from 0 to 4294967295" },
	    { 6, 33, "REG_BINARY data must be an even-length hex string" },
	    { 7, 35, "expected a list, got a scalar" },
	    { 8, 29, "REG_SZ data must be a string" });
	/* The value mapping: required and unknown keys. */
	EXPECT("node: HV01\ncluster: C\nregistry:\n"
	    "  'HKLM\\Software\\X':\n"
	    "    A: {type: REG_SZ}\n"
	    "    B: {type: REG_SZ, data: x, ensure: present}\n"
	    "    C: 3\n",
	    { 5, 8, "registry.HKLM\\Software\\X.A.data: required key is missing" },
	    { 6, 32, "registry.HKLM\\Software\\X.B.ensure: unknown key; "
	    "expected one of: type, data" },
	    { 7, 8, "expected a mapping, got a scalar" });
}

static void
test_error_providers(void **state)
{
	(void)state;
	EXPECT("node: HV01\ncluster: C\nvssProviders:\n"
	    "  - id: '{2f900f90-00e9-440e-873a-96ca5eb079e5}'\n"
	    "    name: iSCSI\n"
	    "    type: hw\n"
	    "    autorecovery: maybe\n"
	    "  - id: 2f900f90\n"
	    "    name: other\n"
	    "    type: system\n"
	    "  - id: '{2F900F90-00E9-440E-873A-96CA5EB079E5}'\n"
	    "    name: again\n"
	    "    type: software\n"
	    "    autorecovery: true\n",
	    { 6, 11, "vssProviders[0].type: expected one of system, software, "
	    "hardware, got 'hw'" },
	    { 7, 19, "vssProviders[0].autorecovery: expected true or false, "
	    "got 'maybe'" },
	    { 8, 5, "vssProviders[1].autorecovery: required key is missing" },
	    { 8, 9, "vssProviders[1].id: expected a provider id" },
	    { 11, 9, "duplicate provider id '{2f900f90-00e9-440e-873a-"
	    "96ca5eb079e5}' (first at line 4, column 9" });
}

static void
test_error_guests(void **state)
{
	(void)state;
	EXPECT("node: HV01\ncluster: C\nguests:\n"
	    "  - name: VM1\n"
	    "    id: 6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11\n"
	    "    state: sleeping\n"
	    "    memory: 4096\n"
	    "  - name: vm1\n"
	    "    id: not-a-guid\n"
	    "  - name: VM3\n"
	    "    id: 6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11\n"
	    "    integrationServices: {VSS: true, Heartbeat: yes, vss: false}\n"
	    "    paths: 'C:\\ClusterStorage\\Volume1\\a.vhdx'\n"
	    "  - name: VM4\n",
	    { 6, 12, "guests[0].state: expected one of running, off, saved, "
	    "paused, got 'sleeping'" },
	    { 7, 5, "guests[0].memory: unknown key; expected one of: name, id, "
	    "state, integrationServices, paths" },
	    { 8, 11, "duplicate guest name 'vm1' (first at line 4, column 11" },
	    { 9, 9, "guests[1].id: expected a GUID" },
	    { 11, 9, "duplicate guest id '6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11' "
	    "(first at line 5, column 9" },
	    { 12, 49, "guests[2].integrationServices.Heartbeat: expected true "
	    "or false, got 'yes'" },
	    { 12, 54, "duplicate integration service 'vss' (first at line 12, "
	    "column 27" },
	    { 13, 12, "guests[2].paths: expected a list, got a scalar" },
	    { 14, 5, "guests[3].id: required key is missing" });
	EXPECT("node: HV01\ncluster: C\nguests: [3]\n",
	    { 3, 10, "guests[0]: expected a mapping, got a scalar" });
}

static void
test_error_csvs(void **state)
{
	(void)state;
	EXPECT("node: HV01\ncluster: C\ncsvs: [Volume1, volume1, 'C:\\Volume2']\n",
	    { 3, 17, "duplicate CSV 'volume1' (first at line 3, column 8" },
	    { 3, 26, "csvs[2]: expected a volume name such as Volume1" });
	EXPECT("node: HV01\ncluster: C\ncsvs: [Volume1, [x]]\n",
	    { 3, 17, "csvs[1]: expected a string, got a list" });
}

static void
test_error_file(void **state)
{
	diag_list d;
	static const want w[] = {
		{ 3, 7, "role: expected one of hyperv-node, dpm-server" },
		{ 4, 1, "colour: unknown key" },
		{ 6, 3, "a key must be a path under HKLM" },
		{ 9, 9, "guests[0].id: expected a GUID" },
	};

	(void)state;
	diag_list_init(&d);
	assert_null(hostfile_load(HOSTS "bad.yaml", &d));
	diag_sort(&d);
	assert_int_equal(d.count, sizeof w / sizeof w[0]);
	for (size_t i = 0; i < d.count; i++) {
		assert_string_equal(d.items[i].file, HOSTS "bad.yaml");
		assert_int_equal(d.items[i].line, w[i].line);
		assert_int_equal(d.items[i].column, w[i].column);
		assert_non_null(strstr(d.items[i].message, w[i].fragment));
	}
	diag_list_release(&d);
	/* A missing file names itself. */
	assert_null(hostfile_load(HOSTS "no-such-host.yaml", &d));
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.items[0].message, "no-such-host.yaml"));
	diag_list_release(&d);
}

/*
 * Rendering.
 */

static void
test_round_trip_files(void **state)
{
	static const char *const files[] = {
		"hv01.yaml", "dpm01.yaml", "minimal.yaml",
	};

	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *path = xasprintf("%s%s", HOSTS, files[i]);
		host_state *h = s_load_ok(path);

		s_round_trip(h);
		host_state_free(&h);
		free(path);
	}
}

/* Strings a careless writer would get wrong. */
static void
test_round_trip_hard_strings(void **state)
{
	static const char *const names[] = {
		"true", "null", "~", "123", "0x1F", "-5", ".5", "a: b", "#x",
		"- dash", "  lead", "trail  ", "multi\nline", "tab\there",
		"quote'and\"double", ("\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 \xe2\x9c\x93"),
		"[x]", "{y}", "%p%", "@at", "`tick", "a, b", "*star", "&amp",
		"!bang", "|pipe", ">gt", "yes", "Off", "back\\slash", ("\x01" "ctl"),
	};
	host_state *h = host_state_new();
	size_t n = sizeof names / sizeof names[0];
	reg_value v = { 0 };
	char *long_key;

	(void)state;
	h->node = xstrdup("true");
	h->cluster = xstrdup("null");
	h->role = ROLE_DPM_SERVER;
	h->agent_log = xstrdup("logs/DPM RA #1.errlog");
	h->data_source_groups = xstrdup("data source groups.xml");
	h->csvs = xcalloc(2, sizeof *h->csvs);
	h->csvs[0] = xstrdup("Volume 1");
	h->csvs[1] = xstrdup("007");
	h->ncsvs = 2;
	h->guests = xcalloc(n, sizeof *h->guests);
	h->guests_cap = n;
	for (size_t i = 0; i < n; i++) {
		host_guest *g = &h->guests[h->nguests++];

		g->name = xstrdup(names[i]);
		g->id = xasprintf("00000000-0000-0000-0000-%012zx", i);
		g->state = (guest_state)(i % 4);
		host_guest_set_service(g, names[(i + 1) % n], i % 2 == 0);
		g->paths = xcalloc(1, sizeof *g->paths);
		g->paths[0] = xasprintf("C:\\ClusterStorage\\Volume1\\%s", names[i]);
		g->npaths = 1;
		/* Every name as a value name and as string data. */
		v.type = REG_T_SZ;
		v.text = (char *)names[i];
		host_value_set(h, "HKLM\\Software\\Names", names[i], &v);
	}
	v.type = REG_T_SZ;
	v.text = "";
	host_value_set(h, "HKLM\\Software\\Empty", "", &v);
	v.type = REG_T_BINARY;
	host_value_set(h, "HKLM\\Software\\Empty", "bin", &v);
	v.type = REG_T_MULTI_SZ;
	v.text = NULL;
	v.list = (char **)names;
	v.list_len = n;
	host_value_set(h, "HKLM\\Software\\Empty", "multi", &v);
	v.list_len = 0;
	v.list = NULL;
	host_value_set(h, "HKLM\\Software\\Empty", "nomulti", &v);
	v.type = REG_T_QWORD;
	v.number = UINT64_MAX;
	host_value_set(h, "HKLM\\Software\\Empty", "q", &v);
	/* Longer than a YAML simple key may be. */
	long_key = xasprintf("HKLM\\Software\\%0200d\\'quoted' key", 7);
	host_key_ensure(h, long_key);
	free(long_key);
	h->providers = xcalloc(1, sizeof *h->providers);
	h->providers[0].id = xstrdup("{b5946137-7b9f-4925-af80-51abd60b20d5}");
	h->providers[0].name = xstrdup("no: version");
	h->providers[0].type = PROVIDER_SOFTWARE;
	h->nproviders = 1;
	s_round_trip(h);
	host_state_free(&h);
}

static void
test_render_golden(void **state)
{
	host_state *h = host_state_new();
	reg_value v = { .type = REG_T_DWORD, .number = 1 };
	host_guest g;
	char *text;
	static const char expected[] =
	    "node: HV02\n"
	    "cluster: HV-CLUSTER-01\n"
	    "role: hyperv-node\n"
	    "registry:\n"
	    "  'HKLM\\Software\\a':\n"
	    "    Alpha: {type: REG_DWORD, data: 1}\n"
	    "    beta: {type: REG_DWORD, data: 1}\n"
	    "    Gamma: {type: REG_DWORD, data: 1}\n"
	    "  'HKLM\\Software\\B': {}\n"
	    "  'HKLM\\Software\\c': {}\n"
	    "vssProviders: []\n"
	    "csvs: [Volume1]\n"
	    "guests:\n"
	    "- name: VM0007\n"
	    "  id: 'abcdef00-0000-4000-8000-000000000007'\n"
	    "  state: off\n"
	    "  integrationServices: {VSS: false}\n"
	    "  paths:\n"
	    "  - 'C:\\ClusterStorage\\Volume1\\VM0007\\VM0007.vmcx'\n";

	(void)state;
	h->node = xstrdup("HV02");
	h->cluster = xstrdup("HV-CLUSTER-01");
	/* Inserted out of order: output is sorted ignoring case. */
	host_key_ensure(h, "HKLM\\Software\\c");
	host_value_set(h, "HKLM\\Software\\a", "Gamma", &v);
	host_value_set(h, "HKLM\\Software\\a", "beta", &v);
	host_value_set(h, "HKLM\\Software\\a", "Alpha", &v);
	host_key_ensure(h, "HKLM\\Software\\B");
	h->csvs = xcalloc(1, sizeof *h->csvs);
	h->csvs[0] = xstrdup("Volume1");
	h->ncsvs = 1;
	memset(&g, 0, sizeof g);
	g.name = xstrdup("VM0007");
	g.id = xstrdup("abcdef00-0000-4000-8000-000000000007");
	g.state = GUEST_OFF;
	host_guest_set_service(&g, "VSS", false);
	g.paths = xcalloc(1, sizeof *g.paths);
	g.paths[0] = xstrdup("C:\\ClusterStorage\\Volume1\\VM0007\\VM0007.vmcx");
	g.npaths = 1;
	host_guest_add(h, &g);
	host_guest_clear(&g);
	text = s_render(h);
	assert_string_equal(text, expected);
	free(text);
	host_state_free(&h);
}

static void
test_render_rejects_bad_text(void **state)
{
	host_state *h = s_load_ok(HOSTS "minimal.yaml");
	strbuf sb;
	char *err = NULL;
	char dir[] = "/tmp/hvp-hostfile-XXXXXX";
	char *path;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = platform_path_join(dir, "host.yaml");
	free(h->node);
	h->node = xstrdup("bad\xff");
	strbuf_init(&sb);
	assert_int_equal(hostfile_render(h, &sb), -1);
	strbuf_release(&sb);
	assert_int_equal(hostfile_save(h, path, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, path));
	assert_false(platform_file_exists(path));
	free(err);
	free(path);
	rmdir(dir);
	host_state_free(&h);
}

static void
test_save_and_load(void **state)
{
	host_state *h = s_load_ok(HOSTS "hv01.yaml"), *again;
	char dir[] = "/tmp/hvp-hostfile-XXXXXX";
	char *path, *missing, *err = NULL, *data = NULL, *text;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = platform_path_join(dir, "host.yaml");
	assert_int_equal(hostfile_save(h, path, &err), 0);
	assert_null(err);
	again = s_load_ok(path);
	s_assert_states_equal(h, again);
	/* What is on disk is exactly the rendering. */
	assert_int_equal(platform_read_file(path, 1 << 20, &data, &len, &err), 0);
	text = s_render(h);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(data, text, len);
	free(text);
	free(data);
	/* A directory that does not exist: an error naming the path. */
	missing = xasprintf("%s/nope/host.yaml", dir);
	assert_int_equal(hostfile_save(h, missing, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "nope"));
	free(err);
	free(missing);
	assert_int_equal(platform_remove_file(path, NULL), 0);
	free(path);
	assert_int_equal(rmdir(dir), 0);
	host_state_free(&h);
	host_state_free(&again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_dpm_file),
		cmocka_unit_test(test_dpm_clusters),
		cmocka_unit_test(test_minimal_and_empty_collections),
		cmocka_unit_test(test_guid_parse),
		cmocka_unit_test(test_error_top_level),
		cmocka_unit_test(test_error_yaml),
		cmocka_unit_test(test_error_registry),
		cmocka_unit_test(test_error_providers),
		cmocka_unit_test(test_error_guests),
		cmocka_unit_test(test_error_csvs),
		cmocka_unit_test(test_error_file),
		cmocka_unit_test(test_round_trip_files),
		cmocka_unit_test(test_round_trip_hard_strings),
		cmocka_unit_test(test_render_golden),
		cmocka_unit_test(test_render_rejects_bad_text),
		cmocka_unit_test(test_save_and_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
