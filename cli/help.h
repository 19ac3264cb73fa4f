/*
 * help.h: the help table of the `hvpolicy` command line (help.c): usage,
 * options and an example per verb, printed by `hvpolicy help VERB` and
 * `hvpolicy VERB --help`, and the source of the shell completions
 * (completion.h).
 */
#ifndef HVP_HELP_H
#define HVP_HELP_H

#include <stdio.h>

/* The kind of value an option takes, for help text and completion. */
typedef enum cli_arg_kind {
	CLI_ARG_NONE = 0,	/* a flag */
	CLI_ARG_WORD,		/* any value */
	CLI_ARG_FILE,		/* a file name */
	CLI_ARG_DIR,		/* a directory name */
	CLI_ARG_FORMAT,		/* one of values (space separated) */
} cli_arg_kind;

typedef struct cli_help_opt {
	const char *name;	/* without "--"; NULL ends a list */
	cli_arg_kind arg;
	const char *values;	/* CLI_ARG_FORMAT: "table json" */
	const char *text;
} cli_help_opt;

#define CLI_HELP_MAX_OPTS 8

typedef struct cli_help {
	const char *name;	/* NULL ends the table */
	const char *usage;	/* after "hvpolicy " */
	const char *summary;	/* one line for the verb list */
	const char *text;	/* a few sentences */
	cli_help_opt opts[CLI_HELP_MAX_OPTS];
	const char *example;
} cli_help;

extern const cli_help cli_help_table[];
extern const cli_help_opt cli_global_opts[];

/* NULL when verb is not in the table. */
const cli_help *cli_help_find(const char *verb);
/* One verb's usage, description, options and example. */
void cli_help_print(const cli_help *h, FILE *out);
/* Every verb with its summary, the global options, the exit codes. */
void cli_help_overview(FILE *out);

#endif
