/*
 * test_policy.c: the policy language (common/policy.c): every class of
 * error with its exact line and column and nothing else reported, hostile
 * input, defaults, the canonical text and its hash (same meaning, same
 * hash; any change of meaning, another hash; the canonical text parses
 * back to the same hash), guest globs, and loading from files and stdin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"
#include "platform.h"
#include "policy.h"
#include "strbuf.h"
#include "xalloc.h"

#define POLICIES HVP_SOURCE_DIR "/policies/"
#define BAD HVP_TEST_DATA "/policies/"

/* Lines 1-6 of most cases; what a case adds starts at line 7. */
#define HEAD "apiVersion: hvpolicy/v1\n" \
	"kind: ClusterPolicy\n" \
	"metadata:\n" \
	"  name: t\n" \
	"spec:\n" \
	"  cluster: C\n"
/* HEAD plus a strategy at line 7: additions start at line 8. */
#define HW HEAD "  strategy: hardware-saved-state\n"
/* HEAD plus system-software with its serialization (lines 7-10). */
#define SW HEAD "  strategy: system-software\n" \
	"  serialization:\n" \
	"    dpmServer: DPM01\n"

/*
 * Helpers.
 */

typedef struct want {
	int line, column;
	const char *key;	/* the diagnostic's key path */
	const char *fragment;	/* must occur in the message */
} want;

/* Parses text and expects failure with exactly the diagnostics in w,
 * sorted by position. */
static void
s_expect_errors(const char *text, const want *w, size_t n)
{
	diag_list d;
	policy *p;

	diag_list_init(&d);
	p = policy_parse("p.yaml", text, strlen(text), &d);
	assert_null(p);
	diag_sort(&d);
	if (d.count != n) {
		diag_print(&d, stderr);
		fail_msg("expected %zu diagnostics, got %zu", n, d.count);
	}
	for (size_t i = 0; i < n; i++) {
		const diag *g = &d.items[i];

		if (g->line != w[i].line || g->column != w[i].column ||
		    strstr(g->message, w[i].fragment) == NULL ||
		    (w[i].key != NULL && (g->key == NULL ||
		    strcmp(g->key, w[i].key) != 0))) {
			diag_print(&d, stderr);
			fail_msg("diagnostic %zu: expected %d:%d [%s] '%s', got "
			    "%d:%d [%s] '%s'", i, w[i].line, w[i].column,
			    w[i].key ? w[i].key : "-", w[i].fragment, g->line,
			    g->column, g->key ? g->key : "-", g->message);
		}
		assert_string_equal(g->file, "p.yaml");
	}
	diag_list_release(&d);
}

#define EXPECT(text, ...) do {						\
	const want w_[] = { __VA_ARGS__ };				\
	s_expect_errors(text, w_, sizeof w_ / sizeof w_[0]);		\
} while (0)

static policy *
s_parse_ok(const char *text)
{
	diag_list d;
	policy *p;

	diag_list_init(&d);
	p = policy_parse("p.yaml", text, strlen(text), &d);
	if (p == NULL) {
		diag_print(&d, stderr);
		fail_msg("expected the text to parse");
	}
	assert_int_equal(d.count, 0);
	diag_list_release(&d);
	return p;
}

static void
s_hash_of(const char *text, char out[POLICY_HASH_HEX + 1])
{
	policy *p = s_parse_ok(text);

	policy_hash(p, out);
	policy_free(&p);
}

/* The canonical text parses, and gives the same text and hash again. */
static void
s_assert_round_trip(const policy *p)
{
	char h1[POLICY_HASH_HEX + 1], h2[POLICY_HASH_HEX + 1];
	char *c1 = policy_canonical(p), *c2;
	policy *q = s_parse_ok(c1);

	c2 = policy_canonical(q);
	assert_string_equal(c1, c2);
	policy_hash(p, h1);
	policy_hash(q, h2);
	assert_string_equal(h1, h2);
	free(c1);
	free(c2);
	policy_free(&q);
}

/*
 * The model and its defaults.
 */

static void
test_defaults(void **state)
{
	policy *p = s_parse_ok(SW);

	(void)state;
	assert_string_equal(p->name, "t");
	assert_null(p->description);
	assert_string_equal(p->cluster, "C");
	assert_int_equal(p->mode, POLICY_ENFORCE);
	assert_int_equal(p->strategy, STRATEGY_SYSTEM_SOFTWARE);
	assert_int_equal(p->per_node, 1);
	assert_true(p->per_csv);
	assert_string_equal(p->dpm_server, "DPM01");
	assert_int_equal(p->ninclude, 1);
	assert_string_equal(p->include[0], "*");
	assert_int_equal(p->nexclude, 0);
	assert_int_equal(p->nregistry, 0);
	assert_int_equal(p->interval_seconds, 60);
	policy_free(&p);
	assert_null(p);
	policy_free(&p);	/* NULL is fine */
}

static void
test_full_model(void **state)
{
	policy *p = s_parse_ok(
	    "apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: a-1, description: free text}\n"
	    "spec:\n"
	    "  cluster: HV-CLUSTER-01\n"
	    "  mode: audit\n"
	    "  strategy: system-software\n"
	    "  serialization: {perNode: 64, perCsv: false, dpmServer: DPM01}\n"
	    "  guests: {include: [VM*], exclude: [VM0001, 'x?']}\n"
	    "  registry:\n"
	    "    - key: 'HKEY_LOCAL_MACHINE\\Software\\C\\\\'\n"
	    "      value: V\n"
	    "      type: REG_DWORD\n"
	    "      data: 0xFFFFFFFF\n"
	    "      roles: [dpm-server, hyperv-node]\n"
	    "    - key: 'HKLM\\Software\\D'\n"
	    "      ensure: absent\n"
	    "    - key: 'HKLM\\Software\\E'\n"
	    "      value: ''\n"
	    "      type: REG_MULTI_SZ\n"
	    "      data: [a, 'b c']\n"
	    "  reconcile: {intervalSeconds: 86400}\n");

	(void)state;
	assert_string_equal(p->name, "a-1");
	assert_string_equal(p->description, "free text");
	assert_int_equal(p->mode, POLICY_AUDIT);
	assert_int_equal(p->per_node, 64);
	assert_false(p->per_csv);
	assert_int_equal(p->ninclude, 1);
	assert_int_equal(p->nexclude, 2);
	assert_string_equal(p->exclude[1], "x?");
	assert_int_equal(p->nregistry, 3);
	assert_string_equal(p->registry[0].key, "HKLM\\Software\\C");
	assert_string_equal(p->registry[0].value, "V");
	assert_true(p->registry[0].present);
	assert_int_equal(p->registry[0].data.type, REG_T_DWORD);
	assert_int_equal(p->registry[0].data.number, 0xFFFFFFFFu);
	assert_int_equal(p->registry[0].roles,
	    ROLE_BIT(ROLE_HYPERV_NODE) | ROLE_BIT(ROLE_DPM_SERVER));
	assert_int_equal(p->registry[0].line, 11);
	assert_int_equal(p->registry[0].column, 7);
	assert_null(p->registry[1].value);
	assert_false(p->registry[1].present);
	assert_int_equal(p->registry[1].data.type, REG_T_NONE);
	assert_int_equal(p->registry[1].roles, ROLE_BIT(ROLE_HYPERV_NODE));
	assert_string_equal(p->registry[2].value, "");	/* (Default) */
	assert_int_equal(p->registry[2].data.list_len, 2);
	assert_string_equal(p->registry[2].data.list[1], "b c");
	assert_int_equal(p->interval_seconds, 86400);
	s_assert_round_trip(p);
	policy_free(&p);
}

