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

static void
s_status_json(const server *s, const status_view *v, strbuf *out)
{
	jsonw j;

	jsonw_init(&j, out, true);
	jsonw_begin_object(&j);
	jsonw_kv_str(&j, "cluster", s->cluster);
	jsonw_kv_int(&j, "revision", s->revision);
	jsonw_kv_int(&j, "revisionFloor", s->revision_floor);
	jsonw_key(&j, "nodes");
	jsonw_begin_array(&j);
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];

		jsonw_begin_object(&j);
		jsonw_kv_str(&j, "name", n->name);
		jsonw_kv_str(&j, "role", HOST_ROLE_NAMES[n->role]);
		jsonw_kv_bool(&j, "online", n->online);
		jsonw_kv_time(&j, "lastSeen", n->last_seen);
		jsonw_kv_int(&j, "revision", n->acked_revision);
		jsonw_kv_bool(&j, "converged", push_node_converged(s, n));
		jsonw_kv_bool(&j, "compliant", v->open_drift[i] == 0);
		jsonw_kv_int(&j, "openDrift", v->open_drift[i]);
		jsonw_kv_str(&j, "version", n->version);
		jsonw_key(&j, "clockSkewSeconds");
		if (n->has_clock)
			jsonw_int(&j, n->clock_skew_ms / 1000);
		else
			jsonw_null(&j);
		jsonw_kv_bool(&j, "clockOff", sessions_clock_off(n));
		jsonw_end_object(&j);
	}
	jsonw_end_array(&j);
	jsonw_key(&j, "plan");
	if (s->plan) {
		jsonw_begin_object(&j);
		jsonw_kv_int(&j, "generation", (int64_t)s->plan->generation);
		jsonw_kv_str(&j, "hash", s->plan->hash);
		jsonw_kv_bool(&j, "heldByDpmServer", push_plan_held(s));
		jsonw_kv_bool(&j, "managed", v->unmanaged == NULL);
		jsonw_kv_str(&j, "unmanagedReason", v->unmanaged);
		jsonw_end_object(&j);
	} else {
		jsonw_null(&j);
	}
	jsonw_kv_int(&j, "findings", (int64_t)v->nfindings);
	s_webhooks_json(v, &j);
	jsonw_end_object(&j);
	strbuf_addch(out, '\n');
}

