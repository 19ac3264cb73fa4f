/*
 * test_dpmpaths.c: DPM's install folder by version (node/dpmpaths.c):
 * the registry's InstallPath first, then the per-version defaults newest
 * first, and the files below it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dpmpaths.h"

#define PF "C:\\Program Files"

/* ctx: NULL-terminated list of folders that exist. */
static bool
s_exists(const char *path, void *ctx)
{
	for (const char *const *p = ctx; *p != NULL; p++)
		if (strcmp(*p, path) == 0)
			return true;
	return false;
}

static void
s_dir(const char *install, const char *const *present, const char *want,
    bool want_found)
{
	bool found = !want_found;
	char *dir = dpmpaths_install_dir(install, PF, s_exists,
	    (void *)present, &found);

	assert_string_equal(dir, want);
	assert_int_equal(found, want_found);
	free(dir);
}

static void
t_install_dir(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const dpm2010[] = {
	    PF "\\Microsoft DPM\\DPM", NULL };
	static const char *const dpm2012r2[] = {
	    PF "\\Microsoft System Center 2012 R2\\DPM\\DPM",
	    PF "\\Microsoft DPM\\DPM", NULL };
	static const char *const dpm2019[] = {
	    PF "\\Microsoft System Center\\DPM\\DPM", NULL };
	static const char *const mabs[] = {
	    PF "\\Microsoft Azure Backup Server\\DPM\\DPM", NULL };

	(void)state;
	/* The registry wins, trailing backslash dropped. */
	s_dir("D:\\DPM\\", dpm2019, "D:\\DPM", true);
	s_dir("E:\\Program Files\\Microsoft System Center\\DPM\\DPM", none,
	    "E:\\Program Files\\Microsoft System Center\\DPM\\DPM", true);
	s_dir(NULL, dpm2010, PF "\\Microsoft DPM\\DPM", true);
	s_dir("", dpm2012r2, PF "\\Microsoft System Center 2012 R2\\DPM\\DPM",
	    true);
	s_dir(NULL, dpm2019, PF "\\Microsoft System Center\\DPM\\DPM", true);
	s_dir(NULL, mabs, PF "\\Microsoft Azure Backup Server\\DPM\\DPM", true);
	/* Nothing installed: the newest default, reported as not found. */
	s_dir(NULL, none, PF "\\Microsoft System Center\\DPM\\DPM", false);
}

static void
t_files(void **state)
{
	char *p;

	(void)state;
	p = dpmpaths_dsgroups("D:\\DPM\\");
	assert_string_equal(p, "D:\\DPM\\Config\\DataSourceGroups.xml");
	free(p);
	p = dpmpaths_agent_log(PF "\\Microsoft Data Protection Manager\\DPM");
	assert_string_equal(p, PF "\\Microsoft Data Protection Manager\\DPM\\"
	    "Temp\\DPMRACurr.errlog");
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_install_dir),
		cmocka_unit_test(t_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