static void
test_name_tables(void **state)
{
	(void)state;
	assert_string_equal(POLICY_MODE_NAMES[POLICY_ENFORCE], "enforce");
	assert_string_equal(POLICY_MODE_NAMES[POLICY_AUDIT], "audit");
	assert_null(POLICY_MODE_NAMES[2]);
	assert_string_equal(POLICY_STRATEGY_NAMES[STRATEGY_SYSTEM_SOFTWARE],
	    "system-software");
	assert_string_equal(
	    POLICY_STRATEGY_NAMES[STRATEGY_HARDWARE_SAVED_STATE],
	    "hardware-saved-state");
	assert_null(POLICY_STRATEGY_NAMES[2]);
	assert_string_equal(HOST_ROLE_NAMES[ROLE_HYPERV_NODE], "hyperv-node");
	assert_string_equal(HOST_ROLE_NAMES[ROLE_DPM_SERVER], "dpm-server");
	assert_null(HOST_ROLE_NAMES[2]);
}

/*
 * Errors, one test per class. Each asserts the complete list.
 */

static void
test_error_api_version_and_kind(void **state)
{
	(void)state;
	EXPECT("apiVersion: hvpolicy/v2\n"
	    "kind: Policy\n"
	    "metadata: {name: t}\n"
	    "spec: {cluster: C, strategy: hardware-saved-state}\n",
	    { 1, 13, "apiVersion", "expected hvpolicy/v1, got 'hvpolicy/v2'" },
	    { 2, 7, "kind", "expected ClusterPolicy, got 'Policy'" });
	EXPECT("apiVersion: [hvpolicy/v1]\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: t}\n"
	    "spec: {cluster: C, strategy: hardware-saved-state}\n",
	    { 1, 13, "apiVersion", "expected a string, got a list" });
}

static void
test_error_missing_keys(void **state)
{
	(void)state;
	/* Missing keys are reported where their mapping starts. */
	EXPECT("apiVersion: hvpolicy/v1\nkind: ClusterPolicy\n",
	    { 1, 1, "metadata", "required key is missing" },
	    { 1, 1, "spec", "required key is missing" });
	EXPECT("kind: ClusterPolicy\n"
	    "metadata:\n"
	    "  description: no name\n"
	    "spec:\n"
	    "  mode: audit\n",
	    { 1, 1, "apiVersion", "required key is missing" },
	    { 3, 3, "metadata.name", "required key is missing" },
	    { 5, 3, "spec.cluster", "required key is missing" },
	    { 5, 3, "spec.strategy", "required key is missing; expected one "
	      "of system-software, hardware-saved-state" });
}

static void
test_error_unknown_and_duplicate_keys(void **state)
{
	(void)state;
	EXPECT(HW "  Mode: audit\n"
	    "status: {}\n",
	    { 8, 3, "spec.Mode", "unknown key; expected one of: cluster, mode, "
	      "strategy, serialization, guests, registry, reconcile" },
	    { 9, 1, "status", "unknown key; expected one of: apiVersion, kind, "
	      "metadata, spec" });
	EXPECT(HW "  cluster: D\n",
	    { 8, 3, "spec.cluster", "duplicate key (first at line 6)" });
	EXPECT(HW "  guests:\n    include: [a]\n    include: [b]\n"
	    "    glob: x\n",
	    { 10, 5, "spec.guests.include", "duplicate key (first at line 9)" },
	    { 11, 5, "spec.guests.glob", "unknown key; expected one of: "
	      "include, exclude" });
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKLM\\X'\n"
	    "      Value: V\n"
	    "      key: 'HKLM\\Y'\n",
	    { 10, 7, "spec.registry[0].Value", "unknown key; expected one of: "
	      "key, value, type, data, ensure, roles" },
	    { 11, 7, "spec.registry[0].key", "duplicate key (first at line "
	      "9)" });
}

