/*
 * fuzz_policy.c: libFuzzer target for the policy parser (common/policy.c).
 * Any bytes: parsing must neither crash nor leak; whatever parses must
 * have a canonical text that parses again to the same text and hash.
 * Diagnostics must all be printable. Seed corpus: corpus/policy/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "policy.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char h1[POLICY_HASH_HEX + 1], h2[POLICY_HASH_HEX + 1];
	diag_list d;
	policy *p, *q;
	char *c1, *c2;
	strbuf sb;

	diag_list_init(&d);
	p = policy_parse("fuzz.yaml", (const char *)data, size, &d);
	/* Rendering the diagnostics must work for whatever was found. */
	strbuf_init(&sb);
	diag_sort(&d);
	diag_render_json(&d, &sb);
	strbuf_release(&sb);
	if (p == NULL) {
		if (d.count == 0)
			abort();	/* a rejection always says why */
		diag_list_release(&d);
		return 0;
	}
	if (d.count != 0)
		abort();
	c1 = policy_canonical(p);
	q = policy_parse("canonical.yaml", c1, strlen(c1), &d);
	if (q == NULL)
		abort();
	c2 = policy_canonical(q);
	policy_hash(p, h1);
	policy_hash(q, h2);
	if (strcmp(c1, c2) != 0 || strcmp(h1, h2) != 0)
		abort();
	for (size_t i = 0; i < p->ninclude; i++)
		(void)policy_covers_guest(q, p->include[i]);
	free(c1);
	free(c2);
	policy_free(&p);
	policy_free(&q);
	diag_list_release(&d);
	return 0;
}
