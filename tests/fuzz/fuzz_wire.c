/*
 * fuzz_wire.c: arbitrary bytes into the wire layer (common/wire.c): the
 * envelope and admin decoders, then every converter a receiver runs on
 * what decoded (drift records and plans to the model and back, inventory
 * rehashing), then re-encoding. Nothing may crash or leak. Seeds in
 * corpus/wire/ are valid envelopes of every body type and admin
 * messages, written by tests/unit/test_wire.c (HVP_WIRE_CORPUS=DIR).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "drift.h"
#include "plan.h"
#include "wire.h"

static void
s_drifts(Hvp__Drift **records, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		drift_record r;
		char *err = NULL;

		if (wire_drift_to_record(records[i], &r, &err) == 0) {
			Hvp__Drift *m = wire_drift_new(&r, records[i]->seq);

			wire_drift_free(&m);
			drift_record_clear(&r);
		}
		free(err);
	}
}

static void
s_plan(const Hvp__Plan *m)
{
	char *err = NULL;
	plan *p;
	Hvp__Plan *back;

	if (m == NULL)
		return;
	p = wire_plan_to_plan(m, &err);
	free(err);
	if (p == NULL)
		return;
	back = wire_plan_new(p);
	wire_plan_free(&back);
	plan_free(&p);
}

static void
s_envelope(Hvp__Envelope *e)
{
	uint8_t *buf;
	size_t len;

	(void)wire_body_name(e->body_case);
	switch (e->body_case) {
	case HVP__ENVELOPE__BODY_HELLO:
		if (e->hello->inventory)
			wire_inventory_rehash(e->hello->inventory);
		break;
	case HVP__ENVELOPE__BODY_INVENTORY:
		wire_inventory_rehash(e->inventory);
		break;
	case HVP__ENVELOPE__BODY_DESIRED:
		s_plan(e->desired->plan);
		break;
	case HVP__ENVELOPE__BODY_DRIFT_BATCH:
		s_drifts(e->drift_batch->records, e->drift_batch->n_records);
		break;
	case HVP__ENVELOPE__BODY_DRY_RUN_RESULT:
		s_drifts(e->dry_run_result->findings,
		    e->dry_run_result->n_findings);
		break;
	default:
		break;
	}
	if (wire_encode(e, &buf, &len) == 0)
		free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hvp__Envelope *e;
	Hvp__AdminRequest *rq;
	Hvp__AdminReply *rp;
	uint8_t *buf;
	size_t len;
	char *err = NULL;

	e = wire_decode(data, size, &err);
	if (e != NULL)
		s_envelope(e);
	wire_envelope_free(&e);
	free(err);

	rq = wire_decode_admin_request(data, size, &err);
	if (rq != NULL && wire_encode_admin_request(rq, &buf, &len) == 0)
		free(buf);
	wire_admin_request_free(&rq);
	free(err);

	rp = wire_decode_admin_reply(data, size, &err);
	if (rp != NULL && wire_encode_admin_reply(rp, &buf, &len) == 0)
		free(buf);
	wire_admin_reply_free(&rp);
	free(err);
	return 0;
}