static void
test_error_metadata(void **state)
{
	char text[512];

	(void)state;
	EXPECT("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata:\n"
	    "  name: Contoso_Backup\n"
	    "  description: {a: b}\n"
	    "spec: {cluster: C, strategy: hardware-saved-state}\n",
	    { 4, 9, "metadata.name", "expected 1 to 63 characters, each a-z, "
	      "0-9 or '-', got 'Contoso_Backup'" },
	    { 5, 16, "metadata.description", "expected a string" });
	snprintf(text, sizeof text, "apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: %.64s}\n"
	    "spec: {cluster: C, strategy: hardware-saved-state}\n",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	EXPECT(text, { 3, 18, "metadata.name", "expected 1 to 63" });
	/* 63 is the longest allowed. */
	text[strlen("apiVersion: hvpolicy/v1\nkind: ClusterPolicy\n"
	    "metadata: {name: ") + 63] = ' ';
	policy_free(&(policy *){ s_parse_ok(text) });
	EXPECT("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: \"\"}\n"
	    "spec: {cluster: C, strategy: hardware-saved-state}\n",
	    { 3, 18, "metadata.name", "expected 1 to 63 characters" });
	EXPECT("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: [name]\n"
	    "spec: {cluster: C, strategy: hardware-saved-state}\n",
	    { 3, 11, "metadata", "expected a mapping, got a list" });
}

static void
test_error_cluster(void **state)
{
	(void)state;
	EXPECT("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: t}\n"
	    "spec:\n"
	    "  cluster: ''\n"
	    "  strategy: hardware-saved-state\n",
	    { 5, 12, "spec.cluster", "expected a cluster name, got an empty "
	      "string" });
	EXPECT("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: t}\n"
	    "spec:\n"
	    "  cluster: \"HV\\nCLUSTER\"\n"
	    "  strategy: hardware-saved-state\n",
	    { 5, 12, "spec.cluster", "without control characters" });
	EXPECT("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata: {name: t}\n"
	    "spec:\n"
	    "  cluster:\n"
	    "  strategy: hardware-saved-state\n",
	    { 5, 11, "spec.cluster", "expected a string, got nothing" });
}

static void
test_error_mode_and_strategy(void **state)
{
	(void)state;
	EXPECT(HEAD "  mode: Enforce\n  strategy: software\n",
	    { 7, 9, "spec.mode", "expected one of enforce, audit, got "
	      "'Enforce'" },
	    { 8, 13, "spec.strategy", "expected one of system-software, "
	      "hardware-saved-state, got 'software'" });
	EXPECT(HEAD "  mode: audit\n",
	    { 6, 3, "spec.strategy", "required key is missing" });
}

static void
test_error_serialization(void **state)
{
	(void)state;
	/* Under hardware-saved-state the block itself is the error, at its
	 * key; its contents are not examined. */
	EXPECT(HW "  serialization:\n    perNode: 99\n",
	    { 8, 3, "spec.serialization", "only allowed with strategy "
	      "system-software" });
	/* dpmServer missing: at spec without the block, at the block with
	 * it. */
	EXPECT(HEAD "  strategy: system-software\n",
	    { 6, 3, "spec.serialization.dpmServer", "required with strategy "
	      "system-software" });
	EXPECT(HEAD "  strategy: system-software\n"
	    "  serialization:\n"
	    "    perNode: 2\n",
	    { 9, 5, "spec.serialization.dpmServer", "required with strategy "
	      "system-software" });
	EXPECT(HEAD "  strategy: system-software\n"
	    "  serialization:\n"
	    "    perNode: 0\n"
	    "    perCsv: yes\n"
	    "    dpmServer: ''\n"
	    "    perCSV: true\n",
	    { 9, 14, "spec.serialization.perNode", "expected an integer from "
	      "1 to 64, got '0'" },
	    { 10, 13, "spec.serialization.perCsv", "expected true or false, "
	      "got 'yes'" },
	    { 11, 16, "spec.serialization.dpmServer", "expected the name of "
	      "the dpm-server node, got an empty string" },
	    { 12, 5, "spec.serialization.perCSV", "unknown key; expected one "
	      "of: perNode, perCsv, dpmServer" });
	EXPECT(HEAD "  strategy: system-software\n"
	    "  serialization: {perNode: 65, dpmServer: D}\n",
	    { 8, 28, "spec.serialization.perNode", "from 1 to 64, got '65'" });
	EXPECT(HEAD "  strategy: system-software\n"
	    "  serialization: DPM01\n",
	    { 8, 18, "spec.serialization", "expected a mapping, got a "
	      "scalar" });
	/* With the strategy unknown, only the block's own rules apply. */
	EXPECT(HEAD "  strategy: nope\n"
	    "  serialization: {perNode: 3}\n",
	    { 7, 13, "spec.strategy", "expected one of" });
}

static void
test_error_guests(void **state)
{
	(void)state;
	EXPECT(HW "  guests:\n"
	    "    include: \"*\"\n"
	    "    exclude: [a, '', 'VM[0-9', '[z-a]*']\n",
	    { 9, 14, "spec.guests.include", "expected a list, got a scalar" },
	    { 10, 18, "spec.guests.exclude[1]", "expected a non-empty glob" },
	    { 10, 22, "spec.guests.exclude[2]", "invalid glob 'VM[0-9': '[' "
	      "without a closing ']'" },
	    { 10, 32, "spec.guests.exclude[3]", "invalid glob '[z-a]*': a "
	      "range in [...] whose start comes after its end" });
	EXPECT(HW "  guests:\n    exclude: [a, {x: y}]\n",
	    { 9, 18, "spec.guests.exclude[1]", "expected a string, got a "
	      "mapping" });
	EXPECT(HW "  guests:\n    exclude: [\"a\\tb\"]\n",
	    { 9, 15, "spec.guests.exclude[0]", "without control characters" });
	EXPECT(HW "  guests: [a]\n",
	    { 8, 11, "spec.guests", "expected a mapping, got a list" });
}

static void
test_error_registry_shape(void **state)
{
	(void)state;
	EXPECT(HW "  registry: {key: x}\n",
	    { 8, 13, "spec.registry", "expected a list, got a mapping" });
	EXPECT(HW "  registry:\n"
	    "    - 'HKLM\\X'\n"
	    "    - value: V\n"
	    "      type: REG_SZ\n"
	    "      data: a\n",
	    { 9, 7, "spec.registry[0]", "expected a mapping, got a scalar" },
	    { 10, 7, "spec.registry[1].key", "required key is missing" });
}

static void
test_error_registry_key(void **state)
{
	(void)state;
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKCU\\Software\\X'\n"
	    "    - key: 'HKLM\\\\'\n"
	    "    - key: 'SOFTWARE\\X'\n"
	    "    - key: \"HKLM\\\\A\\x01B\"\n",
	    { 9, 12, "spec.registry[0].key", "a key must be a path under "
	      "HKLM\\ or HKEY_LOCAL_MACHINE\\, got 'HKCU\\Software\\X'" },
	    { 10, 12, "spec.registry[1].key", "not the hive itself" },
	    { 11, 12, "spec.registry[2].key", "a key must be a path under" },
	    { 12, 12, "spec.registry[3].key", "control characters, got "
	      "'HKLM\\A\\x01B'" });
}

static void
test_error_registry_type(void **state)
{
	(void)state;
	/* A value with ensure: present needs a type; the type needs data. */
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKLM\\X'\n"
	    "      value: V\n"
	    "    - key: 'HKLM\\X'\n"
	    "      value: W\n"
	    "      type: REG_DWORD64\n"
	    "      data: 1\n"
	    "    - key: 'HKLM\\X'\n"
	    "      value: Y\n"
	    "      type: REG_SZ\n",
	    { 9, 7, "spec.registry[0].type", "required with value and ensure: "
	      "present; expected one of REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, "
	      "REG_DWORD, REG_QWORD, REG_BINARY" },
	    { 13, 13, "spec.registry[1].type", "expected one of REG_SZ, "
	      "REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY, "
	      "got 'REG_DWORD64'" },
	    { 15, 7, "spec.registry[2].data", "required with type REG_SZ; "
	      "expected a string" });
}

static void
test_error_registry_data(void **state)
{
	(void)state;
	EXPECT(HW "  registry:\n"
	    "    - {key: 'HKLM\\X', value: a, type: REG_DWORD, data: 4294967296}\n"
	    "    - {key: 'HKLM\\X', value: b, type: REG_DWORD, data: 0x100000000}\n"
	    "    - {key: 'HKLM\\X', value: c, type: REG_QWORD, data: -1}\n"
	    "    - {key: 'HKLM\\X', value: d, type: REG_DWORD, data: \"1\"}\n"
	    "    - {key: 'HKLM\\X', value: e, type: REG_BINARY, data: abc}\n"
	    "    - {key: 'HKLM\\X', value: f, type: REG_BINARY, data: zz}\n"
	    "    - {key: 'HKLM\\X', value: g, type: REG_MULTI_SZ, data: one}\n"
	    "    - {key: 'HKLM\\X', value: h, type: REG_SZ, data: [one]}\n"
	    "    - {key: 'HKLM\\X', value: i, type: REG_SZ, data: }\n"
	    "    - {key: 'HKLM\\X', value: j, type: REG_MULTI_SZ, data: [a, ~]}\n"
	    "    - {key: 'HKLM\\X', value: k, type: REG_DWORD, data: 1.5}\n",
	    { 9, 56, "spec.registry[0].data", "expected an integer from 0 to "
	      "4294967295 (decimal or 0x hex), got '4294967296'" },
	    { 10, 56, "spec.registry[1].data", "got '0x100000000'" },
	    { 11, 56, "spec.registry[2].data", "expected an integer from 0 to "
	      "18446744073709551615" },
	    { 12, 56, "spec.registry[3].data", "got the quoted string '1'; "
	      "write the number without quotes" },
	    { 13, 57, "spec.registry[4].data", "REG_BINARY data must be an "
	      "even-length hex string, got 3 characters" },
	    { 14, 57, "spec.registry[5].data", "must be hex digits" },
	    { 15, 59, "spec.registry[6].data", "expected a list, got a "
	      "scalar" },
	    { 16, 53, "spec.registry[7].data", "REG_SZ data must be a "
	      "string" },
	    { 17, 53, "spec.registry[8].data", "expected a string for REG_SZ, "
	      "got nothing" },
	    { 18, 63, "spec.registry[9].data[1]", "expected a string, got "
	      "nothing" },
	    { 19, 56, "spec.registry[10].data", "got '1.5'" });
}

