/*
 * test_engine.c: one reconcile pass over the real sim backend on host
 * files in a temporary directory (node/engine.c): each row of the
 * contract's table in enforce and audit mode, dry runs, extra registry
 * resources of every type, DataSourceGroups.xml on a DPM server, a guest
 * that arrives between passes, a host edited during the pass (retry),
 * and failures: an unwritable host file fails every record and leaves the
 * file as it was.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "dsgroups.h"
#include "engine.h"
#include "host.h"
#include "hostfile.h"
#include "platform.h"
#include "policy.h"
#include "xalloc.h"

#define NOW 1764052200	/* 2025-11-25T06:30:00Z */

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
	"    perNode: 1\n" \
	"    dpmServer: DPM01\n"

#define HARDWARE "  strategy: hardware-saved-state\n"

#define GUID1 "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11"
#define GUID2 "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e12"
#define GUID3 "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e13"

#define HOST_HEAD \
	"node: HV01\n" \
	"cluster: HV-CLUSTER-01\n" \
	"role: hyperv-node\n"

#define GUEST(name, id, vss) \
	"  - name: " name "\n" \
	"    id: " id "\n" \
	"    state: running\n" \
	"    integrationServices: {" vss "Heartbeat: true}\n" \
	"    paths:\n" \
	"      - 'C:\\ClusterStorage\\Volume1\\" name "\\" name ".vmcx'\n"

/* VM0001 off, VM0002 on, VM0003 without a VSS entry, TEST01 off. */
#define NODE_GUESTS \
	"guests:\n" \
	GUEST("VM0001", GUID1, "VSS: false, ") \
	GUEST("VM0002", GUID2, "VSS: true, ") \
	GUEST("VM0003", GUID3, "") \
	GUEST("TEST01", "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e14", "VSS: false, ")

#define KEY_HELD \
	"registry:\n" \
	"  'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\" \
	"Agent\\UseSystemSoftwareProvider': {}\n"

typedef struct fixture {
	char *dir;
	char *host;	/* dir/host.yaml */
} fixture;

static int
s_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	fixture *f = xcalloc(1, sizeof *f);

	f->dir = xasprintf("%s/hvp-engine-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->host = platform_path_join(f->dir, "host.yaml");
	*state = f;
	return 0;
}

static int
s_teardown(void **state)
{
	fixture *f = *state;
	char **names = NULL;
	size_t n = 0;
	char *err = NULL;

	if (platform_list_dir(f->dir, "", &names, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			char *p = platform_path_join(f->dir, names[i]);

			if (rmdir(p) != 0)
				unlink(p);
			free(p);
			free(names[i]);
		}
		free(names);
	}
	free(err);
	rmdir(f->dir);
	free(f->dir);
	free(f->host);
	free(f);
	return 0;
}

static void
s_write(const char *path, const char *text)
{
	char *err = NULL;

	assert_int_equal(platform_replace_file(path, text, strlen(text), false,
	    &err), 0);
}

static char *
s_read(const char *path)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;

	assert_int_equal(platform_read_file(path, PLATFORM_MAX_FILE, &data,
	    &len, &err), 0);
	return data;
}

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
s_load(const char *path)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_load(path, &d);
	if (h == NULL)
		diag_print(&d, stderr);
	assert_non_null(h);
	diag_list_release(&d);
	return h;
}

static host_backend *
s_backend(const char *path)
{
	char *err = NULL;
	host_backend *b = backend_sim_new(path, &err);

	if (b == NULL)
		fprintf(stderr, "%s\n", err);
	assert_non_null(b);
	return b;
}

static void
s_opts(engine_options *o)
{
	memset(o, 0, sizeof *o);
	o->now = NOW;
	o->revision = 7;
}

/* One pass with a fresh backend over path. */
static void
s_pass(const char *path, const policy *p, host_role role, const plan *pl,
    const engine_options *o, engine_result *r)
{
	host_backend *b = s_backend(path);
	char *err = NULL;

	if (engine_run(b, p, role, pl, o, r, &err) != 0)
		fprintf(stderr, "%s\n", err);
	assert_null(err);
	host_backend_free(&b);
}

static const drift_record *
s_rec(const engine_result *r, const char *resource)
{
	for (size_t i = 0; i < r->nrecords; i++)
		if (strcmp(r->records[i].resource, resource) == 0)
			return &r->records[i];
	return NULL;
}

