/*
 * test_wire.c: the wire layer (common/wire.c): round trips of every
 * envelope body and of the admin messages, clean refusals of oversized,
 * garbage, truncated, wrong-version and bodiless input, the drift, plan
 * and inventory converters, and one envelope per message over real
 * ZeroMQ sockets on loopback (frame counts, routing ids, draining).
 *
 * With HVP_WIRE_CORPUS=DIR in the environment, the round-trip test also
 * writes each sample's encoding to DIR/<body>.bin: that is how the seed
 * corpus of tests/fuzz/fuzz_wire.c is made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>
#include <zmq.h>

#include "drift.h"
#include "hoststate.h"
#include "plan.h"
#include "platform.h"
#include "policy.h"
#include "wire.h"
#include "xalloc.h"

static const Hvp__Envelope__BodyCase s_bodies[] = {
	HVP__ENVELOPE__BODY_HELLO, HVP__ENVELOPE__BODY_WELCOME,
	HVP__ENVELOPE__BODY_REFUSED, HVP__ENVELOPE__BODY_DESIRED,
	HVP__ENVELOPE__BODY_ACK, HVP__ENVELOPE__BODY_DRIFT_BATCH,
	HVP__ENVELOPE__BODY_DRIFT_ACK, HVP__ENVELOPE__BODY_HEARTBEAT,
	HVP__ENVELOPE__BODY_HEARTBEAT_REPLY, HVP__ENVELOPE__BODY_INVENTORY,
	HVP__ENVELOPE__BODY_DRY_RUN, HVP__ENVELOPE__BODY_DRY_RUN_RESULT,
};
#define N_BODIES (sizeof s_bodies / sizeof s_bodies[0])

/* ---- sample model objects ---- */

static void
s_add_guest(host_state *h, const char *name, const char *id,
    const char *const *paths, size_t npaths, bool vss)
{
	host_guest g;

	memset(&g, 0, sizeof g);
	g.name = (char *)name;
	g.id = (char *)id;
	g.state = GUEST_RUNNING;
	g.services = (host_service[]){ { "VSS", vss }, { "Heartbeat", true } };
	g.nservices = 2;
	g.paths = (char **)paths;
	g.npaths = npaths;
	host_guest_add(h, &g);
}

static host_state *
s_host(bool reversed)
{
	static const char *const p1[] = {
		"C:\\ClusterStorage\\Volume1\\VM0001\\VM0001.vmcx",
		"C:\\ClusterStorage\\Volume2\\VM0001\\data.vhdx",
	};
	static const char *const p2[] = {
		"C:\\ClusterStorage\\Volume2\\VM0002\\VM0002.vmcx",
	};
	host_state *h = host_state_new();

	h->node = xstrdup("HV01");
	h->cluster = xstrdup("HV-CLUSTER-01");
	h->role = ROLE_HYPERV_NODE;
	h->ncsvs = 2;
	h->csvs = xcalloc(2, sizeof *h->csvs);
	h->csvs[reversed ? 1 : 0] = xstrdup("Volume1");
	h->csvs[reversed ? 0 : 1] = xstrdup("Volume2");
	h->nproviders = 2;
	h->providers = xcalloc(2, sizeof *h->providers);
	h->providers[reversed ? 1 : 0] = (host_provider){
		xstrdup("{2f900f90-00e9-440e-873a-96ca5eb079e5}"),
		xstrdup("Microsoft iSCSI Target VSS Hardware Provider"),
		PROVIDER_HARDWARE, xstrdup("3.3.16544"), false };
	h->providers[reversed ? 0 : 1] = (host_provider){
		xstrdup("{b5946137-7b9f-4925-af80-51abd60b20d5}"),
		xstrdup("Microsoft Software Shadow Copy provider 1.0"),
		PROVIDER_SYSTEM, xstrdup("1.0.0.7"), true };
	if (reversed) {
		s_add_guest(h, "VM0002", "7d2e1f6a-3a1c-4b64-8e1f-3cab1a4d9f22",
		    p2, 1, false);
		s_add_guest(h, "VM0001", "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11",
		    p1, 2, true);
	} else {
		s_add_guest(h, "VM0001", "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11",
		    p1, 2, true);
		s_add_guest(h, "VM0002", "7d2e1f6a-3a1c-4b64-8e1f-3cab1a4d9f22",
		    p2, 1, false);
	}
	return h;
}

static void
s_record(drift_record *r, const char *expected, const char *actual,
    const char *action, const char *error)
{
	memset(r, 0, sizeof *r);
	r->id = xstrdup("3f2a9c0d1e4b5a67");
	r->cluster = xstrdup("HV-CLUSTER-01");
	r->node = xstrdup("HV02");
	r->role = ROLE_HYPERV_NODE;
	r->kind = DRIFT_INTEGRATION_SERVICE;
	r->resource = xstrdup("guest VM0007/VSS");
	r->expected = xstrdup(expected);
	r->actual = xstrdup(actual);
	r->policy_revision = 12;
	r->mode = POLICY_AUDIT;
	r->status = DRIFT_FAILED;
	r->detected_at = 1764052200;
	r->resolved_at = 1764052260;
	r->action = xstrdup(action);
	r->error = xstrdup(error);
}

