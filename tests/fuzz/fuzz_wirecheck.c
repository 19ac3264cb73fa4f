/*
 * fuzz_wirecheck.c: the bounds walk over encoded messages
 * (common/wirecheck.c): arbitrary bytes as an Envelope and as an
 * AdminRequest. Whatever the walk passes and protobuf-c decodes must be
 * within the bounds, so the walk and the decoder agree on what the bytes
 * hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bounds.h"
#include "hvpolicy.pb-c.h"
#include "wirecheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_inventory(const Hvp__Inventory *inv)
{
	if (inv == NULL)
		return;
	if (inv->n_guests > LIMIT_GUESTS || inv->n_csvs > LIMIT_CSVS ||
	    inv->n_providers > LIMIT_PROVIDERS)
		abort();
	for (size_t i = 0; i < inv->n_guests; i++)
		if (inv->guests[i]->n_paths > LIMIT_PATHS_PER_GUEST ||
		    inv->guests[i]->n_services > LIMIT_SERVICES_PER_GUEST)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Hvp__Envelope *e;
	char *err = NULL;

	if (wirecheck_envelope(data, size, &err) == 0) {
		e = hvp__envelope__unpack(NULL, size, data);
		if (e != NULL) {
			if (e->body_case == HVP__ENVELOPE__BODY_INVENTORY)
				s_check_inventory(e->inventory);
			if (e->body_case == HVP__ENVELOPE__BODY_HELLO)
				s_check_inventory(e->hello->inventory);
			if (e->body_case == HVP__ENVELOPE__BODY_DRIFT_BATCH &&
			    e->drift_batch->n_records > LIMIT_DRIFT_BATCH)
				abort();
			if (e->body_case == HVP__ENVELOPE__BODY_DRY_RUN_RESULT &&
			    e->dry_run_result->n_findings > LIMIT_DRYRUN_FINDINGS)
				abort();
			hvp__envelope__free_unpacked(e, NULL);
		}
	}
	free(err);
	err = NULL;
	wirecheck_message(&hvp__admin_request__descriptor, data, size, &err);
	free(err);
	return 0;
}
