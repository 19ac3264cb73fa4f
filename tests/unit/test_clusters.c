/*
 * test_clusters.c: one controller holding several clusters
 * (controller/clusters.c and the modules that take a cluster): policies
 * and revision numbers per cluster, a node receiving only its own
 * cluster's policy, a node of a cluster not held refused, --cluster on
 * the verbs (needed for get, rollback and serialization, refused when
 * unknown or when it contradicts the policy), status, history, drift and
 * events naming each record's cluster, plans per cluster with generations
 * numbered across them, and all of it back after a restart.
 */
#include "ctl_fixture.h"

#include <strings.h>

#include "drift.h"
#include "dsgroups.h"
#include "json.h"

static const char *const NAMES[] = { "HV-A", "HV-B", NULL };

#define POLICY_PN(cluster, pernode, extra) \
	"apiVersion: hvpolicy/v1\n" \
	"kind: ClusterPolicy\n" \
	"metadata: {name: test}\n" \
	"spec:\n" \
	"  cluster: " cluster "\n" \
	"  strategy: system-software\n" \
	"  serialization: {dpmServer: DPM01, perNode: " pernode "}\n" extra
#define POLICY_IN(cluster, extra) POLICY_PN(cluster, "1", extra)

static int
setup(void **state)
{
	fx *f;

	if (fx_setup(state) != 0)
		return -1;
	f = *state;
	fx_stop(f);
	fx_start_clusters(f, NAMES);
	return 0;
}

static Hvp__AdminReply *
s_verb(fx *f, const char *verb, const char *cluster, const char *format)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r;

	q.verb = (char *)verb;
	q.cluster = (char *)cluster;
	q.format = (char *)format;
	r = fx_admin(f, &q);
	assert_non_null(r);
	return r;
}

static int64_t
s_apply(fx *f, const char *text, const char *cluster, int *status)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r;
	int64_t rev;

	q.verb = (char *)"apply";
	q.policy.data = (uint8_t *)text;
	q.policy.len = strlen(text);
	q.source = (char *)"test.yaml";
	q.force = true;
	q.cluster = (char *)cluster;
	r = fx_admin(f, &q);
	assert_non_null(r);
	*status = r->status;
	rev = r->revision;
	if (r->status == 0)
		assert_string_equal(r->cluster, strstr(text, "cluster: HV-B") ?
		    "HV-B" : "HV-A");
	wire_admin_reply_free(&r);
	return rev;
}

/* Revisions are numbered per cluster; a policy for a cluster not held,
 * or a --cluster that contradicts the policy, is refused. */
static void
test_revisions_per_cluster(void **state)
{
	fx *f = *state;
	int st;

	assert_int_equal(s_apply(f, POLICY_IN("HV-A", ""), NULL, &st), 1);
	assert_int_equal(st, 0);
	assert_int_equal(s_apply(f, POLICY_IN("HV-B", ""), NULL, &st), 1);
	assert_int_equal(st, 0);
	assert_int_equal(s_apply(f, POLICY_IN("HV-A", "  mode: audit\n"),
	    "hv-a", &st), 2);
	assert_int_equal(st, 0);
	s_apply(f, POLICY_IN("HV-C", ""), NULL, &st);
	assert_int_equal(st, 1);
	s_apply(f, POLICY_IN("HV-A", ""), "HV-B", &st);
	assert_int_equal(st, 64);
	assert_int_equal(clusters_find(&f->s, "HV-A")->revision, 2);
	assert_int_equal(clusters_find(&f->s, "hv-b")->revision, 1);

	/* After a restart each cluster has its own again. */
	fx_stop(f);
	fx_start_clusters(f, NAMES);
	assert_int_equal(clusters_find(&f->s, "HV-A")->revision, 2);
	assert_int_equal(clusters_find(&f->s, "HV-A")->policy->mode,
	    POLICY_AUDIT);
	assert_int_equal(clusters_find(&f->s, "HV-B")->revision, 1);
	assert_int_equal(clusters_find(&f->s, "HV-B")->policy->mode,
	    POLICY_ENFORCE);
}

