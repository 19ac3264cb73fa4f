/*
 * cli.h: what the verbs of the `hvpolicy` command line share: the global
 * options, exit codes, the per-verb option parser, and the verb entry
 * points (one file per verb). main.c holds the verb table.
 */
#ifndef HVP_CLI_H
#define HVP_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes of the contract. */
#define EXIT_OK 0
#define EXIT_FAIL 1		/* failure or invalid input */
#define EXIT_DIFF 2		/* differences found */
#define EXIT_UNREACHABLE 3	/* controller unreachable or timed out */
#define EXIT_USAGE 64

#define CLI_DEFAULT_SOCKET "/run/hvpolicy/control.sock"
#define CLI_SOCKET_ENV "HVPOLICY_SOCKET"

typedef struct cli_ctx {
	const char *socket_path;	/* --socket, $HVPOLICY_SOCKET, default */
	const char *controller;		/* --controller tcp://HOST:PORT */
	const char *admin_key;		/* --admin-key FILE (secret key) */
	const char *controller_key;	/* --controller-key FILE (public) */
	bool wide;			/* --wide: tables at full width */
	/* --cluster NAME: the cluster a verb is about, on a controller of
	 * several (every verb but validate and keygen). */
	const char *cluster;
	const char *verb;
} cli_ctx;

/* A verb's options. Flags without argument set *flag; others set *value.
 * Positional arguments are collected in order. */
typedef struct cli_opt {
	const char *name;	/* long name without "--" */
	bool takes_value;
	const char **value;
	bool *flag;
} cli_opt;

/* Parses argv (argv[0] is the verb). Returns 0, or EXIT_USAGE after
 * printing "hvpolicy VERB: ..." and the usage line on stderr. *positional
 * is an owned array of borrowed strings. */
int cli_parse_opts(const char *usage, int argc, char **argv,
    const cli_opt *opts, size_t nopts, char ***positional, size_t *npos);
/* Prints "hvpolicy: VERB: message" on stderr; returns code. */
int cli_error(const cli_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* True when format is one of the NULL-terminated allowed values. */
bool cli_format_ok(const char *format, const char *const *allowed);

struct Hvp__AdminRequest;
/* Follows q (events or drift --follow) until killed: long polls from
 * q->after on, reconnecting when the controller goes away; returns only
 * on an error the controller answers (its exit code). */
int cli_follow(const cli_ctx *ctx, struct Hvp__AdminRequest *q);

/* Verbs. Each returns an exit code. */
int cmd_apply(cli_ctx *ctx, int argc, char **argv);
int cmd_backup(cli_ctx *ctx, int argc, char **argv);
int cmd_completion(cli_ctx *ctx, int argc, char **argv);
int cmd_help(cli_ctx *ctx, int argc, char **argv);
int cmd_diagnose(cli_ctx *ctx, int argc, char **argv);
int cmd_drift(cli_ctx *ctx, int argc, char **argv);
int cmd_events(cli_ctx *ctx, int argc, char **argv);
int cmd_forget(cli_ctx *ctx, int argc, char **argv);
int cmd_get(cli_ctx *ctx, int argc, char **argv);
int cmd_history(cli_ctx *ctx, int argc, char **argv);
int cmd_keygen(cli_ctx *ctx, int argc, char **argv);
int cmd_plan(cli_ctx *ctx, int argc, char **argv);
int cmd_rollback(cli_ctx *ctx, int argc, char **argv);
int cmd_serialization(cli_ctx *ctx, int argc, char **argv);
int cmd_status(cli_ctx *ctx, int argc, char **argv);
int cmd_validate(cli_ctx *ctx, int argc, char **argv);

#endif