static plan *
s_plan(void)
{
	plan *p = plan_new();

	p->generation = 7;
	p->ngroups = 2;
	p->groups = xcalloc(2, sizeof *p->groups);
	p->groups[0].name = xstrdup("Volume1+Volume2");
	p->groups[0].ncsvs = 2;
	p->groups[0].csvs = xcalloc(2, sizeof(char *));
	p->groups[0].csvs[0] = xstrdup("Volume1");
	p->groups[0].csvs[1] = xstrdup("Volume2");
	p->groups[0].nguests = 2;
	p->groups[0].guests = xcalloc(2, sizeof(plan_guest));
	p->groups[0].guests[0] = (plan_guest){ xstrdup("VM0001"),
	    xstrdup("6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11"), xstrdup("HV01") };
	p->groups[0].guests[1] = (plan_guest){ xstrdup("VM0002"),
	    xstrdup("7d2e1f6a-3a1c-4b64-8e1f-3cab1a4d9f22"), xstrdup("HV02") };
	p->groups[1].name = xstrdup("Volume3");
	p->groups[1].ncsvs = 1;
	p->groups[1].csvs = xcalloc(1, sizeof(char *));
	p->groups[1].csvs[0] = xstrdup("Volume3");
	p->nunplanned = 1;
	p->unplanned = xcalloc(1, sizeof *p->unplanned);
	p->unplanned[0] = (plan_unplanned){ xstrdup("VM0009"),
	    xstrdup("0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"), xstrdup("HV03"),
	    xstrdup("no path on a CSV") };
	plan_compute_hash(p);
	return p;
}

/* ---- sample envelopes, one per body ---- */

static void *
s_sample_body(Hvp__Envelope__BodyCase c)
{
	drift_record r;

	switch (c) {
	case HVP__ENVELOPE__BODY_HELLO: {
		Hvp__Hello *m = xmalloc(sizeof *m);
		host_state *h = s_host(false);

		hvp__hello__init(m);
		m->node = xstrdup("HV01");
		m->role = xstrdup("hyperv-node");
		m->cluster = xstrdup("HV-CLUSTER-01");
		m->version = xstrdup("0.1.0");
		m->inventory = wire_inventory_new_from_host(h);
		m->revision = 3;
		m->plan_generation = 2;
		m->converged = true;
		m->open_drift = 1;
		host_state_free(&h);
		return m;
	}
	case HVP__ENVELOPE__BODY_WELCOME: {
		Hvp__Welcome *m = xmalloc(sizeof *m);

		hvp__welcome__init(m);
		m->heartbeat_seconds = 5;
		m->drift_acked_upto = 41;
		return m;
	}
	case HVP__ENVELOPE__BODY_REFUSED: {
		Hvp__Refused *m = xmalloc(sizeof *m);

		hvp__refused__init(m);
		m->reason = xstrdup("key of HV01 cannot speak for HV02");
		return m;
	}
	case HVP__ENVELOPE__BODY_DESIRED: {
		Hvp__Desired *m = xmalloc(sizeof *m);
		plan *p = s_plan();

		hvp__desired__init(m);
		m->revision = 4;
		m->policy = xstrdup("apiVersion: hvpolicy/v1\n"
		    "kind: ClusterPolicy\n");
		m->policy_hash = xstrdup("ab12");
		m->plan_generation = p->generation;
		m->plan_hash = xstrdup(p->hash);
		m->plan = wire_plan_new(p);
		plan_free(&p);
		return m;
	}
	case HVP__ENVELOPE__BODY_ACK: {
		Hvp__Ack *m = xmalloc(sizeof *m);

		hvp__ack__init(m);
		m->revision = 4;
		m->plan_generation = 7;
		m->converged = true;
		m->dsgroups_hash = xstrdup("cd34");
		return m;
	}
	case HVP__ENVELOPE__BODY_DRIFT_BATCH: {
		Hvp__DriftBatch *m = xmalloc(sizeof *m);

		hvp__drift_batch__init(m);
		m->n_records = 2;
		m->records = xcalloc(2, sizeof *m->records);
		s_record(&r, "enabled", "disabled", "disable VSS", NULL);
		m->records[0] = wire_drift_new(&r, 41);
		drift_record_clear(&r);
		s_record(&r, NULL, "present", NULL, "access denied");
		m->records[1] = wire_drift_new(&r, 42);
		drift_record_clear(&r);
		return m;
	}
	case HVP__ENVELOPE__BODY_DRIFT_ACK: {
		Hvp__DriftAck *m = xmalloc(sizeof *m);

		hvp__drift_ack__init(m);
		m->upto = 42;
		return m;
	}
	case HVP__ENVELOPE__BODY_HEARTBEAT: {
		Hvp__Heartbeat *m = xmalloc(sizeof *m);

		hvp__heartbeat__init(m);
		m->revision = 4;
		m->plan_generation = 7;
		m->open_drift = 2;
		m->inventory_hash = xstrdup("ef56");
		return m;
	}
	case HVP__ENVELOPE__BODY_HEARTBEAT_REPLY: {
		Hvp__HeartbeatReply *m = xmalloc(sizeof *m);

		hvp__heartbeat_reply__init(m);
		m->revision = 5;
		m->plan_generation = 8;
		return m;
	}
	case HVP__ENVELOPE__BODY_INVENTORY: {
		host_state *h = s_host(true);
		Hvp__Inventory *m = wire_inventory_new_from_host(h);

		host_state_free(&h);
		wire_inventory_set_snapshot(m,
		    "{2f900f90-00e9-440e-873a-96ca5eb079e5}", true,
		    "\\\\?\\Volume{0d1e2f3a}\\", "ProviderId:[{2F900F90-...}]");
		wire_inventory_set_dsgroups(m, "9a8b");
		return m;
	}
	case HVP__ENVELOPE__BODY_DRY_RUN: {
		Hvp__DryRun *m = xmalloc(sizeof *m);

		hvp__dry_run__init(m);
		m->request = 9;
		m->policy = xstrdup("apiVersion: hvpolicy/v1\n");
		return m;
	}
	case HVP__ENVELOPE__BODY_DRY_RUN_RESULT: {
		Hvp__DryRunResult *m = xmalloc(sizeof *m);

		hvp__dry_run_result__init(m);
		m->request = 9;
		m->n_findings = 1;
		m->findings = xcalloc(1, sizeof *m->findings);
		s_record(&r, "absent", "present", "would delete key", NULL);
		r.status = DRIFT_OPEN;
		m->findings[0] = wire_drift_new(&r, 0);
		drift_record_clear(&r);
		return m;
	}
	default:
		fail_msg("no sample for body %d", (int)c);
		return NULL;
	}
}