static bool
s_vss(host_state *h, const char *name)
{
	host_guest *g = host_guest_find(h, name);
	host_service *s;

	assert_non_null(g);
	s = host_guest_service(g, "VSS");
	return s == NULL || s->enabled;
}

#define RES_VM1 "guest VM0001 (" GUID1 ")/VSS"
#define RES_VM2 "guest VM0002 (" GUID2 ")/VSS"
#define RES_VM3 "guest VM0003 (" GUID3 ")/VSS"

static void
test_system_software_node_enforce(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE
	    "  guests:\n    exclude: ['test*']\n");
	engine_options o;
	engine_result r;
	const drift_record *d;
	host_state *h;
	char *before, *after;
	char *id;

	s_write(f->host, HOST_HEAD NODE_GUESTS);
	s_opts(&o);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.nrecords, 2);
	assert_int_equal(r.ncorrected, 2);
	assert_int_equal(r.nfailed + r.nopen, 0);
	assert_true(r.wrote);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.mode, POLICY_ENFORCE);
	assert_non_null(r.observed);
	assert_int_equal(r.observed->nguests, 4);
	assert_null(r.held_hash);

	d = s_rec(&r, DPM_USE_SYSTEM_PROVIDER_KEY);
	assert_non_null(d);
	id = drift_make_id("HV01", DPM_USE_SYSTEM_PROVIDER_KEY, NOW);
	assert_string_equal(d->id, id);
	free(id);
	assert_string_equal(d->cluster, "HV-CLUSTER-01");
	assert_string_equal(d->node, "HV01");
	assert_int_equal(d->role, ROLE_HYPERV_NODE);
	assert_int_equal(d->kind, DRIFT_REGISTRY);
	assert_string_equal(d->expected, "present");
	assert_null(d->actual);
	assert_int_equal(d->policy_revision, 7);
	assert_int_equal(d->mode, POLICY_ENFORCE);
	assert_int_equal(d->status, DRIFT_CORRECTED);
	assert_int_equal(d->detected_at, NOW);
	assert_int_equal(d->resolved_at, NOW);
	assert_string_equal(d->action, "created key");
	assert_null(d->error);

	d = s_rec(&r, RES_VM1);
	assert_non_null(d);
	assert_int_equal(d->kind, DRIFT_INTEGRATION_SERVICE);
	assert_string_equal(d->expected, "enabled");
	assert_string_equal(d->actual, "disabled");
	assert_string_equal(d->action, "enabled VSS");
	engine_result_release(&r);

	h = s_load(f->host);
	assert_true(host_key_exists(h, DPM_USE_SYSTEM_PROVIDER_KEY));
	assert_true(s_vss(h, "VM0001"));
	assert_true(s_vss(h, "VM0002"));
	assert_true(s_vss(h, "VM0003"));
	assert_false(s_vss(h, "TEST01"));	/* not covered: left alone */
	host_state_free(&h);

	/* Second pass: the host complies, the file is not rewritten. */
	before = s_read(f->host);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.nrecords, 0);
	assert_false(r.wrote);
	engine_result_release(&r);
	after = s_read(f->host);
	assert_string_equal(before, after);
	free(before);
	free(after);
	policy_free(&p);
}

static void
test_system_software_node_audit(void **state)
{
	fixture *f = *state;
	policy *p = s_policy("  mode: audit\n" SYSTEM_SOFTWARE);
	engine_options o;
	engine_result r;
	const drift_record *d;
	char *before, *after;

	s_write(f->host, HOST_HEAD NODE_GUESTS);
	before = s_read(f->host);
	s_opts(&o);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	/* key, VM0001, TEST01 */
	assert_int_equal(r.nrecords, 3);
	assert_int_equal(r.nopen, 3);
	assert_false(r.wrote);
	assert_int_equal(r.mode, POLICY_AUDIT);
	d = s_rec(&r, DPM_USE_SYSTEM_PROVIDER_KEY);
	assert_non_null(d);
	assert_int_equal(d->status, DRIFT_OPEN);
	assert_int_equal(d->mode, POLICY_AUDIT);
	assert_int_equal(d->resolved_at, 0);
	assert_string_equal(d->action, "would create key");
	d = s_rec(&r, RES_VM1);
	assert_non_null(d);
	assert_string_equal(d->action, "would enable VSS");
	engine_result_release(&r);
	after = s_read(f->host);
	assert_string_equal(before, after);
	free(before);
	free(after);
	policy_free(&p);
}

