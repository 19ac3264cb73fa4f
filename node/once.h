/*
 * once.h: `hvpolicy-node --once`: applies a policy to one host file
 * without a controller (like `puppet apply`) and prints what it changed.
 * Called by node/main.c when --once is on the command line.
 *
 *   hvpolicy-node --once --policy FILE --host-file FILE [--role R]
 *       [--dry-run] [--format text|json] [--inventory FILE...]
 *
 * Exit codes: ONCE_EXIT_COMPLIED (0) the host already complied,
 * ONCE_EXIT_CHANGED (2) something was changed (or would be, with
 * --dry-run, or drift was found in audit mode), ONCE_EXIT_FAILURE (1) an
 * input error or a change that failed, ONCE_EXIT_USAGE (64) a usage
 * error. docs/node.md describes the output.
 */
#ifndef HVP_NODE_ONCE_H
#define HVP_NODE_ONCE_H

#include <stdio.h>

#define ONCE_EXIT_COMPLIED	0
#define ONCE_EXIT_FAILURE	1
#define ONCE_EXIT_CHANGED	2
#define ONCE_EXIT_USAGE		64

/* Runs --once with the process's arguments (argv[0] is the program);
 * writes results to out and problems to errout; returns the exit code. */
int once_main(int argc, char **argv, FILE *out, FILE *errout);
/* The --once usage text. */
void once_usage(FILE *f);

#endif
