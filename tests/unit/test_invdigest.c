/*
 * test_invdigest.c: the controller's digest of an inventory
 * (controller/invdigest.c): every guest with its CSV volumes, the reason
 * the file cannot carry it, its Backup integration service; the snapshot
 * facts diagnose reads; an encoded inventory that does not decode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "invdigest.h"
#include "planner.h"
#include "policy.h"
#include "wire.h"
#include "xalloc.h"

#define ID_A "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11"
#define ID_B "9f4c3081-5c3e-4d86-a031-5ecd3c6fb144"
#define CSV "C:\\ClusterStorage\\"

static Hvp__Guest *
s_guest(const char *name, const char *id, const char *const *paths,
    size_t npaths, int vss)
{
	Hvp__Guest *g = xmalloc(sizeof *g);

	hvp__guest__init(g);
	g->name = xstrdup(name);
	g->id = xstrdup(id);
	g->paths = xcalloc(npaths + 1, sizeof *g->paths);
	for (size_t i = 0; i < npaths; i++)
		g->paths[i] = xstrdup(paths[i]);
	g->n_paths = npaths;
	if (vss >= 0) {
		Hvp__Service *sv = xmalloc(sizeof *sv);

		hvp__service__init(sv);
		sv->name = xstrdup(INTEGRATION_BACKUP);
		sv->enabled = vss != 0;
		g->services = xcalloc(1, sizeof *g->services);
		g->services[0] = sv;
		g->n_services = 1;
	}
	return g;
}

static Hvp__Inventory *
s_inventory(void)
{
	static const char *const a[] = { CSV "Volume1\\A\\A.vmcx",
	    CSV "Volume2\\A\\d.vhdx", CSV "Volume1\\A\\e.vhdx" };
	static const char *const b[] = { CSV "Volume2\\B\\B.vmcx" };
	static const char *const c[] = { "D:\\VMs\\C\\C.vmcx" };
	static const char *const d[] = { CSV "Volume1\\D\\D\x1b.vmcx" };
	Hvp__Inventory *inv = xmalloc(sizeof *inv);

	hvp__inventory__init(inv);
	inv->guests = xcalloc(4, sizeof *inv->guests);
	inv->guests[0] = s_guest("A", ID_A, a, 3, 1);
	inv->guests[1] = s_guest("B", "{" ID_B "}", b, 1, 0);
	inv->guests[2] = s_guest("C", "", c, 1, -1);
	inv->guests[3] = s_guest("D", ID_B, d, 1, -1);
	inv->n_guests = 4;
	inv->has_system_provider_key = true;
	return inv;
}

static void
test_guests(void **state)
{
	Hvp__Inventory *inv = s_inventory();
	invdigest *d = invdigest_new(inv);
	const invdigest_guest *g;
	const char *vol[3];

	(void)state;
	assert_int_equal(d->nguests, 4);
	assert_true(d->has_system_provider_key);
	assert_null(d->snapshot.provider_id);
	g = &d->guests[0];
	assert_string_equal(invdigest_name(d, g), "A");
	assert_string_equal(invdigest_id(d, g), ID_A);
	assert_int_equal(g->nvolumes, 2);	/* Volume1 once */
	invdigest_volumes(d, g, vol);
	assert_string_equal(vol[0], "Volume1");
	assert_string_equal(vol[1], "Volume2");
	assert_null(invdigest_unplannable(d, g));
	assert_true(g->backup_service);
	g = &d->guests[1];
	assert_string_equal(invdigest_id(d, g), "{" ID_B "}");	/* as reported */
	assert_false(g->backup_service);
	/* One copy of each volume for the whole node. */
	invdigest_volumes(d, g, &vol[2]);
	assert_ptr_equal(vol[2], vol[1]);
	assert_int_equal(d->nvolumes, 2);
	assert_int_equal(d->nvolume_refs, 4);	/* D on Volume1 too */
	g = &d->guests[2];
	assert_string_equal(invdigest_id(d, g), "");
	assert_int_equal(g->nvolumes, 0);
	assert_true(g->backup_service);		/* Hyper-V's default */
	g = &d->guests[3];
	assert_non_null(invdigest_unplannable(d, g));
	assert_non_null(strstr(invdigest_unplannable(d, g), "path 1"));
	invdigest_free(&d);
	assert_null(d);
	wire_inventory_free(&inv);
}

static void
test_snapshot(void **state)
{
	Hvp__Inventory *inv = s_inventory();
	Hvp__Snapshot snap = HVP__SNAPSHOT__INIT;
	Hvp__Provider prov = HVP__PROVIDER__INIT, *provs[] = { &prov };
	invdigest *d;

	(void)state;
	snap.provider_id = "{ABC}";
	snap.line = "the line";
	snap.hardware = true;
	prov.id = "{abc}";
	prov.name = "Vendor HW";
	prov.type = "hardware";
	inv->last_snapshot = &snap;
	inv->providers = provs;
	inv->n_providers = 1;
	d = invdigest_new(inv);
	assert_string_equal(d->snapshot.provider_id, "{ABC}");
	assert_string_equal(d->snapshot.line, "the line");
	assert_true(d->snapshot.hardware);
	assert_true(d->snapshot.provider_known);
	assert_string_equal(d->snapshot.provider_name, "Vendor HW");
	assert_string_equal(d->snapshot.provider_type, "hardware");
	assert_false(d->snapshot.provider_autorecovery);
	invdigest_free(&d);
	inv->last_snapshot = NULL;
	inv->providers = NULL;
	inv->n_providers = 0;
	wire_inventory_free(&inv);
}

/* An encoded inventory digests as the message does; garbage gives NULL. */
static void
test_encoded(void **state)
{
	Hvp__Inventory *inv = s_inventory();
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff };
	uint8_t *buf;
	size_t len;
	invdigest *d;
	const char *vol[1];

	(void)state;
	assert_int_equal(wire_encode_message(&inv->base, &buf, &len), 0);
	d = invdigest_new_encoded(buf, len);
	assert_non_null(d);
	assert_int_equal(d->nguests, 4);
	invdigest_volumes(d, &d->guests[1], vol);
	assert_string_equal(vol[0], "Volume2");
	invdigest_free(&d);
	assert_null(invdigest_new_encoded(junk, sizeof junk));
	free(buf);
	wire_inventory_free(&inv);
}

/* No guests at all. */
static void
test_empty(void **state)
{
	Hvp__Inventory inv = HVP__INVENTORY__INIT;
	invdigest *d = invdigest_new(&inv);

	(void)state;
	assert_int_equal(d->nguests, 0);
	invdigest_free(&d);
	invdigest_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guests),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_encoded),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