static void
test_dry_run_and_mode_override(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	engine_options o;
	engine_result r;
	char *before, *after;

	s_write(f->host, HOST_HEAD KEY_HELD NODE_GUESTS);
	before = s_read(f->host);
	s_opts(&o);
	o.dry_run = true;
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	/* key, VM0002, VM0003 */
	assert_int_equal(r.nrecords, 3);
	assert_int_equal(r.nopen, 3);
	assert_int_equal(r.mode, POLICY_ENFORCE);
	assert_string_equal(s_rec(&r, DPM_USE_SYSTEM_PROVIDER_KEY)->action,
	    "would delete key");
	assert_string_equal(s_rec(&r, RES_VM3)->action, "would disable VSS");
	assert_int_equal(s_rec(&r, RES_VM3)->mode, POLICY_ENFORCE);
	engine_result_release(&r);

	s_opts(&o);
	o.mode_set = true;
	o.mode = POLICY_AUDIT;
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.nopen, 3);
	assert_int_equal(r.mode, POLICY_AUDIT);
	assert_int_equal(r.records[0].mode, POLICY_AUDIT);
	engine_result_release(&r);
	after = s_read(f->host);
	assert_string_equal(before, after);
	free(before);
	free(after);
	policy_free(&p);
}

static void
test_hardware_node_enforce(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	engine_options o;
	engine_result r;
	host_state *h;

	s_write(f->host, HOST_HEAD KEY_HELD NODE_GUESTS);
	s_opts(&o);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.ncorrected, 3);	/* key, VM0002, VM0003 */
	assert_int_equal(r.nrecords, 3);
	engine_result_release(&r);
	h = s_load(f->host);
	assert_false(host_key_exists(h, DPM_USE_SYSTEM_PROVIDER_KEY));
	assert_false(s_vss(h, "VM0001"));
	assert_false(s_vss(h, "VM0002"));
	assert_false(s_vss(h, "VM0003"));
	host_state_free(&h);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.nrecords, 0);
	engine_result_release(&r);
	policy_free(&p);
}

#define DPM_HOST \
	"node: DPM01\n" \
	"cluster: HV-CLUSTER-01\n" \
	"role: dpm-server\n" \
	"dataSourceGroups: DataSourceGroups.xml\n"

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
	pl->groups[0].nguests = 2;
	pl->groups[0].guests = xcalloc(2, sizeof *pl->groups[0].guests);
	pl->groups[0].guests[0].name = xstrdup("VM0001");
	pl->groups[0].guests[0].id = xstrdup(GUID1);
	pl->groups[0].guests[0].node = xstrdup("HV01");
	pl->groups[0].guests[1].name = xstrdup("VM0002");
	pl->groups[0].guests[1].id = xstrdup(GUID2);
	pl->groups[0].guests[1].node = xstrdup("HV02");
	plan_compute_hash(pl);
	return pl;
}

