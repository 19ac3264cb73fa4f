/*
 * heavy_peer.c: a node that sends the controller more than real nodes
 * do, for the load tests (tests/integration/test_load.sh). It speaks the
 * node protocol over CURVE with a real node key: Hello, then one of
 *
 *   drift N      N open drift records (integration-service drift on N
 *                guests) numbered after those the controller holds, in
 *                batches of LIMIT_DRIFT_BATCH, each sent again until the
 *                controller's DriftAck covers it; prints "acked N" when
 *                every one is acknowledged.
 *   guests N     one Inventory of N guests that are empty but for a
 *                name ("" with N = 2,000,000 fits in one 4 MiB message),
 *                encoded by hand so the tool itself stays small; prints
 *                "refused: REASON" when the controller refuses it, or
 *                "accepted" when it answers a heartbeat instead.
 *   bytes N      one Inventory of N bytes (a single CSV name), answered
 *                as for guests.
 *
 * usage: hvp-heavy-peer ENDPOINT CONTROLLER_KEY SECRET_KEY NAME CLUSTER
 *        SECONDS drift|guests N
 * Exits 0 when the exchange finished within SECONDS, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bounds.h"
#include "drift.h"
#include "keys.h"
#include "platform.h"
#include "wire.h"
#include "xalloc.h"

typedef struct peer {
	void *sock;
	uint64_t acked;		/* the Welcome's drift_acked_upto */
	const char *name;
	const char *cluster;
	int64_t deadline;
} peer;

/* The next envelope, or NULL at the deadline. */
static Hvp__Envelope *
s_recv(peer *p)
{
	while (platform_mono_ms() < p->deadline) {
		zmq_pollitem_t it = { p->sock, 0, ZMQ_POLLIN, 0 };
		Hvp__Envelope *e = NULL;

		if (zmq_poll(&it, 1, 200) != 1)
			continue;
		if (wire_recv(p->sock, &e, NULL, NULL, NULL) == WIRE_OK)
			return e;
	}
	return NULL;
}

/* The next message of kind body_case (others are dropped). */
static Hvp__Envelope *
s_expect(peer *p, Hvp__Envelope__BodyCase body_case, int64_t wait_ms)
{
	int64_t deadline = p->deadline, until = platform_mono_ms() + wait_ms;
	Hvp__Envelope *e;

	if (until < p->deadline)
		p->deadline = until;
	while ((e = s_recv(p)) != NULL) {
		if (e->body_case == body_case ||
		    e->body_case == HVP__ENVELOPE__BODY_REFUSED)
			break;
		wire_envelope_free(&e);
	}
	p->deadline = deadline;
	return e;
}

static Hvp__Envelope *
s_hello_envelope(const peer *p)
{
	Hvp__Hello *h = xcalloc(1, sizeof *h);

	hvp__hello__init(h);
	h->node = xstrdup(p->name);
	h->role = xstrdup("hyperv-node");
	h->cluster = xstrdup(p->cluster);
	h->version = xstrdup("heavy-peer");
	return wire_envelope_new(HVP__ENVELOPE__BODY_HELLO, h);
}

/* Hello, again every 2 s, until Welcome (or Refused). */
static int
s_hello(peer *p)
{
	Hvp__Envelope *hello = s_hello_envelope(p), *e = NULL;

	while (e == NULL && platform_mono_ms() < p->deadline) {
		wire_send(p->sock, hello, NULL);
		e = s_expect(p, HVP__ENVELOPE__BODY_WELCOME, 2000);
	}
	wire_envelope_free(&hello);
	if (e == NULL)
		return -1;
	if (e->body_case == HVP__ENVELOPE__BODY_REFUSED) {
		printf("refused: %s\n", e->refused->reason);
		wire_envelope_free(&e);
		return -1;
	}
	p->acked = e->welcome->drift_acked_upto;
	wire_envelope_free(&e);
	return 0;
}

static Hvp__Envelope *
s_batch(const peer *p, uint64_t first, size_t n, int64_t now)
{
	Hvp__DriftBatch *b = xcalloc(1, sizeof *b);

	hvp__drift_batch__init(b);
	b->records = xcalloc(n, sizeof *b->records);
	for (size_t i = 0; i < n; i++) {
		drift_record r = { 0 };
		char resource[96];

		snprintf(resource, sizeof resource, "guest VM%06llu/VSS",
		    (unsigned long long)(first + i));
		r.cluster = (char *)p->cluster;
		r.node = (char *)p->name;
		r.role = ROLE_HYPERV_NODE;
		r.kind = DRIFT_INTEGRATION_SERVICE;
		r.resource = resource;
		r.expected = (char *)"disabled";
		r.actual = (char *)"enabled";
		r.policy_revision = 1;
		r.mode = POLICY_AUDIT;
		r.status = DRIFT_OPEN;
		r.detected_at = now;
		r.id = drift_make_id(p->name, resource, now);
		b->records[i] = wire_drift_new(&r, first + i);
		free(r.id);
	}
	b->n_records = n;
	return wire_envelope_new(HVP__ENVELOPE__BODY_DRIFT_BATCH, b);
}

/* Records numbered after what the controller already holds of this
 * node; prints how many of the new ones it acknowledged. */
