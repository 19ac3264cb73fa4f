/*
 * test_hoststate.c: the host-state model (common/hoststate.c): registry
 * semantics (existence through subkeys, recursive delete, case-insensitive
 * names), guest lookup and editing, deep copies, and CSV volumes of paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hoststate.h"
#include "xalloc.h"

static reg_value
s_dword(uint64_t n)
{
	reg_value v = { .type = REG_T_DWORD, .number = n };

	return v;
}

static void
s_guest_init(host_guest *g, const char *name, const char *id)
{
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	g->id = xstrdup(id);
	g->state = GUEST_RUNNING;
}

static void
test_key_exists_through_subkeys(void **state)
{
	host_state *h = host_state_new();

	(void)state;
	assert_non_null(host_key_ensure(h, "HKLM\\SOFTWARE\\A\\B"));
	assert_true(host_key_exists(h, "HKLM\\SOFTWARE\\A\\B"));
	assert_true(host_key_exists(h, "HKLM\\SOFTWARE\\A"));
	assert_true(host_key_exists(h, "HKLM\\software"));
	assert_true(host_key_exists(h, "hkey_local_machine\\Software\\a\\b\\"));
	assert_false(host_key_exists(h, "HKLM\\SOFTWARE\\A\\B\\C"));
	/* A prefix that stops inside a name is not a parent key. */
	assert_false(host_key_exists(h, "HKLM\\SOFTWARE\\A\\"
	    "Bee"));
	assert_false(host_key_exists(h, "HKLM\\SOFT"));
	assert_false(host_key_exists(h, "HKCU\\SOFTWARE\\A"));
	/* Only the held key is found, not its parents. */
	assert_null(host_key_find(h, "HKLM\\SOFTWARE\\A"));
	assert_non_null(host_key_find(h, "HKEY_LOCAL_MACHINE\\software\\a\\B"));
	host_state_free(&h);
	assert_null(h);
	host_state_free(&h);
}

static void
test_key_ensure_keeps_first_spelling(void **state)
{
	host_state *h = host_state_new();
	host_regkey *a, *b;

	(void)state;
	a = host_key_ensure(h, "HKEY_LOCAL_MACHINE\\Software\\Contoso\\\\X\\");
	assert_non_null(a);
	assert_string_equal(a->path, "HKLM\\Software\\Contoso\\X");
	b = host_key_ensure(h, "hklm\\SOFTWARE\\CONTOSO\\x");
	assert_ptr_equal(a, b);
	assert_int_equal(h->nkeys, 1);
	assert_string_equal(b->path, "HKLM\\Software\\Contoso\\X");
	/* Not a key path: nothing is created. */
	assert_null(host_key_ensure(h, "Software\\X"));
	assert_null(host_key_ensure(h, "HKLM\\"));
	assert_null(host_key_find(h, "nonsense"));
	assert_int_equal(h->nkeys, 1);
	host_state_free(&h);
}

static void
test_key_delete_recursive(void **state)
{
	host_state *h = host_state_new();

	(void)state;
	host_key_ensure(h, "HKLM\\S\\A");
	host_key_ensure(h, "HKLM\\S\\A\\B");
	host_key_ensure(h, "HKLM\\S\\X");
	host_key_ensure(h, "HKLM\\S\\a\\B\\C");
	host_key_ensure(h, "HKLM\\S\\AB");
	assert_int_equal(h->nkeys, 5);
	assert_int_equal(host_key_delete(h, "hklm\\s\\a"), 3);
	assert_int_equal(h->nkeys, 2);
	assert_false(host_key_exists(h, "HKLM\\S\\A"));
	assert_true(host_key_exists(h, "HKLM\\S\\AB"));
	assert_true(host_key_exists(h, "HKLM\\S\\X"));
	/* Order of the others is kept. */
	assert_string_equal(h->keys[0].path, "HKLM\\S\\X");
	assert_string_equal(h->keys[1].path, "HKLM\\S\\AB");
	assert_int_equal(host_key_delete(h, "HKLM\\S\\A"), 0);
	/* Deleting a parent that is not itself held removes its subkeys. */
	assert_int_equal(host_key_delete(h, "HKLM\\S"), 2);
	assert_int_equal(h->nkeys, 0);
	assert_int_equal(host_key_delete(h, "garbage"), 0);
	host_state_free(&h);
}

