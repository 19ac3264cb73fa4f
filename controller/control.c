/*
 * control.c: admin requests from the CLI (control.h).
 */
#include "control.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zmq.h>

#include "backup.h"
#include "diagnose.h"
#include "dryrun.h"
#include "dsgroups.h"
#include "events.h"
#include "log.h"
#include "progress.h"
#include "push.h"
#include "render.h"
#include "reply.h"
#include "store.h"
#include "textdiff.h"
#include "webhooks.h"
#include "wire.h"
#include "xalloc.h"
#include "zap.h"

#define CONTROL_MAX_FRAMES 3

/* ---- the cluster a request is about ---- */

/* The --cluster of request q (clusters_pick); replies with the error
 * and returns false when it names none held, or when need_one and the
 * controller holds several and q names none. */
static bool
s_pick(server *s, reply_to *c, const Hvp__AdminRequest *q, bool need_one,
    cluster_state **out)
{
	char *err = NULL;

	*out = clusters_pick(s, q->cluster, need_one, &err);
	if (err == NULL)
		return true;
	reply_text(c, 64, NULL, err);
	free(err);
	return false;
}

/* ---- status, diagnose ---- */

/* The store's count of open drift records, per session. */
static int64_t *
s_open_drift(server *s, char **err)
{
	int64_t *open = xcalloc(s->nodes.count + 1, sizeof *open);
	store_count *list = NULL;
	size_t n = 0;

	if (store_open_drift_by_node(s->store, &list, &n, err) == -1) {
		free(open);
		return NULL;
	}
	/* Both lists are in byte order of the name: one merge walk. */
	for (size_t i = 0, k = 0; i < s->nodes.count && k < n;) {
		int cmp = strcmp(list[k].name, s->nodes.items[i]->name);

		if (cmp == 0)
			open[i++] = list[k++].count;
		else if (cmp < 0)
			k++;
		else
			i++;
	}
	store_count_list_free(&list, n);
	return open;
}

/* Each webhook endpoint's state and how many events it has yet to get
 * (counted in the loop's store: the worker never waits for it). */
static void
s_webhooks(server *s, status_view *v, webhook_view **views,
    int64_t **backlog)
{
	size_t n = webhooks_count(s->hooks);
	char *err = NULL;

	*views = xcalloc(n + 1, sizeof **views);
	*backlog = xcalloc(n + 1, sizeof **backlog);
	for (size_t i = 0; i < n; i++) {
		store_event_filter f = { 0 };

		webhooks_view(s->hooks, i, &(*views)[i]);
		f.after = (*views)[i].delivered;
		f.types = (*views)[i].types;
		f.statuses = (*views)[i].statuses;
		if (store_count_events(s->store, &f, &(*backlog)[i], &err) == -1) {
			log_warnx("status: %s", err);
			free(err);
			err = NULL;
		}
	}
	v->hooks = *views;
	v->backlog = *backlog;
	v->nhooks = n;
}

