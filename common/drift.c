/*
 * drift.c: the drift record of the contract (drift.h): name tables, copy
 * and clear, and its renderings as a JSON object and a CSV row. Nodes make
 * records, the controller stores and serves them, the CLI prints them.
 */
#include "drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "textsafe.h"
#include "timefmt.h"
#include "xalloc.h"

const char *const DRIFT_KIND_NAMES[] = {
	"registry", "integration-service", "serialization-file", "inventory",
	NULL,
};
const char *const DRIFT_STATUS_NAMES[] = {
	"open", "corrected", "failed", "resolved", NULL,
};

const char *const DRIFT_CAUSE_NAMES[] = {
	NULL, "revision", "out-of-band",
};

#define DRIFT_ID_HEX 16

static const char *
s_name(const char *const *table, int index)
{
	for (int i = 0; table[i] != NULL; i++)
		if (i == index)
			return table[i];
	return "unknown";
}

static int
s_from_name(const char *const *table, const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; table[i] != NULL; i++)
		if (strcmp(table[i], name) == 0)
			return i;
	return -1;
}

int
drift_kind_from_name(const char *name)
{
	return s_from_name(DRIFT_KIND_NAMES, name);
}

int
drift_status_from_name(const char *name)
{
	return s_from_name(DRIFT_STATUS_NAMES, name);
}

drift_cause
drift_cause_from_name(const char *name)
{
	if (name == NULL)
		return DRIFT_CAUSE_UNKNOWN;
	for (int i = DRIFT_CAUSE_REVISION; i <= DRIFT_CAUSE_OUT_OF_BAND; i++)
		if (strcmp(DRIFT_CAUSE_NAMES[i], name) == 0)
			return (drift_cause)i;
	return DRIFT_CAUSE_UNKNOWN;
}

/* The cause's name, NULL when unknown. */
static const char *
s_cause(drift_cause c)
{
	return c > DRIFT_CAUSE_UNKNOWN && c <= DRIFT_CAUSE_OUT_OF_BAND ?
	    DRIFT_CAUSE_NAMES[c] : NULL;
}

void
drift_record_clear(drift_record *r)
{
	free(r->id);
	free(r->cluster);
	free(r->node);
	free(r->resource);
	free(r->expected);
	free(r->actual);
	free(r->action);
	free(r->error);
	memset(r, 0, sizeof *r);
}

/* dst is overwritten, not cleared: clear it first if it owns strings. */
void
drift_record_copy(drift_record *dst, const drift_record *src)
{
	*dst = *src;
	dst->id = xstrdup(src->id);
	dst->cluster = xstrdup(src->cluster);
	dst->node = xstrdup(src->node);
	dst->resource = xstrdup(src->resource);
	dst->expected = xstrdup(src->expected);
	dst->actual = xstrdup(src->actual);
	dst->action = xstrdup(src->action);
	dst->error = xstrdup(src->error);
}

void
drift_record_json(const drift_record *r, jsonw *j)
{
	jsonw_begin_object(j);
	jsonw_kv_str(j, "id", r->id);
	jsonw_kv_str(j, "cluster", r->cluster);
	jsonw_kv_str(j, "node", r->node);
	jsonw_kv_str(j, "role", s_name(HOST_ROLE_NAMES, (int)r->role));
	jsonw_kv_str(j, "kind", s_name(DRIFT_KIND_NAMES, (int)r->kind));
	jsonw_kv_str(j, "resource", r->resource);
	jsonw_kv_str(j, "expected", r->expected);
	jsonw_kv_str(j, "actual", r->actual);
	jsonw_key(j, "policyRevision");
	if (r->policy_revision > 0)
		jsonw_int(j, r->policy_revision);
	else
		jsonw_null(j);
	jsonw_kv_str(j, "mode", s_name(POLICY_MODE_NAMES, (int)r->mode));
	jsonw_kv_str(j, "status", s_name(DRIFT_STATUS_NAMES, (int)r->status));
	jsonw_kv_time(j, "detectedAt", r->detected_at);
	jsonw_kv_time(j, "resolvedAt", r->resolved_at);
	jsonw_kv_str(j, "action", r->action);
	jsonw_kv_str(j, "error", r->error);
	jsonw_kv_str(j, "cause", s_cause(r->cause));
	jsonw_kv_time(j, "receivedAt", r->received_at);
	jsonw_end_object(j);
}

/* One RFC 4180 field: quoted when it holds a comma, a quote or a line
 * break, with quotes doubled; NULL is an empty cell. */
static void
s_csv_field(strbuf *out, const char *s, bool last)
{
	textsafe_csv_cell(out, s);
	strbuf_addch(out, last ? '\n' : ',');
}

static void
s_csv_time(strbuf *out, int64_t seconds, bool last)
{
	char buf[40];

	if (seconds == 0) {
		s_csv_field(out, NULL, last);
		return;
	}
	timefmt_rfc3339(seconds, buf, sizeof buf);
	s_csv_field(out, buf, last);
}

void
drift_record_csv(const drift_record *r, strbuf *out)
{
	char rev[32];

	s_csv_field(out, r->id, false);
	s_csv_field(out, r->cluster, false);
	s_csv_field(out, r->node, false);
	s_csv_field(out, s_name(HOST_ROLE_NAMES, (int)r->role), false);
	s_csv_field(out, s_name(DRIFT_KIND_NAMES, (int)r->kind), false);
	s_csv_field(out, r->resource, false);
	s_csv_field(out, r->expected, false);
	s_csv_field(out, r->actual, false);
	snprintf(rev, sizeof rev, "%lld", (long long)r->policy_revision);
	s_csv_field(out, r->policy_revision > 0 ? rev : NULL, false);
	s_csv_field(out, s_name(POLICY_MODE_NAMES, (int)r->mode), false);
	s_csv_field(out, s_name(DRIFT_STATUS_NAMES, (int)r->status), false);
	s_csv_time(out, r->detected_at, false);
	s_csv_time(out, r->resolved_at, false);
	s_csv_field(out, r->action, false);
	s_csv_field(out, r->error, false);
	s_csv_field(out, s_cause(r->cause), false);
	s_csv_time(out, r->received_at, true);
}

/*
 * The id is the first 16 hex digits of BLAKE2b-256 over node, resource
 * and detection time, NUL-separated so that ("ab", "c") and ("a", "bc")
 * differ. Stable for the life of one drift; a new detection of the same
 * resource gets a new id.
 */
char *
drift_make_id(const char *node, const char *resource, int64_t detected_at)
{
	crypto_generichash_state st;
	unsigned char bin[crypto_generichash_BYTES];
	char when[32];
	char hex[2 * crypto_generichash_BYTES + 1];

	snprintf(when, sizeof when, "%lld", (long long)detected_at);
	crypto_generichash_init(&st, NULL, 0, sizeof bin);
	crypto_generichash_update(&st, (const unsigned char *)(node ? node : ""),
	    strlen(node ? node : "") + 1);
	crypto_generichash_update(&st,
	    (const unsigned char *)(resource ? resource : ""),
	    strlen(resource ? resource : "") + 1);
	crypto_generichash_update(&st, (const unsigned char *)when,
	    strlen(when));
	crypto_generichash_final(&st, bin, sizeof bin);
	sodium_bin2hex(hex, sizeof hex, bin, sizeof bin);
	hex[DRIFT_ID_HEX] = '\0';
	return xstrdup(hex);
}
