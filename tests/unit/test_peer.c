/*
 * test_peer.c: the controller's node sessions (controller/peer.c) through
 * a controller without network sockets (ctl_fixture.h): a Hello never
 * erases the stored inventory and a restarted controller plans from every
 * node's guests; an inventory the controller lacks is asked for; drift is
 * taken only in order; a session follows its key, not a routing id; a
 * node holding a revision the store never had raises the floor and is not
 * rolled back; drift carries the controller's receivedAt.
 */
#include "ctl_fixture.h"

static const char *const HV01_GUESTS[] = {
	"VM0001:6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11:Volume1",
	"VM0002:0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b:Volume2",
};
static const char *const HV02_GUESTS[] = {
	"VM0003:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d:Volume1",
};

static size_t
s_planned(const server *s)
{
	const plan *pl = s->clusters.items[0]->plan;
	size_t n = 0;

	for (size_t g = 0; pl && g < pl->ngroups; g++)
		n += pl->groups[g].nguests;
	return n;
}

static void
s_heartbeat(fx *f, fx_peer *p, const char *inventory_hash)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Heartbeat h = HVP__HEARTBEAT__INIT;

	h.revision = fx_c(f)->revision;
	h.converged = true;
	h.inventory_hash = (char *)inventory_hash;
	e.body_case = HVP__ENVELOPE__BODY_HEARTBEAT;
	e.heartbeat = &h;
	fx_send(f, p, &e);
}

/* The reported failure: a node restarts (its Hello), then the controller
 * restarts; the plan must still hold every node's guests. */
static void
test_restart_keeps_every_guest(void **state)
{
	fx *f = *state;
	fx_peer *hv1 = fx_peer_new(f, "HV01"), *hv2 = fx_peer_new(f, "HV02");
	fx_peer *dpm = fx_peer_new(f, "DPM01");
	Hvp__Inventory *inv1 = fx_inventory(HV01_GUESTS, 2);
	char *hash1 = xstrdup(inv1->hash);
	Hvp__Envelope *w;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	fx_hello(f, hv1, "hyperv-node", 0, inv1);
	fx_hello(f, hv2, "hyperv-node", 0, fx_inventory(HV02_GUESTS, 1));
	push_replan(&f->s);
	assert_int_equal(s_planned(&f->s), 3);

	/* HV01's daemon restarts: its Hello carries no inventory yet. */
	fx_hello(f, hv1, "hyperv-node", 1, NULL);
	push_replan(&f->s);
	assert_int_equal(s_planned(&f->s), 3);

	/* The controller restarts. */
	fx_stop(f);
	fx_start(f);
	push_replan(&f->s);
	assert_int_equal(s_planned(&f->s), 3);

	/* A Hello without inventory to the restarted controller: kept, and
	 * the Welcome does not ask (the stored copy has its hash). */
	hv1 = fx_peer_new(f, "HV01");
	fx_hello(f, hv1, "hyperv-node", 1, NULL);
	w = fx_expect(hv1, HVP__ENVELOPE__BODY_WELCOME);
	assert_non_null(w);
	assert_false(w->welcome->want_inventory);
	wire_envelope_free(&w);
	push_replan(&f->s);
	assert_int_equal(s_planned(&f->s), 3);
	s_heartbeat(f, hv1, hash1);
	w = fx_expect(hv1, HVP__ENVELOPE__BODY_HEARTBEAT_REPLY);
	assert_non_null(w);
	assert_false(w->heartbeat_reply->want_inventory);
	wire_envelope_free(&w);
	free(hash1);
}

/* A heartbeat announcing an inventory the controller does not hold gets
 * it asked for. */
static void
test_unknown_inventory_asked_for(void **state)
{
	fx *f = *state;
	fx_peer *hv1 = fx_peer_new(f, "HV01");
	Hvp__Envelope *w;

	fx_hello(f, hv1, "hyperv-node", 0, NULL);
	w = fx_expect(hv1, HVP__ENVELOPE__BODY_WELCOME);
	assert_non_null(w);
	assert_true(w->welcome->want_inventory);
	wire_envelope_free(&w);
	s_heartbeat(f, hv1, "00ff");
	w = fx_expect(hv1, HVP__ENVELOPE__BODY_HEARTBEAT_REPLY);
	assert_non_null(w);
	assert_true(w->heartbeat_reply->want_inventory);
	wire_envelope_free(&w);
}

static Hvp__Drift *
s_drift(uint64_t seq, const char *id)
{
	Hvp__Drift *d = xmalloc(sizeof *d);

	hvp__drift__init(d);
	d->seq = seq;
	d->id = xstrdup(id);
	d->cluster = xstrdup(FX_CLUSTER);
	d->node = xstrdup("HV01");
	d->role = xstrdup("hyperv-node");
	d->kind = xstrdup("registry");
	d->resource = xstrdup(id);
	d->mode = xstrdup("enforce");
	d->status = xstrdup("open");
	d->detected_at = 100;	/* a node clock far in the past */
	d->action = xstrdup("");
	d->error = xstrdup("");
	return d;
}

