/*
 * test_zap.c: the controller's ZAP handler (controller/zap.c) over real
 * ZeroMQ: CURVE on tcp://127.0.0.1 with keys made by keys.c. A known node
 * key gets through with User-Id = its node name, an unknown key never
 * does, a reload admits a key added since and keeps the old table when
 * the new one is broken, admin keys get "admin:NAME" on the admin domain
 * only, and the RFC 27 request/reply frames are answered directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>
#include <zmq.h>

#include "keys.h"
#include "platform.h"
#include "wire.h"
#include "xalloc.h"
#include "zap.h"

typedef struct s_env {
	char dir[64];
	char *nodes;		/* nodeKeys */
	char *admins;		/* adminKeys */
	char *other;		/* keys the controller does not know */
	void *ctx;
	zap *z;
	void *socks[16];	/* closed by the teardown, even on failure */
	size_t nsocks;
} s_env;

static void *
s_socket(s_env *env, int type)
{
	void *s = zmq_socket(env->ctx, type);
	int linger = 0;

	assert_non_null(s);
	assert_true(env->nsocks < sizeof env->socks / sizeof env->socks[0]);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	env->socks[env->nsocks++] = s;
	return s;
}

static char *
s_path(const char *dir, const char *name, const char *suffix)
{
	return xasprintf("%s/%s%s", dir, name, suffix);
}

static void
s_rm_dir(const char *dir)
{
	char **names;
	size_t n;

	if (platform_list_dir(dir, "", &names, &n, NULL) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		char *p = platform_path_join(dir, names[i]);

		platform_remove_file(p, NULL);
		free(p);
		free(names[i]);
	}
	free(names);
	rmdir(dir);
}

static int
s_setup(void **state)
{
	s_env *env = xcalloc(1, sizeof *env);
	char *err = NULL;

	strcpy(env->dir, "/tmp/hvp-test-zap-XXXXXX");
	if (mkdtemp(env->dir) == NULL)
		return -1;
	env->nodes = platform_path_join(env->dir, "nodes");
	env->admins = platform_path_join(env->dir, "admins");
	env->other = platform_path_join(env->dir, "other");
	if (keys_generate("HV01", env->nodes, &err) == -1 ||
	    keys_generate("HV02", env->nodes, &err) == -1 ||
	    keys_generate("alice", env->admins, &err) == -1 ||
	    keys_generate("controller", env->other, &err) == -1 ||
	    keys_generate("HV09", env->other, &err) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	env->ctx = zmq_ctx_new();
	env->z = zap_new(env->ctx, env->nodes, env->admins, &err);
	if (env->z == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = env;
	return 0;
}

static int
s_teardown(void **state)
{
	s_env *env = *state;

	for (size_t i = 0; i < env->nsocks; i++)
		zmq_close(env->socks[i]);
	zap_free(&env->z);
	zmq_ctx_term(env->ctx);
	s_rm_dir(env->nodes);
	s_rm_dir(env->admins);
	s_rm_dir(env->other);
	rmdir(env->dir);
	free(env->nodes);
	free(env->admins);
	free(env->other);
	free(env);
	return 0;
}

/* A CURVE ROUTER with the controller's key on an ephemeral port. */
static void *
s_server(s_env *env, const char *domain, char *endpoint, size_t len)
{
	void *s = s_socket(env, ZMQ_ROUTER);
	char *sec = s_path(env->other, "controller", KEYS_SECRET_SUFFIX);
	char *err = NULL;

	if (keys_curve_server(s, sec, &err) == -1)
		fail_msg("%s", err);
	zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len),
	    0);
	free(sec);
	return s;
}

/* A CURVE DEALER with the key NAME from dir, routing id rid. */
static void *
s_client(s_env *env, const char *dir, const char *name, const char *rid,
    const char *endpoint)
{
	void *s = s_socket(env, ZMQ_DEALER);
	char *sec = s_path(dir, name, KEYS_SECRET_SUFFIX);
	char *srv = s_path(env->other, "controller", KEYS_PUBLIC_SUFFIX);
	char *err = NULL;
	int ivl = 50;

	zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(s, ZMQ_ROUTING_ID, rid, strlen(rid));
	if (keys_curve_client(s, sec, srv, &err) == -1)
		fail_msg("%s", err);
	assert_int_equal(zmq_connect(s, endpoint), 0);
	free(sec);
	free(srv);
	return s;
}

