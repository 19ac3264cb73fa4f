/*
 * fuzz_hostfile.c: libFuzzer target for the host-file parser
 * (common/hostfile.c). Any input must be parsed or refused with
 * diagnostics, never crash or leak; whatever parses must render, and the
 * rendering must parse to a state that renders to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hostfile.h"
#include "hoststate.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exercises the lookups the engine makes on a parsed state. */
static void
s_lookups(host_state *h)
{
	for (size_t i = 0; i < h->nkeys; i++) {
		if (!host_key_exists(h, h->keys[i].path))
			abort();
		for (size_t j = 0; j < h->keys[i].nvalues; j++)
			if (host_value_get(h, h->keys[i].path,
			    h->keys[i].values[j].name) == NULL)
				abort();
	}
	for (size_t i = 0; i < h->nguests; i++) {
		host_guest *g = &h->guests[i];

		if (host_guest_find(h, g->id) != g)
			abort();
		for (size_t j = 0; j < g->npaths; j++)
			free(csv_volume_of_path(g->paths[j]));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	diag_list d;
	host_state *h, *again, *copy;
	strbuf r1, r2;

	diag_list_init(&d);
	h = hostfile_parse("fuzz.yaml", (const char *)data, size, &d);
	diag_list_release(&d);
	if (h == NULL)
		return 0;
	s_lookups(h);
	copy = host_state_dup(h);
	strbuf_init(&r1);
	strbuf_init(&r2);
	if (hostfile_render(h, &r1) == 0) {
		again = hostfile_parse("rendered.yaml", r1.data, r1.len, &d);
		if (again == NULL)
			abort();
		if (hostfile_render(again, &r2) != 0 || r1.len != r2.len ||
		    memcmp(r1.data, r2.data, r1.len) != 0)
			abort();
		host_state_free(&again);
	}
	diag_list_release(&d);
	strbuf_release(&r1);
	strbuf_release(&r2);
	host_state_free(&copy);
	host_state_free(&h);
	return 0;
}
