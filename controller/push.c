/*
 * push.c: what each node should hold and getting it there (push.h).
 */
#include "push.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conflicts.h"
#include "dpmparts.h"
#include "dsgroups.h"
#include "linger.h"
#include "log.h"
#include "planner.h"
#include "strbuf.h"
#include "store.h"
#include "wire.h"
#include "xalloc.h"

/* Re-send Desired when no Ack came within this many heartbeats. */
#define PUSH_RESEND_HEARTBEATS 3

static bool
s_manages_file(const cluster_state *c)
{
	return c->policy && c->policy->strategy == STRATEGY_SYSTEM_SOFTWARE &&
	    c->policy->per_csv;
}

/* Is n the DPM server cluster c's policy names? */
static bool
s_is_dpm_server(const cluster_state *c, const node_session *n)
{
	return c->policy && c->policy->dpm_server &&
	    n->role == ROLE_DPM_SERVER &&
	    strcasecmp(n->name, c->policy->dpm_server) == 0;
}

void
push_wanted(const server *s, const cluster_state *c, const node_session *n,
    int64_t *revision, uint64_t *generation)
{
	(void)s;
	*revision = c ? c->revision : 0;
	*generation = 0;
	if (c && c->plan && s_manages_file(c) && s_is_dpm_server(c, n))
		*generation = c->plan->generation;
}

const char *
push_expected_file_hash(const server *s, const cluster_state *c,
    char out[65])
{
	const node_session *dpm = push_dpm_server(s, c);
	cluster_state *cc = (cluster_state *)c;	/* the cache only */
	int q = dpm && dpm->nclusters ? 1 : 0;

	out[0] = '\0';
	if (c->plan == NULL || !s_manages_file(c))
		return out;
	/* Hashing thousands of guests at every status: once a generation. */
	if (cc->file_hash_plan != c->plan ||
	    cc->file_hash_gen != c->plan->generation) {
		dsgroups_plan_hash(c->plan, cc->file_hash[0]);
		dsgroups_plan_hash_as(c->plan, c->name, cc->file_hash[1]);
		cc->file_hash_plan = c->plan;
		cc->file_hash_gen = c->plan->generation;
	}
	/* A DPM server of several clusters qualifies its groups. */
	memcpy(out, cc->file_hash[q], 65);
	return out;
}

/* The dpm-server node called name (node names compare as Windows
 * compares host names: without case), or NULL. */
static node_session *
s_find_dpm(const server *s, const char *name)
{
	for (size_t i = 0; name && i < s->nodes.count; i++)
		if (s->nodes.items[i]->role == ROLE_DPM_SERVER &&
		    strcasecmp(s->nodes.items[i]->name, name) == 0)
			return s->nodes.items[i];
	return NULL;
}

int64_t
push_acked_revision(const node_session *n, const cluster_state *c)
{
	const node_part *p;

	if (n->nclusters == 0)
		return n->acked_revision;
	p = dpmparts_find(n, c->name);
	return p ? p->revision : 0;
}

uint64_t
push_acked_generation(const node_session *n, const cluster_state *c)
{
	const node_part *p;

	if (n->nclusters == 0)
		return n->acked_plan_generation;
	p = dpmparts_find(n, c->name);
	return p ? p->generation : 0;
}

node_session *
push_dpm_server(const server *s, const cluster_state *c)
{
	if (c == NULL || c->policy == NULL)
		return NULL;
	return s_find_dpm(s, c->policy->dpm_server);
}

