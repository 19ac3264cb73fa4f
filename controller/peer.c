/*
 * peer.c: node traffic on the controller's ROUTER socket (peer.h).
 *
 * Identity: with CURVE, a message's speaker is the node name the ZAP
 * handler bound to its key (User-Id), and a session remembers the
 * connection (routing id) its node last spoke on; replies and Desired go
 * to that connection only. Nodes do not choose routing ids (the ROUTER
 * makes them) and the ROUTER does not hand ids over, so no key can
 * receive, displace or disturb another node's traffic, while a node that
 * reconnects under its own key takes its session over with its first
 * message. Without CURVE (--insecure, tests only) a Hello's node field
 * binds the connection instead.
 */
#include "peer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conflicts.h"
#include "dpmparts.h"
#include "dryrun.h"
#include "linger.h"
#include "log.h"
#include "push.h"
#include "store.h"
#include "wire.h"
#include "xalloc.h"

#define PEER_MISSED_HEARTBEATS 3
#define PEER_MAX_NAME 63

static void
s_send_to(server *s, const node_session *n, Hvp__Envelope__BodyCase body_case,
    void *body)
{
	sessions_send_body(s->router, &n->rid, body_case, body);
}

static void
s_refuse(server *s, const wire_rid *rid, const char *who, const char *why)
{
	Hvp__Refused r = HVP__REFUSED__INIT;
	char text[WIRE_RID_TEXT];

	r.reason = (char *)why;
	log_warnx("refused peer %s: %s", who ? who : wire_rid_text(rid, text),
	    why);
	sessions_send_body(s->router, rid, HVP__ENVELOPE__BODY_REFUSED, &r);
}

/* Acknowledgements are soft state (every heartbeat repeats them), so they
 * are stored once per tick for all nodes together: one fsync instead of
 * one per node keeps a thousand acknowledging nodes from queueing behind
 * the disk. */
static void
s_persist_ack(server *s, node_session *n)
{
	(void)s;
	n->ack_dirty = true;
}

void
peer_flush_acks(server *s)
{
	const char **names;
	char **parts;
	store_ack *acks;
	size_t k = 0;
	char *err = NULL;

	for (size_t i = 0; i < s->nodes.count; i++)
		k += s->nodes.items[i]->ack_dirty;
	if (k == 0)
		return;
	names = xcalloc(k, sizeof *names);
	parts = xcalloc(k, sizeof *parts);
	acks = xcalloc(k, sizeof *acks);
	k = 0;
	for (size_t i = 0; i < s->nodes.count; i++) {
		node_session *n = s->nodes.items[i];

		if (!n->ack_dirty)
			continue;
		names[k] = n->name;
		acks[k].revision = n->acked_revision;
		acks[k].plan_generation = n->acked_plan_generation;
		acks[k].converged = n->converged;
		acks[k].open_drift = n->open_drift;
		acks[k].dsgroups_hash = n->dsgroups_hash;
		parts[k] = dpmparts_text(n);
		k++;
	}
	if (store_set_node_acks_parts(s->store, names, acks,
	    (const char *const *)parts, k, &err) == -1) {
		log_warnx("cannot store %zu acknowledgements: %s", k, err);
		free(err);
	} else {
		for (size_t i = 0; i < s->nodes.count; i++)
			s->nodes.items[i]->ack_dirty = false;
	}
	for (size_t i = 0; i < k; i++)
		free(parts[i]);
	free(parts);
	free(names);
	free(acks);
}

/* Stores n's liveness with its node event; one the store cannot take
 * now (busy, full) is stored at a later tick (s_store_pending), so the
 * event stream never misses a transition. */
