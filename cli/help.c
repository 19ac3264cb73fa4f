/*
 * help.c: what `hvpolicy help VERB` and `hvpolicy VERB --help` print, and
 * the facts the shell completions are generated from (completion.c): for
 * every verb its usage, summary, options (with the kind of value each
 * takes) and an example. main.c dispatches through cli_verbs[]; a verb
 * added there without an entry here fails tests/integration/test_help.sh.
 */
#include <stdio.h>
#include <string.h>

#include "help.h"
#include "cli.h"

#define FMT_TJ "table json"

/* Options every verb takes (main.c parses them). */
const cli_help_opt cli_global_opts[] = {
	{ "socket", CLI_ARG_FILE, NULL,
	    "the controller's control socket (default $HVPOLICY_SOCKET, else "
	    CLI_DEFAULT_SOCKET ")" },
	{ "controller", CLI_ARG_WORD, NULL,
	    "a remote controller's admin port, tcp://HOST:PORT (CURVE)" },
	{ "admin-key", CLI_ARG_FILE, NULL, "your admin secret key file" },
	{ "controller-key", CLI_ARG_FILE, NULL,
	    "the controller's public key file" },
	{ "wide", CLI_ARG_NONE, NULL,
	    "tables at full width: no column is shortened to fit the terminal" },
	{ "cluster", CLI_ARG_WORD, NULL,
	    "the cluster the verb is about, on a controller that holds several "
	    "(every verb but validate and keygen; apply and plan read it from "
	    "the policy)" },
	{ "help", CLI_ARG_NONE, NULL, "this help" },
	{ NULL, 0, NULL, NULL },
};