static Hvp__Envelope *
s_sample(Hvp__Envelope__BodyCase c)
{
	return wire_envelope_new(c, s_sample_body(c));
}

static Hvp__AdminRequest *
s_admin_request(void)
{
	Hvp__AdminRequest *r = xmalloc(sizeof *r);
	static const char text[] = "apiVersion: hvpolicy/v1\n";

	hvp__admin_request__init(r);
	r->protocol = WIRE_PROTOCOL_VERSION;
	r->verb = xstrdup("apply");
	r->format = xstrdup("json");
	r->policy.len = sizeof text - 1;
	r->policy.data = xmalloc(sizeof text);
	memcpy(r->policy.data, text, sizeof text);
	r->source = xstrdup("contoso.yaml");
	r->applied_by = xstrdup("alice");
	r->node = xstrdup("HV01");
	r->since = 86400;
	r->open_only = true;
	return r;
}

static Hvp__AdminReply *
s_admin_reply(void)
{
	Hvp__AdminReply *r = xmalloc(sizeof *r);

	hvp__admin_reply__init(r);
	r->status = 2;
	r->body = xstrdup("revision 5\n");
	r->error = xstrdup("");
	r->revision = 5;
	r->converged = 3;
	r->total = 4;
	return r;
}

static void
s_write_seed(const char *name, const uint8_t *buf, size_t len)
{
	const char *dir = getenv("HVP_WIRE_CORPUS");
	char *path, *err = NULL;

	if (dir == NULL || *dir == '\0')
		return;
	path = xasprintf("%s/%s.bin", dir, name);
	if (platform_replace_file(path, buf, len, false, &err) == -1)
		fail_msg("%s", err);
	free(path);
}

/* ---- round trips ---- */

static void
test_every_body_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_BODIES; i++) {
		Hvp__Envelope *e = s_sample(s_bodies[i]), *d;
		uint8_t *a, *b;
		size_t alen, blen;
		char *err = (char *)"untouched";

		assert_int_equal(wire_encode(e, &a, &alen), 0);
		d = wire_decode(a, alen, &err);
		assert_non_null(d);
		assert_null(err);
		assert_int_equal(d->protocol, WIRE_PROTOCOL_VERSION);
		assert_int_equal(d->body_case, s_bodies[i]);
		/* Decoding loses nothing: re-encoding gives the same bytes. */
		assert_int_equal(wire_encode(d, &b, &blen), 0);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		s_write_seed(wire_body_name(s_bodies[i]), a, alen);
		free(a);
		free(b);
		wire_envelope_free(&e);
		wire_envelope_free(&d);
		assert_null(d);
	}
	wire_envelope_free(NULL);
}

static void
test_decoded_fields(void **state)
{
	Hvp__Envelope *e = s_sample(HVP__ENVELOPE__BODY_DRIFT_BATCH), *d;
	const Hvp__Drift *m;
	uint8_t *buf;
	size_t len;
	char *err;

	(void)state;
	assert_int_equal(wire_encode(e, &buf, &len), 0);
	d = wire_decode(buf, len, &err);
	assert_non_null(d);
	assert_int_equal(d->drift_batch->n_records, 2);
	m = d->drift_batch->records[1];
	assert_int_equal(m->seq, 42);
	assert_false(m->has_expected);
	assert_true(m->has_actual);
	assert_string_equal(m->actual, "present");
	assert_string_equal(m->kind, "integration-service");
	assert_string_equal(m->role, "hyperv-node");
	assert_string_equal(m->mode, "audit");
	assert_string_equal(m->status, "failed");
	assert_string_equal(m->action, "");
	assert_string_equal(m->error, "access denied");
	assert_string_equal(wire_body_name(d->body_case), "drift_batch");
	assert_string_equal(wire_body_name(HVP__ENVELOPE__BODY__NOT_SET),
	    "none");
	free(buf);
	wire_envelope_free(&e);
	wire_envelope_free(&d);
}