static void
s_status_table(const server *s, const status_view *v, size_t width,
    strbuf *out)
{
	static const char *const head[] = { "NODE", "ROLE", "ONLINE",
	    "LAST SEEN", "REVISION", "CONVERGED", "COMPLIANT", "OPEN DRIFT" };
	table *t = table_new(8, head);
	size_t converged = 0, compliant = 0;

	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];
		char seen[40] = "never", rev[24], drift[24];
		bool conv = push_node_converged(s, n);
		const char *row[8];

		if (n->last_seen)
			timefmt_rfc3339(n->last_seen, seen, sizeof seen);
		snprintf(rev, sizeof rev, "%lld", (long long)n->acked_revision);
		snprintf(drift, sizeof drift, "%lld", (long long)v->open_drift[i]);
		converged += conv;
		compliant += v->open_drift[i] == 0;
		row[0] = n->name;
		row[1] = HOST_ROLE_NAMES[n->role];
		row[2] = n->online ? "yes" : "no";
		row[3] = seen;
		row[4] = rev;
		row[5] = conv ? "yes" : "no";
		row[6] = v->open_drift[i] == 0 ? "yes" : "no";
		row[7] = drift;
		table_add(t, row);
	}
	strbuf_addf(out, "cluster %s  revision %lld  %zu/%zu nodes converged, "
	    "%zu compliant\n\n", s->cluster, (long long)s->revision, converged,
	    s->nodes.count, compliant);
	for (size_t c = 1; c < 8; c++)
		table_keep(t, c);
	table_render_fit(t, out, width);
	table_free(&t);
	if (v->unmanaged && s->policy &&
	    s->policy->strategy == STRATEGY_SYSTEM_SOFTWARE && s->policy->per_csv)
		strbuf_addf(out, "\nserialization: UNMANAGED: %s\n", v->unmanaged);
	else if (s->plan)
		strbuf_addf(out, "\nserialization plan generation %llu (%.12s)  "
		    "held by DPM server: %s\n",
		    (unsigned long long)s->plan->generation, s->plan->hash,
		    push_plan_held(s) ? "yes" : "no");
	else
		strbuf_addstr(out, "\nserialization plan: none yet\n");
	for (size_t i = 0; i < s->nodes.count; i++)
		if (sessions_clock_off(s->nodes.items[i]))
			strbuf_addf(out, "clock: %s is %+lld s off the controller's\n",
			    s->nodes.items[i]->name,
			    (long long)(s->nodes.items[i]->clock_skew_ms / 1000));
	if (s->revision_floor > s->revision)
		strbuf_addf(out, "store: nodes hold revision %lld, newer than this "
		    "store's %lld (restored from an older backup?); the next "
		    "apply is revision %lld\n", (long long)s->revision_floor,
		    (long long)s->revision, (long long)s->revision_floor + 1);
	strbuf_addf(out, "30112 findings: %zu%s\n", v->nfindings,
	    v->nfindings ? " (see hvpolicy diagnose)" : "");
	s_webhooks_table(v, out);
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
    strbuf *out)
{
	static const char *const head[] = { "NODE", "KIND", "EVIDENCE", "FIX" };

	if (json) {
		jsonw j;

		jsonw_init(&j, out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < nf; i++) {
			jsonw_begin_object(&j);
			jsonw_kv_str(&j, "node", f[i].node);
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
		table *t = table_new(4, head);

		for (size_t i = 0; i < nf; i++) {
			const char *row[4] = { f[i].node, f[i].kind,
			    f[i].evidence, f[i].fix };

			table_add(t, row);
		}
		table_keep(t, 0);
		table_keep(t, 1);
		table_shrink_first(t, 3);
		table_render_fit(t, out, width);
		table_free(&t);
	}
}

/* ---- history, get ---- */

void
render_history(const store_revision *list, size_t n, bool json,
    size_t width, strbuf *out)
{
	static const char *const head[] = { "REVISION", "HASH", "APPLIED AT",
	    "APPLIED BY", "SOURCE", "CHANGE", "MESSAGE" };

	if (json) {
		jsonw j;

		jsonw_init(&j, out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < n; i++) {
			jsonw_begin_object(&j);
			jsonw_kv_int(&j, "revision", list[i].revision);
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
		table *t = table_new(7, head);

		for (size_t i = 0; i < n; i++) {
			char rev[24], at[40];
			const char *row[7];

			snprintf(rev, sizeof rev, "%lld", (long long)list[i].revision);
			timefmt_rfc3339(list[i].applied_at, at, sizeof at);
			row[0] = rev;
			row[1] = list[i].hash;
			row[2] = at;
			row[3] = list[i].applied_by;
			row[4] = list[i].source;
			row[5] = list[i].change_id;
			row[6] = list[i].message;
			table_add(t, row);
		}
		/* The hash may show its start only (get --format json has
		 * it whole); the message gives way first. */
		table_keep(t, 0);
		table_keep(t, 2);
		table_keep(t, 3);
		table_shrink_first(t, 6);
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
s_drift_table(const drift_record *list, size_t n, size_t width, strbuf *out)
{
	static const char *const head[] = { "ID", "NODE", "KIND", "RESOURCE",
	    "EXPECTED", "ACTUAL", "STATUS", "DETECTED", "ACTION" };
	table *t = table_new(9, head);

	for (size_t i = 0; i < n; i++) {
		const drift_record *r = &list[i];
		char at[40];
		const char *row[9];

		timefmt_rfc3339(r->detected_at, at, sizeof at);
		row[0] = r->id;
		row[1] = r->node;
		row[2] = DRIFT_KIND_NAMES[r->kind];
		row[3] = r->resource;
		row[4] = r->expected ? r->expected : "(absent)";
		row[5] = r->actual ? r->actual : "(absent)";
		row[6] = DRIFT_STATUS_NAMES[r->status];
		row[7] = at;
		row[8] = r->action;
		table_add(t, row);
	}
	{
		static const size_t keep[] = { 0, 1, 2, 6, 7 };

		for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
			table_keep(t, keep[k]);
	}
	table_shrink_first(t, 8);
	table_render_fit(t, out, width);
	table_free(&t);
}

void
render_drift(const drift_record *list, size_t n, const char *format,
    size_t width, strbuf *out)
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
		s_drift_table(list, n, width, out);
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
