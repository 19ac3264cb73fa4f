/*
 * client.c: CLI to controller requests (client.h). A REQ socket per call
 * keeps the exchange simple: a lost reply means a fresh socket, never a
 * stuck one.
 */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "keys.h"
#include "platform.h"
#include "strbuf.h"
#include "textsafe.h"
#include "wire.h"
#include "xalloc.h"

/* The controller's user: the local control socket may belong to it (or
 * to root, or to the user running the CLI). docs/cli.md. */
#define CLI_CONTROLLER_USER_ENV "HVPOLICY_CONTROLLER_USER"
#define CLI_CONTROLLER_USER "hvpolicy"

struct client {
	const cli_ctx *ctx;
	void *zctx;
	void *sock;
	char *endpoint;
};

static int
s_connect(client *c, char **err)
{
	int zero = 0;

	c->sock = zmq_socket(c->zctx, ZMQ_REQ);
	if (c->sock == NULL) {
		*err = xasprintf("zmq_socket: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
	/* Each part of an answer is a frame under the limit. */
	wire_socket_limit(c->sock);
	if (c->ctx->controller && keys_curve_client(c->sock, c->ctx->admin_key,
	    c->ctx->controller_key, err) == -1)
		return -1;
	if (zmq_connect(c->sock, c->endpoint) == -1) {
		*err = xasprintf("cannot connect to %s: %s", c->endpoint,
		    zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

/* The user the controller runs as, whose socket the CLI trusts besides
 * root's and its own. */
static const char *
s_controller_user(void)
{
	const char *u = getenv(CLI_CONTROLLER_USER_ENV);

	return u && *u ? u : CLI_CONTROLLER_USER;
}

/* Whether the local control socket may be used and trusted: EXIT_OK, or
 * an exit code after saying why. A socket this user cannot open is
 * "permission denied" at once, not "no answer" after the timeout. */
static int
s_check_socket(const cli_ctx *ctx)
{
	char *why = NULL;
	int code = EXIT_OK;

	switch (platform_socket_access(ctx->socket_path, s_controller_user(),
	    &why)) {
	case PLATFORM_ACCESS_OK:
		break;
	case PLATFORM_ACCESS_MISSING:
		fprintf(stderr, "hvpolicy: controller unreachable: no control "
		    "socket at %s (is hvpolicy-controller running? use --socket "
		    "or set %s)\n", ctx->socket_path, CLI_SOCKET_ENV);
		code = EXIT_UNREACHABLE;
		break;
	case PLATFORM_ACCESS_DEAD:
		fprintf(stderr, "hvpolicy: controller unreachable: %s (the "
		    "socket was left by a controller that stopped; is "
		    "hvpolicy-controller running?)\n", why);
		code = EXIT_UNREACHABLE;
		break;
	case PLATFORM_ACCESS_DENIED:
		fprintf(stderr, "hvpolicy: permission denied: %s; only root and "
		    "the controller's user may use the control socket (run as "
		    "one of them, or use --controller with an admin key)\n", why);
		code = EXIT_FAIL;
		break;
	case PLATFORM_ACCESS_UNTRUSTED:
		fprintf(stderr, "hvpolicy: refusing the control socket: %s; "
		    "not sending anything to it\n", why);
		code = EXIT_FAIL;
		break;
	}
	free(why);
	return code;
}

client *
client_open(const cli_ctx *ctx, int *code)
{
	client *c;
	char *err = NULL;

	if (ctx->controller && (!ctx->admin_key || !ctx->controller_key)) {
		fprintf(stderr, "hvpolicy: --controller needs --admin-key FILE "
		    "(your secret key) and --controller-key FILE (the "
		    "controller's public key)\n");
		*code = EXIT_USAGE;
		return NULL;
	}
	if (!ctx->controller && (*code = s_check_socket(ctx)) != EXIT_OK)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->ctx = ctx;
	c->zctx = zmq_ctx_new();
	c->endpoint = ctx->controller ? xstrdup(ctx->controller) :
	    xasprintf("ipc://%s", ctx->socket_path);
	if (s_connect(c, &err) == -1) {
		fprintf(stderr, "hvpolicy: controller unreachable: %s\n", err);
		free(err);
		client_free(&c);
		*code = EXIT_UNREACHABLE;
		return NULL;
	}
	return c;
}

void
client_free(client **c)
{
	if (*c == NULL)
		return;
	if ((*c)->sock)
		zmq_close((*c)->sock);
	zmq_ctx_term((*c)->zctx);
	free((*c)->endpoint);
	free(*c);
	*c = NULL;
}

/* Appends part p's body and data to the reply being built. */
static void
s_append(strbuf *body, strbuf *data, const Hvp__AdminReply *p)
{
	if (p->body)
		strbuf_addstr(body, p->body);
	if (p->data.len)
		strbuf_add(data, p->data.data, p->data.len);
}

/* Reads every frame of one answer: one AdminReply, or parts 0, 1, ...
 * (more set on all but the last) whose bodies and data are joined into
 * part 0. -1 with *err when a part is missing, out of order or does not
 * decode. */
static int
s_receive(client *c, Hvp__AdminReply **reply, char **err)
{
	Hvp__AdminReply *first = NULL, *p;
	strbuf body, data;
	uint32_t expect = 0;
	int more = 1, rc = -1;

	strbuf_init(&body);
	strbuf_init(&data);
	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, 0) == -1) {
			*err = xasprintf("%s", zmq_strerror(zmq_errno()));
			zmq_msg_close(&m);
			goto out;
		}
		more = zmq_msg_more(&m);
		p = wire_decode_admin_reply(zmq_msg_data(&m), zmq_msg_size(&m),
		    err);
		zmq_msg_close(&m);
		if (p == NULL)
			goto drain;
		if (p->part != expect++ || (bool)more != p->more) {
			*err = xasprintf("part %u of the answer is out of order "
			    "or incomplete", p->part);
			wire_admin_reply_free(&p);
			goto drain;
		}
		s_append(&body, &data, p);
		if (first == NULL)
			first = p;
		else
			wire_admin_reply_free(&p);
	}
	if (expect > 1) {
		/* The joined text replaces part 0's own (malloc'd, so the
		 * reply stays one heap tree that wire_admin_reply_free()
		 * frees). */
		if (first->body != protobuf_c_empty_string)
			free(first->body);
		first->body = strbuf_detach(&body, NULL);
		free(first->data.data);
		first->data.len = data.len;
		first->data.data = (uint8_t *)strbuf_detach(&data, NULL);
		first->more = false;
	}
	*reply = first;
	first = NULL;
	rc = 0;
	goto out;
drain:
	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, c->sock, 0) == -1)
			more = 0;
		else
			more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
out:
	wire_admin_reply_free(&first);
	strbuf_release(&body);
	strbuf_release(&data);
	return rc;
}

