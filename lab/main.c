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
#include "version.h"

typedef struct lab_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;	/* after the program name */
	const char *summary;
	const char *example;	/* after the program name */
} lab_command;

/* This has to stay sorted by name (bsearch). */
static const lab_command s_commands[] = {
	{ "add-guest", lab_cmd_add_guest,
	    "add-guest DIR NODE (NAME | --name-file FILE) --csv VOLUME[,VOLUME...]",
	    "create a guest (Backup service on, as Hyper-V does); "
	    "--name-file takes any name, to try hostile hosts",
	    "add-guest /tmp/lab HV01 VM0100 --csv Volume1" },
	{ "add-node", lab_cmd_add_node, "add-node DIR NAME [--cluster NAME]",
	    "a new node: key, config, host without policy settings",
	    "add-node /tmp/lab HV07" },
	{ "delete-registry", lab_cmd_delete_registry,
	    "delete-registry DIR NODE KEY [--value NAME]",
	    "delete a registry key or value on a host",
	    "delete-registry /tmp/lab HV01 'HKLM\\SOFTWARE\\Contoso' --value Window" },
	{ "down", lab_cmd_down, "down DIR",
	    "stop the controller and every node daemon",
	    "down /tmp/lab" },
	{ "env", lab_cmd_env, "env DIR",
	    "print export HVPOLICY_SOCKET=... for the lab's controller",
	    "env /tmp/lab  (then: eval \"$(hvpolicy-lab env /tmp/lab)\")" },
	{ "init", lab_cmd_init, "init DIR --nodes N --csvs K --guests M "
	    "[--seed S] [--port P] [--cluster NAME] [--clusters N]",
	    "make a lab: keys, configs, host files",
	    "init /tmp/lab --nodes 6 --csvs 3 --guests 40 --seed 7" },
	{ "migrate", lab_cmd_migrate, "migrate DIR GUEST NODE",
	    "live-migrate a guest to another node",
	    "migrate /tmp/lab VM0001 HV02" },
	{ "move-storage", lab_cmd_move_storage,
	    "move-storage DIR GUEST VOLUME[,VOLUME...]",
	    "move a guest's files to other CSVs",
	    "move-storage /tmp/lab VM0002 Volume3" },
	{ "remove-guest", lab_cmd_remove_guest, "remove-guest DIR GUEST",
	    "delete a guest",
	    "remove-guest /tmp/lab VM0003" },
	{ "set-integration", lab_cmd_set_integration,
	    "set-integration DIR GUEST SERVICE on|off",
	    "switch a guest's integration service",
	    "set-integration /tmp/lab VM0001 VSS off" },
	{ "set-registry", lab_cmd_set_registry, "set-registry DIR NODE KEY "
	    "[--value NAME --type T --data D]",
	    "create a registry key or set a value on a host",
	    "set-registry /tmp/lab HV01 'HKLM\\SOFTWARE\\Contoso' "
	    "--value Window --type REG_SZ --data 22:00-05:00" },
	{ "show", lab_cmd_show, "show DIR NODE [--format yaml|json]",
	    "a host's current state",
	    "show /tmp/lab HV01 --format json" },
	{ "start-node", lab_cmd_start_node, "start-node DIR NAME",
	    "start one node's daemon",
	    "start-node /tmp/lab HV03" },
	{ "stop-node", lab_cmd_stop_node, "stop-node DIR NAME",
	    "stop one node's daemon",
	    "stop-node /tmp/lab HV03" },
	{ "up", lab_cmd_up, "up DIR",
	    "start the controller and every node daemon; wait until online",
	    "up /tmp/lab" },
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

	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", LAB_PROGRAM, HVP_VERSION);
		return LAB_EXIT_OK;
	}
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
			printf("usage: %s %s\n  %s\nexample:\n  %s %s\n",
			    LAB_PROGRAM, c->usage, c->summary, LAB_PROGRAM,
			    c->example);
			return LAB_EXIT_OK;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	lab_error_set_command(c->name);
	return c->fn(argc - 1, argv + 1);
}
