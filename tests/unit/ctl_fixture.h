/*
 * ctl_fixture.h: a controller without network sockets, for the unit tests
 * of its protocol logic (test_peer.c, test_push.c, test_control.c): a
 * real store in a scratch directory, the node socket and the control
 * socket as real ZeroMQ ROUTERs on inproc endpoints, and DEALERs that
 * stand for nodes and CLI clients, so every reply the controller sends can
 * be read back and checked. Included by those test files only.
 */
#ifndef HVP_CTL_FIXTURE_H
#define HVP_CTL_FIXTURE_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <zmq.h>

#include "control.h"
#include "log.h"
#include "peer.h"
#include "push.h"
#include "restore.h"
#include "server.h"
#include "store.h"
#include "tmpdir.h"
#include "wire.h"
#include "xalloc.h"

#define FX_CLUSTER "HV-CLUSTER-01"
#define FX_MAX_PEERS 8

typedef struct fx_peer {
	char name[32];
	void *sock;		/* DEALER */
	wire_rid rid;		/* its connection at the controller */
} fx_peer;

typedef struct fx {
	char dir[64];
	server s;
	void *zctx;
	fx_peer peers[FX_MAX_PEERS];
	size_t npeers;
	void *cli;		/* DEALER on the control socket */
	wire_rid cli_rid;
	unsigned starts;	/* fx_start calls: each binds new endpoints
				 * (libzmq frees a closed socket's inproc
				 * name later, on its reaper thread) */
} fx;

static inline void *
fx_socket(fx *f, int type)
{
	void *s = zmq_socket(f->zctx, type);
	int zero = 0, one = 1;

	assert_non_null(s);
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	if (type == ZMQ_ROUTER)
		zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	return s;
}

/* Opens the store and restores the controller's state from it, as main.c
 * does at start; names (NULL-terminated, or NULL: FX_CLUSTER alone) as
 * the configuration's clusters. */
static inline void
fx_start_clusters(fx *f, const char *const *names)
{
	char *err = NULL, ep[96];

	memset(&f->s, 0, sizeof f->s);
	f->s.cluster = names ? NULL : FX_CLUSTER;
	f->s.cluster_names = names;
	f->s.heartbeat_seconds = 1;
	f->s.zctx = f->zctx;
	f->s.store = store_open(f->dir, &err);
	if (f->s.store == NULL)
		fail_msg("store_open: %s", err);
	f->s.router = fx_socket(f, ZMQ_ROUTER);
	f->starts++;
	snprintf(ep, sizeof ep, "inproc://nodes-%p-%u", (void *)f, f->starts);
	assert_int_equal(zmq_bind(f->s.router, ep), 0);
	f->s.control = fx_socket(f, ZMQ_ROUTER);
	snprintf(ep, sizeof ep, "inproc://control-%p-%u", (void *)f,
	    f->starts);
	assert_int_equal(zmq_bind(f->s.control, ep), 0);
	if (restore_state(&f->s, &err) == -1)
		fail_msg("restore_state: %s", err);
}

static inline void
fx_start(fx *f)
{
	fx_start_clusters(f, NULL);
}

/* What main.c does at a stop. */
static inline void
fx_stop(fx *f)
{
	peer_flush_acks(&f->s);
	for (size_t i = 0; i < f->npeers; i++)
		zmq_close(f->peers[i].sock);
	f->npeers = 0;
	if (f->cli)
		zmq_close(f->cli);
	f->cli = NULL;
	zmq_close(f->s.router);
	zmq_close(f->s.control);
	store_free(&f->s.store);
	sessions_release(&f->s.nodes);
	dryrun_release(&f->s.dryrun);
	linger_release(&f->s.linger);
	progress_release(&f->s.progress);
	events_release(&f->s.events);
	clusters_release(&f->s.clusters);
}

/* The fixture's one cluster (FX_CLUSTER): its revision, plan, ... */
static inline cluster_state *
fx_c(fx *f)
{
	return f->s.clusters.items[0];
}

