/*
 * render.c: the text of admin replies (render.h).
 */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "push.h"
#include "server.h"
#include "store.h"
#include "table.h"
#include "timefmt.h"
#include "webhooks.h"
#include "xalloc.h"

bool
render_is_json(const char *format)
{
	return format && strcmp(format, "json") == 0;
}

/* ---- status ---- */

static void
s_webhooks_json(const status_view *v, jsonw *j)
{
	jsonw_key(j, "webhooks");
	jsonw_begin_array(j);
	for (size_t i = 0; i < v->nhooks; i++) {
		const webhook_view *h = &v->hooks[i];

		jsonw_begin_object(j);
		jsonw_kv_str(j, "name", h->name);
		jsonw_kv_str(j, "url", h->url);
		jsonw_kv_int(j, "delivered", h->delivered);
		jsonw_kv_int(j, "backlog", v->backlog[i]);
		jsonw_kv_int(j, "deliveries", h->deliveries);
		jsonw_kv_int(j, "failures", h->failures);
		jsonw_kv_int(j, "retrying", h->attempt);
		jsonw_kv_str(j, "lastError", h->last_error[0] ? h->last_error :
		    NULL);
		jsonw_end_object(j);
	}
	jsonw_end_array(j);
}

static void
s_webhooks_table(const status_view *v, strbuf *out)
{
	for (size_t i = 0; i < v->nhooks; i++) {
		const webhook_view *h = &v->hooks[i];

		strbuf_addf(out, "webhook %s: backlog %lld, delivered up to "
		    "event %lld%s%s\n", h->name, (long long)v->backlog[i],
		    (long long)h->delivered, h->last_error[0] ? ", failing: " :
		    "", h->last_error);
	}
}

/* The clusters status shows: the one asked for, or all. */
static void
s_selected(const server *s, const status_view *v, const cluster_state ***out,
    size_t *n)
{
	if (v->only) {
		*out = xcalloc(1, sizeof **out);
		(*out)[0] = v->only;
		*n = 1;
		return;
	}
	*out = xcalloc(s->clusters.count + 1, sizeof **out);
	for (size_t i = 0; i < s->clusters.count; i++)
		(*out)[i] = s->clusters.items[i];
	*n = s->clusters.count;
}

static const char *
s_unmanaged(const server *s, const status_view *v, const cluster_state *c)
{
	for (size_t i = 0; i < s->clusters.count; i++)
		if (s->clusters.items[i] == c)
			return v->unmanaged ? v->unmanaged[i] : NULL;
	return NULL;
}

static void
s_plan_json(const server *s, const status_view *v, const cluster_state *c,
    jsonw *j)
{
	const char *unmanaged = s_unmanaged(s, v, c);

	jsonw_key(j, "plan");
	if (c == NULL || c->plan == NULL) {
		jsonw_null(j);
		return;
	}
	jsonw_begin_object(j);
	jsonw_kv_int(j, "generation", (int64_t)c->plan->generation);
	jsonw_kv_str(j, "hash", c->plan->hash);
	jsonw_kv_bool(j, "heldByDpmServer", push_plan_held(s, c));
	jsonw_kv_bool(j, "managed", unmanaged == NULL);
	jsonw_kv_str(j, "unmanagedReason", unmanaged);
	jsonw_end_object(j);
}

static void
s_node_json(const server *s, const status_view *v, const cluster_state *c,
    size_t i, jsonw *j)
{
	const node_session *n = s->nodes.items[i];

	jsonw_begin_object(j);
	jsonw_kv_str(j, "name", n->name);
	jsonw_kv_str(j, "cluster", c->name);
	jsonw_kv_str(j, "role", HOST_ROLE_NAMES[n->role]);
	jsonw_kv_bool(j, "online", n->online);
	jsonw_kv_time(j, "lastSeen", n->last_seen);
	jsonw_kv_int(j, "revision", push_acked_revision(n, c));
	jsonw_kv_bool(j, "converged", push_node_converged(s, c, n));
	jsonw_kv_bool(j, "compliant", v->open_drift[i] == 0);
	jsonw_kv_int(j, "openDrift", v->open_drift[i]);
	jsonw_kv_str(j, "version", n->version);
	jsonw_key(j, "clockSkewSeconds");
	if (n->has_clock)
		jsonw_int(j, n->clock_skew_ms / 1000);
	else
		jsonw_null(j);
	jsonw_kv_bool(j, "clockOff", sessions_clock_off(n));
	jsonw_end_object(j);
}

