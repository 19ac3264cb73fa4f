/*
 * progress.c: `apply --wait` (progress.h).
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "push.h"
#include "server.h"
#include "strbuf.h"
#include "xalloc.h"

typedef struct s_count {
	uint32_t converged, total;
	strbuf pending;		/* nodes waited for, not yet converged */
	strbuf offline;		/* offline nodes not waited for */
} s_count;

/* Counts the nodes of cluster c. */
static void
s_count_nodes(const server *s, const cluster_state *c, int64_t revision,
    bool wait_all, s_count *k)
{
	memset(k, 0, sizeof *k);
	strbuf_init(&k->pending);
	strbuf_init(&k->offline);
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];
		bool ok;

		if (!clusters_node_in(n, c))
			continue;
		ok = c->revision == revision && push_node_converged(s, c, n);
		if (!n->online && !wait_all) {
			strbuf_addf(&k->offline, "%s%s", k->offline.len ? ", " : "",
			    n->name);
			continue;
		}
		k->total++;
		k->converged += ok;
		if (!ok)
			strbuf_addf(&k->pending, "%s%s%s",
			    k->pending.len ? ", " : "", n->name,
			    n->online ? "" : " (offline)");
	}
}

static void
s_answer(const cluster_state *cl, const reply_to *c, const s_count *k)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;

	r.revision = cl->revision;
	r.cluster = cl->name;
	r.converged = k->converged;
	r.total = k->total;
	r.body = k->pending.data;
	r.offline = k->offline.data;
	r.error = (char *)"";
	reply_send(c, &r);
}

static void
s_count_release(s_count *k)
{
	strbuf_release(&k->pending);
	strbuf_release(&k->offline);
}

/* Whether a client that saw `seen` converged nodes learns something. */
static bool
s_news(const cluster_state *c, int64_t revision, uint32_t seen,
    const s_count *k)
{
	return c->revision != revision || k->converged != seen ||
	    k->converged == k->total;
}

void
progress_request(server *s, const reply_to *c, const Hvp__AdminRequest *q)
{
	progress_table *t = &s->progress;
	cluster_state *cl;
	char *err = NULL;
	s_count k;

	if ((cl = clusters_pick(s, q->cluster, true, &err)) == NULL) {
		reply_text(c, 64, NULL, err);
		free(err);
		return;
	}
	s_count_nodes(s, cl, q->revision, q->wait_all, &k);
	if (!q->long_poll || s_news(cl, q->revision, q->seen_converged, &k)) {
		s_answer(cl, c, &k);
		s_count_release(&k);
		return;
	}
	s_count_release(&k);
	xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
	t->items[t->count++] = (progress_wait){ .client = *c, .cluster = cl,
	    .revision = q->revision, .wait_all = q->wait_all,
	    .seen = q->seen_converged,
	    .deadline_mono = platform_mono_ms() + PROGRESS_HOLD_MS };
	t->items[t->count - 1].client.user = NULL;
}

void
progress_tick(server *s)
{
	progress_table *t = &s->progress;
	int64_t now;
	size_t kept = 0;

	if (t->count == 0)
		return;
	now = platform_mono_ms();
	for (size_t i = 0; i < t->count; i++) {
		progress_wait *w = &t->items[i];
		s_count k;

		s_count_nodes(s, w->cluster, w->revision, w->wait_all, &k);
		if (s_news(w->cluster, w->revision, w->seen, &k) ||
		    now >= w->deadline_mono)
			s_answer(w->cluster, &w->client, &k);
		else
			t->items[kept++] = *w;
		s_count_release(&k);
	}
	t->count = kept;
}

void
progress_release(progress_table *t)
{
	free(t->items);
	memset(t, 0, sizeof *t);
}
