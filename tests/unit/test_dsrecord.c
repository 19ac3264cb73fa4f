/*
 * test_dsrecord.c: the DPM server's record of the entries hvpolicy wrote
 * into DataSourceGroups.xml (node/dsrecord.c): round trip, no file, a
 * damaged file named with its line, values that could not be read back
 * left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "dsrecord.h"
#include "platform.h"
#include "tmpdir.h"
#include "xalloc.h"

static void
s_put(const char *dir, const char *text)
{
	char *path = platform_path_join(dir, DSRECORD_FILE), *err = NULL;

	assert_int_equal(platform_replace_file(path, text, strlen(text), true,
	    &err), 0);
	free(path);
}

static void
test_round_trip(void **state)
{
	const char *dir = *state;
	dsmerge_record r = { 0 }, back = { 0 };
	char *err = NULL;

	assert_int_equal(dsrecord_load(dir, &back, &err), 1);
	assert_int_equal(back.n, 0);
	dsmerge_record_add(&r, "{2B000000-0000-0000-0000-000000000002}",
	    "HV-B");
	dsmerge_record_add(&r, "1a000000-0000-0000-0000-000000000001", "");
	dsmerge_record_add(&r, "bad\tid", "");
	assert_int_equal(dsrecord_save(dir, &r, &err), 0);
	assert_int_equal(dsrecord_load(dir, &back, &err), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].id, "1a000000-0000-0000-0000-000000000001");
	assert_string_equal(back.v[0].cluster, "");
	assert_string_equal(back.v[1].id, "2b000000-0000-0000-0000-000000000002");
	assert_string_equal(back.v[1].cluster, "HV-B");
	dsmerge_record_clear(&r);
	dsmerge_record_clear(&back);
}

static void
test_damaged(void **state)
{
	const char *dir = *state;
	dsmerge_record r = { 0 };
	char *err = NULL;

	s_put(dir, "something else\n");
	assert_int_equal(dsrecord_load(dir, &r, &err), -1);
	assert_non_null(strstr(err, "line 1"));
	free(err);
	err = NULL;
	s_put(dir, "hvpolicy-dsgroups-written 1\nabc\tA\nno-tab\n");
	assert_int_equal(dsrecord_load(dir, &r, &err), -1);
	assert_non_null(strstr(err, "line 3"));
	assert_int_equal(r.n, 0);
	free(err);
	err = NULL;
	s_put(dir, "hvpolicy-dsgroups-written 1\nabc\tA");
	assert_int_equal(dsrecord_load(dir, &r, &err), -1);
	assert_non_null(strstr(err, "line 2"));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_damaged,
		    tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
