/*
 * dpmpaths.c: DPM's install folder by version (dpmpaths.h). Paths are
 * joined with '\' whatever the build, as they are Windows paths.
 */
#include "dpmpaths.h"

#include <stdlib.h>
#include <string.h>

#include "win_facts.h"
#include "xalloc.h"

static char *
s_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 0 && (dir[n - 1] == '\\' || dir[n - 1] == '/'))
		n--;
	return xasprintf("%.*s\\%s", (int)n, dir, name);
}

char *
dpmpaths_install_dir(const char *install_path, const char *program_files,
    dpmpaths_exists_fn exists, void *ctx, bool *found)
{
	static const char *const dirs[] = WINF_DPM_DIRS;
	size_t n;

	if (found != NULL)
		*found = true;
	if (install_path != NULL && *install_path != '\0') {
		n = strlen(install_path);
		while (n > 1 && (install_path[n - 1] == '\\' ||
		    install_path[n - 1] == '/'))
			n--;
		return xstrndup(install_path, n);
	}
	for (size_t i = 0; dirs[i] != NULL; i++) {
		char *dir = s_join(program_files, dirs[i]);

		if (exists(dir, ctx))
			return dir;
		free(dir);
	}
	if (found != NULL)
		*found = false;
	return s_join(program_files, dirs[0]);
}

char *
dpmpaths_dsgroups(const char *install_dir)
{
	return s_join(install_dir, WINF_DSGROUPS_REL);
}

char *
dpmpaths_agent_log(const char *install_dir)
{
	char *dir = s_join(install_dir, WINF_AGENT_LOG_SUBDIR);
	char *path = s_join(dir, WINF_AGENT_LOG_NAME);

	free(dir);
	return path;
}
