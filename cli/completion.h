/*
 * completion.h: shell completion scripts made from the help table
 * (completion.c). Called by `hvpolicy completion SHELL` and, through it,
 * by the build.
 */
#ifndef HVP_COMPLETION_H
#define HVP_COMPLETION_H

#include <stdio.h>

/* Prints the script for shell ("bash" or "zsh"); -1 for another shell. */
int completion_print(const char *shell, FILE *out);

#endif
