/*
 * test_control.c: admin requests (controller/control.c, progress.c,
 * dryrun.c, render.c) through a controller without network sockets
 * (ctl_fixture.h): status tells converged from compliant and never calls
 * an offline node converged; a dpmServer that names no known DPM server
 * is refused without --force and shown as unmanaged; progress answers at
 * once when there is news and holds the answer otherwise; audit mode
 * converges; plan shows the policy's line diff and the DPM file's change;
 * events lists the stream and holds a follower until an event exists;
 * requireChangeId refuses an apply without a change id.
 */
#include "ctl_fixture.h"

#include "dryrun.h"
#include "events.h"
#include "progress.h"

static const char *const GUESTS[] = {
	"VM0001:6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11:Volume1",
};

static Hvp__AdminReply *
s_verb(fx *f, const char *verb, const char *format)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;

	q.verb = (char *)verb;
	q.format = (char *)format;
	return fx_admin(f, &q);
}

/* The node acknowledges revision rev, converged or not, with open drift. */
static void
s_ack(fx *f, fx_peer *p, int64_t rev, bool converged, uint32_t open)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Ack a = HVP__ACK__INIT;

	a.revision = rev;
	a.converged = converged;
	a.open_drift = open;
	e.body_case = HVP__ENVELOPE__BODY_ACK;
	e.ack = &a;
	fx_send(f, p, &e);
}

static void
test_status_converged_and_compliant(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01"), *hv1 = fx_peer_new(f, "HV01");
	fx_peer *hv2 = fx_peer_new(f, "HV02");
	Hvp__AdminReply *r;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01") "  mode: audit\n",
	    false), 0);
	fx_hello(f, hv1, "hyperv-node", 0, fx_inventory(GUESTS, 1));
	fx_hello(f, hv2, "hyperv-node", 0, NULL);
	/* Audit mode: HV01 has done its pass (converged) but reports drift
	 * the store holds open (not compliant); HV02 goes offline. */
	s_ack(f, hv1, 1, true, 1);
	s_ack(f, hv2, 1, true, 0);
	{
		drift_record rec = { 0 };
		char *err = NULL;

		rec.id = (char *)"open1";
		rec.node = (char *)"HV01";
		rec.resource = (char *)"guest VM0001/VSS";
		rec.status = DRIFT_OPEN;
		rec.detected_at = 1;
		assert_int_equal(store_put_drift(f->s.store, &rec, &err), 0);
	}
	sessions_find(&f->s.nodes, "HV02")->online = false;
	r = s_verb(f, "status", "json");
	assert_non_null(r);
	assert_non_null(strstr(r->body, "\"name\": \"HV01\""));
	assert_non_null(strstr(strstr(r->body, "\"name\": \"HV01\""),
	    "\"converged\": true,\n      \"compliant\": false"));
	assert_non_null(strstr(strstr(r->body, "\"name\": \"HV02\""),
	    "\"converged\": false,\n      \"compliant\": true"));
	wire_admin_reply_free(&r);
	r = s_verb(f, "status", "table");
	assert_non_null(r);
	assert_non_null(strstr(r->body, "nodes converged, 2 compliant"));
	wire_admin_reply_free(&r);
}

static void
test_unknown_dpm_server(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01");
	Hvp__AdminReply *r;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM1"), false), 1);
	assert_int_equal(fx_c(f)->revision, 0);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM1"), true), 0);
	assert_int_equal(fx_c(f)->revision, 1);
	fx_c(f)->plan = plan_new();
	r = s_verb(f, "status", "table");
	assert_non_null(r);
	assert_non_null(strstr(r->body, "serialization: UNMANAGED: "
	    "spec.serialization.dpmServer: DPM1 names no known DPM server "
	    "(known: DPM01)"));
	wire_admin_reply_free(&r);
	/* Case does not matter, as for Windows host names. */
	assert_int_equal(fx_apply(f, FX_POLICY("dpm01"), false), 0);
}

static Hvp__AdminReply *
s_progress(fx *f, bool long_poll, uint32_t seen)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;

	q.verb = (char *)"progress";
	q.revision = fx_c(f)->revision;
	q.long_poll = long_poll;
	q.seen_converged = seen;
	return fx_admin(f, &q);
}