char *
push_dpm_problem(const server *s, const policy *p)
{
	strbuf known;
	char *why;

	if (p == NULL || p->strategy != STRATEGY_SYSTEM_SOFTWARE ||
	    p->dpm_server == NULL || s_find_dpm(s, p->dpm_server))
		return NULL;
	strbuf_init(&known);
	for (size_t i = 0; i < s->nodes.count; i++)
		if (s->nodes.items[i]->role == ROLE_DPM_SERVER)
			strbuf_addf(&known, "%s%s", known.len ? ", " : "",
			    s->nodes.items[i]->name);
	why = xasprintf("spec.serialization.dpmServer: %s names no known DPM "
	    "server (%s%s)", p->dpm_server, known.len ? "known: " :
	    "no node of role dpm-server has connected yet",
	    known.len ? known.data : "");
	strbuf_release(&known);
	return why;
}

static bool
s_sets_parallel(const policy *p)
{
	return p && p->strategy == STRATEGY_SYSTEM_SOFTWARE && p->dpm_server;
}

/* A cluster other than c whose policy asks p's DPM server for another
 * MaxAllowedParallelBackups; NULL when none does. */
static char *
s_parallel_conflict(const server *s, const cluster_state *c, const policy *p)
{
	if (!s_sets_parallel(p))
		return NULL;
	for (size_t i = 0; i < s->clusters.count; i++) {
		const cluster_state *o = s->clusters.items[i];

		if (o == c || !s_sets_parallel(o->policy) ||
		    strcasecmp(o->policy->dpm_server, p->dpm_server) != 0 ||
		    o->policy->per_node == p->per_node)
			continue;
		return xasprintf("spec.serialization.perNode: %s asks %s for "
		    "MaxAllowedParallelBackups %d, but cluster %s (revision "
		    "%lld, policy %s) asks the same DPM server for %d: one "
		    "DPM server has one value; make them equal, or give one "
		    "cluster another DPM server", c->name, p->dpm_server,
		    p->per_node, o->name, (long long)o->revision,
		    o->policy->name, o->policy->per_node);
	}
	return NULL;
}

/* The DPM server that both cluster c (policy p) and cluster o reach:
 * the one both policies name, or a known DPM server protecting both
 * (its Hello's clusters); NULL when none. */
static const char *
s_shared_dpm(const server *s, const cluster_state *c, const policy *p,
    const cluster_state *o)
{
	const char *mine = p->dpm_server, *theirs = o->policy->dpm_server;

	if (mine && theirs && strcasecmp(mine, theirs) == 0)
		return mine;
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];

		if (n->role == ROLE_DPM_SERVER && clusters_node_in(n, c) &&
		    clusters_node_in(n, o))
			return n->name;
	}
	return NULL;
}

/* A cluster other than c whose policy asks a DPM server both reach for
 * something else in its registry; NULL when none does. */
static char *
s_registry_conflict(const server *s, const cluster_state *c, const policy *p)
{
	for (size_t i = 0; i < s->clusters.count; i++) {
		const cluster_state *o = s->clusters.items[i];
		const policy_registry *mine, *theirs;
		const char *dpm;
		char *a, *b, *why;

		if (o == c || o->policy == NULL ||
		    (dpm = s_shared_dpm(s, c, p, o)) == NULL ||
		    !policy_registry_clash(p, o->policy, ROLE_DPM_SERVER,
		    &mine, &theirs))
			continue;
		a = policy_registry_describe(p, mine);
		b = policy_registry_describe(o->policy, theirs);
		why = xasprintf("%s: cluster %s asks %s for this, but cluster "
		    "%s (revision %lld, policy %s) asks it for %s: one DPM "
		    "server has one registry; make them agree, or give one "
		    "cluster another DPM server", a, c->name, dpm, o->name,
		    (long long)o->revision, o->policy->name, b);
		free(a);
		free(b);
		return why;
	}
	return NULL;
}

char *
push_dpm_conflict(const server *s, const cluster_state *c, const policy *p)
{
	char *why;

	if (p == NULL)
		return NULL;
	if ((why = s_parallel_conflict(s, c, p)) != NULL)
		return why;
	return s_registry_conflict(s, c, p);
}