static void
s_send_heartbeat(void *dealer, int64_t revision)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Heartbeat hb = HVP__HEARTBEAT__INIT;

	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_HEARTBEAT;
	e.heartbeat = &hb;
	hb.revision = revision;
	assert_int_equal(wire_send(dealer, &e, NULL), 0);
}

/* Runs the controller's side (ZAP handler and router) for up to ms;
 * true when a message arrived on router. */
static bool
s_pump(s_env *env, void *router, long ms, Hvp__Envelope **e, wire_rid *rid,
    char **uid)
{
	int64_t end = platform_mono_ms() + ms;

	*e = NULL;
	rid->len = 0;
	*uid = NULL;
	for (int64_t now = platform_mono_ms(); now < end;
	    now = platform_mono_ms()) {
		zmq_pollitem_t items[2] = {
			{ zap_socket(env->z), 0, ZMQ_POLLIN, 0 },
			{ router, 0, ZMQ_POLLIN, 0 },
		};
		char *err = NULL;
		int rc;

		if (zmq_poll(items, 2, (long)(end - now)) <= 0)
			continue;
		if (items[0].revents & ZMQ_POLLIN)
			zap_handle(env->z);
		if (!(items[1].revents & ZMQ_POLLIN))
			continue;
		rc = wire_recv(router, e, rid, uid, &err);
		if (rc == WIRE_OK)
			return true;
		if (rc == WIRE_MALFORMED)
			fail_msg("malformed: %s", err);
	}
	return false;
}

static void
s_expect(s_env *env, void *router, const char *rid_want, const char *uid_want,
    int64_t revision)
{
	Hvp__Envelope *e;
	wire_rid rid;
	char *uid;

	if (!s_pump(env, router, 10000, &e, &rid, &uid))
		fail_msg("no message from %s", rid_want);
	assert_int_equal(rid.len, strlen(rid_want));
	assert_memory_equal(rid.data, rid_want, rid.len);
	assert_non_null(uid);
	assert_string_equal(uid, uid_want);
	assert_int_equal(e->heartbeat->revision, revision);
	wire_envelope_free(&e);
	free(uid);
}

static void
s_expect_nothing(s_env *env, void *router, long ms)
{
	Hvp__Envelope *e;
	wire_rid rid;
	char *uid, text[WIRE_RID_TEXT];

	if (s_pump(env, router, ms, &e, &rid, &uid))
		fail_msg("a message got through from %s (User-Id %s)",
		    wire_rid_text(&rid, text), uid ? uid : "none");
}

static void
test_known_key_named(void **state)
{
	s_env *env = *state;
	char endpoint[256];
	void *router = s_server(env, ZAP_DOMAIN_NODES, endpoint,
	    sizeof endpoint);
	void *hv01 = s_client(env, env->nodes, "HV01", "HV01", endpoint);
	void *liar;

	assert_int_equal(zap_node_key_count(env->z), 2);
	assert_int_equal(zap_admin_key_count(env->z), 1);
	s_send_heartbeat(hv01, 1);
	s_expect(env, router, "HV01", "HV01", 1);

	/* HV01's key with HV02's routing id: User-Id still says HV01, so
	 * the controller can refuse it. */
	liar = s_client(env, env->nodes, "HV01", "HV02", endpoint);
	s_send_heartbeat(liar, 2);
	s_expect(env, router, "HV02", "HV01", 2);
}

static void
test_unknown_key_refused_until_reload(void **state)
{
	s_env *env = *state;
	char endpoint[256], *src, *dst, *text, *err = NULL;
	void *router = s_server(env, ZAP_DOMAIN_NODES, endpoint,
	    sizeof endpoint);
	void *hv09 = s_client(env, env->other, "HV09", "HV09", endpoint);
	size_t len;

	s_send_heartbeat(hv09, 9);
	s_expect_nothing(env, router, 1500);

	/* The operator adds HV09.key and sends SIGHUP. */
	src = s_path(env->other, "HV09", KEYS_PUBLIC_SUFFIX);
	dst = s_path(env->nodes, "HV09", KEYS_PUBLIC_SUFFIX);
	assert_int_equal(platform_read_file(src, 4096, &text, &len, &err), 0);
	assert_int_equal(platform_replace_file(dst, text, len, false, &err), 0);
	free(text);
	assert_int_equal(zap_reload(env->z, &err), 0);
	assert_null(err);
	assert_int_equal(zap_node_key_count(env->z), 3);
	/* libzmq does not retry a handshake refused by ZAP: the node
	 * daemon makes a new socket when it reconnects, and gets in. */
	hv09 = s_client(env, env->other, "HV09", "HV09b", endpoint);
	s_send_heartbeat(hv09, 10);
	s_expect(env, router, "HV09b", "HV09", 10);

	free(src);
	free(dst);
}