static void
s_store_liveness(server *s, node_session *n)
{
	char *err = NULL;

	if (store_set_node_online(s->store, n->name, n->online, n->last_seen,
	    &err) == 0) {
		if (n->liveness_unstored)
			log_info("node=%s %s stored (was delayed)", n->name,
			    n->online ? "online" : "offline");
		n->liveness_unstored = false;
		return;
	}
	if (!n->liveness_unstored)
		log_warnx("node=%s cannot store state (stored again later): %s",
		    n->name, err);
	free(err);
	n->liveness_unstored = true;
}

static void
s_mark_online(server *s, node_session *n)
{
	n->last_seen_mono = platform_mono_ms();
	n->last_seen = platform_now_ms() / 1000;
	if (n->online)
		return;
	n->online = true;
	n->desired_sent_mono = 0;
	log_info("node=%s online", n->name);
	s_store_liveness(s, n);
}

/* The node's inventory changed: its cluster's plan may change. */
static void
s_mark_dirty(server *s, const node_session *n)
{
	cluster_state *c = clusters_of_node(s, n);

	if (c)
		c->plan_dirty = true;
}

/* Keeps the inventory's digest (the envelope is freed); the encoded
 * inventory goes to the store, or waits in the session until it can. */
static void
s_take_inventory(server *s, node_session *n, const Hvp__Inventory *inv)
{
	uint8_t *buf;
	size_t len;
	char *err = NULL;
	bool stored = true;
	invdigest *d;

	if (inv == NULL)
		return;
	n->current_mono = platform_mono_ms();
	/* The same content again changes nothing, unless this process does
	 * not hold it (a restart, a restored store, a failed store). */
	if (n->inventory && n->inventory_hash && inv->hash &&
	    strcmp(n->inventory_hash, inv->hash) == 0)
		return;
	if (wire_encode_message(&inv->base, &buf, &len) == -1)
		return;
	d = invdigest_new(inv);
	/* The guests it no longer reports are stored as lingering before
	 * the inventory without them: a crash between the two keeps them. */
	if (n->role == ROLE_HYPERV_NODE &&
	    !linger_note(s, n->name, n->inventory, d))
		stored = false;
	sessions_set_inventory(n, d);
	free(n->inventory_hash);
	n->inventory_hash = xstrdup(inv->hash ? inv->hash : "");
	if (n->role == ROLE_DPM_SERVER) {
		free(n->dsgroups_hash);
		n->dsgroups_hash = inv->dsgroups_present ?
		    xstrdup(inv->dsgroups_hash) : NULL;
	}
	n->inventory_rank = (uint64_t)platform_now_ms();
	if (stored && store_set_node_inventory(s->store, n->name, buf, len,
	    n->inventory_hash, &err) == -1) {
		log_warnx("node=%s cannot store inventory (kept in memory, "
		    "stored again later): %s", n->name, err);
		free(err);
		stored = false;
	}
	sessions_set_unstored(n, stored ? NULL : buf, len);
	if (!stored)
		n->store_pending = true;
	free(buf);
	s_mark_dirty(s, n);
	log_debug("node=%s inventory %zu guests", n->name,
	    n->inventory->nguests);
}

/* The node's clock against ours (0: the node did not say). */
static void
s_set_clock(node_session *n, int64_t node_ms)
{
	int64_t skew;

	if (node_ms == 0)
		return;
	skew = node_ms - platform_now_ms();
	if (llabs(skew) > SESSIONS_MAX_CLOCK_SKEW_MS && !sessions_clock_off(n))
		log_warnx("node=%s clock is %+lld s off the controller's; its "
		    "drift times (detectedAt) are its own, receivedAt is ours",
		    n->name, (long long)(skew / 1000));
	n->clock_skew_ms = skew;
	n->has_clock = true;
}

/* A node that holds a revision the store never had: the store is older
 * than the cluster (restored from a backup). Revision numbers must never
 * be reused, so the store's floor rises above it, loudly. */