char *
push_serialization_unmanaged(const server *s, const cluster_state *c)
{
	if (c == NULL || c->policy == NULL)
		return xstrdup("no policy applied");
	if (c->policy->strategy != STRATEGY_SYSTEM_SOFTWARE)
		return xstrdup("strategy hardware-saved-state serializes nothing");
	if (!c->policy->per_csv)
		return xstrdup("serialization.perCsv is false");
	return push_dpm_problem(s, c->policy);
}

/* What the DPM server dpm holds of cluster c's part of the file. */
static const char *
s_held_hash(const node_session *dpm, const cluster_state *c)
{
	const node_part *p;

	if (dpm->nclusters == 0)
		return dpm->dsgroups_hash;
	p = dpmparts_find(dpm, c->name);
	return p ? p->dsgroups_hash : NULL;
}

bool
push_plan_held(const server *s, const cluster_state *c)
{
	const node_session *dpm = push_dpm_server(s, c);
	const char *held;
	char want[65];

	if (c == NULL || dpm == NULL || !clusters_node_in(dpm, c))
		return false;
	push_expected_file_hash(s, c, want);
	held = s_held_hash(dpm, c);
	if (want[0] == '\0' || held == NULL)
		return false;
	return strcmp(held, want) == 0;
}

bool
push_node_converged(const server *s, const cluster_state *c,
    const node_session *n)
{
	int64_t rev;
	uint64_t gen;

	if (c == NULL)
		return false;
	push_wanted(s, c, n, &rev, &gen);
	return n->online && rev > 0 && push_acked_revision(n, c) == rev &&
	    push_acked_generation(n, c) == gen && n->converged;
}

bool
push_node_converged_all(const server *s, const node_session *n)
{
	bool any = false;

	for (size_t i = 0; i < s->clusters.count; i++) {
		const cluster_state *c = s->clusters.items[i];

		if (!clusters_node_in(n, c))
			continue;
		if (!push_node_converged(s, c, n))
			return false;
		any = true;
	}
	return any;
}

/* A Desired for (rev, gen) went to n recently enough not to send it
 * again yet. */
static bool
s_in_flight(const server *s, const node_session *n, int64_t rev,
    uint64_t gen, int64_t now)
{
	return n->desired_sent_mono != 0 && n->desired_sent_revision == rev &&
	    n->desired_sent_generation == gen && now - n->desired_sent_mono <
	    (int64_t)s->heartbeat_seconds * 1000 * PUSH_RESEND_HEARTBEATS;
}

/* Sends d to n and remembers what went (rev, gen) and when. */
static bool
s_send_desired(server *s, node_session *n, Hvp__Desired *d, int64_t rev,
    uint64_t gen, int64_t now)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;

	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_DESIRED;
	e.desired = d;
	if (sessions_send(s->router, n, &e) != 0)
		return false;
	n->desired_sent_mono = now;
	n->desired_sent_revision = rev;
	n->desired_sent_generation = gen;
	return true;
}

/* One cluster's part of a DPM server's desired state: as the Desired a
 * DPM server of one cluster gets, with the cluster named. Owned plan in
 * d->plan. */
static void
s_part(const server *s, const cluster_state *c, const node_session *n,
    Hvp__Desired *d)
{
	int64_t rev;
	uint64_t gen;

	hvp__desired__init(d);
	push_wanted(s, c, n, &rev, &gen);
	d->cluster = c->name;
	d->revision = rev;
	d->policy = c->policy_text;
	d->policy_hash = (char *)c->policy_hash;
	d->plan_generation = gen;
	d->plan_hash = (char *)(gen != 0 ? c->plan->hash : "");
}

/*
 * A DPM server of several clusters gets one Desired with a part for each
 * cluster it protects that has a policy, and only when it is behind on
 * one of them. Sums of what it should hold tell one state sent from the
 * next well enough to throttle re-sends; a lost message heals at the
 * next heartbeat anyway.
 */
