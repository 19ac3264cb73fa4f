/*
 * linger.c: guests that left a node's inventory stay in the plan until
 * the cluster has had its say (linger.h).
 */
#include "linger.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "server.h"
#include "store.h"
#include "wire.h"
#include "xalloc.h"

static void
s_entry_free(linger_guest *e)
{
	free(e->node);
	free(e->name);
	free(e->id);
	planner_digest_clear(&e->digest);
	memset(e, 0, sizeof *e);
}

void
linger_release(linger_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_entry_free(&t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

static void
s_digest_copy(planner_digest *dst, const char *const *volumes, size_t n,
    const char *unplannable)
{
	dst->volumes = xcalloc(n ? n : 1, sizeof *dst->volumes);
	for (size_t k = 0; k < n; k++)
		dst->volumes[k] = xstrdup(volumes[k]);
	dst->nvolumes = n;
	dst->unplannable = unplannable && *unplannable ?
	    xstrdup(unplannable) : NULL;
}

/* The digest of a guest that left: copied out of its node's digest. */
static void
s_digest_of(planner_digest *dst, const invdigest *d, const invdigest_guest *g)
{
	const char **volumes = xcalloc(g->nvolumes + 1, sizeof *volumes);

	invdigest_volumes(d, g, volumes);
	s_digest_copy(dst, volumes, g->nvolumes, invdigest_unplannable(d, g));
	free(volumes);
}

/* Ends an older lingering of the same guest (it left one node, then
 * another): one entry per GUID, the newest. */
static void
s_forget(linger_table *t, const char *id)
{
	for (size_t i = 0; i < t->count; i++)
		if (strcasecmp(t->items[i].id, id) == 0) {
			s_entry_free(&t->items[i]);
			t->items[i] = t->items[--t->count];
			return;
		}
}

/* Takes e's strings and digest. */
static void
s_add(linger_table *t, linger_guest *e)
{
	s_forget(t, e->id);
	xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
	t->items[t->count++] = *e;
}

/* A stored row: a KeptGuest, or a Guest written before KeptGuest was. */
static int
s_entry_decode(const store_lingering *row, linger_guest *e)
{
	Hvp__KeptGuest *k = hvp__kept_guest__unpack(NULL, row->guest_len,
	    row->guest);
	Hvp__Guest *g;

	if (k && k->digested && k->id && *k->id) {
		e->name = xstrdup(k->name ? k->name : "");
		e->id = xstrdup(k->id);
		s_digest_copy(&e->digest, (const char *const *)k->volumes,
		    k->n_volumes, k->unplannable);
		hvp__kept_guest__free_unpacked(k, NULL);
		return 0;
	}
	if (k)
		hvp__kept_guest__free_unpacked(k, NULL);
	g = hvp__guest__unpack(NULL, row->guest_len, row->guest);
	if (g == NULL || g->id == NULL || *g->id == '\0') {
		if (g)
			hvp__guest__free_unpacked(g, NULL);
		return -1;
	}
	e->name = xstrdup(g->name ? g->name : "");
	e->id = xstrdup(g->id);
	planner_digest_paths(g->name, g->id, (const char *const *)g->paths,
	    g->n_paths, &e->digest);
	hvp__guest__free_unpacked(g, NULL);
	return 0;
}

static int
s_entry_encode(const linger_guest *e, uint8_t **buf, size_t *len)
{
	Hvp__KeptGuest k = HVP__KEPT_GUEST__INIT;

	k.name = e->name;
	k.id = e->id;
	k.volumes = e->digest.volumes;
	k.n_volumes = e->digest.nvolumes;
	k.unplannable = e->digest.unplannable ? e->digest.unplannable : "";
	k.digested = true;
	return wire_encode_message(&k.base, buf, len);
}

/* Writes the whole set; false (and the set marked unstored) when the
 * store cannot take it now. */
static bool
s_store(server *s)
{
	linger_table *t = &s->linger;
	store_lingering *rows = xcalloc(t->count + 1, sizeof *rows);
	size_t n = 0;
	char *err = NULL;
	bool ok;

	for (size_t i = 0; i < t->count; i++) {
		linger_guest *e = &t->items[i];

		if (s_entry_encode(e, &rows[n].guest, &rows[n].guest_len) == -1)
			continue;
		rows[n].id = e->id;
		rows[n].node = e->node;
		rows[n].left_at = e->left_at;
		n++;
	}
	ok = store_replace_lingering(s->store, rows, n, &err) == 0;
	for (size_t i = 0; i < n; i++)
		free(rows[i].guest);
	free(rows);
	if (!ok) {
		if (!t->unstored)
			log_warnx("cannot store the guests kept in the plan "
			    "(kept in memory, stored again later): %s", err);
		free(err);
	} else if (t->unstored) {
		log_info("guests kept in the plan stored (were delayed)");
	}
	t->unstored = !ok;
	return ok;
}

static int
s_id_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

bool
linger_note(server *s, const char *node, const invdigest *before,
    const invdigest *after)
{
	linger_table *t = &s->linger;
	int64_t now_mono = platform_mono_ms(), now = platform_now_ms() / 1000;
	bool changed = false;
	size_t nafter = after ? after->nguests : 0;
	const char **ids = xcalloc(nafter + 1, sizeof *ids);

	/* Sorted GUIDs of after: thousands of guests a node stay cheap. */
	for (size_t i = 0; i < nafter; i++)
		ids[i] = invdigest_id(after, &after->guests[i]);
	qsort(ids, nafter, sizeof *ids, s_id_cmp);
	for (size_t i = 0; before && i < before->nguests; i++) {
		const invdigest_guest *g = &before->guests[i];
		const char *id = invdigest_id(before, g);
		linger_guest e = { .left_mono = now_mono, .left_at = now };

		if (*id == '\0' ||
		    bsearch(&id, ids, nafter, sizeof *ids, s_id_cmp))
			continue;
		e.node = xstrdup(node);
		e.name = xstrdup(invdigest_name(before, g));
		e.id = xstrdup(id);
		s_digest_of(&e.digest, before, g);
		s_add(t, &e);
		changed = true;
		log_debug("node=%s guest %s left; kept in the plan until every "
		    "Hyper-V node has been heard, unless one reports it",
		    node, e.name);
	}
	free(ids);
	if (!changed && !t->unstored)
		return true;
	return s_store(s);
}

void
linger_collect(server *s, planner_guest **g, size_t *n, size_t *cap)
{
	linger_table *t = &s->linger;
	const char **ids;
	size_t nreported = *n;

	if (t->count == 0)
		return;
	ids = xcalloc(nreported + 1, sizeof *ids);
	for (size_t i = 0; i < nreported; i++)
		ids[i] = (*g)[i].id ? (*g)[i].id : "";
	qsort(ids, nreported, sizeof *ids, s_id_cmp);
	for (size_t i = 0; i < t->count; i++) {
		const linger_guest *lg = &t->items[i];

		if (bsearch(&lg->id, ids, nreported, sizeof *ids, s_id_cmp))
			continue;	/* reported again: the report wins */
		xgrow(g, cap, *n + 1, sizeof **g);
		(*g)[(*n)++] = (planner_guest){ .name = lg->name, .id = lg->id,
		    .node = lg->node, .digested = true,
		    .volumes = (const char *const *)lg->digest.volumes,
		    .nvolumes = lg->digest.nvolumes,
		    .unplannable = lg->digest.unplannable, .rank = 0 };
	}
	free(ids);
}

/* Whether every Hyper-V node of the cluster of the node the guest left
 * (of every cluster when that node is no longer known) has been heard
 * with its current inventory since it left. */
static bool
s_all_heard_since(const server *s, const linger_guest *e)
{
	const node_session *left = sessions_find(&s->nodes, e->node);

	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];

		if (n->role != ROLE_HYPERV_NODE || n->current_mono >= e->left_mono)
			continue;
		if (left == NULL || left->cluster == NULL || (n->cluster &&
		    strcasecmp(n->cluster, left->cluster) == 0))
			return false;
	}
	return true;
}