static void
s_check_floor(server *s, const node_session *n, cluster_state *c,
    int64_t held)
{
	char *err = NULL;

	if (c == NULL || held <= c->revision_floor)
		return;
	log_warnx("node=%s holds revision %lld%s%s, but this store's newest is "
	    "%lld: the store has lost acknowledged state (restored from an "
	    "older backup, or its -wal file removed?). The node keeps what it "
	    "holds; the next apply will be revision %lld", n->name,
	    (long long)held, s->clusters.count > 1 ? " of cluster " : "",
	    s->clusters.count > 1 ? c->name : "", (long long)c->revision,
	    (long long)held + 1);
	if (store_raise_revision_floor_in(s->store, c->name, held,
	    &err) == -1) {
		log_warnx("cannot store the revision floor: %s", err);
		free(err);
	}
	c->revision_floor = held;
}

static void
s_check_revision_floor(server *s, const node_session *n)
{
	for (size_t i = 0; i < n->nparts; i++)
		s_check_floor(s, n, clusters_find(s, n->parts[i].cluster),
		    n->parts[i].revision);
	s_check_floor(s, n, clusters_of_node(s, n), n->acked_revision);
}

/* Where the node's drift continues: the store's last_drift_seq, unless
 * the node was told earlier that more was stored (an older store file
 * was restored): those records are gone, and numbering continues above
 * them so that nothing the node sends from now on is refused. */
static uint64_t
s_drift_stored(server *s, const node_session *n, const store_node *rec,
    uint64_t node_acked)
{
	uint64_t stored = rec ? rec->last_drift_seq : 0;
	char *err = NULL;

	if (rec == NULL || node_acked <= stored)
		return stored;
	log_warnx("node=%s was told drift up to %llu is stored, but the store "
	    "holds up to %llu: records %llu to %llu are lost (an older store "
	    "file restored?)", n->name, (unsigned long long)node_acked,
	    (unsigned long long)stored, (unsigned long long)stored + 1,
	    (unsigned long long)node_acked);
	if (store_set_drift_seq(s->store, n->name, node_acked, &err) == -1) {
		log_warnx("node=%s cannot store its drift number: %s", n->name,
		    err);
		free(err);
		return stored;
	}
	return node_acked;
}

static bool
s_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > PEER_MAX_NAME)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

/* The session now speaks on connection rid. */
static void
s_bind_connection(node_session *n, const wire_rid *rid)
{
	if (wire_rid_equal(&n->rid, rid))
		return;
	if (n->rid.len != 0)
		log_info("node=%s speaks on a new connection", n->name);
	n->rid = *rid;
	n->desired_sent_mono = 0;
}

/* The store's record of session n (borrowed strings; no inventory). */
static void
s_node_record(const node_session *n, store_node *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->name = n->name;
	rec->role = n->role;
	rec->cluster = n->cluster;
	rec->online = n->online;
	rec->last_seen = platform_now_ms() / 1000;
	rec->acked_revision = n->acked_revision;
	rec->acked_plan_generation = n->acked_plan_generation;
	rec->converged = n->converged;
	rec->open_drift = n->open_drift;
	rec->dsgroups_hash = n->dsgroups_hash;
	rec->inventory_hash = n->inventory_hash;
	rec->parts = dpmparts_text(n);	/* owned: the caller frees it */
}

/* A node record or inventory the store could not take (another process
 * held its lock) is written again, whole, at each tick until it is. The
 * session already holds it, so nothing waits on the store meanwhile. */
static void
s_store_pending(server *s)
{
	for (size_t i = 0; i < s->nodes.count; i++) {
		node_session *n = s->nodes.items[i];
		store_node rec;
		char *err = NULL;

		if (!n->store_pending)
			continue;
		if (n->inventory_unstored && !linger_stored(s))
			continue;	/* first the guests it no longer reports */
		s_node_record(n, &rec);
		rec.inventory = n->inventory_unstored;
		rec.inventory_len = n->inventory_unstored_len;
		if (store_upsert_node(s->store, &rec, &err) == 0) {
			n->store_pending = false;
			sessions_set_unstored(n, NULL, 0);
			log_info("node=%s record stored (was delayed)", n->name);
		}
		free(rec.parts);
		free(err);
	}
	/* A record stored first: the liveness event updates it. */
	for (size_t i = 0; i < s->nodes.count; i++)
		if (s->nodes.items[i]->liveness_unstored &&
		    !s->nodes.items[i]->store_pending)
			s_store_liveness(s, s->nodes.items[i]);
}

