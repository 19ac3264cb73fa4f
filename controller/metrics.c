/*
 * metrics.c: what the controller publishes at metricsListen (metrics.h);
 * the text format is promtext.h's, the HTTP server promserve.h's.
 */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "log.h"
#include "platform.h"
#include "promserve.h"
#include "promtext.h"
#include "push.h"
#include "server.h"
#include "store.h"
#include "strbuf.h"
#include "webhooks.h"
#include "xalloc.h"

struct metrics {
	promserve *serve;
	int64_t next_mono;
	int64_t rev;		/* revision being timed */
	int64_t rev_since_mono;
	bool rev_done;
	double converge_s;	/* last apply-to-converged, < 0: none yet */
};

metrics *
metrics_start(const char *listen, char **err)
{
	metrics *m = xcalloc(1, sizeof *m);

	m->converge_s = -1;
	if ((m->serve = promserve_start(listen, err)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_stop(metrics **mp)
{
	metrics *m = mp ? *mp : NULL;

	if (m == NULL)
		return;
	promserve_stop(&m->serve);
	free(m);
	*mp = NULL;
}

/* ---- rendering ---- */

static void
s_nodes(strbuf *b, server *s)
{
	int64_t online = 0, converged = 0, compliant = 0;
	store_count *list = NULL;
	size_t n = 0, with_drift = 0;
	char *err = NULL;

	for (size_t i = 0; i < s->nodes.count; i++) {
		online += s->nodes.items[i]->online;
		converged += push_node_converged_all(s, s->nodes.items[i]);
	}
	if (store_open_drift_by_node(s->store, &list, &n, &err) == -1) {
		log_warnx("metrics: %s", err);
		free(err);
	} else {
		for (size_t i = 0; i < n; i++)
			with_drift += sessions_find(&s->nodes, list[i].name) !=
			    NULL;
		store_count_list_free(&list, n);
	}
	compliant = (int64_t)(s->nodes.count - with_drift);
	promtext_head(b, "hvpolicy_nodes", "gauge", "Nodes known to the controller, "
	    "online, converged on the current revision, and compliant (no "
	    "open drift).");
	strbuf_addf(b, "hvpolicy_nodes{state=\"known\"} %zu\n", s->nodes.count);
	strbuf_addf(b, "hvpolicy_nodes{state=\"online\"} %lld\n",
	    (long long)online);
	strbuf_addf(b, "hvpolicy_nodes{state=\"converged\"} %lld\n",
	    (long long)converged);
	strbuf_addf(b, "hvpolicy_nodes{state=\"compliant\"} %lld\n",
	    (long long)compliant);
}

static void
s_drift(strbuf *b, server *s, const store_stats *st)
{
	int64_t open[STORE_NKINDS];
	char *err = NULL;

	if (store_open_drift_by_kind(s->store, open, &err) == -1) {
		log_warnx("metrics: %s", err);
		free(err);
		memset(open, 0, sizeof open);
	}
	promtext_head(b, "hvpolicy_open_drift", "gauge", "Open drift records by "
	    "kind.");
	for (int k = 0; k < STORE_NKINDS; k++)
		strbuf_addf(b, "hvpolicy_open_drift{kind=\"%s\"} %lld\n",
		    DRIFT_KIND_NAMES[k], (long long)open[k]);
	promtext_head(b, "hvpolicy_drift_transitions_total", "counter", "Drift "
	    "transitions stored since the controller started, by kind and "
	    "status.");
	for (int k = 0; k < STORE_NKINDS; k++)
		for (int t = 0; t < STORE_NSTATUSES; t++)
			strbuf_addf(b, "hvpolicy_drift_transitions_total{kind="
			    "\"%s\",status=\"%s\"} %llu\n", DRIFT_KIND_NAMES[k],
			    DRIFT_STATUS_NAMES[t],
			    (unsigned long long)st->transitions[k][t]);
}

/* A controller of one cluster: unlabelled, as before several could be
 * held; of several: one line per cluster, labelled. */
static void
s_cluster_gauge(strbuf *b, const server *s, const char *name,
    const cluster_state *c, unsigned long long v)
{
	if (s->clusters.count == 1) {
		strbuf_addf(b, "%s %llu\n", name, v);
		return;
	}
	strbuf_addf(b, "%s{cluster=\"", name);
	promtext_label(b, c->name);
	strbuf_addf(b, "\"} %llu\n", v);
}

static void
s_cluster_gauges(strbuf *b, const server *s)
{
	promtext_head(b, "hvpolicy_revision", "gauge", "Current policy revision (0: "
	    "none).");
	for (size_t i = 0; i < s->clusters.count; i++)
		s_cluster_gauge(b, s, "hvpolicy_revision", s->clusters.items[i],
		    (unsigned long long)s->clusters.items[i]->revision);
	promtext_head(b, "hvpolicy_plan_generation", "gauge", "Current serialization "
	    "plan generation (0: none).");
	for (size_t i = 0; i < s->clusters.count; i++) {
		const cluster_state *c = s->clusters.items[i];

		s_cluster_gauge(b, s, "hvpolicy_plan_generation", c,
		    (unsigned long long)(c->plan ? c->plan->generation : 0));
	}
}

static void
s_state(strbuf *b, metrics *m, server *s, const store_stats *st)
{
	promtext_head(b, "hvpolicy_info", "gauge", "The clusters this controller "
	    "holds (always 1, one line each).");
	for (size_t i = 0; i < s->clusters.count; i++) {
		strbuf_addstr(b, "hvpolicy_info{cluster=\"");
		promtext_label(b, s->clusters.items[i]->name);
		strbuf_addstr(b, "\"} 1\n");
	}
	s_cluster_gauges(b, s);
	promtext_head(b, "hvpolicy_event_seq", "gauge", "Number of the newest event.");
	strbuf_addf(b, "hvpolicy_event_seq %lld\n",
	    (long long)store_last_event(s->store));
	promtext_head(b, "hvpolicy_event_pruned_seq", "gauge", "Number of the "
	    "newest event pruned (eventRetentionDays; 0: none).");
	strbuf_addf(b, "hvpolicy_event_pruned_seq %lld\n",
	    (long long)store_events_pruned(s->store));
	if (m->converge_s >= 0) {
		promtext_head(b, "hvpolicy_apply_converged_seconds", "gauge",
		    "Seconds from the last revision becoming current to every "
		    "online node converged on it.");
		strbuf_addf(b, "hvpolicy_apply_converged_seconds %.3f\n",
		    m->converge_s);
	}
	promtext_head(b, "hvpolicy_store_commit_seconds", "summary", "Time spent "
	    "committing store transactions (millisecond clock).");
	strbuf_addf(b, "hvpolicy_store_commit_seconds_sum %.3f\n"
	    "hvpolicy_store_commit_seconds_count %llu\n",
	    st->commit_seconds_sum, (unsigned long long)st->commits);
	promtext_head(b, "hvpolicy_store_commit_last_seconds", "gauge", "The last "
	    "commit's duration.");
	strbuf_addf(b, "hvpolicy_store_commit_last_seconds %.3f\n",
	    st->commit_seconds_last);
}

static void
s_webhook_line(strbuf *b, const char *name, const webhook_view *v,
    long long value)
{
	strbuf_addf(b, "%s{endpoint=\"", name);
	promtext_label(b, v->name);
	strbuf_addf(b, "\"} %lld\n", value);
}

static void
s_webhooks(strbuf *b, server *s)
{
	size_t n = webhooks_count(s->hooks);
	webhook_view *v = xcalloc(n + 1, sizeof *v);
	int64_t *depth = xcalloc(n + 1, sizeof *depth);
	char *err = NULL;

	for (size_t i = 0; i < n; i++) {
		store_event_filter f = { 0 };

		webhooks_view(s->hooks, i, &v[i]);
		f.after = v[i].delivered;
		f.types = v[i].types;
		f.statuses = v[i].statuses;
		if (store_count_events(s->store, &f, &depth[i], &err) == -1) {
			log_warnx("metrics: %s", err);
			free(err);
			err = NULL;
		}
	}
	promtext_head(b, "hvpolicy_webhook_deliveries_total", "counter",
	    "Events delivered (2xx answers), per endpoint.");
	for (size_t i = 0; i < n; i++)
		s_webhook_line(b, "hvpolicy_webhook_deliveries_total", &v[i],
		    (long long)v[i].deliveries);
	promtext_head(b, "hvpolicy_webhook_failures_total", "counter", "Failed "
	    "delivery attempts, per endpoint.");
	for (size_t i = 0; i < n; i++)
		s_webhook_line(b, "hvpolicy_webhook_failures_total", &v[i],
		    (long long)v[i].failures);
	promtext_head(b, "hvpolicy_webhook_outbox_events", "gauge", "Events waiting "
	    "for delivery, per endpoint.");
	for (size_t i = 0; i < n; i++)
		s_webhook_line(b, "hvpolicy_webhook_outbox_events", &v[i],
		    (long long)depth[i]);
	free(depth);
	free(v);
}

/* Times the current revision from when this loop first saw it to when
 * every online node (at least one) is converged on it. */
static void
s_time_convergence(metrics *m, server *s, int64_t now)
{
	size_t online = 0, converged = 0;
	int64_t revs = 0;

	/* Several clusters: any cluster's new revision starts the clock. */
	for (size_t i = 0; i < s->clusters.count; i++)
		revs += s->clusters.items[i]->revision;
	if (revs != m->rev) {
		m->rev = revs;
		m->rev_since_mono = now;
		m->rev_done = false;
	}
	if (m->rev_done || revs == 0)
		return;
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];

		online += n->online;
		converged += n->online && push_node_converged_all(s, n);
	}
	if (online > 0 && converged == online) {
		m->converge_s = (double)(now - m->rev_since_mono) / 1000;
		m->rev_done = true;
	}
}

void
metrics_tick(metrics *m, server *s)
{
	int64_t now;
	store_stats st;
	strbuf b;

	if (m == NULL)
		return;
	now = platform_mono_ms();
	s_time_convergence(m, s, now);
	if (now < m->next_mono)
		return;
	m->next_mono = now + METRICS_REFRESH_MS;
	store_get_stats(s->store, &st);
	strbuf_init(&b);
	s_state(&b, m, s, &st);
	s_nodes(&b, s);
	s_drift(&b, s, &st);
	s_webhooks(&b, s);
	promserve_publish(m->serve, &b);
}
