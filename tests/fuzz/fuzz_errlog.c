/*
 * fuzz_errlog.c: the DPM agent log search (common/evidence.c) on
 * arbitrary bytes: never crashes; a snapshot it finds has a canonical
 * provider id and one trimmed line of valid UTF-8 that names it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "textenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	evidence_snapshot s = { 0 };
	char *err = NULL, id[39];
	int rc = evidence_last_snapshot(data, size, &s, &err);

	if (err != NULL || rc < 0)
		abort();
	if (rc == 0) {
		if (s.provider_id || s.line || s.volume)
			abort();
		return 0;
	}
	if (s.provider_id == NULL || s.line == NULL || s.line[0] == '\0' ||
	    !evidence_guid(s.provider_id, strlen(s.provider_id), id) ||
	    strcmp(id, s.provider_id) != 0 || strchr(s.line, '\n') != NULL ||
	    !textenc_utf8_valid(s.line, strlen(s.line), NULL) ||
	    (s.volume && !textenc_utf8_valid(s.volume, strlen(s.volume), NULL)))
		abort();
	evidence_snapshot_clear(&s);
	return 0;
}
