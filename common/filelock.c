/*
 * filelock.c: waiting for an advisory file lock (filelock.h).
 */
#include "filelock.h"

#include <stdlib.h>

#include "xalloc.h"

int
filelock_hold(const char *path, char **err)
{
	static platform_lock **held;	/* kept until the process exits */
	static size_t nheld;
	platform_lock *l = platform_lock_try(path, err);

	if (l == NULL) {
		if (err && *err) {
			free(*err);
			*err = xasprintf("%s is locked: another process is "
			    "using this directory", path);
		}
		return -1;
	}
	held = xrealloc(held, (nheld + 1) * sizeof *held);
	held[nheld++] = l;
	return 0;
}

char *
filelock_path_for(const char *path)
{
	return xasprintf("%s.lock", path);
}

platform_lock *
filelock_acquire(const char *lock_path, int64_t timeout_ms, char **err)
{
	int64_t deadline = platform_mono_ms() + timeout_ms, wait_ms = 5;
	platform_lock *l;
	char *why = NULL;

	while ((l = platform_lock_try(lock_path, &why)) == NULL &&
	    platform_mono_ms() < deadline) {
		free(why);
		why = NULL;
		platform_sleep_ms(wait_ms);
		if (wait_ms < 50)
			wait_ms *= 2;
	}
	if (l == NULL && err)
		*err = xasprintf("%s (waited %lld ms)", why ? why : lock_path,
		    (long long)timeout_ms);
	free(why);
	return l;
}
