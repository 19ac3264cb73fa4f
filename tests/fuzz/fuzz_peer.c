/*
 * fuzz_peer.c: the controller's node-message handler. The first input
 * byte picks the speaking node; the rest goes through wire_decode and, if
 * it is within the bounds (as wire_recv checks them) and decodes,
 * peer_dispatch with a real store behind it.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_server.h"
#include "peer.h"
#include "push.h"
#include "wire.h"
#include "wirecheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "HV01", "HV02", "DPM01", "x" };
	server *s = fuzz_server();
	Hvp__Envelope *e;
	wire_rid rid = { 1, { 'c' } };
	char *err = NULL;

	if (size < 1)
		return 0;
	if (wirecheck_envelope(data + 1, size - 1, &err) == WIRECHECK_OVER) {
		free(err);
		return 0;
	}
	free(err);
	err = NULL;
	e = wire_decode(data + 1, size - 1, &err);
	free(err);
	if (e == NULL)
		return 0;
	rid.data[0] = data[0];
	peer_dispatch(s, names[data[0] % 4], &rid, e);
	if (s->plan_dirty)
		push_replan(s);
	wire_envelope_free(&e);
	return 0;
}