static void
test_error_registry_type_not_allowed(void **state)
{
	(void)state;
	/* No value: the key itself; ensure: absent: nothing to type. */
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKLM\\X'\n"
	    "      type: REG_SZ\n"
	    "      data: a\n"
	    "    - key: 'HKLM\\Y'\n"
	    "      value: V\n"
	    "      ensure: absent\n"
	    "      data: 1\n"
	    "    - key: 'HKLM\\Z'\n"
	    "      ensure: gone\n"
	    "      type: REG_SZ\n",
	    { 10, 7, "spec.registry[0].type", "not allowed without value: this "
	      "resource manages the key itself" },
	    { 11, 7, "spec.registry[0].data", "not allowed without value" },
	    { 15, 7, "spec.registry[1].data", "not allowed with ensure: "
	      "absent" },
	    { 17, 15, "spec.registry[2].ensure", "expected one of present, "
	      "absent, got 'gone'" });
}

static void
test_error_registry_roles(void **state)
{
	(void)state;
	EXPECT(HW "  registry:\n"
	    "    - {key: 'HKLM\\A', roles: [hyperv-node, dpm]}\n"
	    "    - {key: 'HKLM\\B', roles: [dpm-server, dpm-server]}\n"
	    "    - {key: 'HKLM\\C', roles: []}\n"
	    "    - {key: 'HKLM\\D', roles: dpm-server}\n",
	    { 9, 44, "spec.registry[0].roles[1]", "expected one of "
	      "hyperv-node, dpm-server, got 'dpm'" },
	    { 10, 43, "spec.registry[1].roles[1]", "duplicate role "
	      "'dpm-server'" },
	    { 11, 30, "spec.registry[2].roles", "expected at least one of "
	      "hyperv-node, dpm-server" },
	    { 12, 30, "spec.registry[3].roles", "expected a list, got a "
	      "scalar" });
}

static void
test_error_registry_duplicates(void **state)
{
	(void)state;
	/* Same key and value, compared case-insensitively, prefixes
	 * canonicalized; two key-only resources for one key also collide.
	 * The error is at the later one and names the first's line. */
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKLM\\Software\\X'\n"
	    "      value: Retries\n"
	    "      type: REG_DWORD\n"
	    "      data: 1\n"
	    "    - key: 'HKLM\\Software\\Y'\n"
	    "    - key: 'hkey_local_machine\\SOFTWARE\\x\\'\n"
	    "      value: RETRIES\n"
	    "      ensure: absent\n"
	    "    - key: 'HKLM\\software\\y'\n"
	    "      roles: [dpm-server]\n"
	    "    - key: 'HKLM\\Software\\Y'\n"
	    "      value: Retries\n"
	    "      type: REG_SZ\n"
	    "      data: also fine\n",
	    { 14, 7, "spec.registry[2]", "duplicate resource: key "
	      "'HKLM\\SOFTWARE\\x' value 'RETRIES' is already declared at "
	      "line 9" },
	    { 17, 7, "spec.registry[3]", "duplicate resource: key "
	      "'HKLM\\software\\y' (the key itself) is already declared at "
	      "line 13" });
	/* A resource with another error still takes part. */
	EXPECT(HW "  registry:\n"
	    "    - {key: 'HKLM\\X', value: v, type: REG_SZ, data: a}\n"
	    "    - {key: 'HKLM\\X', value: V, type: REG_SZ, data: [b]}\n",
	    { 10, 7, "spec.registry[1]", "already declared at line 9" },
	    { 10, 53, "spec.registry[1].data", "must be a string" });
}