static void
s_desired_parts(server *s, node_session *n, bool force)
{
	Hvp__Desired d = HVP__DESIRED__INIT, *parts;
	const cluster_state **of;
	int64_t now = platform_mono_ms(), sum_rev = 0;
	uint64_t sum_gen = 0;
	bool behind = false;
	size_t k = 0;

	parts = xcalloc(n->nclusters + 1, sizeof *parts);
	of = xcalloc(n->nclusters + 1, sizeof *of);
	d.parts = xcalloc(n->nclusters + 1, sizeof *d.parts);
	for (size_t i = 0; i < n->nclusters; i++) {
		cluster_state *c = clusters_find(s, n->clusters[i]);

		if (c == NULL || c->revision == 0)
			continue;
		/* Not rolled back behind the administrator's back (an older
		 * store restored): the next apply is numbered above. */
		if (push_acked_revision(n, c) > c->revision)
			goto out;
		s_part(s, c, n, &parts[k]);
		behind |= push_acked_revision(n, c) != parts[k].revision ||
		    push_acked_generation(n, c) != parts[k].plan_generation;
		sum_rev += parts[k].revision;
		sum_gen += parts[k].plan_generation;
		d.parts[k] = &parts[k];
		of[k++] = c;
	}
	d.n_parts = k;
	behind |= k != n->nparts;
	if (k == 0 || (!force && (!behind ||
	    s_in_flight(s, n, sum_rev, sum_gen, now))))
		goto out;
	/* The plans only now: most calls (heartbeats) send nothing. */
	for (size_t i = 0; i < k; i++)
		if (parts[i].plan_generation != 0)
			parts[i].plan = wire_plan_borrowed_new(of[i]->plan);
	if (s_send_desired(s, n, &d, sum_rev, sum_gen, now))
		log_debug("node=%s sent desired for %zu clusters", n->name, k);
out:
	for (size_t i = 0; i < k; i++)
		wire_plan_borrowed_free(&parts[i].plan);
	free(parts);
	free(of);
	free(d.parts);
}

void
push_desired(server *s, node_session *n, bool force)
{
	Hvp__Desired d = HVP__DESIRED__INIT;
	Hvp__Plan *pm = NULL;
	cluster_state *c = clusters_of_node(s, n);
	int64_t rev, now = platform_mono_ms();
	uint64_t gen;

	if (n->online && n->nclusters > 0) {
		s_desired_parts(s, n, force);
		return;
	}
	/* A node is only ever sent its own cluster's policy. */
	if (!n->online || c == NULL || c->revision == 0)
		return;
	/* A node that holds a newer revision than the store's current one
	 * (an older store file restored) is not rolled back behind the
	 * administrator's back: it keeps what it holds until the next apply,
	 * which is numbered above it. */
	if (n->acked_revision > c->revision)
		return;
	push_wanted(s, c, n, &rev, &gen);
	if (!force && n->acked_revision == rev && n->acked_plan_generation == gen)
		return;
	if (!force && s_in_flight(s, n, rev, gen, now))
		return;
	d.revision = rev;
	d.policy = c->policy_text;
	d.policy_hash = c->policy_hash;
	d.plan_generation = gen;
	d.plan_hash = (char *)"";
	if (gen != 0) {
		pm = wire_plan_borrowed_new(c->plan);
		d.plan = pm;
		d.plan_hash = c->plan->hash;
	}
	if (s_send_desired(s, n, &d, rev, gen, now))
		log_debug("node=%s sent desired revision %lld plan %llu", n->name,
		    (long long)rev, (unsigned long long)gen);
	wire_plan_borrowed_free(&pm);
}

void
push_all(server *s)
{
	for (size_t i = 0; i < s->nodes.count; i++)
		push_desired(s, s->nodes.items[i], false);
}

void
push_set_policy(server *s, cluster_state *c, int64_t revision, policy *p,
    char *canonical_text)
{
	(void)s;
	policy_free(&c->policy);
	free(c->policy_text);
	c->policy = p;
	c->policy_text = canonical_text;
	policy_hash(p, c->policy_hash);
	c->revision = revision;
	if (c->revision_floor < revision)
		c->revision_floor = revision;
	c->plan_dirty = true;
}