static void
s_status_json(const server *s, const status_view *v, strbuf *out)
{
	const cluster_state **sel, *one = v->only;
	size_t nsel;
	jsonw j;

	s_selected(s, v, &sel, &nsel);
	jsonw_init(&j, out, true);
	jsonw_begin_object(&j);
	/* One cluster: the contract's shape. Several: per cluster below. */
	jsonw_kv_str(&j, "cluster", one ? one->name : NULL);
	jsonw_key(&j, "revision");
	one ? jsonw_int(&j, one->revision) : jsonw_null(&j);
	jsonw_key(&j, "revisionFloor");
	one ? jsonw_int(&j, one->revision_floor) : jsonw_null(&j);
	jsonw_key(&j, "nodes");
	jsonw_begin_array(&j);
	for (size_t k = 0; k < nsel; k++)
		for (size_t i = 0; i < s->nodes.count; i++)
			if (clusters_node_in(s->nodes.items[i], sel[k]))
				s_node_json(s, v, sel[k], i, &j);
	jsonw_end_array(&j);
	s_plan_json(s, v, one, &j);
	jsonw_kv_int(&j, "findings", (int64_t)v->nfindings);
	jsonw_key(&j, "clusters");
	jsonw_begin_array(&j);
	for (size_t k = 0; k < nsel; k++) {
		jsonw_begin_object(&j);
		jsonw_kv_str(&j, "cluster", sel[k]->name);
		jsonw_kv_int(&j, "revision", sel[k]->revision);
		jsonw_kv_int(&j, "revisionFloor", sel[k]->revision_floor);
		s_plan_json(s, v, sel[k], &j);
		jsonw_end_object(&j);
	}
	jsonw_end_array(&j);
	s_webhooks_json(v, &j);
	jsonw_end_object(&j);
	strbuf_addch(out, '\n');
	free(sel);
}

/* One line per cluster: revision and how many of its nodes converged. */
static void
s_cluster_line(const server *s, const status_view *v, const cluster_state *c,
    strbuf *out)
{
	size_t converged = 0, compliant = 0, total = 0;

	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];

		if (!clusters_node_in(n, c))
			continue;
		total++;
		converged += push_node_converged(s, c, n);
		compliant += v->open_drift[i] == 0;
	}
	strbuf_addf(out, "cluster %s  revision %lld  %zu/%zu nodes converged, "
	    "%zu compliant\n", c->name, (long long)c->revision, converged,
	    total, compliant);
}

/* Its serialization plan, prefixed with the cluster's name when several
 * are shown. */
static void
s_cluster_plan(const server *s, const status_view *v, const cluster_state *c,
    bool named, strbuf *out)
{
	const char *unmanaged = s_unmanaged(s, v, c);
	const char *pre = named ? c->name : "", *sep = named ? ": " : "";

	if (unmanaged && c->policy &&
	    c->policy->strategy == STRATEGY_SYSTEM_SOFTWARE && c->policy->per_csv)
		strbuf_addf(out, "%s%sserialization: UNMANAGED: %s\n", pre, sep,
		    unmanaged);
	else if (c->plan)
		strbuf_addf(out, "%s%sserialization plan generation %llu (%.12s)  "
		    "held by DPM server: %s\n", pre, sep,
		    (unsigned long long)c->plan->generation, c->plan->hash,
		    push_plan_held(s, c) ? "yes" : "no");
	else
		strbuf_addf(out, "%s%sserialization plan: none yet\n", pre, sep);
}

/* Nodes hold a revision above the store's (an older store restored). */
static void
s_cluster_floor(const cluster_state *c, bool named, strbuf *out)
{
	const char *pre = named ? c->name : "", *sep = named ? ": " : "";

	if (c->revision_floor > c->revision)
		strbuf_addf(out, "%s%sstore: nodes hold revision %lld, newer than "
		    "this store's %lld (restored from an older backup?); the "
		    "next apply is revision %lld\n", pre, sep,
		    (long long)c->revision_floor, (long long)c->revision,
		    (long long)c->revision_floor + 1);
}