static void
test_dpm_server_enforce(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE);
	plan *pl = s_plan();
	char want[DSGROUPS_HASH_HEX + 1], held[DSGROUPS_HASH_HEX + 1];
	char *xml_path = platform_path_join(f->dir, "DataSourceGroups.xml");
	engine_options o;
	engine_result r;
	const drift_record *d;
	const reg_value *v;
	host_state *h;
	char *data, *err = NULL;
	size_t len;
	dsgroups_entries e;

	dsheld *kept = dsheld_new();
	size_t parses;

	dsgroups_plan_hash(pl, want);
	s_write(f->host, DPM_HOST);
	s_opts(&o);
	o.held = kept;	/* the file's parse kept between passes */

	/* Without a plan only the registry value is managed. */
	o.dry_run = true;
	s_pass(f->host, p, ROLE_DPM_SERVER, NULL, &o, &r);
	assert_int_equal(r.nrecords, 1);
	assert_null(r.held_hash);
	assert_null(r.held_problem);
	engine_result_release(&r);

	o.dry_run = false;
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	assert_int_equal(r.ncorrected, 2);
	d = s_rec(&r, DPM_PARALLEL_KEY "[" DPM_PARALLEL_VALUE "]");
	assert_non_null(d);
	assert_int_equal(d->role, ROLE_DPM_SERVER);
	assert_string_equal(d->node, "DPM01");
	assert_string_equal(d->expected, "REG_DWORD 1");
	assert_string_equal(d->action, "set value");
	d = s_rec(&r, "DataSourceGroups.xml");
	assert_non_null(d);
	assert_int_equal(d->kind, DRIFT_SERIALIZATION_FILE);
	assert_string_equal(d->expected, want);
	assert_null(d->actual);
	assert_string_equal(d->action, "wrote DataSourceGroups.xml");
	assert_non_null(r.held_hash);
	assert_string_equal(r.held_hash, want);
	engine_result_release(&r);

	h = s_load(f->host);
	v = host_value_get(h, DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE);
	assert_non_null(v);
	assert_int_equal(v->type, REG_T_DWORD);
	assert_int_equal(v->number, 1);
	host_state_free(&h);
	assert_int_equal(platform_read_file(xml_path, PLATFORM_MAX_FILE, &data,
	    &len, &err), 0);
	memset(&e, 0, sizeof e);
	assert_int_equal(dsgroups_parse(data, len, &e, &err), 0);
	assert_int_equal(e.n, 2);
	dsgroups_hash(&e, held);
	assert_string_equal(held, want);
	dsgroups_entries_clear(&e);
	free(data);

	/* Complies now, and reports the hash it holds: the file it wrote,
	 * parsed when idle, is not parsed again. */
	dsheld_prepare(kept);
	parses = dsheld_parses(kept);
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	assert_int_equal(r.nrecords, 0);
	assert_string_equal(r.held_hash, want);
	assert_int_equal(dsheld_parses(kept), parses);
	engine_result_release(&r);

	/* Someone breaks the file: reported as invalid and failed, never
	 * written over (what it holds may be someone's work). */
	s_write(xml_path, "<not xml");
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	assert_int_equal(r.ncorrected, 0);
	assert_int_equal(r.nfailed, 1);
	d = s_rec(&r, "DataSourceGroups.xml");
	assert_non_null(d);
	assert_non_null(d->actual);
	assert_memory_equal(d->actual, "invalid (", 9);
	assert_non_null(strstr(d->error, "not overwritten"));
	assert_null(r.held_hash);
	engine_result_release(&r);
	assert_int_equal(platform_read_file(xml_path, PLATFORM_MAX_FILE, &data,
	    &len, &err), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "<not xml", 8);
	free(data);
	free(xml_path);
	dsheld_free(kept);
	plan_free(&pl);
	policy_free(&p);
}

/* A DPM server of two clusters: one pass writes both parts, and the
 * file's hash it reports is its first part's, the same after the write
 * as on the next pass that finds nothing to do (the daemon reports it
 * in every heartbeat; the two must not alternate). */
static void
test_dpm_server_parts_hash(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE);
	plan *a = s_plan(), *b = s_plan();
	engine_part parts[2] = { { "HV-A", p, a, 1 }, { "HV-B", p, b, 1 } };
	dsmerge_part fp[2];
	char want[2][DSGROUPS_HASH_HEX + 1];
	dsheld *kept = dsheld_new();
	engine_options o;
	engine_result r;
	char *first;

	free(b->groups[0].guests[0].id);
	free(b->groups[0].guests[1].id);
	b->groups[0].guests[0].id = xstrdup(GUID3);
	b->groups[0].guests[1].id =
	    xstrdup("6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e14");
	plan_compute_hash(b);
	parts_file(parts, 2, fp);
	dsmerge_part_hash(&fp[0], want[0]);
	dsmerge_part_hash(&fp[1], want[1]);
	s_write(f->host, DPM_HOST);
	s_opts(&o);
	o.parts = parts;
	o.nparts = 2;
	o.held = kept;

	s_pass(f->host, p, ROLE_DPM_SERVER, NULL, &o, &r);
	assert_true(r.written_set);
	assert_int_equal(r.nheld_parts, 2);
	assert_string_equal(r.held_parts[0], want[0]);
	assert_string_equal(r.held_parts[1], want[1]);
	assert_non_null(r.held_hash);
	assert_string_equal(r.held_hash, want[0]);
	first = xstrdup(r.held_hash);
	engine_result_release(&r);

	dsheld_prepare(kept);
	s_pass(f->host, p, ROLE_DPM_SERVER, NULL, &o, &r);
	assert_int_equal(r.ncorrected + r.nfailed, 0);
	assert_false(r.written_set);
	assert_string_equal(r.held_hash, first);
	assert_string_equal(r.held_parts[1], want[1]);
	engine_result_release(&r);

	free(first);
	dsheld_free(kept);
	plan_free(&a);
	plan_free(&b);
	policy_free(&p);
}