/* Sorted by name; main.c holds the same names with their functions. */
const cli_help cli_help_table[] = {
	{ "apply", "apply -f FILE [--wait] [--wait-all] [--timeout S] "
	    "[--change-id ID] [--message TEXT] [--force]",
	    "store a policy as a new revision and push it",
	    "Stores FILE as a new revision (unless it equals the current one) "
	    "and pushes it to every node. Prints \"revision N\". Refuses a "
	    "dpmServer that names no known DPM server unless --force.",
	    { { "file", CLI_ARG_FILE, NULL, "the policy file (-f)" },
	      { "wait", CLI_ARG_NONE, NULL,
		"show progress until every online node converged" },
	      { "wait-all", CLI_ARG_NONE, NULL,
		"wait for offline nodes too" },
	      { "timeout", CLI_ARG_WORD, NULL,
		"seconds --wait waits (default 120); exit 3 after" },
	      { "change-id", CLI_ARG_WORD, NULL,
		"the change ticket, stored with the revision" },
	      { "message", CLI_ARG_WORD, NULL, "why, stored with the revision" },
	      { "force", CLI_ARG_NONE, NULL,
		"apply although dpmServer names no known DPM server" } },
	    "hvpolicy apply -f policy.yaml --wait --change-id CHG0042" },
	{ "backup", "backup FILE",
	    "write a consistent copy of the store to FILE",
	    "Copies the controller's store while it runs (SQLite's online "
	    "backup) and writes the copy to FILE on this machine, also over "
	    "--controller. FILE must not exist. Restore: docs/store.md.",
	    { { NULL, 0, NULL, NULL } },
	    "hvpolicy backup /var/backups/hvpolicy-$(date +%F).db" },
	{ "completion", "completion bash|zsh",
	    "print the shell completion script",
	    "Prints the completion script for bash or zsh, made from this help.",
	    { { NULL, 0, NULL, NULL } },
	    "hvpolicy completion bash > ~/.local/share/bash-completion/"
	    "completions/hvpolicy" },
	{ "diagnose", "diagnose [--format table|json]",
	    "30112 findings per node",
	    "Lists 30112 findings (VSS writer timeouts and their causes) per "
	    "node with evidence and fix. Exit 2 when there are any.",
	    { { "format", CLI_ARG_FORMAT, FMT_TJ, "output format" } },
	    "hvpolicy diagnose --wide" },
	{ "drift", "drift [--format table|json|jsonl|csv] [--node N] "
	    "[--since TIME] [--open] [--limit N] [--exit-code] [--follow]",
	    "the drift report",
	    "Lists drift records. --since takes an RFC 3339 time, a date or a "
	    "duration back from now (30m, 12h, 7d).",
	    { { "format", CLI_ARG_FORMAT, "table json jsonl csv",
		"output format" },
	      { "node", CLI_ARG_WORD, NULL, "only this node's records" },
	      { "since", CLI_ARG_WORD, NULL,
		"only records the controller stored since TIME" },
	      { "open", CLI_ARG_NONE, NULL, "only open records" },
	      { "limit", CLI_ARG_WORD, NULL,
		"only the newest N matching records" },
	      { "exit-code", CLI_ARG_NONE, NULL,
		"exit 2 when any matching record is open" },
	      { "follow", CLI_ARG_NONE, NULL,
		"print each new drift transition as it happens" } },
	    "hvpolicy drift --open --since 12h --format csv > drift.csv" },
	{ "events", "events [--follow] [--after SEQ] "
	    "[--type drift|revision|node|plan] [--node N] "
	    "[--format jsonl|json|table]",
	    "the event stream (--follow: as it happens)",
	    "Lists drift transitions, revisions, nodes going online or offline "
	    "and new plans, numbered by seq. --follow keeps printing and "
	    "resumes after the last one printed across controller restarts.",
	    { { "follow", CLI_ARG_NONE, NULL, "keep printing as events happen" },
	      { "after", CLI_ARG_WORD, NULL, "only events after this seq" },
	      { "type", CLI_ARG_FORMAT, "drift revision node plan",
		"only events of this type" },
	      { "node", CLI_ARG_WORD, NULL, "only this node's events" },
	      { "format", CLI_ARG_FORMAT, "table jsonl json",
		"output format" } },
	    "hvpolicy events --follow --type drift --format jsonl" },
	{ "forget", "forget NODE", "take an offline node out of the cluster",
	    "Removes a node that left the cluster: its record and inventory "
	    "(its guests leave the serialization plan), its open drift "
	    "resolved; its drift history stays. Refused while it is online.",
	    { { NULL, 0, NULL, NULL } },
	    "hvpolicy forget HV05" },
	{ "get", "get [--revision N] [--format yaml|json]",
	    "print a stored policy revision",
	    "Prints a revision's canonical policy text (the latest by "
	    "default).",
	    { { "revision", CLI_ARG_WORD, NULL, "revision number" },
	      { "format", CLI_ARG_FORMAT, "yaml json", "output format" } },
	    "hvpolicy get --revision 3 > policy-r3.yaml" },
	{ "help", "help [VERB]", "this help, or one verb's",
	    "Lists the verbs, or prints one verb's usage, options and example.",
	    { { NULL, 0, NULL, NULL } },
	    "hvpolicy help drift" },
	{ "history", "history [--format table|json]", "list policy revisions",
	    "Lists policy revisions: number, hash, time, who, source.",
	    { { "format", CLI_ARG_FORMAT, FMT_TJ, "output format" } },
	    "hvpolicy history" },
	{ "keygen", "keygen NAME --out DIR", "write a CURVE key pair",
	    "Writes DIR/NAME.key (public) and DIR/NAME.key_secret (mode 0600). "
	    "Needs no controller.",
	    { { "out", CLI_ARG_DIR, NULL, "directory for the two files" } },
	    "hvpolicy keygen HV01 --out /etc/hvpolicy/keys" },
	{ "plan", "plan -f FILE [--format table|json]",
	    "what each node would change under a policy",
	    "Asks every online node for a dry run of FILE. Exit 2 when "
	    "anything would change, 1 when nodes could not answer.",
	    { { "file", CLI_ARG_FILE, NULL, "the policy file (-f)" },
	      { "format", CLI_ARG_FORMAT, FMT_TJ, "output format" } },
	    "hvpolicy plan -f policy.yaml" },
	{ "rollback", "rollback N [--wait] [--wait-all] [--timeout S] "
	    "[--change-id ID] [--message TEXT] [--force]",
	    "apply an old revision as a new one",
	    "Applies revision N's text as a new revision, with apply's checks.",
	    { { "wait", CLI_ARG_NONE, NULL,
		"show progress until every online node converged" },
	      { "wait-all", CLI_ARG_NONE, NULL,
		"wait for offline nodes too" },
	      { "timeout", CLI_ARG_WORD, NULL,
		"seconds --wait waits (default 120)" },
	      { "change-id", CLI_ARG_WORD, NULL,
		"the change ticket, stored with the revision" },
	      { "message", CLI_ARG_WORD, NULL, "why, stored with the revision" },
	      { "force", CLI_ARG_NONE, NULL,
		"apply although dpmServer names no known DPM server" } },
	    "hvpolicy rollback 4 --wait --change-id CHG0043" },
	{ "serialization", "serialization [--format table|json|dpm-xml]",
	    "the serialization plan",
	    "Prints the current plan; dpm-xml writes DataSourceGroups.xml as "
	    "the DPM server holds it (UTF-16LE).",
	    { { "format", CLI_ARG_FORMAT, "table json dpm-xml",
		"output format" } },
	    "hvpolicy serialization --format dpm-xml > DataSourceGroups.xml" },
	{ "status", "status [--format table|json]",
	    "nodes, convergence, plan, findings",
	    "Nodes (online, revision, converged, open drift), the plan "
	    "generation and the 30112 findings count.",
	    { { "format", CLI_ARG_FORMAT, FMT_TJ, "output format" } },
	    "hvpolicy status --format json" },
	{ "validate", "validate FILE... [--format text|json]",
	    "check policy files offline",
	    "Checks policy files without a controller; - reads standard "
	    "input. Errors as FILE:LINE:COLUMN: error: MESSAGE.",
	    { { "format", CLI_ARG_FORMAT, "text json", "output format" } },
	    "hvpolicy validate policies/*.yaml" },
	{ NULL, NULL, NULL, NULL, { { NULL, 0, NULL, NULL } }, NULL },
};