static void
test_broken_reload_keeps_table(void **state)
{
	s_env *env = *state;
	char endpoint[256], *bad, *err = NULL;
	void *router = s_server(env, ZAP_DOMAIN_NODES, endpoint,
	    sizeof endpoint);
	void *hv02;

	bad = s_path(env->nodes, "HV05", KEYS_PUBLIC_SUFFIX);
	assert_int_equal(platform_replace_file(bad, "public-key = x\n", 15,
	    false, &err), 0);
	assert_int_equal(zap_reload(env->z, &err), -1);
	assert_non_null(err);
	assert_true(strncmp(err, bad, strlen(bad)) == 0);
	free(err);
	assert_int_equal(zap_node_key_count(env->z), 2);
	hv02 = s_client(env, env->nodes, "HV02", "HV02", endpoint);
	s_send_heartbeat(hv02, 3);
	s_expect(env, router, "HV02", "HV02", 3);

	/* The same for a broken admin directory. */
	platform_remove_file(bad, NULL);
	free(bad);
	bad = s_path(env->admins, "bob", KEYS_PUBLIC_SUFFIX);
	assert_int_equal(platform_replace_file(bad, "", 0, false, &err), 0);
	assert_int_equal(zap_reload(env->z, &err), -1);
	assert_non_null(strstr(err, "no public-key"));
	free(err);
	assert_int_equal(zap_admin_key_count(env->z), 1);
	free(bad);
}

static void
test_admin_keys(void **state)
{
	s_env *env = *state;
	char nodes_ep[256], admin_ep[256];
	void *nodes = s_server(env, ZAP_DOMAIN_NODES, nodes_ep,
	    sizeof nodes_ep);
	void *admin = s_server(env, ZAP_DOMAIN_ADMIN, admin_ep,
	    sizeof admin_ep);
	void *alice = s_client(env, env->admins, "alice", "cli-1", admin_ep);
	void *node_on_admin, *alice_on_nodes;

	s_send_heartbeat(alice, 4);
	s_expect(env, admin, "cli-1", "admin:alice", 4);

	/* Neither kind of key reaches the other's port. */
	node_on_admin = s_client(env, env->nodes, "HV01", "HV01", admin_ep);
	alice_on_nodes = s_client(env, env->admins, "alice", "alice",
	    nodes_ep);
	s_send_heartbeat(node_on_admin, 5);
	s_send_heartbeat(alice_on_nodes, 6);
	s_expect_nothing(env, admin, 700);
	s_expect_nothing(env, nodes, 700);
}

static void
test_null_mechanism(void **state)
{
	s_env *env = *state;
	void *router = s_socket(env, ZMQ_ROUTER);
	void *dealer = s_socket(env, ZMQ_DEALER);
	char endpoint[256];
	size_t len = sizeof endpoint;

	zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN_NODES,
	    strlen(ZAP_DOMAIN_NODES));
	zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "HV07", 4);
	assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
	zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &len);
	assert_int_equal(zmq_connect(dealer, endpoint), 0);
	s_send_heartbeat(dealer, 7);
	/* Insecure mode: admitted, no name bound. */
	s_expect(env, router, "HV07", "", 7);
}

/* ---- RFC 27 frames, answered directly ---- */

static void
s_request(void *req, const char *const *frames, const size_t *lens,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(zmq_send(req, frames[i], lens[i],
		    i + 1 < n ? ZMQ_SNDMORE : 0), (int)lens[i]);
}