static inline int
fx_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	fx *f = xcalloc(1, sizeof *f);

	log_init("test", false);
	snprintf(f->dir, sizeof f->dir, "%s/hvp-ctl-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->zctx = zmq_ctx_new();
	fx_start(f);
	*state = f;
	return 0;
}

static inline int
fx_teardown(void **state)
{
	fx *f = *state;

	fx_stop(f);
	zmq_ctx_term(f->zctx);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* Reads one message that socket s (ROUTER) received, learning its rid. */
static inline void
fx_learn_rid(void *router, wire_rid *rid)
{
	zmq_msg_t m;
	zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
	int more;

	assert_int_equal(zmq_poll(&it, 1, 5000), 1);
	zmq_msg_init(&m);
	assert_true(zmq_msg_recv(&m, router, 0) >= 0);
	rid->len = zmq_msg_size(&m);
	memcpy(rid->data, zmq_msg_data(&m), rid->len);
	more = zmq_msg_more(&m);
	zmq_msg_close(&m);
	while (more) {
		zmq_msg_init(&m);
		zmq_msg_recv(&m, router, 0);
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
}

/* A node's connection: a DEALER the controller knows by its rid. */
static inline fx_peer *
fx_peer_new(fx *f, const char *name)
{
	fx_peer *p = &f->peers[f->npeers++];
	char ep[96];

	assert_true(f->npeers <= FX_MAX_PEERS);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->sock = fx_socket(f, ZMQ_DEALER);
	snprintf(ep, sizeof ep, "inproc://nodes-%p-%u", (void *)f, f->starts);
	assert_int_equal(zmq_connect(p->sock, ep), 0);
	zmq_send(p->sock, "x", 1, 0);
	fx_learn_rid(f->s.router, &p->rid);
	return p;
}

/* The peer's message, as peer_handle would pass it on (the key's name is
 * the peer's name). */
static inline void
fx_send(fx *f, fx_peer *p, Hvp__Envelope *e)
{
	e->protocol = WIRE_PROTOCOL_VERSION;
	peer_dispatch(&f->s, p->name, &p->rid, e);
}

/* The next message the controller sent to p, of the given kind (others
 * are skipped); NULL when none comes within a second. Owned. */
static inline Hvp__Envelope *
fx_expect(fx_peer *p, Hvp__Envelope__BodyCase want)
{
	for (;;) {
		zmq_pollitem_t it = { p->sock, 0, ZMQ_POLLIN, 0 };
		Hvp__Envelope *e = NULL;

		if (zmq_poll(&it, 1, 1000) != 1)
			return NULL;
		if (wire_recv(p->sock, &e, NULL, NULL, NULL) != WIRE_OK)
			continue;
		if (e->body_case == want)
			return e;
		wire_envelope_free(&e);
	}
}

/* Drops whatever the controller sent to p so far. */
static inline void
fx_drain(fx_peer *p)
{
	Hvp__Envelope *e = NULL;
	zmq_pollitem_t it = { p->sock, 0, ZMQ_POLLIN, 0 };

	while (zmq_poll(&it, 1, 50) == 1 &&
	    wire_recv(p->sock, &e, NULL, NULL, NULL) != WIRE_NONE)
		wire_envelope_free(&e);
}

/* An inventory of guests "NAME:GUID:Volume1,Volume2" (owned). */
static inline Hvp__Inventory *
fx_inventory(const char *const *guests, size_t n)
{
	Hvp__Inventory *inv = xmalloc(sizeof *inv);

	hvp__inventory__init(inv);
	inv->n_guests = n;
	inv->guests = xcalloc(n ? n : 1, sizeof *inv->guests);
	for (size_t i = 0; i < n; i++) {
		Hvp__Guest *g = xmalloc(sizeof *g);
		char *spec = xstrdup(guests[i]), *name, *id, *vols, *save = NULL;

		hvp__guest__init(g);
		name = strtok_r(spec, ":", &save);
		id = strtok_r(NULL, ":", &save);
		vols = strtok_r(NULL, ":", &save);
		g->name = xstrdup(name);
		g->id = xstrdup(id);
		g->state = xstrdup("running");
		for (char *v = strtok_r(vols, ",", &save); v;
		    v = strtok_r(NULL, ",", &save)) {
			g->paths = xrealloc(g->paths, (g->n_paths + 1) *
			    sizeof *g->paths);
			g->paths[g->n_paths++] = xasprintf(
			    "C:\\ClusterStorage\\%s\\%s\\%s.vmcx", v, name, name);
		}
		inv->guests[i] = g;
		free(spec);
	}
	wire_inventory_rehash(inv);
	return inv;
}

/* The node of cluster says hello: role, revision it holds, inventory
 * (may be NULL; taken and freed). */
static inline void
fx_hello_in(fx *f, fx_peer *p, const char *cluster, const char *role,
    int64_t revision, Hvp__Inventory *inv)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Hello h = HVP__HELLO__INIT;

	h.node = p->name;
	h.role = (char *)role;
	h.cluster = (char *)cluster;
	h.version = (char *)"test";
	h.revision = revision;
	h.converged = true;
	h.inventory = inv;
	e.body_case = HVP__ENVELOPE__BODY_HELLO;
	e.hello = &h;
	fx_send(f, p, &e);
	wire_inventory_free(&inv);
}

static inline void
fx_hello(fx *f, fx_peer *p, const char *role, int64_t revision,
    Hvp__Inventory *inv)
{
	fx_hello_in(f, p, FX_CLUSTER, role, revision, inv);
}

/* A CLI request on the control socket; the reply (owned). */
static inline Hvp__AdminReply *
fx_admin(fx *f, Hvp__AdminRequest *q)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	zmq_pollitem_t it;
	zmq_msg_t m;
	Hvp__AdminReply *r;
	char *err = NULL;
	char ep[96];

	if (f->cli == NULL) {
		f->cli = fx_socket(f, ZMQ_DEALER);
		snprintf(ep, sizeof ep, "inproc://control-%p-%u", (void *)f,
		    f->starts);
		assert_int_equal(zmq_connect(f->cli, ep), 0);
		zmq_send(f->cli, "x", 1, 0);
		fx_learn_rid(f->s.control, &f->cli_rid);
	}
	q->protocol = WIRE_PROTOCOL_VERSION;
	assert_int_equal(wire_encode_admin_request(q, &buf, &len), 0);
	control_request(&f->s, f->s.control, &f->cli_rid, NULL, buf, len);
	free(buf);
	it = (zmq_pollitem_t){ f->cli, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&it, 1, 1000) != 1)
		return NULL;
	zmq_msg_init(&m);
	zmq_msg_recv(&m, f->cli, 0);	/* the empty delimiter */
	zmq_msg_close(&m);
	zmq_msg_init(&m);
	zmq_msg_recv(&m, f->cli, 0);
	r = wire_decode_admin_reply(zmq_msg_data(&m), zmq_msg_size(&m), &err);
	zmq_msg_close(&m);
	if (r == NULL)
		fail_msg("reply: %s", err);
	return r;
}

/* Applies policy text through the control socket; the reply's status. */
static inline int
fx_apply(fx *f, const char *text, bool force)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r;
	int status;

	q.verb = (char *)"apply";
	q.policy.data = (uint8_t *)text;
	q.policy.len = strlen(text);
	q.source = (char *)"test.yaml";
	q.force = force;
	r = fx_admin(f, &q);
	assert_non_null(r);
	status = r->status;
	wire_admin_reply_free(&r);
	return status;
}

#define FX_POLICY(dpm) \
	"apiVersion: hvpolicy/v1\n" \
	"kind: ClusterPolicy\n" \
	"metadata: {name: test}\n" \
	"spec:\n" \
	"  cluster: " FX_CLUSTER "\n" \
	"  strategy: system-software\n" \
	"  serialization: {dpmServer: " dpm "}\n"

#endif