static void
test_error_registry_conflicts(void **state)
{
	(void)state;
	/* A key removed while something inside it is kept present, on a
	 * role they share; reported at the later of the two. */
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Vendor\\Sub'\n"
	    "      value: V\n"
	    "      type: REG_SZ\n"
	    "      data: x\n"
	    "    - key: 'HKLM\\SOFTWARE\\Vendor'\n"
	    "      ensure: absent\n"
	    "    - key: 'HKLM\\SOFTWARE\\Vendor\\Other'\n"
	    "      roles: [dpm-server]\n"
	    "    - key: 'HKLM\\SOFTWARE\\VendorX'\n",
	    { 13, 7, "spec.registry[1]", "conflicts with the resource at line "
	      "9: key 'HKLM\\SOFTWARE\\Vendor' is removed (ensure: absent) "
	      "while something inside it is kept present" });
	/* The strategies' own settings are not to be declared again or
	 * contradicted. */
	EXPECT(SW "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	    "Manager\\Agent\\UseSystemSoftwareProvider'\n"
	    "    - key: 'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	    "Manager\\2.0\\Configuration\\MaxAllowedParallelBackups'\n"
	    "      value: microsoft hyper-v\n"
	    "      type: REG_DWORD\n"
	    "      data: 4\n"
	    "      roles: [dpm-server]\n"
	    "    - key: 'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	    "Manager'\n"
	    "      ensure: absent\n",
	    { 11, 7, "spec.registry[0]", "strategy system-software already "
	      "manages this location on hyperv-node" },
	    { 12, 7, "spec.registry[1]", "strategy system-software already "
	      "manages this location on dpm-server" },
	    { 17, 7, "spec.registry[2]", "removing this key on hyperv-node "
	      "would remove HKLM\\SOFTWARE\\Microsoft\\Microsoft Data "
	      "Protection Manager\\Agent\\UseSystemSoftwareProvider, which "
	      "strategy system-software keeps present" },
	    { 17, 7, "spec.registry[2]", "conflicts with the resource at line "
	      "11: key 'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	      "Manager' is removed" });
	EXPECT(HW "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	    "Manager\\Agent\\UseSystemSoftwareProvider'\n"
	    "      value: X\n"
	    "      type: REG_DWORD\n"
	    "      data: 1\n",
	    { 9, 7, "spec.registry[0]", "this would create "
	      "HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	      "Manager\\Agent\\UseSystemSoftwareProvider on hyperv-node, which "
	      "strategy hardware-saved-state keeps absent" });
	/* On the DPM server alone under hardware-saved-state, nothing is
	 * built in: the same value is an ordinary resource. */
	policy_free(&(policy *){ s_parse_ok(HW "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
	    "Manager\\2.0\\Configuration\\MaxAllowedParallelBackups'\n"
	    "      value: Microsoft Hyper-V\n"
	    "      type: REG_DWORD\n"
	    "      data: 1\n"
	    "      roles: [dpm-server]\n") });
}

static void
test_error_reconcile(void **state)
{
	(void)state;
	EXPECT(HW "  reconcile:\n    intervalSeconds: 4\n    jitter: 1\n",
	    { 9, 22, "spec.reconcile.intervalSeconds", "expected an integer "
	      "from 5 to 86400, got '4'" },
	    { 10, 5, "spec.reconcile.jitter", "unknown key; expected one of: "
	      "intervalSeconds" });
	EXPECT(HW "  reconcile: {intervalSeconds: 86401}\n",
	    { 8, 32, "spec.reconcile.intervalSeconds", "got '86401'" });
	EXPECT(HW "  reconcile: {intervalSeconds: '60'}\n",
	    { 8, 32, "spec.reconcile.intervalSeconds", "got '60'" });
}

static void
test_error_all_reported_in_order(void **state)
{
	diag_list d;
	policy *p;
	static const int lines[] = { 7, 10, 12, 16, 18, 25, 29, 33, 34, 38,
	    40, 41 };

	(void)state;
	diag_list_init(&d);
	p = policy_load(POLICIES "broken/rejected-example.yaml", &d);
	assert_null(p);
	diag_sort(&d);
	if (d.count != sizeof lines / sizeof lines[0])
		diag_print(&d, stderr);
	assert_int_equal(d.count, sizeof lines / sizeof lines[0]);
	for (size_t i = 0; i < d.count; i++) {
		assert_int_equal(d.items[i].line, lines[i]);
		assert_non_null(strstr(d.items[i].file, "rejected-example.yaml"));
	}
	diag_list_release(&d);
}

/*
 * Hostile input: clear errors with positions, quickly, never a crash.
 */

static void
test_hostile_yaml(void **state)
{
	char *big;
	size_t n;

	(void)state;
	EXPECT(HEAD "  strategy: &s hardware-saved-state\n",
	    { 7, 13, NULL, "anchors (&s) are not allowed" });
	EXPECT("a: &x [1]\nb: *x\n", { 1, 4, NULL, "anchors" });
	EXPECT("a: b\nc: *x\n", { 2, 4, NULL, "aliases (*x) are not allowed" });
	EXPECT(HEAD "  strategy: !!str hardware-saved-state\n",
	    { 7, 13, NULL, "tags (tag:yaml.org,2002:str) are not allowed" });
	EXPECT(HW "---\n" HW, { 8, 1, NULL, "only one YAML document" });
	EXPECT("", { 1, 1, NULL, "file is empty: expected a YAML mapping" });
	EXPECT("# only a comment\n", { 1, 1, NULL, "no document: the file "
	    "holds only comments and blank lines" });
	EXPECT("\n\n   \n# c\n\n", { 1, 1, NULL, "no document: the file "
	    "holds only comments and blank lines" });
	EXPECT("- a\n- b\n", { 1, 1, NULL, "the top level must be a mapping" });
	EXPECT("just text\n", { 1, 1, NULL, "the top level must be a mapping" });
	EXPECT("a: [[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]\n",
	    { 1, 19, NULL, "nesting deeper than 16 levels" });
	EXPECT("name: \"caf\xc3\"\n", { 1, 1, NULL, "not a UTF-8 text file" });
	EXPECT("\x7f" "ELF\x02\x01\x01\x00\x00\x00\n",
	    { 1, 1, NULL, "not a UTF-8 text file" });
	EXPECT("a: \"x\\0y\"\n", { 1, 4, NULL, "NUL character" });
	EXPECT("a: b\n  c: d: e\n",
	    { 2, 4, NULL, "mapping values are not allowed in this context" });
	/* A scalar over the limit, and a file over the limit. */
	n = 20 * 1024;
	big = xmalloc(n + 16);
	memcpy(big, "a: ", 3);
	memset(big + 3, 'x', n);
	strcpy(big + 3 + n, "\n");
	EXPECT(big, { 1, 4, NULL, "value longer than 16384 bytes" });
	free(big);
	n = 2 * 1024 * 1024;
	big = xmalloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	EXPECT(big, { 1, 1, NULL, "file is larger than 1048576 bytes" });
	free(big);
}

/* Thousands of resources parse and check quickly; a policy whose
 * canonical form would outgrow the limits is refused as a whole. */
static void
test_hostile_size(void **state)
{
	strbuf sb;
	int64_t t0;
	diag_list d;
	policy *p;

	(void)state;
	strbuf_init(&sb);
	strbuf_addstr(&sb, HW "  registry:\n");
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "  - {key: 'HKLM\\k%d'}\n", i);
	diag_list_init(&d);
	t0 = platform_mono_ms();
	p = policy_parse("p.yaml", sb.data, sb.len, &d);
	assert_true(platform_mono_ms() - t0 < 5000);
	assert_null(p);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.items[0].line, 1);
	assert_non_null(strstr(d.items[0].message, "the policy is too large"));
	diag_list_release(&d);
	/* Many duplicates of one absent key: every one reported (up to the
	 * list's limit), still fast. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, HW "  registry:\n");
	for (int i = 0; i < 15000; i++)
		strbuf_addstr(&sb, "  - {key: 'HKLM\\a', ensure: absent}\n");
	diag_list_init(&d);
	t0 = platform_mono_ms();
	p = policy_parse("p.yaml", sb.data, sb.len, &d);
	assert_true(platform_mono_ms() - t0 < 5000);
	assert_null(p);
	assert_int_equal(d.count, d.limit);
	diag_list_release(&d);
	strbuf_release(&sb);
}

/*
 * Canonical form and hash.
 */

#define BASE \
	"apiVersion: hvpolicy/v1\n" \
	"kind: ClusterPolicy\n" \
	"metadata:\n" \
	"  name: contoso\n" \
	"spec:\n" \
	"  cluster: HV-CLUSTER-01\n" \
	"  strategy: system-software\n" \
	"  serialization:\n" \
	"    dpmServer: DPM01\n" \
	"  guests:\n" \
	"    include: ['VM*', 'SQL?']\n" \
	"    exclude: ['vm-tmp*']\n" \
	"  registry:\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso'\n" \
	"      value: Retries\n" \
	"      type: REG_DWORD\n" \
	"      data: 16\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso'\n" \
	"      value: Names\n" \
	"      type: REG_MULTI_SZ\n" \
	"      data: [a, b]\n" \
	"      roles: [hyperv-node, dpm-server]\n" \
	"    - key: 'HKLM\\SOFTWARE\\Contoso\\Blob'\n" \
	"      value: Data\n" \
	"      type: REG_BINARY\n" \
	"      data: 'c0ffee'\n"