const cli_help *
cli_help_find(const char *verb)
{
	for (const cli_help *h = cli_help_table; h->name; h++)
		if (strcmp(h->name, verb) == 0)
			return h;
	return NULL;
}

static void
s_opt(FILE *out, const cli_help_opt *o)
{
	char left[64];

	snprintf(left, sizeof left, "--%s%s%s", o->name,
	    o->arg == CLI_ARG_NONE ? "" : " ",
	    o->arg == CLI_ARG_NONE ? "" : o->arg == CLI_ARG_FILE ? "FILE" :
	    o->arg == CLI_ARG_DIR ? "DIR" : o->arg == CLI_ARG_FORMAT ? "FORMAT" :
	    "VALUE");
	fprintf(out, "  %-22s %s", left, o->text);
	if (o->arg == CLI_ARG_FORMAT)
		fprintf(out, ": %s (first is the default)", o->values);
	fputc('\n', out);
}

/* Prints text in lines of at most 72 columns, broken at spaces. */
static void
s_wrap(FILE *out, const char *text)
{
	size_t col = 0;

	while (*text) {
		size_t n = strcspn(text, " ");

		if (col > 0 && col + 1 + n > 72) {
			fputc('\n', out);
			col = 0;
		} else if (col > 0) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, n, out);
		col += n;
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void
cli_help_print(const cli_help *h, FILE *out)
{
	fprintf(out, "usage: hvpolicy %s\n\n", h->usage);
	s_wrap(out, h->text);
	if (h->opts[0].name) {
		fprintf(out, "\noptions:\n");
		for (const cli_help_opt *o = h->opts; o->name; o++)
			s_opt(out, o);
	}
	fprintf(out, "\nexample:\n  %s\n\nglobal options (see hvpolicy help):"
	    " --socket, --controller, --admin-key, --controller-key, --wide,"
	    " --cluster\n",
	    h->example);
}

void
cli_help_overview(FILE *out)
{
	fprintf(out, "usage: hvpolicy [GLOBAL OPTIONS] VERB [ARGS]\n"
	    "       hvpolicy help VERB | hvpolicy VERB --help | "
	    "hvpolicy --version\n\nverbs:\n");
	for (const cli_help *h = cli_help_table; h->name; h++)
		fprintf(out, "  %-14s %s\n", h->name, h->summary);
	fprintf(out, "\nglobal options (before or after the verb):\n");
	for (const cli_help_opt *o = cli_global_opts; o->name; o++)
		s_opt(out, o);
	fprintf(out, "\nexit codes: 0 ok, 1 failure, 2 differences found, "
	    "3 controller unreachable, 64 usage\nmanual: man hvpolicy\n");
}

int
cmd_help(cli_ctx *ctx, int argc, char **argv)
{
	const cli_help *h;

	if (argc < 2) {
		cli_help_overview(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return cli_error(ctx, EXIT_USAGE, "one verb only; usage: "
		    "hvpolicy help [VERB]");
	if ((h = cli_help_find(argv[1])) == NULL) {
		cli_error(ctx, EXIT_USAGE, "unknown verb '%s'", argv[1]);
		cli_help_overview(stderr);
		return EXIT_USAGE;
	}
	cli_help_print(h, stdout);
	return EXIT_OK;
}
