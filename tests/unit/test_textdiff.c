/*
 * test_textdiff.c: the line diff of common/textdiff.c: removals before
 * additions, context around each change, hunks apart marked, equal texts
 * empty, over-long texts only said to differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "textdiff.h"

static void
test_changes_with_context(void **state)
{
	strbuf out;

	(void)state;
	strbuf_init(&out);
	assert_int_equal(textdiff_lines("a\nb\nc\nd\ne\nf\ng\nh\ni\n",
	    "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\n", &out), 3);
	assert_string_equal(out.data, "  a\n- b\n+ B\n  c\n  d\n  ...\n"
	    "  h\n  i\n+ j\n");
	strbuf_reset(&out);
	assert_int_equal(textdiff_lines("same\n", "same\n", &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(textdiff_lines("", "x", &out), 1);
	assert_string_equal(out.data, "+ x\n");
	strbuf_release(&out);
}

static void
test_too_long(void **state)
{
	strbuf a, b, out;

	(void)state;
	strbuf_init(&a);
	strbuf_init(&b);
	strbuf_init(&out);
	for (int i = 0; i <= TEXTDIFF_MAX_LINES; i++)
		strbuf_addstr(&a, "line\n");
	strbuf_addf(&b, "%sextra\n", a.data);
	assert_int_equal(textdiff_lines(a.data, b.data, &out), 1);
	assert_non_null(strstr(out.data, "too long"));
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_with_context),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