/* A DPM server of several clusters: every one it protects must be held
 * here (as a node of a cluster not held is refused). */
static bool
s_clusters_held(server *s, const wire_rid *rid, const char *name, int role,
    const Hvp__Hello *h)
{
	char *why, *list;

	if (role != ROLE_DPM_SERVER) {
		s_refuse(s, rid, name, "only a dpm-server protects several "
		    "clusters");
		return false;
	}
	for (size_t i = 0; i < h->n_clusters; i++) {
		if (clusters_find(s, h->clusters[i]))
			continue;
		list = clusters_list(s);
		why = xasprintf("node protects cluster %.*s, which this "
		    "controller does not hold (it holds %s)", PEER_MAX_NAME,
		    h->clusters[i], list);
		s_refuse(s, rid, name, why);
		free(why);
		free(list);
		return false;
	}
	return true;
}

static void
s_hello(server *s, const char *name, const wire_rid *rid, const Hvp__Hello *h)
{
	Hvp__Welcome w = HVP__WELCOME__INIT;
	store_node rec = { 0 }, *old = NULL;
	node_session *n;
	int role = -1;
	char *err = NULL;

	if (h->node == NULL || strcmp(h->node, name) != 0) {
		char *why = xasprintf("hello names %.*s, not this key's node",
		    PEER_MAX_NAME + 1, h->node && s_valid_name(h->node) ?
		    h->node : "an invalid name");

		s_refuse(s, rid, name, why);
		free(why);
		return;
	}
	for (int i = 0; HOST_ROLE_NAMES[i]; i++)
		if (h->role && strcmp(h->role, HOST_ROLE_NAMES[i]) == 0)
			role = i;
	if (role < 0) {
		s_refuse(s, rid, name,
		    "unknown role (expected hyperv-node or dpm-server)");
		return;
	}
	if (h->n_clusters > 0) {
		if (!s_clusters_held(s, rid, name, role, h))
			return;
	} else if (h->cluster == NULL || clusters_find(s, h->cluster) == NULL) {
		s_refuse(s, rid, name, "node belongs to another cluster");
		return;
	}
	n = sessions_get_or_add(&s->nodes, name);
	s_bind_connection(n, rid);
	n->role = (host_role)role;
	/* A node moved to another cluster leaves its old cluster's plan. */
	if (n->cluster && strcasecmp(n->cluster, h->cluster) != 0)
		s_mark_dirty(s, n);
	free(n->cluster);
	n->cluster = xstrdup(h->cluster);
	dpmparts_clear(n);
	if (h->n_clusters > 0) {
		dpmparts_set_clusters(n, h->clusters, h->n_clusters);
		dpmparts_take(n, h->parts, h->n_parts);
	}
	free(n->version);
	n->version = xstrdup(h->version);
	n->acked_revision = h->revision;
	n->acked_plan_generation = h->plan_generation;
	n->converged = h->converged;
	n->open_drift = h->open_drift;
	s_node_record(n, &rec);
	rec.online = true;
	/* No inventory in rec: the stored one stays until a new one is
	 * taken below. */
	if (store_upsert_node(s->store, &rec, &err) == -1) {
		log_warnx("node=%s cannot store node: %s", name, err);
		free(err);
		err = NULL;
		n->store_pending = true;
	}
	free(rec.parts);
	s_mark_online(s, n);
	s_set_clock(n, h->clock_ms);
	s_take_inventory(s, n, h->inventory);
	s_check_revision_floor(s, n);
	if (store_get_node(s->store, name, &old, &err) == -1) {
		log_warnx("node=%s cannot read node: %s", name, err);
		free(err);
	}
	w.heartbeat_seconds = (uint32_t)s->heartbeat_seconds;
	w.drift_acked_upto = s_drift_stored(s, n, old, h->drift_acked);
	w.want_inventory = n->inventory == NULL;
	store_node_free(&old);
	s_send_to(s, n, HVP__ENVELOPE__BODY_WELCOME, &w);
	log_info("node=%s hello role=%s revision=%lld converged=%s", name,
	    HOST_ROLE_NAMES[role], (long long)h->revision,
	    h->converged ? "yes" : "no");
	n->desired_sent_mono = 0;
	push_desired(s, n, false);
}

