/*
 * test_evidence.c: parsers for Windows tool output (common/evidence.c)
 * on the committed fixtures (tests/data/fixtures) and on variants made
 * from them: LF and CRLF line ends, UTF-16 with and without a mark, a
 * log tail cut mid-line, truncated lists, empty and foreign input, the
 * article's space-separated log line among many others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "evidence.h"
#include "platform.h"
#include "slurp.h"
#include "strbuf.h"
#include "xalloc.h"

#define FIXTURES HVP_TEST_DATA "/fixtures/"

#define ISCSI_ID "{2f900f90-00e9-440e-873a-96ca5eb079e5}"
#define SYSTEM_ID "{b5946137-7b9f-4925-af80-51abd60b20d5}"
#define ISCSI_NAME "Microsoft iSCSI Target VSS Hardware Provider"
#define SYSTEM_NAME "Microsoft Software Shadow Copy provider 1.0"
#define VOLUME "\\\\?\\Volume{de393808-58d8-11df-be86-00155d4e0e00}\\"
#define ARTICLE_LINE "0990 17D8 11/05 13:02:42.416 31 " \
	"vsssnapshotrequestor.cpp(585) [00000000003970D0] NORMAL " \
	"CVssSnapshotRequestor:: ProviderId:[{2F900F90-00E9-440E-873A-" \
	"96CA5EB079E5}], h/w provider:[65536], volume:[" VOLUME "]"

/* text with every "\r\n" made "\n" (crlf false) or every lone "\n"
 * made "\r\n" (crlf true). */
static char *
s_line_ends(const char *text, size_t len, bool crlf, size_t *outlen)
{
	strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < len; i++) {
		if (!crlf && text[i] == '\r' && i + 1 < len &&
		    text[i + 1] == '\n')
			continue;
		if (crlf && text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			strbuf_addch(&sb, '\r');
		strbuf_addch(&sb, text[i]);
	}
	return strbuf_detach(&sb, outlen);
}

/* ASCII text as UTF-16LE, with a mark or not. */
static char *
s_utf16le(const char *text, size_t len, bool bom, size_t *outlen)
{
	strbuf sb;

	strbuf_init(&sb);
	if (bom)
		strbuf_add(&sb, "\xFF\xFE", 2);
	for (size_t i = 0; i < len; i++) {
		strbuf_addch(&sb, text[i]);
		strbuf_addch(&sb, '\0');
	}
	return strbuf_detach(&sb, outlen);
}

static void
s_assert_provider(const evidence_provider *p, const char *id,
    const char *name, int type, const char *type_name, const char *version,
    const char *clsid)
{
	assert_string_equal(p->id, id);
	assert_string_equal(p->name, name);
	assert_int_equal(p->type, type);
	assert_string_equal(p->type_name, type_name);
	assert_string_equal(p->version, version);
	if (clsid)
		assert_string_equal(p->clsid, clsid);
	else
		assert_null(p->clsid);
}

typedef int (*list_parser)(const void *, size_t, evidence_providers *,
    char **);

static int
s_parse(list_parser fn, const char *data, size_t len, evidence_providers *l)
{
	char *err = NULL;
	int n;

	memset(l, 0, sizeof *l);
	n = fn(data, len, l, &err);
	assert_null(err);
	assert_int_equal((size_t)n, l->n);
	return n;
}

/* ---- vssadmin ----------------------------------------------------- */