/* Sends records first..last following `after`; returns the DriftAck. */
static Hvp__Envelope *
s_batch(fx *f, fx_peer *p, uint64_t after, uint64_t first, uint64_t last)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__DriftBatch b = HVP__DRIFT_BATCH__INIT;
	char id[32];

	b.n_records = last - first + 1;
	b.records = xcalloc(b.n_records, sizeof *b.records);
	for (uint64_t s = first; s <= last; s++) {
		snprintf(id, sizeof id, "d%llu", (unsigned long long)s);
		b.records[s - first] = s_drift(s, id);
	}
	b.after = after;
	b.has_after = true;
	e.body_case = HVP__ENVELOPE__BODY_DRIFT_BATCH;
	e.drift_batch = &b;
	fx_send(f, p, &e);
	for (size_t i = 0; i < b.n_records; i++)
		hvp__drift__free_unpacked(b.records[i], NULL);
	free(b.records);
	return fx_expect(p, HVP__ENVELOPE__BODY_DRIFT_ACK);
}

static size_t
s_stored(fx *f)
{
	drift_record *list = NULL;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_query_drift(f->s.store, NULL, &list, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(list[i].received_at > 100);
	store_drift_list_free(&list, n);
	return n;
}

/* A batch that follows records the store never got (the batch before it
 * was lost) is refused with a resend; nothing is skipped. */
static void
test_drift_only_in_order(void **state)
{
	fx *f = *state;
	fx_peer *hv1 = fx_peer_new(f, "HV01");
	Hvp__Envelope *a;

	fx_hello(f, hv1, "hyperv-node", 0, NULL);
	fx_drain(hv1);
	a = s_batch(f, hv1, 0, 1, 2);
	assert_non_null(a);
	assert_int_equal(a->drift_ack->upto, 2);
	assert_false(a->drift_ack->resend);
	wire_envelope_free(&a);

	/* 3..5 were lost on the way; 6..7 arrive. */
	a = s_batch(f, hv1, 5, 6, 7);
	assert_non_null(a);
	assert_int_equal(a->drift_ack->upto, 2);
	assert_true(a->drift_ack->resend);
	wire_envelope_free(&a);
	assert_int_equal(s_stored(f), 2);

	/* The node sends again from 3. */
	a = s_batch(f, hv1, 2, 3, 7);
	assert_non_null(a);
	assert_int_equal(a->drift_ack->upto, 7);
	assert_false(a->drift_ack->resend);
	wire_envelope_free(&a);
	assert_int_equal(s_stored(f), 7);
}

/* Replies go to the connection the key last spoke on: a reconnect takes
 * the session over at once. */
static void
test_session_follows_key(void **state)
{
	fx *f = *state;
	fx_peer *old = fx_peer_new(f, "HV01"), *new = fx_peer_new(f, "HV01");
	Hvp__Envelope *w;

	fx_hello(f, old, "hyperv-node", 0, NULL);
	w = fx_expect(old, HVP__ENVELOPE__BODY_WELCOME);
	assert_non_null(w);
	wire_envelope_free(&w);
	s_heartbeat(f, new, "");
	w = fx_expect(new, HVP__ENVELOPE__BODY_HEARTBEAT_REPLY);
	assert_non_null(w);
	wire_envelope_free(&w);
	s_heartbeat(f, old, "");
	w = fx_expect(old, HVP__ENVELOPE__BODY_HEARTBEAT_REPLY);
	assert_non_null(w);
	wire_envelope_free(&w);
	assert_null(fx_expect(new, HVP__ENVELOPE__BODY_HEARTBEAT_REPLY));
}

/* A node that holds revision 7 meets a store whose newest is 1 (an older
 * store file restored): the node is not sent revision 1, and the next
 * apply is revision 8. */
static void
test_revision_never_reused(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01"), *hv1 = fx_peer_new(f, "HV01");

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	assert_int_equal(fx_c(f)->revision, 1);
	fx_hello(f, hv1, "hyperv-node", 7, NULL);
	assert_null(fx_expect(hv1, HVP__ENVELOPE__BODY_DESIRED));
	assert_int_equal(fx_c(f)->revision_floor, 7);
	assert_int_equal(fx_apply(f, FX_POLICY("dpm01"), false), 0);
	assert_int_equal(fx_c(f)->revision, 8);

	/* And the floor survives a restart. */
	fx_stop(f);
	fx_start(f);
	assert_int_equal(fx_c(f)->revision_floor, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restart_keeps_every_guest,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_inventory_asked_for,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_drift_only_in_order,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_follows_key,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_revision_never_reused,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
