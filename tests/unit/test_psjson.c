/*
 * test_psjson.c: the strict JSON reader for PowerShell output
 * (node/psjson.c): values of every kind, PowerShell's shapes (bare object
 * or array, empty output, byte-order mark, indented 5.1 layout), string
 * escapes to UTF-8, and rejection with exact positions of everything RFC
 * 8259 forbids, plus the depth, size and value-count limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psjson.h"
#include "xalloc.h"

static psj_value *
s_ok(const char *text)
{
	char *err = NULL;
	psj_value *v = psj_parse(text, strlen(text), &err);

	if (v == NULL)
		fail_msg("'%s': %s", text, err);
	return v;
}

/* Parses text, expects failure with exactly this message. */
static void
s_bad(const char *text, size_t len, const char *want)
{
	char *err = NULL;
	psj_value *v = psj_parse(text, len, &err);

	if (v != NULL)
		fail_msg("'%s' parsed; expected: %s", text, want);
	assert_string_equal(err, want);
	free(err);
}

static void
t_scalars(void **state)
{
	psj_value *v;
	int64_t n = 0;

	(void)state;
	v = s_ok("true");
	assert_int_equal(v->type, PSJ_TRUE);
	psj_free(&v);
	assert_null(v);
	v = s_ok(" false ");
	assert_int_equal(v->type, PSJ_FALSE);
	psj_free(&v);
	v = s_ok("null");
	assert_int_equal(v->type, PSJ_NULL);
	assert_int_equal(psj_count(v), 0);
	psj_free(&v);
	v = s_ok("-9223372036854775808");
	assert_int_equal(psj_int(v, &n), 0);
	assert_true(n == INT64_MIN);
	psj_free(&v);
	v = s_ok("9223372036854775808");
	assert_int_equal(psj_int(v, &n), -1);	/* does not fit */
	assert_string_equal(v->text, "9223372036854775808");
	psj_free(&v);
	v = s_ok("1.5e-3");
	assert_int_equal(v->type, PSJ_NUMBER);
	assert_string_equal(v->text, "1.5e-3");
	assert_int_equal(psj_int(v, &n), -1);
	psj_free(&v);
}

static void
t_strings(void **state)
{
	psj_value *v;

	(void)state;
	v = s_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	assert_string_equal(v->text, "a\"b\\c/d\b\f\n\r\t");
	psj_free(&v);
	/* PowerShell 5.1 escapes <, >, ' and &; non-ASCII as \u or raw. */
	v = s_ok("\"\\u003cVM\\u003e \\u0027x\\u0027 \\u00e9t\\u00E9 "
	    "\\u20ac \\ud83d\\ude00 caf\xc3\xa9\"");
	assert_string_equal(v->text, "<VM> 'x' \xc3\xa9t\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80 caf\xc3\xa9");
	psj_free(&v);
}