/* A node is only ever sent its own cluster's policy; one of a cluster
 * not held is refused. */
static void
test_nodes_get_their_cluster(void **state)
{
	fx *f = *state;
	fx_peer *a = fx_peer_new(f, "HVA01"), *b = fx_peer_new(f, "HVB01");
	fx_peer *c = fx_peer_new(f, "HVC01");
	Hvp__Envelope *e;
	int st;

	s_apply(f, POLICY_IN("HV-A", ""), NULL, &st);
	s_apply(f, POLICY_IN("HV-B", "  mode: audit\n"), NULL, &st);
	fx_hello_in(f, a, "HV-A", "hyperv-node", 0, NULL);
	fx_hello_in(f, b, "hv-b", "hyperv-node", 0, NULL);
	fx_hello_in(f, c, "HV-C", "hyperv-node", 0, NULL);
	e = fx_expect(a, HVP__ENVELOPE__BODY_DESIRED);
	assert_non_null(e);
	assert_non_null(strstr(e->desired->policy, "\"HV-A\""));
	wire_envelope_free(&e);
	e = fx_expect(b, HVP__ENVELOPE__BODY_DESIRED);
	assert_non_null(e);
	assert_non_null(strstr(e->desired->policy, "\"HV-B\""));
	assert_null(strstr(e->desired->policy, "\"HV-A\""));
	wire_envelope_free(&e);
	e = fx_expect(c, HVP__ENVELOPE__BODY_REFUSED);
	assert_non_null(e);
	assert_non_null(strstr(e->refused->reason, "another cluster"));
	wire_envelope_free(&e);
	assert_null(sessions_find(&f->s.nodes, "HVC01"));
}

/* get, rollback and serialization need --cluster with several; status,
 * history, drift and events cover every cluster and name each one. */
static void
test_verbs(void **state)
{
	fx *f = *state;
	fx_peer *a = fx_peer_new(f, "HVA01"), *b = fx_peer_new(f, "HVB01");
	Hvp__AdminReply *r;
	int st;

	s_apply(f, POLICY_IN("HV-A", ""), NULL, &st);
	s_apply(f, POLICY_IN("HV-B", ""), NULL, &st);
	fx_hello_in(f, a, "HV-A", "hyperv-node", 0, NULL);
	fx_hello_in(f, b, "HV-B", "hyperv-node", 0, NULL);

	r = s_verb(f, "get", NULL, NULL);
	assert_int_equal(r->status, 64);
	assert_non_null(strstr(r->error, "--cluster"));
	assert_non_null(strstr(r->error, "HV-A, HV-B"));
	wire_admin_reply_free(&r);
	r = s_verb(f, "get", "HV-B", NULL);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->body, "\"HV-B\""));
	wire_admin_reply_free(&r);
	r = s_verb(f, "status", "HV-Z", NULL);
	assert_int_equal(r->status, 64);
	assert_non_null(strstr(r->error, "no such cluster"));
	wire_admin_reply_free(&r);
	r = s_verb(f, "serialization", NULL, NULL);
	assert_int_equal(r->status, 64);
	wire_admin_reply_free(&r);

	/* Every cluster: a CLUSTER column, a cluster on every node. */
	r = s_verb(f, "status", NULL, NULL);
	assert_int_equal(r->status, 0);
	assert_non_null(strstr(r->body, "CLUSTER"));
	assert_non_null(strstr(r->body, "cluster HV-A  revision 1"));
	assert_non_null(strstr(r->body, "cluster HV-B  revision 1"));
	wire_admin_reply_free(&r);
	r = s_verb(f, "status", NULL, "json");
	assert_non_null(strstr(r->body, "\"cluster\": null"));
	assert_non_null(strstr(r->body, "\"name\": \"HVA01\",\n"
	    "      \"cluster\": \"HV-A\""));
	assert_non_null(strstr(r->body, "\"name\": \"HVB01\",\n"
	    "      \"cluster\": \"HV-B\""));
	wire_admin_reply_free(&r);
	/* One cluster: the single-cluster shape, only its nodes. */
	r = s_verb(f, "status", "HV-B", "json");
	assert_non_null(strstr(r->body, "\"cluster\": \"HV-B\",\n"
	    "  \"revision\": 1"));
	assert_null(strstr(r->body, "HVA01"));
	wire_admin_reply_free(&r);
	r = s_verb(f, "status", "HV-B", NULL);
	assert_null(strstr(r->body, "CLUSTER"));
	wire_admin_reply_free(&r);

	r = s_verb(f, "history", NULL, "json");
	assert_non_null(strstr(r->body, "\"cluster\": \"HV-A\""));
	assert_non_null(strstr(r->body, "\"cluster\": \"HV-B\""));
	wire_admin_reply_free(&r);
	r = s_verb(f, "history", "HV-A", "json");
	assert_null(strstr(r->body, "\"cluster\": \"HV-B\""));
	wire_admin_reply_free(&r);
	r = s_verb(f, "events", NULL, "jsonl");
	assert_non_null(strstr(r->body, "\"type\":\"revision\",\"cluster\":"
	    "\"HV-B\""));
	wire_admin_reply_free(&r);
	r = s_verb(f, "events", "HV-A", "jsonl");
	assert_null(strstr(r->body, "\"cluster\":\"HV-B\""));
	assert_non_null(strstr(r->body, "\"cluster\":\"HV-A\""));
	wire_admin_reply_free(&r);
}