static void
test_hash_same_meaning(void **state)
{
	static const char *const same[] = {
		/* Reordered keys and resources, comments, flow style, quoting,
		 * explicit defaults, hex data, the long hive name, a trailing
		 * backslash, globs reordered, recased and repeated, roles
		 * reordered, upper-case hex. */
		"# a comment\n"
		"kind: \"ClusterPolicy\"\n"
		"apiVersion: 'hvpolicy/v1'\n"
		"spec:\n"
		"  reconcile: {intervalSeconds: 60}   # the default\n"
		"  registry:\n"
		"    - {key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Blob\\', "
		"value: Data, type: REG_BINARY, data: C0FFEE, ensure: present}\n"
		"    - roles: [dpm-server, hyperv-node]\n"
		"      data: [\"a\", \"b\"]\n"
		"      type: REG_MULTI_SZ\n"
		"      value: \"Names\"\n"
		"      key: 'HKLM\\SOFTWARE\\Contoso'\n"
		"    - key: 'HKLM\\\\SOFTWARE\\Contoso'\n"
		"      value: Retries\n"
		"      type: REG_DWORD\n"
		"      data: 0x10\n"
		"      roles: [hyperv-node]\n"
		"  guests:\n"
		"    exclude: ['VM-TMP*', 'vm-tmp*']\n"
		"    include: ['sql?', 'VM*', 'vm*']\n"
		"  serialization: {dpmServer: DPM01, perCsv: true, perNode: 1}\n"
		"  strategy: system-software\n"
		"  mode: enforce\n"
		"  cluster: \"HV-CLUSTER-01\"\n"
		"metadata: {name: contoso}\n",
	};
	char h0[POLICY_HASH_HEX + 1], h[POLICY_HASH_HEX + 1];

	(void)state;
	s_hash_of(BASE, h0);
	assert_int_equal(strlen(h0), POLICY_HASH_HEX);
	for (size_t i = 0; i < strlen(h0); i++)
		assert_non_null(strchr("0123456789abcdef", h0[i]));
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		s_hash_of(same[i], h);
		assert_string_equal(h0, h);
	}
}

/* Each replaces one line of BASE (by its text) and must change the hash. */
static void
test_hash_any_change(void **state)
{
	static const struct { const char *from, *to; } edits[] = {
		{ "  name: contoso\n", "  name: contoso2\n" },
		{ "  name: contoso\n", "  name: contoso\n  description: x\n" },
		{ "  cluster: HV-CLUSTER-01\n", "  cluster: HV-CLUSTER-02\n" },
		{ "  strategy: system-software\n",
		  "  strategy: system-software\n  mode: audit\n" },
		{ "    dpmServer: DPM01\n", "    dpmServer: DPM02\n" },
		{ "    dpmServer: DPM01\n", "    dpmServer: DPM01\n    perNode: 2\n" },
		{ "    dpmServer: DPM01\n",
		  "    dpmServer: DPM01\n    perCsv: false\n" },
		{ "    include: ['VM*', 'SQL?']\n", "    include: ['VM*']\n" },
		{ "    include: ['VM*', 'SQL?']\n",
		  "    include: ['VM*', 'SQL*']\n" },
		{ "    exclude: ['vm-tmp*']\n", "    exclude: []\n" },
		{ "      data: 16\n", "      data: 17\n" },
		{ "      value: Retries\n", "      value: Retry\n" },
		{ "      data: [a, b]\n", "      data: [b, a]\n" },
		{ "      data: [a, b]\n", "      data: [a, b, '']\n" },
		{ "      roles: [hyperv-node, dpm-server]\n",
		  "      roles: [dpm-server]\n" },
		{ "      data: 'c0ffee'\n", "      data: 'c0ffef'\n" },
		{ "    - key: 'HKLM\\SOFTWARE\\Contoso\\Blob'\n",
		  "    - key: 'HKLM\\SOFTWARE\\Contoso\\Blob2'\n" },
		{ "      value: Data\n      type: REG_BINARY\n      data: 'c0ffee'\n",
		  "      value: Data\n      ensure: absent\n" },
		{ "      value: Data\n      type: REG_BINARY\n      data: 'c0ffee'\n",
		  "      value: Data\n      type: REG_SZ\n      data: 'c0ffee'\n" },
		{ "      value: Data\n      type: REG_BINARY\n      data: 'c0ffee'\n",
		  "" },
		{ "  guests:\n", "  reconcile: {intervalSeconds: 61}\n  guests:\n" },
	};
	char h0[POLICY_HASH_HEX + 1], h[POLICY_HASH_HEX + 1];
	char *seen[sizeof edits / sizeof edits[0]];

	(void)state;
	s_hash_of(BASE, h0);
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		const char *at = strstr(BASE, edits[i].from);
		strbuf sb;

		assert_non_null(at);
		strbuf_init(&sb);
		strbuf_add(&sb, BASE, (size_t)(at - BASE));
		strbuf_addstr(&sb, edits[i].to);
		strbuf_addstr(&sb, at + strlen(edits[i].from));
		s_hash_of(sb.data, h);
		if (strcmp(h0, h) == 0)
			fail_msg("edit %zu did not change the hash", i);
		seen[i] = xstrdup(h);
		for (size_t j = 0; j < i; j++)
			if (strcmp(seen[j], h) == 0)
				fail_msg("edits %zu and %zu hash the same", j, i);
		strbuf_release(&sb);
	}
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++)
		free(seen[i]);
	/* The strategy: hardware-saved-state has no serialization block. */
	s_hash_of(HW, h0);
	s_hash_of(HEAD "  strategy: system-software\n"
	    "  serialization: {dpmServer: DPM01}\n", h);
	assert_string_not_equal(h0, h);
}

static void
test_canonical_text(void **state)
{
	policy *p = s_parse_ok(HW "  guests: {include: [B, a, A]}\n"
	    "  registry:\n"
	    "    - {key: 'HKLM\\B', value: v, type: REG_DWORD, data: 0x1F}\n"
	    "    - {key: 'HKLM\\A', ensure: absent, roles: [dpm-server, "
	    "hyperv-node]}\n");
	char *text = policy_canonical(p);

	(void)state;
	assert_string_equal(text,
	    "apiVersion: \"hvpolicy/v1\"\n"
	    "kind: \"ClusterPolicy\"\n"
	    "metadata:\n"
	    "  name: \"t\"\n"
	    "spec:\n"
	    "  cluster: \"C\"\n"
	    "  mode: \"enforce\"\n"
	    "  strategy: \"hardware-saved-state\"\n"
	    "  guests:\n"
	    "    include:\n"
	    "      - \"a\"\n"
	    "      - \"b\"\n"
	    "    exclude: []\n"
	    "  registry:\n"
	    "    - key: \"HKLM\\\\A\"\n"
	    "      ensure: \"absent\"\n"
	    "      roles:\n"
	    "        - \"hyperv-node\"\n"
	    "        - \"dpm-server\"\n"
	    "    - key: \"HKLM\\\\B\"\n"
	    "      value: \"v\"\n"
	    "      ensure: \"present\"\n"
	    "      type: \"REG_DWORD\"\n"
	    "      data: 31\n"
	    "      roles:\n"
	    "        - \"hyperv-node\"\n"
	    "  reconcile:\n"
	    "    intervalSeconds: 60\n");
	free(text);
	s_assert_round_trip(p);
	policy_free(&p);
}