static void
s_assert_vssadmin_fixture(const char *data, size_t len)
{
	evidence_providers l;

	assert_int_equal(s_parse(evidence_parse_vssadmin, data, len, &l), 2);
	s_assert_provider(&l.v[0], SYSTEM_ID, SYSTEM_NAME, PROVIDER_SYSTEM,
	    "System", "1.0.0.7", NULL);
	s_assert_provider(&l.v[1], ISCSI_ID, ISCSI_NAME, PROVIDER_HARDWARE,
	    "Hardware", "3.3.16544", NULL);
	evidence_providers_clear(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static void
test_vssadmin_fixture(void **state)
{
	size_t len, len2;
	char *data = slurp(FIXTURES "vssadmin-list-providers.txt", &len), *v;

	(void)state;
	assert_non_null(memchr(data, '\r', len));	/* the fixture is CRLF */
	s_assert_vssadmin_fixture(data, len);
	v = s_line_ends(data, len, false, &len2);
	assert_null(memchr(v, '\r', len2));
	s_assert_vssadmin_fixture(v, len2);
	free(v);
	v = s_utf16le(data, len, true, &len2);
	s_assert_vssadmin_fixture(v, len2);
	free(v);
	v = s_utf16le(data, len, false, &len2);
	s_assert_vssadmin_fixture(v, len2);
	free(v);
	free(data);
}

/* Cut after the first record's id: one provider, its version missing.
 * Cut inside the second record's id: that record is dropped. */
static void
test_vssadmin_truncated(void **state)
{
	size_t len;
	char *data = slurp(FIXTURES "vssadmin-list-providers.txt", &len);
	const char *cut = strstr(data, "Version: 1.0.0.7");
	const char *cut2 = strstr(data, "{2f900f90-00e9");
	evidence_providers l;

	(void)state;
	assert_non_null(cut);
	assert_non_null(cut2);
	assert_int_equal(s_parse(evidence_parse_vssadmin, data,
	    (size_t)(cut - data), &l), 1);
	assert_string_equal(l.v[0].id, SYSTEM_ID);
	assert_null(l.v[0].version);
	evidence_providers_clear(&l);
	assert_int_equal(s_parse(evidence_parse_vssadmin, data,
	    (size_t)(cut2 - data) + 10, &l), 1);
	assert_string_equal(l.v[0].id, SYSTEM_ID);
	assert_string_equal(l.v[0].version, "1.0.0.7");
	evidence_providers_clear(&l);
	free(data);
}

static void
test_vssadmin_variants(void **state)
{
	const char *text =
	    "Provider name: 'Microsoft File Share Shadow Copy provider'\n"
	    "   Provider type: Fileshare\n"
	    "   Provider Id: 89300202-3CEC-4981-9171-19F59559E0F2\n"
	    "   Version: 1.0.0.1\n"
	    "Provider name: 'no id'\n"
	    "   Provider type: Software\n"
	    "Provider name: 'bad id'\n"
	    "   Provider Id: {not-a-guid}\n"
	    "PROVIDER NAME: 'Contoso: Array'\n"
	    "   provider type: software\n"
	    "   provider id: {AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}\n";
	evidence_providers l;

	(void)state;
	assert_int_equal(s_parse(evidence_parse_vssadmin, text, strlen(text),
	    &l), 2);
	s_assert_provider(&l.v[0], "{89300202-3cec-4981-9171-19f59559e0f2}",
	    "Microsoft File Share Shadow Copy provider", EVIDENCE_TYPE_UNKNOWN,
	    "Fileshare", "1.0.0.1", NULL);
	assert_string_equal(l.v[1].id,
	    "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}");
	assert_string_equal(l.v[1].name, "Contoso: Array");
	assert_int_equal(l.v[1].type, PROVIDER_SOFTWARE);
	assert_null(l.v[1].version);
	evidence_providers_clear(&l);
}

/* ---- diskshadow --------------------------------------------------- */

static void
s_assert_diskshadow_fixture(const char *data, size_t len)
{
	evidence_providers l;

	assert_int_equal(s_parse(evidence_parse_diskshadow, data, len, &l), 2);
	s_assert_provider(&l.v[0], ISCSI_ID, ISCSI_NAME, PROVIDER_HARDWARE,
	    "VSS_PROV_HARDWARE", "3.3.16544",
	    "{363948d2-035d-4d1d-9bfc-473fece07dab}");
	s_assert_provider(&l.v[1], SYSTEM_ID, SYSTEM_NAME, PROVIDER_SYSTEM,
	    "VSS_PROV_SYSTEM", "1.0.0.7",
	    "{65ee1dba-8ff4-4a58-ac1c-3470ee2f376a}");
	assert_ptr_equal(evidence_providers_find(&l,
	    "2F900F90-00E9-440E-873A-96CA5EB079E5"), &l.v[0]);
	assert_ptr_equal(evidence_providers_find(&l, SYSTEM_ID), &l.v[1]);
	assert_null(evidence_providers_find(&l,
	    "{00000000-0000-0000-0000-000000000000}"));
	assert_null(evidence_providers_find(&l, "garbage"));
	evidence_providers_clear(&l);
}

static void
test_diskshadow_fixture(void **state)
{
	size_t len, len2;
	char *data = slurp(FIXTURES "diskshadow-list-providers.txt", &len);
	char *v;

	(void)state;
	s_assert_diskshadow_fixture(data, len);
	v = s_line_ends(data, len, true, &len2);
	assert_non_null(memchr(v, '\r', len2));
	s_assert_diskshadow_fixture(v, len2);
	free(v);
	v = s_utf16le(data, len, true, &len2);
	s_assert_diskshadow_fixture(v, len2);
	free(v);
	free(data);
}

/* The type from its number alone, or an unknown one. */
static void
test_diskshadow_types(void **state)
{
	const char *text =
	    "* ProviderID: {11111111-1111-1111-1111-111111111111}\n"
	    "        Type: [2]\n"
	    "* ProviderID: {22222222-2222-2222-2222-222222222222}\n"
	    "        Type: [4] VSS_PROV_FILESHARE\n"
	    "        CLSID: nonsense\n"
	    "* ProviderID: {33333333-3333-3333-3333-333333333333}\n"
	    "        Type: VSS_PROV_SOFTWARE\n"
	    "        Name: Contoso\n"
	    "        Name: second name starts nothing new without an id\n";
	evidence_providers l;

	(void)state;
	assert_int_equal(s_parse(evidence_parse_diskshadow, text, strlen(text),
	    &l), 3);
	assert_int_equal(l.v[0].type, PROVIDER_SOFTWARE);
	assert_null(l.v[0].type_name);
	assert_int_equal(l.v[1].type, EVIDENCE_TYPE_UNKNOWN);
	assert_string_equal(l.v[1].type_name, "VSS_PROV_FILESHARE");
	assert_null(l.v[1].clsid);
	assert_int_equal(l.v[2].type, PROVIDER_SOFTWARE);
	assert_string_equal(l.v[2].name, "Contoso");
	evidence_providers_clear(&l);
}

/* ---- nothing there ------------------------------------------------ */

static void
test_lists_empty_and_foreign(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n\r\n\n",
		"Error: Access is denied.\r\n",
		"Fehler: Zugriff verweigert\n* : \n:::\n* \n",
	};
	evidence_providers l;
	char *err = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		assert_int_equal(s_parse(evidence_parse_vssadmin, inputs[i],
		    strlen(inputs[i]), &l), 0);
		assert_int_equal(s_parse(evidence_parse_diskshadow, inputs[i],
		    strlen(inputs[i]), &l), 0);
	}
	memset(&l, 0, sizeof l);
	assert_int_equal(evidence_parse_vssadmin(NULL, 0, &l, &err), 0);
	assert_null(err);
}

