/*
 * tmpdir.h: a private directory for a unit test, made under $TMPDIR (or
 * /tmp) and removed with the files in it (one level: the tests that use
 * it make no subdirectories). tmpdir_setup/tmpdir_teardown are cmocka
 * fixtures whose state is the directory's path.
 */
#ifndef HVP_TEST_TMPDIR_H
#define HVP_TEST_TMPDIR_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* The directory's path (owned), or NULL when it cannot be made. */
static inline char *
tmpdir_new(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/hvp-unit-XXXXXX", tmp && *tmp ? tmp :
	    "/tmp");

	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* Removes the files in path, then path. */
static inline void
tmpdir_remove(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *child;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		child = xasprintf("%s/%s", path, e->d_name);
		unlink(child);
		free(child);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static inline int
tmpdir_setup(void **state)
{
	return (*state = tmpdir_new()) == NULL ? -1 : 0;
}

static inline int
tmpdir_teardown(void **state)
{
	tmpdir_remove(*state);
	free(*state);
	return 0;
}

#endif