static void
test_values(void **state)
{
	host_state *h = host_state_new();
	reg_value v = s_dword(1), w = { 0 };
	const reg_value *got;
	host_regkey *k;

	(void)state;
	assert_null(host_value_get(h, "HKLM\\K", "Microsoft Hyper-V"));
	/* Setting a value creates its key. */
	host_value_set(h, "HKEY_LOCAL_MACHINE\\K", "Microsoft Hyper-V", &v);
	assert_true(host_key_exists(h, "HKLM\\K"));
	got = host_value_get(h, "hklm\\k", "MICROSOFT HYPER-V");
	assert_non_null(got);
	assert_int_equal(got->type, REG_T_DWORD);
	assert_int_equal(got->number, 1);
	/* Overwriting with another spelling keeps the first name. */
	w.type = REG_T_SZ;
	w.text = xstrdup("two");
	host_value_set(h, "HKLM\\K", "microsoft hyper-v", &w);
	k = host_key_find(h, "HKLM\\K");
	assert_int_equal(k->nvalues, 1);
	assert_string_equal(k->values[0].name, "Microsoft Hyper-V");
	got = host_value_get(h, "HKLM\\K", "Microsoft Hyper-V");
	assert_int_equal(got->type, REG_T_SZ);
	assert_string_equal(got->text, "two");
	/* The stored value is a copy. */
	reg_value_clear(&w);
	assert_string_equal(got->text, "two");
	host_value_set(h, "HKLM\\K", "Other", &v);
	assert_int_equal(k->nvalues, 2);
	assert_false(host_value_delete(h, "HKLM\\K", "Missing"));
	assert_false(host_value_delete(h, "HKLM\\Nope", "Other"));
	assert_true(host_value_delete(h, "hklm\\k", "MICROSOFT hyper-v"));
	assert_int_equal(k->nvalues, 1);
	assert_string_equal(k->values[0].name, "Other");
	assert_null(host_value_get(h, "HKLM\\K", "Microsoft Hyper-V"));
	/* Deleting the key takes its values with it. */
	assert_int_equal(host_key_delete(h, "HKLM\\K"), 1);
	assert_null(host_value_get(h, "HKLM\\K", "Other"));
	host_state_free(&h);
}

static void
test_guests(void **state)
{
	host_state *h = host_state_new();
	host_guest g, *a, *b;

	(void)state;
	s_guest_init(&g, "VM0001", "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11");
	host_guest_set_service(&g, "VSS", true);
	a = host_guest_add(h, &g);
	/* The added guest is a deep copy. */
	host_guest_set_service(&g, "vss", false);
	assert_true(host_guest_service(a, "VSS")->enabled);
	host_guest_clear(&g);
	assert_null(g.name);

	s_guest_init(&g, "VM0002", "0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b");
	b = host_guest_add(h, &g);
	host_guest_clear(&g);
	a = &h->guests[0];
	assert_int_equal(h->nguests, 2);
	assert_ptr_equal(host_guest_find(h, "vm0001"), a);
	assert_ptr_equal(host_guest_find(h, "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11"),
	    a);
	assert_ptr_equal(host_guest_find(h,
	    "{0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b}"), b);
	assert_null(host_guest_find(h, "VM0003"));
	assert_null(host_guest_find(h, "6c1f0d5e"));

	/* Services: case-insensitive, added when missing. */
	assert_null(host_guest_service(b, "Heartbeat"));
	host_guest_set_service(b, "Heartbeat", false);
	host_guest_set_service(b, "HEARTBEAT", true);
	assert_int_equal(b->nservices, 1);
	assert_string_equal(b->services[0].name, "Heartbeat");
	assert_true(host_guest_service(b, "heartbeat")->enabled);

	/* Adding a guest with an id already present replaces it. */
	s_guest_init(&g, "VM0001-renamed", "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11");
	a = host_guest_add(h, &g);
	host_guest_clear(&g);
	assert_int_equal(h->nguests, 2);
	assert_ptr_equal(a, &h->guests[0]);
	assert_string_equal(a->name, "VM0001-renamed");
	assert_null(host_guest_service(a, "VSS"));

	/* Adding a guest of the same state to itself is safe. */
	a = host_guest_add(h, &h->guests[1]);
	assert_int_equal(h->nguests, 2);
	assert_string_equal(a->name, "VM0002");

	assert_true(host_guest_remove(h, "vm0001-RENAMED"));
	assert_false(host_guest_remove(h, "VM0001-renamed"));
	assert_int_equal(h->nguests, 1);
	assert_string_equal(h->guests[0].name, "VM0002");
	assert_true(host_guest_remove(h, "0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b"));
	assert_int_equal(h->nguests, 0);
	host_state_free(&h);
}

