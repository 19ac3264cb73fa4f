/*
 * events.c: the event stream for admin clients (events.h).
 */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "log.h"
#include "platform.h"
#include "server.h"
#include "store.h"
#include "strbuf.h"
#include "timefmt.h"
#include "xalloc.h"

#define S_EVENT_LINE "%-8s %-20s %-8s %-10s %s\n"
#define S_DRIFT_LINE "%-20s %-10s %-20s %-9s %-11s %s\n"
/* The same with a CLUSTER column (several clusters, none asked for). */
#define S_EVENT_LINE_C "%-8s %-20s %-8s %-14s %-10s %s\n"
#define S_DRIFT_LINE_C "%-20s %-14s %-10s %-20s %-9s %-11s %s\n"

void
events_json(const char *cluster, const store_event *e, jsonw *j)
{
	size_t len = e->data ? strlen(e->data) : 0;

	jsonw_begin_object(j);
	jsonw_kv_int(j, "seq", e->seq);
	jsonw_kv_time(j, "time", e->at);
	jsonw_kv_str(j, "type", e->type);
	jsonw_kv_str(j, "cluster", e->cluster ? e->cluster : cluster);
	jsonw_kv_str(j, "node", e->node);
	/* data is a compact JSON object the store wrote: its members go in
	 * as they are. */
	if (len > 2 && e->data[0] == '{' && e->data[len - 1] == '}') {
		strbuf_addch(j->out, ',');
		strbuf_add(j->out, e->data + 1, len - 2);
	}
	if (e->has_drift) {
		jsonw_key(j, "drift");
		drift_record_json(&e->drift, j);
	}
	jsonw_end_object(j);
}

/* What a table line says of an event. */
static void
s_event_line(const store_event *e, bool with_cluster, strbuf *out)
{
	char seq[24], at[40];
	char *what = NULL;

	snprintf(seq, sizeof seq, "%lld", (long long)e->seq);
	timefmt_rfc3339(e->at, at, sizeof at);
	if (e->has_drift) {
		const drift_record *r = &e->drift;
		const char *cause = r->cause ? DRIFT_CAUSE_NAMES[r->cause] : NULL;

		what = xasprintf("%s %s %s%s%s%s", DRIFT_STATUS_NAMES[r->status],
		    DRIFT_KIND_NAMES[r->kind], r->resource,
		    cause ? " (" : "", cause ? cause : "", cause ? ")" : "");
	}
	if (with_cluster)
		strbuf_addf(out, S_EVENT_LINE_C, seq, at, e->type,
		    e->cluster ? e->cluster : "-", e->node ? e->node : "-",
		    what ? what : e->summary ? e->summary : "");
	else
		strbuf_addf(out, S_EVENT_LINE, seq, at, e->type,
		    e->node ? e->node : "-",
		    what ? what : e->summary ? e->summary : "");
	free(what);
}

static void
s_drift_line(const drift_record *r, bool with_cluster, strbuf *out)
{
	char at[40];
	const char *cause = r->cause ? DRIFT_CAUSE_NAMES[r->cause] : "-";

	timefmt_rfc3339(r->detected_at, at, sizeof at);
	if (with_cluster)
		strbuf_addf(out, S_DRIFT_LINE_C, at,
		    r->cluster ? r->cluster : "-", r->node,
		    DRIFT_KIND_NAMES[r->kind], DRIFT_STATUS_NAMES[r->status],
		    cause, r->resource);
	else
		strbuf_addf(out, S_DRIFT_LINE, at, r->node,
		    DRIFT_KIND_NAMES[r->kind], DRIFT_STATUS_NAMES[r->status],
		    cause, r->resource);
}

