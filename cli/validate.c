/*
 * validate.c: `hvpolicy validate FILE... [--format text|json]`, the
 * offline check of policy files (cli.h; called from main.c's verb table).
 * Text: every error as FILE:LINE:COLUMN: error: MESSAGE on standard
 * error, sorted by position, and "FILE: valid" on standard output for each
 * valid file. JSON: one array of {file, line, column, key, message} for
 * all files on standard output. Exit 0 when all are valid, 1 when any is
 * not, 64 on a usage error. "-" reads standard input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "policy.h"
#include "strbuf.h"

#define VALIDATE_USAGE "validate FILE... [--format text|json]"

/* Checks one file; its sorted diagnostics are appended to all. */
static bool
s_check_file(const char *path, diag_list *all)
{
	diag_list d;
	policy *p;
	bool ok;

	diag_list_init(&d);
	p = policy_load(path, &d);
	ok = p != NULL && d.count == 0;
	if (!ok && d.count == 0)
		diag_add(&d, strcmp(path, "-") == 0 ? "<stdin>" : path, 0, 0,
		    NULL, "not a valid policy");
	diag_sort(&d);
	for (size_t i = 0; i < d.count; i++) {
		const diag *g = &d.items[i];

		diag_add(all, g->file, g->line, g->column, g->key, "%s",
		    g->message);
	}
	policy_free(&p);
	diag_list_release(&d);
	return ok;
}

int
cmd_validate(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	const char *format = "text";
	const cli_opt opts[] = { { "format", true, &format, NULL } };
	char **files = NULL;
	size_t nfiles = 0, nstdin = 0;
	bool json, all_ok = true;
	diag_list all;
	int rc;

	rc = cli_parse_opts(VALIDATE_USAGE, argc, argv, opts, 1, &files,
	    &nfiles);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < nfiles; i++)
		nstdin += strcmp(files[i], "-") == 0;
	if (!cli_format_ok(format, formats))
		rc = cli_error(ctx, EXIT_USAGE, "unknown format '%s'; expected "
		    "text or json\nusage: hvpolicy %s", format, VALIDATE_USAGE);
	else if (nfiles == 0)
		rc = cli_error(ctx, EXIT_USAGE, "no policy file given (use - "
		    "for standard input)\nusage: hvpolicy %s", VALIDATE_USAGE);
	else if (nstdin > 1)
		rc = cli_error(ctx, EXIT_USAGE, "standard input (-) can be "
		    "read only once\nusage: hvpolicy %s", VALIDATE_USAGE);
	if (rc != 0) {
		free(files);
		return rc;
	}
	json = strcmp(format, "json") == 0;
	diag_list_init(&all);
	all.limit = 0;	/* each file is already bounded by its own list */
	for (size_t i = 0; i < nfiles; i++) {
		size_t before = all.count;
		bool ok = s_check_file(files[i], &all);

		all_ok = all_ok && ok;
		if (json)
			continue;
		if (ok) {
			printf("%s: valid\n", strcmp(files[i], "-") == 0 ?
			    "<stdin>" : files[i]);
		} else {
			diag_list one = all;

			/* Print only this file's part of the list. */
			one.items = all.items + before;
			one.count = all.count - before;
			fflush(stdout);
			diag_print(&one, stderr);
		}
	}
	if (json) {
		strbuf sb;

		strbuf_init(&sb);
		diag_render_json(&all, &sb);
		printf("%s\n", sb.data);
		strbuf_release(&sb);
	}
	fflush(stdout);
	diag_list_release(&all);
	free(files);
	return all_ok ? EXIT_OK : EXIT_FAIL;
}
