/*
 * apply.c: the verbs that change or preview the cluster's policy: apply
 * (with --wait progress), plan and rollback. The policy file is checked
 * locally first, so errors come out as FILE:LINE:COLUMN without a
 * controller round trip; the controller checks again before storing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "platform.h"
#include "policy.h"
#include "wire.h"
#include "ydoc.h"

#define APPLY_DEFAULT_TIMEOUT_S 120
#define PLAN_TIMEOUT_MS 15000

/* Reads and checks FILE ("-" = stdin). Returns the raw text (owned). */
static char *
s_read_policy(const cli_ctx *ctx, const char *file, size_t *len, int *code)
{
	diag_list d;
	policy *p;
	char *text = NULL, *err = NULL;

	if (strcmp(file, "-") == 0) {
		size_t cap = 0, n;
		char buf[4096];

		*len = 0;
		while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
			if (*len + n > YDOC_LIMITS_SMALL.max_bytes) {
				free(text);
				*code = cli_error(ctx, EXIT_FAIL, "<stdin>: larger "
				    "than %zu bytes", YDOC_LIMITS_SMALL.max_bytes);
				return NULL;
			}
			if (*len + n + 1 > cap) {
				cap = (*len + n + 1) * 2;
				text = realloc(text, cap);
				if (text == NULL)
					return NULL;
			}
			memcpy(text + *len, buf, n);
			*len += n;
		}
		if (text == NULL)
			text = calloc(1, 1);
	} else if (platform_read_file(file, YDOC_LIMITS_SMALL.max_bytes, &text,
	    len, &err) == -1) {
		*code = cli_error(ctx, EXIT_FAIL, "%s", err);
		free(err);
		return NULL;
	}
	diag_list_init(&d);
	p = policy_parse(strcmp(file, "-") == 0 ? "<stdin>" : file, text, *len, &d);
	if (p == NULL) {
		diag_sort(&d);
		diag_print(&d, stderr);
		diag_list_release(&d);
		free(text);
		*code = EXIT_FAIL;
		return NULL;
	}
	policy_free(&p);
	diag_list_release(&d);
	return text;
}

static int
s_parse_timeout(const cli_ctx *ctx, const char *text, int *seconds)
{
	uint64_t v;

	if (yparse_uint64(text, 86400, &v) == -1 || v == 0)
		return cli_error(ctx, EXIT_USAGE, "--timeout '%s': expected "
		    "seconds from 1 to 86400", text);
	*seconds = (int)v;
	return 0;
}

/* Follows progress until every node waited for holds revision and has
 * finished applying it, or the deadline. The controller holds each
 * answer until the count changes, so the last node's convergence is
 * seen the moment it happens. */
static int
s_wait(const cli_ctx *ctx, client *c, const char *cluster, int64_t revision,
    bool wait_all, int timeout_s)
{
	int64_t deadline = platform_mono_ms() + (int64_t)timeout_s * 1000;
	bool tty = platform_stdout_is_tty();
	uint32_t last = UINT32_MAX;
	Hvp__AdminReply *r = NULL;
	int rc;

	for (;;) {
		Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;

		q.verb = (char *)"progress";
		/* The revision's cluster, as the apply's answer named it. */
		q.cluster = (char *)cluster;
		q.revision = revision;
		q.wait_all = wait_all;
		q.long_poll = last != UINT32_MAX;
		q.seen_converged = last;
		rc = client_call(c, &q, CLIENT_TIMEOUT_MS, &r);
		if (rc != EXIT_OK)
			return rc;
		if (r->revision != revision) {
			fprintf(stderr, "hvpolicy: apply: revision %lld was "
			    "superseded by %lld\n", (long long)revision,
			    (long long)r->revision);
			wire_admin_reply_free(&r);
			return EXIT_FAIL;
		}
		if (r->converged != last) {
			printf(tty ? "\r%u/%u nodes converged" : "%u/%u nodes converged\n",
			    r->converged, r->total);
			fflush(stdout);
			last = r->converged;
		}
		if (r->converged == r->total) {
			if (tty)
				printf("\n");
			if (r->offline && *r->offline)
				printf("offline, not waited for (--wait-all waits): "
				    "%s\n", r->offline);
			wire_admin_reply_free(&r);
			return EXIT_OK;
		}
		if (platform_mono_ms() >= deadline) {
			if (tty)
				printf("\n");
			fprintf(stderr, "hvpolicy: apply: timed out after %d s: "
			    "%u/%u nodes converged; not yet: %s\n", timeout_s,
			    r->converged, r->total, r->body && *r->body ? r->body :
			    "(no nodes known)");
			wire_admin_reply_free(&r);
			return EXIT_UNREACHABLE;
		}
		wire_admin_reply_free(&r);
	}
	(void)ctx;
}

/* Sends a request that makes a revision (apply, rollback), prints the
 * answer and, with wait, follows the nodes until they converge. */
static int
s_change(const cli_ctx *ctx, Hvp__AdminRequest *q, bool wait, bool wait_all,
    int timeout_s)
{
	Hvp__AdminReply *r = NULL;
	client *c;
	int rc;

	/* Who applies is the controller's to find out (peer credentials or
	 * the admin key), never ours to say. */
	if ((c = client_open(ctx, &rc)) == NULL)
		return rc;
	rc = client_call(c, q, CLIENT_TIMEOUT_MS, &r);
	if (rc == EXIT_OK)
		rc = client_print(ctx, r);
	if (rc == EXIT_OK && (wait || wait_all))
		rc = s_wait(ctx, c, r->cluster, r->revision, wait_all,
		    timeout_s);
	wire_admin_reply_free(&r);
	client_free(&c);
	return rc;
}

