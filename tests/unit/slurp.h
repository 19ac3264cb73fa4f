/*
 * slurp.h: a unit test's data file read whole (test data, fixtures, a
 * file a test wrote). A file that cannot be read fails the test, naming
 * it. Include after cmocka.h.
 */
#ifndef HVP_TEST_SLURP_H
#define HVP_TEST_SLURP_H

#include "platform.h"

/* The file's bytes (owned; NUL-terminated by platform_read_file), their
 * count in *len when len is not NULL. Not inlined: GCC 12 then takes
 * pointers into the result for pointers to the local it was read into
 * (-Wdangling-pointer). */
__attribute__((noinline, unused)) static char *
slurp(const char *path, size_t *len)
{
	char *data = NULL, *err = NULL;
	size_t n = 0;

	if (platform_read_file(path, PLATFORM_MAX_FILE, &data, &n, &err) == -1)
		fail_msg("%s: %s", path, err);
	if (len != NULL)
		*len = n;
	return data;
}

#endif