/* Each cluster plans its own nodes' guests; generations are numbered
 * across clusters; a guest of one cluster never enters another's plan. */
static void
test_plans_per_cluster(void **state)
{
	static const char *const ga[] = {
		"VM0001:1a000000-0000-0000-0000-000000000001:Volume1" };
	static const char *const gb[] = {
		"VM0001:2b000000-0000-0000-0000-000000000002:Volume1",
		"VM0002:3c000000-0000-0000-0000-000000000003:Volume2" };
	fx *f = *state;
	fx_peer *a = fx_peer_new(f, "HVA01"), *b = fx_peer_new(f, "HVB01");
	cluster_state *ca, *cb;
	Hvp__AdminReply *r;
	int st;

	s_apply(f, POLICY_IN("HV-A", ""), NULL, &st);
	s_apply(f, POLICY_IN("HV-B", ""), NULL, &st);
	fx_hello_in(f, a, "HV-A", "hyperv-node", 1, fx_inventory(ga, 1));
	fx_hello_in(f, b, "HV-B", "hyperv-node", 1, fx_inventory(gb, 2));
	push_replan(&f->s);
	ca = clusters_find(&f->s, "HV-A");
	cb = clusters_find(&f->s, "HV-B");
	assert_non_null(ca->plan);
	assert_non_null(cb->plan);
	assert_int_equal(ca->plan->ngroups, 1);
	assert_int_equal(ca->plan->groups[0].nguests, 1);
	assert_string_equal(ca->plan->groups[0].guests[0].id,
	    "1a000000-0000-0000-0000-000000000001");
	assert_int_equal(cb->plan->ngroups, 2);
	assert_int_not_equal(ca->plan->generation, cb->plan->generation);
	r = s_verb(f, "serialization", "HV-A", "json");
	assert_int_equal(r->status, 0);
	assert_null(strstr(r->body, "3c000000"));
	wire_admin_reply_free(&r);

	/* After a restart each cluster has its own plan back. */
	fx_stop(f);
	fx_start_clusters(f, NAMES);
	ca = clusters_find(&f->s, "HV-A");
	cb = clusters_find(&f->s, "HV-B");
	assert_non_null(ca->plan);
	assert_int_equal(ca->plan->groups[0].nguests, 1);
	assert_int_equal(cb->plan->ngroups, 2);
}

/* A guest deleted in HV-A leaves HV-A's plan once every HV-A node has
 * been heard: a node of HV-B that stays silent holds nothing back, while
 * a silent node of HV-A does (the guest may have moved there). */
