/*
 * query.c: the read verbs: status, history, get, diagnose, serialization
 * and drift. Each checks its options, asks the controller, and prints the
 * rendered answer; the controller owns the formats' content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "platform.h"
#include "timefmt.h"
#include "wire.h"
#include "ydoc.h"

static const char *const s_table_json[] = { "table", "json", NULL };

/* Parses the options of a verb that takes only --format. */
static int
s_format_only(cli_ctx *ctx, int argc, char **argv, const char *usage,
    const char *const *formats, const char **format)
{
	cli_opt opts[] = { { "format", true, format, NULL } };
	char **pos = NULL;
	size_t npos = 0;
	int rc;

	*format = formats[0];
	rc = cli_parse_opts(usage, argc, argv, opts, 1, &pos, &npos);
	if (rc != 0)
		return rc;
	free(pos);
	if (npos > 0)
		return cli_error(ctx, EXIT_USAGE, "unexpected argument '%s'; "
		    "usage: hvpolicy %s", pos[0], usage);
	if (!cli_format_ok(*format, formats))
		return cli_error(ctx, EXIT_USAGE, "unknown format '%s'", *format);
	return 0;
}

static int
s_read_verb(cli_ctx *ctx, int argc, char **argv, const char *usage,
    const char *const *formats)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	const char *format;
	int rc = s_format_only(ctx, argc, argv, usage, formats, &format);

	if (rc != 0)
		return rc;
	q.verb = (char *)ctx->verb;
	q.format = (char *)format;
	return client_simple(ctx, &q);
}

int
cmd_status(cli_ctx *ctx, int argc, char **argv)
{
	return s_read_verb(ctx, argc, argv, "status [--format table|json]",
	    s_table_json);
}

int
cmd_history(cli_ctx *ctx, int argc, char **argv)
{
	return s_read_verb(ctx, argc, argv, "history [--format table|json]",
	    s_table_json);
}

int
cmd_diagnose(cli_ctx *ctx, int argc, char **argv)
{
	return s_read_verb(ctx, argc, argv, "diagnose [--format table|json]",
	    s_table_json);
}

int
cmd_serialization(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const formats[] = { "table", "json", "dpm-xml", NULL };

	return s_read_verb(ctx, argc, argv,
	    "serialization [--format table|json|dpm-xml]", formats);
}

/* A positive revision number. */
static int
s_revision(const cli_ctx *ctx, const char *text, int64_t *out)
{
	uint64_t v;

	if (yparse_uint64(text, INT64_MAX, &v) == -1 || v == 0)
		return cli_error(ctx, EXIT_USAGE, "'%s' is not a revision number "
		    "(1, 2, ...; see hvpolicy history)", text);
	*out = (int64_t)v;
	return 0;
}

int
cmd_get(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "get [--revision N] [--format yaml|json]";
	static const char *const formats[] = { "yaml", "json", NULL };
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	const char *rev = NULL, *format = "yaml";
	cli_opt opts[] = {
		{ "revision", true, &rev, NULL },
		{ "format", true, &format, NULL },
	};
	char **pos = NULL;
	size_t npos = 0;
	int rc = cli_parse_opts(usage, argc, argv, opts, 2, &pos, &npos);

	if (rc != 0)
		return rc;
	free(pos);
	if (npos > 0)
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s", usage);
	if (!cli_format_ok(format, formats))
		return cli_error(ctx, EXIT_USAGE, "unknown format '%s'", format);
	if (rev && (rc = s_revision(ctx, rev, &q.revision)) != 0)
		return rc;
	q.verb = (char *)"get";
	q.format = (char *)format;
	return client_simple(ctx, &q);
}

