/*
 * main.c: hvpolicy-lab, a simulated cluster on one machine (docs/lab.md).
 * One sorted table of commands, searched with bsearch; a command may be
 * shortened to any unique prefix. An unknown or ambiguous command is a
 * usage error that lists the valid ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "log.h"

typedef struct lab_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;	/* after the program name */
	const char *summary;
} lab_command;

/* This has to stay sorted by name (bsearch). */
static const lab_command s_commands[] = {
	{ "add-guest", lab_cmd_add_guest,
	    "add-guest DIR NODE (NAME | --name-file FILE) --csv VOLUME[,VOLUME...]",
	    "create a guest (Backup service on, as Hyper-V does); "
	    "--name-file takes any name, to try hostile hosts" },
	{ "add-node", lab_cmd_add_node, "add-node DIR NAME",
	    "a new node: key, config, host without policy settings" },
	{ "delete-registry", lab_cmd_delete_registry,
	    "delete-registry DIR NODE KEY [--value NAME]",
	    "delete a registry key or value on a host" },
	{ "down", lab_cmd_down, "down DIR",
	    "stop the controller and every node daemon" },
	{ "env", lab_cmd_env, "env DIR",
	    "print export HVPOLICY_SOCKET=... for the lab's controller" },
	{ "init", lab_cmd_init, "init DIR --nodes N --csvs K --guests M "
	    "[--seed S] [--port P] [--cluster NAME]",
	    "make a lab: keys, configs, host files" },
	{ "migrate", lab_cmd_migrate, "migrate DIR GUEST NODE",
	    "live-migrate a guest to another node" },
	{ "move-storage", lab_cmd_move_storage,
	    "move-storage DIR GUEST VOLUME[,VOLUME...]",
	    "move a guest's files to other CSVs" },
	{ "remove-guest", lab_cmd_remove_guest, "remove-guest DIR GUEST",
	    "delete a guest" },
	{ "set-integration", lab_cmd_set_integration,
	    "set-integration DIR GUEST SERVICE on|off",
	    "switch a guest's integration service" },
	{ "set-registry", lab_cmd_set_registry, "set-registry DIR NODE KEY "
	    "[--value NAME --type T --data D]",
	    "create a registry key or set a value on a host" },
	{ "show", lab_cmd_show, "show DIR NODE [--format yaml|json]",
	    "a host's current state" },
	{ "start-node", lab_cmd_start_node, "start-node DIR NAME",
	    "start one node's daemon" },
	{ "stop-node", lab_cmd_stop_node, "stop-node DIR NAME",
	    "stop one node's daemon" },
	{ "up", lab_cmd_up, "up DIR",
	    "start the controller and every node daemon; wait until online" },
};
#define NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static void
s_usage(FILE *out)
{
	fprintf(out, "usage: %s COMMAND DIR [ARGS]\ncommands:\n", LAB_PROGRAM);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %s\n      %s\n", s_commands[i].usage,
		    s_commands[i].summary);
}

static void
s_valid_commands(FILE *out)
{
	fprintf(out, "valid commands:");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, " %s", s_commands[i].name);
	fputc('\n', out);
}

static int
s_compare(const void *key, const void *elem)
{
	return strcmp(key, ((const lab_command *)elem)->name);
}

/* The command named word, or the only one it is a prefix of; NULL after
 * printing why. */
static const lab_command *
s_match(const char *word)
{
	const lab_command *found;
	size_t len = strlen(word), n = 0;

	found = bsearch(word, s_commands, NCOMMANDS, sizeof s_commands[0],
	    s_compare);
	if (found)
		return found;
	for (size_t i = 0; i < NCOMMANDS && len > 0; i++) {
		if (strncmp(s_commands[i].name, word, len) == 0) {
			found = &s_commands[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	fprintf(stderr, "%s: %s command '%s'\n", LAB_PROGRAM,
	    n > 1 ? "ambiguous" : "unknown", word);
	s_valid_commands(stderr);
	return NULL;
}

int
main(int argc, char **argv)
{
	const lab_command *c;

	log_init(LAB_PROGRAM, false);
	if (argc < 2) {
		s_usage(stderr);
		return LAB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		s_usage(stdout);
		return LAB_EXIT_OK;
	}
	if ((c = s_match(argv[1])) == NULL)
		return LAB_EXIT_USAGE;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s %s\n  %s\n", LAB_PROGRAM, c->usage,
			    c->summary);
			return LAB_EXIT_OK;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	lab_error_set_command(c->name);
	return c->fn(argc - 1, argv + 1);
}