static void
s_ack(server *s, node_session *n, const Hvp__Ack *a)
{
	n->acked_revision = a->revision;
	n->acked_plan_generation = a->plan_generation;
	n->converged = a->converged;
	n->open_drift = a->open_drift;
	if (n->nclusters > 0)
		dpmparts_take(n, a->parts, a->n_parts);
	if (n->role == ROLE_DPM_SERVER) {
		free(n->dsgroups_hash);
		n->dsgroups_hash = a->dsgroups_hash && *a->dsgroups_hash ?
		    xstrdup(a->dsgroups_hash) : NULL;
	}
	n->desired_sent_mono = 0;
	s_persist_ack(s, n);
	log_debug("node=%s ack revision=%lld plan=%llu converged=%d", n->name,
	    (long long)a->revision, (unsigned long long)a->plan_generation,
	    a->converged);
	push_desired(s, n, false);
}

/* Stores records[from, to), whose numbers are consecutive and follow
 * `after`. A record the controller cannot read is logged and skipped
 * (its number is used), so one bad record never holds up the rest.
 * Returns 0, STORE_DRIFT_GAP or -1 (nothing stored); *upto is what the
 * store holds of this node afterwards. */
static int
s_store_run(server *s, node_session *n, const Hvp__DriftBatch *b,
    uint64_t after, size_t from, size_t to, uint64_t *upto)
{
	drift_record *recs = xcalloc(to - from, sizeof *recs);
	int64_t now = platform_now_ms() / 1000;
	size_t k = 0;
	char *err = NULL;
	int rc;

	for (size_t i = from; i < to; i++, k++) {
		if (wire_drift_to_record(b->records[i], &recs[k], &err) == -1) {
			log_warnx("node=%s drift record %llu cannot be read: %s; "
			    "skipped", n->name,
			    (unsigned long long)b->records[i]->seq, err);
			free(err);
			err = NULL;
			drift_record_clear(&recs[k]);
			continue;
		}
		/* A node reports only for itself. */
		free(recs[k].node);
		recs[k].node = xstrdup(n->name);
		recs[k].received_at = now;
	}
	rc = store_add_drift_batch(s->store, n->name, after,
	    b->records[from]->seq, recs, k, upto, &err);
	if (rc == -1)
		log_warnx("node=%s drift records %llu to %llu not stored (the "
		    "node sends them again): %s", n->name,
		    (unsigned long long)b->records[from]->seq,
		    (unsigned long long)b->records[to - 1]->seq, err);
	free(err);
	for (size_t i = 0; i < k; i++)
		drift_record_clear(&recs[i]);
	free(recs);
	return rc;
}

/* A batch holds increasing sequence numbers, consecutive except where the
 * node's journal lost a damaged record; each consecutive run is stored
 * in one transaction. Drift is taken only in order: a batch that follows
 * records the store does not hold is refused with a DriftAck that asks
 * for them again, and the acknowledgement never covers more than what
 * is stored. */
