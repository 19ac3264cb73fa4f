/*
 * test_drift.c: the drift record (common/drift.c): name tables, deep copy
 * and clear, the JSON object with nulls for absent values, the CSV row
 * with RFC 4180 quoting in the contract's column order, and record ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drift.h"
#include "json.h"
#include "strbuf.h"
#include "xalloc.h"

/* 2026-01-02T03:04:05Z and 2026-01-02T04:00:00Z */
#define T_DETECTED INT64_C(1767323045)
#define T_RESOLVED INT64_C(1767326400)

static void
s_fill(drift_record *r)
{
	memset(r, 0, sizeof *r);
	r->id = xstrdup("0123456789abcdef");
	r->cluster = xstrdup("HV-CLUSTER-01");
	r->node = xstrdup("HV01");
	r->role = ROLE_HYPERV_NODE;
	r->kind = DRIFT_REGISTRY;
	r->resource = xstrdup("HKLM\\SOFTWARE\\Contoso[Window]");
	r->expected = xstrdup("REG_SZ \"22:00-05:00\"");
	r->actual = NULL;
	r->policy_revision = 3;
	r->mode = POLICY_ENFORCE;
	r->status = DRIFT_CORRECTED;
	r->detected_at = T_DETECTED;
	r->resolved_at = T_RESOLVED;
	r->action = xstrdup("set value");
	r->error = NULL;
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(DRIFT_KIND_NAMES[DRIFT_REGISTRY], "registry");
	assert_string_equal(DRIFT_KIND_NAMES[DRIFT_INTEGRATION_SERVICE],
	    "integration-service");
	assert_string_equal(DRIFT_KIND_NAMES[DRIFT_SERIALIZATION_FILE],
	    "serialization-file");
	assert_string_equal(DRIFT_KIND_NAMES[DRIFT_INVENTORY], "inventory");
	assert_null(DRIFT_KIND_NAMES[4]);
	assert_string_equal(DRIFT_STATUS_NAMES[DRIFT_OPEN], "open");
	assert_string_equal(DRIFT_STATUS_NAMES[DRIFT_CORRECTED], "corrected");
	assert_string_equal(DRIFT_STATUS_NAMES[DRIFT_FAILED], "failed");
	assert_string_equal(DRIFT_STATUS_NAMES[DRIFT_RESOLVED], "resolved");
	assert_null(DRIFT_STATUS_NAMES[4]);
	for (int i = 0; DRIFT_KIND_NAMES[i]; i++)
		assert_int_equal(drift_kind_from_name(DRIFT_KIND_NAMES[i]), i);
	for (int i = 0; DRIFT_STATUS_NAMES[i]; i++)
		assert_int_equal(drift_status_from_name(DRIFT_STATUS_NAMES[i]), i);
	assert_int_equal(drift_kind_from_name("Registry"), -1);
	assert_int_equal(drift_kind_from_name(""), -1);
	assert_int_equal(drift_kind_from_name(NULL), -1);
	assert_int_equal(drift_status_from_name("closed"), -1);
	assert_int_equal(drift_status_from_name(NULL), -1);
}

static void
test_copy_and_clear(void **state)
{
	drift_record a, b;

	(void)state;
	s_fill(&a);
	drift_record_copy(&b, &a);
	assert_ptr_not_equal(a.id, b.id);
	assert_ptr_not_equal(a.resource, b.resource);
	assert_string_equal(a.resource, b.resource);
	assert_string_equal(a.action, b.action);
	assert_null(b.actual);
	assert_null(b.error);
	assert_int_equal(b.policy_revision, 3);
	assert_int_equal(b.detected_at, T_DETECTED);
	assert_int_equal(b.status, DRIFT_CORRECTED);
	/* The copy is independent of the original. */
	b.cluster[0] = 'X';
	assert_string_equal(a.cluster, "HV-CLUSTER-01");
	drift_record_clear(&a);
	assert_null(a.id);
	assert_null(a.node);
	assert_int_equal(a.detected_at, 0);
	assert_string_equal(b.node, "HV01");
	drift_record_clear(&b);
	drift_record_clear(&b);	/* clearing twice is harmless */
}

