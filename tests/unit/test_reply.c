/*
 * test_reply.c: admin replies of any size (controller/reply.c) as the CLI
 * receives them (cli/client.c), over a real ipc socket: a 9 MiB body of
 * multi-byte text and a 6 MiB binary payload arrive whole and equal; a
 * client that does not reassemble gets an error naming the size; a part
 * never ends inside a UTF-8 character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zmq.h>

#include "bounds.h"
#include "client.h"
#include "platform.h"
#include "reply.h"
#include "wire.h"
#include "xalloc.h"

#define BODY_BYTES (9u * 1024 * 1024)
#define DATA_BYTES (6u * 1024 * 1024)

typedef struct server_arg {
	void *router;
	char *body;
	uint8_t *data;
	int requests;		/* how many to answer */
} server_arg;

/* "é" (two bytes) and "x" in a pattern that puts character boundaries
 * everywhere relative to the part size. */
static char *
s_text(size_t n)
{
	char *t = xmalloc(n + 1);
	size_t i = 0;

	while (i + 3 <= n) {
		t[i++] = 'x';
		t[i++] = (char)0xc3;
		t[i++] = (char)0xa9;
	}
	while (i < n)
		t[i++] = 'y';
	t[n] = '\0';
	return t;
}

/* The controller's side: answers each request with body and data. */
static void
s_serve(void *arg)
{
	server_arg *a = arg;

	for (int k = 0; k < a->requests; k++) {
		zmq_msg_t f[3];
		Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
		Hvp__AdminRequest *q;
		reply_to c = { 0 };
		char *err = NULL;

		for (int i = 0; i < 3; i++) {
			zmq_msg_init(&f[i]);
			zmq_msg_recv(&f[i], a->router, 0);
		}
		c.socket = a->router;
		c.rid.len = zmq_msg_size(&f[0]);
		memcpy(c.rid.data, zmq_msg_data(&f[0]), c.rid.len);
		q = wire_decode_admin_request(zmq_msg_data(&f[2]),
		    zmq_msg_size(&f[2]), &err);
		c.parts = q && q->parts;
		r.status = 2;
		r.body = a->body;
		r.error = (char *)"";
		r.total = 7;
		r.data.data = a->data;
		r.data.len = DATA_BYTES;
		reply_send(&c, &r);
		wire_admin_request_free(&q);
		free(err);
		for (int i = 0; i < 3; i++)
			zmq_msg_close(&f[i]);
	}
}

static void
test_cut(void **state)
{
	const char *t = "ab\xc3\xa9" "cd";

	assert_int_equal(reply_cut(t, 6, 10), 6);
	assert_int_equal(reply_cut(t, 6, 3), 2);	/* not inside é */
	assert_int_equal(reply_cut(t, 6, 4), 4);
	assert_int_equal(reply_cut(t, 6, 2), 2);
	(void)state;
}

static void
test_large_reply(void **state)
{
	char dir[] = "/tmp/hvp-reply.XXXXXX", path[64], endpoint[80];
	void *zctx = zmq_ctx_new(), *thread, *req;
	server_arg a = { 0 };
	cli_ctx ctx = { 0 };
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r = NULL;
	client *c;
	int code;
	zmq_msg_t m;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s", dir);
	snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
	a.router = zmq_socket(zctx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(a.router, endpoint), 0);
	a.body = s_text(BODY_BYTES);
	a.data = xmalloc(DATA_BYTES);
	for (size_t i = 0; i < DATA_BYTES; i++)
		a.data[i] = (uint8_t)(i * 7);
	a.requests = 2;
	thread = zmq_threadstart(s_serve, &a);

	/* This CLI: every byte, status and count from part 0. */
	ctx.socket_path = path;
	ctx.verb = "drift";
	c = client_open(&ctx, &code);
	assert_non_null(c);
	q.verb = (char *)"drift";
	assert_int_equal(client_call(c, &q, 20000, &r), EXIT_OK);
	assert_int_equal(r->status, 2);
	assert_int_equal(r->total, 7);
	assert_int_equal(strlen(r->body), BODY_BYTES);
	assert_memory_equal(r->body, a.body, BODY_BYTES);
	assert_int_equal(r->data.len, DATA_BYTES);
	assert_memory_equal(r->data.data, a.data, DATA_BYTES);
	wire_admin_reply_free(&r);
	client_free(&c);

	/* A client that does not reassemble: one message, an error. */
	req = zmq_socket(zctx, ZMQ_REQ);
	assert_int_equal(zmq_connect(req, endpoint), 0);
	{
		uint8_t *buf = NULL;
		size_t len = 0;
		char *err = NULL;

		q.protocol = WIRE_PROTOCOL_VERSION;
		q.parts = false;
		assert_int_equal(wire_encode_admin_request(&q, &buf, &len), 0);
		assert_true(zmq_send(req, buf, len, 0) >= 0);
		free(buf);
		zmq_msg_init(&m);
		assert_true(zmq_msg_recv(&m, req, 0) >= 0);
		assert_false(zmq_msg_more(&m));
		r = wire_decode_admin_reply(zmq_msg_data(&m), zmq_msg_size(&m),
		    &err);
		assert_non_null(r);
		assert_int_equal(r->status, 1);
		assert_non_null(strstr(r->error, "more than one message holds"));
		wire_admin_reply_free(&r);
		zmq_msg_close(&m);
	}
	zmq_threadclose(thread);
	zmq_close(req);
	zmq_close(a.router);
	zmq_ctx_term(zctx);
	free(a.body);
	free(a.data);
	remove(path);
	remove(dir);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_large_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
