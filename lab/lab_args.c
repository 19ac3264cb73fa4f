/*
 * lab_args.c: one command's arguments (lab.h, lab_args_parse): long
 * options with values, repeatable where the command allows, positionals
 * in order, and errors that name the option and show the usage line.
 * Called by every command of hvpolicy-lab.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "log.h"

static const char *s_command;

void
lab_error_set_command(const char *cmd)
{
	s_command = cmd;
}

int
lab_error(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;

	if (cmd == NULL)
		cmd = s_command;

	fprintf(stderr, "%s: ", LAB_PROGRAM);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int
s_usage_error(const char *cmd, const char *usage, const char *fmt,
    const char *arg)
{
	fprintf(stderr, "%s: %s: ", LAB_PROGRAM, cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: %s %s\n", LAB_PROGRAM, usage);
	return LAB_EXIT_USAGE;
}

static const lab_opt *
s_find(const lab_opt *opts, size_t nopts, const char *name, size_t len)
{
	for (size_t i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

/* Stores one value of o; counts live in the callers' variables. */
static int
s_store(const char *cmd, const char *usage, const lab_opt *o,
    const char *value, size_t *seen)
{
	if (*seen >= o->max)
		return s_usage_error(cmd, usage, o->max == 1 ?
		    "option '--%s' given more than once" :
		    "option '--%s' given too many times", o->name);
	o->values[(*seen)++] = value;
	if (o->count)
		*o->count = *seen;
	return 0;
}

int
lab_args_parse(const char *cmd, const char *usage, int argc, char **argv,
    const lab_opt *opts, size_t nopts, const char **pos, size_t minpos,
    size_t maxpos, size_t *npos)
{
	size_t seen[LAB_MAX_OPTS] = { 0 };
	bool options_done = false;

	if (nopts > LAB_MAX_OPTS)
		fatalx("%s: %zu options, at most %d", cmd, nopts, LAB_MAX_OPTS);
	*npos = 0;
	for (size_t i = 0; i < nopts; i++)
		if (opts[i].count)
			*opts[i].count = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *value;
		const lab_opt *o;
		size_t len;
		int rc;

		if (!options_done && strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		if (options_done || strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (*npos >= maxpos)
				return s_usage_error(cmd, usage,
				    "unexpected argument '%s'", a);
			pos[(*npos)++] = a;
			continue;
		}
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((o = s_find(opts, nopts, name, len)) == NULL)
			return s_usage_error(cmd, usage, "unknown option '%s'", a);
		if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc)
				return s_usage_error(cmd, usage,
				    "option '%s' needs a value", a);
			value = argv[++i];
		}
		if ((rc = s_store(cmd, usage, o, value,
		    &seen[(size_t)(o - opts)])) != 0)
			return rc;
	}
	if (*npos < minpos)
		return s_usage_error(cmd, usage, "%s", *npos == 0 ?
		    "missing arguments" : "missing arguments after the ones given");
	return 0;
}

int
lab_args_int(const char *cmd, const char *name, const char *text,
    int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return lab_error(cmd, LAB_EXIT_USAGE, "%s: expected a whole "
		    "number from %" PRId64 " to %" PRId64 ", got '%s'", name,
		    min, max, text);
	*out = v;
	return 0;
}