static void
test_json(void **state)
{
	drift_record r;
	strbuf sb;
	jsonw j;

	(void)state;
	s_fill(&r);
	strbuf_init(&sb);
	jsonw_init(&j, &sb, false);
	drift_record_json(&r, &j);
	assert_string_equal(sb.data,
	    "{\"id\":\"0123456789abcdef\",\"cluster\":\"HV-CLUSTER-01\","
	    "\"node\":\"HV01\",\"role\":\"hyperv-node\",\"kind\":\"registry\","
	    "\"resource\":\"HKLM\\\\SOFTWARE\\\\Contoso[Window]\","
	    "\"expected\":\"REG_SZ \\\"22:00-05:00\\\"\",\"actual\":null,"
	    "\"policyRevision\":3,\"mode\":\"enforce\",\"status\":\"corrected\","
	    "\"detectedAt\":\"2026-01-02T03:04:05Z\","
	    "\"resolvedAt\":\"2026-01-02T04:00:00Z\",\"action\":\"set value\","
	    "\"error\":null,\"cause\":null,\"receivedAt\":null}");
	/* receivedAt is the controller's time of storing. */
	r.received_at = 1767323045;
	strbuf_reset(&sb);
	jsonw_init(&j, &sb, false);
	drift_record_json(&r, &j);
	assert_non_null(strstr(sb.data, "\"receivedAt\":\"2026-01-02T03:04:05Z\"}"));
	/* Absent revision and resolution are null; other enums by name. */
	r.policy_revision = 0;
	r.resolved_at = 0;
	r.role = ROLE_DPM_SERVER;
	r.kind = DRIFT_SERIALIZATION_FILE;
	r.mode = POLICY_AUDIT;
	r.status = DRIFT_OPEN;
	strbuf_reset(&sb);
	jsonw_init(&j, &sb, false);
	jsonw_begin_array(&j);
	drift_record_json(&r, &j);
	drift_record_json(&r, &j);
	jsonw_end_array(&j);
	assert_non_null(strstr(sb.data, "\"policyRevision\":null"));
	assert_non_null(strstr(sb.data, "\"resolvedAt\":null"));
	assert_non_null(strstr(sb.data, "\"role\":\"dpm-server\""));
	assert_non_null(strstr(sb.data, "\"kind\":\"serialization-file\""));
	assert_non_null(strstr(sb.data, "\"mode\":\"audit\""));
	assert_non_null(strstr(sb.data, "\"status\":\"open\""));
	assert_non_null(strstr(sb.data, "},{\"id\""));	/* two objects */
	assert_int_equal(sb.data[0], '[');
	assert_int_equal(sb.data[sb.len - 1], ']');
	strbuf_release(&sb);
	drift_record_clear(&r);
}

/* Counts CSV fields in one row, honouring quotes. */
static size_t
s_csv_fields(const char *row)
{
	size_t n = 1;
	bool quoted = false;

	for (const char *p = row; *p && !(*p == '\n' && !quoted); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			n++;
	}
	return n;
}