/* Drift records of drift events, in the drift verb's formats. */
static void
s_render_drift(const store_event *list, size_t n, const char *fmt,
    bool continued, bool with_cluster, strbuf *out)
{
	jsonw j;

	if (strcmp(fmt, "csv") == 0 && !continued)
		strbuf_addstr(out, DRIFT_CSV_HEADER "\n");
	else if (strcmp(fmt, "table") == 0 && !continued && with_cluster)
		strbuf_addf(out, S_DRIFT_LINE_C, "DETECTED", "CLUSTER", "NODE",
		    "KIND", "STATUS", "CAUSE", "RESOURCE");
	else if (strcmp(fmt, "table") == 0 && !continued)
		strbuf_addf(out, S_DRIFT_LINE, "DETECTED", "NODE", "KIND",
		    "STATUS", "CAUSE", "RESOURCE");
	for (size_t i = 0; i < n; i++) {
		if (!list[i].has_drift)
			continue;
		if (strcmp(fmt, "csv") == 0) {
			drift_record_csv(&list[i].drift, out);
		} else if (strcmp(fmt, "table") == 0) {
			s_drift_line(&list[i].drift, with_cluster, out);
		} else {
			jsonw_init(&j, out, false);
			drift_record_json(&list[i].drift, &j);
			strbuf_addch(out, '\n');
		}
	}
}

static void
s_render(const server *s, const store_event *list, size_t n,
    const events_wait *w, strbuf *out)
{
	const char *fmt = w->format && *w->format ? w->format : "table";
	bool json = strcmp(fmt, "json") == 0;
	jsonw j;

	/* Several clusters and none asked for: which one, in a column. */
	bool with_cluster = s->clusters.count > 1 && w->cluster == NULL;

	if (w->drift_records) {
		s_render_drift(list, n, fmt, w->continued, with_cluster, out);
		return;
	}
	if (strcmp(fmt, "table") == 0) {
		if (!w->continued && with_cluster)
			strbuf_addf(out, S_EVENT_LINE_C, "SEQ", "TIME", "TYPE",
			    "CLUSTER", "NODE", "WHAT");
		else if (!w->continued)
			strbuf_addf(out, S_EVENT_LINE, "SEQ", "TIME", "TYPE",
			    "NODE", "WHAT");
		for (size_t i = 0; i < n; i++)
			s_event_line(&list[i], with_cluster, out);
		return;
	}
	if (json)
		strbuf_addstr(out, "[");
	for (size_t i = 0; i < n; i++) {
		if (json)
			strbuf_addstr(out, i ? ",\n  " : "\n  ");
		jsonw_init(&j, out, false);
		events_json(s->clusters.items[0]->name, &list[i], &j);
		if (!json)
			strbuf_addch(out, '\n');
	}
	if (json)
		strbuf_addstr(out, n ? "\n]\n" : "]\n");
}

/* Reads the events after w->after; -1 after answering an error. */
static int
s_query(server *s, const events_wait *w, store_event **list, size_t *n,
    int64_t *upto)
{
	store_event_filter f = { 0 };
	char *err = NULL;

	f.after = w->after;
	f.type = w->drift_records ? "drift" : w->type;
	f.node = w->node;
	f.cluster = w->cluster;
	f.limit = w->follow ? EVENTS_BATCH : EVENTS_MAX_REPLY;
	if (store_list_events(s->store, &f, list, n, upto, &err) == -1) {
		reply_text(&w->client, 1, NULL, err);
		free(err);
		return -1;
	}
	return 0;
}

static void
s_answer(server *s, const events_wait *w, const store_event *list,
    size_t n, int64_t upto)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	char *more = NULL;
	strbuf out;

	strbuf_init(&out);
	s_render(s, list, n, w, &out);
	if (!w->follow && n == EVENTS_MAX_REPLY)
		more = xasprintf("the first %d events after %lld are shown; "
		    "for more: hvpolicy events --after %lld", EVENTS_MAX_REPLY,
		    (long long)w->after, (long long)upto);
	else if (!w->follow && w->after == 0 && !w->drift_records &&
	    store_events_pruned(s->store) > 0)
		more = xasprintf("note: events 1 to %lld were pruned (older "
		    "than eventRetentionDays); the kept ones are shown",
		    (long long)store_events_pruned(s->store));
	r.body = out.data;
	r.error = more ? more : (char *)"";
	r.last_seq = upto;
	r.total = (uint32_t)n;
	reply_send(&w->client, &r);
	strbuf_release(&out);
	free(more);
}