/* Whether node name (a lingering guest's last owner) is of cluster c. */
static bool
s_node_of(const server *s, const char *name, const cluster_state *c)
{
	const node_session *n = sessions_find(&s->nodes, name);

	return n && n->role == ROLE_HYPERV_NODE && clusters_node_in(n, c);
}

/* Whether n's inventory is planned in cluster c. */
static bool
s_planned_inventory(const node_session *n, const cluster_state *c)
{
	return n->inventory && n->role == ROLE_HYPERV_NODE &&
	    clusters_node_in(n, c);
}

/* What a plan's guests borrow from (plan.kept): the inventories it was
 * made of, one reference each. */
typedef struct s_kept {
	size_t n;
	invdigest *digests[];
} s_kept;

static void
s_kept_free(void *kept)
{
	s_kept *k = kept;

	for (size_t i = 0; i < k->n; i++)
		invdigest_free(&k->digests[i]);
	free(k);
}

/* Collects every hyperv-node's last reported guests of cluster c for the
 * planner, then the guests lingering on c's nodes. The reported guests'
 * volume lists point into *volumes (owned by the caller, as the result
 * is); *kept holds a reference to each inventory read, for the plan. */
static planner_guest *
s_collect_guests(server *s, const cluster_state *c, size_t *count,
    const char ***volumes, s_kept **kept_out)
{
	planner_guest *g = NULL;
	size_t n = 0, cap = 0, reported, kept, nvol = 0, ninv = 0;
	const char **vol;
	s_kept *held;

	for (size_t i = 0; i < s->nodes.count; i++)
		if (s_planned_inventory(s->nodes.items[i], c)) {
			nvol += s->nodes.items[i]->inventory->nvolume_refs;
			ninv++;
		}
	*volumes = vol = xcalloc(nvol + 1, sizeof *vol);
	*kept_out = held = xmalloc(sizeof *held + ninv * sizeof *held->digests);
	held->n = 0;
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *ns = s->nodes.items[i];
		const invdigest *d = ns->inventory;

		if (!s_planned_inventory(ns, c))
			continue;
		held->digests[held->n++] = invdigest_ref(ns->inventory);
		xgrow(&g, &cap, n + d->nguests, sizeof *g);
		for (size_t k = 0; k < d->nguests; k++) {
			const invdigest_guest *dg = &d->guests[k];

			invdigest_volumes(d, dg, vol);
			g[n++] = (planner_guest){ .name = invdigest_name(d, dg),
			    .id = invdigest_id(d, dg), .node = ns->name,
			    .digested = true, .volumes = vol,
			    .nvolumes = dg->nvolumes,
			    .unplannable = invdigest_unplannable(d, dg),
			    .rank = ns->inventory_rank, .lasting = true };
			vol += dg->nvolumes;
		}
	}
	reported = kept = n;
	linger_collect(s, &g, &n, &cap);
	for (size_t i = reported; i < n; i++)
		if (s_node_of(s, g[i].node, c))
			g[kept++] = g[i];
	*count = kept;
	return g;
}

static bool
s_have_inventories(const server *s, const cluster_state *c)
{
	for (size_t i = 0; i < s->nodes.count; i++)
		if (s_planned_inventory(s->nodes.items[i], c))
			return true;
	return false;
}

/*
 * A restarted controller knows the nodes' guests only as stored before
 * it stopped; what moved while it was down is learnt node by node. A
 * plan made before the target of a migration has spoken would drop the
 * guest from the DPM server's file. So after a start the plan waits until
 * every Hyper-V node has said Hello to this process, or LINGER_HEARTBEATS
 * heartbeats, whichever comes first (a node that stays down keeps its
 * stored guests in the plan after that).
 */
