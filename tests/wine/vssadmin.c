/*
 * vssadmin.c: a stand-in vssadmin.exe for the Wine test. Takes exactly
 * `list providers` and prints the recorded providers.txt from
 * HVP_STANDIN_DATA; anything else, or no recording, fails as vssadmin
 * does (a message on standard error, exit code 2). Each run is logged
 * (HVP_STANDIN_LOG) so the test can count processes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "standin.h"

int
main(int argc, char **argv)
{
	char *text;
	size_t len = 0;

	standin_log("vssadmin start");
	if (argc != 3 || strcasecmp(argv[1], "list") != 0 ||
	    strcasecmp(argv[2], "providers") != 0)
		standin_die(2, "Error: Invalid command (the stand-in vssadmin "
		    "answers only `list providers`).");
	if ((text = standin_read("providers.txt", &len)) == NULL)
		standin_die(2, "Error: the stand-in has no recorded "
		    "providers.txt.");
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	free(text);
	return 0;
}