/* A file others write too: their entries stay as they were, the action
 * says so, and the record of what hvpolicy wrote comes back; an entry
 * hvpolicy wrote for a guest that left the plan is taken out. */
static void
test_dpm_server_keeps_foreign(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE);
	plan *pl = s_plan();
	char *xml_path = platform_path_join(f->dir, "DataSourceGroups.xml");
	static const char foreign[] =
	    "  <Group GroupName=\"HV09\" DataSourceName=\"SQL01\" "
	    "WriterId=\"66841cd4-6ded-4f4b-8f17-fd23f8ddc3de\" "
	    "ComponentName=\"aa000000-0000-0000-0000-0000000000a1\" />\n";
	static const char stale[] =
	    "  <Group GroupName=\"CSV-Volume2\" DataSourceName=\"GONE\" "
	    "WriterId=\"66841cd4-6ded-4f4b-8f17-fd23f8ddc3de\" "
	    "ComponentName=\"dd000000-0000-0000-0000-0000000000dd\" />\n";
	char *text = xasprintf("<DatasourceGroup>\n%s%s</DatasourceGroup>\n",
	    foreign, stale), *data;
	dsmerge_record rec = { 0 };
	engine_options o;
	engine_result r;
	const drift_record *d;

	s_write(f->host, DPM_HOST);
	s_write(xml_path, text);
	s_opts(&o);
	dsmerge_record_add(&rec, "dd000000-0000-0000-0000-0000000000dd", "");
	o.written = &rec;

	o.dry_run = true;
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	d = s_rec(&r, "DataSourceGroups.xml");
	assert_non_null(d);
	assert_string_equal(d->action, "would write DataSourceGroups.xml "
	    "(keeping 1 entry hvpolicy does not own)");
	engine_result_release(&r);

	o.dry_run = false;
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	d = s_rec(&r, "DataSourceGroups.xml");
	assert_non_null(d);
	assert_int_equal(d->status, DRIFT_CORRECTED);
	assert_string_equal(d->action, "wrote DataSourceGroups.xml "
	    "(keeping 1 entry hvpolicy does not own)");
	assert_true(r.written_set);
	assert_int_equal(r.written.n, 2);
	engine_result_release(&r);
	data = s_read(xml_path);
	assert_non_null(strstr(data, foreign));
	assert_null(strstr(data, "GONE"));
	assert_non_null(strstr(data, "CSV-Volume1"));
	free(data);

	/* Holds the plan now: nothing to do. */
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	assert_null(s_rec(&r, "DataSourceGroups.xml"));
	engine_result_release(&r);
	dsmerge_record_clear(&rec);
	free(text);
	free(xml_path);
	plan_free(&pl);
	policy_free(&p);
}