static void
s_status_table(const server *s, const status_view *v, size_t width,
    strbuf *out)
{
	static const char *const head[] = { "CLUSTER", "NODE", "ROLE",
	    "ONLINE", "LAST SEEN", "REVISION", "CONVERGED", "COMPLIANT",
	    "OPEN DRIFT" };
	const cluster_state **sel;
	size_t nsel, off;
	bool named = v->only == NULL;
	table *t;

	s_selected(s, v, &sel, &nsel);
	/* One cluster: no CLUSTER column, as before clusters could be
	 * several. */
	off = named ? 0 : 1;
	t = table_new(9 - off, head + off);
	for (size_t k = 0; k < nsel; k++) {
		for (size_t i = 0; i < s->nodes.count; i++) {
			const node_session *n = s->nodes.items[i];
			char seen[40] = "never", rev[24], drift[24];
			const char *row[9];

			if (!clusters_node_in(n, sel[k]))
				continue;
			if (n->last_seen)
				timefmt_rfc3339(n->last_seen, seen, sizeof seen);
			snprintf(rev, sizeof rev, "%lld",
			    (long long)push_acked_revision(n, sel[k]));
			snprintf(drift, sizeof drift, "%lld",
			    (long long)v->open_drift[i]);
			row[0] = sel[k]->name;
			row[1] = n->name;
			row[2] = HOST_ROLE_NAMES[n->role];
			row[3] = n->online ? "yes" : "no";
			row[4] = seen;
			row[5] = rev;
			row[6] = push_node_converged(s, sel[k], n) ? "yes" : "no";
			row[7] = v->open_drift[i] == 0 ? "yes" : "no";
			row[8] = drift;
			table_add(t, row + off);
		}
	}
	for (size_t k = 0; k < nsel; k++)
		s_cluster_line(s, v, sel[k], out);
	strbuf_addch(out, '\n');
	/* The node's name may give way; nothing else. */
	for (size_t c = 0; c < 9 - off; c++)
		if (c != 1 - off)
			table_keep(t, c);
	table_render_fit(t, out, width);
	table_free(&t);
	strbuf_addch(out, '\n');
	for (size_t k = 0; k < nsel; k++)
		s_cluster_plan(s, v, sel[k], named, out);
	for (size_t i = 0; i < s->nodes.count; i++)
		if (sessions_clock_off(s->nodes.items[i]))
			strbuf_addf(out, "clock: %s is %+lld s off the controller's\n",
			    s->nodes.items[i]->name,
			    (long long)(s->nodes.items[i]->clock_skew_ms / 1000));
	for (size_t k = 0; k < nsel; k++)
		s_cluster_floor(sel[k], named, out);
	strbuf_addf(out, "30112 findings: %zu%s\n", v->nfindings,
	    v->nfindings ? " (see hvpolicy diagnose)" : "");
	s_webhooks_table(v, out);
	free(sel);
}

void
render_status(const server *s, const status_view *v, bool json,
    size_t width, strbuf *out)
{
	if (json)
		s_status_json(s, v, out);
	else
		s_status_table(s, v, width, out);
}

/* ---- diagnose ---- */

void
render_findings(const finding *f, size_t nf, bool json, size_t width,
    bool with_cluster, strbuf *out)
{
	static const char *const head[] = { "CLUSTER", "NODE", "KIND",
	    "EVIDENCE", "FIX" };
	size_t off = with_cluster ? 0 : 1;

	if (json) {
		jsonw j;

		jsonw_init(&j, out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < nf; i++) {
			jsonw_begin_object(&j);
			jsonw_kv_str(&j, "node", f[i].node);
			jsonw_kv_str(&j, "cluster", f[i].cluster);
			jsonw_kv_str(&j, "kind", f[i].kind);
			jsonw_kv_str(&j, "evidence", f[i].evidence);
			jsonw_kv_str(&j, "fix", f[i].fix);
			jsonw_end_object(&j);
		}
		jsonw_end_array(&j);
		strbuf_addch(out, '\n');
	} else if (nf == 0) {
		strbuf_addstr(out, "no 30112 findings\n");
	} else {
		table *t = table_new(5 - off, head + off);

		for (size_t i = 0; i < nf; i++) {
			const char *row[5] = { f[i].cluster, f[i].node,
			    f[i].kind, f[i].evidence, f[i].fix };

			table_add(t, row + off);
		}
		if (with_cluster)
			table_keep(t, 0);
		table_keep(t, 1 - off);
		table_keep(t, 2 - off);
		table_shrink_first(t, 4 - off);
		table_render_fit(t, out, width);
		table_free(&t);
	}
}