static void
s_drift_batch(server *s, node_session *n, const Hvp__DriftBatch *b)
{
	Hvp__DriftAck ack = HVP__DRIFT_ACK__INIT;
	uint64_t upto = 0, after = b->has_after ? b->after : 0;
	size_t from = 0;
	int rc = 0;

	if (b->n_records == 0)
		return;
	for (size_t i = 1; i < b->n_records; i++) {
		if (b->records[i]->seq <= b->records[i - 1]->seq) {
			log_warnx("node=%s drift batch not in order; dropped", n->name);
			return;
		}
	}
	for (size_t i = 1; i <= b->n_records && rc == 0; i++) {
		if (i < b->n_records && b->records[i]->seq == b->records[i - 1]->seq + 1)
			continue;
		rc = s_store_run(s, n, b, after, from, i, &upto);
		after = b->records[i - 1]->seq;
		from = i;
	}
	if (rc == -1)
		return;		/* the node's heartbeat sends it again */
	if (rc == STORE_DRIFT_GAP) {
		log_info("node=%s drift batch follows %llu, the store holds up "
		    "to %llu: asked to send again from there", n->name,
		    (unsigned long long)(b->has_after ? b->after : 0),
		    (unsigned long long)upto);
		ack.resend = true;
	}
	ack.upto = upto;
	s_send_to(s, n, HVP__ENVELOPE__BODY_DRIFT_ACK, &ack);
}

static void
s_heartbeat(server *s, node_session *n, const Hvp__Heartbeat *h)
{
	Hvp__HeartbeatReply r = HVP__HEARTBEAT_REPLY__INIT;
	bool changed = n->acked_revision != h->revision ||
	    n->acked_plan_generation != h->plan_generation ||
	    n->converged != h->converged || n->open_drift != h->open_drift;

	n->acked_revision = h->revision;
	n->acked_plan_generation = h->plan_generation;
	n->converged = h->converged;
	n->open_drift = h->open_drift;
	if (n->nclusters > 0)
		changed |= dpmparts_take(n, h->parts, h->n_parts);
	if (n->role == ROLE_DPM_SERVER && h->dsgroups_hash) {
		changed |= !n->dsgroups_hash ||
		    strcmp(n->dsgroups_hash, h->dsgroups_hash) != 0;
		free(n->dsgroups_hash);
		n->dsgroups_hash = *h->dsgroups_hash ? xstrdup(h->dsgroups_hash) : NULL;
	}
	if (changed)
		s_persist_ack(s, n);
	s_set_clock(n, h->clock_ms);
	s_check_revision_floor(s, n);
	/* The node holds an inventory this process does not: ask for it. */
	r.want_inventory = h->inventory_hash && *h->inventory_hash &&
	    (n->inventory == NULL || n->inventory_hash == NULL ||
	    strcmp(n->inventory_hash, h->inventory_hash) != 0);
	if (h->inventory_hash && *h->inventory_hash && !r.want_inventory)
		n->current_mono = platform_mono_ms();
	push_wanted(s, clusters_of_node(s, n), n, &r.revision,
	    &r.plan_generation);
	s_send_to(s, n, HVP__ENVELOPE__BODY_HEARTBEAT_REPLY, &r);
	push_desired(s, n, false);
}

/* The session whose connection is rid (insecure mode: no keys). */
static node_session *
s_session_on(server *s, const wire_rid *rid)
{
	for (size_t i = 0; i < s->nodes.count; i++)
		if (wire_rid_equal(&s->nodes.items[i]->rid, rid))
			return s->nodes.items[i];
	return NULL;
}

/* Who is speaking: the key's name with CURVE; without, the name a Hello
 * claims or the session bound to the connection. NULL: nobody we can
 * name (refused or dropped, and logged). */
static const char *
s_speaker(server *s, const wire_rid *rid, const char *uid,
    const Hvp__Envelope *e)
{
	node_session *n;

	if (!s->insecure) {
		if (uid == NULL || !s_valid_name(uid)) {
			log_warnx("peer %s: message without a node key; dropped",
			    uid ? uid : "(none)");
			return NULL;
		}
		return uid;
	}
	if (e->body_case == HVP__ENVELOPE__BODY_HELLO)
		return e->hello->node && s_valid_name(e->hello->node) ?
		    e->hello->node : NULL;
	n = s_session_on(s, rid);
	return n ? n->name : NULL;
}

