/*
 * opts.c: the per-verb option parser and error helpers (cli.h). Accepts
 * --name VALUE, --name=VALUE and -- to end options; anything else that
 * starts with "-" (but "-" itself, which means standard input) is a usage
 * error naming the valid options.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xalloc.h"

static int
s_usage(const char *usage, const cli_opt *opts, size_t nopts,
    const char *fmt, const char *arg)
{
	fprintf(stderr, "hvpolicy: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: hvpolicy %s\n", usage);
	if (nopts) {
		fprintf(stderr, "options:");
		for (size_t i = 0; i < nopts; i++)
			fprintf(stderr, " --%s%s", opts[i].name,
			    opts[i].takes_value ? " VALUE" : "");
		fprintf(stderr, "\n");
	}
	return EXIT_USAGE;
}

static const cli_opt *
s_find(const cli_opt *opts, size_t nopts, const char *name, size_t len)
{
	for (size_t i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

int
cli_parse_opts(const char *usage, int argc, char **argv, const cli_opt *opts,
    size_t nopts, char ***positional, size_t *npos)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	size_t n = 0;
	bool only_positional = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq;
		const cli_opt *o;

		if (only_positional || a[0] != '-' || strcmp(a, "-") == 0) {
			pos[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_positional = true;
			continue;
		}
		if (strcmp(a, "-f") == 0)
			a = "--file";
		if (a[1] != '-') {
			free(pos);
			return s_usage(usage, opts, nopts, "unknown option '%s'", a);
		}
		a += 2;
		eq = strchr(a, '=');
		o = s_find(opts, nopts, a, eq ? (size_t)(eq - a) : strlen(a));
		if (o == NULL) {
			free(pos);
			return s_usage(usage, opts, nopts, "unknown option '%s'",
			    argv[i]);
		}
		if (!o->takes_value) {
			if (eq) {
				free(pos);
				return s_usage(usage, opts, nopts,
				    "option '%s' takes no value", argv[i]);
			}
			*o->flag = true;
			continue;
		}
		if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			free(pos);
			return s_usage(usage, opts, nopts,
			    "option '%s' needs a value", argv[i]);
		}
	}
	*positional = pos;
	*npos = n;
	return 0;
}

int
cli_error(const cli_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvpolicy: %s: ", ctx->verb ? ctx->verb : "error");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

bool
cli_format_ok(const char *format, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(format, allowed[i]) == 0)
			return true;
	return false;
}