static void
test_dpm_server_hardware(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	plan *pl = s_plan();
	engine_options o;
	engine_result r;

	s_write(f->host, DPM_HOST KEY_HELD);
	s_opts(&o);
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	assert_int_equal(r.nrecords, 0);
	assert_null(r.held_hash);	/* no file yet */
	engine_result_release(&r);
	plan_free(&pl);
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
	"      data: [a, 'b c']\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Dword\n" \
	"      type: REG_DWORD\n" \
	"      data: 4294967295\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Qword\n" \
	"      type: REG_QWORD\n" \
	"      data: 0x1122334455667788\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Binary\n" \
	"      type: REG_BINARY\n" \
	"      data: '00ff10'\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n" \
	"      value: Legacy\n" \
	"      ensure: absent\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Old'\n" \
	"      ensure: absent\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Marker'\n"

#define CK "HKLM\\SOFTWARE\\Contoso\\Backup"

static void
test_extra_registry_enforce(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE EXTRA_REGISTRY);
	engine_options o;
	engine_result r;
	host_state *h;
	const reg_value *v;

	s_write(f->host, HOST_HEAD
	    "registry:\n"
	    "  'HKLM\\SOFTWARE\\Contoso\\Backup':\n"
	    "    Sz: {type: REG_SZ, data: 'old'}\n"
	    "    Legacy: {type: REG_DWORD, data: 1}\n"
	    "    Keep: {type: REG_DWORD, data: 2}\n"
	    "  'HKLM\\SOFTWARE\\Contoso\\Old\\Deeper': {}\n");
	s_opts(&o);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.ncorrected, 9);
	assert_string_equal(s_rec(&r, CK "[Sz]")->actual, "REG_SZ \"old\"");
	assert_string_equal(s_rec(&r, CK "[Legacy]")->action, "deleted value");
	assert_string_equal(s_rec(&r, "HKLM\\SOFTWARE\\Contoso\\Old")->action,
	    "deleted key");
	engine_result_release(&r);

	h = s_load(f->host);
	v = host_value_get(h, CK, "Sz");
	assert_int_equal(v->type, REG_T_SZ);
	assert_string_equal(v->text, "22:00-05:00");
	v = host_value_get(h, CK, "Expand");
	assert_int_equal(v->type, REG_T_EXPAND_SZ);
	assert_string_equal(v->text, "%SystemRoot%\\x");
	v = host_value_get(h, CK, "Multi");
	assert_int_equal(v->type, REG_T_MULTI_SZ);
	assert_int_equal(v->list_len, 2);
	assert_string_equal(v->list[1], "b c");
	v = host_value_get(h, CK, "Dword");
	assert_int_equal(v->type, REG_T_DWORD);
	assert_int_equal(v->number, 4294967295u);
	v = host_value_get(h, CK, "Qword");
	assert_int_equal(v->type, REG_T_QWORD);
	assert_true(v->number == 0x1122334455667788ull);
	v = host_value_get(h, CK, "Binary");
	assert_int_equal(v->type, REG_T_BINARY);
	assert_string_equal(v->text, "00ff10");
	assert_null(host_value_get(h, CK, "Legacy"));
	assert_non_null(host_value_get(h, CK, "Keep"));	/* not managed */
	assert_false(host_key_exists(h, "HKLM\\SOFTWARE\\Contoso\\Old"));
	assert_true(host_key_exists(h, "HKLM\\SOFTWARE\\Contoso\\Marker"));
	host_state_free(&h);

	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	assert_int_equal(r.nrecords, 0);
	engine_result_release(&r);
	policy_free(&p);
}

static void
test_migrated_in_guest(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	engine_options o;
	engine_result r;
	host_backend *b;
	char *err = NULL;
	host_state *h;

	s_write(f->host, HOST_HEAD "guests:\n"
	    GUEST("VM0001", GUID1, "VSS: false, "));
	s_opts(&o);
	/* One backend for both passes, as the daemon holds it. */
	b = s_backend(f->host);
	assert_int_equal(engine_run(b, p, ROLE_HYPERV_NODE, NULL, &o, &r,
	    &err), 0);
	assert_int_equal(r.nrecords, 0);
	engine_result_release(&r);

	/* VM0002 arrives by live migration, Backup service on. */
	s_write(f->host, HOST_HEAD "guests:\n"
	    GUEST("VM0001", GUID1, "VSS: false, ")
	    GUEST("VM0002", GUID2, "VSS: true, "));
	assert_int_equal(engine_run(b, p, ROLE_HYPERV_NODE, NULL, &o, &r,
	    &err), 0);
	assert_int_equal(r.nrecords, 1);
	assert_int_equal(r.records[0].status, DRIFT_CORRECTED);
	assert_string_equal(r.records[0].resource, RES_VM2);
	engine_result_release(&r);
	host_backend_free(&b);
	h = s_load(f->host);
	assert_false(s_vss(h, "VM0002"));
	host_state_free(&h);
	policy_free(&p);
}

/* A backend that is the sim backend, except that before each of its
 * first mutator calls "someone else" edits the host file, alternating
 * between two texts. */
static host_ops s_edit_ops;
static const host_ops *s_sim_ops;
static const char *s_edit_path;
static const char *s_edit_text[2];
static int s_edits_left;
static int s_edits_done;