static void
test_too_large(void **state)
{
	char *big = xcalloc(1, EVIDENCE_MAX_INPUT + 1), *err = NULL;
	evidence_providers l = { 0 };
	evidence_snapshot s = { 0 };

	(void)state;
	assert_int_equal(evidence_parse_vssadmin(big, EVIDENCE_MAX_INPUT + 1,
	    &l, &err), -1);
	assert_string_equal(err, "input is 33554433 bytes, more than the "
	    "33554432 allowed");
	free(err);
	err = NULL;
	assert_int_equal(evidence_last_snapshot(big, EVIDENCE_MAX_INPUT + 1,
	    &s, &err), -1);
	assert_non_null(err);
	assert_null(s.provider_id);
	free(err);
	free(big);
}

/* ---- agent log ---------------------------------------------------- */

static void
s_assert_snapshot(const char *data, size_t len, const char *id, bool hw,
    const char *volume, const char *line)
{
	evidence_snapshot s = { 0 };
	char *err = NULL;

	assert_int_equal(evidence_last_snapshot(data, len, &s, &err), 1);
	assert_null(err);
	assert_string_equal(s.provider_id, id);
	assert_int_equal(s.hardware, hw);
	if (volume)
		assert_string_equal(s.volume, volume);
	else
		assert_null(s.volume);
	assert_string_equal(s.line, line);
	evidence_snapshot_clear(&s);
	assert_null(s.provider_id);
	assert_null(s.line);
}

static void
s_assert_no_snapshot(const char *data, size_t len)
{
	evidence_snapshot s = { 0 };
	char *err = NULL;

	assert_int_equal(evidence_last_snapshot(data, len, &s, &err), 0);
	assert_null(err);
	assert_null(s.provider_id);
	assert_null(s.volume);
	assert_null(s.line);
}

static void
test_errlog_fixture(void **state)
{
	size_t len, len2;
	char *data = slurp(FIXTURES "DPMRACurr.errlog.sample", &len), *line;
	char *v;

	(void)state;
	line = xstrndup(data, len);
	line[strcspn(line, "\r\n")] = '\0';
	assert_non_null(strchr(line, '\t'));
	s_assert_snapshot(data, len, ISCSI_ID, true, VOLUME, line);
	v = s_line_ends(data, len, true, &len2);
	s_assert_snapshot(v, len2, ISCSI_ID, true, VOLUME, line);
	free(v);
	/* The agent's own UTF-16 log, read from its start or from an odd
	 * byte in the middle (a tail), without a mark either way. */
	v = s_utf16le(data, len, true, &len2);
	s_assert_snapshot(v, len2, ISCSI_ID, true, VOLUME, line);
	free(v);
	v = s_utf16le(data, len, false, &len2);
	s_assert_snapshot(v + 3, len2 - 3, ISCSI_ID, true, VOLUME, line + 2);
	free(v);
	free(line);
	free(data);
}

/* The article's line (spaces) among many others; the last one wins;
 * lines that only look alike do not count. */