static void
test_dup_is_deep(void **state)
{
	host_state *h = host_state_new(), *c;
	reg_value v = { 0 };
	host_guest g;
	char *list[] = { "a", "b" };

	(void)state;
	h->node = xstrdup("HV01");
	h->cluster = xstrdup("C1");
	h->role = ROLE_DPM_SERVER;
	v.type = REG_T_MULTI_SZ;
	v.list = list;
	v.list_len = 2;
	host_value_set(h, "HKLM\\K", "L", &v);
	h->providers = xcalloc(1, sizeof *h->providers);
	h->nproviders = 1;
	h->providers[0].id = xstrdup("{b5946137-7b9f-4925-af80-51abd60b20d5}");
	h->providers[0].name = xstrdup("sys");
	h->providers[0].type = PROVIDER_SYSTEM;
	h->providers[0].autorecovery = true;
	h->agent_log = xstrdup("log");
	h->csvs = xcalloc(1, sizeof *h->csvs);
	h->csvs[0] = xstrdup("Volume1");
	h->ncsvs = 1;
	s_guest_init(&g, "VM", "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11");
	g.paths = xcalloc(1, sizeof *g.paths);
	g.paths[0] = xstrdup("C:\\ClusterStorage\\Volume1\\VM\\a.vhdx");
	g.npaths = 1;
	host_guest_set_service(&g, "VSS", true);
	host_guest_add(h, &g);
	host_guest_clear(&g);
	h->data_source_groups = xstrdup("DataSourceGroups.xml");

	c = host_state_dup(h);
	assert_non_null(c);
	assert_string_equal(c->node, "HV01");
	assert_int_equal(c->role, ROLE_DPM_SERVER);
	assert_ptr_not_equal(c->keys, h->keys);
	assert_string_equal(host_value_get(c, "HKLM\\K", "l")->list[1], "b");
	assert_string_equal(c->providers[0].name, "sys");
	assert_null(c->providers[0].version);
	assert_string_equal(c->csvs[0], "Volume1");
	assert_string_equal(c->guests[0].paths[0],
	    "C:\\ClusterStorage\\Volume1\\VM\\a.vhdx");
	assert_string_equal(c->data_source_groups, "DataSourceGroups.xml");
	/* Edits to the copy do not reach the original. */
	host_guest_set_service(&c->guests[0], "VSS", false);
	host_key_delete(c, "HKLM\\K");
	assert_true(host_guest_service(&h->guests[0], "VSS")->enabled);
	assert_true(host_key_exists(h, "HKLM\\K"));
	host_state_free(&h);
	/* The copy outlives the original. */
	assert_string_equal(c->guests[0].name, "VM");
	host_state_free(&c);
	assert_null(host_state_dup(NULL));
}

static void
test_csv_volume_of_path(void **state)
{
	static const struct {
		const char *path;
		const char *volume;	/* NULL: not on a CSV */
	} cases[] = {
		{ "C:\\ClusterStorage\\Volume1\\VM\\a.vhdx", "Volume1" },
		{ "c:\\clusterstorage\\Volume2\\x", "Volume2" },
		{ "C:\\CLUSTERSTORAGE\\MyVol\\x", "MyVol" },
		{ "C:/ClusterStorage/Volume3/VM/b.vhdx", "Volume3" },
		{ "C:\\ClusterStorage\\Volume1\\", NULL },
		{ "C:\\ClusterStorage\\Volume1\\\\", NULL },
		{ "C:\\ClusterStorage\\Volume1", NULL },
		{ "C:\\ClusterStorage\\", NULL },
		{ "C:\\ClusterStorage", NULL },
		{ "C:\\ClusterStorage\\\\x", NULL },
		{ "C:\\ClusterStorageX\\Volume1\\x", NULL },
		{ "D:\\ClusterStorage\\Volume1\\x", NULL },
		{ "C:\\VMs\\VM\\a.vhdx", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *v = csv_volume_of_path(cases[i].path);

		if (cases[i].volume == NULL) {
			if (v != NULL)
				fail_msg("%s: expected no volume, got %s",
				    cases[i].path, v);
		} else {
			if (v == NULL)
				fail_msg("%s: expected %s, got none",
				    cases[i].path, cases[i].volume);
			assert_string_equal(v, cases[i].volume);
		}
		free(v);
	}
	assert_null(csv_volume_of_path(NULL));
}

static void
test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(GUEST_STATE_NAMES[GUEST_RUNNING], "running");
	assert_string_equal(GUEST_STATE_NAMES[GUEST_OFF], "off");
	assert_string_equal(GUEST_STATE_NAMES[GUEST_SAVED], "saved");
	assert_string_equal(GUEST_STATE_NAMES[GUEST_PAUSED], "paused");
	assert_null(GUEST_STATE_NAMES[GUEST_PAUSED + 1]);
	assert_string_equal(PROVIDER_TYPE_NAMES[PROVIDER_SYSTEM], "system");
	assert_string_equal(PROVIDER_TYPE_NAMES[PROVIDER_SOFTWARE], "software");
	assert_string_equal(PROVIDER_TYPE_NAMES[PROVIDER_HARDWARE], "hardware");
	assert_null(PROVIDER_TYPE_NAMES[PROVIDER_HARDWARE + 1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_exists_through_subkeys),
		cmocka_unit_test(test_key_ensure_keeps_first_spelling),
		cmocka_unit_test(test_key_delete_recursive),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_guests),
		cmocka_unit_test(test_dup_is_deep),
		cmocka_unit_test(test_csv_volume_of_path),
		cmocka_unit_test(test_enum_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