static int
s_editing_set_integration(host_backend *b, const char *guest_id,
    const char *service, bool enabled, char **err)
{
	if (s_edits_left > 0) {
		s_edits_left--;
		s_write(s_edit_path, s_edit_text[s_edits_done++ % 2]);
	}
	return s_sim_ops->set_integration(b, guest_id, service, enabled, err);
}

static void
s_editing(host_backend *b, const char *path, const char *text1,
    const char *text2, int edits)
{
	s_sim_ops = b->ops;
	s_edit_ops = *b->ops;
	s_edit_ops.set_integration = s_editing_set_integration;
	b->ops = &s_edit_ops;
	s_edit_path = path;
	s_edit_text[0] = text1;
	s_edit_text[1] = text2;
	s_edits_left = edits;
	s_edits_done = 0;
}

static void
test_host_changed_during_pass(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	engine_options o;
	engine_result r;
	host_backend *b;
	char *err = NULL;
	host_state *h;
	/* What the other writer leaves: VM0001 switched on, VM0002 came. */
	static const char edited[] = HOST_HEAD "guests:\n"
	    GUEST("VM0001", GUID1, "VSS: true, ")
	    GUEST("VM0002", GUID2, "VSS: true, ");

	s_write(f->host, HOST_HEAD "guests:\n"
	    GUEST("VM0001", GUID1, "VSS: true, "));
	s_opts(&o);
	b = s_backend(f->host);
	s_editing(b, f->host, edited, edited, 1);
	assert_int_equal(engine_run(b, p, ROLE_HYPERV_NODE, NULL, &o, &r,
	    &err), 0);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.ncorrected, 2);
	assert_int_equal(r.nfailed, 0);
	assert_non_null(s_rec(&r, RES_VM1));
	assert_non_null(s_rec(&r, RES_VM2));
	engine_result_release(&r);
	b->ops = s_sim_ops;
	host_backend_free(&b);
	h = s_load(f->host);
	assert_false(s_vss(h, "VM0001"));
	assert_false(s_vss(h, "VM0002"));
	host_state_free(&h);
	policy_free(&p);
}

static void
test_host_keeps_changing(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	engine_options o;
	engine_result r;
	host_backend *b;
	char *err = NULL;
	static const char a[] = HOST_HEAD "guests:\n"
	    GUEST("VM0001", GUID1, "VSS: true, ");
	static const char b2[] = HOST_HEAD "guests:\n"
	    GUEST("VM0001", GUID1, "VSS: true, Shutdown: true, ");

	s_write(f->host, a);
	s_opts(&o);
	o.max_attempts = 2;
	b = s_backend(f->host);
	/* Every attempt is overtaken by another writer. */
	s_editing(b, f->host, b2, a, 10);
	assert_int_equal(engine_run(b, p, ROLE_HYPERV_NODE, NULL, &o, &r,
	    &err), 0);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(s_edits_done, 2);
	assert_int_equal(r.nrecords, 1);
	assert_int_equal(r.nfailed, 1);
	assert_false(r.wrote);
	assert_string_equal(r.records[0].error,
	    "the host kept changing during the pass");
	engine_result_release(&r);
	b->ops = s_sim_ops;
	host_backend_free(&b);
	policy_free(&p);
}

static void
test_observe_fails(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(HARDWARE);
	engine_options o;
	engine_result r;
	host_backend *b;
	char *err = NULL;

	s_write(f->host, HOST_HEAD);
	b = s_backend(f->host);
	assert_int_equal(platform_remove_file(f->host, &err), 0);
	s_opts(&o);
	assert_int_equal(engine_run(b, p, ROLE_HYPERV_NODE, NULL, &o, &r,
	    &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "host.yaml"));
	assert_null(r.records);
	assert_null(r.observed);
	free(err);
	host_backend_free(&b);
	policy_free(&p);
}

/* Writing a file bigger than the size limit fails with EFBIG, also for
 * root, while reading still works. */
static void
s_limit_writes(struct rlimit *saved)
{
	struct rlimit lim;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, saved), 0);
	lim = *saved;
	lim.rlim_cur = 16;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static void
s_unlimit_writes(const struct rlimit *saved)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, saved), 0);
	signal(SIGXFSZ, SIG_DFL);
}