static void
test_linger_waits_for_own_cluster(void **state)
{
	static const char *const ga[] = {
		"VM0001:1a000000-0000-0000-0000-000000000001:Volume1",
		"VM0002:4d000000-0000-0000-0000-000000000004:Volume1" };
	static const char *const gb[] = {
		"VM0003:2b000000-0000-0000-0000-000000000002:Volume1" };
	fx *f = *state;
	fx_peer *a = fx_peer_new(f, "HVA01"), *b = fx_peer_new(f, "HVB01");
	cluster_state *ca;
	int st;

	s_apply(f, POLICY_IN("HV-A", ""), NULL, &st);
	s_apply(f, POLICY_IN("HV-B", ""), NULL, &st);
	fx_hello_in(f, a, "HV-A", "hyperv-node", 1, fx_inventory(ga, 2));
	fx_hello_in(f, b, "HV-B", "hyperv-node", 1, fx_inventory(gb, 1));
	push_replan(&f->s);
	/* HVB01 silent since long ago; VM0002 deleted on HVA01. */
	sessions_find(&f->s.nodes, "HVB01")->current_mono = 1;
	fx_hello_in(f, a, "HV-A", "hyperv-node", 1, fx_inventory(ga, 1));
	assert_int_equal(f->s.linger.count, 1);
	f->s.linger.items[0].left_mono -= 10 * LINGER_HEARTBEATS * 1000;
	linger_tick(&f->s);
	push_replan(&f->s);
	ca = clusters_find(&f->s, "HV-A");
	assert_int_equal(f->s.linger.count, 0);
	assert_int_equal(ca->plan->groups[0].nguests, 1);

	/* Now a second HV-A node, silent: VM0001 deleted waits for it. */
	sessions_get_or_add(&f->s.nodes, "HVA02")->role = ROLE_HYPERV_NODE;
	free(sessions_find(&f->s.nodes, "HVA02")->cluster);
	sessions_find(&f->s.nodes, "HVA02")->cluster = xstrdup("HV-A");
	fx_hello_in(f, a, "HV-A", "hyperv-node", 1, fx_inventory(NULL, 0));
	assert_int_equal(f->s.linger.count, 1);
	f->s.linger.items[0].left_mono -= 10 * LINGER_HEARTBEATS * 1000;
	linger_tick(&f->s);
	assert_int_equal(f->s.linger.count, 1);
}

/* A DPM server's Hello naming the clusters it protects. */
static void
s_dpm_hello(fx *f, fx_peer *p, const char *const *clusters, size_t n)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Hello h = HVP__HELLO__INIT;

	h.node = p->name;
	h.role = (char *)"dpm-server";
	h.cluster = (char *)clusters[0];
	h.clusters = (char **)clusters;
	h.n_clusters = n;
	h.version = (char *)"test";
	h.converged = true;
	e.body_case = HVP__ENVELOPE__BODY_HELLO;
	e.hello = &h;
	fx_send(f, p, &e);
}

/* The DPM server of both clusters gets one Desired with a part per
 * cluster (each with its plan); its acknowledgement per part makes each
 * cluster's part held; one naming a cluster not held is refused; a
 * policy asking it for another perNode is refused at plan and apply. */
