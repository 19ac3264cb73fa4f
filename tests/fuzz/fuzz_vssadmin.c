/*
 * fuzz_vssadmin.c: the `vssadmin list providers` parser
 * (common/evidence.c) on arbitrary bytes: never crashes, every provider
 * it keeps has a canonical id and valid UTF-8 text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "textenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_text(const char *s)
{
	if (s != NULL && !textenc_utf8_valid(s, strlen(s), NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evidence_providers l = { 0 };
	char *err = NULL, id[39];
	int n = evidence_parse_vssadmin(data, size, &l, &err);

	if (n < 0 || err != NULL || (size_t)n != l.n ||
	    l.n > EVIDENCE_MAX_PROVIDERS)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		const evidence_provider *p = &l.v[i];

		if (!evidence_guid(p->id, strlen(p->id), id) ||
		    strcmp(id, p->id) != 0 || p->clsid != NULL)
			abort();
		if (p->type < EVIDENCE_TYPE_UNKNOWN || p->type > PROVIDER_HARDWARE)
			abort();
		s_check_text(p->name);
		s_check_text(p->type_name);
		s_check_text(p->version);
		if (evidence_providers_find(&l, p->id) == NULL)
			abort();
	}
	evidence_providers_clear(&l);
	return 0;
}
