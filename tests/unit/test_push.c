/*
 * test_push.c: desired state and planning in the controller
 * (controller/push.c, conflicts.c) through a controller without network
 * sockets (ctl_fixture.h): a guest two nodes report during a live
 * migration stays in the plan once and raises no drift; reports that
 * disagree on its disks are inventory drift at once, resolved when one
 * owner remains; the DPM server is sent the plan; the file is never
 * planned without a guest some node still reports.
 */
#include "ctl_fixture.h"

#include <sqlite3.h>

#define ID_X "9f4c3081-5c3e-4d86-a031-5ecd3c6fb144"

static const char *const HV01_X[] = { "VMX:" ID_X ":Volume1",
    "VMA:6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11:Volume1" };
static const char *const HV02_X[] = { "VMX:" ID_X ":Volume1" };
static const char *const HV02_X_MOVED[] = { "VMX:" ID_X ":Volume2" };
static const char *const HV01_NO_X[] = {
    "VMA:6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11:Volume1" };

/* How many times guest id is planned, and in which group. */
static size_t
s_count(const server *s, const char *id, const char **group)
{
	const plan *pl = s->clusters.items[0]->plan;
	size_t n = 0;

	for (size_t g = 0; pl && g < pl->ngroups; g++)
		for (size_t k = 0; k < pl->groups[g].nguests; k++)
			if (strcmp(pl->groups[g].guests[k].id, id) == 0) {
				n++;
				*group = pl->groups[g].name;
			}
	return n;
}

static void
s_inventory(fx *f, fx_peer *p, Hvp__Inventory *inv)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;

	e.body_case = HVP__ENVELOPE__BODY_INVENTORY;
	e.inventory = inv;
	fx_send(f, p, &e);
	wire_inventory_free(&inv);
	push_replan(&f->s);
}

/* DPM01, the policy, HV01 reporting X and another guest, HV02 reporting
 * inv2; planned. Returns DPM01's peer. */
static fx_peer *
s_cluster(fx *f, fx_peer **hv1, fx_peer **hv2, Hvp__Inventory *inv2)
{
	fx_peer *dpm = fx_peer_new(f, "DPM01");

	*hv1 = fx_peer_new(f, "HV01");
	*hv2 = fx_peer_new(f, "HV02");
	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	fx_hello(f, *hv1, "hyperv-node", 1, fx_inventory(HV01_X, 2));
	fx_hello(f, *hv2, "hyperv-node", 1, inv2);
	push_replan(&f->s);
	return dpm;
}

/* The open and the resolved inventory drift records. */
static void
s_inventory_drift(fx *f, size_t *open, size_t *resolved)
{
	drift_record *list = NULL;
	size_t n = 0;
	char *err = NULL;

	*open = *resolved = 0;
	assert_int_equal(store_query_drift(f->s.store, NULL, &list, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		if (list[i].kind != DRIFT_INVENTORY)
			continue;
		*open += list[i].status == DRIFT_OPEN;
		*resolved += list[i].status == DRIFT_RESOLVED;
	}
	store_drift_list_free(&list, n);
}

static void
test_live_migration_is_normal(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;
	uint64_t gen;
	size_t open, resolved;
	Hvp__Envelope *d;
	fx_peer *dpm = s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));

	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	gen = fx_c(f)->plan->generation;
	/* The DPM server is sent the plan (after the revision alone). */
	while ((d = fx_expect(dpm, HVP__ENVELOPE__BODY_DESIRED)) != NULL &&
	    d->desired->plan_generation != gen)
		wire_envelope_free(&d);
	assert_non_null(d);
	assert_non_null(d->desired->plan);
	wire_envelope_free(&d);

	/* The migration in flight: both report it, same disks. */
	s_inventory(f, hv2, fx_inventory(HV02_X, 1));
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	assert_string_equal(group, "CSV-Volume1");
	s_inventory_drift(f, &open, &resolved);
	assert_int_equal(open, 0);
	/* The source lets go: still planned once, under the new owner. */
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	s_inventory_drift(f, &open, &resolved);
	assert_int_equal(open + resolved, 0);
	for (size_t k = 0; k < fx_c(f)->plan->groups[0].nguests; k++)
		if (strcmp(fx_c(f)->plan->groups[0].guests[k].id, ID_X) == 0)
			assert_string_equal(fx_c(f)->plan->groups[0].guests[k].node,
			    "HV02");
}

static void
test_disagreeing_reports_are_drift(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;
	size_t open, resolved;

	s_cluster(f, &hv1, &hv2, fx_inventory(HV02_X_MOVED, 1));
	/* Planned once, on the union of its CSVs. */
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	assert_string_equal(group, "CSV-Volume1+Volume2");
	s_inventory_drift(f, &open, &resolved);
	assert_int_equal(open, 1);
	assert_int_equal(resolved, 0);
	/* One owner remains: resolved, and no new record. */
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));
	s_inventory_drift(f, &open, &resolved);
	assert_int_equal(open, 0);
	assert_int_equal(resolved, 1);
	peer_tick(&f->s);
	s_inventory_drift(f, &open, &resolved);
	assert_int_equal(open + resolved, 1);
}

