/*
 * test_promtext.c: the Prometheus text format helpers (common/promtext.c)
 * both daemons' metrics go through: HELP/TYPE lines, and label values
 * escaped so that a hostile node or cluster name cannot end a label or
 * forge a sample line.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "promtext.h"

static void
test_head(void **state)
{
	strbuf b;

	(void)state;
	strbuf_init(&b);
	promtext_head(&b, "hvpolicy_x_total", "counter", "What x counts.");
	assert_string_equal(b.data, "# HELP hvpolicy_x_total What x counts.\n"
	    "# TYPE hvpolicy_x_total counter\n");
	strbuf_release(&b);
}

static void
test_label_escaped(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "HV01", "HV01" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "x\"} 1\nforged 2", "x\\\"} 1\\nforged 2" },
		{ "", "" },
		{ NULL, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		strbuf b;

		strbuf_init(&b);
		promtext_label(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].out);
		assert_null(strchr(b.data, '\n'));
		strbuf_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_label_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