static bool
s_over(const server *s, const linger_guest *e, int64_t now_mono, int64_t now)
{
	int64_t wait_ms = (int64_t)LINGER_HEARTBEATS * s->heartbeat_seconds *
	    1000;

	if (now - e->left_at >= LINGER_MAX_SECONDS)
		return true;
	return now_mono - e->left_mono >= wait_ms && s_all_heard_since(s, e);
}

void
linger_tick(server *s)
{
	linger_table *t = &s->linger;
	int64_t now_mono = platform_mono_ms(), now = platform_now_ms() / 1000;
	size_t kept = 0;
	bool changed = false;

	for (size_t i = 0; i < t->count; i++) {
		if (!s_over(s, &t->items[i], now_mono, now)) {
			t->items[kept++] = t->items[i];
			continue;
		}
		log_debug("guest %s no longer kept in the plan",
		    t->items[i].name);
		s_entry_free(&t->items[i]);
		changed = true;
	}
	t->count = kept;
	if (changed)
		s->plan_dirty = true;
	if (changed || t->unstored)
		s_store(s);
}

bool
linger_stored(const server *s)
{
	return !s->linger.unstored;
}

int
linger_restore(server *s, char **err)
{
	store_lingering *rows = NULL;
	size_t n = 0;

	if (store_list_lingering(s->store, &rows, &n, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* Heard since it left: only what this process hears counts. */
		linger_guest e = { .left_mono = s->started_mono,
		    .left_at = rows[i].left_at };

		if (s_entry_decode(&rows[i], &e) == -1) {
			log_warnx("stored guest %s kept in the plan cannot be "
			    "read; dropped", rows[i].id);
			continue;
		}
		e.node = xstrdup(rows[i].node);
		s_add(&s->linger, &e);
	}
	store_lingering_list_free(&rows, n);
	return 0;
}