/* Moves the lingering guests' departure back by ms (monotonic) and
 * seconds (wall clock), as if that much time had passed. */
static void
s_age_linger(fx *f, int64_t ms_heartbeats, int64_t seconds)
{
	for (size_t i = 0; i < f->s.linger.count; i++) {
		f->s.linger.items[i].left_mono -= ms_heartbeats *
		    LINGER_HEARTBEATS * f->s.heartbeat_seconds * 1000;
		f->s.linger.items[i].left_at -= seconds;
	}
}

/* A second connection to the store holding its write lock. */
static sqlite3 *
s_lock_store(fx *f)
{
	char *path = platform_path_join(f->dir, STORE_FILE_NAME);
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	free(path);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE; UPDATE meta SET "
	    "value = value", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

/* The source reports the guest gone before the target reports it (or a
 * restarted controller hears the source first): the guest stays planned
 * meanwhile, and a guest deleted for good leaves the plan after the
 * lingering time. */
static void
test_departed_guest_lingers(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	s_inventory(f, hv2, fx_inventory(HV02_X, 1));
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	/* Deleted on HV02: still planned until the lingering ends. */
	s_inventory(f, hv2, fx_inventory(NULL, 0));
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	linger_tick(&f->s);
	assert_false(f->s.plan_dirty);
	s_age_linger(f, 1, 0);	/* three heartbeats on, every node heard */
	linger_tick(&f->s);
	assert_true(f->s.plan_dirty);
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 0);
}

/* A guest migrated while the controller was down: the source's
 * departure was stored, the target had not reported. After the restart
 * the plan waits for every node's Hello (or three heartbeats), so the
 * DPM server's file never loses the guest meanwhile. */
static void
test_restart_waits_for_every_node(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));	/* lingers */
	fx_stop(f);
	fx_start(f);
	hv1 = fx_peer_new(f, "HV01");
	fx_hello(f, hv1, "hyperv-node", 1, fx_inventory(HV01_NO_X, 1));
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	assert_true(f->s.plan_dirty);
	hv2 = fx_peer_new(f, "HV02");
	fx_hello(f, hv2, "hyperv-node", 1, fx_inventory(HV02_X, 1));
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	assert_false(f->s.plan_dirty);
}

/* The guest left HV01 and the controller was killed before HV02 reported
 * it; after the restart HV01 is back at once, HV02 only much later (a
 * reconnect with back-off): the guest stays planned, also past the
 * plan's wait after the start, until HV02 has been heard. */
static void
test_restart_keeps_departed_guest(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;
	store_lingering *rows = NULL;
	size_t n = 0;
	char *err = NULL;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));	/* lingers */
	fx_stop(f);
	fx_start(f);
	assert_int_equal(f->s.linger.count, 1);
	f->s.started_mono -= 10 * LINGER_HEARTBEATS * 1000;
	s_age_linger(f, 10, 0);
	hv1 = fx_peer_new(f, "HV01");
	fx_hello(f, hv1, "hyperv-node", 1, fx_inventory(HV01_NO_X, 1));
	linger_tick(&f->s);
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	/* HV02 comes back without it: it is gone for good. */
	hv2 = fx_peer_new(f, "HV02");
	fx_hello(f, hv2, "hyperv-node", 1, fx_inventory(NULL, 0));
	linger_tick(&f->s);
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 0);
	assert_int_equal(f->s.linger.count, 0);
	assert_int_equal(store_list_lingering(f->s.store, &rows, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* A lingering guest stored as its whole report (a Guest: the format
 * before KeptGuest) is read back, planned on the CSVs of its paths. */
static void
test_restart_reads_guest_format(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;
	Hvp__Inventory *old = fx_inventory(HV02_X_MOVED, 1);
	store_lingering row = { .id = ID_X, .node = "HV02", .left_at = 1 };
	store *st;
	char *err = NULL;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));	/* lingers */
	fx_stop(f);
	row.left_at = platform_now_ms() / 1000;
	assert_int_equal(wire_encode_message(&old->guests[0]->base, &row.guest,
	    &row.guest_len), 0);
	assert_non_null(st = store_open(f->dir, &err));
	assert_int_equal(store_replace_lingering(st, &row, 1, &err), 0);
	store_free(&st);
	free(row.guest);
	wire_inventory_free(&old);
	fx_start(f);
	assert_int_equal(f->s.linger.count, 1);
	f->s.started_mono -= 10 * LINGER_HEARTBEATS * 1000;
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	assert_string_equal(group, "CSV-Volume2");
}