static bool
s_startup_settled(const server *s)
{
	if (platform_mono_ms() - s->started_mono >=
	    (int64_t)LINGER_HEARTBEATS * s->heartbeat_seconds * 1000)
		return true;
	for (size_t i = 0; i < s->nodes.count; i++)
		if (s->nodes.items[i]->role == ROLE_HYPERV_NODE &&
		    s->nodes.items[i]->current_mono == 0)
			return false;
	return true;
}

/* The DPM servers that hold cluster c's part of the file. */
static void
s_push_dpm(server *s, const cluster_state *c)
{
	node_session *dpm = push_dpm_server(s, c);

	if (dpm)
		push_desired(s, dpm, false);
}

/* r's plan becomes the one held, also when it is the same as the held
 * one: it borrows from the current inventories, the held one from the
 * ones they replaced (kept alive for it until now). The file hashes
 * computed for the held plan stay with its generation. */
static void
s_hold_plan(cluster_state *c, planner_result *r)
{
	if (c->file_hash_plan == c->plan)
		c->file_hash_plan = r->plan;
	plan_free(&c->plan);
	c->plan = r->plan;
	r->plan = NULL;
	planner_result_clear(r);
}

static void
s_replan(server *s, cluster_state *c)
{
	planner_result r = { 0 };
	planner_guest *guests;
	const char **volumes;
	s_kept *kept;
	size_t n;
	char *err = NULL;
	int rc;

	c->plan_dirty = false;
	if (!s_have_inventories(s, c))
		return;	/* an empty plan would empty the DPM server's file */
	guests = s_collect_guests(s, c, &n, &volumes, &kept);
	rc = planner_build(guests, n, c->plan, &r);
	free(guests);
	free(volumes);
	if (rc == -1) {
		log_warnx("cluster %s: planning failed", c->name);
		s_kept_free(kept);
		return;
	}
	r.plan->kept = kept;
	r.plan->kept_free = s_kept_free;
	conflicts_update(s, c, r.conflicts, r.nconflicts);
	if (c->plan && r.plan->generation == c->plan->generation) {
		s_hold_plan(c, &r);
		return;
	}
	/* Generations are numbered across clusters (docs/store.md). */
	if (r.plan->generation <= s->plan_generation_top)
		r.plan->generation = s->plan_generation_top + 1;
	if (store_save_plan_in(s->store, c->name, r.plan,
	    platform_now_ms() / 1000, &err) == -1) {
		log_warnx("cluster %s: cannot store plan generation %llu: %s",
		    c->name, (unsigned long long)r.plan->generation, err);
		free(err);
		planner_result_clear(&r);
		c->plan_retry = true;	/* again at the next tick, not at once */
		return;
	}
	s->plan_generation_top = r.plan->generation;
	s_hold_plan(c, &r);
	log_info("%s%s%sserialization plan generation %llu (%zu groups, %zu "
	    "unplanned)", s->clusters.count > 1 ? "cluster " : "",
	    s->clusters.count > 1 ? c->name : "",
	    s->clusters.count > 1 ? ": " : "",
	    (unsigned long long)c->plan->generation, c->plan->ngroups,
	    c->plan->nunplanned);
	s_push_dpm(s, c);
}

void
push_replan(server *s)
{
	bool all = s->plan_dirty;

	if (!all) {
		size_t i;

		for (i = 0; i < s->clusters.count; i++)
			if (s->clusters.items[i]->plan_dirty)
				break;
		if (i == s->clusters.count)
			return;
	}
	if (!s_startup_settled(s))
		return;		/* the dirty flags stay: the loop comes back */
	s->plan_dirty = false;
	for (size_t i = 0; i < s->clusters.count; i++) {
		cluster_state *c = s->clusters.items[i];

		if (all)
			c->plan_dirty = true;
		if (c->plan_dirty && c->revision > 0)
			s_replan(s, c);
	}
}
