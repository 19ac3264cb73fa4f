/*
 * version.c: the --version option every program answers (version.h,
 * generated from cmake/version.h.in). Called first thing by each main().
 */
#include <stdio.h>
#include <string.h>

#include "version.h"

bool
version_option(const char *program, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", program, HVP_VERSION);
			return true;
		}
	}
	return false;
}