/* Columns tables are fitted to: none with --wide; $COLUMNS when set;
 * none when standard output is not a terminal (pipes and files get
 * everything); else the terminal's width, else 80. */
static uint32_t
s_columns(const cli_ctx *ctx)
{
	const char *env = getenv("COLUMNS");
	unsigned cols;

	if (ctx->wide)
		return 0;
	if (env && *env && strspn(env, "0123456789") == strlen(env) &&
	    strlen(env) < 6 && atoi(env) >= CLIENT_MIN_COLUMNS)
		return (uint32_t)atoi(env);
	if (!platform_stdout_is_tty())
		return 0;
	cols = platform_stdout_columns();
	return cols >= CLIENT_MIN_COLUMNS ? cols : 80;
}

int
client_call(client *c, Hvp__AdminRequest *q, int timeout_ms,
    Hvp__AdminReply **reply)
{
	zmq_pollitem_t item;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *err = NULL;

	*reply = NULL;
	q->protocol = WIRE_PROTOCOL_VERSION;
	q->parts = true;
	q->width = s_columns(c->ctx);
	if ((q->cluster == NULL || *q->cluster == '\0') && c->ctx->cluster)
		q->cluster = (char *)c->ctx->cluster;
	if (wire_encode_admin_request(q, &buf, &len) == -1 ||
	    zmq_send(c->sock, buf, len, 0) == -1) {
		free(buf);
		fprintf(stderr, "hvpolicy: controller unreachable: cannot send "
		    "to %s\n", c->endpoint);
		return EXIT_UNREACHABLE;
	}
	free(buf);
	item = (zmq_pollitem_t){ c->sock, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&item, 1, timeout_ms) <= 0) {
		fprintf(stderr, "hvpolicy: controller unreachable: no answer from "
		    "%s within %d s\n", c->endpoint, timeout_ms / 1000);
		/* A REQ socket that lost its reply is useless: replace it. */
		zmq_close(c->sock);
		c->sock = NULL;
		if (s_connect(c, &err) == -1)
			free(err);
		return EXIT_UNREACHABLE;
	}
	if (s_receive(c, reply, &err) == -1) {
		fprintf(stderr, "hvpolicy: bad answer from the controller: %s\n",
		    err);
		free(err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The controller's error text on standard error after "hvpolicy: VERB: ",
 * each of its lines made safe to show (it may quote what nodes or files
 * said); its own line breaks are kept. */
static void
s_print_error(const cli_ctx *ctx, const char *error)
{
	strbuf sb;

	strbuf_init(&sb);
	strbuf_addf(&sb, "hvpolicy: %s: ", ctx->verb);
	while (*error) {
		size_t n = strcspn(error, "\n");
		char *line = xstrndup(error, n);

		textsafe_add(&sb, line);
		if (error[n] == '\n' && error[n + 1] != '\0')
			strbuf_addch(&sb, '\n');
		free(line);
		error += n + (error[n] == '\n');
	}
	fprintf(stderr, "%s\n", sb.data);
	strbuf_release(&sb);
}

int
client_print(const cli_ctx *ctx, const Hvp__AdminReply *r)
{
	if (r->body && *r->body)
		fputs(r->body, stdout);
	if (r->data.len)
		fwrite(r->data.data, 1, r->data.len, stdout);
	fflush(stdout);
	if (r->error && *r->error)
		s_print_error(ctx, r->error);
	return r->status;
}

int
client_simple(const cli_ctx *ctx, Hvp__AdminRequest *q)
{
	Hvp__AdminReply *r = NULL;
	client *c;
	int code;

	if ((c = client_open(ctx, &code)) == NULL)
		return code;
	code = client_call(c, q, CLIENT_TIMEOUT_MS, &r);
	if (code == EXIT_OK)
		code = client_print(ctx, r);
	wire_admin_reply_free(&r);
	client_free(&c);
	return code;
}