static void
test_admin_round_trips(void **state)
{
	Hvp__AdminRequest *rq = s_admin_request(), *drq;
	Hvp__AdminReply *rp = s_admin_reply(), *drp;
	uint8_t *buf;
	size_t len;
	char *err;

	(void)state;
	assert_int_equal(wire_encode_admin_request(rq, &buf, &len), 0);
	s_write_seed("admin_request", buf, len);
	drq = wire_decode_admin_request(buf, len, &err);
	free(buf);
	assert_non_null(drq);
	assert_null(err);
	assert_string_equal(drq->verb, "apply");
	assert_string_equal(drq->format, "json");
	assert_int_equal(drq->policy.len, rq->policy.len);
	assert_memory_equal(drq->policy.data, rq->policy.data, rq->policy.len);
	assert_string_equal(drq->source, "contoso.yaml");
	assert_string_equal(drq->applied_by, "alice");
	assert_string_equal(drq->node, "HV01");
	assert_int_equal(drq->since, 86400);
	assert_true(drq->open_only);

	assert_int_equal(wire_encode_admin_reply(rp, &buf, &len), 0);
	s_write_seed("admin_reply", buf, len);
	drp = wire_decode_admin_reply(buf, len, &err);
	free(buf);
	assert_non_null(drp);
	assert_int_equal(drp->status, 2);
	assert_string_equal(drp->body, "revision 5\n");
	assert_int_equal(drp->converged, 3);
	assert_int_equal(drp->total, 4);

	/* A request must carry the protocol and a verb. */
	rq->protocol = 0;
	assert_int_equal(wire_encode_admin_request(rq, &buf, &len), 0);
	assert_null(wire_decode_admin_request(buf, len, &err));
	assert_string_equal(err, "protocol version 0, this program speaks 1");
	free(err);
	free(buf);
	rq->protocol = WIRE_PROTOCOL_VERSION;
	free(rq->verb);
	rq->verb = xstrdup("");
	assert_int_equal(wire_encode_admin_request(rq, &buf, &len), 0);
	assert_null(wire_decode_admin_request(buf, len, &err));
	assert_string_equal(err, "admin request without a verb");
	free(err);
	free(buf);

	wire_admin_request_free(&rq);
	wire_admin_request_free(&drq);
	wire_admin_reply_free(&rp);
	wire_admin_reply_free(&drp);
	assert_null(rq);
	assert_null(drp);
}

/* ---- refusals ---- */

static void
test_oversized_refused_before_decoding(void **state)
{
	size_t len = WIRE_MAX_MESSAGE + 1;
	uint8_t *buf = xcalloc(1, len);
	char *err;

	(void)state;
	/* NULL data of a huge length: refused on the length alone. */
	assert_null(wire_decode(NULL, len, &err));
	assert_string_equal(err, "message of 4194305 bytes is over the limit "
	    "of 4194304 bytes");
	free(err);
	/* Zero bytes are a valid encoding of an empty envelope prefix; the
	 * size rule wins over everything. */
	assert_null(wire_decode(buf, len, &err));
	assert_string_equal(err, "message of 4194305 bytes is over the limit "
	    "of 4194304 bytes");
	free(err);
	assert_null(wire_decode_admin_request(buf, len, &err));
	assert_non_null(strstr(err, "over the limit"));
	free(err);
	assert_null(wire_decode_admin_reply(buf, len, &err));
	assert_non_null(strstr(err, "over the limit"));
	free(err);
	free(buf);
}

static void
test_encode_refuses_oversized(void **state)
{
	Hvp__Refused *r = xmalloc(sizeof *r);
	Hvp__Envelope *e;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 1;

	(void)state;
	hvp__refused__init(r);
	r->reason = xmalloc(WIRE_MAX_MESSAGE + 1);
	memset(r->reason, 'a', WIRE_MAX_MESSAGE);
	r->reason[WIRE_MAX_MESSAGE] = '\0';
	e = wire_envelope_new(HVP__ENVELOPE__BODY_REFUSED, r);
	assert_int_equal(wire_encode(e, &buf, &len), -1);
	assert_null(buf);
	assert_int_equal(len, 0);
	/* Just under the limit encodes. */
	r->reason[WIRE_MAX_MESSAGE - 16] = '\0';
	assert_int_equal(wire_encode(e, &buf, &len), 0);
	assert_true(len <= WIRE_MAX_MESSAGE);
	free(buf);
	wire_envelope_free(&e);
}

static void
test_garbage_refused(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const uint8_t bad_length[] = { 0x52, 0x7f, 0x0a };
	char *err;

	(void)state;
	assert_null(wire_decode(garbage, sizeof garbage, &err));
	assert_string_equal(err, "undecodable Envelope (5 bytes)");
	free(err);
	/* Field 10 (hello) claiming 127 bytes when 1 follows. */
	assert_null(wire_decode(bad_length, sizeof bad_length, &err));
	assert_string_equal(err, "undecodable Envelope (3 bytes)");
	free(err);
	assert_null(wire_decode_admin_reply(garbage, sizeof garbage, &err));
	assert_string_equal(err, "undecodable AdminReply (5 bytes)");
	free(err);
}

static void
test_every_truncation_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_BODIES; i++) {
		Hvp__Envelope *e = s_sample(s_bodies[i]);
		uint8_t *buf;
		size_t len;

		assert_int_equal(wire_encode(e, &buf, &len), 0);
		for (size_t cut = 0; cut < len; cut++) {
			char *err = NULL;
			Hvp__Envelope *d = wire_decode(buf, cut, &err);

			if (d != NULL)
				fail_msg("%s cut to %zu of %zu bytes decoded",
				    wire_body_name(s_bodies[i]), cut, len);
			assert_non_null(err);
			free(err);
		}
		free(buf);
		wire_envelope_free(&e);
	}
}