static void
s_status(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	finding *f = NULL;
	status_view v = { 0 };
	webhook_view *hooks = NULL;
	char *err = NULL, **unmanaged;
	int64_t *open, *backlog = NULL;
	cluster_state *only;
	strbuf out;

	if (!s_pick(s, c, q, false, &only))
		return;
	if ((open = s_open_drift(s, &err)) == NULL) {
		reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	unmanaged = xcalloc(s->clusters.count + 1, sizeof *unmanaged);
	for (size_t i = 0; i < s->clusters.count; i++)
		unmanaged[i] = push_serialization_unmanaged(s,
		    s->clusters.items[i]);
	v.only = only;
	v.nfindings = diagnose_run(s, only, &f);
	v.open_drift = open;
	v.unmanaged = unmanaged;
	s_webhooks(s, &v, &hooks, &backlog);
	strbuf_init(&out);
	render_status(s, &v, render_is_json(q->format), q->width, &out);
	free(hooks);
	free(backlog);
	findings_free(&f, v.nfindings);
	reply_text(c, 0, out.data, NULL);
	strbuf_release(&out);
	for (size_t i = 0; i < s->clusters.count; i++)
		free(unmanaged[i]);
	free(unmanaged);
	free(open);
}

static void
s_diagnose(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	finding *f = NULL;
	cluster_state *only;
	size_t nf;
	strbuf out;

	if (!s_pick(s, c, q, false, &only))
		return;
	nf = diagnose_run(s, only, &f);
	strbuf_init(&out);
	render_findings(f, nf, render_is_json(q->format), q->width,
	    only == NULL, &out);
	findings_free(&f, nf);
	reply_text(c, nf ? 2 : 0, out.data, NULL);
	strbuf_release(&out);
}

/* ---- history, get ---- */

static void
s_history(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	store_revision *list = NULL;
	cluster_state *only;
	size_t n = 0;
	char *err = NULL;
	strbuf out;

	if (!s_pick(s, c, q, false, &only))
		return;
	if (store_list_revisions_in(s->store, only ? only->name : NULL, &list,
	    &n, &err) == -1) {
		reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	strbuf_init(&out);
	render_history(list, n, render_is_json(q->format), q->width,
	    only == NULL, &out);
	store_revision_list_free(&list, n);
	reply_text(c, 0, out.data, NULL);
	strbuf_release(&out);
}

static void
s_get(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	store_revision *r = NULL;
	cluster_state *cl;
	char *err = NULL, *msg;
	strbuf out;
	int rc;

	if (!s_pick(s, c, q, true, &cl))
		return;
	if (q->revision > 0)
		rc = store_get_revision_in(s->store, cl->name, q->revision, &r,
		    &err);
	else
		rc = store_latest_revision_in(s->store, cl->name, &r, &err);
	if (rc == -1) {
		reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	if (r == NULL) {
		msg = q->revision > 0 ?
		    xasprintf("no revision %lld (see hvpolicy history)",
		    (long long)q->revision) :
		    xstrdup("no policy applied yet (hvpolicy apply -f FILE)");
		reply_text(c, 1, NULL, msg);
		free(msg);
		return;
	}
	strbuf_init(&out);
	render_revision(r, render_is_json(q->format), &out);
	reply_text(c, 0, out.data, NULL);
	strbuf_release(&out);
	store_revision_free(&r);
}

/* ---- drift ---- */

/* The newest limit of n records (all when limit is 0): the list is
 * ordered oldest first, so they are its tail. */
static size_t
s_newest(size_t n, uint32_t limit)
{
	return limit == 0 || limit >= n ? 0 : n - limit;
}

/* The open count and --exit-code are over every matching record, not
 * only those shown. */
static void
s_drift(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	store_drift_filter f = { 0 };
	drift_record *list = NULL;
	size_t n = 0, open = 0, from;
	char *err = NULL;
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	cluster_state *only;
	strbuf out;

	if (!s_pick(s, c, q, false, &only))
		return;
	if (q->drift_records) {	/* drift --follow */
		events_request(s, c, q);
		return;
	}
	f.cluster = only ? only->name : NULL;
	f.node = q->node && *q->node ? q->node : NULL;
	f.since = q->since;
	f.open_only = q->open_only;
	if (store_query_drift(s->store, &f, &list, &n, &err) == -1) {
		reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	strbuf_init(&out);
	for (size_t i = 0; i < n; i++)
		open += list[i].status == DRIFT_OPEN;
	from = s_newest(n, q->limit);
	render_drift(n ? list + from : list, n - from, q->format, q->width,
	    only == NULL, &out);
	store_drift_list_free(&list, n);
	r.status = 0;
	r.body = out.data ? out.data : (char *)"";
	r.error = (char *)"";
	r.total = (uint32_t)open;
	r.matched = (uint32_t)n;
	r.shown = (uint32_t)(n - from);
	reply_send(c, &r);
	strbuf_release(&out);
}

/* ---- serialization ---- */

static void
s_serialization(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	const char *fmt = q->format && *q->format ? q->format : "table";
	char *xml = NULL;
	size_t len = 0;
	cluster_state *cl;
	strbuf out;

	if (!s_pick(s, c, q, true, &cl))
		return;
	if (cl->plan == NULL) {
		reply_text(c, 1, NULL, "no serialization plan yet: no node has "
		    "reported its guests");
		return;
	}
	strbuf_init(&out);
	r.error = (char *)"";
	if (strcmp(fmt, "dpm-xml") == 0) {
		if (dsgroups_render(cl->plan, &xml, &len) == -1) {
			reply_text(c, 1, NULL, "cannot render the plan");
			strbuf_release(&out);
			return;
		}
		r.data.data = (uint8_t *)xml;
		r.data.len = len;
	} else {
		render_plan(cl->plan, fmt, q->width, &out);
	}
	r.body = out.data;
	reply_send(c, &r);
	free(xml);
	strbuf_release(&out);
}

/* ---- apply, rollback, progress ---- */

/* Who asked: the admin key's name on the remote port, the peer's user
 * (its uid's name, from the control socket's credentials) locally. What
 * the client says of itself (applied_by) is never believed. */
static char *
s_who(const reply_to *c, const Hvp__AdminRequest *q)
{
	(void)q;
	if (c->remote)
		return xstrdup(c->user ? c->user : "admin");
	return xstrdup(c->user ? c->user : "local (no peer credentials)");
}

/* Refuses apply or rollback without --change-id when the controller
 * requires one; true when refused. */
static bool
s_needs_change_id(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	if (!s->require_change_id || (q->change_id && *q->change_id))
		return false;
	reply_text(c, 1, NULL, "this controller requires a change record: "
	    "give --change-id ID (and --message TEXT) naming the approved "
	    "change (requireChangeId: true)");
	return true;
}

static const char *
s_opt(const char *v)
{
	return v && *v ? v : NULL;
}

/* A policy text sent by a client, parsed here (a client cannot smuggle
 * an invalid policy in) and checked against the clusters this
 * controller holds (and the request's --cluster, when given). Returns
 * the parsed policy (owned) and its cluster, or NULL after replying with
 * the errors. */
static policy *
s_candidate(server *s, reply_to *c, const Hvp__AdminRequest *q,
    const char *label, const char *text, size_t len, cluster_state **cl)
{
	diag_list d;
	policy *p;
	char *err, *list;

	diag_list_init(&d);
	p = policy_parse(label, text ? text : "", len, &d);
	if (p == NULL) {
		diag_sort(&d);
		err = diag_join(&d);
		reply_text(c, 1, NULL, err);
		free(err);
		diag_list_release(&d);
		return NULL;
	}
	diag_list_release(&d);
	if ((*cl = clusters_find(s, p->cluster)) == NULL) {
		list = clusters_list(s);
		err = s->clusters.count == 1 ? xasprintf("%s: spec.cluster is "
		    "%s but this controller holds cluster %s", label,
		    p->cluster, list) : xasprintf("%s: spec.cluster is %s but "
		    "this controller holds clusters %s", label, p->cluster, list);
		reply_text(c, 1, NULL, err);
		free(list);
		free(err);
		policy_free(&p);
		return NULL;
	}
	if (q->cluster && *q->cluster && strcasecmp(q->cluster,
	    (*cl)->name) != 0) {
		err = xasprintf("%s: spec.cluster is %s, not %s (--cluster): "
		    "the policy says which cluster it is for", label,
		    p->cluster, q->cluster);
		reply_text(c, 64, NULL, err);
		free(err);
		policy_free(&p);
		return NULL;
	}
	return p;
}

/* Refuses a policy that asks a DPM server for another perNode or
 * registry setting than another cluster's current policy does (no
 * --force: one DPM server has one value); true when refused. */
static bool
s_conflicting(server *s, reply_to *c, const cluster_state *cl,
    const policy *p, const char *label)
{
	char *why = push_dpm_conflict(s, cl, p), *msg;

	if (why == NULL)
		return false;
	msg = xasprintf("%s: %s", label, why);
	reply_text(c, 1, NULL, msg);
	free(msg);
	free(why);
	return true;
}

static void
s_reply_revision(reply_to *c, const cluster_state *cl, int64_t rev,
    const char *note)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	char *body = xasprintf("revision %lld\n%s", (long long)rev,
	    note ? note : "");

	r.body = body;
	r.error = (char *)"";
	r.revision = rev;
	r.cluster = cl->name;
	reply_send(c, &r);
	free(body);
}

/* Parses, checks the cluster and the live cluster (unless force), stores
 * as a new revision (unless it equals the current one) and pushes.
 * Replies itself. */
static void
s_store_and_push(server *s, reply_to *c, const char *label, const char *text,
    size_t len, const char *who, const char *source,
    const Hvp__AdminRequest *q)
{
	char *canon, hash[POLICY_HASH_HEX + 1], *err = NULL;
	store_change ch = { 0 };
	bool force = q->force;
	int64_t rev = 0;
	cluster_state *cl;
	policy *p;

	if ((p = s_candidate(s, c, q, label, text, len, &cl)) == NULL)
		return;
	if (s_conflicting(s, c, cl, p, label)) {
		policy_free(&p);
		return;
	}
	if (!force && (err = push_dpm_problem(s, p)) != NULL) {
		char *msg = xasprintf("%s: %s; fix the name, or apply --force if "
		    "that DPM server has not connected yet", label, err);

		reply_text(c, 1, NULL, msg);
		free(msg);
		free(err);
		policy_free(&p);
		return;
	}
	policy_hash(p, hash);
	if (cl->revision > 0 && strcmp(hash, cl->policy_hash) == 0 &&
	    cl->revision_floor <= cl->revision) {
		s_reply_revision(c, cl, cl->revision, "unchanged: the policy "
		    "equals the current revision\n");
		policy_free(&p);
		return;
	}
	canon = policy_canonical(p);
	ch.cluster = cl->name;
	ch.text = canon;
	ch.hash = hash;
	ch.applied_by = who;
	ch.source = source;
	ch.change_id = s_opt(q->change_id);
	ch.message = s_opt(q->message);
	ch.rollback_of = strcmp(q->verb, "rollback") == 0 ? q->revision : 0;
	ch.applied_at = platform_now_ms() / 1000;
	if (store_add_change(s->store, &ch, &rev, &err) == -1) {
		reply_text(c, 1, NULL, err);
		free(err);
		free(canon);
		policy_free(&p);
		return;
	}
	push_set_policy(s, cl, rev, p, canon);
	log_info("%s%s%srevision %lld applied by %s (%s)%s%s",
	    s->clusters.count > 1 ? "cluster " : "",
	    s->clusters.count > 1 ? cl->name : "",
	    s->clusters.count > 1 ? ": " : "", (long long)rev, who,
	    source, ch.change_id ? " change " : "",
	    ch.change_id ? ch.change_id : "");
	push_replan(s);
	push_all(s);
	s_reply_revision(c, cl, rev, NULL);
}

static void
s_apply(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	char *who, *source;
	const char *label = q->source && *q->source ? q->source : "<policy>";

	if (s_needs_change_id(s, c, q))
		return;
	who = s_who(c, q);
	source = xasprintf("apply -f %s", label);
	s_store_and_push(s, c, label, q->policy.len ? (const char *)q->policy.data : "",
	    q->policy.len, who, source, q);
	free(source);
	free(who);
}

static void
s_rollback(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	store_revision *r = NULL;
	char *err = NULL, *who, *source, *label;
	cluster_state *cl;

	if (s_needs_change_id(s, c, q) || !s_pick(s, c, q, true, &cl))
		return;
	if (store_get_revision_in(s->store, cl->name, q->revision, &r,
	    &err) == -1 || r == NULL) {
		if (err == NULL)
			err = xasprintf("no revision %lld (see hvpolicy history)",
			    (long long)q->revision);
		reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	who = s_who(c, q);
	source = xasprintf("rollback %lld", (long long)q->revision);
	label = xasprintf("<revision %lld>", (long long)q->revision);
	s_store_and_push(s, c, label, r->text, strlen(r->text), who, source,
	    q);
	free(label);
	free(source);
	free(who);
	store_revision_free(&r);
}

/* Its open drift records as resolved by forgetting it; owned. */
static int
s_resolved_by_forget(server *s, const char *node, const char *who,
    drift_record **list, size_t *n, char **err)
{
	store_drift_filter f = { .node = node, .open_only = true };
	int64_t now = platform_now_ms() / 1000;

	if (store_query_drift(s->store, &f, list, n, err) == -1)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		drift_record *r = &(*list)[i];

		r->status = DRIFT_RESOLVED;
		r->resolved_at = now;
		r->received_at = now;
		free(r->action);
		r->action = xasprintf("node forgotten by %s (hvpolicy forget)",
		    who);
	}
	return 0;
}

/*
 * forget NODE: a node taken out of the cluster (docs/cli.md). Its record
 * and inventory go, so its guests leave the plan and it leaves status;
 * its open drift is resolved, its drift history kept. Refused while it
 * is online: a running daemon would come back at its next Hello.
 */
static void
s_forget(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	node_session *n = q->node ? sessions_find(&s->nodes, q->node) : NULL;
	drift_record *list = NULL;
	size_t count = 0;
	char *who, *err = NULL, *msg;

	if (n == NULL) {
		msg = xasprintf("no node %s (hvpolicy status lists them)",
		    q->node ? q->node : "");
		reply_text(c, 1, NULL, msg);
		free(msg);
		return;
	}
	if (n->online) {
		msg = xasprintf("%s is online: stop its daemon first (a running "
		    "daemon comes back at its next Hello; remove its key from "
		    "nodeKeys too if it must not)", n->name);
		reply_text(c, 1, NULL, msg);
		free(msg);
		return;
	}
	who = s_who(c, q);
	if (s_resolved_by_forget(s, n->name, who, &list, &count, &err) == -1 ||
	    store_forget_node(s->store, n->name, list, count,
	    platform_now_ms() / 1000, &err) == -1) {
		reply_text(c, 1, NULL, err);
		free(err);
		free(who);
		store_drift_list_free(&list, count);
		return;
	}
	log_info("node=%s forgotten by %s; %zu open drift record(s) resolved",
	    n->name, who, count);
	msg = xasprintf("forgot %s: its guests leave the serialization plan; "
	    "%zu open drift record(s) resolved, its drift history kept\n",
	    n->name, count);
	sessions_remove(&s->nodes, n->name);
	s->plan_dirty = true;
	reply_text(c, 0, msg, NULL);
	free(msg);
	free(who);
	store_drift_list_free(&list, count);
}

static void
s_progress(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	progress_request(s, c, q);
}

static void
s_events(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	cluster_state *only;

	if (s_pick(s, c, q, false, &only))
		events_request(s, c, q);
}

/* ---- plan (dry run on every online node) ---- */

/* The plan the DPM server holds now of cluster cl, as far as the store
 * knows it: the generation it acknowledged, when the current policy
 * manages the file. Owned; NULL for none. */
static plan *
s_held_plan(server *s, const cluster_state *cl)
{
	const node_session *dpm = push_dpm_server(s, cl);
	char *unmanaged = push_serialization_unmanaged(s, cl), *err = NULL;
	uint64_t gen = dpm ? push_acked_generation(dpm, cl) : 0;
	plan *p = NULL;

	if (unmanaged == NULL && gen > 0) {
		if (cl->plan && cl->plan->generation == gen)
			p = plan_dup(cl->plan);
		else if (store_load_plan(s->store, gen, &p, &err) == -1) {
			log_warnx("plan: %s", err);
			free(err);
		}
	}
	free(unmanaged);
	return p;
}

/* What `plan` prints before the nodes' answers: the DPM server's file
 * before and after, and the policy against the current revision. */
static char *
s_plan_preface(server *s, const cluster_state *cl, const policy *p,
    const char *canon, const char *dpm_problem)
{
	bool manages = p->strategy == STRATEGY_SYSTEM_SOFTWARE && p->per_csv &&
	    dpm_problem == NULL;
	plan *held = s_held_plan(s, cl);
	strbuf out, changes;
	size_t n;

	strbuf_init(&out);
	strbuf_init(&changes);
	if (dpm_problem)
		strbuf_addf(&out, "warning: %s: serialization would be "
		    "unmanaged (apply refuses it without --force)\n\n",
		    dpm_problem);
	if (s->clusters.count > 1)
		strbuf_addf(&out, "cluster %s\n\n", cl->name);
	if (manages || held) {
		n = plan_diff(held, manages ? cl->plan : NULL, &changes);
		strbuf_addf(&out, "DataSourceGroups.xml on %s:%s\n%s\n",
		    p->dpm_server ? p->dpm_server : "the DPM server",
		    n ? "" : " no change", changes.data);
	}
	strbuf_reset(&changes);
	if (cl->policy_text == NULL) {
		strbuf_addstr(&out, "policy: no revision applied yet\n\n");
	} else {
		n = textdiff_lines(cl->policy_text, canon, &changes);
		strbuf_addf(&out, "policy against revision %lld:%s\n%s\n",
		    (long long)cl->revision, n ? "" : " the same", changes.data);
	}
	strbuf_release(&changes);
	plan_free(&held);
	return strbuf_detach(&out, NULL);
}

static void
s_plan(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	const char *label = q->source && *q->source ? q->source : "<policy>";
	char *canon, *preface, *problem;
	cluster_state *cl;
	policy *p;

	if ((p = s_candidate(s, c, q, label, (const char *)q->policy.data,
	    q->policy.len, &cl)) == NULL)
		return;
	if (s_conflicting(s, c, cl, p, label)) {
		policy_free(&p);
		return;
	}
	canon = policy_canonical(p);
	problem = push_dpm_problem(s, p);
	preface = s_plan_preface(s, cl, p, canon, problem);
	dryrun_start(s, c, cl, q->format, q->width, canon, preface, problem);
	free(problem);
	free(preface);
	free(canon);
	policy_free(&p);
}

/* ---- backup (controller/backup.c makes and reads the copy) ---- */

static void
s_backup(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	char *err = NULL;

	if (backup_part(s->store, q->token, q->offset, &r, &err) == -1) {
		log_warnx("backup: %s", err);
		reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	r.body = (char *)"";
	r.error = (char *)"";
	reply_send(c, &r);
	free(r.data.data);
}

/* ---- dispatch ---- */

typedef struct control_verb {
	const char *name;
	void (*fn)(server *s, reply_to *c, const Hvp__AdminRequest *q);
	bool writes;		/* refused to read-only admin keys (not one
				 * of the contract's read verbs) */
} control_verb;

static const control_verb s_verbs[] = {
	{ "apply", s_apply, true },
	{ "backup", s_backup, true },	/* the whole store: not a read verb */
	{ "diagnose", s_diagnose, false },
	{ "drift", s_drift, false },
	{ "events", s_events, false },
	{ "forget", s_forget, true },
	{ "get", s_get, false },
	{ "history", s_history, false },
	{ "plan", s_plan, false },
	{ "progress", s_progress, false },
	{ "rollback", s_rollback, true },
	{ "serialization", s_serialization, false },
	{ "status", s_status, false },
};

static void
s_dispatch(server *s, reply_to *c, const Hvp__AdminRequest *q)
{
	char *msg;

	for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++) {
		if (q->verb == NULL || strcmp(q->verb, s_verbs[i].name) != 0)
			continue;
		if (s_verbs[i].writes && c->read_only) {
			log_warnx("control: refused %s to read-only admin key "
			    "%s", q->verb, c->user ? c->user : "?");
			msg = xasprintf("admin key %s may only read (it is in "
			    "adminReadKeys); %s needs a key in adminKeys",
			    c->user ? c->user : "?", q->verb);
			reply_text(c, 1, NULL, msg);
			free(msg);
			return;
		}
		s_verbs[i].fn(s, c, q);
		return;
	}
	reply_text(c, 64, NULL, "unknown request");
}

static void
s_serve(server *s, reply_to *c, const void *data, size_t len)
{
	Hvp__AdminRequest *q;
	char *err = NULL;

	q = wire_decode_admin_request(data, len, &err);
	if (q == NULL) {
		log_warnx("control: %s", err);
		reply_text(c, 1, NULL, err);
	} else {
		log_debug("control: %s", q->verb);
		c->parts = q->parts;
		s_dispatch(s, c, q);
	}
	wire_admin_request_free(&q);
	free(err);
}

void
control_request(server *s, void *socket, const wire_rid *rid,
    const char *user, const void *data, size_t len)
{
	reply_to c = { 0 };

	c.socket = socket;
	c.rid = *rid;
	c.remote = user != NULL;
	c.user = user;
	s_serve(s, &c, data, len);
}

/* The local peer's user from the connection's credentials. libzmq reads
 * SO_PEERCRED when an ipc connection is accepted and appends
 * ":UID:GID:PID" to the connection's Peer-Address property (libzmq
 * src/stream_engine_base.cpp; ZMQ_HAVE_SO_PEERCRED on Linux). NULL when
 * the property is missing or not in that form. Owned. */
static char *
s_peer_user(zmq_msg_t *m)
{
	const char *addr = zmq_msg_gets(m, "Peer-Address");
	const char *colon[3];	/* before uid, gid, pid */
	const char *p;
	unsigned long uid;
	char *end;
	int k = 2;

	if (addr == NULL)
		return NULL;
	for (p = addr + strlen(addr); p > addr && k >= 0; p--)
		if (p[-1] == ':')
			colon[k--] = p - 1;
	if (k >= 0 || colon[1] == colon[0] + 1)
		return NULL;
	uid = strtoul(colon[0] + 1, &end, 10);
	if (end != colon[1])
		return NULL;
	return platform_uid_name(uid);
}

void
control_handle(server *s, void *socket)
{
	zmq_msg_t frames[CONTROL_MAX_FRAMES];
	size_t n = 0;
	int more = 1;
	const char *uid = NULL;
	char *peer = NULL;
	reply_to c = { 0 };

	/* Read every frame of the message, keeping the first three. */
	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, socket, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&m);
			break;
		}
		more = zmq_msg_more(&m);
		if (n < CONTROL_MAX_FRAMES)
			frames[n++] = m;
		else
			zmq_msg_close(&m);
	}
	if (n != 3 || zmq_msg_size(&frames[1]) != 0 ||
	    zmq_msg_size(&frames[0]) == 0 ||
	    zmq_msg_size(&frames[0]) > WIRE_MAX_ROUTING_ID) {
		log_warnx("control: malformed request (%zu frames); dropped", n);
		goto out;
	}
	if (socket == s->admin) {
		uid = zmq_msg_gets(&frames[2], "User-Id");
		if (uid && strncmp(uid, ZAP_READER_PREFIX,
		    strlen(ZAP_READER_PREFIX)) == 0) {
			c.read_only = true;
			uid += strlen(ZAP_READER_PREFIX);
		} else if (uid && strncmp(uid, ZAP_ADMIN_PREFIX,
		    strlen(ZAP_ADMIN_PREFIX)) == 0) {
			uid += strlen(ZAP_ADMIN_PREFIX);
		} else {
			log_warnx("control: remote request without an admin key; "
			    "dropped");
			goto out;
		}
		c.remote = true;
		c.user = uid;
	} else {
		c.user = peer = s_peer_user(&frames[2]);
	}
	c.socket = socket;
	c.rid.len = zmq_msg_size(&frames[0]);
	memcpy(c.rid.data, zmq_msg_data(&frames[0]), c.rid.len);
	s_serve(s, &c, zmq_msg_data(&frames[2]), zmq_msg_size(&frames[2]));
out:
	free(peer);
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&frames[i]);
}