static void
test_csv(void **state)
{
	drift_record r;
	strbuf sb;
	size_t header_fields = s_csv_fields(DRIFT_CSV_HEADER);

	(void)state;
	assert_int_equal(header_fields, 17);
	s_fill(&r);
	strbuf_init(&sb);
	drift_record_csv(&r, &sb);
	/* The expected value holds quotes: quoted, quotes doubled. Absent
	 * values are empty cells. */
	assert_string_equal(sb.data,
	    "0123456789abcdef,HV-CLUSTER-01,HV01,hyperv-node,registry,"
	    "HKLM\\SOFTWARE\\Contoso[Window],\"REG_SZ \"\"22:00-05:00\"\"\",,"
	    "3,enforce,corrected,2026-01-02T03:04:05Z,2026-01-02T04:00:00Z,"
	    "set value,,,\n");
	assert_int_equal(s_csv_fields(sb.data), header_fields);
	/* Commas and line breaks are quoted; zero revision and time are
	 * empty. */
	free(r.action);
	r.action = xstrdup("disable VSS, then\r\nre-check");
	free(r.error);
	r.error = xstrdup("a,b");
	free(r.actual);
	r.actual = xstrdup("plain");
	r.policy_revision = 0;
	r.resolved_at = 0;
	strbuf_reset(&sb);
	drift_record_csv(&r, &sb);
	assert_string_equal(sb.data,
	    "0123456789abcdef,HV-CLUSTER-01,HV01,hyperv-node,registry,"
	    "HKLM\\SOFTWARE\\Contoso[Window],\"REG_SZ \"\"22:00-05:00\"\"\","
	    "plain,,enforce,corrected,2026-01-02T03:04:05Z,,"
	    "\"disable VSS, then\\r\\nre-check\",\"a,b\",,\n");
	assert_int_equal(s_csv_fields(sb.data), header_fields);
	/* An all-absent record still has every column. */
	drift_record_clear(&r);
	strbuf_reset(&sb);
	drift_record_csv(&r, &sb);
	assert_string_equal(sb.data, ",,,hyperv-node,registry,,,,,enforce,"
	    "open,,,,,,\n");
	strbuf_release(&sb);
}

static void
test_make_id(void **state)
{
	char *a = drift_make_id("HV01", "HKLM\\X[V]", T_DETECTED);
	char *b = drift_make_id("HV01", "HKLM\\X[V]", T_DETECTED);
	char *ids[5];

	(void)state;
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 16);
	for (size_t i = 0; i < 16; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	ids[0] = a;
	ids[1] = drift_make_id("HV02", "HKLM\\X[V]", T_DETECTED);
	ids[2] = drift_make_id("HV01", "HKLM\\X[W]", T_DETECTED);
	ids[3] = drift_make_id("HV01", "HKLM\\X[V]", T_DETECTED + 1);
	/* Field boundaries count: ("HV0", "1HKLM...") is another id. */
	ids[4] = drift_make_id("HV0", "1HKLM\\X[V]", T_DETECTED);
	for (size_t i = 0; i < 5; i++)
		for (size_t j = i + 1; j < 5; j++)
			assert_string_not_equal(ids[i], ids[j]);
	for (size_t i = 0; i < 5; i++)
		free(ids[i]);
	free(b);
}

/* cause: a name in JSON and CSV, null / empty when unknown. */
static void
test_cause(void **state)
{
	drift_record r = { 0 };
	strbuf out;
	jsonw j;

	(void)state;
	assert_int_equal(drift_cause_from_name("revision"),
	    DRIFT_CAUSE_REVISION);
	assert_int_equal(drift_cause_from_name("out-of-band"),
	    DRIFT_CAUSE_OUT_OF_BAND);
	assert_int_equal(drift_cause_from_name("bogus"), DRIFT_CAUSE_UNKNOWN);
	assert_int_equal(drift_cause_from_name(NULL), DRIFT_CAUSE_UNKNOWN);
	r.id = (char *)"x";
	r.resource = (char *)"y";
	r.cause = DRIFT_CAUSE_OUT_OF_BAND;
	strbuf_init(&out);
	jsonw_init(&j, &out, false);
	drift_record_json(&r, &j);
	assert_non_null(strstr(out.data, "\"cause\":\"out-of-band\""));
	strbuf_reset(&out);
	drift_record_csv(&r, &out);
	assert_non_null(strstr(out.data, ",out-of-band,"));
	r.cause = (drift_cause)7;	/* out of range: not a name */
	strbuf_reset(&out);
	jsonw_init(&j, &out, false);
	drift_record_json(&r, &j);
	assert_non_null(strstr(out.data, "\"cause\":null"));
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_copy_and_clear),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_cause),
		cmocka_unit_test(test_make_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