/* Reads the 6-frame reply; checks request id, code and user id. */
static void
s_reply_is(s_env *env, void *req, const char *id, const char *code,
    const char *user_id)
{
	char frames[6][128];
	int sizes[6], more;
	size_t mlen = sizeof more;
	zmq_pollitem_t it = { zap_socket(env->z), 0, ZMQ_POLLIN, 0 };

	assert_int_equal(zmq_poll(&it, 1, 5000), 1);
	zap_handle(env->z);
	for (int i = 0; i < 6; i++) {
		sizes[i] = zmq_recv(req, frames[i], sizeof frames[i] - 1, 0);
		assert_true(sizes[i] >= 0);
		frames[i][sizes[i]] = '\0';
		zmq_getsockopt(req, ZMQ_RCVMORE, &more, &mlen);
		assert_int_equal(more, i < 5);
	}
	assert_string_equal(frames[0], "1.0");
	assert_string_equal(frames[1], id);
	assert_string_equal(frames[2], code);
	assert_string_equal(frames[4], user_id);
	assert_int_equal(sizes[5], 0);
}

static void
test_rfc27_frames(void **state)
{
	s_env *env = *state;
	void *req = s_socket(env, ZMQ_REQ);
	char pub[KEYS_Z85_LEN + 1], *path, *err = NULL;
	uint8_t bin[32];

	assert_int_equal(zmq_connect(req, ZAP_ENDPOINT), 0);
	path = s_path(env->nodes, "HV02", KEYS_PUBLIC_SUFFIX);
	assert_int_equal(keys_load_public(path, pub, &err), 0);
	free(path);
	assert_non_null(zmq_z85_decode(bin, pub));

	{
		const char *f[] = { "1.0", "r1", ZAP_DOMAIN_NODES, "10.0.0.2",
		    "HV02", "CURVE", (const char *)bin };
		size_t l[] = { 3, 2, strlen(ZAP_DOMAIN_NODES), 8, 4, 5, 32 };

		s_request(req, f, l, 7);
		s_reply_is(env, req, "r1", "200", "HV02");
		/* Same key, admin domain: not an admin key. */
		f[1] = "r2";
		f[2] = ZAP_DOMAIN_ADMIN;
		l[2] = strlen(ZAP_DOMAIN_ADMIN);
		s_request(req, f, l, 7);
		s_reply_is(env, req, "r2", "400", "");
		/* No domain: node keys are looked up. */
		f[1] = "r3";
		l[2] = 0;
		s_request(req, f, l, 7);
		s_reply_is(env, req, "r3", "200", "HV02");
		/* A short key. */
		f[1] = "r4";
		l[6] = 31;
		s_request(req, f, l, 7);
		s_reply_is(env, req, "r4", "400", "");
	}
	{
		const char *f[] = { "1.0", "r5", "", "10.0.0.2", "", "PLAIN",
		    "user", "password" };
		size_t l[] = { 3, 2, 0, 8, 0, 5, 4, 8 };

		s_request(req, f, l, 8);
		s_reply_is(env, req, "r5", "400", "");
	}
	{
		const char *f[] = { "1.0", "r6", "", "10.0.0.2", "", "NULL" };
		size_t l[] = { 3, 2, 0, 8, 0, 4 };

		s_request(req, f, l, 6);
		s_reply_is(env, req, "r6", "200", "");
	}
	{
		/* Wrong version, too few frames, too many frames. */
		const char *f[] = { "2.0", "r7", "", "", "", "NULL" };
		size_t l[] = { 3, 2, 0, 0, 0, 4 };
		const char *many[12] = { "1.0", "r9", "", "", "", "CURVE" };
		size_t many_l[12] = { 3, 2, 0, 0, 0, 5 };

		s_request(req, f, l, 6);
		s_reply_is(env, req, "r7", "500", "");
		s_request(req, f + 0, l + 0, 2);
		s_reply_is(env, req, "r7", "500", "");
		for (int i = 6; i < 12; i++) {
			many[i] = (const char *)bin;
			many_l[i] = 32;
		}
		s_request(req, many, many_l, 12);
		s_reply_is(env, req, "r9", "400", "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_known_key_named,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unknown_key_refused_until_reload, s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_broken_reload_keeps_table,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_admin_keys,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_null_mechanism,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_rfc27_frames,
		    s_setup, s_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