int
cmd_apply(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "apply -f FILE [--wait] [--wait-all] "
	    "[--timeout S] [--change-id ID] [--message TEXT] [--force]";
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	const char *file = NULL, *timeout = NULL, *change = NULL, *msg = NULL;
	bool wait = false, wait_all = false, force = false;
	cli_opt opts[] = {
		{ "change-id", true, &change, NULL },
		{ "message", true, &msg, NULL },
		{ "file", true, &file, NULL },
		{ "wait", false, NULL, &wait },
		{ "wait-all", false, NULL, &wait_all },
		{ "timeout", true, &timeout, NULL },
		{ "force", false, NULL, &force },
	};
	int timeout_s = APPLY_DEFAULT_TIMEOUT_S, rc;
	char **pos = NULL, *text;
	size_t npos = 0, len;

	if ((rc = cli_parse_opts(usage, argc, argv, opts, 7, &pos, &npos)) != 0)
		return rc;
	free(pos);
	if (file == NULL || npos > 0)
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s", usage);
	if (timeout && (rc = s_parse_timeout(ctx, timeout, &timeout_s)) != 0)
		return rc;
	if ((text = s_read_policy(ctx, file, &len, &rc)) == NULL)
		return rc;
	q.verb = (char *)"apply";
	q.policy.data = (uint8_t *)text;
	q.policy.len = len;
	q.source = (char *)file;
	q.force = force;
	q.change_id = (char *)change;
	q.message = (char *)msg;
	rc = s_change(ctx, &q, wait, wait_all, timeout_s);
	free(text);
	return rc;
}

int
cmd_rollback(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "rollback N [--wait] [--wait-all] "
	    "[--timeout S] [--change-id ID] [--message TEXT] [--force]";
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	const char *timeout = NULL, *change = NULL, *msg = NULL;
	bool wait = false, wait_all = false, force = false;
	cli_opt opts[] = {
		{ "change-id", true, &change, NULL },
		{ "message", true, &msg, NULL },
		{ "wait", false, NULL, &wait },
		{ "wait-all", false, NULL, &wait_all },
		{ "timeout", true, &timeout, NULL },
		{ "force", false, NULL, &force },
	};
	int timeout_s = APPLY_DEFAULT_TIMEOUT_S, rc;
	char **pos = NULL;
	size_t npos = 0;
	uint64_t v;

	if ((rc = cli_parse_opts(usage, argc, argv, opts, 6, &pos, &npos)) != 0)
		return rc;
	if (npos != 1 || yparse_uint64(pos[0], INT64_MAX, &v) == -1 || v == 0) {
		free(pos);
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s (N: a "
		    "revision from hvpolicy history)", usage);
	}
	free(pos);
	if (timeout && (rc = s_parse_timeout(ctx, timeout, &timeout_s)) != 0)
		return rc;
	q.verb = (char *)"rollback";
	q.revision = (int64_t)v;
	q.force = force;
	q.change_id = (char *)change;
	q.message = (char *)msg;
	return s_change(ctx, &q, wait, wait_all, timeout_s);
}

int
cmd_forget(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "forget NODE";
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	char **pos = NULL;
	size_t npos = 0;
	int rc;

	if ((rc = cli_parse_opts(usage, argc, argv, NULL, 0, &pos, &npos)) != 0)
		return rc;
	if (npos != 1 || *pos[0] == '\0') {
		free(pos);
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s (NODE: an "
		    "offline node from hvpolicy status)", usage);
	}
	q.verb = (char *)"forget";
	q.node = pos[0];
	rc = client_simple(ctx, &q);
	free(pos);
	return rc;
}

int
cmd_plan(cli_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "plan -f FILE [--format table|json]";
	static const char *const formats[] = { "table", "json", NULL };
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r = NULL;
	const char *file = NULL, *format = "table";
	cli_opt opts[] = {
		{ "file", true, &file, NULL },
		{ "format", true, &format, NULL },
	};
	char **pos = NULL, *text;
	size_t npos = 0, len;
	client *c;
	int rc;

	if ((rc = cli_parse_opts(usage, argc, argv, opts, 2, &pos, &npos)) != 0)
		return rc;
	free(pos);
	if (file == NULL || npos > 0)
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s", usage);
	if (!cli_format_ok(format, formats))
		return cli_error(ctx, EXIT_USAGE, "unknown format '%s'", format);
	if ((text = s_read_policy(ctx, file, &len, &rc)) == NULL)
		return rc;
	if ((c = client_open(ctx, &rc)) == NULL) {
		free(text);
		return rc;
	}
	q.verb = (char *)"plan";
	q.format = (char *)format;
	q.policy.data = (uint8_t *)text;
	q.policy.len = len;
	q.source = (char *)file;
	rc = client_call(c, &q, PLAN_TIMEOUT_MS, &r);
	free(text);
	if (rc == EXIT_OK)
		rc = client_print(ctx, r);
	wire_admin_reply_free(&r);
	client_free(&c);
	return rc;
}