static void
test_wrong_version_and_no_body(void **state)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__DriftAck ack = HVP__DRIFT_ACK__INIT;
	/* protocol 1, then field 30 (unknown to this version), 2 bytes. */
	static const uint8_t future[] = { 0x08, 0x01, 0xf2, 0x01, 0x02, 0x08,
	    0x01 };
	uint8_t *buf;
	size_t len;
	char *err;

	(void)state;
	/* A hand-built envelope on the stack: encoded, never freed here. */
	e.protocol = 2;
	e.body_case = HVP__ENVELOPE__BODY_DRIFT_ACK;
	e.drift_ack = &ack;
	assert_int_equal(wire_encode(&e, &buf, &len), 0);
	assert_null(wire_decode(buf, len, &err));
	assert_string_equal(err, "protocol version 2, this program speaks 1");
	free(err);
	free(buf);
	/* One older is refused alike. */
	e.protocol = WIRE_PROTOCOL_MIN - 1;
	assert_int_equal(wire_encode(&e, &buf, &len), 0);
	assert_null(wire_decode(buf, len, &err));
	assert_string_equal(err, "protocol version 0, this program speaks 1");
	free(err);
	free(buf);
	/* A refusal is read whatever its version: it may be the one that
	 * says the versions differ. */
	{
		Hvp__Refused r = HVP__REFUSED__INIT;
		Hvp__Envelope *d;

		r.reason = (char *)"protocol version 1 is not spoken here";
		e.protocol = WIRE_PROTOCOL_VERSION + 1;
		e.body_case = HVP__ENVELOPE__BODY_REFUSED;
		e.refused = &r;
		assert_int_equal(wire_encode(&e, &buf, &len), 0);
		assert_non_null(d = wire_decode(buf, len, &err));
		assert_string_equal(d->refused->reason, r.reason);
		wire_envelope_free(&d);
		free(buf);
	}

	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY__NOT_SET;
	assert_int_equal(wire_encode(&e, &buf, &len), 0);
	assert_null(wire_decode(buf, len, &err));
	assert_string_equal(err, "envelope without a body (or with one this "
	    "version does not know)");
	free(err);
	free(buf);

	assert_null(wire_decode(future, sizeof future, &err));
	assert_string_equal(err, "envelope without a body (or with one this "
	    "version does not know)");
	free(err);
	assert_null(wire_decode("", 0, &err));
	assert_non_null(err);
	free(err);
}

/* ---- converters ---- */

static void
s_assert_record_equal(const drift_record *a, const drift_record *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->cluster, b->cluster);
	assert_string_equal(a->node, b->node);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->kind, b->kind);
	assert_string_equal(a->resource, b->resource);
	if (a->expected == NULL || b->expected == NULL)
		assert_ptr_equal(a->expected, b->expected);
	else
		assert_string_equal(a->expected, b->expected);
	if (a->actual == NULL || b->actual == NULL)
		assert_ptr_equal(a->actual, b->actual);
	else
		assert_string_equal(a->actual, b->actual);
	assert_int_equal(a->policy_revision, b->policy_revision);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->detected_at, b->detected_at);
	assert_int_equal(a->resolved_at, b->resolved_at);
	if (a->action == NULL || b->action == NULL)
		assert_ptr_equal(a->action, b->action);
	else
		assert_string_equal(a->action, b->action);
	if (a->error == NULL || b->error == NULL)
		assert_ptr_equal(a->error, b->error);
	else
		assert_string_equal(a->error, b->error);
}

/* Record -> message -> bytes -> message -> record. */
static void
s_drift_round_trip(const drift_record *in)
{
	Hvp__DriftBatch *b = xmalloc(sizeof *b);
	Hvp__Envelope *e, *d;
	drift_record out;
	uint8_t *buf;
	size_t len;
	char *err;

	hvp__drift_batch__init(b);
	b->n_records = 1;
	b->records = xcalloc(1, sizeof *b->records);
	b->records[0] = wire_drift_new(in, 77);
	e = wire_envelope_new(HVP__ENVELOPE__BODY_DRIFT_BATCH, b);
	assert_int_equal(wire_encode(e, &buf, &len), 0);
	d = wire_decode(buf, len, &err);
	assert_non_null(d);
	assert_int_equal(d->drift_batch->records[0]->seq, 77);
	assert_int_equal(wire_drift_to_record(d->drift_batch->records[0],
	    &out, &err), 0);
	assert_null(err);
	s_assert_record_equal(in, &out);
	drift_record_clear(&out);
	free(buf);
	wire_envelope_free(&e);
	wire_envelope_free(&d);
}

static void
test_drift_round_trip(void **state)
{
	drift_record r;

	(void)state;
	s_record(&r, "enabled", "disabled", "disable VSS", NULL);
	s_drift_round_trip(&r);
	drift_record_clear(&r);
	/* Absent expected, empty (but present) actual, every enum value. */
	s_record(&r, NULL, "", NULL, "access denied");
	for (int k = DRIFT_REGISTRY; k <= DRIFT_INVENTORY; k++) {
		for (int st = DRIFT_OPEN; st <= DRIFT_RESOLVED; st++) {
			r.kind = (drift_kind)k;
			r.status = (drift_status)st;
			r.role = (host_role)(k % 2);
			r.mode = (policy_mode)(st % 2);
			s_drift_round_trip(&r);
		}
	}
	drift_record_clear(&r);
}

static void
test_drift_unknown_names(void **state)
{
	drift_record r, out;
	Hvp__Drift *m;
	char *err;

	(void)state;
	s_record(&r, "a", "b", NULL, NULL);
	m = wire_drift_new(&r, 5);
	free(m->kind);
	m->kind = xstrdup("weather");
	out.id = (char *)"not cleared";
	assert_int_equal(wire_drift_to_record(m, &out, &err), -1);
	assert_string_equal(err, "drift record 5: unknown kind 'weather'");
	assert_null(out.id);
	free(err);
	free(m->kind);
	m->kind = xstrdup("registry");
	free(m->status);
	m->status = xstrdup("");
	assert_int_equal(wire_drift_to_record(m, &out, &err), -1);
	assert_string_equal(err, "drift record 5: unknown status ''");
	free(err);
	wire_drift_free(&m);
	assert_null(m);
	drift_record_clear(&r);
}