void
peer_dispatch(server *s, const char *name, const wire_rid *rid,
    const Hvp__Envelope *e)
{
	node_session *n;

	if (e->body_case == HVP__ENVELOPE__BODY_HELLO) {
		s_hello(s, name, rid, e->hello);
		return;
	}
	n = sessions_find(&s->nodes, name);
	if (n == NULL) {
		s_refuse(s, rid, name, "unknown node: send hello first");
		return;
	}
	s_bind_connection(n, rid);
	s_mark_online(s, n);
	switch (e->body_case) {
	case HVP__ENVELOPE__BODY_ACK:
		s_ack(s, n, e->ack);
		break;
	case HVP__ENVELOPE__BODY_DRIFT_BATCH:
		s_drift_batch(s, n, e->drift_batch);
		break;
	case HVP__ENVELOPE__BODY_HEARTBEAT:
		s_heartbeat(s, n, e->heartbeat);
		break;
	case HVP__ENVELOPE__BODY_INVENTORY:
		s_take_inventory(s, n, e->inventory);
		break;
	case HVP__ENVELOPE__BODY_DRY_RUN_RESULT:
		dryrun_result(s, n->name, e->dry_run_result);
		break;
	default:
		log_warnx("node=%s unexpected %s message; dropped", name,
		    wire_body_name(e->body_case));
		break;
	}
}

/* A message over a bound (bounds.h) was dropped undecoded: nothing of it
 * is stored, and the sender is told which bound. */
static void
s_refuse_over_bound(server *s, const wire_rid *rid, const char *uid,
    const char *err)
{
	char *why = xasprintf("message over a bound, not stored: %s", err);

	s_refuse(s, rid, uid && s_valid_name(uid) ? uid : NULL, why);
	free(why);
}

void
peer_handle(server *s)
{
	Hvp__Envelope *e = NULL;
	wire_rid rid;
	char *uid = NULL, *err = NULL, text[WIRE_RID_TEXT];
	const char *name;
	int rc = wire_recv(s->router, &e, &rid, &uid, &err);

	if (rc == WIRE_NONE)
		return;
	if (rc == WIRE_REFUSED) {
		s_refuse_over_bound(s, &rid, uid, err);
		goto out;
	}
	if (rc == WIRE_MALFORMED) {
		log_warnx("dropped message from %s: %s",
		    uid && *uid ? uid : wire_rid_text(&rid, text),
		    err ? err : "malformed");
		goto out;
	}
	name = s_speaker(s, &rid, uid, e);
	if (name)
		peer_dispatch(s, name, &rid, e);
out:
	wire_envelope_free(&e);
	free(uid);
	free(err);
}

void
peer_tick(server *s)
{
	int64_t now = platform_mono_ms();
	int64_t limit = (int64_t)s->heartbeat_seconds * 1000 * PEER_MISSED_HEARTBEATS;

	peer_flush_acks(s);
	s_store_pending(s);
	for (size_t i = 0; i < s->nodes.count; i++) {
		node_session *n = s->nodes.items[i];

		if (!n->online || now - n->last_seen_mono <= limit)
			continue;
		n->online = false;
		log_warnx("node=%s offline: no message for %d heartbeats", n->name,
		    PEER_MISSED_HEARTBEATS);
		s_store_liveness(s, n);
	}
	conflicts_tick(s);
	linger_tick(s);
	for (size_t i = 0; i < s->clusters.count; i++) {
		cluster_state *c = s->clusters.items[i];

		if (c->plan_retry) {
			c->plan_retry = false;
			c->plan_dirty = true;
		}
	}
	push_all(s);
}
