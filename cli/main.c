/*
 * main.c: the `hvpolicy` command line. Takes the global options wherever
 * they stand (before or after the verb), then dispatches to the verb's
 * file through one sorted table.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

typedef struct verb {
	const char *name;
	int (*fn)(cli_ctx *ctx, int argc, char **argv);
	const char *summary;
} verb;

/* Sorted by name. */
static const verb s_verbs[] = {
	{ "apply", cmd_apply, "store a policy as a new revision and push it" },
	{ "diagnose", cmd_diagnose, "30112 findings per node" },
	{ "drift", cmd_drift, "the drift report" },
	{ "events", cmd_events, "the event stream (--follow: as it happens)" },
	{ "get", cmd_get, "print a stored policy revision" },
	{ "history", cmd_history, "list policy revisions" },
	{ "keygen", cmd_keygen, "write a CURVE key pair" },
	{ "plan", cmd_plan, "what each node would change under a policy" },
	{ "rollback", cmd_rollback, "apply an old revision as a new one" },
	{ "serialization", cmd_serialization, "the serialization plan" },
	{ "status", cmd_status, "nodes, convergence, plan, findings" },
	{ "validate", cmd_validate, "check policy files offline" },
};

static void
s_usage(FILE *out)
{
	fprintf(out, "usage: hvpolicy [--socket PATH | --controller tcp://HOST:PORT "
	    "--admin-key FILE --controller-key FILE] VERB [ARGS]\nverbs:\n");
	for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++)
		fprintf(out, "  %-14s %s\n", s_verbs[i].name, s_verbs[i].summary);
}

/* Takes a global option at argv[*i] if there is one. 1 taken, 0 not one,
 * -1 missing value. */
static int
s_global(cli_ctx *ctx, int argc, char **argv, int *i)
{
	static const struct { const char *name; size_t off; } globals[] = {
		{ "--socket", offsetof(cli_ctx, socket_path) },
		{ "--controller", offsetof(cli_ctx, controller) },
		{ "--admin-key", offsetof(cli_ctx, admin_key) },
		{ "--controller-key", offsetof(cli_ctx, controller_key) },
	};

	for (size_t g = 0; g < sizeof globals / sizeof globals[0]; g++) {
		size_t len = strlen(globals[g].name);
		const char **slot = (const char **)((char *)ctx + globals[g].off);

		if (strncmp(argv[*i], globals[g].name, len) != 0)
			continue;
		if (argv[*i][len] == '=') {
			*slot = argv[*i] + len + 1;
			return 1;
		}
		if (argv[*i][len] != '\0')
			continue;
		if (*i + 1 >= argc) {
			fprintf(stderr, "hvpolicy: option '%s' needs a value\n",
			    globals[g].name);
			return -1;
		}
		*slot = argv[++*i];
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	cli_ctx ctx = { 0 };
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0, rc;
	bool after_dashes = false;

	if (rest == NULL)
		return EXIT_FAIL;
	log_init("hvpolicy", false);
	for (int i = 1; i < argc; i++) {
		int taken = 0;

		if (!after_dashes && strcmp(argv[i], "--") == 0)
			after_dashes = true;
		if (!after_dashes)
			taken = s_global(&ctx, argc, argv, &i);
		if (taken == -1) {
			free(rest);
			return EXIT_USAGE;
		}
		if (taken == 0)
			rest[nrest++] = argv[i];
	}
	if (nrest == 0 || strcmp(rest[0], "--help") == 0 ||
	    strcmp(rest[0], "-h") == 0 || strcmp(rest[0], "help") == 0) {
		s_usage(nrest == 0 ? stderr : stdout);
		free(rest);
		return nrest == 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (ctx.socket_path == NULL)
		ctx.socket_path = getenv(CLI_SOCKET_ENV);
	if (ctx.socket_path == NULL)
		ctx.socket_path = CLI_DEFAULT_SOCKET;
	for (size_t v = 0; v < sizeof s_verbs / sizeof s_verbs[0]; v++) {
		if (strcmp(rest[0], s_verbs[v].name) == 0) {
			ctx.verb = s_verbs[v].name;
			rc = s_verbs[v].fn(&ctx, nrest, rest);
			free(rest);
			return rc;
		}
	}
	fprintf(stderr, "hvpolicy: unknown verb '%s'\n", rest[0]);
	s_usage(stderr);
	free(rest);
	return EXIT_USAGE;
}