static void
test_plan_round_trip(void **state)
{
	plan *p = s_plan(), *q;
	Hvp__Plan *m, *d;
	uint8_t *buf;
	size_t len;
	char *err;

	(void)state;
	m = wire_plan_new(p);
	assert_int_equal(wire_encode_message(&m->base, &buf, &len), 0);
	d = hvp__plan__unpack(NULL, len, buf);
	assert_non_null(d);
	q = wire_plan_to_plan(d, &err);
	assert_non_null(q);
	assert_null(err);
	assert_int_equal(q->generation, 7);
	assert_string_equal(q->hash, p->hash);
	assert_int_equal(q->ngroups, 2);
	for (size_t g = 0; g < p->ngroups; g++) {
		assert_string_equal(q->groups[g].name, p->groups[g].name);
		assert_int_equal(q->groups[g].ncsvs, p->groups[g].ncsvs);
		for (size_t c = 0; c < p->groups[g].ncsvs; c++)
			assert_string_equal(q->groups[g].csvs[c],
			    p->groups[g].csvs[c]);
		assert_int_equal(q->groups[g].nguests, p->groups[g].nguests);
		for (size_t k = 0; k < p->groups[g].nguests; k++) {
			assert_string_equal(q->groups[g].guests[k].name,
			    p->groups[g].guests[k].name);
			assert_string_equal(q->groups[g].guests[k].id,
			    p->groups[g].guests[k].id);
			assert_string_equal(q->groups[g].guests[k].node,
			    p->groups[g].guests[k].node);
		}
	}
	assert_int_equal(q->nunplanned, 1);
	assert_string_equal(q->unplanned[0].reason, "no path on a CSV");
	assert_string_equal(q->unplanned[0].node, "HV03");
	/* The content survived: recomputing the hash gives the same. */
	plan_compute_hash(q);
	assert_string_equal(q->hash, p->hash);
	plan_free(&q);
	wire_message_free(d);

	/* A hash longer than a plan can hold is refused. */
	free(m->hash);
	m->hash = xmalloc(PLAN_HASH_HEX + 2);
	memset(m->hash, 'a', PLAN_HASH_HEX + 1);
	m->hash[PLAN_HASH_HEX + 1] = '\0';
	assert_null(wire_plan_to_plan(m, &err));
	assert_string_equal(err, "plan hash of 65 characters, at most 64 "
	    "expected");
	free(err);

	/* An empty plan converts both ways. */
	wire_plan_free(&m);
	plan_free(&p);
	p = plan_new();
	m = wire_plan_new(p);
	assert_int_equal(m->n_groups, 0);
	q = wire_plan_to_plan(m, &err);
	assert_non_null(q);
	assert_int_equal(q->ngroups, 0);
	assert_string_equal(q->hash, p->hash);
	plan_free(&q);
	plan_free(&p);
	free(buf);
	wire_plan_free(&m);
	assert_null(m);
}

/* The borrowed plan message (what the controller sends) encodes byte for
 * byte as the owned one, with guests, unplanned guests, empty strings and
 * an empty plan, and points at the plan's own strings. */