static void
test_errlog_article_and_noise(void **state)
{
	strbuf sb;

	(void)state;
	strbuf_init(&sb);
	for (int i = 0; i < 2000; i++)
		strbuf_addf(&sb, "0990\t17D8\t11/05\t13:02:%02d.416\t31\t"
		    "fsutils.cpp(%d)\t[00000000003970D0]\tNORMAL\tline %d\r\n",
		    i % 60, i, i);
	strbuf_addstr(&sb, "0990 17D8 11/05 13:01:00.000 31 "
	    "vsssnapshotrequestor.cpp(585) [0] NORMAL CVssSnapshotRequestor:: "
	    "ProviderId:[{b5946137-7b9f-4925-af80-51abd60b20d5}], "
	    "h/w provider:[0], volume:[C:\\]\r\n");
	strbuf_addf(&sb, "   %s   \r\n", ARTICLE_LINE);
	strbuf_addstr(&sb, "0990 17D8 11/05 13:02:43.000 31 NORMAL "
	    "ProviderId:[{b5946137-7b9f-4925-af80-51abd60b20d5}] "
	    "(no requestor mark)\r\n");
	strbuf_addstr(&sb, "0990 17D8 11/05 13:02:44.000 31 NORMAL "
	    "CVssSnapshotRequestor:: ProviderId:[{b5946137-7b9f-4925-af80}], "
	    "h/w provider:[0]\r\n");
	strbuf_addstr(&sb, "0990 17D8 11/05 13:02:45.000 31 NORMAL "
	    "CVssSnapshotRequestor:: ProviderId:[{b5946137-7b9f-4925-af80-51a");
	s_assert_snapshot(sb.data, sb.len, ISCSI_ID, true, VOLUME,
	    ARTICLE_LINE);
	/* Without the article's line, the one before it is the last. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "vsssnapshotrequestor.cpp(585) cvsssnapshotrequestor:: "
	    "providerid:[B5946137-7B9F-4925-AF80-51ABD60B20D5], "
	    "h/w provider:[0x10000]\n");
	strbuf_addstr(&sb, "CVssSnapshotRequestor:: ProviderId:"
	    "[{b5946137-7b9f-4925-af80-51abd60b20d5}], h/w provider:[0], "
	    "volume:[\\\\?\\Volume{1}\\]\n");
	s_assert_snapshot(sb.data, sb.len, SYSTEM_ID, false,
	    "\\\\?\\Volume{1}\\", "CVssSnapshotRequestor:: ProviderId:"
	    "[{b5946137-7b9f-4925-af80-51abd60b20d5}], h/w provider:[0], "
	    "volume:[\\\\?\\Volume{1}\\]");
	/* Bare, uppercase id; hex flags; no volume. */
	sb.len = strchr(sb.data, '\n') - sb.data + 1;
	s_assert_snapshot(sb.data, sb.len, SYSTEM_ID, true, NULL,
	    "vsssnapshotrequestor.cpp(585) cvsssnapshotrequestor:: "
	    "providerid:[B5946137-7B9F-4925-AF80-51ABD60B20D5], "
	    "h/w provider:[0x10000]");
	strbuf_release(&sb);
}

static void
test_errlog_none(void **state)
{
	size_t len;
	char *data = slurp(FIXTURES "DPMRACurr.errlog.sample", &len);
	const char *cut = strstr(data, "5EB079E5}");

	(void)state;
	s_assert_no_snapshot("", 0);
	s_assert_no_snapshot(NULL, 0);
	s_assert_no_snapshot("\n\n\r\n", 4);
	s_assert_no_snapshot("0990\t17D8\tNORMAL\tnothing here\n", 30);
	s_assert_no_snapshot("CVssSnapshotRequestor::\n", 24);
	s_assert_no_snapshot("ProviderId:[{2F900F90-00E9-440E-873A-96CA5EB079E5}] "
	    "CVssSnapshotRequestor::", 75);
	/* Truncated inside the id. */
	assert_non_null(cut);
	s_assert_no_snapshot(data, (size_t)(cut - data));
	/* Truncated after the id: found, with what is there. */
	s_assert_snapshot(data, (size_t)(cut - data) + 10, ISCSI_ID, false,
	    NULL, "0990\t17D8\t11/05\t13:02:42.416\t31\t"
	    "vsssnapshotrequestor.cpp(585)\t[00000000003970D0]\tNORMAL\t"
	    "CVssSnapshotRequestor:: ProviderId:[{2F900F90-00E9-440E-873A-"
	    "96CA5EB079E5}]");
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vssadmin_fixture),
		cmocka_unit_test(test_vssadmin_truncated),
		cmocka_unit_test(test_vssadmin_variants),
		cmocka_unit_test(test_diskshadow_fixture),
		cmocka_unit_test(test_diskshadow_types),
		cmocka_unit_test(test_lists_empty_and_foreign),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_errlog_fixture),
		cmocka_unit_test(test_errlog_article_and_noise),
		cmocka_unit_test(test_errlog_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
