/*
 * test_log.c: log lines (common/log.c): control characters in data are
 * escaped so no line can be forged; repeated messages are limited per
 * template and source, and what was held back is counted in the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "platform.h"

#define OUT "test_log.out"

/* Sends standard error to OUT, empty. */
static void
capture(void)
{
	fflush(stderr);
	assert_non_null(freopen(OUT, "w", stderr));
}

/* What was logged since capture(); owned. */
static char *
captured(void)
{
	FILE *f;
	char *buf;
	long n;

	fflush(stderr);
	f = fopen(OUT, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Waits (bounded by the clock, not by a guess) until ms have passed. */
static void
pass_ms(int64_t ms)
{
	int64_t end = platform_mono_ms() + ms;

	while (platform_mono_ms() < end)
		platform_sleep_ms(2);
}

static void
test_escape(void **state)
{
	char *out;

	log_set_rate_limit(0, 0);
	capture();
	log_warnx("guest %s refused", "x\n2026-01-01T00:00:00Z INFO forged\x1b]0;t\x07\xff");
	out = captured();
	assert_int_equal(count(out, "\n"), 1);
	assert_non_null(strstr(out, "guest x\\n2026-01-01T00:00:00Z INFO "
	    "forged\\x1B]0;t\\x07\\xFF refused\n"));
	free(out);
	(void)state;
}

static void
test_flood(void **state)
{
	char *out;

	log_set_rate_limit(5, 3600 * 1000);
	capture();
	for (int i = 0; i < 100000; i++)
		log_warnx("dropped message %d from HV01", i);
	out = captured();
	assert_int_equal(count(out, "\n"), 5);
	assert_non_null(strstr(out, "dropped message 4 from HV01"));
	assert_null(strstr(out, "dropped message 5 from HV01"));
	free(out);
	(void)state;
}

static void
test_resume_counts(void **state)
{
	char *out;

	log_set_rate_limit(3, 100);
	capture();
	for (int i = 0; i < 10; i++)
		log_info("refused key %d", i);
	pass_ms(100);
	log_info("refused key %d", 10);
	out = captured();
	assert_int_equal(count(out, "\n"), 4);
	assert_non_null(strstr(out, "refused key 10 (7 similar messages "
	    "suppressed)\n"));
	free(out);
	(void)state;
}

/* Without a next message, the count still comes out once the window is
 * over: the last held-back message with the count. */
static void
test_flush(void **state)
{
	char *out;

	log_set_rate_limit(2, 100);
	capture();
	for (int i = 0; i < 6; i++)
		log_warnx("bad frame %d", i);
	pass_ms(100);
	log_flush_suppressed();
	log_flush_suppressed();
	out = captured();
	assert_int_equal(count(out, "\n"), 3);
	assert_non_null(strstr(out, "bad frame 5 (last of 4 similar messages "
	    "suppressed)\n"));
	free(out);
	(void)state;
}

/* One source's flood does not silence another's messages. */
static void
test_per_source(void **state)
{
	char *out;

	log_set_rate_limit(2, 3600 * 1000);
	capture();
	for (int i = 0; i < 50; i++)
		log_warnx_from("HV01", "inventory from %s refused", "HV01");
	log_warnx_from("HV02", "inventory from %s refused", "HV02");
	out = captured();
	assert_int_equal(count(out, "HV01 refused"), 2);
	assert_int_equal(count(out, "HV02 refused"), 1);
	free(out);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_resume_counts),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_per_source),
	};
	int rc;

	log_init("test_log", false);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	remove(OUT);
	return rc;
}
