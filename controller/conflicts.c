/*
 * conflicts.c: guests that two nodes report at once (conflicts.h).
 */
#include "conflicts.h"

#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "strbuf.h"
#include "xalloc.h"

static void
s_entry_free(conflict_entry *e)
{
	free(e->id);
	free(e->resource);
	free(e->nodes);
	free(e->first_node);
	free(e->drift_id);
	memset(e, 0, sizeof *e);
}

void
conflicts_release(conflict_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_entry_free(&t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

static conflict_entry *
s_find(conflict_table *t, const char *resource)
{
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->items[i].resource, resource) == 0)
			return &t->items[i];
	return NULL;
}

static char *
s_resource(const char *name, const char *id)
{
	return xasprintf("guest %s (%s)", name, id);
}

/* Stores the record of e with status st; -1 when the store cannot take
 * it now (the caller tries again at the next tick). */
static int
s_put(server *s, const cluster_state *c, const conflict_entry *e,
    drift_status st)
{
	drift_record rec = { 0 };
	char *err = NULL, *actual = xasprintf("reported by %s", e->nodes);
	int64_t now = platform_now_ms() / 1000;

	rec.id = e->drift_id;
	rec.cluster = c->name;
	rec.node = e->first_node;
	rec.role = ROLE_HYPERV_NODE;
	rec.kind = DRIFT_INVENTORY;
	rec.resource = e->resource;
	rec.expected = (char *)"reported by one node";
	rec.actual = actual;
	rec.policy_revision = c->revision;
	rec.mode = c->policy ? c->policy->mode : POLICY_ENFORCE;
	rec.status = st;
	rec.detected_at = e->detected_at;
	rec.resolved_at = st == DRIFT_RESOLVED ? now : 0;
	rec.received_at = now;
	rec.action = (char *)(st == DRIFT_RESOLVED ?
	    "one node reports it again" : e->same_csvs ?
	    "kept in the serialization plan once" :
	    "kept in the plan once, on the CSVs of all reports");
	if (store_put_drift(s->store, &rec, &err) == -1) {
		log_warnx("cannot store inventory drift for %s (tried again "
		    "later): %s", e->resource, err);
		free(err);
		free(actual);
		return -1;
	}
	free(actual);
	return 0;
}

static void
s_report(server *s, const cluster_state *c, conflict_entry *e)
{
	int64_t now_ms = platform_now_ms();

	e->detected_at = now_ms / 1000;
	e->drift_id = drift_make_id("controller", e->resource, now_ms);
	if (s_put(s, c, e, DRIFT_OPEN) == -1) {
		free(e->drift_id);	/* reported again at the next tick */
		e->drift_id = NULL;
		return;
	}
	log_warnx("%s is reported by %s %s", e->resource, e->nodes,
	    e->same_csvs ? "for longer than a live migration takes" :
	    "with different disks");
}

/* Resolves the reported entries no longer present, and forgets them;
 * one whose resolution the store cannot take now stays for the next
 * try. Returns how many entries remain. */
static size_t
s_resolve_gone(server *s, const cluster_state *c, conflict_table *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->count; i++) {
		conflict_entry *e = &t->items[i];

		if (!e->present && e->drift_id) {
			if (s_put(s, c, e, DRIFT_RESOLVED) == -1) {
				t->items[kept++] = *e;
				continue;
			}
			log_info("%s is reported by one node again", e->resource);
		}
		if (e->present)
			t->items[kept++] = *e;
		else
			s_entry_free(e);
	}
	return kept;
}

/* Reports cluster cl's conflicts that lasted past the grace period. */
static void
s_tick(server *s, cluster_state *cl)
{
	int64_t grace = (int64_t)CONFLICTS_GRACE_HEARTBEATS *
	    s->heartbeat_seconds * 1000, now = platform_mono_ms();

	for (size_t i = 0; i < cl->conflicts.count; i++) {
		conflict_entry *e = &cl->conflicts.items[i];

		if (e->present && e->drift_id == NULL &&
		    (!e->same_csvs || now - e->since_mono > grace))
			s_report(s, cl, e);
	}
	cl->conflicts.count = s_resolve_gone(s, cl, &cl->conflicts);
}

void
conflicts_update(server *s, cluster_state *cl, const planner_conflict *c,
    size_t n)
{
	conflict_table *t = &cl->conflicts;

	for (size_t i = 0; i < t->count; i++)
		t->items[i].present = false;
	for (size_t i = 0; i < n; i++) {
		char *res = s_resource(c[i].name, c[i].id);
		conflict_entry *e = s_find(t, res);
		strbuf nodes;

		strbuf_init(&nodes);
		for (size_t k = 0; k < c[i].nnodes; k++)
			strbuf_addf(&nodes, "%s%s", k ? ", " : "", c[i].nodes[k]);
		if (e == NULL) {
			xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
			e = &t->items[t->count++];
			memset(e, 0, sizeof *e);
			e->resource = res;
			e->id = xstrdup(c[i].id);
			e->since_mono = platform_mono_ms();
			res = NULL;
		}
		free(res);
		free(e->nodes);
		e->nodes = strbuf_detach(&nodes, NULL);
		free(e->first_node);
		e->first_node = xstrdup(c[i].nodes[0]);
		e->same_csvs = c[i].same_csvs;
		e->present = true;
	}
	t->count = s_resolve_gone(s, cl, t);
	s_tick(s, cl);
}

void
conflicts_tick(server *s)
{
	for (size_t i = 0; i < s->clusters.count; i++)
		s_tick(s, s->clusters.items[i]);
}

int
conflicts_restore(server *s, char **err)
{
	store_drift_filter f = { .open_only = true };
	drift_record *list = NULL;
	size_t n = 0;

	if (store_query_drift(s->store, &f, &list, &n, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cluster_state *c = clusters_find(s, list[i].cluster);
		conflict_table *t;
		conflict_entry *e;

		/* A record of a store from before clusters were named in it
		 * is the first (only) cluster's. */
		if (c == NULL && s->clusters.count > 0 && list[i].cluster == NULL)
			c = s->clusters.items[0];
		if (c == NULL)
			continue;
		t = &c->conflicts;
		if (list[i].kind != DRIFT_INVENTORY || s_find(t, list[i].resource))
			continue;
		xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
		e = &t->items[t->count++];
		memset(e, 0, sizeof *e);
		e->resource = xstrdup(list[i].resource);
		e->id = xstrdup("");
		e->nodes = xstrdup(list[i].actual && strncmp(list[i].actual,
		    "reported by ", 12) == 0 ? list[i].actual + 12 : "");
		e->first_node = xstrdup(list[i].node);
		e->same_csvs = true;
		e->present = true;
		e->since_mono = platform_mono_ms();
		e->drift_id = xstrdup(list[i].id);
		e->detected_at = list[i].detected_at;
	}
	store_drift_list_free(&list, n);
	return 0;
}
