/*
 * winstub.c: what the Windows-only parts of hvpolicy-node (backend_win.c,
 * winsvc.c, winevlog.c) answer in builds for other systems, so callers need no #ifdef.
 * Compiled instead of them when CMake does not target WIN32.
 */
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "winevlog.h"
#include "winservice.h"
#include "xalloc.h"

host_backend *
backend_windows_new(host_role role, const char *cluster, char **err)
{
	(void)role;
	(void)cluster;
	*err = xstrdup("backend windows is only available in the Windows "
	    "build of hvpolicy-node");
	return NULL;
}

void
backend_windows_track(host_backend *b, const policy *p)
{
	(void)b;
	(void)p;
}

bool
backend_windows_available(void)
{
	return false;
}

bool
winsvc_is_command(int argc, char **argv)
{
	return argc > 1 && (strcmp(argv[1], WINSVC_INSTALL) == 0 ||
	    strcmp(argv[1], WINSVC_UNINSTALL) == 0 ||
	    strcmp(argv[1], WINSVC_CONFIGURE) == 0 ||
	    strcmp(argv[1], WINSVC_RUN) == 0);
}

int
winsvc_main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "hvpolicy-node: %s is only available on Windows\n",
	    argv[1]);
	return 64;
}

void
winevlog_open(void)
{
}

void
winevlog_close(void)
{
}

int
winevlog_register(const char *exe_path, char **err)
{
	(void)exe_path;
	*err = xstrdup("the Event Log is only available on Windows");
	return -1;
}
