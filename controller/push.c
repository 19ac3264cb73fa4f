/*
 * push.c: what each node should hold and getting it there (push.h).
 */
#include "push.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conflicts.h"
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
s_manages_file(const server *s)
{
	return s->policy && s->policy->strategy == STRATEGY_SYSTEM_SOFTWARE &&
	    s->policy->per_csv;
}

static bool
s_is_dpm_server(const server *s, const node_session *n)
{
	return s->policy && s->policy->dpm_server &&
	    n->role == ROLE_DPM_SERVER &&
	    strcasecmp(n->name, s->policy->dpm_server) == 0;
}

void
push_wanted(const server *s, const node_session *n, int64_t *revision,
    uint64_t *generation)
{
	*revision = s->revision;
	*generation = 0;
	if (s->plan && s_manages_file(s) && s_is_dpm_server(s, n))
		*generation = s->plan->generation;
}

const char *
push_expected_file_hash(const server *s, char out[65])
{
	out[0] = '\0';
	if (s->plan && s_manages_file(s))
		dsgroups_plan_hash(s->plan, out);
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

node_session *
push_dpm_server(const server *s)
{
	if (s->policy == NULL)
		return NULL;
	return s_find_dpm(s, s->policy->dpm_server);
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

char *
push_serialization_unmanaged(const server *s)
{
	if (s->policy == NULL)
		return xstrdup("no policy applied");
	if (s->policy->strategy != STRATEGY_SYSTEM_SOFTWARE)
		return xstrdup("strategy hardware-saved-state serializes nothing");
	if (!s->policy->per_csv)
		return xstrdup("serialization.perCsv is false");
	return push_dpm_problem(s, s->policy);
}

bool
push_plan_held(const server *s)
{
	const node_session *dpm = push_dpm_server(s);
	char want[65];

	push_expected_file_hash(s, want);
	if (want[0] == '\0' || dpm == NULL || dpm->dsgroups_hash == NULL)
		return false;
	return strcmp(dpm->dsgroups_hash, want) == 0;
}

bool
push_node_converged(const server *s, const node_session *n)
{
	int64_t rev;
	uint64_t gen;

	push_wanted(s, n, &rev, &gen);
	return n->online && rev > 0 && n->acked_revision == rev &&
	    n->acked_plan_generation == gen && n->converged;
}

void
push_desired(server *s, node_session *n, bool force)
{
	Hvp__Desired d = HVP__DESIRED__INIT;
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	Hvp__Plan *pm = NULL;
	int64_t rev, now = platform_mono_ms();
	uint64_t gen;

	if (!n->online || s->revision == 0)
		return;
	/* A node that holds a newer revision than the store's current one
	 * (an older store file restored) is not rolled back behind the
	 * administrator's back: it keeps what it holds until the next apply,
	 * which is numbered above it. */
	if (n->acked_revision > s->revision)
		return;
	push_wanted(s, n, &rev, &gen);
	if (!force && n->acked_revision == rev && n->acked_plan_generation == gen)
		return;
	if (!force && n->desired_sent_mono != 0 &&
	    n->desired_sent_revision == rev &&
	    n->desired_sent_generation == gen &&
	    now - n->desired_sent_mono <
	    (int64_t)s->heartbeat_seconds * 1000 * PUSH_RESEND_HEARTBEATS)
		return;
	d.revision = rev;
	d.policy = s->policy_text;
	d.policy_hash = s->policy_hash;
	d.plan_generation = gen;
	d.plan_hash = (char *)"";
	if (gen != 0) {
		pm = wire_plan_new(s->plan);
		d.plan = pm;
		d.plan_hash = s->plan->hash;
	}
	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_DESIRED;
	e.desired = &d;
	if (sessions_send(s->router, n, &e) == 0) {
		n->desired_sent_mono = now;
		n->desired_sent_revision = rev;
		n->desired_sent_generation = gen;
		log_debug("node=%s sent desired revision %lld plan %llu", n->name,
		    (long long)rev, (unsigned long long)gen);
	}
	wire_plan_free(&pm);
}

void
push_all(server *s)
{
	for (size_t i = 0; i < s->nodes.count; i++)
		push_desired(s, s->nodes.items[i], false);
}

void
push_set_policy(server *s, int64_t revision, policy *p, char *canonical_text)
{
	policy_free(&s->policy);
	free(s->policy_text);
	s->policy = p;
	s->policy_text = canonical_text;
	policy_hash(p, s->policy_hash);
	s->revision = revision;
	if (s->revision_floor < revision)
		s->revision_floor = revision;
	s->plan_dirty = true;
}

/* Collects every hyperv-node's last reported guests for the planner. */
static planner_guest *
s_collect_guests(server *s, size_t *count)
{
	planner_guest *g = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < s->nodes.count; i++) {
		node_session *ns = s->nodes.items[i];

		if (ns->inventory == NULL || ns->role != ROLE_HYPERV_NODE)
			continue;
		for (size_t k = 0; k < ns->inventory->n_guests; k++) {
			Hvp__Guest *mg = ns->inventory->guests[k];

			xgrow(&g, &cap, n + 1, sizeof *g);
			g[n].name = mg->name;
			g[n].id = mg->id;
			g[n].node = ns->name;
			g[n].paths = (const char *const *)mg->paths;
			g[n].npaths = mg->n_paths;
			g[n].rank = ns->inventory_rank;
			n++;
		}
	}
	linger_collect(s, &g, &n, &cap);
	*count = n;
	return g;
}

static bool
s_have_inventories(const server *s)
{
	for (size_t i = 0; i < s->nodes.count; i++)
		if (s->nodes.items[i]->inventory &&
		    s->nodes.items[i]->role == ROLE_HYPERV_NODE)
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

void
push_replan(server *s)
{
	planner_result r = { 0 };
	planner_guest *guests;
	size_t n;
	char *err = NULL;
	node_session *dpm;

	if (!s_startup_settled(s))
		return;		/* plan_dirty stays: the loop comes back */
	s->plan_dirty = false;
	if (!s_have_inventories(s))
		return;	/* an empty plan would empty the DPM server's file */
	guests = s_collect_guests(s, &n);
	if (planner_build(guests, n, s->plan, &r) == -1) {
		log_warnx("planning failed");
		free(guests);
		return;
	}
	free(guests);
	conflicts_update(s, r.conflicts, r.nconflicts);
	if (s->plan && r.plan->generation == s->plan->generation) {
		planner_result_clear(&r);
		return;
	}
	if (store_save_plan(s->store, r.plan, platform_now_ms() / 1000, &err) == -1) {
		log_warnx("cannot store plan generation %llu: %s",
		    (unsigned long long)r.plan->generation, err);
		free(err);
		planner_result_clear(&r);
		s->plan_retry = true;	/* again at the next tick, not at once */
		return;
	}
	plan_free(&s->plan);
	s->plan = r.plan;
	r.plan = NULL;
	planner_result_clear(&r);
	log_info("serialization plan generation %llu (%zu groups, %zu unplanned)",
	    (unsigned long long)s->plan->generation, s->plan->ngroups,
	    s->plan->nunplanned);
	dpm = push_dpm_server(s);
	if (dpm)
		push_desired(s, dpm, false);
}