static void
test_unwritable_host_file(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE);
	engine_options o;
	engine_result r;
	struct rlimit saved;
	char *before, *after;

	s_write(f->host, HOST_HEAD NODE_GUESTS);
	before = s_read(f->host);
	s_opts(&o);
	s_limit_writes(&saved);
	s_pass(f->host, p, ROLE_HYPERV_NODE, NULL, &o, &r);
	s_unlimit_writes(&saved);
	/* key, VM0001, TEST01: all or nothing. */
	assert_int_equal(r.nrecords, 3);
	assert_int_equal(r.nfailed, 3);
	assert_int_equal(r.ncorrected, 0);
	assert_false(r.wrote);
	for (size_t i = 0; i < r.nrecords; i++) {
		const drift_record *d = &r.records[i];

		assert_int_equal(d->status, DRIFT_FAILED);
		assert_non_null(d->error);
		assert_non_null(strstr(d->error, "host.yaml"));
		assert_non_null(strstr(d->error, "large"));
		assert_int_equal(d->resolved_at, 0);
		assert_non_null(d->action);
	}
	assert_string_equal(s_rec(&r, DPM_USE_SYSTEM_PROVIDER_KEY)->action,
	    "create key");
	engine_result_release(&r);
	after = s_read(f->host);
	assert_string_equal(before, after);
	free(before);
	free(after);
	policy_free(&p);
}

static void
test_unwritable_dsgroups(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE);
	plan *pl = s_plan();
	engine_options o;
	engine_result r;
	const drift_record *d;
	char *sub = platform_path_join(f->dir, "DataSourceGroups.xml");
	char *err = NULL;

	/* The file's path is taken by a directory: it cannot be replaced.
	 * The registry value is still corrected: the file goes on its own
	 * after the host's changes. */
	assert_int_equal(platform_mkdir_p(sub, false, &err), 0);
	s_write(f->host, DPM_HOST);
	s_opts(&o);
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	assert_int_equal(r.nrecords, 2);
	d = s_rec(&r, "DataSourceGroups.xml");
	assert_non_null(d);
	assert_int_equal(d->status, DRIFT_FAILED);
	assert_non_null(d->error);
	assert_non_null(strstr(d->error, "DataSourceGroups.xml"));
	assert_string_equal(d->action, "write DataSourceGroups.xml");
	d = s_rec(&r, DPM_PARALLEL_KEY "[" DPM_PARALLEL_VALUE "]");
	assert_int_equal(d->status, DRIFT_CORRECTED);
	assert_null(r.held_hash);
	assert_non_null(r.held_problem);
	engine_result_release(&r);
	rmdir(sub);
	free(sub);
	plan_free(&pl);
	policy_free(&p);
}

static void
test_unwritable_dpm_host(void **state)
{
	fixture *f = *state;
	policy *p = s_policy(SYSTEM_SOFTWARE);
	plan *pl = s_plan();
	char *xml_path = platform_path_join(f->dir, "DataSourceGroups.xml");
	engine_options o;
	engine_result r;
	const drift_record *d;
	struct rlimit saved;

	/* The registry value cannot be committed: the file is not written
	 * either, and says why. */
	s_write(f->host, DPM_HOST);
	s_opts(&o);
	s_limit_writes(&saved);
	s_pass(f->host, p, ROLE_DPM_SERVER, pl, &o, &r);
	s_unlimit_writes(&saved);
	assert_int_equal(r.nfailed, 2);
	assert_false(r.wrote);
	d = s_rec(&r, DPM_PARALLEL_KEY "[" DPM_PARALLEL_VALUE "]");
	assert_non_null(strstr(d->error, "host.yaml"));
	d = s_rec(&r, "DataSourceGroups.xml");
	assert_non_null(d->error);
	assert_memory_equal(d->error, "not written: the host's other changes "
	    "failed (cannot write ", 59);
	assert_false(platform_file_exists(xml_path));
	assert_null(r.held_hash);
	engine_result_release(&r);
	free(xml_path);
	plan_free(&pl);
	policy_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_system_software_node_enforce,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_system_software_node_audit,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_and_mode_override,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_hardware_node_enforce,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dpm_server_enforce,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dpm_server_keeps_foreign,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dpm_server_hardware,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_extra_registry_enforce,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_migrated_in_guest,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_host_changed_during_pass,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_host_keeps_changing,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_observe_fails,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_host_file,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dpm_server_parts_hash,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_dsgroups,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_dpm_host,
		    s_setup, s_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
