/*
 * test_timefmt.c: times as text (common/timefmt.c): known instants both
 * ways, offsets and fractions, dates before 1970 and leap days, and
 * refusals of malformed text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "timefmt.h"

static void
test_format(void **state)
{
	char buf[40];

	timefmt_rfc3339(0, buf, sizeof buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timefmt_rfc3339(1795588200, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-25T06:30:00Z");
	timefmt_rfc3339(951782400, buf, sizeof buf);	/* a leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	timefmt_rfc3339(-1, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	timefmt_utc_ms(1795588200123, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-25T06:30:00.123Z");
	(void)state;
}

static void
test_parse(void **state)
{
	int64_t t = 0;

	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T06:30:00Z", &t), 0);
	assert_int_equal(t, 1795588200);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T07:30:00+01:00", &t), 0);
	assert_int_equal(t, 1795588200);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25T01:00:00.999-05:30", &t), 0);
	assert_int_equal(t, 1795588200);
	assert_int_equal(timefmt_parse_rfc3339("2026-11-25", &t), 0);
	assert_int_equal(t, 1795564800);
	assert_int_equal(timefmt_parse_rfc3339("1969-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t, -1);
	(void)state;
}

static void
test_round_trip(void **state)
{
	char buf[40];
	int64_t t;

	for (int64_t s = -86400 * 800; s < 86400LL * 365 * 90; s += 86399 * 37) {
		timefmt_rfc3339(s, buf, sizeof buf);
		assert_int_equal(timefmt_parse_rfc3339(buf, &t), 0);
		assert_int_equal(t, s);
	}
	(void)state;
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "2026-13-01", "2026-11-32", "2026-11-25T24:00:00Z",
		"2026-11-25T06:60:00Z", "2026-11-25T06:30:00", "2026-11-25T06:30Z",
		"2026-11-25T06:30:00Zjunk", "2026-11-25T06:30:00+0100",
	};
	int64_t t;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(timefmt_parse_rfc3339(bad[i], &t), -1);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
