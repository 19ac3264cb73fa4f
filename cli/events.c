/*
 * events.c: `hvpolicy events` and the follow loop that `events --follow`
 * and `drift --follow` share. Following is a chain of long polls: each
 * asks for what comes after the last number the controller said this
 * client has seen; when the controller is gone (restarted, killed) the
 * loop reconnects and asks again from the same number, so nothing is
 * missed or printed twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "platform.h"
#include "wire.h"
#include "ydoc.h"

#define EVENTS_RETRY_MS 1000

int
cli_follow(const cli_ctx *ctx, Hvp__AdminRequest *q)
{
	Hvp__AdminReply *r = NULL;
	client *c = NULL;
	int code;

	q->long_poll = true;
	for (;;) {
		if (c == NULL && (c = client_open(ctx, &code)) == NULL) {
			if (code == EXIT_USAGE)
				return code;
			platform_sleep_ms(EVENTS_RETRY_MS);
			continue;
		}
		if (client_call(c, q, CLIENT_TIMEOUT_MS, &r) != EXIT_OK) {
			/* Gone or restarting: ask again from the same point. */
			client_free(&c);
			platform_sleep_ms(EVENTS_RETRY_MS);
			continue;
		}
		if (r->status != EXIT_OK) {
			code = client_print(ctx, r);
			wire_admin_reply_free(&r);
			client_free(&c);
			return code;
		}
		if (r->body && *r->body) {
			fputs(r->body, stdout);
			fflush(stdout);
		}
		if (r->last_seq > q->after)
			q->after = r->last_seq;
		q->continued = true;
		wire_admin_reply_free(&r);
	}
}

int
cmd_events(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "events [--follow] [--after SEQ] "
	    "[--type drift|revision|node|plan] [--node N] "
	    "[--format jsonl|json|table]";
	static const char *const formats[] = { "table", "jsonl", "json", NULL };
	static const char *const types[] = { "drift", "revision", "node",
	    "plan", NULL };
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	const char *format = "table", *after = NULL, *type = NULL, *node = NULL;
	bool follow = false;
	cli_opt opts[] = {
		{ "format", true, &format, NULL },
		{ "after", true, &after, NULL },
		{ "type", true, &type, NULL },
		{ "node", true, &node, NULL },
		{ "follow", false, NULL, &follow },
	};
	char **pos = NULL;
	size_t npos = 0;
	uint64_t v = 0;
	int rc = cli_parse_opts(usage, argc, argv, opts, 5, &pos, &npos);

	if (rc != 0)
		return rc;
	free(pos);
	if (npos > 0)
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s", usage);
	if (!cli_format_ok(format, formats))
		return cli_error(ctx, EXIT_USAGE, "unknown format '%s'", format);
	if (follow && strcmp(format, "json") == 0)
		return cli_error(ctx, EXIT_USAGE, "--follow prints as events "
		    "come: use --format jsonl or table");
	if (type && !cli_format_ok(type, types))
		return cli_error(ctx, EXIT_USAGE, "unknown event type '%s' "
		    "(drift, revision, node or plan)", type);
	if (after && yparse_uint64(after, INT64_MAX, &v) == -1)
		return cli_error(ctx, EXIT_USAGE, "--after '%s': expected an "
		    "event number (the seq of the last event seen)", after);
	q.verb = (char *)"events";
	q.format = (char *)format;
	q.after = (int64_t)v;
	q.type = (char *)type;
	q.node = (char *)node;
	if (follow)
		return cli_follow(ctx, &q);
	return client_simple(ctx, &q);
}