/* Strings of every awkward kind come back exactly. */
static void
test_canonical_escapes(void **state)
{
	policy *p = s_parse_ok("apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata:\n"
	    "  name: t\n"
	    "  description: \"q\\\"uo\\\\te\\ttab\\nnl\\r\\x01\\x7f\\x85\\u2028"
	    "\\u2029\\ufeff\\xa0 Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x92\xbe #x: 'y'\"\n"
	    "spec:\n"
	    "  cluster: \"  lead and trail  \"\n"
	    "  strategy: hardware-saved-state\n"
	    "  registry:\n"
	    "    - key: 'HKLM\\A\"B'\n"
	    "      value: \"- [x]: {y}\"\n"
	    "      type: REG_MULTI_SZ\n"
	    "      data: ['', '&a', '*b', '!c', '%d', '@e', '`f', '|g', '>h', "
	    "'null', 'true', '~', '0x10']\n");
	char *c1 = policy_canonical(p);
	policy *q = s_parse_ok(c1);

	(void)state;
	assert_string_equal(p->description, q->description);
	assert_string_equal(q->description, "q\"uo\\te\ttab\nnl\r\x01\x7f"
	    "\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xc2\xa0 Gr\xc3\xbc"
	    "\xc3\x9f" "e \xf0\x9f\x92\xbe #x: 'y'");
	assert_string_equal(q->cluster, "  lead and trail  ");
	assert_string_equal(q->registry[0].key, "HKLM\\A\"B");
	assert_string_equal(q->registry[0].value, "- [x]: {y}");
	assert_int_equal(q->registry[0].data.list_len, 13);
	for (size_t i = 0; i < 13; i++)
		assert_string_equal(p->registry[0].data.list[i],
		    q->registry[0].data.list[i]);
	/* One line per scalar: no raw line breaks inside strings. */
	assert_null(strstr(c1, "\r"));
	s_assert_round_trip(p);
	free(c1);
	policy_free(&q);
	policy_free(&p);
}