static void
s_same_encoding(const plan *p)
{
	Hvp__Plan *own = wire_plan_new(p), *lent = wire_plan_borrowed_new(p);
	uint8_t *a, *b;
	size_t alen, blen;

	assert_int_equal(wire_encode_message(&own->base, &a, &alen), 0);
	assert_int_equal(wire_encode_message(&lent->base, &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	wire_plan_free(&own);
	wire_plan_borrowed_free(&lent);
	assert_null(lent);
}

static void
test_plan_borrowed(void **state)
{
	plan *p = s_plan();
	Hvp__Plan *m;

	(void)state;
	s_same_encoding(p);
	m = wire_plan_borrowed_new(p);
	assert_ptr_equal(m->groups[0]->guests[1]->name,
	    p->groups[0].guests[1].name);
	wire_plan_borrowed_free(&m);
	free(p->unplanned[0].id);
	p->unplanned[0].id = xstrdup("");
	free(p->groups[0].guests[0].node);
	p->groups[0].guests[0].node = xstrdup("");
	s_same_encoding(p);
	plan_free(&p);
	p = plan_new();
	s_same_encoding(p);
	plan_free(&p);
	wire_plan_borrowed_free(NULL);
}

/* Empty strings in repeated fields must be heap copies too: protobuf-c
 * frees every element of a repeated string field. */
static void
test_empty_strings_in_lists(void **state)
{
	plan *p = s_plan();
	host_state *h = s_host(false);
	Hvp__Plan *m;
	Hvp__Inventory *inv;

	(void)state;
	free(p->groups[0].csvs[0]);
	p->groups[0].csvs[0] = xstrdup("");
	m = wire_plan_new(p);
	assert_string_equal(m->groups[0]->csvs[0], "");
	assert_ptr_not_equal(m->groups[0]->csvs[0], protobuf_c_empty_string);
	wire_plan_free(&m);
	free(h->csvs[1]);
	h->csvs[1] = xstrdup("");
	free(h->guests[0].paths[0]);
	h->guests[0].paths[0] = xstrdup("");
	inv = wire_inventory_new_from_host(h);
	assert_string_equal(inv->csvs[0], "");
	assert_string_equal(inv->guests[0]->paths[0], "");
	wire_inventory_free(&inv);
	host_state_free(&h);
	plan_free(&p);
}

static void
test_inventory_from_host(void **state)
{
	host_state *h = s_host(false), *r = s_host(true);
	Hvp__Inventory *a = wire_inventory_new_from_host(h);
	Hvp__Inventory *b = wire_inventory_new_from_host(r);
	unsigned char digest[32];
	char hex[65], *saved;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(a->n_guests, 2);
	assert_string_equal(a->guests[0]->name, "VM0001");
	assert_string_equal(a->guests[0]->state, "running");
	assert_int_equal(a->guests[0]->n_services, 2);
	assert_string_equal(a->guests[0]->services[0]->name, "Heartbeat");
	assert_string_equal(a->guests[0]->services[1]->name, "VSS");
	assert_true(a->guests[0]->services[1]->enabled);
	assert_false(b->guests[1]->services[1]->enabled);
	assert_int_equal(a->guests[0]->n_paths, 2);
	assert_string_equal(a->guests[0]->paths[1],
	    "C:\\ClusterStorage\\Volume2\\VM0001\\data.vhdx");
	assert_string_equal(a->csvs[0], "Volume1");
	assert_string_equal(a->providers[0]->id,
	    "{2f900f90-00e9-440e-873a-96ca5eb079e5}");
	assert_string_equal(a->providers[0]->type, "hardware");
	assert_false(a->providers[0]->autorecovery);
	assert_string_equal(a->providers[1]->type, "system");
	assert_false(a->has_system_provider_key);
	assert_null(a->last_snapshot);
	assert_false(a->dsgroups_present);

	/* Same content in another order: the same hash. */
	assert_int_equal(strlen(a->hash), 64);
	assert_string_equal(a->hash, b->hash);

	/* The hash is BLAKE2b-256 of the encoding with the hash empty. */
	saved = a->hash;
	a->hash = (char *)protobuf_c_empty_string;
	assert_int_equal(wire_encode_message(&a->base, &buf, &len), 0);
	a->hash = saved;
	crypto_generichash(digest, sizeof digest, buf, len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	assert_string_equal(a->hash, hex);
	free(buf);

	/* Any change changes it. */
	wire_inventory_free(&b);
	host_guest_set_service(&r->guests[0], "VSS", true);
	b = wire_inventory_new_from_host(r);
	assert_string_not_equal(a->hash, b->hash);
	wire_inventory_free(&b);
	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	b = wire_inventory_new_from_host(h);
	assert_true(b->has_system_provider_key);
	assert_string_not_equal(a->hash, b->hash);
	strcpy(hex, b->hash);
	wire_inventory_set_dsgroups(b, "1234");
	assert_true(b->dsgroups_present);
	assert_string_equal(b->dsgroups_hash, "1234");
	assert_string_not_equal(b->hash, hex);
	wire_inventory_set_dsgroups(b, NULL);
	assert_false(b->dsgroups_present);
	assert_string_equal(b->hash, hex);
	wire_inventory_set_snapshot(b, "{x}", true, "V", "line");
	assert_non_null(b->last_snapshot);
	assert_string_equal(b->last_snapshot->line, "line");
	assert_string_not_equal(b->hash, hex);
	wire_inventory_set_snapshot(b, NULL, false, NULL, NULL);
	assert_null(b->last_snapshot);
	assert_string_equal(b->hash, hex);

	wire_inventory_free(&a);
	wire_inventory_free(&b);
	assert_null(a);
	host_state_free(&h);
	host_state_free(&r);
}

/* ---- ZeroMQ ---- */

typedef struct s_pair {
	void *ctx;
	void *router;
	void *dealer;
	char endpoint[256];
} s_pair;

static void
s_pair_open(s_pair *p, const char *dealer_id)
{
	size_t len = sizeof p->endpoint;
	int linger = 0;

	p->ctx = zmq_ctx_new();
	assert_non_null(p->ctx);
	p->router = zmq_socket(p->ctx, ZMQ_ROUTER);
	p->dealer = zmq_socket(p->ctx, ZMQ_DEALER);
	zmq_setsockopt(p->router, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(p->dealer, ZMQ_LINGER, &linger, sizeof linger);
	assert_int_equal(wire_socket_limit(p->router), 0);
	assert_int_equal(zmq_bind(p->router, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(p->router, ZMQ_LAST_ENDPOINT,
	    p->endpoint, &len), 0);
	if (dealer_id != NULL)
		zmq_setsockopt(p->dealer, ZMQ_ROUTING_ID, dealer_id,
		    strlen(dealer_id));
	assert_int_equal(zmq_connect(p->dealer, p->endpoint), 0);
}

static void
s_pair_close(s_pair *p)
{
	zmq_close(p->dealer);
	zmq_close(p->router);
	zmq_ctx_term(p->ctx);
}

static bool
s_readable(void *socket, long timeout_ms)
{
	zmq_pollitem_t it = { socket, 0, ZMQ_POLLIN, 0 };

	return zmq_poll(&it, 1, timeout_ms) == 1;
}

static void
test_zmq_send_recv(void **state)
{
	Hvp__Envelope *e = s_sample(HVP__ENVELOPE__BODY_HELLO), *got = NULL;
	char *uid = NULL, *err = NULL;
	wire_rid rid;
	s_pair p;

	(void)state;
	s_pair_open(&p, "HV01");
	assert_int_equal(wire_send(p.dealer, e, NULL), 0);
	assert_true(s_readable(p.router, 5000));
	assert_int_equal(wire_recv(p.router, &got, &rid, &uid, &err), WIRE_OK);
	assert_non_null(got);
	assert_null(err);
	assert_int_equal(rid.len, 4);
	assert_memory_equal(rid.data, "HV01", 4);
	assert_string_equal(got->hello->node, "HV01");
	assert_string_equal(got->hello->inventory->hash,
	    e->hello->inventory->hash);
	wire_envelope_free(&got);
	free(uid);
	uid = NULL;

	/* Nothing more pending. */
	assert_int_equal(wire_recv(p.router, &got, NULL, NULL, NULL),
	    WIRE_NONE);

	/* The controller answers by routing id. */
	wire_envelope_free(&e);
	e = s_sample(HVP__ENVELOPE__BODY_WELCOME);
	assert_int_equal(wire_send(p.router, e, &rid), 0);
	assert_true(s_readable(p.dealer, 5000));
	assert_int_equal(wire_recv(p.dealer, &got, &rid, &uid, &err), WIRE_OK);
	assert_int_equal(rid.len, 0);
	assert_int_equal(got->welcome->heartbeat_seconds, 5);
	wire_envelope_free(&got);
	wire_envelope_free(&e);
	free(uid);
	s_pair_close(&p);
}

static void
test_zmq_malformed_is_drained(void **state)
{
	Hvp__Envelope *e = s_sample(HVP__ENVELOPE__BODY_HEARTBEAT), *got;
	char *uid, *err;
	wire_rid rid;
	uint8_t *buf;
	size_t len;
	s_pair p;

	(void)state;
	s_pair_open(&p, "HV02");
	assert_int_equal(wire_encode(e, &buf, &len), 0);
	/* Three frames, then garbage, then a good message. */
	zmq_send(p.dealer, "a", 1, ZMQ_SNDMORE);
	zmq_send(p.dealer, "b", 1, ZMQ_SNDMORE);
	zmq_send(p.dealer, buf, len, 0);
	zmq_send(p.dealer, "\xff\xff\xff", 3, 0);
	zmq_send(p.dealer, buf, len, 0);

	assert_true(s_readable(p.router, 5000));
	assert_int_equal(wire_recv(p.router, &got, &rid, &uid, &err),
	    WIRE_MALFORMED);
	assert_null(got);
	assert_string_equal(err, "message of 4 frames, 2 expected");
	assert_memory_equal(rid.data, "HV02", 4);
	free(err);
	free(uid);

	assert_true(s_readable(p.router, 5000));
	assert_int_equal(wire_recv(p.router, &got, &rid, &uid, &err),
	    WIRE_MALFORMED);
	assert_string_equal(err, "undecodable Envelope (3 bytes)");
	assert_memory_equal(rid.data, "HV02", 4);
	free(err);
	free(uid);

	assert_true(s_readable(p.router, 5000));
	assert_int_equal(wire_recv(p.router, &got, &rid, &uid, &err), WIRE_OK);
	assert_int_equal(got->heartbeat->open_drift, 2);
	wire_envelope_free(&got);
	free(uid);

	/* A DEALER receiving two frames drops them whole. */
	zmq_send(p.router, "HV02", 4, ZMQ_SNDMORE);
	zmq_send(p.router, "x", 1, ZMQ_SNDMORE);
	zmq_send(p.router, buf, len, 0);
	assert_true(s_readable(p.dealer, 5000));
	assert_int_equal(wire_recv(p.dealer, &got, NULL, NULL, &err),
	    WIRE_MALFORMED);
	assert_string_equal(err, "message of 2 frames, 1 expected");
	free(err);
	assert_int_equal(wire_recv(p.dealer, &got, NULL, NULL, NULL),
	    WIRE_NONE);
	free(buf);
	wire_envelope_free(&e);
	s_pair_close(&p);
}

static void
test_zmq_unnamed_peer_gets_binary_rid(void **state)
{
	Hvp__Envelope *e = s_sample(HVP__ENVELOPE__BODY_ACK), *got;
	char *err = NULL, text[WIRE_RID_TEXT];
	wire_rid rid;
	s_pair p;

	(void)state;
	/* No routing id: ZeroMQ makes a binary one; it is carried as is and
	 * the reply reaches the same connection. */
	s_pair_open(&p, NULL);
	assert_int_equal(wire_send(p.dealer, e, NULL), 0);
	assert_true(s_readable(p.router, 5000));
	assert_int_equal(wire_recv(p.router, &got, &rid, NULL, &err), WIRE_OK);
	assert_null(err);
	assert_int_equal(rid.len, 5);
	assert_int_equal(rid.data[0], 0);
	assert_int_equal(strlen(wire_rid_text(&rid, text)), 12);
	assert_int_equal(wire_send(p.router, got, &rid), 0);
	wire_envelope_free(&got);
	assert_true(s_readable(p.dealer, 5000));
	assert_int_equal(wire_recv(p.dealer, &got, NULL, NULL, NULL), WIRE_OK);
	assert_int_equal(got->body_case, HVP__ENVELOPE__BODY_ACK);
	wire_envelope_free(&got);
	wire_envelope_free(&e);
	s_pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_body_round_trips),
		cmocka_unit_test(test_decoded_fields),
		cmocka_unit_test(test_admin_round_trips),
		cmocka_unit_test(test_oversized_refused_before_decoding),
		cmocka_unit_test(test_encode_refuses_oversized),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_wrong_version_and_no_body),
		cmocka_unit_test(test_drift_round_trip),
		cmocka_unit_test(test_drift_unknown_names),
		cmocka_unit_test(test_plan_round_trip),
		cmocka_unit_test(test_plan_borrowed),
		cmocka_unit_test(test_empty_strings_in_lists),
		cmocka_unit_test(test_inventory_from_host),
		cmocka_unit_test(test_zmq_send_recv),
		cmocka_unit_test(test_zmq_malformed_is_drained),
		cmocka_unit_test(test_zmq_unnamed_peer_gets_binary_rid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
