/*
 * main.c: hvpolicy-node, the daemon on each Hyper-V node and on the DPM
 * server. `--once` applies a policy to one host file and exits (once.c);
 * every other invocation is the daemon.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "once.h"
#include "version.h"
#include "winevlog.h"
#include "winservice.h"

static int
s_has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	if (version_option("hvpolicy-node", argc, argv))
		return 0;
	log_init("hvpolicy-node", false);
	if (winsvc_is_command(argc, argv))
		return winsvc_main(argc, argv);
	if (s_has_flag(argc, argv, "--once"))
		return once_main(argc, argv, stdout, stderr);
	if (argc == 1) {
		fprintf(stderr, "usage: hvpolicy-node --config FILE [--OPTION VALUE ...]\n"
		    "       hvpolicy-node --once --policy FILE --host-file FILE ...\n"
		    "(--help lists every option)\n");
		return ONCE_EXIT_USAGE;
	}
	if (s_has_flag(argc, argv, "--help") || s_has_flag(argc, argv, "-h")) {
		once_usage(stdout);
		printf("\n");
	}
	/* The daemon's lines also go to the Event Log (on Windows). */
	winevlog_open();
	return node_daemon_main(argc, argv);
}
