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
#include "help.h"
#include "log.h"
#include "version.h"

typedef struct verb {
	const char *name;
	int (*fn)(cli_ctx *ctx, int argc, char **argv);
} verb;

/* Sorted by name; help.c describes each (usage, options, example). */
static const verb s_verbs[] = {
	{ "apply", cmd_apply },
	{ "backup", cmd_backup },
	{ "completion", cmd_completion },
	{ "diagnose", cmd_diagnose },
	{ "drift", cmd_drift },
	{ "events", cmd_events },
	{ "forget", cmd_forget },
	{ "get", cmd_get },
	{ "help", cmd_help },
	{ "history", cmd_history },
	{ "keygen", cmd_keygen },
	{ "plan", cmd_plan },
	{ "rollback", cmd_rollback },
	{ "serialization", cmd_serialization },
	{ "status", cmd_status },
	{ "validate", cmd_validate },
};

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
		{ "--cluster", offsetof(cli_ctx, cluster) },
	};

	if (strcmp(argv[*i], "--wide") == 0) {
		ctx->wide = true;
		return 1;
	}

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

/* Every verb that talks to a controller takes --cluster. */
static bool
s_takes_cluster(const char *name)
{
	static const char *const offline[] = { "completion", "help",
	    "keygen", "validate" };

	for (size_t i = 0; i < sizeof offline / sizeof offline[0]; i++)
		if (strcmp(name, offline[i]) == 0)
			return false;
	return true;
}

/* True when the verb's arguments (before a "--") ask for its help. */
static bool
s_wants_help(int nrest, char **rest)
{
	for (int i = 1; i < nrest; i++) {
		if (strcmp(rest[i], "--") == 0)
			break;
		if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0)
			return true;
	}
	return false;
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
	if (nrest > 0 && strcmp(rest[0], "--version") == 0) {
		printf("hvpolicy %s\n", HVP_VERSION);
		free(rest);
		return EXIT_OK;
	}
	if (nrest == 0 || strcmp(rest[0], "--help") == 0 ||
	    strcmp(rest[0], "-h") == 0) {
		cli_help_overview(nrest == 0 ? stderr : stdout);
		free(rest);
		return nrest == 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (s_wants_help(nrest, rest) && cli_help_find(rest[0]) != NULL) {
		cli_help_print(cli_help_find(rest[0]), stdout);
		free(rest);
		return EXIT_OK;
	}
	if (ctx.socket_path == NULL)
		ctx.socket_path = getenv(CLI_SOCKET_ENV);
	if (ctx.socket_path == NULL)
		ctx.socket_path = CLI_DEFAULT_SOCKET;
	for (size_t v = 0; v < sizeof s_verbs / sizeof s_verbs[0]; v++) {
		if (strcmp(rest[0], s_verbs[v].name) == 0) {
			ctx.verb = s_verbs[v].name;
			if (ctx.cluster && !s_takes_cluster(ctx.verb)) {
				fprintf(stderr, "hvpolicy: %s: --cluster does not "
				    "apply (%s works without a controller)\n",
				    ctx.verb, ctx.verb);
				free(rest);
				return EXIT_USAGE;
			}
			rc = s_verbs[v].fn(&ctx, nrest, rest);
			free(rest);
			return rc;
		}
	}
	fprintf(stderr, "hvpolicy: unknown verb '%s'\n", rest[0]);
	cli_help_overview(stderr);
	free(rest);
	return EXIT_USAGE;
}