static int
s_drift(peer *p, uint64_t count)
{
	int64_t now = platform_now_ms() / 1000;
	uint64_t base = p->acked, acked = base, total = base + count;

	while (acked < total) {
		size_t n = total - acked < LIMIT_DRIFT_BATCH ?
		    (size_t)(total - acked) : LIMIT_DRIFT_BATCH;
		Hvp__Envelope *e = s_batch(p, acked + 1, n, now), *a;

		for (;;) {
			if (platform_mono_ms() >= p->deadline) {
				wire_envelope_free(&e);
				printf("acked %llu\n",
				    (unsigned long long)(acked - base));
				return -1;
			}
			wire_send(p->sock, e, NULL);
			a = s_expect(p, HVP__ENVELOPE__BODY_DRIFT_ACK, 1000);
			if (a && a->body_case == HVP__ENVELOPE__BODY_DRIFT_ACK &&
			    a->drift_ack->upto >= acked + n) {
				acked = a->drift_ack->upto;
				wire_envelope_free(&a);
				break;
			}
			wire_envelope_free(&a);
		}
		wire_envelope_free(&e);
	}
	printf("acked %llu\n", (unsigned long long)(acked - base));
	return 0;
}

/* Appends a protobuf varint. */
static size_t
s_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	do {
		out[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			out[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/* Sends len bytes as is and reports the answer as s_guests does. */
static int
s_send_raw(peer *p, uint8_t *buf, size_t len)
{
	Hvp__Envelope *e;
	int rc = -1;

	if (zmq_send(p->sock, buf, len, 0) == -1)
		return -1;
	e = s_expect(p, HVP__ENVELOPE__BODY_REFUSED, 10000);
	if (e && e->body_case == HVP__ENVELOPE__BODY_REFUSED) {
		printf("refused: %s\n", e->refused->reason);
		rc = 0;
	} else {
		printf("accepted\n");
	}
	wire_envelope_free(&e);
	return rc;
}

/* Envelope { protocol = 1; inventory (19) = Inventory { guests (1) x n,
 * each Guest {} } }, written out directly. */
static int
s_guests(peer *p, uint64_t n)
{
	size_t inner = (size_t)n * 2, len = 0;
	uint8_t *buf = xmalloc(inner + 32);
	int rc;

	buf[len++] = 0x08;	/* protocol, varint */
	buf[len++] = WIRE_PROTOCOL_VERSION;
	len += s_varint(buf + len, (19u << 3) | 2);
	len += s_varint(buf + len, inner);
	for (uint64_t i = 0; i < n; i++) {
		buf[len++] = 0x0a;	/* guests, length-delimited */
		buf[len++] = 0x00;	/* an empty Guest */
	}
	rc = s_send_raw(p, buf, len);
	free(buf);
	return rc;
}

/* Envelope { protocol = 1; inventory = Inventory { csvs = "xxx..." } }
 * of about n bytes. */
static int
s_bytes(peer *p, uint64_t n)
{
	size_t len = 0, str = n > 64 ? (size_t)n - 32 : 1, inner;
	uint8_t *buf = xmalloc(str + 64);
	uint8_t head[16];
	size_t hlen;
	int rc;

	hlen = s_varint(head, str);
	inner = 1 + hlen + str;
	buf[len++] = 0x08;
	buf[len++] = WIRE_PROTOCOL_VERSION;
	len += s_varint(buf + len, (19u << 3) | 2);
	len += s_varint(buf + len, inner);
	buf[len++] = 0x12;	/* csvs, length-delimited */
	memcpy(buf + len, head, hlen);
	len += hlen;
	memset(buf + len, 'x', str);
	len += str;
	rc = s_send_raw(p, buf, len);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	void *ctx;
	peer p = { 0 };
	char *err = NULL;
	int zero = 0, rc = 1;
	uint64_t n;

	if (argc != 9) {
		fprintf(stderr, "usage: hvp-heavy-peer ENDPOINT CONTROLLER_KEY "
		    "SECRET_KEY NAME CLUSTER SECONDS drift|guests N\n");
		return 64;
	}
	n = strtoull(argv[8], NULL, 10);
	ctx = zmq_ctx_new();
	p.sock = zmq_socket(ctx, ZMQ_DEALER);
	p.name = argv[4];
	p.cluster = argv[5];
	p.deadline = platform_mono_ms() + atol(argv[6]) * 1000;
	zmq_setsockopt(p.sock, ZMQ_LINGER, &zero, sizeof zero);
	if (keys_curve_client(p.sock, argv[3], argv[2], &err) == -1) {
		fprintf(stderr, "heavy-peer: %s\n", err);
		free(err);
		goto out;
	}
	if (zmq_connect(p.sock, argv[1]) == -1) {
		fprintf(stderr, "heavy-peer: connect: %s\n",
		    zmq_strerror(zmq_errno()));
		goto out;
	}
	if (s_hello(&p) == -1)
		goto out;
	if (strcmp(argv[7], "drift") == 0)
		rc = s_drift(&p, n) == 0 ? 0 : 1;
	else if (strcmp(argv[7], "guests") == 0)
		rc = s_guests(&p, n) == 0 ? 0 : 1;
	else if (strcmp(argv[7], "bytes") == 0)
		rc = s_bytes(&p, n) == 0 ? 0 : 1;
	else
		fprintf(stderr, "heavy-peer: unknown mode %s\n", argv[7]);
out:
	zmq_close(p.sock);
	zmq_ctx_term(ctx);
	return rc;
}