/* How many node events of name the store holds. */
static int64_t
s_node_events(fx *f, const char *name)
{
	store_event_filter flt = { .type = "node", .node = name };
	int64_t n = -1;
	char *err = NULL;

	assert_int_equal(store_count_events(f->s.store, &flt, &n, &err), 0);
	return n;
}

/* A node comes online while the store is locked by another process: its
 * online event is stored once the store takes writes, not lost. */
static void
test_liveness_stored_later(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2, *hv3;
	sqlite3 *other;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	assert_int_equal(s_node_events(f, "HV03"), 0);
	other = s_lock_store(f);
	hv3 = fx_peer_new(f, "HV03");
	fx_hello(f, hv3, "hyperv-node", 1, fx_inventory(NULL, 0));
	assert_true(sessions_find(&f->s.nodes, "HV03")->online);
	assert_true(sessions_find(&f->s.nodes, "HV03")->liveness_unstored);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	peer_tick(&f->s);	/* the record, then its online event */
	assert_false(sessions_find(&f->s.nodes, "HV03")->liveness_unstored);
	assert_int_equal(s_node_events(f, "HV03"), 1);
}

/* A guest that leaves while a Hyper-V node is offline may have moved
 * there: it stays planned until that node is heard, at most
 * LINGER_MAX_SECONDS. */
static void
test_departed_guest_waits_for_offline_node(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	fx_stop(f);		/* HV02's daemon stops while the controller is down */
	fx_start(f);
	f->s.started_mono -= 10 * LINGER_HEARTBEATS * 1000;
	hv1 = fx_peer_new(f, "HV01");
	fx_hello(f, hv1, "hyperv-node", 1, fx_inventory(HV01_NO_X, 1));
	s_age_linger(f, 2, 0);
	linger_tick(&f->s);
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	s_age_linger(f, 0, LINGER_MAX_SECONDS);
	linger_tick(&f->s);
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 0);
}

/* The store cannot take the lingering guest: the inventory without it is
 * not stored either (a restart would lose the guest), and both are
 * stored, the lingering guest first, once the store takes writes. */
static void
test_unstored_linger_holds_the_inventory(void **state)
{
	fx *f = *state;
	fx_peer *hv1, *hv2;
	const char *group = NULL;
	store_node *rec = NULL;
	store_lingering *rows = NULL;
	size_t n = 0;
	char *err = NULL;
	sqlite3 *other;

	s_cluster(f, &hv1, &hv2, fx_inventory(NULL, 0));
	other = s_lock_store(f);
	s_inventory(f, hv1, fx_inventory(HV01_NO_X, 1));
	assert_false(linger_stored(&f->s));
	assert_true(sessions_find(&f->s.nodes, "HV01")->store_pending);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	/* Still the old inventory in the store: a restart now keeps X. */
	assert_int_equal(store_get_node(f->s.store, "HV01", &rec, &err), 0);
	assert_non_null(rec);
	{
		Hvp__Inventory *inv = hvp__inventory__unpack(NULL,
		    rec->inventory_len, rec->inventory);

		assert_non_null(inv);
		assert_int_equal(inv->n_guests, 2);
		hvp__inventory__free_unpacked(inv, NULL);
	}
	store_node_free(&rec);
	peer_tick(&f->s);	/* the lingering guest first */
	peer_tick(&f->s);	/* then the inventory */
	assert_true(linger_stored(&f->s));
	assert_false(sessions_find(&f->s.nodes, "HV01")->store_pending);
	assert_int_equal(store_list_lingering(f->s.store, &rows, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, ID_X);
	store_lingering_list_free(&rows, n);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
}

/* Offline nodes' guests stay planned: the DPM server's file never loses a
 * guest some node, online or not, still reports. */
static void
test_offline_guests_stay_planned(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01"), *hv1 = fx_peer_new(f, "HV01");
	const char *group = NULL;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	fx_hello(f, hv1, "hyperv-node", 1, fx_inventory(HV01_X, 2));
	push_replan(&f->s);
	sessions_find(&f->s.nodes, "HV01")->online = false;
	f->s.plan_dirty = true;
	push_replan(&f->s);
	assert_int_equal(s_count(&f->s, ID_X, &group), 1);
	assert_false(push_node_converged(&f->s, fx_c(f),
	    sessions_find(&f->s.nodes, "HV01")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_live_migration_is_normal,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_disagreeing_reports_are_drift, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_liveness_stored_later,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restart_reads_guest_format,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_departed_guest_lingers,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_restart_waits_for_every_node, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_restart_keeps_departed_guest, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_departed_guest_waits_for_offline_node, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unstored_linger_holds_the_inventory, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_offline_guests_stay_planned,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