static void
t_shapes(void **state)
{
	const char *indented = "\xef\xbb\xbf{\r\n    \"Id\":  \"x\",\r\n"
	    "    \"Enabled\":  true,\r\n    \"Count\":  3,\r\n"
	    "    \"Path\":  null\r\n}\r\n";
	psj_value *v;
	int64_t n = 0;

	(void)state;
	v = s_ok(indented);
	assert_int_equal(v->type, PSJ_OBJECT);
	assert_int_equal(psj_count(v), 1);
	assert_ptr_equal(psj_at(v, 0), v);
	assert_null(psj_at(v, 1));
	assert_string_equal(psj_get_str(v, "Id"), "x");
	assert_string_equal(psj_get_str(v, "id"), "x");	/* any case */
	assert_int_equal(psj_get_bool(v, "enabled"), 1);
	assert_int_equal(psj_get_bool(v, "Id"), -1);
	assert_int_equal(psj_get_int(v, "Count", &n), 0);
	assert_int_equal(n, 3);
	assert_null(psj_get_str(v, "Path"));
	assert_non_null(psj_get(v, "Path"));
	assert_null(psj_get(v, "Missing"));
	psj_free(&v);

	v = s_ok("[{\"A\":1},{\"A\":2},[]]");
	assert_int_equal(psj_count(v), 3);
	assert_int_equal(psj_get_int(psj_at(v, 1), "A", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(psj_at(v, 2)->type, PSJ_ARRAY);
	assert_int_equal(psj_at(v, 2)->len, 0);
	psj_free(&v);

	/* An empty pipeline prints nothing. */
	v = s_ok(" \r\n");
	assert_int_equal(v->type, PSJ_NULL);
	assert_int_equal(psj_count(v), 0);
	psj_free(&v);

	/* Exact key wins over a case-insensitive one. */
	v = s_ok("{\"name\":\"low\",\"Name\":\"up\"}");
	assert_string_equal(psj_get_str(v, "Name"), "up");
	assert_string_equal(psj_get_str(v, "name"), "low");
	assert_string_equal(psj_get_str(v, "NAME"), "low");
	psj_free(&v);
}

static void
t_rejects(void **state)
{
	(void)state;
	s_bad("[1,]", 4, "line 1, column 4: expected a JSON value");
	s_bad("{\"a\":1,}", 8, "line 1, column 8: expected a string key");
	s_bad("{'a':1}", 7, "line 1, column 2: expected a string key");
	s_bad("[1 2]", 5, "line 1, column 4: expected ',' or ']'");
	s_bad("{\"a\" 1}", 7, "line 1, column 6: expected ':'");
	s_bad("{\"a\":1,\n \"a\":2}", 15,
	    "line 2, column 2: duplicate key \"a\"");
	s_bad("NaN", 3, "line 1, column 1: expected a JSON value");
	s_bad("01", 2, "line 1, column 2: leading zero in a number");
	s_bad("1.", 2, "line 1, column 3: expected a digit after '.'");
	s_bad("-", 1, "line 1, column 2: expected a digit");
	s_bad("1e+", 3, "line 1, column 4: expected a digit in the exponent");
	s_bad("\"ab", 3, "line 1, column 1: unterminated string");
	s_bad("\"a\tb\"", 5, "line 1, column 3: control character in a "
	    "string");
	s_bad("\"\\x\"", 4, "line 1, column 2: unknown escape '\\x'");
	s_bad("\"\\u12G4\"", 8, "line 1, column 6: bad hex digit in a \\u "
	    "escape");
	s_bad("\"\\u0000\"", 8, "line 1, column 2: \\u0000 in a string");
	s_bad("\"\\ud800x\"", 9, "line 1, column 2: high surrogate without a "
	    "low one");
	s_bad("\"\\udc00\"", 8, "line 1, column 2: lone low surrogate");
	s_bad("\"\xc3\"", 3, "line 1, column 2: invalid UTF-8 in a string");
	s_bad("\"\xed\xa0\x80\"", 5, "line 1, column 2: invalid UTF-8 in a "
	    "string");
	s_bad("{} {}", 5, "line 1, column 4: text after the JSON value");
	s_bad("tru", 3, "line 1, column 1: expected a JSON value");
	s_bad("[\"a\",\n\n  nul]", 13, "line 3, column 3: expected a JSON "
	    "value");
	s_bad("\0", 1, "line 1, column 1: expected a JSON value");
}

static void
t_limits(void **state)
{
	char *deep, *err = NULL, *many;
	size_t n = PSJ_MAX_DEPTH + 2, len;
	psj_value *v;

	(void)state;
	/* PSJ_MAX_DEPTH nested arrays parse; one more does not. */
	deep = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n - 1; i++) {
		deep[i] = '[';
		deep[2 * (n - 1) - 1 - i] = ']';
	}
	v = psj_parse(deep, 2 * (n - 1), &err);
	assert_non_null(v);
	psj_free(&v);
	for (size_t i = 0; i < n; i++) {
		deep[i] = '[';
		deep[2 * n - 1 - i] = ']';
	}
	s_bad(deep, 2 * n, "line 1, column 66: nested deeper than 64");
	free(deep);

	/* More values than allowed. */
	len = 2 * (size_t)PSJ_MAX_VALUES + 2;
	many = xmalloc(len + 1);
	many[0] = '[';
	for (size_t i = 0; i < PSJ_MAX_VALUES; i++) {
		many[1 + 2 * i] = '0';
		many[2 + 2 * i] = ',';
	}
	many[len - 1] = ']';
	many[len - 2] = '0';
	v = psj_parse(many, len, &err);
	assert_null(v);
	assert_non_null(strstr(err, "more than 1048576 values"));
	free(err);
	free(many);

	v = psj_parse("[]", PSJ_MAX_INPUT + 1u, &err);
	assert_null(v);
	assert_string_equal(err, "JSON input of 16777217 bytes is over the "
	    "limit of 16777216");
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_scalars),
		cmocka_unit_test(t_strings),
		cmocka_unit_test(t_shapes),
		cmocka_unit_test(t_rejects),
		cmocka_unit_test(t_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
