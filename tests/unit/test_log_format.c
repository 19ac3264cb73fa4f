/*
 * test_log_format.c: the log line formats of common/log.c: --log-format
 * json writes one object a line with fixed fields and an escaped message;
 * lines start with a syslog priority when standard error is the journal;
 * the --log-format flag is taken out of argv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "platform.h"
#include "xalloc.h"

/* Runs fn with standard error going to a file; returns what it wrote. */
static char *
s_capture(void (*fn)(void))
{
	char path[64], *data = NULL, *err = NULL;
	size_t len = 0;
	int saved = dup(2);

	snprintf(path, sizeof path, "/tmp/hvp-log-%ld", (long)getpid());
	assert_non_null(freopen(path, "w", stderr));
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(platform_read_file(path, 1 << 20, &data, &len, &err),
	    0);
	unlink(path);
	return data;
}

static void
s_lines(void)
{
	log_info("revision %d applied by \"%s\"", 3, "alice\\bob");
	log_warnx("tab\there");
}

static void
test_json(void **state)
{
	char *out;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init("hvpolicy-test", false);
	log_set_format(LOG_FORMAT_JSON);
	out = s_capture(s_lines);
	assert_non_null(strstr(out, "\"level\":\"info\",\"program\":"
	    "\"hvpolicy-test\",\"pid\":"));
	assert_non_null(strstr(out, "\"message\":\"revision 3 applied by "
	    "\\\"alice\\\\bob\\\"\"}\n"));
	assert_non_null(strstr(out, "\"level\":\"warn\""));
	/* Control characters never reach the line raw (the log escapes
	 * them before JSON does). */
	assert_non_null(strstr(out, "\"message\":\"tab"));
	assert_null(strchr(out, '\t'));
	assert_int_equal(strncmp(out, "{\"time\":\"", 9), 0);
	free(out);
	log_set_format(LOG_FORMAT_TEXT);
}

static void
test_journal_priority(void **state)
{
	char *out;

	(void)state;
	setenv("JOURNAL_STREAM", "8:1234", 1);
	log_init("hvpolicy-test", false);
	out = s_capture(s_lines);
	assert_int_equal(strncmp(out, "<6>", 3), 0);
	assert_non_null(strstr(out, "\n<4>"));
	free(out);
	log_set_format(LOG_FORMAT_JSON);
	out = s_capture(s_lines);
	assert_int_equal(strncmp(out, "<6>{", 4), 0);
	free(out);
	unsetenv("JOURNAL_STREAM");
	log_init("hvpolicy-test", false);
	log_set_format(LOG_FORMAT_TEXT);
}

static void
test_flag(void **state)
{
	char a0[] = "prog", a1[] = "--config", a2[] = "c.yaml",
	    a3[] = "--log-format", a4[] = "json", a5[] = "--verbose",
	    b1[] = "--log-format=text", c1[] = "--log-format";
	char *argv[] = { a0, a1, a2, a3, a4, a5, NULL };
	char *argv2[] = { a0, b1, NULL };
	char *argv3[] = { a0, c1, NULL };
	const char *v = NULL;
	log_format f;
	int argc = 6;

	(void)state;
	assert_int_equal(log_take_format_flag(&argc, argv, &v), 0);
	assert_string_equal(v, "json");
	assert_int_equal(argc, 4);
	assert_string_equal(argv[3], "--verbose");
	assert_null(argv[4]);
	argc = 2;
	assert_int_equal(log_take_format_flag(&argc, argv2, &v), 0);
	assert_string_equal(v, "text");
	assert_int_equal(argc, 1);
	argc = 2;
	assert_int_equal(log_take_format_flag(&argc, argv3, &v), -1);
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_int_equal(log_format_parse("xml", &f), -1);
	assert_int_equal(log_format_parse(NULL, &f), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_journal_priority),
		cmocka_unit_test(test_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