/* RFC 3339 time or date, or a duration back from now: 30m, 12h, 7d. */
static int
s_since(const cli_ctx *ctx, const char *text, int64_t *out)
{
	size_t len = strlen(text);
	char unit = len ? text[len - 1] : '\0';
	int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 :
	    unit == 'd' ? 86400 : 0;
	uint64_t n;
	char digits[32];

	if (timefmt_parse_rfc3339(text, out) == 0)
		return 0;
	if (mult && len > 1 && len < sizeof digits) {
		memcpy(digits, text, len - 1);
		digits[len - 1] = '\0';
		if (yparse_uint64(digits, INT32_MAX, &n) == 0) {
			*out = platform_now_ms() / 1000 - (int64_t)n * mult;
			return 0;
		}
	}
	return cli_error(ctx, EXIT_USAGE, "--since '%s': expected an RFC 3339 "
	    "time (2026-11-25T06:00:00Z), a date (2026-11-25) or a duration "
	    "(30m, 12h, 7d)", text);
}

/* drift --follow: every drift transition from now on, as drift
 * records. */
static int
s_drift_follow(cli_ctx *ctx, const char *format, const char *node,
    const char *since, bool other)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;

	if (strcmp(format, "json") == 0)
		return cli_error(ctx, EXIT_USAGE, "--follow prints records as "
		    "they come: use --format jsonl, csv or table");
	if (since || other)
		return cli_error(ctx, EXIT_USAGE, "--follow takes only --node "
		    "and --format");
	q.verb = (char *)"drift";
	q.format = (char *)format;
	q.node = (char *)node;
	q.drift_records = true;
	q.after = -1;		/* from the stream's end: new transitions */
	return cli_follow(ctx, &q);
}

/* --limit: a positive count of records. */
static int
s_limit(const cli_ctx *ctx, const char *text, uint32_t *out)
{
	uint64_t v;

	if (yparse_uint64(text, UINT32_MAX, &v) == -1 || v == 0)
		return cli_error(ctx, EXIT_USAGE, "--limit '%s': expected a "
		    "number of records (1, 2, ...)", text);
	*out = (uint32_t)v;
	return 0;
}

int
cmd_drift(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "drift [--format table|json|jsonl|csv] "
	    "[--node N] [--since TIME] [--open] [--limit N] [--exit-code] "
	    "[--follow]";
	static const char *const formats[] = { "table", "json", "jsonl", "csv",
	    NULL };
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r = NULL;
	const char *format = "table", *node = NULL, *since = NULL, *limit = NULL;
	bool open = false, exit_code = false, follow = false;
	cli_opt opts[] = {
		{ "follow", false, NULL, &follow },
		{ "format", true, &format, NULL },
		{ "node", true, &node, NULL },
		{ "since", true, &since, NULL },
		{ "open", false, NULL, &open },
		{ "exit-code", false, NULL, &exit_code },
		{ "limit", true, &limit, NULL },
	};
	char **pos = NULL;
	size_t npos = 0;
	client *c;
	int rc = cli_parse_opts(usage, argc, argv, opts, 7, &pos, &npos);

	if (rc != 0)
		return rc;
	free(pos);
	if (npos > 0)
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s", usage);
	if (!cli_format_ok(format, formats))
		return cli_error(ctx, EXIT_USAGE, "unknown format '%s'", format);
	if (follow)
		return s_drift_follow(ctx, format, node, since,
		    open || exit_code || limit);
	if (since && (rc = s_since(ctx, since, &q.since)) != 0)
		return rc;
	if (limit && (rc = s_limit(ctx, limit, &q.limit)) != 0)
		return rc;
	q.verb = (char *)"drift";
	q.format = (char *)format;
	q.node = (char *)node;
	q.open_only = open;
	if ((c = client_open(ctx, &rc)) == NULL)
		return rc;
	rc = client_call(c, &q, CLIENT_TIMEOUT_MS, &r);
	if (rc == EXIT_OK) {
		rc = client_print(ctx, r);
		if (r->shown < r->matched)
			fprintf(stderr, "hvpolicy: drift: showing the newest %u "
			    "of %u records (--limit)\n", r->shown, r->matched);
		/* total counts every matching open record, shown or not. */
		if (rc == EXIT_OK && exit_code && r->total > 0)
			rc = EXIT_DIFF;
	}
	wire_admin_reply_free(&r);
	client_free(&c);
	return rc;
}
