/*
 * fuzz_hookconf.c: libFuzzer target for the controller's `webhooks:`
 * config section (controller/hookconf.c). Any bytes as a config file:
 * parsing must neither crash nor leak, and every endpoint accepted must
 * hold what delivery relies on (a name, an http(s) URL, a secret).
 * secretFile values name files that usually do not exist: those are
 * errors like any other; inputs naming device or kernel files (which
 * could block a read) are skipped. Seed corpus: corpus/hookconf/.
 */
#define _GNU_SOURCE	/* memmem */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hookconf.h"
#include "ydoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hook_endpoint *list = NULL;
	size_t n = 0;
	diag_list d;
	ydoc *doc;

	if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
	    memmem(data, size, "/sys", 4) || memmem(data, size, "/run", 4))
		return 0;
	diag_list_init(&d);
	doc = ydoc_parse("fuzz.yaml", (const char *)data, size,
	    &YDOC_LIMITS_SMALL, &d);
	if (doc != NULL &&
	    hookconf_parse(doc, ymap_get(doc->root, "webhooks"), &list, &n,
	    &d) == 0) {
		for (size_t i = 0; i < n; i++)
			if (list[i].name == NULL || list[i].secret_len == 0 ||
			    strncmp(list[i].url, "http", 4) != 0)
				abort();
	}
	hookconf_free(&list, n);
	ydoc_free(&doc);
	diag_list_release(&d);
	return 0;
}
