/*
 * test_names.c: the rule for names, GUIDs and paths (common/names.c):
 * control characters, invalid UTF-8, bounds counted in UTF-16 units,
 * clipping that keeps a name over its bound, and escaping for display.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"
#include "xalloc.h"

static void
expect_ok(const char *s, size_t max)
{
	char *why = NULL;

	assert_int_equal(names_check_text("name", s, max, &why), 0);
	assert_null(why);
}

static void
expect_bad(const char *s, size_t max, const char *reason)
{
	char *why = NULL;

	assert_int_equal(names_check_text("name", s, max, &why), -1);
	assert_string_equal(why, reason);
	free(why);
}

static char *
repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *s = xmalloc(ul * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

static void
test_rule(void **state)
{
	char *s;

	expect_ok("VM0001", NAMES_GUEST_MAX);
	expect_ok("Gäste-Server \xe2\x80\x94 Büro", NAMES_GUEST_MAX);
	expect_bad("", NAMES_GUEST_MAX, "name is empty");
	expect_bad(NULL, NAMES_GUEST_MAX, "name is empty");
	expect_bad("a\x1b[2J", NAMES_GUEST_MAX,
	    "name has control character U+001B at character 2");
	expect_bad("a\tb", NAMES_GUEST_MAX,
	    "name has control character U+0009 at character 2");
	expect_bad("a\x7f", NAMES_GUEST_MAX,
	    "name has control character U+007F at character 2");
	expect_bad("\xc2\x9b" "31m", NAMES_GUEST_MAX,
	    "name has control character U+009B at character 1");
	expect_bad("ab\xff", NAMES_GUEST_MAX,
	    "name is not valid UTF-8 (byte 0xFF at byte 3)");
	expect_bad("\xed\xa0\x80", NAMES_GUEST_MAX,	/* a surrogate */
	    "name is not valid UTF-8 (byte 0xED at byte 1)");
	expect_bad("\xc0\xaf", NAMES_GUEST_MAX,	/* overlong */
	    "name is not valid UTF-8 (byte 0xC0 at byte 1)");
	/* Bounds count UTF-16 units: 100 'a' fit, 101 do not; 50 emoji
	 * (two units each) fit, 51 do not; 100 'ä' (two bytes) fit. */
	static const struct { const char *unit; size_t n; bool ok; } b[] = {
		{ "a", 100, true }, { "a", 101, false },
		{ "\xf0\x9f\x98\x80", 50, true },
		{ "\xf0\x9f\x98\x80", 51, false },
		{ "\xc3\xa4", 100, true },
	};
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		s = repeat(b[i].unit, b[i].n);
		if (b[i].ok)
			expect_ok(s, NAMES_GUEST_MAX);
		else
			expect_bad(s, NAMES_GUEST_MAX,
			    "name is longer than 100 characters");
		free(s);
	}
	(void)state;
}

static void
test_guid_and_path(void **state)
{
	char *why = NULL, *s;

	assert_int_equal(names_check_guid(
	    "{6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11}", &why), 0);
	assert_int_equal(names_check_guid("6c1f0d5e", &why), -1);
	assert_string_equal(why, "GUID '6c1f0d5e' is not 8-4-4-4-12 hex digits");
	free(why);
	assert_int_equal(names_check_guid("", &why), -1);
	assert_string_equal(why, "no GUID reported");
	free(why);
	s = repeat("p", NAMES_PATH_MAX);
	assert_int_equal(names_check_path(s, &why), 0);
	free(s);
	s = repeat("p", NAMES_PATH_MAX + 1);
	assert_int_equal(names_check_path(s, &why), -1);
	assert_string_equal(why, "path is longer than 32767 characters");
	free(why);
	free(s);
	(void)state;
}

/* A clipped name is short but still over its bound, whatever its
 * characters, and is never cut inside a UTF-8 sequence. */
static void
test_clip(void **state)
{
	const char *units[] = { "a", "\xc3\xa4", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80" };
	char *why = NULL;

	for (size_t u = 0; u < 4; u++) {
		char *s = repeat(units[u], 100000), *c = names_clip(s,
		    NAMES_GUEST_MAX);

		assert_true(strlen(c) <= 4 * (NAMES_GUEST_MAX + 1));
		assert_int_equal(names_check_guest(c, &why), -1);
		assert_string_equal(why, "name is longer than 100 characters");
		free(why);
		free(c);
		free(s);
	}
	{
		/* Invalid UTF-8 at the cut stays invalid (the fuzzer's case:
		 * backing up over stray continuation bytes made it valid). */
		char *s = repeat("\xbd", 1000), *c;

		s[0] = 'M';
		c = names_clip(s, 5);
		assert_int_equal(names_check_text("name", c, 5, &why), -1);
		free(why);
		free(c);
		free(s);
	}
	{
		char *c = names_clip("VM0001", NAMES_GUEST_MAX);

		assert_string_equal(c, "VM0001");
		free(c);
	}
	(void)state;
}

static void
test_show(void **state)
{
	char *s = names_show("a\nb\x1b[31m\xff\xc2\x85z\\"), *big, *t;

	assert_string_equal(s, "a\\nb\\x1B[31m\\xFF\\u0085z\\");
	free(s);
	big = repeat("\xc3\xa4", 5000);
	t = names_show(big);
	assert_int_equal(strlen(t), 200 + strlen("...(10000 bytes)"));
	assert_non_null(strstr(t, "...(10000 bytes)"));
	free(t);
	free(big);
	s = names_show(NULL);
	assert_string_equal(s, "");
	free(s);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_guid_and_path),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
