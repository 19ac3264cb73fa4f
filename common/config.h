/*
 * config.h: the daemons' configuration: one table of options per program
 * (as Redis keeps its static_configs[]), read from a YAML file and from
 * flags of the same names (flags win). Unknown keys, wrong types and out
 * of range values are reported with positions; nothing is applied unless
 * everything is valid. Callers: controller/main.c, node/daemon.c.
 */
#ifndef HVP_CONFIG_H
#define HVP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* CONFIG_SECTION: a structured value (a list or map) that only the config
 * file can give; config_load checks only that it is there and leaves
 * reading it to the program (config_section_load), which reports its own
 * errors. CONFIG_LIST: a list of strings, in the file a YAML sequence
 * ([A, B]), as a flag the items separated by commas (--name A,B). */
typedef enum config_type {
	CONFIG_STRING, CONFIG_INT, CONFIG_BOOL, CONFIG_SECTION, CONFIG_LIST
} config_type;

typedef struct config_option {
	const char *name;	/* YAML key and --flag */
	config_type type;
	const char *default_value;	/* NULL: no default */
	bool required;
	int64_t min, max;	/* CONFIG_INT */
	const char *help;
} config_option;

/* Values by option index; strings owned. */
typedef struct config_values {
	const config_option *options;
	size_t count;
	char **strings;		/* CONFIG_STRING; NULL when unset */
	int64_t *ints;
	bool *bools;
	char ***lists;		/* CONFIG_LIST: NULL-terminated; NULL unset */
	bool *set;		/* given in the file, by a flag, or defaulted */
} config_values;

/* Loads options: file (may be NULL) then argv flags (--name VALUE,
 * --name=VALUE, --flag for booleans). Flags not in the table are usage
 * errors reported in d with file "<command line>". Returns 0 or -1. */
int config_load(const config_option *options, size_t count, const char *file,
    int argc, char **argv, config_values *out, diag_list *d);
void config_values_release(config_values *v);
const char *config_str(const config_values *v, const char *name);
int64_t config_int(const config_values *v, const char *name);
bool config_bool(const config_values *v, const char *name);
/* A CONFIG_LIST's items (NULL-terminated), or NULL when unset; *n their
 * number (n may be NULL). */
const char *const *config_list(const config_values *v, const char *name,
    size_t *n);
/* Finds "--config FILE" in argv; NULL when absent. */
const char *config_file_arg(int argc, char **argv);
void config_print_help(const config_option *options, size_t count,
    const char *program, const char *extra);

#endif
