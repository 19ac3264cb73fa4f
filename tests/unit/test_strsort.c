/*
 * test_strsort.c: the order of strings (common/strsort.c): byte order,
 * NULL before "" before everything, and the array comparator sorting
 * and finding with qsort and bsearch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "strsort.h"

static void
test_compare(void **state)
{
	(void)state;
	assert_int_equal(strsort_compare(NULL, NULL), 0);
	assert_true(strsort_compare(NULL, "") < 0);
	assert_true(strsort_compare("", NULL) > 0);
	assert_true(strsort_compare("", "a") < 0);
	assert_true(strsort_compare("B", "a") < 0);	/* bytes, not case */
	assert_true(strsort_compare("a\xc3\xa9", "az") > 0);
	assert_int_equal(strsort_compare("CSV1", "CSV1"), 0);
}

static void
test_array(void **state)
{
	const char *v[] = { "Volume2", NULL, "Volume10", "", "Volume1" };
	const char *want[] = { NULL, "", "Volume1", "Volume10", "Volume2" };
	const char *key = "Volume10", **at;

	(void)state;
	qsort(v, 5, sizeof *v, strsort_cmp);
	for (size_t i = 0; i < 5; i++) {
		if (want[i] == NULL)
			assert_null(v[i]);
		else
			assert_string_equal(v[i], want[i]);
	}
	at = bsearch(&key, v, 5, sizeof *v, strsort_cmp);
	assert_non_null(at);
	assert_int_equal(at - v, 3);
	key = "Volume3";
	assert_null(bsearch(&key, v, 5, sizeof *v, strsort_cmp));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