static void
test_progress_held_until_news(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01"), *hv1 = fx_peer_new(f, "HV01");
	fx_peer *hv2 = fx_peer_new(f, "HV02");
	Hvp__AdminReply *r;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	fx_hello(f, hv1, "hyperv-node", 0, NULL);
	fx_hello(f, hv2, "hyperv-node", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	s_ack(f, dpm, 1, true, 0);
	r = s_progress(f, false, 0);
	assert_non_null(r);
	assert_int_equal(r->converged, 1);
	assert_int_equal(r->total, 3);
	wire_admin_reply_free(&r);
	/* Nothing new: the answer is held. */
	assert_null(s_progress(f, true, 1));
	/* HV01 converges: the held answer goes out on the next tick. */
	s_ack(f, hv1, 1, true, 0);
	progress_tick(&f->s);
	{
		zmq_pollitem_t it = { f->cli, 0, ZMQ_POLLIN, 0 };

		assert_int_equal(zmq_poll(&it, 1, 1000), 1);
	}
	fx_stop(f);
	fx_start(f);
	/* An offline node is named, not waited for. */
	sessions_find(&f->s.nodes, "HV02")->online = false;
	sessions_find(&f->s.nodes, "HV01")->online = true;
	sessions_find(&f->s.nodes, "DPM01")->online = true;
	r = s_progress(f, false, 0);
	assert_non_null(r);
	assert_int_equal(r->total, 2);
	assert_int_equal(r->converged, 2);
	assert_string_equal(r->offline, "HV02");
	wire_admin_reply_free(&r);
}

static void
test_plan_shows_diffs(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01");
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r;
	const char *text = FX_POLICY("DPM01") "  mode: audit\n";
	Hvp__Envelope *dr;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	q.verb = (char *)"plan";
	q.policy.data = (uint8_t *)text;
	q.policy.len = strlen(text);
	q.source = (char *)"next.yaml";
	assert_null(fx_admin(f, &q));		/* waits for DPM01 */
	dr = fx_expect(dpm, HVP__ENVELOPE__BODY_DRY_RUN);
	assert_non_null(dr);
	{
		Hvp__Envelope e = HVP__ENVELOPE__INIT;
		Hvp__DryRunResult res = HVP__DRY_RUN_RESULT__INIT;

		res.request = dr->dry_run->request;
		e.body_case = HVP__ENVELOPE__BODY_DRY_RUN_RESULT;
		e.dry_run_result = &res;
		fx_send(f, dpm, &e);
	}
	wire_envelope_free(&dr);
	{
		zmq_pollitem_t it = { f->cli, 0, ZMQ_POLLIN, 0 };
		zmq_msg_t m;
		char *err = NULL;

		assert_int_equal(zmq_poll(&it, 1, 1000), 1);
		zmq_msg_init(&m);
		zmq_msg_recv(&m, f->cli, 0);
		zmq_msg_close(&m);
		zmq_msg_init(&m);
		zmq_msg_recv(&m, f->cli, 0);
		r = wire_decode_admin_reply(zmq_msg_data(&m), zmq_msg_size(&m),
		    &err);
		zmq_msg_close(&m);
	}
	assert_non_null(r);
	assert_non_null(strstr(r->body, "policy against revision 1:\n"));
	assert_non_null(strstr(r->body, "    cluster: \"HV-CLUSTER-01\"\n"
	    "-   mode: \"enforce\"\n+   mode: \"audit\"\n"));
	assert_non_null(strstr(r->body, "DataSourceGroups.xml on DPM01: "
	    "no change\n"));
	wire_admin_reply_free(&r);
}

/* A node whose clock is ten years off is flagged; its drift is found by
 * --since on the controller's clock (receivedAt). */
static void
test_clock_skew_flagged(void **state)
{
	fx *f = *state;
	fx_peer *hv1 = fx_peer_new(f, "HV01");
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Heartbeat h = HVP__HEARTBEAT__INIT;
	Hvp__AdminReply *r;

	fx_hello(f, hv1, "hyperv-node", 0, NULL);
	h.clock_ms = platform_now_ms() - 10LL * 365 * 86400 * 1000;
	e.body_case = HVP__ENVELOPE__BODY_HEARTBEAT;
	e.heartbeat = &h;
	fx_send(f, hv1, &e);
	r = s_verb(f, "status", "table");
	assert_non_null(r);
	assert_non_null(strstr(r->body, "clock: HV01 is -315360000 s off"));
	wire_admin_reply_free(&r);
	r = s_verb(f, "status", "json");
	assert_non_null(strstr(r->body, "\"clockOff\": true"));
	wire_admin_reply_free(&r);
}

static Hvp__AdminReply *
s_events(fx *f, int64_t after, bool follow, const char *type)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;

	q.verb = (char *)"events";
	q.format = (char *)"jsonl";
	q.after = after;
	q.long_poll = follow;
	q.type = (char *)type;
	return fx_admin(f, &q);
}

static void
test_events_follow(void **state)
{
	fx *f = *state;
	fx_peer *dpm = fx_peer_new(f, "DPM01"), *hv1 = fx_peer_new(f, "HV01");
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r;
	int64_t top;

	fx_hello(f, dpm, "dpm-server", 0, NULL);
	fx_hello(f, hv1, "hyperv-node", 0, NULL);
	r = s_events(f, 0, false, NULL);
	assert_non_null(r);
	assert_int_equal(r->total, 2);	/* two nodes online */
	assert_non_null(strstr(r->body, "\"type\":\"node\""));
	assert_non_null(strstr(r->body, "\"cluster\":\"" FX_CLUSTER "\""));
	top = r->last_seq;
	wire_admin_reply_free(&r);
	/* Nothing after top: a follower is held... */
	assert_null(s_events(f, top, true, "revision"));
	assert_int_equal(f->s.events.count, 1);
	/* ...and answered when the revision is stored. */
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01"), false), 0);
	events_tick(&f->s);
	assert_int_equal(f->s.events.count, 0);
	/* (fx_apply read the apply's answer; the follower's is next.) */
	{
		zmq_pollitem_t it = { f->cli, 0, ZMQ_POLLIN, 0 };

		assert_int_equal(zmq_poll(&it, 1, 1000), 1);
	}
	fx_stop(f);
	fx_start(f);
	/* A change id is needed when the controller says so. */
	f->s.require_change_id = true;
	assert_int_equal(fx_apply(f, FX_POLICY("DPM01") "# x\n", false), 1);
	q.verb = (char *)"apply";
	q.policy.data = (uint8_t *)FX_POLICY("DPM01");
	q.policy.len = strlen(FX_POLICY("DPM01"));
	q.change_id = (char *)"CHG9";
	r = fx_admin(f, &q);
	assert_non_null(r);
	assert_int_equal(r->status, 0);
	wire_admin_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_status_converged_and_compliant, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_dpm_server,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_progress_held_until_news,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plan_shows_diffs,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_events_follow, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_clock_skew_flagged,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
