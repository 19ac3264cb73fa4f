/*
 * evidence.h: reading what Windows tools say about VSS providers and
 * snapshots: `vssadmin list providers`, DISKSHADOW's `list providers`,
 * and the DPM agent log (DPMRACurr.errlog) line naming the provider that
 * took the last snapshot. The Windows backend feeds them tool output and
 * the log's tail; diagnosis and the inventory report what they find.
 *
 * Pure and bounded: input comes as bytes (UTF-8, or UTF-16 with or
 * without a byte-order mark), unknown lines are skipped, garbage yields
 * nothing rather than an error. Only input over EVIDENCE_MAX_INPUT fails.
 */
#ifndef HVP_EVIDENCE_H
#define HVP_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "hoststate.h"

#define EVIDENCE_MAX_INPUT	(32u * 1024 * 1024)	/* bytes */
#define EVIDENCE_MAX_PROVIDERS	256
#define EVIDENCE_TYPE_UNKNOWN	(-1)

typedef struct evidence_provider {
	char *id;		/* "{guid}", lowercase */
	char *name;		/* NULL when the output did not say */
	char *type_name;	/* as written: "Hardware", "VSS_PROV_HARDWARE" */
	int type;		/* a provider_type, or EVIDENCE_TYPE_UNKNOWN */
	char *version;		/* NULL when not given */
	char *clsid;		/* "{guid}" lowercase; diskshadow only */
} evidence_provider;

typedef struct evidence_providers {
	evidence_provider *v;
	size_t n;
	size_t cap;
} evidence_providers;

typedef struct evidence_snapshot {
	char *provider_id;	/* "{guid}", lowercase */
	bool hardware;		/* "h/w provider:[N]" with N != 0 */
	char *volume;		/* as logged; NULL when the line has none */
	char *line;		/* the whole log line, trimmed */
} evidence_snapshot;

/* Frees every provider and leaves the list empty (reusable). */
void evidence_providers_clear(evidence_providers *l);
void evidence_snapshot_clear(evidence_snapshot *s);

/*
 * Parse the providers a tool lists into out (empty or cleared). A record
 * is kept when it has a well-formed provider id; records are in the
 * tool's order, at most EVIDENCE_MAX_PROVIDERS of them. Returns how many
 * were found (0 for empty or foreign text), or -1 with an owned *err
 * when the input is too large.
 */
int evidence_parse_vssadmin(const void *data, size_t len,
    evidence_providers *out, char **err);
int evidence_parse_diskshadow(const void *data, size_t len,
    evidence_providers *out, char **err);

/* The provider with this id ("{guid}" or bare, any case), or NULL. */
const evidence_provider *evidence_providers_find(const evidence_providers *l,
    const char *id);

/*
 * Finds the last snapshot the DPM agent log records: the last line with
 * "CVssSnapshotRequestor::" and a well-formed "ProviderId:[{guid}]".
 * Fields may be separated by tabs or spaces; the text may start in the
 * middle of a line (a tail of the log). Returns 1 and fills out, 0 when
 * no such line is there (out left empty), -1 with *err when the input is
 * too large.
 */
int evidence_last_snapshot(const void *data, size_t len,
    evidence_snapshot *out, char **err);

/* Writes id in canonical form "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}"
 * (lowercase) into out; false when it is not a GUID, with or without
 * braces. */
bool evidence_guid(const char *id, size_t len, char out[39]);

#endif