/* ---- history, get ---- */

void
render_history(const store_revision *list, size_t n, bool json,
    size_t width, bool with_cluster, strbuf *out)
{
	static const char *const head[] = { "CLUSTER", "REVISION", "HASH",
	    "APPLIED AT", "APPLIED BY", "SOURCE", "CHANGE", "MESSAGE" };
	size_t off = with_cluster ? 0 : 1;

	if (json) {
		jsonw j;

		jsonw_init(&j, out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < n; i++) {
			jsonw_begin_object(&j);
			jsonw_kv_int(&j, "revision", list[i].revision);
			jsonw_kv_str(&j, "cluster", list[i].cluster);
			jsonw_kv_str(&j, "hash", list[i].hash);
			jsonw_kv_time(&j, "appliedAt", list[i].applied_at);
			jsonw_kv_str(&j, "appliedBy", list[i].applied_by);
			jsonw_kv_str(&j, "source", list[i].source);
			jsonw_kv_str(&j, "changeId", list[i].change_id);
			jsonw_kv_str(&j, "message", list[i].message);
			jsonw_end_object(&j);
		}
		jsonw_end_array(&j);
		strbuf_addch(out, '\n');
	} else {
		table *t = table_new(8 - off, head + off);

		for (size_t i = 0; i < n; i++) {
			char rev[24], at[40];
			const char *row[8];

			snprintf(rev, sizeof rev, "%lld", (long long)list[i].revision);
			timefmt_rfc3339(list[i].applied_at, at, sizeof at);
			row[0] = list[i].cluster;
			row[1] = rev;
			row[2] = list[i].hash;
			row[3] = at;
			row[4] = list[i].applied_by;
			row[5] = list[i].source;
			row[6] = list[i].change_id;
			row[7] = list[i].message;
			table_add(t, row + off);
		}
		/* The hash may show its start only (get --format json has
		 * it whole); the message gives way first. */
		if (with_cluster)
			table_keep(t, 0);
		table_keep(t, 1 - off);
		table_keep(t, 3 - off);
		table_keep(t, 4 - off);
		table_shrink_first(t, 7 - off);
		table_render_fit(t, out, width);
		table_free(&t);
	}
}

/* "# change ID: MESSAGE" as one YAML comment line: a line break in the
 * message must not end the comment. */
static void
s_comment(strbuf *out, const char *change_id, const char *message)
{
	strbuf_addf(out, "# change %s", change_id ? change_id : "-");
	if (message) {
		strbuf_addstr(out, ": ");
		for (const char *p = message; *p; p++)
			strbuf_addch(out, *p == '\n' || *p == '\r' ? ' ' : *p);
	}
	strbuf_addch(out, '\n');
}

void
render_revision(const store_revision *r, bool json, strbuf *out)
{
	if (json) {
		jsonw j;

		jsonw_init(&j, out, true);
		jsonw_begin_object(&j);
		jsonw_kv_int(&j, "revision", r->revision);
		jsonw_kv_str(&j, "hash", r->hash);
		jsonw_kv_time(&j, "appliedAt", r->applied_at);
		jsonw_kv_str(&j, "appliedBy", r->applied_by);
		jsonw_kv_str(&j, "source", r->source);
		jsonw_kv_str(&j, "changeId", r->change_id);
		jsonw_kv_str(&j, "message", r->message);
		jsonw_kv_str(&j, "policy", r->text);
		jsonw_end_object(&j);
		strbuf_addch(out, '\n');
	} else {
		strbuf_addf(out, "# revision %lld, hash %s\n",
		    (long long)r->revision, r->hash);
		if (r->change_id || r->message)
			s_comment(out, r->change_id, r->message);
		strbuf_addstr(out, r->text);
	}
}

/* ---- drift ---- */