static void
test_dpm_of_several(void **state)
{
	static const char *const both[] = { "HV-A", "HV-B" };
	static const char *const other[] = { "HV-A", "HV-C" };
	static const char *const ga[] = {
		"VM0001:1a000000-0000-0000-0000-000000000001:Volume1" };
	fx *f = *state;
	fx_peer *a = fx_peer_new(f, "HVA01"), *dpm = fx_peer_new(f, "DPM01");
	fx_peer *bad = fx_peer_new(f, "DPM02");
	Hvp__Envelope *e, ack = HVP__ENVELOPE__INIT;
	Hvp__Ack am = HVP__ACK__INIT;
	Hvp__PartState ps[2], *pps[2] = { &ps[0], &ps[1] };
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	Hvp__AdminReply *r;
	cluster_state *ca, *cb;
	char ha[65], hb[65];
	int st;

	s_apply(f, POLICY_IN("HV-A", ""), NULL, &st);
	s_apply(f, POLICY_IN("HV-B", ""), NULL, &st);
	fx_hello_in(f, a, "HV-A", "hyperv-node", 1, fx_inventory(ga, 1));
	s_dpm_hello(f, bad, other, 2);
	e = fx_expect(bad, HVP__ENVELOPE__BODY_REFUSED);
	assert_non_null(e);
	assert_non_null(strstr(e->refused->reason, "HV-C"));
	wire_envelope_free(&e);
	s_dpm_hello(f, dpm, both, 2);
	push_replan(&f->s);
	ca = clusters_find(&f->s, "HV-A");
	cb = clusters_find(&f->s, "HV-B");
	assert_non_null(ca->plan);
	/* The Desired with the plan: one part per cluster. */
	fx_drain(dpm);
	push_desired(&f->s, sessions_find(&f->s.nodes, "DPM01"), true);
	e = fx_expect(dpm, HVP__ENVELOPE__BODY_DESIRED);
	assert_non_null(e);
	assert_int_equal(e->desired->n_parts, 2);
	assert_string_equal(e->desired->parts[0]->cluster, "HV-A");
	assert_int_equal(e->desired->parts[0]->plan_generation,
	    ca->plan->generation);
	assert_non_null(e->desired->parts[0]->plan);
	assert_string_equal(e->desired->parts[1]->cluster, "HV-B");
	assert_non_null(strstr(e->desired->parts[1]->policy, "\"HV-B\""));
	wire_envelope_free(&e);
	assert_false(push_plan_held(&f->s, ca));

	/* It acknowledges both parts, holding A's part of the file. */
	dsgroups_plan_hash_as(ca->plan, "HV-A", ha);
	hvp__part_state__init(&ps[0]);
	hvp__part_state__init(&ps[1]);
	ps[0].cluster = (char *)"HV-A";
	ps[0].revision = ca->revision;
	ps[0].plan_generation = ca->plan->generation;
	ps[0].dsgroups_hash = ha;
	ps[1].cluster = (char *)"HV-B";
	ps[1].revision = cb->revision;
	am.parts = pps;
	am.n_parts = 2;
	am.converged = true;
	ack.body_case = HVP__ENVELOPE__BODY_ACK;
	ack.ack = &am;
	fx_send(f, dpm, &ack);
	assert_true(push_plan_held(&f->s, ca));
	assert_true(push_node_converged(&f->s, ca,
	    sessions_find(&f->s.nodes, "DPM01")));
	r = s_verb(f, "status", NULL, "json");
	assert_non_null(strstr(r->body, "\"name\": \"DPM01\",\n"
	    "      \"cluster\": \"HV-A\""));
	assert_non_null(strstr(r->body, "\"name\": \"DPM01\",\n"
	    "      \"cluster\": \"HV-B\""));
	wire_admin_reply_free(&r);
	(void)hb;

	/* perNode 2 for B while A asks DPM01 for 1: refused, naming both. */
	q.verb = (char *)"plan";
	q.policy.data = (uint8_t *)POLICY_PN("HV-B", "2", "");
	q.policy.len = strlen((const char *)q.policy.data);
	r = fx_admin(f, &q);
	assert_int_equal(r->status, 1);
	assert_non_null(strstr(r->error, "HV-B"));
	assert_non_null(strstr(r->error, "cluster HV-A"));
	assert_non_null(strstr(r->error, "perNode"));
	wire_admin_reply_free(&r);
	s_apply(f, POLICY_PN("HV-B", "2", ""), NULL, &st);
	assert_int_equal(st, 1);
	assert_int_equal(cb->revision, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_revisions_per_cluster,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nodes_get_their_cluster,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_verbs, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_linger_waits_for_own_cluster,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plans_per_cluster, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_dpm_of_several, setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
