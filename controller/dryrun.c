/*
 * dryrun.c: `hvpolicy plan` waiting for the nodes' answers (dryrun.h).
 */
#include "dryrun.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "render.h"
#include "server.h"
#include "strbuf.h"
#include "textsafe.h"
#include "wire.h"
#include "xalloc.h"

#define DRYRUN_DEADLINE_MS 5000
#define DRYRUN_OFFLINE " (offline)"

void
dryrun_release(dryrun_wait *w)
{
	for (size_t i = 0; i < w->nwaiting; i++)
		free(w->waiting[i]);
	for (size_t i = 0; i < w->nresults; i++) {
		hvp__dry_run_result__free_unpacked(w->results[i], NULL);
		free(w->result_nodes[i]);
	}
	free(w->waiting);
	free(w->results);
	free(w->result_nodes);
	free(w->format);
	free(w->preface);
	free(w->warning);
	memset(w, 0, sizeof *w);
}

/* Orders the answers by node name, so output does not depend on who
 * answered first. */
static void
s_sort(dryrun_wait *w)
{
	for (size_t i = 1; i < w->nresults; i++) {
		for (size_t j = i; j > 0 && strcmp(w->result_nodes[j - 1],
		    w->result_nodes[j]) > 0; j--) {
			Hvp__DryRunResult *r = w->results[j];
			char *n = w->result_nodes[j];

			w->results[j] = w->results[j - 1];
			w->result_nodes[j] = w->result_nodes[j - 1];
			w->results[j - 1] = r;
			w->result_nodes[j - 1] = n;
		}
	}
}

static void
s_finish(server *s)
{
	dryrun_wait *w = &s->dryrun;
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	strbuf out, missing;
	size_t changes;

	s_sort(w);
	strbuf_init(&out);
	strbuf_init(&missing);
	changes = render_dryrun(w, &out);
	for (size_t i = 0; i < w->nresults; i++)
		if (w->results[i]->error && *w->results[i]->error) {
			/* A node's words reach the admin's terminal: escaped. */
			strbuf_addf(&missing, "%s%s: ", missing.len ? "; " : "",
			    w->result_nodes[i]);
			textsafe_add(&missing, w->results[i]->error);
		}
	for (size_t i = 0; i < w->nwaiting; i++)
		strbuf_addf(&missing, "%s%s did not answer", missing.len ? "; " : "",
		    w->waiting[i]);
	r.status = changes ? 2 : (missing.len ? 1 : 0);
	if (w->warning)
		strbuf_addf(&missing, "%swarning: %s", missing.len ? "\n" : "",
		    w->warning);
	r.body = out.data;
	r.error = missing.data;
	reply_send(&w->client, &r);
	strbuf_release(&out);
	strbuf_release(&missing);
	dryrun_release(w);
}

static void
s_wait_for(dryrun_wait *w, size_t *cap, char *name)
{
	xgrow(&w->waiting, cap, w->nwaiting + 1, sizeof *w->waiting);
	w->waiting[w->nwaiting++] = name;
}

void
dryrun_start(server *s, const reply_to *c, const cluster_state *cl,
    const char *format, uint32_t width, const char *canonical_text,
    const char *preface, const char *warning)
{
	Hvp__DryRun dr = HVP__DRY_RUN__INIT;
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	dryrun_wait *w = &s->dryrun;
	size_t cap = 0;

	if (w->active) {
		reply_text(c, 1, NULL, "another plan is being computed; try again");
		return;
	}
	memset(w, 0, sizeof *w);
	w->active = true;
	w->request = ++s->next_request;
	w->client = *c;
	w->client.user = NULL;
	w->format = xstrdup(format ? format : "");
	w->width = width;
	w->preface = preface ? xstrdup(preface) : NULL;
	w->warning = warning ? xstrdup(warning) : NULL;
	w->deadline_mono = platform_mono_ms() + DRYRUN_DEADLINE_MS;
	dr.request = w->request;
	dr.policy = (char *)canonical_text;
	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_DRY_RUN;
	e.dry_run = &dr;
	for (size_t i = 0; i < s->nodes.count; i++) {
		node_session *n = s->nodes.items[i];

		/* A candidate goes to its own cluster's nodes only. */
		if (!clusters_node_in(n, cl))
			continue;
		if (!n->online)
			s_wait_for(w, &cap, xasprintf("%s" DRYRUN_OFFLINE, n->name));
		else if (sessions_send(s->router, n, &e) == 0)
			s_wait_for(w, &cap, xstrdup(n->name));
	}
	dryrun_tick(s);
}

void
dryrun_result(server *s, const char *node, const Hvp__DryRunResult *r)
{
	dryrun_wait *w = &s->dryrun;
	uint8_t *buf;
	size_t len;

	if (!w->active || r->request != w->request)
		return;
	for (size_t i = 0; i < w->nwaiting; i++) {
		if (strcmp(w->waiting[i], node) != 0)
			continue;
		free(w->waiting[i]);
		w->waiting[i] = w->waiting[--w->nwaiting];
		if (wire_encode_message(&r->base, &buf, &len) == 0) {
			w->results = xrealloc(w->results,
			    (w->nresults + 1) * sizeof *w->results);
			w->result_nodes = xrealloc(w->result_nodes,
			    (w->nresults + 1) * sizeof *w->result_nodes);
			w->results[w->nresults] =
			    hvp__dry_run_result__unpack(NULL, len, buf);
			w->result_nodes[w->nresults] = xstrdup(node);
			if (w->results[w->nresults])
				w->nresults++;
			else
				free(w->result_nodes[w->nresults]);
			free(buf);
		}
		break;
	}
	dryrun_tick(s);
}

void
dryrun_tick(server *s)
{
	dryrun_wait *w = &s->dryrun;
	bool online_waiting = false;

	if (!w->active)
		return;
	for (size_t i = 0; i < w->nwaiting; i++)
		if (strstr(w->waiting[i], DRYRUN_OFFLINE) == NULL)
			online_waiting = true;
	if (!online_waiting || platform_mono_ms() >= w->deadline_mono)
		s_finish(s);
}
