/*
 * keygen.c: `hvpolicy keygen NAME --out DIR`: makes a CURVE key pair for a
 * node, the controller or an administrator (keys.h does the work). Needs
 * no controller. Exit 0, 1 when the keys cannot be written, 64 on usage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "keys.h"

#define KEYGEN_USAGE "keygen NAME --out DIR"

int
cmd_keygen(cli_ctx *ctx, int argc, char **argv)
{
	const char *out = NULL;
	const cli_opt opts[] = {
		{ "out", true, &out, NULL },
	};
	char **pos = NULL, *err = NULL;
	size_t npos = 0;
	int rc;

	rc = cli_parse_opts(KEYGEN_USAGE, argc, argv, opts,
	    sizeof opts / sizeof opts[0], &pos, &npos);
	if (rc != 0)
		return rc;
	if (npos != 1 || out == NULL) {
		fprintf(stderr, "hvpolicy: keygen: %s\nusage: hvpolicy %s\n",
		    npos == 0 ? "missing NAME" : npos > 1 ?
		    "one NAME only" : "missing --out DIR", KEYGEN_USAGE);
		free(pos);
		return EXIT_USAGE;
	}
	if (!keys_name_valid(pos[0])) {
		fprintf(stderr, "hvpolicy: keygen: '%s' is not a valid name: "
		    "1 to %d of A-Z a-z 0-9 . _ -, not starting with '.'\n"
		    "usage: hvpolicy %s\n", pos[0], KEYS_NAME_MAX,
		    KEYGEN_USAGE);
		free(pos);
		return EXIT_USAGE;
	}
	if (keys_generate(pos[0], out, &err) == -1) {
		rc = cli_error(ctx, EXIT_FAIL, "%s", err);
		free(err);
		free(pos);
		return rc;
	}
	printf("wrote %s/%s%s (public: give it to the peers)\n"
	    "wrote %s/%s%s (secret, mode 0600: keep it on this host)\n",
	    out, pos[0], KEYS_PUBLIC_SUFFIX, out, pos[0], KEYS_SECRET_SUFFIX);
	free(pos);
	return EXIT_OK;
}