static void
s_drift_table(const drift_record *list, size_t n, size_t width,
    bool with_cluster, strbuf *out)
{
	static const char *const head[] = { "CLUSTER", "ID", "NODE", "KIND",
	    "RESOURCE", "EXPECTED", "ACTUAL", "STATUS", "DETECTED", "ACTION" };
	static const size_t keep[] = { 1, 2, 3, 7, 8 };
	size_t off = with_cluster ? 0 : 1;
	table *t = table_new(10 - off, head + off);

	for (size_t i = 0; i < n; i++) {
		const drift_record *r = &list[i];
		char at[40];
		const char *row[10];

		timefmt_rfc3339(r->detected_at, at, sizeof at);
		row[0] = r->cluster;
		row[1] = r->id;
		row[2] = r->node;
		row[3] = DRIFT_KIND_NAMES[r->kind];
		row[4] = r->resource;
		row[5] = r->expected ? r->expected : "(absent)";
		row[6] = r->actual ? r->actual : "(absent)";
		row[7] = DRIFT_STATUS_NAMES[r->status];
		row[8] = at;
		row[9] = r->action;
		table_add(t, row + off);
	}
	if (with_cluster)
		table_keep(t, 0);
	for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
		table_keep(t, keep[k] - off);
	table_shrink_first(t, 9 - off);
	table_render_fit(t, out, width);
	table_free(&t);
}

void
render_drift(const drift_record *list, size_t n, const char *format,
    size_t width, bool with_cluster, strbuf *out)
{
	const char *fmt = format && *format ? format : "table";
	jsonw j;

	if (strcmp(fmt, "json") == 0) {
		jsonw_init(&j, out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < n; i++)
			drift_record_json(&list[i], &j);
		jsonw_end_array(&j);
		strbuf_addch(out, '\n');
	} else if (strcmp(fmt, "jsonl") == 0) {
		for (size_t i = 0; i < n; i++) {
			jsonw_init(&j, out, false);
			drift_record_json(&list[i], &j);
			strbuf_addch(out, '\n');
		}
	} else if (strcmp(fmt, "csv") == 0) {
		strbuf_addstr(out, DRIFT_CSV_HEADER "\n");
		for (size_t i = 0; i < n; i++)
			drift_record_csv(&list[i], out);
	} else if (n == 0) {
		strbuf_addstr(out, "no drift\n");
	} else {
		s_drift_table(list, n, width, with_cluster, out);
	}
}

/* ---- serialization ---- */

void
render_plan(const plan *p, const char *format, size_t width, strbuf *out)
{
	jsonw j;

	if (render_is_json(format)) {
		jsonw_init(&j, out, true);
		plan_render_json(p, &j);
		strbuf_addch(out, '\n');
	} else {
		plan_render_table(p, out, width);
	}
}

/* ---- plan (dry run) ---- */

size_t
render_dryrun(const dryrun_wait *w, strbuf *out)
{
	static const char *const head[] = { "NODE", "RESOURCE", "NOW", "AFTER",
	    "ACTION" };
	bool json = render_is_json(w->format);
	table *t = table_new(5, head);
	size_t changes = 0;
	jsonw j;

	if (json) {
		jsonw_init(&j, out, true);
		jsonw_begin_array(&j);
	} else if (w->preface) {
		strbuf_addstr(out, w->preface);
	}
	for (size_t i = 0; i < w->nresults; i++) {
		const Hvp__DryRunResult *res = w->results[i];

		for (size_t k = 0; k < res->n_findings; k++) {
			const Hvp__Drift *f = res->findings[k];
			const char *row[5] = { w->result_nodes[i], f->resource,
			    f->has_actual ? f->actual : "(absent)",
			    f->has_expected ? f->expected : "(absent)", f->action };

			changes++;
			if (!json) {
				table_add(t, row);
				continue;
			}
			jsonw_begin_object(&j);
			jsonw_kv_str(&j, "node", w->result_nodes[i]);
			jsonw_kv_str(&j, "kind", f->kind);
			jsonw_kv_str(&j, "resource", f->resource);
			jsonw_kv_str(&j, "actual", f->has_actual ? f->actual : NULL);
			jsonw_kv_str(&j, "expected", f->has_expected ? f->expected : NULL);
			jsonw_kv_str(&j, "action", f->action);
			jsonw_end_object(&j);
		}
	}
	if (json) {
		jsonw_end_array(&j);
		strbuf_addch(out, '\n');
	} else if (changes) {
		table_keep(t, 0);
		table_shrink_first(t, 4);
		table_render_fit(t, out, w->width);
	} else {
		strbuf_addstr(out, "no changes: every node answering already "
		    "complies\n");
	}
	table_free(&t);
	return changes;
}