static void
s_wait_release(events_wait *w)
{
	free(w->type);
	free(w->node);
	free(w->cluster);
	free(w->format);
	memset(w, 0, sizeof *w);
}

static char *
s_opt(const char *v)
{
	return v && *v ? xstrdup(v) : NULL;
}

/* A client resuming after a number this store never gave out is
 * following a store newer than this one (a backup restored): number on
 * from above it, so that client repeats nothing and misses nothing
 * new. */
static void
s_floor(server *s, int64_t after)
{
	char *err = NULL;

	if (after <= store_last_event(s->store))
		return;
	log_warnx("events: a client resumes after event %lld, above this "
	    "store's %lld (restored from an older copy?); numbering goes on "
	    "from %lld", (long long)after,
	    (long long)store_last_event(s->store), (long long)after);
	if (store_raise_event_floor(s->store, after, &err) == -1) {
		log_warnx("events: %s", err);
		free(err);
	}
}

/* A reader resuming after a number whose successors were pruned would
 * silently skip them: refused, saying where the kept events start. */
static int
s_pruned(server *s, const reply_to *c, const Hvp__AdminRequest *q)
{
	int64_t pruned = store_events_pruned(s->store);
	char *msg;

	if (q->after <= 0 || q->after >= pruned)
		return 0;
	msg = xasprintf("events %lld to %lld were pruned (older than "
	    "eventRetentionDays; docs/events.md), so the events after %lld "
	    "cannot be shown without a gap; the oldest kept follows %lld: "
	    "hvpolicy events --after %lld", (long long)q->after + 1,
	    (long long)pruned, (long long)q->after, (long long)pruned,
	    (long long)pruned);
	reply_text(c, 1, NULL, msg);
	free(msg);
	return -1;
}

void
events_request(server *s, const reply_to *c, const Hvp__AdminRequest *q)
{
	events_table *t = &s->events;
	store_event *list = NULL;
	events_wait w = { 0 };
	int64_t upto = 0;
	size_t n = 0;

	if (q->after < -1) {
		reply_text(c, 64, NULL, "--after must be 0 or more");
		return;
	}
	if (s_pruned(s, c, q) == -1)
		return;
	s_floor(s, q->after);
	w.client = *c;
	w.client.user = NULL;
	/* -1: from the end (drift --follow shows new transitions). */
	w.after = q->after == -1 ? store_last_event(s->store) : q->after;
	w.type = s_opt(q->type);
	w.node = s_opt(q->node);
	w.cluster = s_opt(q->cluster);
	w.format = s_opt(q->format);
	w.drift_records = q->drift_records;
	w.continued = q->continued;
	w.follow = q->long_poll;
	if (s_query(s, &w, &list, &n, &upto) == -1) {
		s_wait_release(&w);
		return;
	}
	if (!q->long_poll || n > 0) {
		s_answer(s, &w, list, n, upto);
		store_event_list_free(&list, n);
		s_wait_release(&w);
		return;
	}
	w.after = upto;
	w.deadline_mono = platform_mono_ms() + EVENTS_HOLD_MS;
	xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
	t->items[t->count++] = w;
}

void
events_tick(server *s)
{
	events_table *t = &s->events;
	int64_t now, top;
	size_t kept = 0;

	if (t->count == 0)
		return;
	now = platform_mono_ms();
	top = store_last_event(s->store);
	for (size_t i = 0; i < t->count; i++) {
		events_wait *w = &t->items[i];
		store_event *list = NULL;
		int64_t upto = w->after;
		size_t n = 0;

		if (top > w->after && s_query(s, w, &list, &n, &upto) == -1) {
			s_wait_release(w);
			continue;
		}
		if (n > 0 || now >= w->deadline_mono) {
			s_answer(s, w, list, n, upto);
			s_wait_release(w);
		} else {
			w->after = upto;
			t->items[kept++] = *w;
		}
		store_event_list_free(&list, n);
	}
	t->count = kept;
}

void
events_release(events_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_wait_release(&t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}