static void
test_examples_valid_and_round_trip(void **state)
{
	static const char *const files[] = {
		"system-software.yaml", "hardware-saved-state.yaml",
		"audit.yaml", "extra-registry.yaml",
	};
	char hashes[4][POLICY_HASH_HEX + 1];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		char *path = xasprintf("%s%s", POLICIES, files[i]);
		diag_list d;
		policy *p;

		diag_list_init(&d);
		p = policy_load(path, &d);
		if (p == NULL)
			diag_print(&d, stderr);
		assert_non_null(p);
		s_assert_round_trip(p);
		policy_hash(p, hashes[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(hashes[i], hashes[j]);
		policy_free(&p);
		diag_list_release(&d);
		free(path);
	}
}

/*
 * Globs and coverage.
 */

static void
test_glob(void **state)
{
	static const struct { const char *pat, *text; bool match; } cases[] = {
		{ "*", "", true },
		{ "*", "VM0001", true },
		{ "", "", true },
		{ "", "a", false },
		{ "VM*", "vm0001", true },
		{ "vm*", "VM0001", true },
		{ "VM*", "XVM", false },
		{ "VM00?1", "VM0021", true },
		{ "VM00?1", "VM001", false },
		{ "?", "\xc3\xa9", true },		/* one character, two bytes */
		{ "??", "\xc3\xa9", false },
		{ "[abc]x", "Bx", true },
		{ "[abc]x", "dx", false },
		{ "VM[0-9][0-9]", "vm42", true },
		{ "VM[0-9][0-9]", "vm4x", false },
		{ "[A-Z]*", "q1", true },
		{ "[a-z]*", "Q1", true },
		{ "[!x]*", "y", true },
		{ "[!x]*", "X", false },
		{ "[^x]", "x", false },
		{ "[!a]", "\xc3\xa9", true },
		{ "[\xc3\xa9]", "\xc3\xa9", true },
		{ "[\xc3\xa9]", "\xc3\xa8", false },
		{ "[]a]", "]", true },
		{ "[!]a]", "]", false },
		{ "a[", "a[", true },			/* unclosed: literal */
		{ "*.vhdx", "disk.VHDX", true },
		{ "*a*b*c", "xxaxxbxxc", true },
		{ "*a*b*c", "xxaxxcxxb", false },
		{ "a*", "a", true },
		{ "*a", "ba", true },
		{ "**", "x", true },
		{ "sql-[!p]*", "SQL-Prod1", false },
		{ "sql-[!p]*", "SQL-dev1", true },
	};
	char text[20001];
	char pat[64];
	int64_t t0;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (glob_match_ci(cases[i].pat, cases[i].text) != cases[i].match)
			fail_msg("glob '%s' on '%s': expected %s", cases[i].pat,
			    cases[i].text, cases[i].match ? "match" : "no match");
	/* No exponential backtracking. */
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	strcpy(pat, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
	t0 = platform_mono_ms();
	assert_false(glob_match_ci(pat, text));
	text[sizeof text - 2] = 'B';
	assert_true(glob_match_ci(pat, text));
	assert_true(platform_mono_ms() - t0 < 2000);
}

static void
test_covers_guest(void **state)
{
	policy *p = s_parse_ok(HW "  guests:\n"
	    "    include: ['SQL*', 'APP[0-9][0-9]']\n"
	    "    exclude: ['sql-[!p]*', '*-old']\n");
	policy *all = s_parse_ok(HW);
	policy *none = s_parse_ok(HW "  guests: {include: []}\n");

	(void)state;
	assert_true(policy_covers_guest(p, "SQL-PROD1"));
	assert_true(policy_covers_guest(p, "app07"));
	assert_false(policy_covers_guest(p, "APP7"));
	assert_false(policy_covers_guest(p, "sql-dev1"));
	assert_false(policy_covers_guest(p, "sql-prod1-old"));
	assert_false(policy_covers_guest(p, "WEB01"));
	assert_true(policy_covers_guest(all, "anything"));
	assert_true(policy_covers_guest(all, ""));
	assert_false(policy_covers_guest(none, "VM0001"));
	policy_free(&p);
	policy_free(&all);
	policy_free(&none);
}

/*
 * Loading.
 */

static void
test_load(void **state)
{
	diag_list d;
	policy *p;

	(void)state;
	diag_list_init(&d);
	p = policy_load(BAD "does-not-exist.yaml", &d);
	assert_null(p);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.items[0].line, 0);
	assert_string_equal(d.items[0].file, BAD "does-not-exist.yaml");
	diag_list_release(&d);
	p = policy_load(BAD, &d);	/* a directory */
	assert_null(p);
	assert_int_equal(d.count, 1);
	diag_list_release(&d);
	/* "-" reads standard input, labelled <stdin>. */
	assert_non_null(freopen(POLICIES "audit.yaml", "r", stdin));
	p = policy_load("-", &d);
	assert_non_null(p);
	assert_int_equal(p->mode, POLICY_AUDIT);
	policy_free(&p);
	assert_non_null(freopen(BAD "bad-values.yaml", "r", stdin));
	p = policy_load("-", &d);
	assert_null(p);
	assert_true(d.count > 0);
	for (size_t i = 0; i < d.count; i++)
		assert_string_equal(d.items[i].file, "<stdin>");
	diag_list_release(&d);
}

/* Two clusters' policies on their shared DPM server: the same location
 * asked for differently, or a key one removes while the other keeps
 * something in it, clash; the same ask (in any letter case), or asks on
 * the other role, do not. */
#define SITE(data, roles) \
	"    - key: 'HKLM\\Software\\Site'\n" \
	"      value: V\n" \
	"      type: REG_DWORD\n" \
	"      data: " data "\n" \
	"      roles: [" roles "]\n"

static void
s_assert_clash(const char *a_text, const char *b_text, host_role role,
    const char *want_a, const char *want_b)
{
	policy *a = s_parse_ok(a_text), *b = s_parse_ok(b_text);
	const policy_registry *ra, *rb;
	bool clash = policy_registry_clash(a, b, role, &ra, &rb);

	if (want_a == NULL) {
		assert_false(clash);
		assert_null(ra);
		assert_null(rb);
	} else {
		char *da, *db;

		if (!clash)
			fail_msg("no clash where %s", want_a);
		da = policy_registry_describe(a, ra);
		db = policy_registry_describe(b, rb);
		assert_string_equal(da, want_a);
		assert_string_equal(db, want_b);
		free(da);
		free(db);
	}
	policy_free(&a);
	policy_free(&b);
}

static void
test_registry_clash(void **state)
{
	(void)state;
	s_assert_clash(SW "  registry:\n" SITE("1", "dpm-server"),
	    SW "  registry:\n" SITE("2", "dpm-server, hyperv-node"),
	    ROLE_DPM_SERVER,
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Site' value "
	    "'V' present REG_DWORD 1",
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Site' value "
	    "'V' present REG_DWORD 2");
	/* The same ask, spelled in other letters. */
	s_assert_clash(SW "  registry:\n" SITE("1", "dpm-server"),
	    SW "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\site'\n"
	    "      value: v\n"
	    "      type: REG_DWORD\n"
	    "      data: 1\n"
	    "      roles: [dpm-server]\n", ROLE_DPM_SERVER, NULL, NULL);
	/* The default role is hyperv-node: nothing on the DPM server. */
	s_assert_clash(SW "  registry:\n" SITE("1", "dpm-server"),
	    SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Site'\n"
	    "      ensure: absent\n", ROLE_DPM_SERVER, NULL, NULL);
	/* Different asks, but on the other role. */
	s_assert_clash(SW "  registry:\n" SITE("1", "hyperv-node"),
	    SW "  registry:\n" SITE("2", "dpm-server"),
	    ROLE_DPM_SERVER, NULL, NULL);
	/* A key removed while the other policy sets a value in it, either
	 * way round; a second resource before it changes nothing. */
	s_assert_clash(SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Vendor'\n"
	    "      ensure: absent\n"
	    "      roles: [dpm-server]\n",
	    SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Vendor\\A'\n"
	    "      ensure: absent\n"
	    "      roles: [dpm-server]\n"
	    "    - key: 'HKLM\\Software\\Vendor\\Site'\n"
	    "      value: V\n"
	    "      type: REG_SZ\n"
	    "      data: x\n"
	    "      roles: [dpm-server]\n", ROLE_DPM_SERVER,
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Vendor' absent",
	    "spec.registry[1] (line 14): key 'HKLM\\Software\\Vendor\\Site' "
	    "value 'V' present REG_SZ \"x\"");
	s_assert_clash(SW "  registry:\n" SITE("7", "dpm-server"),
	    SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Site'\n"
	    "      ensure: absent\n"
	    "      roles: [dpm-server]\n",
	    ROLE_DPM_SERVER,
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Site' value "
	    "'V' present REG_DWORD 7",
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Site' absent");
	/* A value removed by one and set by the other. */
	s_assert_clash(SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Site'\n"
	    "      value: V\n"
	    "      ensure: absent\n"
	    "      roles: [dpm-server]\n",
	    SW "  registry:\n" SITE("3", "dpm-server"), ROLE_DPM_SERVER,
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Site' value "
	    "'V' absent",
	    "spec.registry[0] (line 11): key 'HKLM\\Software\\Site' value "
	    "'V' present REG_DWORD 3");
	/* Both remove the same key, or neither has anything: no clash. */
	s_assert_clash(SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Site'\n"
	    "      ensure: absent\n",
	    SW "  registry:\n"
	    "    - key: 'HKLM\\Software\\Site'\n"
	    "      ensure: absent\n", ROLE_DPM_SERVER, NULL, NULL);
	s_assert_clash(SW, SW, ROLE_DPM_SERVER, NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_model),
		cmocka_unit_test(test_name_tables),
		cmocka_unit_test(test_error_api_version_and_kind),
		cmocka_unit_test(test_error_missing_keys),
		cmocka_unit_test(test_error_unknown_and_duplicate_keys),
		cmocka_unit_test(test_error_metadata),
		cmocka_unit_test(test_error_cluster),
		cmocka_unit_test(test_error_mode_and_strategy),
		cmocka_unit_test(test_error_serialization),
		cmocka_unit_test(test_error_guests),
		cmocka_unit_test(test_error_registry_shape),
		cmocka_unit_test(test_error_registry_key),
		cmocka_unit_test(test_error_registry_type),
		cmocka_unit_test(test_error_registry_data),
		cmocka_unit_test(test_error_registry_type_not_allowed),
		cmocka_unit_test(test_error_registry_roles),
		cmocka_unit_test(test_error_registry_duplicates),
		cmocka_unit_test(test_error_registry_conflicts),
		cmocka_unit_test(test_error_reconcile),
		cmocka_unit_test(test_error_all_reported_in_order),
		cmocka_unit_test(test_hostile_yaml),
		cmocka_unit_test(test_hostile_size),
		cmocka_unit_test(test_hash_same_meaning),
		cmocka_unit_test(test_hash_any_change),
		cmocka_unit_test(test_canonical_text),
		cmocka_unit_test(test_canonical_escapes),
		cmocka_unit_test(test_examples_valid_and_round_trip),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_covers_guest),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_registry_clash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
